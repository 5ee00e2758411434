// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Secondary Bus Reset through the parent bridge's Bridge Control: resets
 * every function below that bridge, so every one of them is saved,
 * disabled and restored (pci_bus_save_and_disable_locked(),
 * pci_reset_secondary_bus(), pci_bridge_wait_for_secondary_bus(),
 * pci_bus_restore_locked()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static unsigned depth_below(const struct kd_topo *t, const struct kd_addr *a,
			    const struct kd_addr *bridge)
{
	const struct kd_topo_node *nd = kd_topo_find(t, a);
	unsigned d = 0;

	while (nd && nd->has_parent && !kd_addr_eq(&nd->parent, bridge) &&
	       d < 256) {
		d++;
		nd = kd_topo_find(t, &nd->parent);
	}
	return d;
}

/* One function below the bridge; t.dev is NULL when it cannot be read. */
struct member {
	struct kd_addr addr;
	struct kd_bus_target t;
	unsigned depth;
	int open_err;
	struct kd_bus_fact f; /* what check_scope() weighs */
};

static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return kd_addr_cmp(&x->addr, &y->addr);
}

/* A bus reset in progress: the bridge, what is below it, the slot. */
struct bus_reset {
	struct kd_reset_exec *x;
	struct kd_ctx *ctx;
	const struct kd_topo *topo;
	const struct kd_reset_opts *o;
	struct kd_dev *dev, *br;
	struct kd_addr pa;
	struct kd_probe_info bi;
	struct member *m;
	size_t n;
	bool slot_masked;
	uint16_t sltctl, stat_mask;
	char *why;      /* a refusal's reason goes here */
	size_t why_len;
	bool check_only; /* kd_bus_scope_check(): leave the result alone */
	struct kd_bus_facts *facts; /* check_only: the run's memo or NULL */
};

static bool downstream_port(int type)
{
	/* pcie_downstream_port() */
	return type == PCI_EXP_TYPE_ROOT_PORT ||
	       type == PCI_EXP_TYPE_DOWNSTREAM ||
	       type == PCI_EXP_TYPE_PCIE_BRIDGE;
}

/* pci_bridge_wait_for_secondary_bus() for the first child below br */
static int wait_secondary(struct kd_reset_exec *x, struct kd_dev *br,
			  const struct kd_probe_info *bi, struct kd_dev *child)
{
	uint64_t t = x->timeout_ns;
	uint32_t lnksta;
	unsigned speed;
	int err;

	if (!child)
		return 0;
	if (bi->exp_cap && bi->pcie_type == PCI_EXP_TYPE_UPSTREAM)
		/*
		 * A switch's Upstream Port: its secondary bus is the switch's
		 * internal bus, the Downstream Ports on it are the same
		 * component and came back with it.  The kernel waits for
		 * nothing here (!pcie_downstream_port()); only make sure they
		 * answer.
		 */
		return kd_exec_wait_ready(x, child, t, "readiness of the "
					  "switch's Downstream Ports "
					  "(pci_dev_wait)");
	if (!bi->exp_cap || !downstream_port(bi->pcie_type)) {
		/*
		 * Conventional PCI: Tpvrh + Trhfa (PCI 3.0 §4.3.2).  The
		 * kernel skips the wait for PCIe bridges that are not
		 * downstream ports (PCIe-to-PCI); their secondary side is
		 * conventional, so kdsafe waits as for conventional PCI.
		 */
		kd_reset_sleep(x, KD_CONV_RESET_WAIT_NS, "Tpvrh + Trhfa "
			       "1000 + 100 ms, PCI 3.0 §4.3.2");
		return kd_exec_wait_ready(x, child, t, "readiness after bus "
					  "reset (pci_dev_wait)");
	}
	speed = kd_link_speed_cap(br, bi->exp_cap);
	if (speed <= 2) { /* <= 5 GT/s */
		kd_reset_sleep(x, KD_RESET_SETTLE_NS, "100 ms before config "
			       "requests, PCIe r5.0 §6.6.1 (<= 5 GT/s)");
		x->quiet = true;
		err = kd_exec_wait_ready(x, child, KD_RESET_WAIT_NS -
					 KD_RESET_SETTLE_NS, "readiness "
					 "within 1 s (PCI_RESET_WAIT)");
		x->quiet = false;
		if (err == 0 || err == -ENODEV)
			return err;
		if (!bi->link_dll_reporting) {
			ERR(x->ctx, "%s: not ready 1 s after bus reset and "
				    "%s cannot report link state",
			    kd_dev_name(child), kd_dev_name(br));
			return -ENOTTY;
		}
		if (kd_cfg_read_live(br, bi->exp_cap + PCI_EXP_LNKSTA, 2,
				     &lnksta) < 0 ||
		    !(lnksta & PCI_EXP_LNKSTA_DLLLA)) {
			ERR(x->ctx, "%s: link down after bus reset",
			    kd_dev_name(br));
			return -ENOTTY;
		}
		return kd_exec_wait_ready(x, child, t > KD_RESET_WAIT_NS ?
					  t - KD_RESET_WAIT_NS : 0,
					  "readiness, link up, RRS allowed "
					  "(PCIE_RESET_READY_POLL_MS)");
	}
	if (!bi->link_dll_reporting) {
		/* pcie_wait_for_link_delay() without link reporting */
		kd_reset_sleep(x, KD_LINK_ACTIVE_TIMEOUT_NS + KD_RESET_SETTLE_NS,
			       "no DLL Link Active reporting: 1000 + 100 ms "
			       "(pcie_wait_for_link_delay)");
	} else {
		kd_reset_sleep(x, KD_LTSSM_DETECT_NS, "LTSSM Detect within "
			       "20 ms, PCIe r4.0 §6.6.1");
		err = kd_exec_wait_link(x, br, bi->exp_cap,
					KD_LINK_ACTIVE_TIMEOUT_NS,
					"Data Link Layer Link Active "
					"(pcie_wait_for_link_status)");
		if (err < 0) {
			ERR(x->ctx, "%s: Data Link Layer Link Active not set "
				    "1 s after bus reset", kd_dev_name(br));
			return -ENOTTY;
		}
		kd_reset_sleep(x, KD_RESET_SETTLE_NS, "100 ms after link up, "
			       "PCIe r5.0 §6.6.1 (> 5 GT/s)");
	}
	return kd_exec_wait_ready(x, child, t > KD_RESET_SETTLE_NS ?
				  t - KD_RESET_SETTLE_NS : 0,
				  "readiness after bus reset (pci_dev_wait)");
}

static void free_members(struct member *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		kd_probe_info_clear(&m[i].t.info);
		kd_dev_free(m[i].t.dev);
	}
	free(m);
}

/* the first member directly below bridge a that can be read */
static struct kd_dev *first_child(const struct bus_reset *b, size_t from,
				  const struct kd_addr *a)
{
	for (size_t j = from; j < b->n; j++) {
		const struct kd_topo_node *c = kd_topo_find(b->topo,
							    &b->m[j].addr);

		if (b->m[j].t.dev && c && c->has_parent &&
		    kd_addr_eq(&c->parent, a))
			return b->m[j].t.dev;
	}
	return NULL;
}

/* the Slot Control events a link going down raises */
#define SLOT_EVENTS (PCI_EXP_SLTCTL_PDCE | PCI_EXP_SLTCTL_DLLSCE)

/*
 * The end of pciehp_reset_slot() on the port at exp: clear the events
 * the reset latched (RW1C, SltSta) and only then put Slot Control back,
 * events enabled again, so pciehp sees no removal.
 */
static int slot_settled(struct kd_reset_exec *x, struct kd_dev *port,
			unsigned exp, uint16_t stat_mask, uint16_t sltctl)
{
	int err = kd_reset_cfg_write(x, port, exp + PCI_EXP_SLTSTA, 2,
				     stat_mask, "clear Presence Detect and "
				     "DLL State Changed (RW1C), PCIe r5.0 "
				     "§7.5.3.11 (pciehp_reset_slot)");

	if (err == 0)
		err = kd_reset_cfg_write(x, port, exp + PCI_EXP_SLTCTL, 2,
					 sltctl, "restore Slot Control "
					 "(pciehp_reset_slot)");
	return err;
}

/*
 * Restore every saved function, top down (pci_bus_restore_locked()).
 * A nested hot-plug port (a switch's Downstream Port below the bridge)
 * was reset as well, and its link going down and up latched PDC/DLLSC:
 * as pciehp_reset_slot() does for each slot, its Slot Control comes
 * back with those events masked, its secondary link settles, the
 * latched events are cleared, then the events are enabled again.
 * settle: the reset happened and the bus came back, so a nested bridge's
 * secondary bus settles before its children are touched.  Otherwise
 * (an error stopped the reset) restore what still answers, best effort:
 * the saved state exists only here.  Returns the first error.
 */
static int restore_members(struct bus_reset *b, bool settle)
{
	struct kd_reset_exec *x = b->x;
	int first = 0;

	for (size_t i = 0; i < b->n; i++) {
		struct kd_bus_target *t = &b->m[i].t;
		/* a nested hot-plug port, reset with the rest */
		bool slot = t->info.hotplug_slot && t->saved.slot;
		uint16_t sltctl = t->saved.sltctl;
		int err;

		if (!t->saved.valid)
			continue;
		if (!settle && !kd_dev_answers(x, t->dev))
			continue;
		if (slot)
			t->saved.sltctl &= (uint16_t)~SLOT_EVENTS;
		err = kd_restore(x, t->dev, &t->saved);
		t->saved.sltctl = sltctl;
		if (err == 0 && settle && t->info.is_bridge) {
			struct kd_dev *c = first_child(b, i + 1,
						       kd_dev_addr(t->dev));

			err = wait_secondary(x, t->dev, &t->info, c);
		}
		if (slot) {
			int serr = slot_settled(x, t->dev, t->saved.exp,
						PCI_EXP_SLTSTA_PDC |
						PCI_EXP_SLTSTA_DLLSC, sltctl);

			if (err == 0)
				err = serr;
		}
		if (err < 0 && !first)
			first = err;
	}
	return first;
}

static void refuse(struct bus_reset *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void refuse(struct bus_reset *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->why, b->why_len, fmt, ap);
	va_end(ap);
}

/* The parent bridge: a PCI-to-PCI bridge, never a root bus. */
static int open_bridge(struct bus_reset *b)
{
	int err = kd_dev_parent(b->dev, &b->pa);

	if (err == -ENOENT) {
		refuse(b, "%s is on a root bus: no bridge above it (kdsafe "
			     "never resets a root bus or host bridge)",
		       kd_dev_name(b->dev));
		return -ENOTTY;
	}
	if (err < 0)
		return err;
	err = kd_dev_open(b->ctx, &b->pa, &b->br);
	if (err < 0)
		return err;
	kd_probe_identify(b->topo, b->br, &b->bi);
	if (b->bi.dead || !b->bi.is_bridge) {
		refuse(b, "parent %s is not a PCI-to-PCI bridge",
		       kd_dev_name(b->br));
		return -ENOTTY;
	}
	if (!b->check_only) {
		b->x->res->has_bridge = true;
		b->x->res->bridge = b->pa;
	}
	return 0;
}

static bool no_bus_reset(const struct bus_reset *b, struct kd_dev *dev,
			 const struct kd_probe_info *in, char *src, size_t len);

/* Opens and identifies one member; its facts for check_scope(). */
static void open_member(struct bus_reset *b, struct member *mb)
{
	mb->open_err = kd_dev_open(b->ctx, &mb->addr, &mb->t.dev);
	mb->f.addr = mb->addr;
	mb->f.open_err = mb->open_err;
	if (mb->open_err < 0) {
		mb->t.dev = NULL;
		return;
	}
	kd_probe_identify(b->topo, mb->t.dev, &mb->t.info);
	mb->t.bound = mb->t.info.bound;
	/* all-ones config: the identify path did not ask sysfs */
	if (mb->t.info.dead && !mb->t.bound) {
		bool builtin;
		int e = kd_dev_driver(mb->t.dev, mb->t.info.driver,
				      sizeof(mb->t.info.driver), &builtin);

		mb->t.bound = e != -ENOENT;
		if (e < 0 && e != -ENOENT)
			snprintf(mb->t.info.driver, sizeof(mb->t.info.driver),
				 "unknown");
	}
	mb->f.bound = mb->t.bound;
	snprintf(mb->f.driver, sizeof(mb->f.driver), "%s", mb->t.info.driver);
	mb->f.no_bus = no_bus_reset(b, mb->t.dev, &mb->t.info, mb->f.src,
				    sizeof(mb->f.src));
}

/* The memo keeps identity, not binding: a driver may bind to a function
 * during the run (udev loading a module in the capture kernel), so each
 * check looks at the driver link again (one readlink).  A link that
 * cannot be read counts as bound: unknown = bound. */
static void rebind(struct bus_reset *b, struct kd_bus_fact *f)
{
	int e;

	if (f->open_err < 0)
		return; /* refused for that already */
	e = kd_function_driver(b->ctx, &f->addr, f->driver, sizeof(f->driver));
	f->bound = e != -ENOENT;
	if (e < 0 && e != -ENOENT)
		snprintf(f->driver, sizeof(f->driver), "unknown");
}

/* Every function below the bridge, parents before children; one that
 * cannot be opened stays listed with its error.  A scope check takes
 * what the run already found of a function (b->facts) and opens
 * nothing for it. */
static int gather_members(struct bus_reset *b)
{
	const struct kd_topo *topo = b->topo;

	b->m = calloc(topo->n ? topo->n : 1, sizeof(*b->m));
	if (!b->m)
		return -ENOMEM;
	for (size_t i = 0; i < topo->n; i++) {
		const struct kd_addr *a = &topo->v[i].addr;
		struct member *mb = &b->m[b->n];

		if (!kd_topo_below(topo, a, &b->pa))
			continue;
		b->n++;
		mb->addr = *a;
		mb->depth = depth_below(topo, a, &b->pa);
		mb->t.requested = kd_addr_eq(a, kd_dev_addr(b->dev));
		if (mb->t.requested && b->check_only)
			continue; /* weighed by the runner, not here */
		if (b->check_only && kd_bus_facts_get(b->facts, a, &mb->f)) {
			mb->open_err = mb->f.open_err;
			rebind(b, &mb->f);
			continue;
		}
		open_member(b, mb);
		if (b->check_only)
			kd_bus_facts_put(b->facts, &mb->f);
	}
	qsort(b->m, b->n, sizeof(*b->m), cmp_member);
	return 0;
}

/* The quirk database's word on one function: true when it forbids a bus
 * reset (PCI_DEV_FLAGS_NO_BUS_RESET); its name goes to *src. */
static bool no_bus_reset(const struct bus_reset *b, struct kd_dev *dev,
			 const struct kd_probe_info *in, char *src, size_t len)
{
	struct kd_reset_policy pol;
	bool no;

	if (!b->o->policy_fn || !dev)
		return false;
	memset(&pol, 0, sizeof(pol));
	if (b->o->policy_fn(b->o->policy_data, dev, in, &pol) < 0)
		return false;
	no = pol.avoid & (KD_RM_BIT(KD_RM_BUS) | KD_RM_BIT(KD_RM_KERNEL_BUS));
	snprintf(src, len, "%s", pol.source);
	if (pol.release)
		pol.release(pol.hook_data);
	return no;
}

/*
 * pci_bus_resettable() / pci_slot_resettable(): the bridge and every
 * function on every bus below it must allow a bus reset; a quirk that
 * forbids it (PCI_DEV_FLAGS_NO_BUS_RESET) stops it, --force or not (the
 * requested function's own quirk was weighed by the runner); so does a
 * function that cannot be read, whose identity and so quirks are
 * unknown.  A bound function stops it unless --force.  A VF is never bus-reset: the reset takes its PF's VF
 * Enable, and so every sibling VF, with it.
 */
static int check_scope(struct bus_reset *b)
{
	char src[64];

	if (kd_reset_is_vf(b->dev)) {
		refuse(b, "%s is an SR-IOV VF: a bus reset would reset its PF "
			  "and every sibling VF", kd_dev_name(b->dev));
		return -ENOTTY;
	}
	if (no_bus_reset(b, b->br, &b->bi, src, sizeof(src))) {
		refuse(b, "quirk %s forbids a bus reset below bridge %s",
		       src, kd_dev_name(b->br));
		return -EPERM;
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct kd_bus_fact *f = &b->m[i].f;
		char s[KD_ADDR_STRLEN];

		if (b->m[i].t.requested)
			continue;
		kd_addr_format(&b->m[i].addr, s);
		if (f->no_bus) {
			refuse(b, "quirk %s on %s below the same bridge forbids "
				  "a bus reset", f->src, s);
			return -EPERM;
		}
		if (f->open_err < 0) {
			refuse(b, "%s below the same bridge cannot be read "
				  "(%s): its identity is unknown, so a quirk "
				  "forbidding a bus reset cannot be ruled out "
				  "(refused even with --force)", s,
			       strerror(-f->open_err));
			return -EPERM;
		}
		if (b->o->force)
			continue;
		if (f->bound) {
			refuse(b, "%s below the same bridge has driver %s "
				  "bound (use --force)", s, f->driver);
			return -EBUSY;
		}
	}
	return 0;
}

/* The other functions this reset hits, for the result. */
static int record_also(struct bus_reset *b)
{
	struct kd_addr *also = calloc(b->n ? b->n : 1, sizeof(*also));
	size_t n_also = 0;

	if (!also)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++)
		if (!b->m[i].t.requested)
			also[n_also++] = b->m[i].addr;
	free(b->x->res->also);
	b->x->res->also = also;
	b->x->res->n_also = n_also;
	return 0;
}

/* pci_bus_save_and_disable_locked(): save and disable, top down */
static int save_members(struct bus_reset *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct kd_bus_target *t = &b->m[i].t;
		char s[KD_ADDR_STRLEN];
		int err;

		if (!t->dev) {
			WARN(b->ctx, "%s: below %s but unreadable: the bus "
				     "reset hits it unsaved",
			     kd_addr_format(&b->m[i].addr, s),
			     kd_dev_name(b->br));
			continue;
		}
		if (t->info.dead) {
			WARN(b->ctx, "%s reads all-ones: reset without saving",
			     kd_dev_name(t->dev));
			continue;
		}
		/* saved before the power-up: see function_reset() */
		err = kd_save(t->dev, !t->bound, &t->saved);
		if (!err)
			err = kd_power_up(b->x, t->dev);
		if (!err)
			err = kd_disable(b->x, t->dev);
		if (err < 0)
			return err;
	}
	return 0;
}

/*
 * pciehp_reset_slot(): below a hot-plug capable port (SltCap.HPC) the
 * link going down looks like a surprise removal.  Mask Presence Detect
 * Changed (unless an Attention Button is present) and Data Link Layer
 * State Changed in SltCtl before the reset ...
 */
static int slot_mask(struct bus_reset *b)
{
	unsigned e = b->bi.exp_cap;
	uint16_t mask = PCI_EXP_SLTCTL_DLLSCE;
	uint32_t cur;
	int err;

	if (!b->bi.hotplug_slot)
		return 0;
	b->sltctl = kd_cfg_read16(b->br, e + PCI_EXP_SLTCTL);
	if (!b->x->dry_run && kd_cfg_read_live(b->br, e + PCI_EXP_SLTCTL, 2,
					       &cur) == 0)
		b->sltctl = (uint16_t)cur;
	b->stat_mask = PCI_EXP_SLTSTA_DLLSC;
	if (!(kd_cfg_read32(b->br, e + PCI_EXP_SLTCAP) & PCI_EXP_SLTCAP_ABP)) {
		mask |= PCI_EXP_SLTCTL_PDCE;
		b->stat_mask |= PCI_EXP_SLTSTA_PDC;
	}
	err = kd_reset_cfg_write(b->x, b->br, e + PCI_EXP_SLTCTL, 2,
				 b->sltctl & ~mask, "mask Presence Detect "
				 "and DLL State Changed events, PCIe r5.0 "
				 "§7.5.3.10 (pciehp_reset_slot)");
	b->slot_masked = err == 0;
	return err;
}

/* ... then clear the events the reset raised (RW1C, SltSta) and put
 * SltCtl back as it was. */
static int slot_unmask(struct bus_reset *b)
{
	if (!b->slot_masked)
		return 0;
	return slot_settled(b->x, b->br, b->bi.exp_cap, b->stat_mask,
			    b->sltctl);
}

/* pci_reset_secondary_bus(): SBR asserted 2 ms, then deasserted */
static int pulse_sbr(struct bus_reset *b)
{
	struct kd_reset_exec *x = b->x;
	uint16_t ctrl;
	int err;

	ctrl = kd_cfg_read16(b->br, PCI_BRIDGE_CONTROL) &
	       ~PCI_BRIDGE_CTL_BUS_RESET;
	err = kd_reset_cfg_write(x, b->br, PCI_BRIDGE_CONTROL, 2,
				 ctrl | PCI_BRIDGE_CTL_BUS_RESET,
				 "assert Secondary Bus Reset, Bridge Control "
				 "bit 6 (pci_reset_secondary_bus)");
	if (err < 0)
		return err;
	kd_exec_sleep(x, &b->pa, KD_SBR_ASSERT_NS, "hold reset 2 ms: Trst >= "
		      "1 ms, PCI 3.0 §7.6.4.2 (pci_reset_secondary_bus)");
	err = kd_reset_cfg_write(x, b->br, PCI_BRIDGE_CONTROL, 2, ctrl,
				 "deassert Secondary Bus Reset");
	if (err < 0)
		err = kd_reset_cfg_write(x, b->br, PCI_BRIDGE_CONTROL, 2, ctrl,
					 "deassert Secondary Bus Reset "
					 "(again: the bus must not stay in "
					 "reset)");
	if (err < 0)
		ERR(b->ctx, "%s: could not deassert Secondary Bus Reset: "
			    "everything below stays in reset",
		    kd_dev_name(b->br));
	return err;
}

/* pci_bridge_secondary_bus_reset(): the pulse and the settle; the slot
 * is unmasked whatever they returned, as pciehp_reset_slot() does */
static int reset_secondary(struct bus_reset *b)
{
	int err = slot_mask(b), uerr;

	if (err < 0)
		return err;
	err = pulse_sbr(b);
	if (err == 0)
		err = wait_secondary(b->x, b->br, &b->bi,
				     first_child(b, 0, &b->pa));
	uerr = slot_unmask(b);
	return err < 0 ? err : uerr;
}

static void bus_reset_free(struct bus_reset *b)
{
	free_members(b->m, b->n);
	kd_probe_info_clear(&b->bi);
	kd_dev_free(b->br);
}

int kd_bus_scope_check(struct kd_reset_exec *x, struct kd_dev *dev,
		       const struct kd_topo *topo,
		       const struct kd_reset_opts *o,
		       struct kd_bus_facts *facts, char *why, size_t len)
{
	struct bus_reset b = { .x = x, .ctx = x->ctx, .topo = topo, .o = o,
			       .dev = dev, .why = why, .why_len = len,
			       .check_only = true, .facts = facts };
	int err;

	snprintf(why, len, "bus reset scope check failed");
	err = open_bridge(&b);
	if (!err)
		err = gather_members(&b);
	if (!err)
		err = check_scope(&b);
	bus_reset_free(&b);
	return err;
}

int kd_method_bus(struct kd_reset_exec *x, struct kd_dev *dev,
		  const struct kd_topo *topo, const struct kd_reset_opts *o)
{
	struct bus_reset b = { .x = x, .ctx = x->ctx, .topo = topo, .o = o,
			       .dev = dev, .why = x->res->reason,
			       .why_len = sizeof(x->res->reason) };
	int err;

	err = open_bridge(&b);
	if (!err)
		err = gather_members(&b);
	if (!err)
		err = check_scope(&b);
	if (!err)
		err = record_also(&b);
	if (err < 0)
		goto out;
	err = save_members(&b);
	if (!err)
		err = reset_secondary(&b);
	if (!err)
		err = restore_members(&b, true);
	else
		/* pci_bus_restore_locked() runs whatever the reset returned */
		restore_members(&b, false);
out:
	bus_reset_free(&b);
	return err;
}
