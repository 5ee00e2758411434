// SPDX-License-Identifier: GPL-2.0-or-later
/* The method checks of the reset engine, public for the campaign planner
 * (campaign/plan.c): one answer to "can this method run here". */
#include "internal.h"

int kd_reset_method_check(struct kd_dev *dev, const struct kd_probe_info *in,
			  const struct kd_topo *topo, enum kd_reset_method m,
			  char *why, size_t len)
{
	return kd_method_check(dev, in, topo, m, why, len);
}
