// SPDX-License-Identifier: GPL-2.0-or-later
/* The journal reader: streams a file a line at a time; every line it
 * cannot use is reported with its place and counted, never dropped
 * silently. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	FILE *f = fopen(path, "re");
	unsigned long lineno = 0;
	size_t cap = 0;
	char *buf = NULL;
	ssize_t len;
	int ret = 0;

	if (!f || !tok) {
		ret = f ? -ENOMEM : -errno;
		ERR(ctx, "%s: cannot read: %s", path, strerror(-ret));
		goto out;
	}
	while ((len = getline(&buf, &cap, f)) > 0) {
		struct json_object *rec;
		const char *why;

		lineno++;
		st->lines++;
		if (buf[len - 1] != '\n') {
			/* one write() per record ends with its newline */
			skip(ctx, st, path, lineno, "torn record");
			st->torn++;
			break;
		}
		buf[--len] = '\0';
		if (len == 0) {
			skip(ctx, st, path, lineno, "empty line");
			continue;
		}
		rec = kd_journal_parse_line(tok, buf, (size_t)len, &why);
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
	if (ret == 0 && ferror(f)) {
		ret = -EIO;
		ERR(ctx, "%s: read error after line %lu", path, lineno);
	}
out:
	free(buf);
	if (f)
		fclose(f);
	if (tok)
		json_tokener_free(tok);
	return ret;
}
