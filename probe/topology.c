// SPDX-License-Identifier: GPL-2.0-or-later
/* Every function and its upstream bridge: siblings, domains, bus resets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "sriov.h"

struct loader {
	struct kd_ctx *ctx;
	struct kd_topo *t;
	size_t cap;
};

static int add(const struct kd_addr *a, void *data)
{
	struct loader *l = data;
	struct kd_topo_node *nd;
	int err;

	if (l->t->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct kd_topo_node *v = realloc(l->t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->t->v = v;
		l->cap = cap;
	}
	nd = &l->t->v[l->t->n++];
	memset(nd, 0, sizeof(*nd));
	nd->addr = *a;
	err = kd_function_parent(l->ctx, a, &nd->parent);
	nd->has_parent = err == 0;
	if (err < 0 && err != -ENOENT) {
		char s[KD_ADDR_STRLEN];

		WARN(l->ctx, "%s: cannot find its parent bridge: %s",
		     kd_addr_format(a, s), strerror(-err));
	}
	return 0;
}

int kd_topo_load(struct kd_ctx *ctx, struct kd_topo *t)
{
	struct loader l = { .ctx = ctx, .t = t };
	int err;

	memset(t, 0, sizeof(*t));
	/* address order; a skipped entry was logged as an error */
	err = kd_enumerate(ctx, add, &l, NULL);
	if (err == 0)
		err = kd_topo_pfs_new(t->n, &t->pfs);
	if (err < 0)
		kd_topo_free(t);
	return err;
}

void kd_topo_free(struct kd_topo *t)
{
	free(t->v);
	kd_topo_pfs_free(t->pfs);
	memset(t, 0, sizeof(*t));
}

const struct kd_topo_node *kd_topo_find(const struct kd_topo *t,
					const struct kd_addr *a)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = kd_addr_cmp(&t->v[mid].addr, a);

		if (c == 0)
			return &t->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool kd_topo_below(const struct kd_topo *t, const struct kd_addr *a,
		   const struct kd_addr *anc)
{
	const struct kd_topo_node *nd = kd_topo_find(t, a);

	/* bounded: 256 buses per domain at most */
	for (int depth = 0; nd && nd->has_parent && depth < 256; depth++) {
		if (kd_addr_eq(&nd->parent, anc))
			return true;
		nd = kd_topo_find(t, &nd->parent);
	}
	return false;
}

static bool same_bus(const struct kd_addr *a, const struct kd_addr *b)
{
	return a->domain == b->domain && a->bus == b->bus;
}

size_t kd_topo_bus(const struct kd_topo *t, const struct kd_addr *a,
		   size_t *end)
{
	size_t lo = 0, hi = t->n;

	/* sorted by address, so a bus is one contiguous run */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct kd_addr *m = &t->v[mid].addr;

		if (m->domain < a->domain ||
		    (m->domain == a->domain && m->bus < a->bus))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (*end = lo; *end < t->n && same_bus(&t->v[*end].addr, a); (*end)++)
		;
	return lo;
}
