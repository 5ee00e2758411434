// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * No devices at all: a context for work that needs the sysroot and the log
 * but no PCI tree (kdsafe quirks check/list), so that a machine or tree
 * without /sys/bus/pci is not an error there.
 */
#include <errno.h>

#include "backend.h"

static int none_init(struct kd_ctx *ctx, void *data, void **state)
{
	(void)ctx, (void)data;
	*state = NULL;
	return 0;
}

static int none_enumerate(struct kd_ctx *ctx, void *state, kd_enum_fn fn,
			  void *data, int *bad)
{
	(void)ctx, (void)state, (void)fn, (void)data, (void)bad;
	return 0;
}

static ssize_t none_config_read(struct kd_ctx *ctx, void *state,
				const struct kd_addr *a, unsigned pos,
				void *buf, size_t len)
{
	(void)ctx, (void)state, (void)a, (void)pos, (void)buf, (void)len;
	return -ENODEV;
}

static int none_parent(struct kd_ctx *ctx, void *state,
		       const struct kd_addr *a, struct kd_addr *parent)
{
	(void)ctx, (void)state, (void)a, (void)parent;
	return -ENOENT;
}

const struct kd_backend kd_backend_none = {
	.name = "none",
	.init = none_init,
	.enumerate = none_enumerate,
	.config_read = none_config_read,
	.parent = none_parent,
};
