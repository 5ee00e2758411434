// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Matching a device against the database and merging the entries that
 * apply.  Order of merging: specificity ascending, then load order; later
 * entries replace methods / delay-after-reset / timeout / pre / post, and
 * the lists (avoid, blacklist, options, cmdline) accumulate.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void kd_quirk_id_from_probe(const struct kd_probe_info *in,
			    struct kd_quirk_id *id)
{
	memset(id, 0, sizeof(*id));
	id->vendor = in->vendor;
	id->device = in->device;
	id->subsys_vendor = in->subsys_vendor;
	id->subsys_device = in->subsys_device;
	id->class_code = in->class_code;
	id->revision = in->revision;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct kd_quirk_entry *x = *(const struct kd_quirk_entry *const *)a;
	const struct kd_quirk_entry *y = *(const struct kd_quirk_entry *const *)b;

	if (x->specificity != y->specificity)
		return x->specificity < y->specificity ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* A growable array of borrowed pointers. */
struct pvec {
	size_t n, cap;
	const void **v;
};

static int pvec_push(struct pvec *pv, const void *p)
{
	if (pv->n + 1 >= pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 8;
		const void **v = realloc(pv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		pv->v = v;
		pv->cap = cap;
	}
	pv->v[pv->n++] = p;
	pv->v[pv->n] = NULL;
	return 0;
}

static bool pvec_has_str(const struct pvec *pv, const char *s)
{
	for (size_t i = 0; i < pv->n; i++)
		if (strcmp(pv->v[i], s) == 0)
			return true;
	return false;
}

static int union_into(struct pvec *pv, const struct qstrv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!pvec_has_str(pv, sv->v[i]) && pvec_push(pv, sv->v[i]) < 0)
			return -ENOMEM;
	return 0;
}

static void steps_from(struct kd_quirk_steps *out, const struct qstepv *sv)
{
	/* the entry's own array of step pointers is already contiguous */
	out->n = sv->n;
	out->v = (const struct kd_quirk_step *const *)sv->v;
}

/* The kernel's reset_method names that are one of our mechanisms. */
static const char *kernel_base(const char *kname)
{
	if (strcmp(kname, "af_flr") == 0)
		return "af-flr";
	if (strcmp(kname, "cxl_bus") == 0)
		return "bus";
	if (strcmp(kname, "device_specific") == 0)
		return "device-specific";
	return kname;
}

static bool avoids(const struct kd_quirk_strv *avoid, const char *method)
{
	for (size_t i = 0; i < avoid->n; i++) {
		const char *a = avoid->v[i];

		if (strcmp(a, method) == 0)
			return true;
		if (strncmp(method, "kernel:", 7) == 0 &&
		    (strcmp(a, "kernel") == 0 ||
		     strcmp(a, kernel_base(method + 7)) == 0))
			return true;
	}
	return false;
}

bool kd_quirk_plan_avoids(const struct kd_quirk_plan *plan,
			  const char *method)
{
	return avoids(&plan->avoid, method);
}

int kd_quirks_match(const struct kd_quirks *db, const struct kd_quirk_id *id,
		    struct kd_quirk_plan *out)
{
	struct pvec applied = { 0 }, avoid = { 0 }, blacklist = { 0 },
		    options = { 0 }, cmdline = { 0 }, methods = { 0 };
	const struct kd_quirk_entry **v;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	out->allow_insecure = db->allow_insecure;
	for (size_t i = 0; i < db->n_entries; i++)
		if (qmatch(&db->entries[i]->m, id) &&
		    pvec_push(&applied, db->entries[i]) < 0)
			goto oom;
	if (applied.n == 0)
		return 0;
	v = (const struct kd_quirk_entry **)applied.v;
	n = applied.n;
	qsort(v, n, sizeof(*v), cmp_entry);
	for (size_t i = 0; i < n; i++) {
		const struct kd_quirk_entry *e = v[i];

		if (e->seen[QF_METHODS])
			out->methods_from = e;
		if (e->seen[QF_DELAY]) {
			out->has_delay = true;
			out->delay_after_reset_ns = e->delay_ns;
			out->delay_from = e;
		}
		if (e->seen[QF_D3HOT]) {
			out->has_d3hot = true;
			out->d3hot_delay_ns = e->d3hot_ns;
		}
		if (e->seen[QF_TIMEOUT]) {
			out->has_timeout = true;
			out->timeout_ns = e->timeout_ns;
			out->timeout_from = e;
		}
		if (e->seen[QF_PRE]) {
			steps_from(&out->pre, &e->pre);
			out->pre_from = e;
		}
		if (e->seen[QF_POST]) {
			steps_from(&out->post, &e->post);
			out->post_from = e;
		}
		if (e->seen[QF_RESET]) {
			steps_from(&out->reset, &e->reset);
			out->reset_from = e;
		}
		if (union_into(&avoid, &e->avoid) < 0 ||
		    union_into(&blacklist, &e->blacklist) < 0 ||
		    union_into(&options, &e->options) < 0 ||
		    union_into(&cmdline, &e->cmdline) < 0)
			goto oom;
	}
	out->avoid.n = avoid.n;
	out->avoid.v = (const char *const *)avoid.v;
	avoid.v = NULL;
	if (out->methods_from) {
		const struct qstrv *m = &out->methods_from->methods;

		for (size_t i = 0; i < m->n; i++)
			if (!avoids(&out->avoid, m->v[i]) &&
			    pvec_push(&methods, m->v[i]) < 0)
				goto oom;
	}
	out->methods.n = methods.n;
	out->methods.v = (const char *const *)methods.v;
	out->blacklist.n = blacklist.n;
	out->blacklist.v = (const char *const *)blacklist.v;
	out->options.n = options.n;
	out->options.v = (const char *const *)options.v;
	out->cmdline.n = cmdline.n;
	out->cmdline.v = (const char *const *)cmdline.v;
	out->n_applied = n;
	out->applied = (const struct kd_quirk_entry *const *)applied.v;
	return 0;
oom:
	free(applied.v);
	free(avoid.v);
	free(blacklist.v);
	free(options.v);
	free(cmdline.v);
	free(methods.v);
	kd_quirk_plan_clear(out);
	return -ENOMEM;
}

void kd_quirk_plan_clear(struct kd_quirk_plan *plan)
{
	free((void *)plan->methods.v);
	free((void *)plan->avoid.v);
	free((void *)plan->blacklist.v);
	free((void *)plan->options.v);
	free((void *)plan->cmdline.v);
	free((void *)plan->applied);
	memset(plan, 0, sizeof(*plan));
}

bool kd_quirk_plan_empty(const struct kd_quirk_plan *plan)
{
	return plan->n_applied == 0;
}
