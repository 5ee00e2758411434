// SPDX-License-Identifier: GPL-2.0-or-later
/* Test helpers: contexts over temporary dump files, and a log catcher. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "campaign/journal.h"
#include "testctx.h"

static void catch_log(void *data, int prio, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	struct test_log *log = data;
	size_t used = strlen(log->text);

	(void)file, (void)line, (void)fn;
	if (prio <= KD_LOG_ERR)
		log->errors++;
	if (used + 2 < sizeof(log->text)) {
		vsnprintf(log->text + used, sizeof(log->text) - used - 1,
			  format, args);
		strcat(log->text, "\n");
	}
}

char *test_write_temp(const char *text)
{
	char *path = strdup("/tmp/kdsafe-test-XXXXXX");
	int fd = mkstemp(path);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		perror("test_write_temp");
		abort();
	}
	close(fd);
	return path;
}

struct kd_ctx *test_dump_ctx(const char *text, struct test_log *log,
			     char **path)
{
	struct kd_ctx_options opts = { 0 };
	struct kd_ctx *ctx = NULL;

	*path = test_write_temp(text);
	memset(log, 0, sizeof(*log));
	opts.dump_path = *path;
	opts.log_fn = catch_log;
	opts.log_data = log;
	opts.log_priority = KD_LOG_DEBUG;
	if (kd_ctx_new(&opts, &ctx) < 0)
		return NULL;
	return ctx;
}

void test_log_attach(struct kd_ctx *ctx, struct test_log *log)
{
	memset(log, 0, sizeof(*log));
	kd_ctx_set_log_fn(ctx, catch_log, log);
}

void test_remove(char *path)
{
	unlink(path);
	free(path);
}

/* "00: 86 80 ..." lines for a config image of len bytes */
char *test_dump_text(const char *header, const uint8_t *cfg, size_t len)
{
	size_t cap = strlen(header) + 2 + (len / 16 + 1) * 60;
	char *out = malloc(cap), *p = out;

	p += sprintf(p, "%s\n", header);
	for (size_t off = 0; off < len; off += 16) {
		p += sprintf(p, "%02zx:", off);
		for (size_t i = off; i < off + 16 && i < len; i++)
			p += sprintf(p, " %02x", cfg[i]);
		*p++ = '\n';
	}
	*p = '\0';
	return out;
}

/* A line of n bytes ('x'), with its newline when newline, a MiB at a time */
static void put_long_line(FILE *f, size_t n, bool newline)
{
	static char mib[1u << 20];
	size_t part;

	memset(mib, 'x', sizeof(mib));
	for (; n > 0; n -= part) {
		part = n < sizeof(mib) ? n : sizeof(mib);
		if (fwrite(mib, 1, part, f) != part)
			abort();
	}
	if (newline)
		fputc('\n', f);
}

void test_write_long_lines(const char *path, const char *rec1,
			   const char *rec2)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "%s\n", rec1);
	put_long_line(f, 100u << 20, true);
	fprintf(f, "%s\n", rec2);
	put_long_line(f, 3u << 20, false);
	assert_int_equal(fclose(f), 0);
}

void test_check_long_lines(const struct kd_journal_stats *st,
			   const char *log, const char *path)
{
	char want[PATH_MAX + 64];

	assert_int_equal(st->lines, 4);
	assert_int_equal(st->records, 2);
	assert_int_equal(st->malformed, 2);
	assert_int_equal(st->torn, 1);
	for (int line = 2; line <= 4; line += 2) {
		snprintf(want, sizeof(want), "%s:%d: " KD_JOURNAL_TOO_LONG,
			 path, line);
		if (!strstr(log, want))
			fail_msg("'%s' not in log:\n%s", want, log);
	}
}

long test_peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}
