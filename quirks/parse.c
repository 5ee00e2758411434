// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Quirk files: INI parsed by inih.  Debian's inih is built without
 * INI_HANDLER_LINENO, so the text reaches inih through our own reader,
 * which counts lines, keeps the raw line for columns, rejects what inih
 * would silently mangle (over-long lines, NUL bytes, lines without '='),
 * and hands inih section headers as "[N]" (N our entry index): inih keeps
 * only 50 characters of a section name, a device match can be longer.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/duration.h"
#include "internal.h"

int qstrv_push(struct qpool *p, struct qstrv *sv, const char *s, size_t len)
{
	char **v = qpool_grow(p, sv->v, sv->n, &sv->cap, sizeof(*sv->v));
	char *d = qpool_strndup(p, s, len);

	if (!v || !d)
		return -ENOMEM;
	sv->v = v;
	sv->v[sv->n++] = d;
	return 0;
}

const char *quirks_intern_file(struct kd_quirks *db, const char *name)
{
	for (size_t i = 0; i < db->files.n; i++)
		if (strcmp(db->files.v[i], name) == 0)
			return db->files.v[i];
	if (qstrv_push(&db->pool, &db->files, name, strlen(name)) < 0)
		return NULL;
	return db->files.v[db->files.n - 1];
}

int quirks_diag(struct kd_quirks *db, enum kd_quirk_diag_level level,
		const char *file, unsigned line, unsigned col, const char *fmt,
		...)
{
	struct kd_quirk_diag *d;
	char msg[512], *m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (level == KD_QDIAG_ERROR) {
		db->n_errors++;
		ERR(db->ctx, "%s:%u:%u: %s", file, line, col, msg);
	} else {
		WARN(db->ctx, "%s:%u:%u: %s", file, line, col, msg);
	}
	d = qpool_grow(&db->pool, db->diags.v, db->diags.n, &db->diags.cap,
		       sizeof(*d));
	m = qpool_strndup(&db->pool, msg, sizeof(msg));
	if (!d || !m)
		return -ENOMEM;
	db->diags.v = d;
	d = &db->diags.v[db->diags.n++];
	d->level = level;
	d->file = file;
	d->line = line;
	d->col = col;
	d->msg = m;
	return 0;
}


/* ---- the database ------------------------------------------------------- */

int kd_quirks_new(struct kd_ctx *ctx, struct kd_quirks **out)
{
	struct kd_quirks *db = calloc(1, sizeof(*db));

	if (!db)
		return -ENOMEM;
	db->ctx = kd_ctx_ref(ctx);
	*out = db;
	return 0;
}

void kd_quirks_free(struct kd_quirks *db)
{
	if (!db)
		return;
	qpool_free(&db->pool);
	kd_ctx_unref(db->ctx);
	free(db);
}

void kd_quirks_set_allow_insecure(struct kd_quirks *db, bool allow)
{
	db->allow_insecure = allow;
}

size_t kd_quirks_files(const struct kd_quirks *db) { return db->n_loaded; }
size_t kd_quirks_rejected(const struct kd_quirks *db)
{
	return db->n_rejected;
}
size_t kd_quirks_count(const struct kd_quirks *db) { return db->n_entries; }
size_t kd_quirks_errors(const struct kd_quirks *db) { return db->n_errors; }
size_t kd_quirks_diag_count(const struct kd_quirks *db)
{
	return db->diags.n;
}

const struct kd_quirk_entry *kd_quirks_entry(const struct kd_quirks *db,
					     size_t i)
{
	return i < db->n_entries ? db->entries[i] : NULL;
}

const struct kd_quirk_diag *kd_quirks_diag(const struct kd_quirks *db,
					   size_t i)
{
	return i < db->diags.n ? &db->diags.v[i] : NULL;
}

const char *kd_quirk_entry_file(const struct kd_quirk_entry *e)
{
	return e->file;
}
unsigned kd_quirk_entry_line(const struct kd_quirk_entry *e)
{
	return e->line;
}
const char *kd_quirk_entry_match(const struct kd_quirk_entry *e)
{
	return e->match_text;
}
const char *kd_quirk_entry_name(const struct kd_quirk_entry *e)
{
	return e->name;
}
unsigned kd_quirk_entry_specificity(const struct kd_quirk_entry *e)
{
	return e->specificity;
}

/* ---- the parser --------------------------------------------------------- */

struct parser {
	struct kd_quirks *db;
	const char *file;
	const char *buf;
	size_t len, pos;
	unsigned lineno;
	/* the current line, raw */
	const char *raw;
	size_t rawlen;
	unsigned key_col, val_col;
	bool prev_key; /* inih would take an indented line as a continuation */
	unsigned errors;
	int oom;
	struct kd_quirk_entry **entries;
	size_t n_entries, cap_entries;
	struct kd_quirk_entry *cur;
};

static void perr(struct parser *p, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct parser *p, unsigned col, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->errors++;
	if (quirks_diag(p->db, KD_QDIAG_ERROR, p->file, p->lineno, col, "%s",
			msg) < 0)
		p->oom = 1;
}

static void pwarn(struct parser *p, unsigned line, unsigned col,
		  const char *msg)
{
	if (quirks_diag(p->db, KD_QDIAG_WARNING, p->file, line, col, "%s",
			msg) < 0)
		p->oom = 1;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static void new_section(struct parser *p, const char *body, size_t blen,
			unsigned col)
{
	struct qpool *pool = &p->db->pool;
	struct kd_quirk_entry *e = qpool_alloc(pool, sizeof(*e)), **v;
	char msgbuf[160];
	const char *err;
	size_t off = 0;

	if (e)
		e->match_text = qpool_strndup(pool, body, blen);
	v = qpool_grow(pool, p->entries, p->n_entries, &p->cap_entries,
		       sizeof(*v));
	if (!e || !e->match_text || !v) {
		p->oom = 1;
		return;
	}
	p->entries = v;
	e->file = p->file;
	e->line = p->lineno;
	/* trim */
	while (blen && is_blank(e->match_text[blen - 1]))
		e->match_text[--blen] = '\0';
	err = qparse_match(e->match_text, &e->m, &off, msgbuf, sizeof(msgbuf));
	if (err)
		perr(p, col + 1 + (unsigned)off, "%s", err);
	e->specificity = qmatch_specificity(&e->m);
	p->entries[p->n_entries++] = e;
	p->cur = e;
}

/*
 * inih's reader: one line per call.  What inih gets is either the line
 * itself or a replacement that keeps its line structure.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	const char *line, *nl, *s;
	size_t len, i;

	if (p->pos >= p->len)
		return NULL;
	line = p->buf + p->pos;
	nl = memchr(line, '\n', p->len - p->pos);
	len = nl ? (size_t)(nl - line) : p->len - p->pos;
	p->pos += len + (nl ? 1 : 0);
	p->lineno++;
	p->raw = line;
	p->rawlen = len;
	if (len && line[len - 1] == '\r')
		len--;
	p->rawlen = len;
	p->key_col = p->val_col = 0;

	if (memchr(line, '\0', len)) {
		perr(p, (unsigned)((const char *)memchr(line, '\0', len) -
				   line) + 1, "NUL byte in a quirk file");
		goto blank;
	}
	if (len + 3 > (size_t)num) {
		perr(p, (unsigned)num - 2, "line longer than %d characters "
		     "(continue a value on an indented line)", num - 3);
		goto blank;
	}
	/* UTF-8 byte order mark, as inih */
	s = line;
	if (p->lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	for (i = (size_t)(s - line); i < len && is_blank(line[i]); i++)
		;
	if (i == len || line[i] == ';' || line[i] == '#')
		goto blank;
	if (line[i] == '[') {
		const char *close = NULL;

		for (size_t j = len; j > i; j--)
			if (line[j - 1] == ']') {
				close = line + j - 1;
				break;
			}
		if (!close) {
			perr(p, (unsigned)i + 1, "section header without ']'");
			/* keys that follow belong to no valid entry */
			new_section(p, "", 0, (unsigned)i + 1);
		} else {
			const char *after = close + 1;

			while (after < line + len && is_blank(*after))
				after++;
			if (after < line + len && *after != ';' &&
			    *after != '#')
				perr(p, (unsigned)(after - line) + 1,
				     "text after the section header");
			new_section(p, line + i + 1,
				    (size_t)(close - line - (long)i - 1),
				    (unsigned)i + 1);
		}
		p->prev_key = false;
		snprintf(str, (size_t)num, "[%zu]\n", p->n_entries);
		return str;
	}
	if (i > (size_t)(s - line) && p->prev_key) {
		/* continuation of the previous key's value */
		p->val_col = (unsigned)i + 1;
	} else {
		size_t j = i;
		bool found = false;

		/* inih: the first '=' or ':' not inside an inline comment */
		for (; j < len; j++) {
			if (line[j] == '=' || line[j] == ':') {
				found = true;
				break;
			}
			if (line[j] == ';' && j > 0 && is_blank(line[j - 1]))
				break;
		}
		if (!found) {
			perr(p, (unsigned)i + 1, "expected 'key = value'");
			goto blank;
		}
		p->key_col = (unsigned)i + 1;
		for (j++; j < len && is_blank(line[j]); j++)
			;
		p->val_col = (unsigned)j + 1;
		p->prev_key = true;
	}
	memcpy(str, line, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
blank:
	str[0] = '\n';
	str[1] = '\0';
	return str;
}

/* ---- fields ------------------------------------------------------------ */

static const struct {
	const char *key;
	enum qfield f;
	bool list; /* may be given more than once */
} fields[] = {
	{ "name", QF_NAME, false },
	{ "methods", QF_METHODS, false },
	{ "avoid", QF_AVOID, true },
	{ "delay-after-reset", QF_DELAY, false },
	{ "timeout", QF_TIMEOUT, false },
	{ "pre", QF_PRE, true },
	{ "post", QF_POST, true },
	{ "run", QF_RUN, true },
	{ "blacklist", QF_BLACKLIST, true },
	{ "options", QF_OPTIONS, true },
	{ "cmdline", QF_CMDLINE, true },
	{ "d3hot-delay", QF_D3HOT, false },
	{ "reset", QF_RESET, true },
};

/* d3hot-delay = DURATION: the device's D3hot<->D0 recovery (the kernel's
 * per-device d3hot_delay, pci_dev_d3_sleep()); 0 is a value: the
 * kernel's quirk_remove_d3hot_delay() sets it to 0 (no sleep) */
static void parse_d3hot(struct parser *p, const char *value,
			struct kd_quirk_entry *e)
{
	const char *err = kd_duration_parse(value, strlen(value), 0,
					    &e->d3hot_ns);

	if (err)
		perr(p, p->val_col, "%s", err);
}

static const char *const kernel_methods[] = {
	"device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus",
};

static const char *const our_methods[] = {
	"flr", "af-flr", "pm", "bus", "virtio", "kernel", "quiesce",
	"device-specific",
};

bool kd_quirk_method_valid(const char *name)
{
	for (size_t i = 0; i < sizeof(our_methods) / sizeof(*our_methods); i++)
		if (strcmp(name, our_methods[i]) == 0)
			return true;
	if (strncmp(name, "kernel:", 7) == 0)
		for (size_t i = 0;
		     i < sizeof(kernel_methods) / sizeof(*kernel_methods); i++)
			if (strcmp(name + 7, kernel_methods[i]) == 0)
				return true;
	return false;
}

/* Splits value on commas and blanks; each word checked by check(). */
static void parse_words(struct parser *p, const char *value,
			struct qstrv *out, bool methods, bool no_dups)
{
	size_t pos = 0;
	bool any = false;

	for (;;) {
		size_t len;
		char word[64];

		while (value[pos] == ',' || is_blank(value[pos]))
			pos++;
		if (!value[pos])
			break;
		len = strcspn(value + pos, ", \t");
		any = true;
		if (methods) {
			snprintf(word, sizeof(word), "%.*s",
				 (int)(len < 63 ? len : 63), value + pos);
			if (len > 63 || !kd_quirk_method_valid(word)) {
				perr(p, p->val_col + (unsigned)pos,
				     "unknown reset method '%s' (flr, af-flr, "
				     "pm, bus, virtio, quiesce, "
				     "device-specific, kernel, kernel:NAME)",
				     word);
				pos += len;
				continue;
			}
		}
		if (no_dups) {
			bool dup = false;

			for (size_t i = 0; i < out->n; i++)
				if (strlen(out->v[i]) == len &&
				    memcmp(out->v[i], value + pos, len) == 0)
					dup = true;
			if (dup) {
				perr(p, p->val_col + (unsigned)pos,
				     "'%.*s' listed twice", (int)len,
				     value + pos);
				pos += len;
				continue;
			}
		}
		if (qstrv_push(&p->db->pool, out, value + pos, len) < 0)
			p->oom = 1;
		pos += len;
	}
	if (!any)
		perr(p, p->val_col, "empty list");
}

/* in_reset: the steps of `reset =`; flr and check only make sense there
 * (pre runs before the save: an FLR then would have the restore write the
 * zeroed BARs back; a failed check means "no device-specific reset") */
static void parse_step_into(struct parser *p, const char *value,
			    struct qstepv *sv, bool in_reset)
{
	struct qpool *pool = &p->db->pool;
	struct kd_quirk_step *s = qpool_alloc(pool, sizeof(*s)), **v;
	char msgbuf[160];
	const char *err;
	size_t off = 0;

	if (!s) {
		p->oom = 1;
		return;
	}
	err = qparse_step(pool, value, s, &off, msgbuf, sizeof(msgbuf));
	if (err) {
		perr(p, p->val_col + (unsigned)off, "%s", err);
		return;
	}
	if (!in_reset && (s->kind == KD_STEP_FLR || s->kind == KD_STEP_CHECK)) {
		perr(p, p->val_col, "%s is a step of the device-specific reset: "
		     "only in reset =", s->kind == KD_STEP_FLR ? "flr" : "check");
		return;
	}
	s->text = qpool_strndup(pool, value, strlen(value));
	s->file = p->file;
	s->line = p->lineno;
	v = qpool_grow(pool, sv->v, sv->n, &sv->cap, sizeof(*v));
	if (!s->text || !v) {
		p->oom = 1;
		return;
	}
	sv->v = v;
	sv->v[sv->n++] = s;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parser *p = user;
	struct kd_quirk_entry *e = p->cur;
	const char *err;
	size_t k;

	(void)section;
	if (p->oom)
		return 0;
	if (!e) {
		perr(p, p->key_col ? p->key_col : 1, "'%s' outside of a "
		     "[device] section", name);
		return 1;
	}
	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		if (strcmp(fields[k].key, name) == 0)
			break;
	if (k == sizeof(fields) / sizeof(fields[0])) {
		perr(p, p->key_col ? p->key_col : 1, "unknown key '%s'", name);
		return 1;
	}
	if (!*value) {
		perr(p, p->val_col ? p->val_col : 1, "'%s' has no value",
		     name);
		return 1;
	}
	if (e->seen[fields[k].f] && !fields[k].list) {
		perr(p, p->key_col ? p->key_col : p->val_col,
		     "'%s' given twice in this entry (first on line %u)", name,
		     e->seen[fields[k].f]);
		return 1;
	}
	if (!e->seen[fields[k].f])
		e->seen[fields[k].f] = p->lineno;

	switch (fields[k].f) {
	case QF_NAME:
		e->name = qpool_strndup(&p->db->pool, value, strlen(value));
		if (!e->name)
			p->oom = 1;
		break;
	case QF_METHODS:
		parse_words(p, value, &e->methods, true, true);
		break;
	case QF_AVOID:
		parse_words(p, value, &e->avoid, true, true);
		break;
	case QF_BLACKLIST:
		for (const char *c = value; *c; c++)
			if (!(*c == '_' || *c == '-' || *c == ',' ||
			      is_blank(*c) || (*c >= 'a' && *c <= 'z') ||
			      (*c >= 'A' && *c <= 'Z') ||
			      (*c >= '0' && *c <= '9'))) {
				perr(p, p->val_col + (unsigned)(c - value),
				     "module names are letters, digits, "
				     "'_' and '-'");
				return 1;
			}
		parse_words(p, value, &e->blacklist, false, true);
		break;
	case QF_OPTIONS:
		if (!strpbrk(value, " \t")) {
			perr(p, p->val_col, "expected: options = MODULE "
			     "PARAM=VALUE...");
			return 1;
		}
		if (qstrv_push(&p->db->pool, &e->options, value, strlen(value)) < 0)
			p->oom = 1;
		break;
	case QF_CMDLINE:
		if (qstrv_push(&p->db->pool, &e->cmdline, value, strlen(value)) < 0)
			p->oom = 1;
		break;
	case QF_D3HOT:
		parse_d3hot(p, value, e);
		break;
	case QF_DELAY:
	case QF_TIMEOUT:
		err = kd_duration_parse(value, strlen(value), 0,
					fields[k].f == QF_DELAY ? &e->delay_ns :
								  &e->timeout_ns);
		if (err)
			perr(p, p->val_col, "%s", err);
		else if (fields[k].f == QF_TIMEOUT && !e->timeout_ns)
			perr(p, p->val_col, "timeout must be non-zero");
		break;
	case QF_PRE:
		parse_step_into(p, value, &e->pre, false);
		break;
	case QF_POST:
		parse_step_into(p, value, &e->post, false);
		break;
	case QF_RESET:
		parse_step_into(p, value, &e->reset, true);
		break;
	case QF_RUN: {
		size_t n = strcspn(value, " \t");
		bool post = n == 4 && memcmp(value, "post", 4) == 0;
		char *step;

		if (!post && !(n == 3 && memcmp(value, "pre", 3) == 0)) {
			perr(p, p->val_col, "expected: run = pre|post "
			     "[timeout=DURATION] /PATH [ARG...]");
			return 1;
		}
		if (asprintf(&step, "run%s", value + n) < 0) {
			p->oom = 1;
			break;
		}
		/* columns in step errors: "run" stands where pre|post was */
		p->val_col += (unsigned)n - 3;
		parse_step_into(p, step, post ? &e->post : &e->pre, false);
		free(step);
		if (!e->seen[post ? QF_POST : QF_PRE])
			e->seen[post ? QF_POST : QF_PRE] = p->lineno;
		break;
	}
	case QF_COUNT:
		break;
	}
	return 1;
}

static bool entry_empty(const struct kd_quirk_entry *e)
{
	for (int f = 0; f < QF_COUNT; f++)
		if (f != QF_NAME && e->seen[f])
			return false;
	return true;
}

int kd_quirks_add_buffer(struct kd_quirks *db, const char *name,
			 const char *text, size_t len)
{
	struct parser p = { .db = db, .buf = text, .len = len };
	int ret;

	p.file = quirks_intern_file(db, name);
	if (!p.file)
		return -ENOMEM;
	ret = ini_parse_stream(reader, &p, handler, &p);
	if (ret == -2)
		p.oom = 1;
	else if (ret > 0 && !p.errors && !p.oom) {
		/* inih saw an error the reader let through */
		p.lineno = (unsigned)ret;
		perr(&p, 1, "syntax error");
	}
	for (size_t i = 0; i < p.n_entries && !p.oom; i++)
		if (entry_empty(p.entries[i]))
			pwarn(&p, p.entries[i]->line, 1,
			      "entry sets nothing (no effect)");
	if (p.oom || p.errors) {
		/* its entries stay unused in the pool until the db is freed */
		db->n_rejected++;
		if (p.oom)
			return -ENOMEM;
		ERR(db->ctx, "%s: rejected (%u error%s), none of its entries "
			     "apply", p.file, p.errors,
		    p.errors == 1 ? "" : "s");
		return -EINVAL;
	}
	for (size_t i = 0; i < p.n_entries; i++) {
		struct kd_quirk_entry **v = qpool_grow(&db->pool, db->entries,
						       db->n_entries,
						       &db->cap_entries,
						       sizeof(*v));

		if (!v)
			return -ENOMEM;
		db->entries = v;
		p.entries[i]->order = db->n_entries;
		db->entries[db->n_entries++] = p.entries[i];
	}
	db->n_loaded++;
	return 0;
}
