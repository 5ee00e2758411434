/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KDSAFE_TESTCTX_H
#define KDSAFE_TESTCTX_H

#include <stdbool.h>
#include <stdio.h>

#include "access/access.h"

struct test_log {
	int errors;
	char text[8192];
};

/* Writes text to a fresh temporary file; returns its path (malloc'd). */
char *test_write_temp(const char *text);
/* A context over a temporary dump holding text; log lines go into log. */
struct kd_ctx *test_dump_ctx(const char *text, struct test_log *log,
			     char **path);
/* Route a context's log into log (reset first). */
void test_log_attach(struct kd_ctx *ctx, struct test_log *log);
void test_remove(char *path);
/* lspci -x style text: header line then hex lines (malloc'd). */
char *test_dump_text(const char *header, const uint8_t *cfg, size_t len);

/* The journal readers' long-line file: rec1, a 100 MiB line, rec2, a
 * 3 MiB line the file ends in (torn); and the check of what a reader made
 * of it: 2 records, lines 2 and 4 reported over the 256 KiB cap and
 * counted malformed, the 4th torn. */
void test_write_long_lines(const char *path, const char *rec1,
			   const char *rec2);
struct kd_journal_stats;
void test_check_long_lines(const struct kd_journal_stats *st,
			   const char *log, const char *path);
/* The peak resident set of this process so far, KiB (getrusage). */
long test_peak_rss_kib(void);

#endif
