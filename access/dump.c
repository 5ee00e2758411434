// SPDX-License-Identifier: GPL-2.0-or-later
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

ssize_t (*kd_dump_getline)(char **line, size_t *cap, FILE *f) = getline;

const char *kd_dump_annot(const struct kd_dump_func *f, const char *key)
{
	for (unsigned i = 0; i < f->n_annot; i++)
		if (strcmp(f->annot[i].key, key) == 0)
			return f->annot[i].value;
	return NULL;
}

struct parser {
	struct kd_ctx *ctx;
	const char *path;
	unsigned lineno;
	int errors;
	bool have_dev, dev_bad;
	struct kd_dump_func *f;
	kd_dump_fn fn;
	void *data;
};

static void clear_annot(struct kd_dump_func *f)
{
	f->n_annot = 0;
	f->annot_used = 0;
}

#define PERR(p, ...)                                                        \
	do {                                                                \
		ERR((p)->ctx, "%s:%u: " FIRST_ARG(__VA_ARGS__),             \
		    (p)->path, (p)->lineno REST_ARGS(__VA_ARGS__));         \
		(p)->errors++;                                              \
	} while (0)
#define FIRST_ARG(first, ...) first
#define REST_ARGS(first, ...) , ##__VA_ARGS__

static int flush_dev(struct parser *p)
{
	int ret = 0;

	if (p->have_dev && !p->dev_bad) {
		if (p->f->len == 0) {
			char a[KD_ADDR_STRLEN];

			ERR(p->ctx, "%s:%u: %s: no config space bytes",
			    p->path, p->f->line,
			    kd_addr_format(&p->f->addr, a));
			p->errors++;
		} else {
			ret = p->fn(p->f, p->data);
		}
	}
	clear_annot(p->f);
	p->have_dev = false;
	p->dev_bad = false;
	return ret;
}

static void drop_dev(struct parser *p)
{
	char a[KD_ADDR_STRLEN];

	if (!p->dev_bad)
		ERR(p->ctx, "%s:%u: dropping device %s (header at line %u)",
		    p->path, p->lineno, kd_addr_format(&p->f->addr, a),
		    p->f->line);
	p->dev_bad = true;
}

static int parse_header(struct parser *p, char *line)
{
	char *sp = line + strcspn(line, " \t");

	*sp = '\0';
	memset(p->f, 0, sizeof(*p->f));
	if (kd_addr_parse(line, &p->f->addr) < 0) {
		PERR(p, "malformed device address '%s'", line);
		p->have_dev = true;
		p->dev_bad = true; /* its data lines are skipped silently */
		return 0;
	}
	p->have_dev = true;
	p->f->line = p->lineno;
	return 0;
}

static void parse_annot(struct parser *p, char *s)
{
	char *eq, *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	eq = strchr(s, '=');
	if (!p->have_dev) {
		PERR(p, "annotation before any device header");
		return;
	}
	if (!eq || eq == s) {
		PERR(p, "annotation is not KEY=VALUE: '%s'", s);
		drop_dev(p);
		return;
	}
	if (p->f->n_annot == KD_DUMP_MAX_ANNOT ||
	    p->f->annot_used + strlen(s) + 1 > KD_DUMP_ANNOT_BYTES) {
		PERR(p, "too many annotations (at most %d, %d bytes)",
		     KD_DUMP_MAX_ANNOT, KD_DUMP_ANNOT_BYTES);
		drop_dev(p);
		return;
	}
	*eq = '\0';
	/* key and value land back to back, each NUL-terminated */
	memcpy(p->f->annot_buf + p->f->annot_used, s, strlen(s) + 1);
	p->f->annot[p->f->n_annot].key = p->f->annot_buf + p->f->annot_used;
	p->f->annot_used += strlen(s) + 1;
	memcpy(p->f->annot_buf + p->f->annot_used, eq + 1, strlen(eq + 1) + 1);
	p->f->annot[p->f->n_annot].value = p->f->annot_buf +
					   p->f->annot_used;
	p->f->annot_used += strlen(eq + 1) + 1;
	p->f->n_annot++;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "XX: hh hh ..." with 1 to 16 bytes; offsets must be 16-byte aligned. */
static void parse_data(struct parser *p, char *line)
{
	unsigned long off;
	char *end, *s;
	unsigned n = 0;

	if (!p->have_dev) {
		PERR(p, "data line before any device header");
		return;
	}
	if (p->dev_bad)
		return;
	off = strtoul(line, &end, 16);
	if (end == line || *end != ':' || off % 16 ||
	    off >= KD_CFG_SPACE_EXP_SIZE) {
		PERR(p, "malformed offset in '%s'", line);
		drop_dev(p);
		return;
	}
	for (s = end + 1; *s;) {
		int hi, lo;

		if (*s == ' ' || *s == '\t') {
			s++;
			continue;
		}
		hi = hexval(s[0]);
		lo = hi < 0 ? -1 : hexval(s[1]);
		if (hi < 0 || lo < 0 || (s[2] && !isspace((unsigned char)s[2]))
		    || n == 16) {
			PERR(p, "malformed byte at column %ld",
			     (long)(s - line) + 1);
			drop_dev(p);
			return;
		}
		p->f->cfg[off + n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	if (n == 0) {
		PERR(p, "no bytes after offset %lx", off);
		drop_dev(p);
		return;
	}
	if (off != p->f->len) {
		PERR(p, "offset %lx out of sequence (expected %zx)", off,
		     p->f->len);
		drop_dev(p);
		return;
	}
	p->f->len = off + n;
}

static bool is_data_line(const char *line)
{
	size_t n = strspn(line, "0123456789abcdefABCDEF");

	return n >= 2 && n <= 3 && line[n] == ':' &&
	       (line[n + 1] == ' ' || line[n + 1] == '\0');
}

int kd_dump_parse(struct kd_ctx *ctx, const char *path, kd_dump_fn fn,
		  void *data)
{
	struct parser p = { .ctx = ctx, .path = path, .fn = fn, .data = data };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len = 0;
	int ret = 0;
	FILE *f;

	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (!f) {
		int err = -errno;

		ERR(ctx, "%s: %s", path, strerror(errno));
		return err;
	}
	p.f = calloc(1, sizeof(*p.f));
	if (!p.f) {
		if (f != stdin)
			fclose(f);
		return -ENOMEM;
	}
	errno = 0;
	while (ret == 0 && (len = kd_dump_getline(&line, &cap, f)) >= 0) {
		p.lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
				   line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (line[0] == '#') {
			if (line[1] == '@')
				parse_annot(&p, line + 2);
			continue;
		}
		if (is_data_line(line)) {
			parse_data(&p, line);
			continue;
		}
		if (isxdigit((unsigned char)line[0])) {
			ret = flush_dev(&p);
			if (ret == 0)
				ret = parse_header(&p, line);
			continue;
		}
		PERR(&p, "unrecognised line");
		if (p.have_dev)
			drop_dev(&p);
	}
	/* getline() fails alike at the end, on a read error (EISDIR...) and
	 * when the line cannot be allocated (ENOMEM, stream still good): only
	 * the end of the file is the end of the dump */
	if (ret == 0 && len < 0 && ferror(f)) {
		ret = errno ? -errno : -EIO;
		ERR(ctx, "%s: %s", path, strerror(-ret));
	} else if (ret == 0 && len < 0 && !feof(f)) {
		ret = errno ? -errno : -EIO;
		ERR(ctx, "%s:%u: %s", path, p.lineno + 1, strerror(-ret));
	}
	if (ret == 0)
		ret = flush_dev(&p);
	clear_annot(p.f);
	free(p.f);
	free(line);
	if (f != stdin)
		fclose(f);
	return ret < 0 ? ret : p.errors;
}
