/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KDSAFE_QUIRKS_OUTPUT_H
#define KDSAFE_QUIRKS_OUTPUT_H

#include <json-c/json.h>

#include "probe/probe.h"
#include "quirks/quirks.h"

struct json_object *kd_quirk_entry_to_json(const struct kd_quirk_entry *e);
struct json_object *kd_quirk_plan_to_json(const struct kd_probe_info *in,
					  const struct kd_quirk_plan *pl,
					  const struct kd_dev *dev);

#endif
