// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the bus-reset scope check (kd_bus_scope_check()) weighs of each
 * function below a bridge, found once per run: every target below the
 * same bridge asks about the same siblings, and opening and identifying
 * each one again per target was most of a run's work.  The facts are
 * identity and binding (the quirk database's word on the IDs, the bound
 * driver, whether config space could be read at all); a reset changes
 * none of them.  kdsafe binds nothing, but udev may load a driver during
 * the run, so the scope check reads the binding again each time
 * (rebind() in bus.c); the memo's is only the first one seen.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

struct kd_bus_facts {
	pthread_mutex_t lock;
	struct kd_bus_fact *v;
	size_t n, cap;
};

struct kd_bus_facts *kd_bus_facts_new(void)
{
	struct kd_bus_facts *f = calloc(1, sizeof(*f));

	if (f)
		pthread_mutex_init(&f->lock, NULL);
	return f;
}

void kd_bus_facts_free(struct kd_bus_facts *f)
{
	if (!f)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f->v);
	free(f);
}

bool kd_bus_facts_get(struct kd_bus_facts *f, const struct kd_addr *a,
		      struct kd_bus_fact *out)
{
	bool found = false;

	if (!f)
		return false;
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->n && !found; i++)
		if (kd_addr_eq(&f->v[i].addr, a)) {
			*out = f->v[i];
			found = true;
		}
	pthread_mutex_unlock(&f->lock);
	return found;
}

void kd_bus_facts_put(struct kd_bus_facts *f, const struct kd_bus_fact *fact)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct kd_bus_fact *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			goto out; /* only a memo: asked again next time */
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = *fact;
out:
	pthread_mutex_unlock(&f->lock);
}
