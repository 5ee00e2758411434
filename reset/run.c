// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The planner and runner: groups the requested functions into reset
 * domains, runs domains concurrently (one thread each, at most jobs),
 * the functions of a domain serially, and for each function chooses the
 * method (auto: policy, kernel, flr, af-flr, pm, bus, virtio, then
 * quiesce),
 * runs it and verifies the result.  The domain expected to wait longest
 * starts first and alone; the others start once it waits, so that on
 * one CPU (a capture kernel's nr_cpus=1) their work overlaps its wait
 * instead of delaying it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "internal.h"

struct target {
	size_t idx;          /* into addrs and results */
	struct kd_addr addr;
	struct kd_addr key;  /* reset domain */
	unsigned depth;
	bool vf;             /* an SR-IOV VF: in its PF's domain */
	uint64_t expect_ns;  /* kd_reset_expected_wait_ns() */
	unsigned n_bars;     /* BARs as the domain found them */
	uint32_t bars[6];
};

struct domain {
	size_t first, n;     /* a run of targets */
	uint64_t expect_ns;  /* the longest of its targets' */
};

struct runner {
	struct kd_ctx *ctx;
	const struct kd_reset_opts *o;
	const struct kd_addr *addrs;
	struct kd_reset_result *results;
	const struct kd_topo *topo; /* the caller's, or own_topo */
	struct kd_topo own_topo;
	struct target *t;    /* cap of them, nt planned */
	size_t nt, cap;
	struct domain *d;    /* cap of them, nd planned */
	size_t nd;
	pthread_mutex_t lock;
	size_t next;
	/* d[0] runs alone until it waits (gated), then the gate opens */
	pthread_cond_t gate;
	bool gated, gate_open;
	/* gated: start_others(), made as the first domain begins to wait */
	pthread_t starter;
	bool starter_tried, have_starter;
	bool more_pending;   /* opts->more_fn not yet called (under lock) */
	size_t n_addrs;      /* addrs given so far (more_fn adds) */
	struct kd_bus_facts *facts; /* the bus scope check's memo */
};

static void set_reason(struct kd_reset_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_reason(struct kd_reset_result *r, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, args);
	va_end(args);
}

static bool has_children(const struct kd_topo *t, const struct kd_addr *a)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].has_parent && kd_addr_eq(&t->v[i].parent, a))
			return true;
	return false;
}

/*
 * A domain is everything one reset can reach: below a top-level bridge
 * (a root port), everything under it; on a root bus, the device's
 * functions (a bridge there: itself and its subtree).  A VF is in its
 * PF's domain (vf_domain()), wherever its device number.
 */
static void domain_of(const struct kd_topo *t, const struct kd_addr *a,
		      struct kd_addr *key, unsigned *depth)
{
	const struct kd_topo_node *nd = kd_topo_find(t, a);
	struct kd_addr top = *a;

	*depth = 0;
	while (nd && nd->has_parent && *depth < 256) {
		top = nd->parent;
		(*depth)++;
		nd = kd_topo_find(t, &nd->parent);
	}
	*key = top;
	if (*depth == 0 && !has_children(t, a))
		key->fn = 0;
}

void kd_reset_domain_key(const struct kd_topo *topo, const struct kd_addr *a,
			 struct kd_addr *key)
{
	unsigned depth;

	domain_of(topo, a, key, &depth);
}

/*
 * A function reading all-ones is identified no further (identify reads no
 * sysfs for it), but it may be a VF whose PF is being reset: a PF's FLR
 * or bus reset clears VF Enable and its VFs answer all-ones until the
 * restore sets it again (SR-IOV 1.1 §3.3.3.1).  A VF chosen late (more_fn)
 * while its PF's domain runs is that case; its physfn link still names
 * the PF, whose domain it is in.
 */
static bool vf_of_other(struct kd_dev *dev, const struct kd_addr *a,
			struct kd_addr *pf)
{
	return kd_probe_physfn(dev, pf) && !kd_addr_eq(pf, a);
}

static bool dead_vf_pf(struct runner *rn, const struct kd_addr *a,
		       struct kd_addr *pf)
{
	struct kd_dev *dev;
	bool vf;

	if (kd_dev_open(rn->ctx, a, &dev) < 0)
		return false;
	vf = vf_of_other(dev, a, pf);
	kd_dev_free(dev);
	return vf;
}

/*
 * A PF's reset takes its VFs along (SR-IOV 1.1 §2.2.2): a VF (sysfs
 * physfn link, or a dump's PF found by kd_probe_identify()) gets its
 * PF's domain, so a PF and its VFs never reset concurrently, even an
 * integrated PF on a root bus whose VFs sit at other device numbers.
 * Not a VF (or one that cannot be read): its own domain.  The same
 * identify gives the wait the planner orders domains by.
 */
static void place(struct runner *rn, struct target *t)
{
	const struct kd_probe_info *given = rn->o->infos ?
					    &rn->o->infos[t->idx] : NULL;
	struct kd_probe_info in;
	struct kd_addr pf;
	struct kd_dev *dev;

	t->vf = false;
	if (given && kd_addr_eq(&given->addr, &t->addr)) {
		t->vf = given->is_vf && !kd_addr_eq(&given->physfn, &t->addr);
		if (t->vf)
			domain_of(rn->topo, &given->physfn, &t->key,
				  &t->depth);
		t->expect_ns = kd_reset_expected_wait_ns(given, rn->o->method);
		if (given->dead && dead_vf_pf(rn, &t->addr, &pf)) {
			t->vf = true;
			domain_of(rn->topo, &pf, &t->key, &t->depth);
		}
	} else if (kd_dev_open(rn->ctx, &t->addr, &dev) == 0) {
		kd_probe_identify(rn->topo, dev, &in);
		t->vf = in.is_vf && !kd_addr_eq(&in.physfn, &t->addr);
		if (in.dead && vf_of_other(dev, &t->addr, &pf)) {
			t->vf = true;
			in.physfn = pf;
		}
		if (t->vf)
			domain_of(rn->topo, &in.physfn, &t->key, &t->depth);
		t->expect_ns = kd_reset_expected_wait_ns(&in, rn->o->method);
		kd_probe_info_clear(&in);
		kd_dev_free(dev);
	}
	if (!t->vf)
		domain_of(rn->topo, &t->addr, &t->key, &t->depth);
}

/*
 * Order inside a domain: deeper functions first (a bridge after what is
 * below it); at one depth a PF's VFs before everything else, and within
 * one device the higher functions first and function 0 last: function 0
 * must stay present for the device to be found (PCIe r5.0 §7.5.1.1.9),
 * and a PF's FLR takes its VFs with it (SR-IOV 1.1 §2.2.2), so they go
 * first.
 */
static int cmp_in_device(const struct kd_addr *x, const struct kd_addr *y)
{
	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	if (x->bus != y->bus)
		return x->bus < y->bus ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->fn > y->fn ? -1 : x->fn < y->fn; /* fn 0 last */
}

static int cmp_full(const void *pa, const void *pb)
{
	const struct target *a = pa, *b = pb;
	int c = kd_addr_cmp(&a->key, &b->key);

	if (c)
		return c;
	if (a->depth != b->depth)
		return a->depth > b->depth ? -1 : 1;
	if (a->vf != b->vf)
		return a->vf ? -1 : 1;
	c = cmp_in_device(&a->addr, &b->addr);
	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static bool clean(const struct kd_reset_exec *x)
{
	const struct kd_reset_result *r = x->res;

	return r->after.valid && r->after.verdict == KD_VERDICT_CLEAN &&
	       r->witness.verdict != KD_WITNESS_NOOP && !x->bars_lost;
}

/* The BAR registers of a type 0 (6) or type 1 (2) header. */
static unsigned read_bars(struct kd_dev *dev, uint32_t *v)
{
	unsigned n = (kd_cfg_read8(dev, PCI_HEADER_TYPE) &
		      PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE ? 2 : 6;

	for (unsigned i = 0; i < n; i++)
		v[i] = kd_cfg_read32(dev, PCI_BASE_ADDRESS_0 + 4 * i);
	return n;
}

static uint32_t bar_addr(uint32_t v)
{
	return v & (v & PCI_BASE_ADDRESS_SPACE_IO ? ~3u :
		    PCI_BASE_ADDRESS_MEM_MASK);
}

/* Assigned before, 0 after: the function lost its resources (a reset
 * whose restore did not stick, or one that hit it unsaved). */
static void check_bars(struct kd_reset_exec *x, struct kd_dev *dev)
{
	uint32_t now[6];
	unsigned n = read_bars(dev, now);

	x->bars_lost = 0;
	for (unsigned i = 0; i < n && i < x->n_bars; i++)
		if (bar_addr(x->bars_before[i]) && !bar_addr(now[i]) &&
		    now[i] != 0xffffffff)
			x->bars_lost |= 1u << i;
}

static void verify(struct kd_reset_exec *x, struct kd_dev *dev)
{
	struct kd_reset_result *r = x->res;
	struct kd_probe_info in;

	if (x->dry_run)
		return;
	/* one read and one identify for the snapshot and the witness */
	kd_reset_snapshot_info(x->topo, dev, &r->after, &in);
	if (!r->after.dead) {
		check_bars(x, dev);
	} else {
		kd_probe_info_clear(&in);
		memset(&in, 0, sizeof(in));
		in.dead = true;
	}
	kd_witness_read(dev, &in, &r->witness, true);
	kd_probe_info_clear(&in);
}

static void describe_dirty(const struct kd_reset_exec *x, char *buf,
			   size_t len)
{
	const struct kd_reset_result *r = x->res;

	if (x->bars_lost) {
		unsigned i = (unsigned)__builtin_ctz(x->bars_lost);

		snprintf(buf, len, "BAR%u was 0x%08x and reads 0 after the "
			 "reset: the function lost its resources", i,
			 x->bars_before[i]);
		return;
	}
	if (r->witness.verdict == KD_WITNESS_NOOP) {
		snprintf(buf, len, "%s still set: the reset was a no-op",
			 r->witness.name);
		return;
	}
	if (r->after.dead) {
		snprintf(buf, len, "config space reads all-ones after reset");
		return;
	}
	snprintf(buf, len, "still %s:", kd_verdict_name(r->after.verdict));
	for (unsigned b = 0; b < KD_REASON_COUNT; b++) {
		size_t n = strlen(buf);

		if ((r->after.reasons & (1u << b)) && n < len)
			snprintf(buf + n, len - n, " %s",
				 kd_reason_word((enum kd_reason)(1u << b)));
	}
}

/*
 * The kernel's "bus" (and "cxl_bus") is a bus reset as well: it obeys
 * the same scope check as kdsafe's own (kd_bus_scope_check(),
 * pci_bus_resettable()): a quirked bridge or sibling, a bound one
 * without --force.  "kernel" is narrowed without it; "kernel:bus" is
 * refused.  Where kdsafe finds no bridge (root bus), neither does the
 * kernel's pci_parent_bus_reset(); a VF is narrowed by the method.
 */
static int attempt_kernel(struct runner *rn, struct kd_reset_exec *x,
			  struct kd_dev *dev, enum kd_reset_method m,
			  bool unbound, const struct kd_reset_policy *pol)
{
	const unsigned bus = KD_RM_BIT(KD_RM_BUS) |
			     KD_RM_BIT(KD_RM_KERNEL_BUS);
	unsigned avoid = pol ? pol->avoid : 0;
	char why[200];
	int err;

	if ((m != KD_RM_KERNEL && m != KD_RM_KERNEL_BUS) || (avoid & bus))
		return kd_method_kernel(x, dev, m, unbound, avoid);
	err = kd_bus_scope_check(x, dev, rn->topo, rn->o, rn->facts, why,
				 sizeof(why));
	if (err == 0 || err == -ENOTTY)
		return kd_method_kernel(x, dev, m, unbound, avoid);
	if (m == KD_RM_KERNEL_BUS) {
		snprintf(x->res->reason, sizeof(x->res->reason),
			 "kernel:bus: %s", why);
		return -EOPNOTSUPP;
	}
	INFO(x->ctx, "%s: the kernel's bus reset is left out: %s",
	     kd_dev_name(dev), why);
	return kd_method_kernel(x, dev, m, unbound, avoid | bus);
}

static int attempt(struct runner *rn, struct kd_reset_exec *x,
		   struct kd_dev *dev, const struct kd_probe_info *in,
		   enum kd_reset_method m, const struct kd_reset_policy *pol)
{
	bool unbound = !in->bound;
	int err = 0;

	if (pol && pol->pre)
		err = pol->pre(x, dev, pol->hook_data);
	if (err < 0)
		return err;
	switch (m) {
	case KD_RM_FLR:
		err = kd_method_flr(x, dev, in, unbound);
		break;
	case KD_RM_AF_FLR:
		err = kd_method_af_flr(x, dev, in, unbound);
		break;
	case KD_RM_PM:
		err = kd_method_pm(x, dev, in, unbound);
		break;
	case KD_RM_BUS:
		err = kd_method_bus(x, dev, rn->topo, rn->o);
		break;
	case KD_RM_VIRTIO:
		err = kd_method_virtio(x, dev, in, unbound);
		break;
	case KD_RM_DEVICE_SPECIFIC:
		err = kd_method_device_specific(x, dev, in, unbound,
						pol ? pol->reset : NULL,
						pol ? pol->hook_data : NULL);
		break;
	case KD_RM_KERNEL:
	case KD_RM_KERNEL_FLR:
	case KD_RM_KERNEL_PM:
	case KD_RM_KERNEL_BUS:
	case KD_RM_KERNEL_DEVSPEC:
		err = attempt_kernel(rn, x, dev, m, unbound, pol);
		break;
	case KD_RM_QUIESCE:
		err = kd_method_quiesce(x, dev, in);
		break;
	default:
		err = -EINVAL;
	}
	if (err < 0)
		return err;
	if (pol && pol->delay_after_ns && m != KD_RM_QUIESCE)
		kd_reset_sleep(x, pol->delay_after_ns,
			       "quirk: delay after reset");
	if (pol && pol->post)
		err = pol->post(x, dev, pol->hook_data);
	return err;
}

static void note_attempt(struct kd_reset_result *r, enum kd_reset_method m,
			 int err, const char *why)
{
	struct kd_reset_attempt *a;
	size_t n;

	if (r->n_attempts >= KD_RM_COUNT)
		return;
	a = &r->attempts[r->n_attempts++];
	a->method = m;
	a->err = err;
	/* truncation is fine here */
	n = strnlen(why, sizeof(a->why) - 1);
	memcpy(a->why, why, n);
	a->why[n] = '\0';
}

static void fail_reason(struct kd_reset_result *r, enum kd_reset_method m,
			int err, char *buf, size_t len)
{
	if (r->reason[0])
		snprintf(buf, len, "%s", r->reason);
	else if (err == -ENODEV)
		snprintf(buf, len, "%s: device disappeared during the reset",
			 kd_reset_method_name(m));
	else if (err == -ETIMEDOUT)
		snprintf(buf, len, "%s: device not ready before the timeout",
			 kd_reset_method_name(m));
	else
		snprintf(buf, len, "%s: %s", kd_reset_method_name(m),
			 strerror(-err));
}

static void refresh_info(struct kd_reset_exec *x, struct kd_dev *dev,
			 struct kd_probe_info *in)
{
	kd_probe_info_clear(in);
	kd_dev_refresh(dev);
	kd_probe_identify(x->topo, dev, in);
}

/* device-specific runs the quirk's reset steps: none, no method */
static int devspec_check(enum kd_reset_method m,
			 const struct kd_reset_policy *pol, char *why,
			 size_t len)
{
	if (m != KD_RM_DEVICE_SPECIFIC || (pol && pol->reset))
		return 0;
	snprintf(why, len, "no quirk defines a device-specific reset "
		 "(reset = STEPS) for this function");
	return -ENOTTY;
}

static void run_explicit(struct runner *rn, struct kd_reset_exec *x,
			 struct kd_dev *dev, struct kd_probe_info *in,
			 const struct kd_reset_policy *pol)
{
	struct kd_reset_result *r = x->res;
	enum kd_reset_method m = rn->o->method;
	char why[256];
	int err;

	r->used = m;
	if (pol && (pol->avoid & KD_RM_BIT(m)) && !rn->o->force) {
		r->status = KD_RS_REFUSED;
		r->err = -EPERM;
		set_reason(r, "quirk %s forbids %s (use --force)", pol->source,
			   kd_reset_method_name(m));
		return;
	}
	if (devspec_check(m, pol, why, sizeof(why)) < 0 ||
	    kd_method_check(dev, in, rn->topo, m, why, sizeof(why)) < 0) {
		r->status = KD_RS_REFUSED;
		r->err = -ENOTTY;
		set_reason(r, "%s: %s", kd_reset_method_name(m), why);
		return;
	}
	err = attempt(rn, x, dev, in, m, pol);
	if (err < 0) {
		fail_reason(r, m, err, why, sizeof(why));
		set_reason(r, "%s", why);
		r->err = err == -EOPNOTSUPP ? -ENOTTY : err;
		r->status = err == -EOPNOTSUPP ||
			    ((err == -ENOTTY || err == -EBUSY || err == -EPERM) &&
			     r->n_ops == 0) ? KD_RS_REFUSED : KD_RS_FAILED;
		verify(x, dev);
		return;
	}
	if (x->dry_run) {
		r->status = KD_RS_PLANNED;
		return;
	}
	verify(x, dev);
	if (clean(x)) {
		r->status = KD_RS_OK;
		return;
	}
	r->status = KD_RS_DIRTY;
	describe_dirty(x, why, sizeof(why));
	set_reason(r, "%s", why);
}

/*
 * A method the kernel or the device turned out not to offer (-EOPNOTSUPP:
 * the kernel's EINVAL/ENOTTY from reset_method or reset, kd_method_kernel())
 * is no error when auto goes on: one note at information level, naming
 * what the kernel answered and the method tried next.  Found in the
 * method's ops (from first): the last one that failed.
 */
struct unavailable {
	enum kd_reset_method method; /* KD_RM_NONE: nothing to note */
	const char *errname;
};

static void note_unavailable(struct unavailable *u,
			     const struct kd_reset_result *r, size_t first,
			     enum kd_reset_method m, int err)
{
	u->method = err == -EOPNOTSUPP ? m : KD_RM_NONE;
	u->errname = "EOPNOTSUPP";
	for (size_t i = r->n_ops; u->method && i-- > first;) {
		const char *n = r->ops[i].result < 0 ?
				strerrorname_np(-r->ops[i].result) : NULL;

		if (n) {
			u->errname = n;
			break;
		}
	}
}

static void log_unavailable(struct unavailable *u, struct kd_reset_exec *x,
			    enum kd_reset_method next)
{
	if (u->method == KD_RM_NONE)
		return;
	INFO(x->ctx, "%s: %s reset not available (%s), trying %s",
	     x->res->name, kd_reset_method_name(u->method), u->errname,
	     next == KD_RM_QUIESCE ? "quiesce" : kd_reset_method_name(next));
	u->method = KD_RM_NONE;
}

static void run_auto(struct runner *rn, struct kd_reset_exec *x,
		     struct kd_dev *dev, struct kd_probe_info *in,
		     const struct kd_reset_policy *pol)
{
	static const enum kd_reset_method order[] = {
		KD_RM_KERNEL, KD_RM_FLR, KD_RM_AF_FLR, KD_RM_PM, KD_RM_BUS,
		KD_RM_VIRTIO,
	};
	struct kd_reset_result *r = x->res;
	enum kd_reset_method cand[KD_RM_COUNT * 2];
	unsigned avoid = pol ? pol->avoid : 0, seen = 0;
	struct unavailable unavail = { .method = KD_RM_NONE };
	size_t n = 0, first_op, ops_read = r->n_ops; /* in is of then */
	char why[256];
	int err;

	/*
	 * --force on a bound function with MSI/MSI-X on: kdsafe's own
	 * methods do not rebuild MSI/MSI-X nor the MSI-X table (the
	 * kernel's pci_restore_state() does, from its own records), so the
	 * driver would lose its interrupts.  The kernel's reset comes first.
	 */
	if (rn->o->force && in->bound && (in->msi_enable || in->msix_enable) &&
	    !(avoid & KD_RM_BIT(KD_RM_KERNEL)) && kd_kernel_has_reset(dev)) {
		cand[n++] = KD_RM_KERNEL;
		seen |= KD_RM_BIT(KD_RM_KERNEL);
	}
	/*
	 * A quirk's own reset first, as pci_reset_fn_methods[] puts
	 * device_specific first; then the quirk's preference, then the
	 * default order; never avoided.  A quirk listing device-specific
	 * in methods places it itself.
	 */
	if (pol && pol->reset && !(avoid & KD_RM_BIT(KD_RM_DEVICE_SPECIFIC))) {
		bool listed = false;

		for (unsigned i = 0; i < pol->n_prefer && i < KD_RM_COUNT; i++)
			listed |= pol->prefer[i] == KD_RM_DEVICE_SPECIFIC;
		if (!listed) {
			cand[n++] = KD_RM_DEVICE_SPECIFIC;
			seen |= KD_RM_BIT(KD_RM_DEVICE_SPECIFIC);
		}
	}
	for (unsigned i = 0; pol && i < pol->n_prefer && i < KD_RM_COUNT; i++) {
		enum kd_reset_method m = pol->prefer[i];

		if (m > KD_RM_AUTO && m < KD_RM_QUIESCE &&
		    !(avoid & KD_RM_BIT(m)) && !(seen & KD_RM_BIT(m))) {
			cand[n++] = m;
			seen |= KD_RM_BIT(m);
		}
	}
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (avoid & KD_RM_BIT(order[i])) {
			note_attempt(r, order[i], -EPERM, "forbidden by quirk");
			continue;
		}
		if (!(seen & KD_RM_BIT(order[i]))) {
			cand[n++] = order[i];
			seen |= KD_RM_BIT(order[i]);
		}
	}
	for (size_t i = 0; i < n; i++) {
		enum kd_reset_method m = cand[i];

		if (i && !x->dry_run && kd_run_guard_stop_result(rn->o->guard,
				r, "the methods tried are listed")) {
			verify(x, dev);
			return;
		}
		/* what the last try did (none: its check failed, or it
		 * was not available before any write); a log out of memory
		 * records nothing more, the writes still happen */
		if (r->n_ops != ops_read || x->oom) {
			refresh_info(x, dev, in);
			ops_read = r->n_ops;
		}
		if (devspec_check(m, pol, why, sizeof(why)) < 0 ||
		    kd_method_check(dev, in, rn->topo, m, why,
				    sizeof(why)) < 0) {
			note_attempt(r, m, -ENOTTY, why);
			continue;
		}
		r->reason[0] = '\0';
		log_unavailable(&unavail, x, m);
		first_op = r->n_ops;
		err = attempt(rn, x, dev, in, m, pol);
		if (err < 0) {
			fail_reason(r, m, err, why, sizeof(why));
			r->reason[0] = '\0';
			note_attempt(r, m, err, why);
			note_unavailable(&unavail, r, first_op, m, err);
			if (err == -ENODEV) {
				r->used = m;
				r->err = err;
				r->status = KD_RS_FAILED;
				set_reason(r, "%s", why);
				verify(x, dev);
				return;
			}
			continue;
		}
		r->used = m;
		if (x->dry_run) {
			size_t len;

			r->status = KD_RS_PLANNED;
			set_reason(r, "then, if it fails:");
			for (size_t j = i + 1; j < n; j++) {
				len = strlen(r->reason);
				snprintf(r->reason + len, sizeof(r->reason) - len,
					 " %s", kd_reset_method_name(cand[j]));
			}
			len = strlen(r->reason);
			snprintf(r->reason + len, sizeof(r->reason) - len,
				 " quiesce");
			return;
		}
		verify(x, dev);
		if (clean(x)) {
			r->status = KD_RS_OK;
			return;
		}
		describe_dirty(x, why, sizeof(why));
		note_attempt(r, m, 0, why);
		/* the witness after this try is the before of the next */
		r->witness.before = r->witness.after;
		r->witness.have_before = r->witness.have_after;
	}
	if (!x->dry_run && kd_run_guard_stop_result(rn->o->guard, r,
			"not quiesced: the methods tried are listed")) {
		verify(x, dev);
		return;
	}
	if (r->n_ops != ops_read || x->oom)
		refresh_info(x, dev, in);
	log_unavailable(&unavail, x, KD_RM_QUIESCE);
	r->used = KD_RM_QUIESCE;
	if (avoid & KD_RM_BIT(KD_RM_QUIESCE)) {
		r->status = KD_RS_FAILED;
		r->err = -ENOTTY;
		set_reason(r, "no reset method worked and the quirk forbids "
			      "quiesce");
		return;
	}
	if (in->dead) {
		r->status = KD_RS_FAILED;
		r->err = -ENOTTY;
		set_reason(r, "no reset method worked; config space reads "
			      "all-ones");
		verify(x, dev);
		return;
	}
	err = attempt(rn, x, dev, in, KD_RM_QUIESCE, pol);
	if (x->dry_run) {
		r->status = KD_RS_PLANNED;
		set_reason(r, "no reset method applies: quiesce only");
		return;
	}
	verify(x, dev);
	if (err < 0) {
		r->status = KD_RS_FAILED;
		r->err = err;
		fail_reason(r, KD_RM_QUIESCE, err, why, sizeof(why));
		set_reason(r, "%s", why);
		return;
	}
	r->status = clean(x) ? KD_RS_OK : KD_RS_DIRTY;
	set_reason(r, "no reset method worked: quiesced only (not reset)");
}

/* Was this function already reset by an earlier bus reset in the domain? */
static const struct kd_reset_result *covered_by(struct runner *rn,
						const struct domain *d,
						size_t upto,
						const struct kd_addr *a)
{
	for (size_t j = d->first; j < upto; j++) {
		const struct kd_reset_result *p = &rn->results[rn->t[j].idx];

		if (kd_addr_eq(&p->addr, a) && p->status != KD_RS_REFUSED &&
		    p->status != KD_RS_FAILED)
			return p;
		if (p->used != KD_RM_BUS || p->status == KD_RS_REFUSED ||
		    p->status == KD_RS_FAILED)
			continue;
		for (size_t k = 0; k < p->n_also; k++)
			if (kd_addr_eq(&p->also[k], a))
				return p;
	}
	return NULL;
}

static void *start_others(void *data);
static void add_more(struct runner *rn);

/* x.on_wait of the first domain: the thread that starts the others,
 * waiting for the gate (in the first domain's thread, once) */
static void make_starter(void *data)
{
	struct runner *rn = data;

	if (rn->starter_tried)
		return;
	rn->starter_tried = true;
	rn->have_starter = pthread_create(&rn->starter, NULL, start_others,
					  rn) == 0;
}

/* x.on_release: the others may start.  Without a starter thread the rest
 * is chosen here, and this thread takes every domain after its own. */
static void open_gate(void *data)
{
	struct runner *rn = data;

	if (!rn->have_starter && rn->more_pending)
		add_more(rn);
	pthread_mutex_lock(&rn->lock);
	rn->gate_open = true;
	pthread_cond_broadcast(&rn->gate);
	pthread_mutex_unlock(&rn->lock);
}

static void reset_one(struct runner *rn, const struct domain *d, size_t pos,
		      bool lead)
{
	const struct kd_reset_opts *o = rn->o;
	struct kd_reset_result *r = &rn->results[rn->t[pos].idx];
	const struct kd_reset_result *cov;
	struct kd_reset_policy pol;
	struct kd_reset_exec x;
	struct kd_probe_info in;
	struct kd_dev *dev = NULL;
	uint64_t start, timeout;
	char why[160];
	bool have_pol = false;
	int err;

	r->addr = rn->addrs[rn->t[pos].idx];
	kd_addr_format(&r->addr, r->name);
	r->requested = o->method;
	if (!kd_topo_find(rn->topo, &r->addr)) {
		r->status = KD_RS_FAILED;
		r->err = -ENODEV;
		set_reason(r, "no such PCI function");
		return;
	}
	r->began_ns = kd_now_ns(rn->ctx);
	err = kd_dev_open(rn->ctx, &r->addr, &dev);
	if (err < 0) {
		r->status = KD_RS_FAILED;
		r->err = err;
		set_reason(r, "cannot read config space: %s", strerror(-err));
		return;
	}
	memset(&in, 0, sizeof(in));
	kd_exec_init(&x, rn->ctx, r, o->dry_run, o->timeout_ns);
	x.topo = rn->topo;
	if (lead && rn->gated) {
		x.on_wait = make_starter;
		x.on_release = open_gate;
		x.on_wait_data = rn;
	}
	x.bars_before = rn->t[pos].bars;
	x.n_bars = rn->t[pos].n_bars;
	cov = covered_by(rn, d, pos, &r->addr);
	if (cov) {
		r->used = cov->used;
		r->duration_ns = 0;
		if (o->dry_run) {
			r->status = KD_RS_PLANNED;
		} else {
			verify(&x, dev);
			r->status = clean(&x) ? KD_RS_OK : KD_RS_DIRTY;
		}
		set_reason(r, "%s together with %s", kd_addr_eq(&cov->addr,
			   &r->addr) ? "listed twice: handled" : "reset",
			   cov->name);
		goto out;
	}
	/* the one identify path: a VF's real IDs reach the quirk policy */
	kd_probe_identify(rn->topo, dev, &in);
	/* just opened: the snapshot is of what was just read */
	kd_reset_state_of(&in, &r->before);
	if (o->policy_fn) {
		memset(&pol, 0, sizeof(pol));
		err = o->policy_fn(o->policy_data, dev, &in, &pol);
		if (err == 0) {
			have_pol = true;
			r->policy_applied = true;
			snprintf(r->policy_source, sizeof(r->policy_source),
				 "%s", pol.source);
		} else if (err != -ENOENT) {
			WARN(rn->ctx, "%s: quirk lookup failed: %s", r->name,
			     strerror(-err));
		}
	}
	timeout = o->timeout_ns ? o->timeout_ns :
		  have_pol && pol.timeout_ns ? pol.timeout_ns :
		  KD_RESET_DEFAULT_TIMEOUT_NS;
	x.timeout_ns = timeout;
	if (have_pol) {
		/* a non-zero delay counts as given; 0 needs the flag */
		x.has_d3hot_delay = pol.has_d3hot_delay ||
				    pol.d3hot_delay_ns;
		x.d3hot_delay_ns = pol.d3hot_delay_ns;
	}
	if (in.bound && !o->force) {
		r->status = KD_RS_REFUSED;
		r->err = -EBUSY;
		r->used = o->method;
		set_reason(r, "driver %s is bound (use --force)", in.driver);
		goto out;
	}
	if (!o->force && kd_probe_kernel_owned(&in)) {
		r->status = KD_RS_REFUSED;
		r->err = -EPERM;
		r->used = o->method;
		set_reason(r, "%s: the kernel owns it without a driver (use "
			      "--force)", kd_probe_kernel_owned(&in));
		goto out;
	}
	if (!o->force && o->method != KD_RM_QUIESCE &&
	    kd_pf_has_bound_vf(dev, &in, rn->topo, why, sizeof(why))) {
		r->status = KD_RS_REFUSED;
		r->err = -EBUSY;
		r->used = o->method;
		set_reason(r, "its VF %s would be reset with it (use --force)",
			   why);
		goto out;
	}
	if (kd_probe_platform_bridge(&in)) {
		r->status = KD_RS_REFUSED;
		r->err = -EPERM;
		r->used = o->method;
		set_reason(r, "a platform bridge (class %04x): kdsafe never "
			      "touches host or ISA/LPC bridges",
			   (unsigned)(in.class_code >> 8));
		goto out;
	}
	if (!o->dry_run && kd_run_guard_stop_result(o->guard, r, NULL))
		goto out;
	kd_witness_read(dev, &in, &r->witness, false);
	start = kd_now_ns(rn->ctx);
	r->started_ns = start;
	if (o->method == KD_RM_AUTO)
		run_auto(rn, &x, dev, &in, have_pol ? &pol : NULL);
	else
		run_explicit(rn, &x, dev, &in, have_pol ? &pol : NULL);
	r->duration_ns = kd_now_ns(rn->ctx) - start;
	if (x.oom)
		WARN(rn->ctx, "%s: out of memory: operation log incomplete",
		     r->name);
	if (r->status == KD_RS_OK)
		INFO(rn->ctx, "%s: %s: ok", r->name,
		     kd_reset_method_name(r->used));
	else
		NOTICE(rn->ctx, "%s: %s: %s: %s", r->name,
		       kd_reset_method_name(r->used),
		       kd_reset_status_name(r->status), r->reason);
out:
	if (have_pol && pol.release)
		pol.release(pol.hook_data);
	kd_probe_info_clear(&in);
	kd_dev_free(dev);
}

static void reset_target(struct runner *rn, const struct domain *d,
			 size_t pos, bool lead)
{
	reset_one(rn, d, pos, lead);
	if (rn->o->done_fn)
		rn->o->done_fn(rn->o->done_data, &rn->results[rn->t[pos].idx]);
}

static void run_domain(struct runner *rn, const struct domain *d, bool lead)
{
	/* BARs before anything in the domain is reset: a bus reset may hit
	 * a later target first */
	for (size_t i = d->first; i < d->first + d->n; i++) {
		struct kd_dev *dev;

		if (kd_dev_open(rn->ctx, &rn->t[i].addr, &dev) < 0)
			continue;
		rn->t[i].n_bars = read_bars(dev, rn->t[i].bars);
		kd_dev_free(dev);
	}
	for (size_t i = d->first; i < d->first + d->n; i++)
		reset_target(rn, d, i, lead);
	if (lead && rn->gated && !rn->starter_tried) { /* never waited */
		make_starter(rn);
		open_gate(rn);
	}
}

static void *worker(void *data)
{
	struct runner *rn = data;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&rn->lock);
		i = rn->next++;
		while ((i > 0 && i < rn->nd && rn->gated && !rn->gate_open) ||
		       (i >= rn->nd && rn->more_pending))
			pthread_cond_wait(&rn->gate, &rn->lock);
		pthread_mutex_unlock(&rn->lock);
		if (i >= rn->nd)
			return NULL;
		run_domain(rn, &rn->d[i], i == 0);
	}
}

/* Threads running worker(): how many could be made (they are joined) */
static size_t spawn(struct runner *rn, pthread_t *th, size_t n)
{
	size_t started = 0;

	while (started < n &&
	       pthread_create(&th[started], NULL, worker, rn) == 0)
		started++;
	return started;
}

static size_t threads(struct runner *rn);

/*
 * Gated: the other domains' threads are made once the gate opens, while
 * the first domain waits: on a capture kernel's one TCG vCPU making eleven
 * threads first delayed its start by 32 ms.
 */
static void *start_others(void *data)
{
	struct runner *rn = data;
	pthread_t *th;
	size_t started, nth;

	pthread_mutex_lock(&rn->lock);
	while (!rn->gate_open)
		pthread_cond_wait(&rn->gate, &rn->lock);
	pthread_mutex_unlock(&rn->lock);
	if (rn->more_pending)
		add_more(rn);
	nth = threads(rn); /* nd is final now */
	th = calloc(nth, sizeof(*th));
	started = th ? spawn(rn, th, nth - 1) : 0;
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	return NULL;
}

/* the longest expected wait first; else in address order */
static int cmp_wait(const void *pa, const void *pb)
{
	const struct domain *a = pa, *b = pb;

	if (a->expect_ns != b->expect_ns)
		return a->expect_ns > b->expect_ns ? -1 : 1;
	return a->first < b->first ? -1 : a->first > b->first;
}

static bool planned_key(const struct runner *rn, size_t nd,
			const struct kd_addr *key)
{
	for (size_t i = 0; i < nd; i++)
		if (kd_addr_eq(&rn->t[rn->d[i].first].key, key))
			return true;
	return false;
}

/* A function more_fn chose in a domain already planned: another thread
 * may be resetting that domain now, and nothing may run beside it. */
static void refuse_late(struct runner *rn, size_t idx)
{
	struct kd_reset_result *r = &rn->results[idx];

	r->addr = rn->addrs[idx];
	kd_addr_format(&r->addr, r->name);
	r->requested = rn->o->method;
	r->used = rn->o->method;
	r->status = KD_RS_REFUSED;
	r->err = -EBUSY;
	set_reason(r, "chosen after its reset domain had started: not reset "
		      "beside it (run kdsafe reset again)");
	if (rn->o->done_fn)
		rn->o->done_fn(rn->o->done_data, r);
}

/*
 * addrs[from..n) as targets after the *nt planned, grouped into domains
 * after the *nd planned (each count updated): in a domain the order of
 * cmp_full(), the new domains the longest expected wait first.  The
 * entries written are past every one another thread may read.
 */
static void plan_range(struct runner *rn, size_t from, size_t n, size_t *nt,
		       size_t *nd)
{
	size_t t0 = *nt, d0 = *nd;

	for (size_t i = from; i < n; i++) {
		struct target *t = &rn->t[*nt];

		memset(t, 0, sizeof(*t));
		t->idx = i;
		t->addr = rn->addrs[i];
		place(rn, t);
		if (d0 && planned_key(rn, d0, &t->key))
			refuse_late(rn, i);
		else
			(*nt)++;
	}
	qsort(rn->t + t0, *nt - t0, sizeof(*rn->t), cmp_full);
	for (size_t i = t0; i < *nt; i++) {
		struct domain *d;

		if (i == t0 || !kd_addr_eq(&rn->t[i].key, &rn->t[i - 1].key)) {
			rn->d[*nd] = (struct domain){ .first = i };
			(*nd)++;
		}
		d = &rn->d[*nd - 1];
		d->n++;
		if (rn->t[i].expect_ns > d->expect_ns)
			d->expect_ns = rn->t[i].expect_ns;
	}
	qsort(rn->d + d0, *nd - d0, sizeof(*rn->d), cmp_wait);
}

static int plan(struct runner *rn)
{
	rn->t = calloc(rn->cap ? rn->cap : 1, sizeof(*rn->t));
	rn->d = calloc(rn->cap ? rn->cap : 1, sizeof(*rn->d));
	if (!rn->t || !rn->d)
		return -ENOMEM;
	plan_range(rn, 0, rn->n_addrs, &rn->nt, &rn->nd);
	return 0;
}

/* opts->more_fn's functions, planned after the others (once) */
static void add_more(struct runner *rn)
{
	size_t n = rn->o->more_fn(rn->o->more_data), nt = rn->nt, nd = rn->nd;

	if (n > rn->cap)
		n = rn->cap;
	if (n > rn->n_addrs)
		plan_range(rn, rn->n_addrs, n, &nt, &nd);
	pthread_mutex_lock(&rn->lock);
	if (n > rn->n_addrs)
		rn->n_addrs = n;
	rn->nt = nt;
	rn->nd = nd;
	rn->more_pending = false;
	pthread_cond_broadcast(&rn->gate);
	pthread_mutex_unlock(&rn->lock);
}

/* Threads for the domains planned, the calling one included */
static size_t threads(struct runner *rn)
{
	size_t nth, nd;

	pthread_mutex_lock(&rn->lock);
	nd = rn->nd;
	pthread_mutex_unlock(&rn->lock);
	nth = rn->o->jobs ? rn->o->jobs : nd;
	return nth > nd ? nd : nth ? nth : 1;
}

int kd_reset_run(struct kd_ctx *ctx, const struct kd_reset_opts *opts,
		 const struct kd_addr *addrs, size_t n,
		 struct kd_reset_result *results)
{
	struct runner rn = { .ctx = ctx, .o = opts, .addrs = addrs,
			     .results = results, .n_addrs = n, .cap = n,
			     .topo = opts->topo,
			     .more_pending = opts->more_fn != NULL };
	pthread_t *th = NULL;
	size_t nth, started = 0;
	uint64_t t0 = kd_now_ns(ctx), t1;
	int err = 0;

	if (opts->method <= KD_RM_NONE || opts->method >= KD_RM_COUNT)
		return -EINVAL;
	if (!opts->dry_run && !kd_ctx_writes_enabled(ctx)) {
		ERR(ctx, "reset: writes are not enabled");
		return -EPERM;
	}
	if (opts->more_fn && opts->cap > n)
		rn.cap = opts->cap;
	if (!rn.topo) {
		err = kd_topo_load(ctx, &rn.own_topo);
		rn.topo = &rn.own_topo;
	}
	t1 = kd_now_ns(ctx);
	if (opts->timing)
		opts->timing->topology_ns = t1 - t0;
	if (err < 0) {
		ERR(ctx, "reset: cannot list PCI functions: %s",
		    strerror(-err));
		return err;
	}
	rn.facts = kd_bus_facts_new(); /* NULL: no memo, still correct */
	err = plan(&rn);
	if (opts->timing)
		opts->timing->plan_ns = kd_now_ns(ctx) - t1;
	if (err < 0)
		goto out;
	if (opts->guard && !opts->dry_run)
		kd_run_guard_attach(opts->guard, ctx);
	pthread_mutex_init(&rn.lock, NULL);
	pthread_cond_init(&rn.gate, NULL);
	nth = threads(&rn);
	rn.gated = !opts->dry_run && rn.nd > 0 && rn.d[0].expect_ns > 0 &&
		   (nth > 1 || rn.more_pending);
	if (opts->timing)
		opts->timing->begin_ns = kd_now_ns(ctx);
	if (rn.gated) {
		/* this thread takes the first domain at once, then helps;
		 * the starter is made as that domain begins to wait */
		worker(&rn);
		if (rn.have_starter)
			pthread_join(rn.starter, NULL);
	} else {
		if (rn.more_pending) {
			add_more(&rn);
			nth = threads(&rn);
		}
		if (nth > 1)
			th = calloc(nth, sizeof(*th));
		started = th ? spawn(&rn, th, nth) : 0;
		if (started == 0)
			worker(&rn); /* serially, in this thread */
		for (size_t i = 0; i < started; i++)
			pthread_join(th[i], NULL);
		free(th);
	}
	pthread_cond_destroy(&rn.gate);
	pthread_mutex_destroy(&rn.lock);
	if (opts->guard && !opts->dry_run)
		kd_run_guard_detach(opts->guard, ctx);
	/* on t1's clock: the guard's adds the waits the budget skipped */
	if (opts->timing)
		opts->timing->resets_ns = kd_now_ns(ctx) - t1;
out:
	kd_bus_facts_free(rn.facts);
	free(rn.t);
	free(rn.d);
	if (rn.topo == &rn.own_topo)
		kd_topo_free(&rn.own_topo);
	return err;
}
