// SPDX-License-Identifier: GPL-2.0-or-later
/* The journal reader: streams a file a line at a time; every line it
 * cannot use is reported with its place and counted, never dropped
 * silently. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign/journal.h"

static void skip(struct kd_ctx *ctx, struct kd_journal_stats *st,
		 const char *path, unsigned long line, const char *why)
{
	WARN(ctx, "%s:%lu: %s", path, line, why);
	st->malformed++;
}

struct json_object *kd_journal_parse_line(struct json_tokener *tok,
					  const char *line, size_t len,
					  const char **why)
{
	struct json_object *rec;

	json_tokener_reset(tok);
	rec = json_tokener_parse_ex(tok, line, (int)len);
	if (!rec || json_tokener_get_parse_end(tok) < len) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		*why = rec ? "text after the record" :
		       e == json_tokener_continue ? "incomplete JSON" :
		       json_tokener_error_desc(e);
		json_object_put(rec);
		return NULL;
	}
	*why = kd_journal_validate(rec);
	if (*why) {
		json_object_put(rec);
		return NULL;
	}
	return rec;
}

int kd_journal_read(struct kd_ctx *ctx, const char *path,
		    kd_journal_record_fn fn, void *data,
		    struct kd_journal_stats *st)
{
	struct json_tokener *tok = json_tokener_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned long lineno = 0;
	struct kd_lines lines = { .buf = NULL };
	struct kd_line ln;
	int ret = 0, got;

	if (fd < 0 || !tok || kd_lines_init(&lines) < 0) {
		ret = fd < 0 ? -errno : -ENOMEM;
		ERR(ctx, "%s: cannot read: %s", path, strerror(-ret));
		goto out;
	}
	kd_lines_start(&lines, fd);
	while ((got = kd_lines_next(&lines, &ln)) > 0) {
		struct json_object *rec;
		const char *why;

		lineno++;
		st->lines++;
		if (ln.too_long || ln.torn) {
			/* one write() per record ends with its newline */
			skip(ctx, st, path, lineno, ln.too_long ?
			     KD_JOURNAL_TOO_LONG : "torn record");
			st->torn += ln.torn;
			continue;
		}
		if (ln.len == 0) {
			skip(ctx, st, path, lineno, "empty line");
			continue;
		}
		rec = kd_journal_parse_line(tok, ln.text, ln.len, &why);
		if (!rec) {
			skip(ctx, st, path, lineno, why);
			continue;
		}
		st->records++;
		ret = fn ? fn(data, rec, path, lineno) : 0;
		json_object_put(rec);
		if (ret < 0)
			break;
	}
	if (ret == 0 && got < 0) {
		ret = got;
		ERR(ctx, "%s: read error after line %lu", path, lineno);
	}
out:
	kd_lines_free(&lines);
	if (fd >= 0)
		close(fd);
	if (tok)
		json_tokener_free(tok);
	return ret;
}
