// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading a journal for the whitelist: read() in 1 MiB chunks, lines cut
 * with memchr(), each through the allocation-free scanner (scan.c) and,
 * when the scanner is not sure, through json-c and kd_journal_validate()
 * exactly as kd_journal_read() does, so every line it cannot use is
 * reported with the same FILE:LINE: REASON and counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "whitelist/internal.h"

#define CHUNK (1u << 20)

struct kd_wl_reader {
	struct kd_ctx *ctx;
	char *buf; /* cap + 1 bytes */
	size_t cap;
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
	rd->cap = CHUNK;
	rd->buf = malloc(rd->cap + 1);
	rd->tok = json_tokener_new();
	if (!rd->buf || !rd->tok || kd_wl_scanner_new(&rd->sc) < 0) {
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
	free(rd->buf);
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
	size_t have = 0, start;
	char *nl;
	ssize_t got;
	int ret = 0;

	for (;;) {
		if (have == r->cap) { /* one line fills the buffer: grow it */
			char *grown = realloc(r->buf, 2 * r->cap + 1);

			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			r->buf = grown;
			r->cap *= 2;
		}
		got = read(fd, r->buf + have, r->cap - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ERR(r->ctx, "%s: read error after line %lu", r->path,
			    r->lineno);
			ret = -EIO;
			break;
		}
		if (got == 0) {
			if (have > 0) {
				/* one write() per record ends with its
				 * newline */
				r->lineno++;
				r->st->lines++;
				skip(r, "torn record");
				r->st->torn++;
			}
			break;
		}
		have += (size_t)got;
		start = 0;
		while (ret == 0 &&
		       (nl = memchr(r->buf + start, '\n', have - start))) {
			*nl = '\0';
			ret = one_line(r, r->buf + start,
				       (size_t)(nl - r->buf) - start);
			start = (size_t)(nl - r->buf) + 1;
		}
		if (ret < 0)
			break;
		memmove(r->buf, r->buf + start, have - start);
		have -= start;
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
