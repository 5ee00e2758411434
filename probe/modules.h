/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Candidate kernel modules for a modalias, through libkmod, reading
 * SYSROOT/lib/modules/RELEASE and SYSROOT's modprobe.d. */
#ifndef KDSAFE_MODULES_H
#define KDSAFE_MODULES_H

#include "probe.h"

struct kd_modules;

/* 0 or -errno; a missing module directory is logged once at debug. */
int kd_modules_new(struct kd_ctx *ctx, struct kd_modules **out);
void kd_modules_free(struct kd_modules *m);
/* Allocates *names (free()); *n may be 0. */
int kd_modules_lookup(struct kd_modules *m, const char *modalias,
		      char (**names)[KD_NAME_MAX], unsigned *n);

#endif
