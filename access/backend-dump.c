// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Read-only access to an lspci -x dump.  Annotations (driver=,
 * reset_method=, parent=, physfn=, ...) stand in for the sysfs files a dump
 * cannot carry; without parent=, a function's parent is the bridge whose
 * secondary bus is its bus.
 *
 * Look-ups are O(log n): the functions are sorted by address once parsed
 * (duplicates dropped, the first in the file wins as in libpci) and found
 * with bsearch; bridges are indexed by secondary bus.  A dump
 * of 100,000 functions must not take minutes (make bench).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "dump.h"
#include "regs.h"

struct dump_func {
	struct kd_addr addr;
	size_t seq; /* position in the file: the first duplicate wins */
	size_t len;
	uint8_t *cfg;
	char *annot; /* "key\0value\0..." as the parser packed it */
	size_t annot_len;
};

/* a bridge by the bus below it */
struct bridge_key {
	uint32_t domain;
	uint8_t secondary;
	size_t idx; /* into dump_state.v */
};

struct dump_state {
	struct dump_func *v;
	size_t n, cap;
	int bad;
	struct bridge_key *bridges; /* sorted by (domain, secondary) */
	size_t n_bridges;
};

static int add_func(const struct kd_dump_func *f, void *data)
{
	struct dump_state *st = data;
	uint8_t *cfg;
	char *annot;

	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 32;
		struct dump_func *v = realloc(st->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		st->v = v;
		st->cap = cap;
	}
	cfg = malloc(f->len);
	annot = malloc(f->annot_used + 1);
	if (!cfg || !annot) {
		free(cfg);
		free(annot);
		return -ENOMEM;
	}
	memcpy(cfg, f->cfg, f->len);
	memcpy(annot, f->annot_buf, f->annot_used);
	st->v[st->n] = (struct dump_func){ .addr = f->addr, .seq = st->n,
					   .len = f->len,
					     .cfg = cfg, .annot = annot,
					     .annot_len = f->annot_used };
	st->n++;
	return 0;
}

static int cmp_func(const void *a, const void *b)
{
	const struct dump_func *x = a, *y = b;
	int c = kd_addr_cmp(&x->addr, &y->addr);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Address order, one entry per address: the first in the file wins. */
static void sort_and_dedup(struct dump_state *st)
{
	size_t out = 0;

	if (st->n)
		qsort(st->v, st->n, sizeof(*st->v), cmp_func);
	for (size_t i = 0; i < st->n; i++) {
		if (out && kd_addr_eq(&st->v[out - 1].addr, &st->v[i].addr)) {
			free(st->v[i].annot);
			free(st->v[i].cfg);
			continue;
		}
		st->v[out++] = st->v[i];
	}
	st->n = out;
}

static int build_bridges(struct dump_state *st);

static void dump_cleanup(struct kd_ctx *ctx, void *state)
{
	struct dump_state *st = state;

	(void)ctx;
	for (size_t i = 0; i < st->n; i++) {
		free(st->v[i].annot);
		free(st->v[i].cfg);
	}
	free(st->v);
	free(st->bridges);
	free(st);
}

static int dump_init(struct kd_ctx *ctx, void *data, void **state)
{
	struct dump_state *st = calloc(1, sizeof(*st));
	int ret;

	if (!st)
		return -ENOMEM;
	ret = kd_dump_parse(ctx, data, add_func, st);
	if (ret < 0) {
		dump_cleanup(ctx, st);
		return ret;
	}
	st->bad = ret;
	sort_and_dedup(st);
	/* built here, not on first use: reset workers look up in parallel */
	ret = build_bridges(st);
	if (ret < 0) {
		dump_cleanup(ctx, st);
		return ret;
	}
	*state = st;
	return 0;
}

static int cmp_addr_func(const void *key, const void *elem)
{
	return kd_addr_cmp(key, &((const struct dump_func *)elem)->addr);
}

static struct dump_func *find(struct dump_state *st, const struct kd_addr *a)
{
	return st->n ? bsearch(a, st->v, st->n, sizeof(*st->v),
			       cmp_addr_func) : NULL;
}

static int cmp_bridge(const void *a, const void *b)
{
	const struct bridge_key *x = a, *y = b;

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	if (x->secondary != y->secondary)
		return x->secondary < y->secondary ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static bool is_type1(const struct dump_func *f)
{
	return f->len > PCI_SECONDARY_BUS &&
	       (f->cfg[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK) ==
		       PCI_HEADER_TYPE_BRIDGE;
}

/* Type 1 headers by (domain, secondary bus). */
static int build_bridges(struct dump_state *st)
{
	size_t n = 0;

	for (size_t i = 0; i < st->n; i++)
		if (is_type1(&st->v[i]))
			n++;
	if (!n)
		return 0;
	st->bridges = calloc(n, sizeof(*st->bridges));
	if (!st->bridges)
		return -ENOMEM;
	for (size_t i = 0; i < st->n; i++)
		if (is_type1(&st->v[i]))
			st->bridges[st->n_bridges++] = (struct bridge_key){
				.domain = st->v[i].addr.domain,
				.secondary = st->v[i].cfg[PCI_SECONDARY_BUS],
				.idx = i };
	qsort(st->bridges, n, sizeof(*st->bridges), cmp_bridge);
	return 0;
}

/* The first bridge (address order) whose secondary bus is a's bus. */
static const struct dump_func *bridge_above(struct dump_state *st,
					    const struct kd_addr *a)
{
	size_t lo = 0, hi = st->n_bridges;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct bridge_key *k = &st->bridges[mid];

		if (k->domain < a->domain ||
		    (k->domain == a->domain && k->secondary < a->bus))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < st->n_bridges && st->bridges[lo].domain == a->domain &&
	       st->bridges[lo].secondary == a->bus; lo++)
		if (!kd_addr_eq(&st->v[st->bridges[lo].idx].addr, a))
			return &st->v[st->bridges[lo].idx];
	return NULL;
}

static const char *annot(const struct dump_func *d, const char *key)
{
	const char *p = d->annot, *end = d->annot + d->annot_len;

	while (p < end) {
		const char *value = p + strlen(p) + 1;

		if (strcmp(p, key) == 0)
			return value;
		p = value + strlen(value) + 1;
	}
	return NULL;
}

static int dump_enumerate(struct kd_ctx *ctx, void *state, kd_enum_fn fn,
			  void *data, int *bad)
{
	struct dump_state *st = state;
	int err = 0;

	(void)ctx;
	*bad += st->bad;
	for (size_t i = 0; i < st->n && err == 0; i++)
		err = fn(&st->v[i].addr, data);
	return err;
}

static ssize_t dump_config_read(struct kd_ctx *ctx, void *state,
				const struct kd_addr *a, unsigned pos,
				void *buf, size_t len)
{
	struct dump_func *d = find(state, a);

	(void)ctx;
	if (!d)
		return -ENODEV;
	if (pos >= d->len)
		return 0;
	if (len > d->len - pos)
		len = d->len - pos;
	memcpy(buf, d->cfg + pos, len);
	return (ssize_t)len;
}

static ssize_t dump_config_size(struct kd_ctx *ctx, void *state,
				const struct kd_addr *a)
{
	struct dump_func *d = find(state, a);

	(void)ctx;
	return d ? (ssize_t)d->len : -ENODEV;
}

static int dump_config_write(struct kd_ctx *ctx, void *state,
			     const struct kd_addr *a, unsigned pos,
			     const void *buf, size_t len)
{
	(void)ctx, (void)state, (void)a, (void)pos, (void)buf, (void)len;
	return -EROFS;
}

static ssize_t copy_out(const char *v, char *buf, size_t len)
{
	size_t n = strlen(v);

	if (n >= len)
		return -EOVERFLOW;
	memcpy(buf, v, n + 1);
	return (ssize_t)n;
}

static ssize_t dump_attr_read(struct kd_ctx *ctx, void *state,
			      const struct kd_addr *a, const char *name,
			      char *buf, size_t len)
{
	struct dump_func *d = find(state, a);
	const char *v;

	(void)ctx;
	if (!d)
		return -ENODEV;
	v = annot(d, name);
	return v ? copy_out(v, buf, len) : -ENOENT;
}

static ssize_t dump_link_read(struct kd_ctx *ctx, void *state,
			      const struct kd_addr *a, const char *name,
			      char *buf, size_t len)
{
	return dump_attr_read(ctx, state, a, name, buf, len);
}

static int dump_parent(struct kd_ctx *ctx, void *state,
		       const struct kd_addr *a, struct kd_addr *parent)
{
	struct dump_state *st = state;
	struct dump_func *d = find(st, a);
	const struct dump_func *b;
	const char *v;

	(void)ctx;
	if (!d)
		return -ENODEV;
	v = annot(d, "parent");
	if (v)
		return kd_addr_parse(v, parent);
	/* the bridge whose secondary bus is ours */
	b = bridge_above(st, a);
	if (!b)
		return -ENOENT;
	*parent = b->addr;
	return 0;
}

static int dump_driver(struct kd_ctx *ctx, void *state,
		       const struct kd_addr *a, char *name, size_t len,
		       bool *builtin)
{
	struct dump_func *d = find(state, a);
	const char *drv, *bi;
	ssize_t n;

	(void)ctx;
	if (!d)
		return -ENODEV;
	drv = annot(d, "driver");
	if (!drv)
		return -ENOENT;
	n = copy_out(drv, name, len);
	if (n < 0)
		return (int)n;
	bi = annot(d, "builtin");
	*builtin = bi && strcmp(bi, "1") == 0;
	return 0;
}

const struct kd_backend kd_backend_dump = {
	.name = "dump",
	.init = dump_init,
	.cleanup = dump_cleanup,
	.enumerate = dump_enumerate,
	.config_read = dump_config_read,
	.config_size = dump_config_size,
	.config_write = dump_config_write,
	.attr_read = dump_attr_read,
	.link_read = dump_link_read,
	.parent = dump_parent,
	.driver = dump_driver,
};
