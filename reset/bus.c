// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Secondary Bus Reset through the parent bridge's Bridge Control: resets
 * every function below that bridge, so every one of them is saved,
 * disabled and restored (pci_bus_save_and_disable_locked(),
 * pci_reset_secondary_bus(), pci_bridge_wait_for_secondary_bus(),
 * pci_bus_restore_locked()).
 */
#include <errno.h>
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

struct member {
	struct kd_bus_target t;
	unsigned depth;
};

static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return kd_addr_cmp(kd_dev_addr(x->t.dev), kd_dev_addr(y->t.dev));
}

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

/*
 * Restore every saved function, top down (pci_bus_restore_locked()).
 * settle: the reset happened and the bus came back, so a nested bridge's
 * secondary bus settles before its children are touched.  Otherwise
 * (an error stopped the reset) restore what still answers, best effort:
 * the saved state exists only here.  Returns the first error.
 */
static int restore_members(struct kd_reset_exec *x, struct member *m,
			   size_t n, const struct kd_topo *topo, bool settle)
{
	int first = 0;

	for (size_t i = 0; i < n; i++) {
		struct kd_bus_target *t = &m[i].t;
		int err;

		if (!t->saved.valid)
			continue;
		if (!settle && !kd_dev_answers(x, t->dev))
			continue;
		err = kd_restore(x, t->dev, &t->saved);
		if (err == 0 && settle && t->info.is_bridge) {
			for (size_t j = i + 1; j < n; j++) {
				const struct kd_topo_node *c =
					kd_topo_find(topo, kd_dev_addr(m[j].t.dev));

				if (c && c->has_parent &&
				    kd_addr_eq(&c->parent, kd_dev_addr(t->dev))) {
					err = wait_secondary(x, t->dev, &t->info,
							     m[j].t.dev);
					break;
				}
			}
		}
		if (err < 0 && !first)
			first = err;
	}
	return first;
}

static void refuse(struct kd_reset_exec *x, const char *fmt, const char *a,
		   const char *b)
{
	snprintf(x->res->reason, sizeof(x->res->reason), fmt, a, b);
}

int kd_method_bus(struct kd_reset_exec *x, struct kd_dev *dev,
		  const struct kd_topo *topo, bool force)
{
	struct kd_ctx *ctx = x->ctx;
	struct kd_probe_info bi;
	struct member *m = NULL;
	struct kd_dev *br = NULL;
	struct kd_addr pa, *also;
	size_t n = 0, n_also = 0;
	uint16_t ctrl;
	int err;

	memset(&bi, 0, sizeof(bi));
	err = kd_dev_parent(dev, &pa);
	if (err == -ENOENT) {
		refuse(x, "%s is on a root bus: no bridge above it (kdsafe "
			  "never resets a root bus or host bridge)%s",
		       kd_dev_name(dev), "");
		return -ENOTTY;
	}
	if (err < 0)
		return err;
	err = kd_dev_open(ctx, &pa, &br);
	if (err < 0)
		return err;
	kd_reset_decode(br, &bi);
	if (bi.dead || !bi.is_bridge) {
		refuse(x, "parent %s is not a PCI-to-PCI bridge%s",
		       kd_dev_name(br), "");
		err = -ENOTTY;
		goto out;
	}
	x->res->has_bridge = true;
	x->res->bridge = pa;
	/* pciehp would see the link go down: the kernel masks that through
	 * its slot reset (pciehp_reset_slot()); kdsafe cannot */
	if (bi.hotplug_slot && bi.bound)
		WARN(ctx, "%s: hot-plug slot with %s bound: a bus reset may "
			  "look like a surprise removal", kd_dev_name(br),
		     bi.driver);

	/* every function below the bridge, parents before children */
	m = calloc(topo->n ? topo->n : 1, sizeof(*m));
	if (!m) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < topo->n; i++) {
		const struct kd_addr *a = &topo->v[i].addr;

		if (!kd_topo_below(topo, a, &pa))
			continue;
		err = kd_dev_open(ctx, a, &m[n].t.dev);
		if (err < 0) {
			char s[KD_ADDR_STRLEN];

			WARN(ctx, "%s: below %s but unreadable (%s); the bus "
				  "reset hits it unsaved", kd_addr_format(a, s),
			     kd_dev_name(br), strerror(-err));
			continue;
		}
		kd_reset_decode(m[n].t.dev, &m[n].t.info);
		m[n].t.bound = m[n].t.info.bound;
		m[n].t.requested = kd_addr_eq(a, kd_dev_addr(dev));
		m[n].depth = depth_below(topo, a, &pa);
		n++;
	}
	qsort(m, n, sizeof(*m), cmp_member);
	for (size_t i = 0; i < n; i++) {
		if (m[i].t.requested || !m[i].t.bound || force)
			continue;
		refuse(x, "%s below the same bridge has driver %s bound "
			  "(use --force)", kd_dev_name(m[i].t.dev),
		       m[i].t.info.driver);
		err = -EBUSY;
		goto out;
	}
	also = calloc(n ? n : 1, sizeof(*also));
	if (!also) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!m[i].t.requested)
			also[n_also++] = *kd_dev_addr(m[i].t.dev);
	free(x->res->also);
	x->res->also = also;
	x->res->n_also = n_also;

	/* save and disable every function, top down */
	for (size_t i = 0; i < n; i++) {
		struct kd_bus_target *t = &m[i].t;

		if (t->info.dead) {
			WARN(ctx, "%s reads all-ones: reset without saving",
			     kd_dev_name(t->dev));
			continue;
		}
		/* saved before the power-up: see function_reset() */
		err = kd_save(t->dev, !t->bound, &t->saved);
		if (!err)
			err = kd_power_up(x, t->dev);
		if (!err)
			err = kd_disable(x, t->dev);
		if (err < 0)
			goto restore;
	}

	/* pci_reset_secondary_bus() */
	ctrl = kd_cfg_read16(br, PCI_BRIDGE_CONTROL) & ~PCI_BRIDGE_CTL_BUS_RESET;
	err = kd_reset_cfg_write(x, br, PCI_BRIDGE_CONTROL, 2,
				 ctrl | PCI_BRIDGE_CTL_BUS_RESET,
				 "assert Secondary Bus Reset, Bridge Control "
				 "bit 6 (pci_reset_secondary_bus)");
	if (err < 0)
		goto restore;
	kd_exec_sleep(x, &pa, KD_SBR_ASSERT_NS, "hold reset 2 ms: Trst >= 1 ms, "
		      "PCI 3.0 §7.6.4.2 (pci_reset_secondary_bus)");
	err = kd_reset_cfg_write(x, br, PCI_BRIDGE_CONTROL, 2, ctrl,
				 "deassert Secondary Bus Reset");
	if (err < 0)
		err = kd_reset_cfg_write(x, br, PCI_BRIDGE_CONTROL, 2, ctrl,
					 "deassert Secondary Bus Reset "
					 "(again: the bus must not stay in "
					 "reset)");
	if (err < 0) {
		ERR(ctx, "%s: could not deassert Secondary Bus Reset: "
			 "everything below stays in reset", kd_dev_name(br));
		goto restore;
	}
	err = wait_secondary(x, br, &bi, n ? m[0].t.dev : NULL);
	if (err < 0)
		goto restore;
	err = restore_members(x, m, n, topo, true);
	goto out;
restore:
	/* pci_bus_restore_locked() runs whatever the reset returned */
	restore_members(x, m, n, topo, false);
out:
	free_members(m, n);
	kd_probe_info_clear(&bi);
	kd_dev_free(br);
	return err;
}
