/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsafe.conf (docs/man/kdsafe.conf.5): what `kdsafe hook` does in the
 * capture kernel.  An INI file read with inih (the quirks' parser), then
 * every key overridable from the kernel command line as kdsafe.KEY=VALUE
 * (kdsafe=off disables).  A problem is never fatal: an unknown key or a bad
 * value is logged as a warning naming file:line (or /proc/cmdline) and the
 * key keeps its default; the capture boot must go on.
 *
 * Library code: 0 or -errno, logs through the ctx.
 */
#ifndef KDSAFE_CONF_H
#define KDSAFE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "access/access.h"
#include "reset/reset.h"

#ifndef KD_CONF_PATH
#define KD_CONF_PATH "/etc/kdsafe/kdsafe.conf"
#endif
#define KD_CONF_MAX_LIST 64          /* devices, exclude_classes entries */
#define KD_CONF_DEFAULT_TOTAL_NS (60ull * 1000000000ull)
#define KD_CONF_DEFAULT_RESULTS "/run/kdsafe"

struct kd_conf_class {
	uint32_t code;                 /* base<<16 | sub<<8 | prog-if */
	unsigned digits;               /* 2, 4 or 6 hex digits compared */
};

struct kd_conf {
	bool enabled;                  /* kdsafe=off: do nothing */
	bool all;                      /* devices = all */
	size_t n_devices;              /* else: these addresses / ids */
	struct kd_filter devices[KD_CONF_MAX_LIST];
	char devices_text[512];        /* as given, for kd_conf_print() */
	size_t n_exclude;              /* never these classes */
	struct kd_conf_class exclude[KD_CONF_MAX_LIST];
	char exclude_text[512];
	enum kd_reset_method method;
	bool dry_run;
	unsigned jobs;                 /* 0: every domain at once */
	uint64_t timeout_total_ns;     /* the run's budget (reset/guard.h) */
	bool kmsg;                     /* one line per device to /dev/kmsg */
	char results_dir[256];         /* "": no results file */
	/* command line only */
	bool force;                    /* kdsafe.force=1: act without vmcore */
	char step[128];                /* kdsafe.step=: a campaign step */
	unsigned problems;             /* warnings issued (--strict) */
};

void kd_conf_defaults(struct kd_conf *c);
/* Reads path into c (on top of what is there).  A missing file is not a
 * problem (defaults); an unreadable one is.  0, or -ENOMEM. */
int kd_conf_load(struct kd_ctx *ctx, const char *path, struct kd_conf *c);
/* Applies the kdsafe= and kdsafe.KEY=VALUE words of a kernel command
 * line; source names it in messages (ctx NULL: silently). */
void kd_conf_cmdline(struct kd_ctx *ctx, const char *cmdline,
		     const char *source, struct kd_conf *c);
/* Whether the function passes devices and exclude_classes. */
bool kd_conf_selects(const struct kd_conf *c, const struct kd_addr *a,
		     uint16_t vendor, uint16_t device, uint32_t class_code);
/* The effective settings, one "key = value" line each, into f. */
void kd_conf_print(const struct kd_conf *c, FILE *f);

#endif
