// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What every command's output shares: the JSON envelope, names that are
 * not UTF-8 made safe for JSON and for a terminal, and the final check
 * that stdout was really written.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < n; i++, lo = 0x80, hi = 0xbf)
		if (s[i] < lo || s[i] > hi)
			return 0;
	return n;
}

const char *kd_text_safe(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (!s || len == 0)
		return s;
	while (*p && o + 5 < len) {
		size_t n = utf8_len(p);

		if (n == 1 && *p >= 0x20 && *p != 0x7f) {
			buf[o++] = (char)*p++;
		} else if (n > 1) {
			memcpy(buf + o, p, n);
			o += n;
			p += n;
		} else {
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", *p++);
		}
	}
	buf[o] = '\0';
	return buf;
}

/* json-c copies string bytes through: a byte that does not start valid
 * UTF-8 (it can only be inside a string) becomes \ufffd, so the document is
 * valid UTF-8 and valid JSON. */
static void put_json(const char *text)
{
	const unsigned char *p = (const unsigned char *)text, *run = p;

	/* valid runs in one fwrite: per-character stdio calls were most of
	 * a reset's JSON cost */
	while (*p) {
		size_t n = *p < 0x80 ? 1 : utf8_len(p);

		if (n) {
			p += n;
			continue;
		}
		fwrite(run, 1, (size_t)(p - run), stdout);
		fputs("\\ufffd", stdout);
		run = ++p;
	}
	fwrite(run, 1, (size_t)(p - run), stdout);
}

static void put_value(struct json_object *v)
{
	put_json(json_object_to_json_string_ext(v, JSON_C_TO_STRING_SPACED |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Each member of o on its own line, "  KEY": VALUE,\n */
static void put_members(struct json_object *o)
{
	if (!o)
		return;
	json_object_object_foreach(o, key, val) {
		struct json_object *k = json_object_new_string(key);

		fputs("  ", stdout);
		put_value(k);
		fputs(": ", stdout);
		if (val)
			put_value(val);
		else
			fputs("null", stdout);
		fputs(",\n", stdout);
		json_object_put(k);
	}
}

void kd_json_want_errors(struct kd_cli *cli)
{
	if (!cli->errors)
		cli->errors = json_object_new_array();
}

void kd_json_begin(struct kd_cli *cli, struct kd_json_doc *doc,
		   struct kd_ctx *ctx, struct json_object *head)
{
	kd_json_want_errors(cli);
	printf("{\n  \"version\": 1,\n  \"tool\": \"kdsafe %s\",\n"
	       "  \"source\": %s%s%s,\n", KDSAFE_VERSION, ctx ? "\"" : "",
	       ctx ? kd_ctx_backend_name(ctx) : "null", ctx ? "\"" : "");
	put_members(head);
	json_object_put(head);
	printf("  \"%s\": [", doc->list);
	doc->begun = true;
	doc->first = true;
}

void kd_json_item(struct kd_json_doc *doc, struct json_object *item)
{
	fputs(doc->first ? "\n    " : ",\n    ", stdout);
	put_value(item);
	json_object_put(item);
	doc->first = false;
}

char *kd_json_text(struct json_object *item)
{
	char *text = strdup(json_object_to_json_string_ext(item,
				JSON_C_TO_STRING_SPACED |
				JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(item);
	return text;
}

void kd_json_item_text(struct kd_json_doc *doc, const char *text)
{
	fputs(doc->first ? "\n    " : ",\n    ", stdout);
	put_json(text);
	doc->first = false;
}

void kd_json_end(struct kd_cli *cli, struct kd_json_doc *doc,
		 struct json_object *tail)
{
	if (!doc->begun)
		kd_json_begin(cli, doc, NULL, NULL);
	fputs("\n  ],\n", stdout);
	put_members(tail);
	json_object_put(tail);
	fputs("  \"errors\": ", stdout);
	put_value(cli->errors);
	fputs("\n}\n", stdout);
	doc->begun = false;
}

int kd_cli_close_stdout(int ret)
{
	int err = 0;

	if (fflush(stdout) != 0)
		err = errno;
	if (ferror(stdout) && !err)
		err = EIO;
	if (fclose(stdout) != 0 && !err)
		err = errno;
	if (!err)
		return ret;
	fprintf(stderr, "kdsafe: error: stdout: %s\n", strerror(err));
	return KD_EXIT_FATAL;
}
