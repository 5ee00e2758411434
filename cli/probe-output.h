/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KDSAFE_PROBE_OUTPUT_H
#define KDSAFE_PROBE_OUTPUT_H

#include <json-c/json.h>
#include <stdio.h>

#include "probe/probe.h"

struct json_object *kd_probe_to_json(const struct kd_probe_info *in);
void kd_probe_print_header(FILE *f);
void kd_probe_print_line(FILE *f, const struct kd_probe_info *in);
void kd_probe_print_detail(FILE *f, const struct kd_probe_info *in);

#endif
