/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the whitelist's own files only. */
#ifndef KDSAFE_WHITELIST_INTERNAL_H
#define KDSAFE_WHITELIST_INTERNAL_H

#include "whitelist/whitelist.h"

/* A device key as a record names it. */
struct kd_wl_key {
	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint32_t class_code;
	const char *driver; /* NULL: none */
};

/* One outcome of variant on the device k, or a device listed by a cycle
 * intent (untested until an outcome comes).  0 or -ENOMEM. */
int kd_wl_merge_outcome(struct kd_wl *wl, const char *kernel,
			const struct kd_wl_key *k, const char *variant,
			enum kd_outcome o);
int kd_wl_merge_listed(struct kd_wl *wl, const char *kernel,
		       const struct kd_wl_key *k);

/* ---- the fast path (whitelist/scan.c) ----------------------------------- */

struct kd_wl_scanner;

int kd_wl_scanner_new(struct kd_wl_scanner **out);
void kd_wl_scanner_free(struct kd_wl_scanner *sc);
/* Merges line (len bytes, line[len] == '\0', modified in place) when it is
 * a plain record the scanner is sure of: 1 merged, 0 not sure (the caller
 * hands the line to json-c and kd_journal_validate(), which decide and
 * say why), -ENOMEM.  Never accepts a line json-c would reject, never
 * reads a value differently. */
int kd_wl_scan_line(struct kd_wl_scanner *sc, struct kd_wl *wl, char *line,
		    size_t len);

/* What reading needs, kept from file to file: the buffer, the scanner,
 * json-c's tokener. */
struct kd_wl_reader;

int kd_wl_reader_new(struct kd_ctx *ctx, struct kd_wl_reader **out);
void kd_wl_reader_free(struct kd_wl_reader *rd);
/* Reads one journal file into wl: kd_lines_next() (1 MiB read()s, lines
 * over KD_JOURNAL_LINE_MAX passed over), a line at a time through
 * kd_wl_scan_line(), json-c for the rest.  Bad lines are logged as
 * FILE:LINE: REASON and counted in *st.  0, -errno when unreadable,
 * -ENOMEM. */
int kd_wl_read_file(struct kd_wl_reader *rd, struct kd_wl *wl,
		    const char *path, struct kd_journal_stats *st);

/* Judges every device and sorts them by ids, driver, kernel. */
void kd_wl_judge_all(struct kd_wl_device **devs, size_t n);
/* The one device order: ids, subsystem, driver, kernel (merge.c). */
int kd_wl_device_cmp(const void *a, const void *b);

#endif
