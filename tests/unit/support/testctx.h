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

/* Writes a line of n bytes ('x'), with its newline when newline, a MiB at
 * a time: the long lines of the journal readers' tests. */
void test_put_long_line(FILE *f, size_t n, bool newline);
/* The peak resident set of this process so far, KiB (getrusage). */
long test_peak_rss_kib(void);

#endif
