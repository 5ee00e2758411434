// SPDX-License-Identifier: GPL-2.0-or-later
/* Test helpers: contexts over temporary dump files, and a log catcher. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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

void test_put_long_line(FILE *f, size_t n, bool newline)
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

long test_peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}
