// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The whitelist's fast path: a strict JSON scanner that walks one journal
 * line without building objects or allocating, keeps only the fields the
 * merge needs (pointers into the line) and checks them as
 * kd_journal_validate() does.  It accepts only what it is sure of: any
 * escape in a needed string, a fraction or exponent, a long integer, a
 * repeated key, deep nesting, anything json-c's lenient mode would allow
 * beyond RFC 8259, any invalid record — it says "not sure" and the caller
 * lets json-c decide, so the verdicts and the reasons for skipped lines
 * are json-c's.  docs/whitelist.md, "Memory and speed".
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whitelist/internal.h"

/* deeper than any record; json-c's own limit is 32 */
#define MAX_DEPTH 16
/* at most 18 digits: always within int64, as json-c reads it */
#define MAX_INT_DIGITS 18

enum tok_type { T_ABSENT, T_STR, T_ESC_STR, T_INT, T_NULL, T_ARRAY,
		T_OTHER };

struct tok {
	enum tok_type type;
	char *s; /* T_STR, T_ESC_STR: the text (not terminated) */
	size_t len;
	long long num; /* T_INT */
};

/* the fields kept, of a record (all) and of a device (the D_ ones) */
enum field { D_ADDRESS, D_VENDOR, D_DEVICE, D_SUBSYS_VENDOR, D_SUBSYS_DEVICE,
	     D_CLASS, D_DRIVER, N_DEV_FIELDS,
	     F_SCHEMA = N_DEV_FIELDS, F_KIND, F_MACHINE, F_KERNEL, F_CYCLE,
	     F_REPEAT, F_VARIANT, F_STEP, F_MODULE, F_OUTCOME, F_DEVICES,
	     N_FIELDS };

static const char *const field_names[N_FIELDS] = {
	"address", "vendor", "device", "subsys_vendor", "subsys_device",
	"class", "driver", "schema", "kind", "machine", "kernel", "cycle",
	"repeat", "variant", "step", "module", "outcome", "devices",
};

struct kd_wl_scanner {
	const char *p, *end; /* *end == '\0' */
	struct tok rec[N_FIELDS];
	struct tok (*devs)[N_DEV_FIELDS]; /* of a cycle intent; reused */
	size_t n_devs, cap_devs;
	bool nomem;
};

int kd_wl_scanner_new(struct kd_wl_scanner **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void kd_wl_scanner_free(struct kd_wl_scanner *sc)
{
	if (sc)
		free(sc->devs);
	free(sc);
}

/* ---- RFC 8259, strictly -------------------------------------------------- */

static void skip_ws(struct kd_wl_scanner *sc)
{
	while (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\r')
		sc->p++;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* The first of p[0..7] that ends a plain run of string ('"', '\\' or a
 * control character), 8 when none does: a word at a time, the lowest
 * flagged byte is exact (borrows only run upwards).  Little endian. */
static unsigned plain8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101u, high = ones << 7;
	uint64_t v, q, b, t;

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	return 0; /* the bytes one by one */
#endif
	memcpy(&v, p, 8);
	q = v ^ (ones * '"');
	b = v ^ (ones * '\\');
	t = (((v - ones * 0x20) & ~v) | ((q - ones) & ~q) |
	     ((b - ones) & ~b)) & high;
	return t ? (unsigned)__builtin_ctzll(t) / 8 : 8;
}

/* At '"': the string into *t (T_STR, or T_ESC_STR when it has escapes). */
static bool string(struct kd_wl_scanner *sc, struct tok *t)
{
	const unsigned char *p = (const unsigned char *)sc->p + 1;
	const unsigned char *end = (const unsigned char *)sc->end;
	unsigned n;

	t->type = T_STR;
	t->s = (char *)p;
	for (;; p++) {
		/* bytes >= 0x80 pass: json-c does not check UTF-8 either */
		while (end - p >= 8) {
			n = plain8(p);
			p += n;
			if (n < 8)
				break;
		}
		while (*p >= 0x20 && *p != '"' && *p != '\\')
			p++;
		if (*p == '"')
			break;
		if (*p != '\\')
			return false; /* a control character, or the line end */
		t->type = T_ESC_STR;
		p++;
		if (*p == 'u') {
			if (!is_hex((char)p[1]) || !is_hex((char)p[2]) ||
			    !is_hex((char)p[3]) || !is_hex((char)p[4]))
				return false;
			p += 4;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return false;
		}
	}
	t->len = (size_t)((const char *)p - t->s);
	sc->p = (const char *)p + 1;
	return true;
}

/* An integer of at most MAX_INT_DIGITS digits; anything else is left to
 * json-c (fractions, exponents, long or saturating numbers). */
static bool number(struct kd_wl_scanner *sc, struct tok *t)
{
	const char *p = sc->p, *digits;
	long long v = 0;

	if (*p == '-')
		p++;
	digits = p;
	while (*p >= '0' && *p <= '9' && p - digits < MAX_INT_DIGITS)
		v = v * 10 + (*p++ - '0');
	if (p == digits || (*p >= '0' && *p <= '9') || /* too long */
	    (*digits == '0' && p - digits > 1) ||
	    *p == '.' || *p == 'e' || *p == 'E')
		return false;
	t->type = T_INT;
	t->num = *sc->p == '-' ? -v : v;
	sc->p = p;
	return true;
}

static bool value(struct kd_wl_scanner *sc, struct tok *t, int depth);

/* The fields by name length, each as its index + 1 (0 ends a list). */
static const unsigned char by_len[14][8] = {
	[4] = { F_KIND + 1, F_STEP + 1 },
	[5] = { D_CLASS + 1, F_CYCLE + 1 },
	[6] = { D_VENDOR + 1, D_DEVICE + 1, D_DRIVER + 1, F_SCHEMA + 1,
		F_KERNEL + 1, F_REPEAT + 1, F_MODULE + 1 },
	[7] = { D_ADDRESS + 1, F_MACHINE + 1, F_VARIANT + 1, F_OUTCOME + 1,
		F_DEVICES + 1 },
	[13] = { D_SUBSYS_VENDOR + 1, D_SUBSYS_DEVICE + 1 },
};

/* The index of the field named key among the first n of field_names, or
 * -1.  Called for every key of every line: a table, not a search; length,
 * first and last letters tell the fields apart, one compare confirms. */
static int field_of(const struct tok *key, int n)
{
	const unsigned char *c;
	const char *name;

	if (key->len >= sizeof(by_len) / sizeof(by_len[0]))
		return -1;
	for (c = by_len[key->len]; *c; c++) {
		name = field_names[*c - 1];
		if (name[0] != key->s[0] ||
		    name[key->len - 1] != key->s[key->len - 1])
			continue;
		for (size_t i = 1; i < key->len - 1; i++)
			if (name[i] != key->s[i])
				return -1;
		return *c - 1 < n ? *c - 1 : -1;
	}
	return -1;
}

/* At '{': members kept in out[] (n_kept fields of field_names; 0: none).
 * A key twice, or an escaped key, is left to json-c. */
static bool object(struct kd_wl_scanner *sc, struct tok *out, int n_kept,
		   int depth)
{
	struct tok key, ignored;
	int f;

	if (depth > MAX_DEPTH)
		return false;
	sc->p++;
	skip_ws(sc);
	if (*sc->p == '}') {
		sc->p++;
		return true;
	}
	for (;;) {
		if (*sc->p != '"' || !string(sc, &key) || key.type != T_STR)
			return false;
		skip_ws(sc);
		if (*sc->p++ != ':')
			return false;
		skip_ws(sc);
		f = n_kept ? field_of(&key, n_kept) : -1;
		if (f >= 0 && out[f].type != T_ABSENT)
			return false;
		if (!value(sc, f >= 0 ? &out[f] : &ignored, depth + 1))
			return false;
		skip_ws(sc);
		if (*sc->p == '}') {
			sc->p++;
			return true;
		}
		if (*sc->p++ != ',')
			return false;
		skip_ws(sc);
	}
}

/* At '[': an array; with devs, its objects are kept as devices. */
static bool array(struct kd_wl_scanner *sc, bool devs, int depth)
{
	struct tok ignored;

	if (depth > MAX_DEPTH)
		return false;
	sc->p++;
	skip_ws(sc);
	if (*sc->p == ']') {
		sc->p++;
		return true;
	}
	for (;;) {
		if (!devs || *sc->p != '{') {
			if (!value(sc, &ignored, depth + 1) || devs)
				return false; /* a device that is no object */
		} else {
			if (sc->n_devs == sc->cap_devs) {
				size_t cap = sc->cap_devs ? 2 * sc->cap_devs : 16;
				void *grown = realloc(sc->devs,
						      cap * sizeof(*sc->devs));

				if (!grown) {
					sc->nomem = true;
					return false;
				}
				sc->devs = grown;
				sc->cap_devs = cap;
			}
			memset(sc->devs[sc->n_devs], 0, sizeof(*sc->devs));
			if (!object(sc, sc->devs[sc->n_devs++], N_DEV_FIELDS,
				    depth + 1))
				return false;
		}
		skip_ws(sc);
		if (*sc->p == ']') {
			sc->p++;
			return true;
		}
		if (*sc->p++ != ',')
			return false;
		skip_ws(sc);
	}
}

static bool literal(struct kd_wl_scanner *sc, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(sc->p, word, n) != 0)
		return false;
	sc->p += n;
	return true;
}

static bool value(struct kd_wl_scanner *sc, struct tok *t, int depth)
{
	t->type = T_OTHER;
	switch (*sc->p) {
	case '"':
		return string(sc, t);
	case '{':
		return object(sc, NULL, 0, depth);
	case '[':
		t->type = T_ARRAY;
		return array(sc, t == &sc->rec[F_DEVICES], depth);
	case 't':
		return literal(sc, "true");
	case 'f':
		return literal(sc, "false");
	case 'n':
		t->type = T_NULL;
		return literal(sc, "null");
	default:
		return number(sc, t);
	}
}

/* ---- the record, as kd_journal_validate() checks it --------------------- */

/* Nothing is written into the line until the record is known good: a
 * line the scanner is not sure of goes to json-c as it was read. */

static bool is_str(const struct tok *t)
{
	return t->type == T_STR || t->type == T_ESC_STR;
}

static bool is(const struct tok *t, const char *s)
{
	return t->type == T_STR && strncmp(t->s, s, t->len) == 0 &&
	       s[t->len] == '\0';
}

/* at least 4 hex digits; exactly 4 when exact */
static bool hex_at_least4(const struct tok *t)
{
	return t->type == T_STR && t->len >= 4 && is_hex(t->s[0]) &&
	       is_hex(t->s[1]) && is_hex(t->s[2]) && is_hex(t->s[3]);
}

static bool hex4(const struct tok *t)
{
	return t->len == 4 && hex_at_least4(t);
}

/* the value of a string of hex digits only */
static uint32_t hex(const struct tok *t)
{
	uint32_t v = 0;

	for (size_t i = 0; i < t->len; i++)
		v = v << 4 | (uint32_t)(t->s[i] <= '9' ? t->s[i] - '0' :
					(t->s[i] | 0x20) - 'a' + 10);
	return v;
}

/* kd_journal_validate()'s device fields, and a driver and class the
 * scanner can read (an escaped one is left to json-c). */
static bool device_ok(const struct tok *d)
{
	return is_str(&d[D_ADDRESS]) && hex4(&d[D_VENDOR]) &&
	       hex4(&d[D_DEVICE]) && hex4(&d[D_SUBSYS_VENDOR]) &&
	       hex4(&d[D_SUBSYS_DEVICE]) && d[D_DRIVER].type != T_ESC_STR &&
	       d[D_CLASS].type != T_ESC_STR;
}

/* A string token terminated in place (at its closing quote); NULL when
 * it is no string, as json-c's get() in merge.c. */
static const char *str(struct tok *t)
{
	if (t->type != T_STR)
		return NULL;
	t->s[t->len] = '\0';
	return t->s;
}

/* The key of a device_ok() device, as json_key() in merge.c makes it. */
static struct kd_wl_key device_key(struct tok *d)
{
	const char *cls;
	struct kd_wl_key k = {
		.vendor = (uint16_t)hex(&d[D_VENDOR]),
		.device = (uint16_t)hex(&d[D_DEVICE]),
		.subsys_vendor = (uint16_t)hex(&d[D_SUBSYS_VENDOR]),
		.subsys_device = (uint16_t)hex(&d[D_SUBSYS_DEVICE]),
		.driver = str(&d[D_DRIVER]),
	};

	if (d[D_CLASS].len == 6 && hex_at_least4(&d[D_CLASS]) &&
	    is_hex(d[D_CLASS].s[4]) && is_hex(d[D_CLASS].s[5])) {
		k.class_code = hex(&d[D_CLASS]);
	} else {
		cls = str(&d[D_CLASS]); /* as merge.c reads any other */
		k.class_code = cls ? (uint32_t)strtoul(cls, NULL, 16) : 0;
	}
	return k;
}

static bool outcome_of(const struct tok *t, enum kd_outcome *o)
{
	for (unsigned i = 0; i < KD_OUTCOME_COUNT; i++) {
		if (is(t, kd_outcome_name((enum kd_outcome)i))) {
			*o = (enum kd_outcome)i;
			return true;
		}
	}
	return false;
}

/* The merge of a scanned record: 1, 0 when it is not sure, -ENOMEM. */
static int merge(struct kd_wl_scanner *sc, struct kd_wl *wl)
{
	struct tok *r = sc->rec;
	struct kd_wl_key k;
	const char *kernel;
	enum kd_outcome o;
	int ret;

	if (r[F_SCHEMA].type != T_INT || r[F_SCHEMA].num < 1 ||
	    r[F_SCHEMA].num > KD_JOURNAL_SCHEMA || !is_str(&r[F_MACHINE]) ||
	    r[F_KERNEL].type != T_STR || r[F_VARIANT].type != T_STR ||
	    r[F_CYCLE].type != T_INT || r[F_REPEAT].type != T_INT)
		return 0;
	if (is(&r[F_KIND], "outcome")) {
		if (!device_ok(r) || !outcome_of(&r[F_OUTCOME], &o))
			return 0;
		k = device_key(r);
		kernel = str(&r[F_KERNEL]);
		ret = kd_wl_merge_outcome(wl, kernel, &k, str(&r[F_VARIANT]),
					  o);
		return ret < 0 ? ret : 1;
	}
	if (!is(&r[F_KIND], "intent"))
		return 0;
	if (is(&r[F_STEP], "load"))
		return is_str(&r[F_MODULE]) && device_ok(r) ? 1 : 0;
	if (!is(&r[F_STEP], "cycle") || r[F_DEVICES].type != T_ARRAY)
		return 0;
	/* every device checked before any is merged: a line counts whole */
	for (size_t i = 0; i < sc->n_devs; i++)
		if (!device_ok(sc->devs[i]))
			return 0;
	kernel = str(&r[F_KERNEL]);
	for (size_t i = 0; i < sc->n_devs; i++) {
		k = device_key(sc->devs[i]);
		if ((ret = kd_wl_merge_listed(wl, kernel, &k)) < 0)
			return ret;
	}
	return 1;
}

int kd_wl_scan_line(struct kd_wl_scanner *sc, struct kd_wl *wl, char *line,
		    size_t len)
{
	memset(sc->rec, 0, sizeof(sc->rec));
	sc->n_devs = 0;
	sc->nomem = false;
	sc->p = line;
	sc->end = line + len;
	/* json-c reads leading blanks and trailing ones; the scanner leaves
	 * both to it, and any record that is no object */
	if (*sc->p != '{' || !object(sc, sc->rec, N_FIELDS, 1))
		return sc->nomem ? -ENOMEM : 0;
	if (sc->p != line + len)
		return 0;
	return merge(sc, wl);
}
