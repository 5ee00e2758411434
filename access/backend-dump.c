// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Read-only access to an lspci -x dump.  Annotations (driver=,
 * reset_method=, parent=, physfn=, ...) stand in for the sysfs files a dump
 * cannot carry; without parent=, a function's parent is the bridge whose
 * secondary..subordinate range holds its bus.
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
	size_t len;
	uint8_t *cfg;
	char *annot; /* "key\0value\0..." as the parser packed it */
	size_t annot_len;
};

struct dump_state {
	struct dump_func *v;
	size_t n, cap;
	int bad;
};

static int add_func(const struct kd_dump_func *f, void *data)
{
	struct dump_state *st = data;
	uint8_t *cfg;
	char *annot;

	for (size_t i = 0; i < st->n; i++)
		if (kd_addr_eq(&st->v[i].addr, &f->addr))
			return 0; /* first one wins, as in libpci */
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
	st->v[st->n++] = (struct dump_func){ .addr = f->addr, .len = f->len,
					     .cfg = cfg, .annot = annot,
					     .annot_len = f->annot_used };
	return 0;
}

static void dump_cleanup(struct kd_ctx *ctx, void *state)
{
	struct dump_state *st = state;

	(void)ctx;
	for (size_t i = 0; i < st->n; i++) {
		free(st->v[i].annot);
		free(st->v[i].cfg);
	}
	free(st->v);
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
	*state = st;
	return 0;
}

static struct dump_func *find(struct dump_state *st, const struct kd_addr *a)
{
	for (size_t i = 0; i < st->n; i++)
		if (kd_addr_eq(&st->v[i].addr, a))
			return &st->v[i];
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
	const char *v;

	(void)ctx;
	if (!d)
		return -ENODEV;
	v = annot(d, "parent");
	if (v)
		return kd_addr_parse(v, parent);
	/* the bridge whose secondary bus is ours */
	for (size_t i = 0; i < st->n; i++) {
		const struct dump_func *b = &st->v[i];

		if (b->len > PCI_SECONDARY_BUS &&
		    (b->cfg[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK) ==
			    PCI_HEADER_TYPE_BRIDGE &&
		    b->addr.domain == a->domain &&
		    b->cfg[PCI_SECONDARY_BUS] == a->bus &&
		    !kd_addr_eq(&b->addr, a)) {
			*parent = b->addr;
			return 0;
		}
	}
	return -ENOENT;
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
	.config_write = dump_config_write,
	.attr_read = dump_attr_read,
	.link_read = dump_link_read,
	.parent = dump_parent,
	.driver = dump_driver,
};
