// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading a journal for the whitelist: a line at a time (campaign/lines.c:
 * 1 MiB read()s, a line over KD_JOURNAL_LINE_MAX passed over unkept),
 * each through the allocation-free scanner (scan.c) and, when the scanner is not sure, through json-c and kd_journal_validate()
 * exactly as kd_journal_read() does, so every line it cannot use is
 * reported with the same FILE:LINE: REASON and counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "whitelist/internal.h"

struct kd_wl_reader {
	struct kd_ctx *ctx;
	struct kd_lines lines;
	struct kd_wl_scanner *sc;
	struct json_tokener *tok;
	/* the file being read */
	struct kd_wl *wl;
	const char *path;
	struct kd_journal_stats *st;
	unsigned long lineno;
};

int kd_wl_reader_new(struct kd_ctx *ctx, struct kd_wl_reader **out)
{
	struct kd_wl_reader *rd = calloc(1, sizeof(*rd));

	*out = NULL;
	if (!rd)
		return -ENOMEM;
	rd->ctx = ctx;
	rd->tok = json_tokener_new();
	if (kd_lines_init(&rd->lines) < 0 || !rd->tok ||
	    kd_wl_scanner_new(&rd->sc) < 0) {
		kd_wl_reader_free(rd);
		return -ENOMEM;
	}
	*out = rd;
	return 0;
}

void kd_wl_reader_free(struct kd_wl_reader *rd)
{
	if (!rd)
		return;
	kd_lines_free(&rd->lines);
	kd_wl_scanner_free(rd->sc);
	if (rd->tok)
		json_tokener_free(rd->tok);
	free(rd);
}

static void skip(struct kd_wl_reader *r, const char *why)
{
	WARN(r->ctx, "%s:%lu: %s", r->path, r->lineno, why);
	r->st->malformed++;
}

/* One whole line, its newline replaced by '\0'.  0 or -ENOMEM. */
static int one_line(struct kd_wl_reader *r, char *line, size_t len)
{
	struct json_object *rec;
	const char *why;
	int ret;

	r->lineno++;
	r->st->lines++;
	if (len == 0) {
		skip(r, "empty line");
		return 0;
	}
	ret = kd_wl_scan_line(r->sc, r->wl, line, len);
	if (ret != 0) {
		if (ret > 0)
			r->st->records++;
		return ret < 0 ? ret : 0;
	}
	rec = kd_journal_parse_line(r->tok, line, len, &why);
	if (!rec) {
		skip(r, why);
		return 0;
	}
	r->st->records++;
	ret = kd_wl_add_record(r->wl, rec);
	json_object_put(rec);
	return ret;
}

/* Reads fd to its end.  0, -EIO or -ENOMEM. */
static int read_lines(struct kd_wl_reader *r, int fd)
{
	struct kd_line ln;
	int ret = 0, got = 0;

	kd_lines_start(&r->lines, fd);
	while (ret == 0 && (got = kd_lines_next(&r->lines, &ln)) > 0) {
		if (!ln.too_long && !ln.torn) {
			ret = one_line(r, ln.text, ln.len);
			continue;
		}
		/* one write() per record ends with its newline */
		r->lineno++;
		r->st->lines++;
		skip(r, ln.too_long ? KD_JOURNAL_TOO_LONG : "torn record");
		r->st->torn += ln.torn;
	}
	if (ret == 0 && got < 0) {
		ERR(r->ctx, "%s: read error after line %lu", r->path,
		    r->lineno);
		ret = -EIO;
	}
	return ret;
}

int kd_wl_read_file(struct kd_wl_reader *rd, struct kd_wl *wl,
		    const char *path, struct kd_journal_stats *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0) {
		ret = -errno;
		ERR(rd->ctx, "%s: cannot read: %s", path, strerror(-ret));
		return ret;
	}
	rd->wl = wl;
	rd->path = path;
	rd->st = st;
	rd->lineno = 0;
	ret = read_lines(rd, fd);
	if (ret == -ENOMEM)
		ERR(rd->ctx, "%s: out of memory", path);
	close(fd);
	return ret;
}
