// SPDX-License-Identifier: GPL-2.0-or-later
/* Topology (every function and its parent) and the per-function probe. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "modules.h"
#include "probe.h"
#include "sriov.h"
#include "access/regs.h"

struct kd_prober {
	struct kd_ctx *ctx;
	struct kd_topo topo;
	bool lookup_modules;
	struct kd_modules *modules;
};

int kd_prober_new(struct kd_ctx *ctx, struct kd_prober **out)
{
	struct kd_prober *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->ctx = kd_ctx_ref(ctx);
	/* a dump's modules are those of the machine it came from */
	p->lookup_modules = strcmp(kd_ctx_backend_name(ctx), "dump") != 0;
	err = kd_topo_load(ctx, &p->topo);
	if (err < 0) {
		kd_prober_free(p);
		return err;
	}
	*out = p;
	return 0;
}

void kd_prober_free(struct kd_prober *p)
{
	if (!p)
		return;
	kd_modules_free(p->modules);
	kd_ctx_unref(p->ctx);
	kd_topo_free(&p->topo);
	free(p);
}

size_t kd_prober_count(const struct kd_prober *p)
{
	return p->topo.n;
}

const struct kd_addr *kd_prober_addr(const struct kd_prober *p, size_t i)
{
	return i < p->topo.n ? &p->topo.v[i].addr : NULL;
}

const struct kd_topo *kd_prober_topo(const struct kd_prober *p)
{
	return &p->topo;
}

void kd_prober_set_modules(struct kd_prober *p, bool lookup)
{
	p->lookup_modules = p->lookup_modules && lookup;
}

static int find_siblings(const struct kd_topo *topo, struct kd_probe_info *in)
{
	size_t end, first = kd_topo_bus(topo, &in->addr, &end);

	if (end - first <= 1)
		return 0;
	in->siblings = calloc(end - first - 1, sizeof(*in->siblings));
	if (!in->siblings)
		return -ENOMEM;
	for (size_t i = first; i < end; i++)
		if (!kd_addr_eq(&topo->v[i].addr, &in->addr))
			in->siblings[in->n_siblings++] = topo->v[i].addr;
	return 0;
}

/*
 * Secondary bus reset through the parent bridge resets every function on
 * the bus; it is possible when that bridge is known and is not a root bus
 * (kernel pci_parent_bus_reset()).  The siblings it also hits are listed.
 */
static void judge_bus_reset(const struct kd_topo *topo,
			    struct kd_probe_info *in)
{
	/* resetting the bus resets the PF, whose VF Enable then drops */
	if (in->is_vf) {
		in->bus_reset_why_not = "SR-IOV VF";
		return;
	}
	if (!in->has_parent) {
		in->bus_reset_why_not = "on a root bus";
		return;
	}
	if (!topo || !kd_topo_find(topo, &in->parent)) {
		in->bus_reset_why_not = "parent bridge not visible";
		return;
	}
	if (in->is_bridge) {
		in->bus_reset_why_not = "function is a bridge";
		return;
	}
	in->reset_caps |= KD_RESET_BUS;
}

static uint16_t attr_hex(struct kd_dev *dev, const char *name,
			 uint16_t fallback)
{
	char buf[16], *end;
	unsigned long v;

	if (kd_dev_attr_read(dev, name, buf, sizeof(buf)) <= 0)
		return fallback;
	v = strtoul(buf, &end, 16);
	return *end == '\0' && v <= 0xffff ? (uint16_t)v : fallback;
}

/*
 * A VF seen without a physfn link (a dump): its PF is the function whose
 * SR-IOV capability places VF n at this address; the IDs come from the
 * PF's Vendor ID and VF Device ID, as the kernel's pci_iov_add_virtfn().
 * The map is built once per topology (probe/sriov.c), not per VF.
 */
static void find_pf(const struct kd_topo *topo, struct kd_dev *dev,
		    struct kd_probe_info *in)
{
	struct kd_vf_origin o;

	if (!kd_topo_vf_origin(topo, dev, &in->addr, &o))
		return;
	in->is_vf = true;
	in->physfn = o.physfn;
	in->vendor = o.vendor;
	in->device = o.device;
}

bool kd_probe_physfn(struct kd_dev *dev, struct kd_addr *pf)
{
	char buf[KD_ADDR_STRLEN + 8];

	return kd_dev_link_read(dev, "physfn", buf, sizeof(buf)) >= 0 &&
	       kd_addr_parse(buf, pf) == 0;
}

static void read_sysfs_facts(const struct kd_topo *topo, struct kd_dev *dev,
			     struct kd_probe_info *in)
{
	ssize_t n;

	n = kd_dev_attr_read(dev, "reset_method", in->kernel_methods,
			     sizeof(in->kernel_methods));
	in->has_kernel_methods = n >= 0;
	if (n < 0)
		in->kernel_methods[0] = '\0';
	if (kd_dev_driver(dev, in->driver, sizeof(in->driver),
			  &in->driver_builtin) == 0)
		in->bound = true;
	/* a VF's Vendor ID reads ffff (SR-IOV 1.1 §3.4.1.1): only then look */
	if (in->vendor == 0xffff && kd_probe_physfn(dev, &in->physfn))
		in->is_vf = true;
	/* a VF's config IDs read ffff; the kernel's vendor/device files
	 * carry the IDs it took from the PF's SR-IOV capability */
	if (in->is_vf && in->vendor == 0xffff) {
		in->vendor = attr_hex(dev, "vendor", in->vendor);
		in->device = attr_hex(dev, "device", in->device);
	}
	if (!in->is_vf && in->vendor == 0xffff && topo)
		find_pf(topo, dev, in);
	kd_probe_set_modalias(in);
}

/* The module index is opened on first use; if it cannot be, lookups stop
 * for this prober rather than failing again for every function. */
static void lookup_modules(struct kd_prober *p, struct kd_probe_info *in)
{
	char s[KD_ADDR_STRLEN];
	int err;

	if (!p->modules && kd_modules_new(p->ctx, &p->modules) < 0) {
		WARN(p->ctx, "module lookup off: out of memory");
		p->lookup_modules = false;
		return;
	}
	err = kd_modules_lookup(p->modules, in->modalias, &in->modules,
				&in->n_modules);
	if (err < 0)
		WARN(p->ctx, "%s: module lookup for %s failed: %s",
		     kd_addr_format(&in->addr, s), in->modalias,
		     strerror(-err));
}

static void find_parent(const struct kd_topo *topo, struct kd_probe_info *in)
{
	const struct kd_topo_node *nd = topo ? kd_topo_find(topo, &in->addr) :
				       NULL;

	if (nd && nd->has_parent) {
		in->has_parent = true;
		in->parent = nd->parent;
	}
}

int kd_probe_identify(const struct kd_topo *topo, struct kd_dev *dev,
		      struct kd_probe_info *in)
{
	int err = 0;

	kd_probe_decode(dev, in);
	find_parent(topo, in);
	if (topo)
		err = find_siblings(topo, in);
	if (!in->dead) {
		read_sysfs_facts(topo, dev, in);
		judge_bus_reset(topo, in);
	}
	kd_probe_judge(in);
	return err;
}

void kd_probe_identify_config(const struct kd_topo *topo, struct kd_dev *dev,
			      struct kd_probe_info *in)
{
	kd_probe_decode_choice(dev, in);
	find_parent(topo, in);
	if (!in->dead)
		judge_bus_reset(topo, in);
	kd_probe_judge(in); /* as if unbound: every finding counts */
}

int kd_probe(struct kd_prober *p, struct kd_dev *dev,
	     struct kd_probe_info *in)
{
	int err = kd_probe_identify(&p->topo, dev, in);

	if (err == 0 && !in->dead && p->lookup_modules)
		lookup_modules(p, in);
	return err;
}

void kd_probe_info_clear(struct kd_probe_info *in)
{
	free(in->siblings);
	free(in->modules);
	memset(in, 0, sizeof(*in));
}
