/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The whitelist: campaign journals (docs/journal.md) from any number of
 * runs and machines merged per device (vendor:device, subsystem) x driver
 * x kernel version into a verdict and the fix that makes the device safe
 * (docs/whitelist.md).  Streaming: memory grows with distinct devices x
 * variants, never with records.
 */
#ifndef KDSAFE_WHITELIST_H
#define KDSAFE_WHITELIST_H

#include <stdint.h>
#include <stdio.h>

#include "campaign/journal.h"

enum kd_wl_verdict {
	KD_WL_SAFE,         /* works without a fix */
	KD_WL_SAFE_WITH,    /* the least invasive fix that always worked */
	KD_WL_INCONSISTENT, /* nothing always worked; a variant is flaky */
	KD_WL_UNSAFE,       /* nothing worked */
	KD_WL_UNTESTED,
};

enum kd_wl_state { KD_WL_CELL_UNTESTED, KD_WL_CELL_PASS, KD_WL_CELL_FAIL,
		   KD_WL_CELL_NOOP, KD_WL_CELL_MIXED };

/* One variant tried on one device: outcome counts. */
struct kd_wl_cell {
	char *variant;
	int rank; /* invasiveness, kd_wl_variant_rank() */
	unsigned long n[KD_OUTCOME_COUNT];
};

struct kd_wl_device {
	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint32_t class_code;
	char *driver; /* "" when none */
	char *kernel;
	struct kd_wl_cell *cells; /* sorted by rank once finished */
	size_t n_cells;
	enum kd_wl_verdict verdict;
	const struct kd_wl_cell *fix; /* SAFE: none; SAFE_WITH: the fix */
};

struct kd_wl_inputs {
	struct kd_journal_stats st;
	unsigned long files, unreadable;
};

struct kd_wl;

int kd_wl_new(struct kd_ctx *ctx, struct kd_wl **out);
void kd_wl_free(struct kd_wl *wl);
/* Merges a journal file, or every *.jsonl under a directory (recursively,
 * in name order).  Unusable lines are logged and counted; an unreadable
 * file is logged, counted and 0 returned: only -ENOMEM is fatal. */
int kd_wl_add_path(struct kd_wl *wl, const char *path);
/* Merges one record valid by kd_journal_validate(). */
int kd_wl_add_record(struct kd_wl *wl, struct json_object *rec);
const struct kd_wl_inputs *kd_wl_inputs(const struct kd_wl *wl);
/* Computes the verdicts; the devices, sorted by ids, driver, kernel, stay
 * valid until kd_wl_free().  0 or -ENOMEM. */
int kd_wl_finish(struct kd_wl *wl, struct kd_wl_device *const **devs,
		 size_t *n);

/* none < quiesce < virtio, quirk:NAME < flr < af-flr < pm < bus < kernel,
 * kernel:NAME < anything else. */
int kd_wl_variant_rank(const char *variant);
enum kd_wl_state kd_wl_cell_state(const struct kd_wl_cell *c);
unsigned long kd_wl_cell_tested(const struct kd_wl_cell *c);
const char *kd_wl_verdict_name(enum kd_wl_verdict v);
const char *kd_wl_state_name(enum kd_wl_state s);
/* "safe", "safe-with flr", "inconsistent: none, pm", ... into buf. */
const char *kd_wl_verdict_text(const struct kd_wl_device *d, char *buf,
			       size_t size);
/* "worked: flr 3/3; failed: none 0/3 (3 hang); no-op: pm 0/3" */
const char *kd_wl_evidence(const struct kd_wl_device *d, char *buf,
			   size_t size);

/* ---- output (whitelist/format.c, html.c, emit-quirks.c) ---------------- */

enum kd_wl_format { KD_WL_TABLE, KD_WL_JSON, KD_WL_CSV, KD_WL_MARKDOWN,
		    KD_WL_HTML };

/* -EINVAL for an unknown name. */
int kd_wl_format_parse(const char *name, enum kd_wl_format *out);
/* Writes the whitelist; 0 or -ENOMEM (write errors show on f). */
int kd_wl_write(FILE *f, enum kd_wl_format fmt,
		struct kd_wl_device *const *devs, size_t n,
		const struct kd_wl_inputs *in);
int kd_wl_write_html(FILE *f, struct kd_wl_device *const *devs, size_t n,
		     const struct kd_wl_inputs *in);
/* A quirks.d file (docs/quirks.md) choosing the fix of each safe-with
 * device; *n_entries (may be NULL) counts its sections. */
int kd_wl_write_quirks(FILE *f, struct kd_wl_device *const *devs, size_t n,
		       unsigned *n_entries);

#endif
