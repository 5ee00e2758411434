// SPDX-License-Identifier: GPL-2.0-or-later
/* The campaign plan: functions under test x variants, grouped into crash
 * cycles so that one cycle applies one variant to every device it fits
 * (cycles = variants x repeats, not devices x variants). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign.h"
#include "quirks/quirks.h"
#include "reset/reset.h"

/* The order variants are tried in, least invasive first (the whitelist's
 * order, docs/whitelist.md); quirk variants sit beside virtio. */
static const enum kd_reset_method variant_methods[] = {
	KD_RM_QUIESCE, KD_RM_VIRTIO, KD_RM_FLR, KD_RM_AF_FLR, KD_RM_PM,
	KD_RM_BUS, KD_RM_KERNEL, KD_RM_KERNEL_FLR, KD_RM_KERNEL_PM,
	KD_RM_KERNEL_BUS,
};

static int add_name(char (**v)[KD_VARIANT_MAX], unsigned *n, const char *s)
{
	char (*nv)[KD_VARIANT_MAX];

	for (unsigned i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	snprintf(nv[*n], KD_VARIANT_MAX, "%s", s);
	(*n)++;
	return 0;
}

static int add_module(struct kd_plan_device *d, const char *m)
{
	char (*nv)[KD_NAME_MAX];

	for (unsigned i = 0; i < d->n_modules; i++)
		if (strcmp(d->modules[i], m) == 0)
			return 0;
	nv = realloc(d->modules, (d->n_modules + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	d->modules = nv;
	snprintf(nv[d->n_modules++], KD_NAME_MAX, "%s", m);
	return 0;
}

static void device_clear(struct kd_plan_device *d)
{
	free(d->modules);
	free(d->variants);
	memset(d, 0, sizeof(*d));
}

void kd_plan_clear(struct kd_plan *p)
{
	for (size_t i = 0; i < p->n_devices; i++)
		device_clear(&p->devices[i]);
	free(p->devices);
	for (size_t i = 0; i < p->n_cycles; i++)
		free(p->cycles[i].devs);
	free(p->cycles);
	device_clear(&p->target);
	memset(p, 0, sizeof(*p));
}

static int fill_device(const struct kd_probe_info *in,
		       struct kd_plan_device *d)
{
	int err = 0;

	kd_addr_format(&in->addr, d->address);
	d->vendor = in->vendor;
	d->device = in->device;
	d->subsys_vendor = in->subsys_vendor;
	d->subsys_device = in->subsys_device;
	d->class_code = in->class_code;
	snprintf(d->modalias, sizeof(d->modalias), "%s", in->modalias);
	if (in->bound && in->driver[0]) {
		snprintf(d->driver, sizeof(d->driver), "%s", in->driver);
		if (!in->driver_builtin)
			err = add_module(d, in->driver);
	}
	for (unsigned i = 0; !err && i < in->n_modules; i++)
		err = add_module(d, in->modules[i]);
	return err;
}

/* A quirk variant is named after the most specific entry that applied */
static int quirk_variant(const struct kd_quirks *db,
			 const struct kd_probe_info *in, char *buf, size_t len)
{
	struct kd_quirk_plan qp;
	struct kd_quirk_id id;
	const struct kd_quirk_entry *e;
	const char *name;
	int err;

	kd_quirk_id_from_probe(in, &id);
	err = kd_quirks_match(db, &id, &qp);
	if (err < 0)
		return err;
	if (kd_quirk_plan_empty(&qp) || qp.n_applied == 0) {
		kd_quirk_plan_clear(&qp);
		return 0;
	}
	e = qp.applied[qp.n_applied - 1];
	name = kd_quirk_entry_name(e);
	if (!name)
		name = kd_quirk_entry_match(e);
	snprintf(buf, len, "quirk:%s", name);
	kd_quirk_plan_clear(&qp);
	return 1;
}

static int fill_variants(struct kd_dev *dev, const struct kd_probe_info *in,
			 const struct kd_topo *topo, const struct kd_quirks *db,
			 struct kd_plan_device *d)
{
	char why[256], q[KD_VARIANT_MAX];
	int err = add_name(&d->variants, &d->n_variants, "none");

	for (size_t i = 0; !err && i < sizeof(variant_methods) /
					  sizeof(variant_methods[0]); i++) {
		enum kd_reset_method m = variant_methods[i];

		if (m == KD_RM_BUS && !in->has_parent)
			continue; /* a root bus has no bridge to reset it */
		if (kd_reset_method_check(dev, in, topo, m, why,
					  sizeof(why)) < 0) {
			DBG(kd_dev_ctx(dev), "%s: no %s: %s", d->address,
			    kd_reset_method_name(m), why);
			continue;
		}
		err = add_name(&d->variants, &d->n_variants,
			       kd_reset_method_name(m));
	}
	if (!err && db && quirk_variant(db, in, q, sizeof(q)) > 0)
		err = add_name(&d->variants, &d->n_variants, q);
	return err;
}

static bool under_test(const struct kd_plan_opts *o,
		       const struct kd_probe_info *in)
{
	if (in->is_bridge || kd_probe_platform_bridge(in) ||
	    kd_probe_kernel_owned(in) || in->dead)
		return false;
	if (o->n_filters == 0)
		return true;
	for (size_t i = 0; i < o->n_filters; i++)
		if (kd_filter_match(&o->filters[i], &in->addr, in->vendor,
				    in->device, in->class_code))
			return true;
	return false;
}

/* One cycle per variant (in the order of the first device offering it)
 * and repeat, for every device offering it. */
static int group_cycles(struct kd_plan *p)
{
	char (*names)[KD_VARIANT_MAX] = NULL;
	unsigned n_names = 0;
	int err = 0;

	for (size_t i = 0; !err && i < p->n_devices; i++)
		for (unsigned j = 0; !err && j < p->devices[i].n_variants; j++)
			err = add_name(&names, &n_names,
				       p->devices[i].variants[j]);
	if (!err && n_names) {
		p->cycles = calloc((size_t)n_names * p->repeat,
				   sizeof(*p->cycles));
		if (!p->cycles)
			err = -ENOMEM;
	}
	for (unsigned r = 1; !err && r <= p->repeat; r++) {
		for (unsigned v = 0; !err && v < n_names; v++) {
			struct kd_plan_cycle *c = &p->cycles[p->n_cycles];

			c->cycle = (unsigned)p->n_cycles + 1;
			c->repeat = r;
			snprintf(c->variant, sizeof(c->variant), "%s",
				 names[v]);
			c->devs = calloc(p->n_devices, sizeof(*c->devs));
			if (!c->devs) {
				err = -ENOMEM;
				break;
			}
			p->n_cycles++;
			for (size_t i = 0; i < p->n_devices; i++)
				for (unsigned j = 0;
				     j < p->devices[i].n_variants; j++)
					if (strcmp(p->devices[i].variants[j],
						   names[v]) == 0)
						c->devs[c->n++] = i;
		}
	}
	free(names);
	return err;
}

static int plan_one(struct kd_ctx *ctx, struct kd_prober *pr,
		    const struct kd_topo *topo, const struct kd_plan_opts *o,
		    const char *target, const struct kd_addr *a,
		    struct kd_plan *p)
{
	struct kd_probe_info in;
	struct kd_dev *dev;
	char name[KD_ADDR_STRLEN];
	bool is_target, tested;
	int err;

	if (kd_dev_open(ctx, a, &dev) < 0) {
		WARN(ctx, "%s: cannot be opened: not planned",
		     kd_addr_format(a, name));
		return 0;
	}
	err = kd_probe(pr, dev, &in);
	kd_addr_format(a, name);
	is_target = o->target && strcmp(target, name) == 0;
	tested = !err && under_test(o, &in);
	if (!err && is_target) {
		p->has_target = true;
		p->target_tested = tested;
		err = fill_device(&in, &p->target);
	}
	if (!err && tested) {
		struct kd_plan_device *nv = realloc(p->devices,
			(p->n_devices + 1) * sizeof(*nv));

		if (!nv) {
			err = -ENOMEM;
		} else {
			p->devices = nv;
			memset(&nv[p->n_devices], 0, sizeof(*nv));
			err = fill_device(&in, &nv[p->n_devices]);
			if (!err)
				err = fill_variants(dev, &in, topo, o->quirks,
						    &nv[p->n_devices]);
			p->n_devices++;
		}
	}
	kd_probe_info_clear(&in);
	kd_dev_free(dev);
	return err;
}

int kd_plan_build(struct kd_ctx *ctx, const struct kd_plan_opts *o,
		  struct kd_plan *out)
{
	struct kd_prober *pr = NULL;
	struct kd_topo topo = { 0 };
	char target[KD_ADDR_STRLEN] = "";
	struct kd_addr t;
	int err;

	memset(out, 0, sizeof(*out));
	out->repeat = o->repeat ? o->repeat : KD_PLAN_DEFAULT_REPEAT;
	if (o->target && kd_addr_parse(o->target, &t) < 0) {
		ERR(ctx, "results device '%s' is no PCI address", o->target);
		return -EINVAL;
	}
	if (o->target)
		kd_addr_format(&t, target);
	err = kd_prober_new(ctx, &pr);
	if (!err)
		err = kd_topo_load(ctx, &topo);
	for (size_t i = 0; !err && i < kd_prober_count(pr); i++)
		err = plan_one(ctx, pr, &topo, o, target,
			       kd_prober_addr(pr, i), out);
	if (!err && o->target && !out->has_target) {
		ERR(ctx, "results device %s not found", o->target);
		err = -ENODEV;
	}
	if (!err)
		err = group_cycles(out);
	kd_topo_free(&topo);
	kd_prober_free(pr);
	if (err < 0) {
		if (err == -ENOMEM)
			ERR(ctx, "plan: out of memory");
		kd_plan_clear(out);
	}
	return err;
}

const struct kd_plan_cycle *kd_plan_cycle(const struct kd_plan *p,
					  unsigned cycle)
{
	if (cycle == 0 || cycle > p->n_cycles)
		return NULL;
	return &p->cycles[cycle - 1];
}

void kd_plan_journal_device(const struct kd_plan_device *d,
			    struct kd_journal_device *out)
{
	out->address = d->address;
	out->vendor = d->vendor;
	out->device = d->device;
	out->subsys_vendor = d->subsys_vendor;
	out->subsys_device = d->subsys_device;
	out->class_code = d->class_code;
	out->driver = d->driver[0] ? d->driver :
		      d->n_modules ? d->modules[0] : NULL;
}
