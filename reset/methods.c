// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Function-scope methods through config space (flr, af-flr, pm), the
 * virtio device reset through the BAR, the kernel's sysfs reset, and
 * quiesce.  Each follows the kernel function named beside it
 * (drivers/pci/pci.c, drivers/virtio/virtio_pci_modern*.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *kernel_name(enum kd_reset_method m)
{
	switch (m) {
	case KD_RM_KERNEL_FLR: return "flr";
	case KD_RM_KERNEL_PM: return "pm";
	case KD_RM_KERNEL_BUS: return "bus";
	case KD_RM_KERNEL_DEVSPEC: return "device_specific";
	default: return NULL;
	}
}

bool kd_kernel_has_reset(struct kd_dev *dev)
{
	/* "reset" is write-only in sysfs; a dump says so through its
	 * reset_method annotation */
	return kd_dev_attr_exists(dev, "reset") ||
	       kd_dev_attr_exists(dev, "reset_method");
}

bool kd_reset_is_vf(struct kd_dev *dev)
{
	struct kd_addr pf;

	return kd_probe_physfn(dev, &pf);
}

/* Routing ID of VF n, SR-IOV 1.1 §3.3.10-11 (First VF Offset, Stride) */
static struct kd_addr vf_addr(const struct kd_addr *pf, unsigned offset,
			      unsigned stride, unsigned n)
{
	unsigned rid = (unsigned)(pf->bus << 8 | pf->dev << 3 | pf->fn) +
		       offset + n * stride;
	struct kd_addr a = { .domain = pf->domain, .bus = (rid >> 8) & 0xff,
			     .dev = (rid >> 3) & 0x1f, .fn = rid & 7 };

	return a;
}

bool kd_pf_has_bound_vf(struct kd_dev *pf, const struct kd_probe_info *in,
			const struct kd_topo *topo, char *who, size_t len)
{
	unsigned c = in->sriov_cap, num, off, stride;

	if (!c || !(kd_cfg_read16(pf, c + PCI_SRIOV_CTRL) & PCI_SRIOV_CTRL_VFE))
		return false;
	num = kd_cfg_read16(pf, c + PCI_SRIOV_NUM_VF);
	off = kd_cfg_read16(pf, c + PCI_SRIOV_VF_OFFSET);
	stride = kd_cfg_read16(pf, c + PCI_SRIOV_VF_STRIDE);
	for (unsigned n = 0; n < num && n < 256; n++) {
		struct kd_addr a = vf_addr(kd_dev_addr(pf), off, stride, n);
		char drv[KD_NAME_MAX], s[KD_ADDR_STRLEN];
		struct kd_dev *vf;
		bool builtin;
		int err;

		if (!kd_topo_find(topo, &a))
			continue;
		kd_addr_format(&a, s);
		if (kd_dev_open(kd_dev_ctx(pf), &a, &vf) < 0) {
			snprintf(who, len, "%s (cannot be read)", s);
			return true;
		}
		err = kd_dev_driver(vf, drv, sizeof(drv), &builtin);
		kd_dev_free(vf);
		if (err != -ENOENT) {
			snprintf(who, len, "%s (driver %s)", s,
				 err < 0 ? "unknown" : drv);
			return true;
		}
	}
	return false;
}

static bool has_children(const struct kd_topo *t, const struct kd_addr *a)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (t->v[i].has_parent && kd_addr_eq(&t->v[i].parent, a))
			return true;
	return false;
}

static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' ||
						    p[n] == ' '))
			return true;
	return false;
}

/*
 * The memory BAR the common configuration lives in, as the function
 * decodes it: 0 when it is an I/O BAR or its address is unassigned (all
 * address bits zero: nothing was programmed, or a reset cleared it), so
 * a write through sysfs resourceN would not reach the device.
 */
static uint64_t bar_address(struct kd_dev *dev, int bar)
{
	uint32_t lo = kd_cfg_read32(dev, PCI_BASE_ADDRESS_0 + 4 * (unsigned)bar);
	uint64_t a;

	if (lo & PCI_BASE_ADDRESS_SPACE_IO)
		return 0;
	a = lo & PCI_BASE_ADDRESS_MEM_MASK;
	if ((lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
	    PCI_BASE_ADDRESS_MEM_TYPE_64 && bar < 5)
		a |= (uint64_t)kd_cfg_read32(dev, PCI_BASE_ADDRESS_0 + 4 *
					     (unsigned)bar + 4) << 32;
	return a;
}

static int virtio_check(struct kd_dev *dev, const struct kd_probe_info *in,
			char *why, size_t len)
{
	uint32_t off;
	int bar;

	if (!kd_is_virtio(in)) {
		snprintf(why, len, "not a virtio-pci function (vendor 1af4, "
				   "device 1000-107f, virtio 1.x §4.1.2.1)");
		return -ENOTTY;
	}
	if (in->is_bridge) {
		snprintf(why, len, "a bridge header: no virtio BARs");
		return -ENOTTY;
	}
	if (!kd_virtio_common(dev, &bar, &off)) {
		snprintf(why, len, "no virtio common configuration capability "
				   "(cfg_type 1, virtio 1.x §4.1.4.3): a "
				   "legacy-only device");
		return -ENOTTY;
	}
	if (in->power_state > 0) {
		snprintf(why, len, "in D%d: only config space answers there "
				   "(PCI PM 1.2), the BAR does not decode",
			 in->power_state);
		return -ENOTTY;
	}
	if (!bar_address(dev, bar)) {
		snprintf(why, len, "BAR%d of the common configuration is an "
				   "I/O BAR or unassigned (address 0)", bar);
		return -ENOTTY;
	}
	return 0;
}

/* The parent bridge's Slot Capabilities has Hot-Plug Capable (PCIe r5.0
 * §7.5.3.9): its slot may have a reset_slot (pciehp).  true when that
 * cannot be read either. */
static bool parent_hotplug_slot(struct kd_dev *dev,
				const struct kd_probe_info *in)
{
	struct kd_probe_info pi;
	struct kd_dev *p;
	bool slot;

	if (!in->has_parent || kd_dev_open(kd_dev_ctx(dev), &in->parent,
					   &p) < 0)
		return true;
	memset(&pi, 0, sizeof(pi));
	kd_probe_decode_choice(p, &pi); /* a bridge: not past 100h */
	slot = pi.hotplug_slot;
	kd_probe_info_clear(&pi);
	kd_dev_free(p);
	return slot;
}

/* pci_dev_reset_slot_function() refuses dev->multifunction: the Header
 * Type's bit 7, or any function but 0 (pci_scan_slot() sets it for
 * them); never a VF (pci_iov_add_virtfn() clears it) */
static bool kernel_multifunction(const struct kd_probe_info *in)
{
	return !in->is_vf && (in->multifunction || in->addr.fn != 0);
}

/*
 * The kernel offers only its bus reset, and it cannot do it: its
 * pci_reset_bus_function() tries pci_dev_reset_slot_function() (a slot
 * whose hot-plug driver resets it: pciehp, below a hot-plug capable
 * port; never a multi-function device) and pci_parent_bus_reset(), which
 * refuses a function that is not alone on its bus.  reset_method still
 * says "bus" when the function was probed before its siblings were added
 * (pci_init_reset_methods() runs from pci_device_add()), and writing
 * "reset" then costs a save, an ENOTTY and a restore for nothing.
 * -ENOTTY with why, else 0.
 */
static int kernel_bus_doomed(struct kd_dev *dev, const struct kd_probe_info *in,
			     enum kd_reset_method m, char *why, size_t len)
{
	const char *methods = in->kernel_methods; /* as identify read it */
	char list[sizeof(in->kernel_methods)], sib[KD_ADDR_STRLEN];
	char *save = NULL;

	if (in->n_siblings == 0 || !in->has_kernel_methods)
		return 0;
	snprintf(list, sizeof(list), "%s", methods);
	for (char *w = strtok_r(list, " ", &save); w;
	     w = strtok_r(NULL, " ", &save))
		if (m == KD_RM_KERNEL && strcmp(w, "bus") != 0)
			return 0; /* the kernel has another method first */
	if (!word_in(methods, "bus") ||
	    (!kernel_multifunction(in) && parent_hotplug_slot(dev, in)))
		return 0;
	snprintf(why, len, "the kernel's bus reset would refuse: %s shares its "
			   "bus with %s and pci_parent_bus_reset() resets only a "
			   "function alone on its bus (reset_method \"%s\")",
		 kd_dev_name(dev), kd_addr_format(&in->siblings[0], sib),
		 methods);
	return -ENOTTY;
}

int kd_method_check(struct kd_dev *dev, const struct kd_probe_info *in,
		    const struct kd_topo *topo, enum kd_reset_method m,
		    char *why, size_t len)
{
	char methods[128];
	const char *k;

	if (in->dead && m != KD_RM_BUS) {
		snprintf(why, len, "config space reads all-ones; only a bus "
				   "reset could bring it back");
		return -ENOTTY;
	}
	/*
	 * A port's FLR or D3hot->D0 resets its secondary side too (the link
	 * goes down), and no function's reset saves what is below it: the
	 * QEMU lab's xio3130 downstream port came back "clean" while the
	 * virtio-net below it lost its BARs.  Only a bus reset, which saves
	 * and restores the whole subtree, may reset it.
	 */
	if (in->is_bridge && m != KD_RM_BUS && m != KD_RM_QUIESCE &&
	    has_children(topo, kd_dev_addr(dev))) {
		snprintf(why, len, "a bridge with functions below it: its own "
				   "reset would reset them unsaved (a bus reset "
				   "above it saves and restores them)");
		return -ENOTTY;
	}
	if ((m == KD_RM_BUS || m == KD_RM_KERNEL_BUS) && kd_reset_is_vf(dev)) {
		snprintf(why, len, "an SR-IOV VF: a bus reset resets its PF and "
				   "every sibling VF");
		return -ENOTTY;
	}
	switch (m) {
	case KD_RM_FLR:
		if (!(in->reset_caps & KD_RESET_FLR)) {
			snprintf(why, len, "no FLR: PCIe DevCap bit 28 "
					   "(Function Level Reset) is clear");
			return -ENOTTY;
		}
		return 0;
	case KD_RM_AF_FLR:
		if (!(in->reset_caps & KD_RESET_AF_FLR)) {
			snprintf(why, len, "no Advanced Features capability "
					   "with TP and FLR");
			return -ENOTTY;
		}
		return 0;
	case KD_RM_PM:
		if (!in->pm_cap) {
			snprintf(why, len, "no PCI Power Management "
					   "capability");
			return -ENOTTY;
		}
		if (in->pm_no_soft_reset) {
			snprintf(why, len, "PMCSR NoSoftRst is set: D3hot->D0 "
					   "does not reset this function");
			return -ENOTTY;
		}
		return 0;
	case KD_RM_KERNEL:
	case KD_RM_KERNEL_FLR:
	case KD_RM_KERNEL_PM:
	case KD_RM_KERNEL_BUS:
	case KD_RM_KERNEL_DEVSPEC:
		if (!kd_kernel_has_reset(dev)) {
			snprintf(why, len, "the kernel offers no sysfs reset "
					   "for this function");
			return -ENOTTY;
		}
		if ((m == KD_RM_KERNEL || m == KD_RM_KERNEL_BUS) &&
		    kernel_bus_doomed(dev, in, m, why, len) < 0)
			return -ENOTTY;
		k = kernel_name(m);
		if (!k)
			return 0;
		if (kd_dev_attr_read(dev, "reset_method", methods,
				     sizeof(methods)) < 0) {
			snprintf(why, len, "no sysfs reset_method to choose "
					   "\"%s\" (needs Linux 5.15 or later)",
				 k);
			return -ENOTTY;
		}
		if (!word_in(methods, k)) {
			snprintf(why, len, "the kernel offers \"%s\", not %s",
				 methods, k);
			return -ENOTTY;
		}
		return 0;
	case KD_RM_VIRTIO:
		return virtio_check(dev, in, why, len);
	case KD_RM_DEVICE_SPECIFIC: /* the runner checks the quirk has one */
	case KD_RM_BUS:
	case KD_RM_QUIESCE:
		return 0;
	default:
		snprintf(why, len, "not a method for one function");
		return -EINVAL;
	}
}

/* The reset proper, between save/disable and restore.  A method's own
 * initiate ignores hook; the device-specific one runs it. */
struct initiate_args {
	kd_reset_hook hook;
	void *data;
};

typedef int (*initiate_fn)(struct kd_reset_exec *x, struct kd_dev *dev,
			   const struct kd_probe_info *in,
			   const struct initiate_args *a);

/* pci_reset_function(): power up, save, disable, reset, restore */
static int function_reset(struct kd_reset_exec *x, struct kd_dev *dev,
			  const struct kd_probe_info *in, bool unbound,
			  initiate_fn initiate, const struct initiate_args *a)
{
	struct kd_saved s;
	int err;

	/*
	 * Saved before the power-up: from D3hot with NoSoftRst clear,
	 * going to D0 is itself an internal reset (PCI PM 1.2 §5.4.1) and
	 * the BARs are gone.  The kernel puts them back from its resources
	 * (pci_restore_bars()); kdsafe has only what it saved.  Config
	 * space answers in D3hot.
	 */
	err = kd_save(dev, unbound, &s);
	if (err < 0)
		return err;
	err = kd_power_up(x, dev);
	if (!err)
		err = kd_disable(x, dev);
	if (err < 0)
		return err;
	err = initiate(x, dev, in, a);
	if (err < 0) {
		/*
		 * pci_reset_function() restores whatever the reset returned:
		 * the saved header exists only here, and a function the reset
		 * did hit would otherwise keep zeroed BARs for good.  Nothing
		 * is written to a function that does not answer.
		 */
		if (err != -ENODEV && kd_dev_answers(x, dev))
			kd_restore(x, dev, &s);
		return err;
	}
	return kd_restore(x, dev, &s);
}

/* pcie_flr() at PCIe capability e (DevCap.FLR is the caller's business) */
static int flr_at(struct kd_reset_exec *x, struct kd_dev *dev, unsigned e,
		  bool immediate_readiness)
{
	uint16_t devctl = kd_cfg_read16(dev, e + PCI_EXP_DEVCTL);
	int err;

	/* pcie_flr(): pci_wait_for_pending_transaction(), then anyway */
	kd_exec_wait_pending(x, dev, e + PCI_EXP_DEVSTA, PCI_EXP_DEVSTA_TRPND,
			     "DevSta.TransPend clear before FLR "
			     "(pci_wait_for_pending_transaction)");
	err = kd_reset_cfg_write(x, dev, e + PCI_EXP_DEVCTL, 2,
				 devctl | PCI_EXP_DEVCTL_BCR_FLR,
				 "initiate FLR, DevCtl bit 15, PCIe r5.0 "
				 "§7.5.3.4 (pcie_flr)");
	if (err < 0)
		return err;
	if (!immediate_readiness)
		kd_reset_sleep(x, KD_FLR_WAIT_NS, "FLR completes within "
			       "100 ms, PCIe r4.0 §6.6.2 (pcie_flr)");
	return kd_exec_wait_ready(x, dev, x->timeout_ns,
				  "readiness after FLR (pci_dev_wait)");
}

static int flr_initiate(struct kd_reset_exec *x, struct kd_dev *dev,
			const struct kd_probe_info *in,
			const struct initiate_args *a)
{
	(void)a;
	return flr_at(x, dev, in->exp_cap, in->immediate_readiness);
}

int kd_exec_flr(struct kd_reset_exec *x, struct kd_dev *dev)
{
	unsigned e = kd_cap_find(dev, PCI_CAP_ID_EXP);

	if (!e)
		return -ENOTTY; /* no DevCtl to write */
	return flr_at(x, dev, e, kd_cfg_read16(dev, PCI_STATUS) &
		      PCI_STATUS_IMM_READY);
}

/* pci_dev_specific_reset(): the quirk's steps are the reset */
static int devspec_initiate(struct kd_reset_exec *x, struct kd_dev *dev,
			    const struct kd_probe_info *in,
			    const struct initiate_args *a)
{
	(void)in;
	return a->hook(x, dev, a->data);
}

int kd_method_device_specific(struct kd_reset_exec *x, struct kd_dev *dev,
			      const struct kd_probe_info *in, bool unbound,
			      kd_reset_hook reset, void *data)
{
	const struct initiate_args a = { .hook = reset, .data = data };

	if (!reset)
		return -ENOTTY;
	return function_reset(x, dev, in, unbound, devspec_initiate, &a);
}

static int af_flr_initiate(struct kd_reset_exec *x, struct kd_dev *dev,
			   const struct kd_probe_info *in,
			   const struct initiate_args *args)
{
	unsigned a = in->af_cap;
	int err;

	(void)args;
	/* pci_af_flr(): TP is bit 0 of the status byte after control */
	kd_exec_wait_pending(x, dev, a + PCI_AF_CTRL, PCI_AF_STATUS_TP << 8,
			     "AF Status.TP clear before AF FLR "
			     "(pci_af_flr)");
	err = kd_reset_cfg_write(x, dev, a + PCI_AF_CTRL, 1, PCI_AF_CTRL_FLR,
				 "initiate AF FLR, AF ECN (pci_af_flr)");
	if (err < 0)
		return err;
	if (!in->immediate_readiness)
		kd_reset_sleep(x, KD_AF_FLR_WAIT_NS, "AF FLR completes "
			       "within 100 ms, AF ECN (pci_af_flr)");
	return kd_exec_wait_ready(x, dev, x->timeout_ns,
				  "readiness after AF FLR (pci_dev_wait)");
}

static int pm_initiate(struct kd_reset_exec *x, struct kd_dev *dev,
		       const struct kd_probe_info *in,
		       const struct initiate_args *a)
{
	unsigned p = in->pm_cap;
	uint16_t csr = kd_cfg_read16(dev, p + PCI_PM_CTRL);
	int err;

	(void)a;
	/* pci_pm_reset(): only with NoSoftRst clear (checked), from D0 */
	csr &= ~PCI_PM_CTRL_STATE_MASK;
	err = kd_reset_cfg_write(x, dev, p + PCI_PM_CTRL, 2, csr | PCI_D3hot,
				 "PMCSR PowerState = D3hot (pci_pm_reset)");
	if (err < 0)
		return err;
	/* the device's d3hot_delay when a quirk gives one */
	kd_reset_sleep(x, kd_exec_d3hot_delay(x), "D0->D3hot 10 ms, PCI PM 1.2 "
		       "§5.6.1 (pci_dev_d3_sleep)");
	err = kd_reset_cfg_write(x, dev, p + PCI_PM_CTRL, 2, csr,
				 "PMCSR PowerState = D0: internal reset "
				 "(pci_pm_reset)");
	if (err < 0)
		return err;
	kd_reset_sleep(x, kd_exec_d3hot_delay(x), "D3hot->D0 10 ms, PCI PM 1.2 "
		       "§5.6.1 (pci_dev_d3_sleep)");
	return kd_exec_wait_ready(x, dev, x->timeout_ns,
				  "readiness after D3hot->D0 (pci_dev_wait)");
}

int kd_method_flr(struct kd_reset_exec *x, struct kd_dev *dev,
		  const struct kd_probe_info *in, bool unbound)
{
	return function_reset(x, dev, in, unbound, flr_initiate, NULL);
}

int kd_method_af_flr(struct kd_reset_exec *x, struct kd_dev *dev,
		     const struct kd_probe_info *in, bool unbound)
{
	return function_reset(x, dev, in, unbound, af_flr_initiate, NULL);
}

int kd_method_pm(struct kd_reset_exec *x, struct kd_dev *dev,
		 const struct kd_probe_info *in, bool unbound)
{
	return function_reset(x, dev, in, unbound, pm_initiate, NULL);
}

static int clear_bme(struct kd_reset_exec *x, struct kd_dev *dev)
{
	uint32_t cmd = kd_cfg_read16(dev, PCI_COMMAND);

	if (!x->dry_run) {
		int err = kd_cfg_read_live(dev, PCI_COMMAND, 2, &cmd);

		if (err < 0)
			return err;
		if (!(cmd & PCI_COMMAND_MASTER))
			return 0;
	}
	return kd_reset_cfg_write(x, dev, PCI_COMMAND, 2,
				  cmd & ~(uint32_t)PCI_COMMAND_MASTER,
				  "clear Bus Master Enable the kernel's "
				  "restore set again (unbound function)");
}

/* The kernel's reset_method names the policy (or a VF) rules out. */
static bool kernel_word_allowed(const char *w, unsigned avoid, bool vf)
{
	if (!strcmp(w, "flr"))
		return !(avoid & (KD_RM_BIT(KD_RM_FLR) |
				  KD_RM_BIT(KD_RM_KERNEL_FLR)));
	if (!strcmp(w, "af_flr"))
		return !(avoid & KD_RM_BIT(KD_RM_AF_FLR));
	if (!strcmp(w, "pm"))
		return !(avoid & (KD_RM_BIT(KD_RM_PM) |
				  KD_RM_BIT(KD_RM_KERNEL_PM)));
	if (!strcmp(w, "device_specific"))
		return !(avoid & (KD_RM_BIT(KD_RM_DEVICE_SPECIFIC) |
				  KD_RM_BIT(KD_RM_KERNEL_DEVSPEC)));
	if (!strcmp(w, "bus") || !strcmp(w, "cxl_bus"))
		return !vf && !(avoid & (KD_RM_BIT(KD_RM_BUS) |
					 KD_RM_BIT(KD_RM_KERNEL_BUS)));
	return true;
}

/* the policy bits some word of reset_method answers to */
#define KERNEL_WORDS_AVOIDED                                              \
	(KD_RM_BIT(KD_RM_FLR) | KD_RM_BIT(KD_RM_KERNEL_FLR) |             \
	 KD_RM_BIT(KD_RM_AF_FLR) | KD_RM_BIT(KD_RM_PM) |                  \
	 KD_RM_BIT(KD_RM_KERNEL_PM) | KD_RM_BIT(KD_RM_BUS) |              \
	 KD_RM_BIT(KD_RM_KERNEL_BUS))

/* orig narrowed to the allowed words, in the kernel's order */
static void kernel_narrow(const char *orig, unsigned avoid, bool vf,
			  char *out, size_t len)
{
	char list[128], *save = NULL;
	size_t n = 0;

	snprintf(list, sizeof(list), "%s", orig);
	out[0] = '\0';
	for (char *w = strtok_r(list, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		if (!kernel_word_allowed(w, avoid, vf))
			continue;
		snprintf(out + n, len - n, "%s%s", n ? " " : "", w);
		n = strnlen(out, len);
	}
}

/* EINVAL (reset_method_store(): no such method, or its probe failed)
 * and ENOTTY (pci_reset_function(): no method worked) mean the kernel
 * does not offer the reset: the method is unavailable, not the device
 * failed */
static int kernel_unavailable(struct kd_reset_exec *x, const char *attr,
			      int err)
{
	if (err != -EINVAL && err != -ENOTTY)
		return err;
	snprintf(x->res->reason, sizeof(x->res->reason), "kernel: method not "
		 "available (writing %s: %s)", attr, strerror(-err));
	return -EOPNOTSUPP;
}

/*
 * ENOTTY from "reset" after the kernel waited is no missing method: the
 * reset ran and the device did not come back.  pci_dev_wait() ("not ready
 * ...; giving up") and pci_bridge_wait_for_secondary_bus() ("Data Link
 * Layer Link Active not set") answer ENOTTY after 1 s at the least
 * (PCI_RESET_WAIT, PCIE_LINK_RETRAIN_TIMEOUT_MS), a method the kernel
 * does not offer at once: a write over KD_KERNEL_GAVE_UP_NS is the former.
 * -ETIMEDOUT with the reason, and a warning; else err as it was.
 */
static int kernel_gave_up(struct kd_reset_exec *x, struct kd_dev *dev,
			  int err)
{
	const struct kd_reset_op *op;
	char why[sizeof(x->res->reason)];

	if (err != -ENOTTY || x->res->n_ops == 0)
		return err;
	op = &x->res->ops[x->res->n_ops - 1]; /* the write just made */
	if (op->kind != KD_OP_ATTR_WRITE || strcmp(op->attr, "reset") != 0 ||
	    op->duration_ns < KD_KERNEL_GAVE_UP_NS)
		return err;
	snprintf(why, sizeof(why), "kernel reset: the device did not come "
		 "back (writing reset answered ENOTTY after %llu ms: "
		 "pci_dev_wait() or the link gave up)",
		 (unsigned long long)(op->duration_ns / 1000000u));
	WARN(x->ctx, "%s: %s", kd_dev_name(dev), why);
	snprintf(x->res->reason, sizeof(x->res->reason), "%s", why);
	return -ETIMEDOUT;
}

int kd_method_kernel(struct kd_reset_exec *x, struct kd_dev *dev,
		     enum kd_reset_method m, bool unbound, unsigned avoid)
{
	const char *k = kernel_name(m);
	char orig[128], narrow[128];
	bool vf = kd_reset_is_vf(dev);
	int err, rerr;

	if (!k && kd_dev_attr_read(dev, "reset_method", orig,
				   sizeof(orig)) >= 0) {
		/* "kernel": what the kernel will do, within the policy */
		kernel_narrow(orig, avoid, vf, narrow, sizeof(narrow));
		if (!narrow[0]) {
			snprintf(x->res->reason, sizeof(x->res->reason),
				 "kernel: method not available (\"%s\" has "
				 "nothing the quirk%s allows)", orig,
				 vf ? " or a VF" : "");
			return -EOPNOTSUPP;
		}
		if (strcmp(narrow, orig) != 0)
			k = narrow;
	} else if (!k && (vf || (avoid & KERNEL_WORDS_AVOIDED))) {
		/*
		 * No reset_method (Linux < 5.15): "reset" runs the kernel's
		 * own first method (pci_reset_function() tries device
		 * specific, ACPI, flr, af_flr, pm, bus in turn) and nothing
		 * can narrow it: with a method avoided, or for a VF (bus),
		 * the kernel's reset is not one the policy can allow.
		 */
		snprintf(x->res->reason, sizeof(x->res->reason),
			 "kernel: method not available (no reset_method to "
			 "narrow to what the quirk%s allows, Linux < 5.15)",
			 vf ? " or a VF" : "");
		return -EOPNOTSUPP;
	}
	if (k) {
		if (k != narrow && kd_dev_attr_read(dev, "reset_method", orig,
						    sizeof(orig)) < 0)
			return -ENOTTY;
		err = kd_reset_attr_write(x, dev, "reset_method", k,
					  k == narrow ?
					  "narrow the kernel's methods to what "
					  "the policy allows (reset_method, "
					  "Linux >= 5.15)" :
					  "choose the kernel's method "
					  "(reset_method, Linux >= 5.15)");
		if (err < 0)
			return kernel_unavailable(x, "reset_method", err);
	}
	err = kd_reset_attr_write(x, dev, "reset", "1",
				  "kernel reset: pci_reset_function() saves, "
				  "resets, waits, restores");
	err = kernel_gave_up(x, dev, err);
	err = kernel_unavailable(x, "reset", err);
	if (k) {
		/* always put the kernel's own order back */
		rerr = kd_reset_attr_write(x, dev, "reset_method",
					   orig[0] ? orig : "default",
					   "restore the original reset_method");
		if (err == 0)
			err = rerr;
	}
	/*
	 * pci_reset_function() runs pci_dev_restore() whatever the reset
	 * returned (a bus reset's "Data Link Layer Link Active not set",
	 * ENOTTY, included): Bus Master is back on either way.
	 */
	if (unbound) {
		rerr = clear_bme(x, dev);
		if (err == 0)
			err = rerr;
	}
	return err;
}

/* MSI and MSI-X Enable off, as pci_msi_shutdown() would; MSI-X with its
 * Function Mask set first */
static int msi_off(struct kd_reset_exec *x, struct kd_dev *dev,
		   const struct kd_probe_info *in, const char *why_msi,
		   const char *why_msix)
{
	uint16_t v;
	int err;

	if (in->msi_cap) {
		v = kd_cfg_read16(dev, in->msi_cap + PCI_MSI_FLAGS);
		if (v & PCI_MSI_FLAGS_ENABLE) {
			err = kd_reset_cfg_write(x, dev,
						 in->msi_cap + PCI_MSI_FLAGS,
						 2, v & ~PCI_MSI_FLAGS_ENABLE,
						 why_msi);
			if (err < 0)
				return err;
		}
	}
	if (in->msix_cap) {
		v = kd_cfg_read16(dev, in->msix_cap + PCI_MSIX_FLAGS);
		if (v & PCI_MSIX_FLAGS_ENABLE) {
			v = (uint16_t)((v | PCI_MSIX_FLAGS_MASKALL) &
				       ~PCI_MSIX_FLAGS_ENABLE);
			err = kd_reset_cfg_write(x, dev,
						 in->msix_cap + PCI_MSIX_FLAGS,
						 2, v, why_msix);
			if (err < 0)
				return err;
		}
	}
	return 0;
}

int kd_method_quiesce(struct kd_reset_exec *x, struct kd_dev *dev,
		      const struct kd_probe_info *in)
{
	uint16_t cmd = in->command, v;
	int err;

	/* Bus Master off stops DMA and MSI writes; INTx Disable, PCI LB 3.0
	 * §6.2.2; the enables cleared as pci_msi_shutdown() would */
	v = (uint16_t)((cmd & ~PCI_COMMAND_MASTER) | PCI_COMMAND_INTX_DISABLE);
	if (v != cmd || x->dry_run) {
		err = kd_reset_cfg_write(x, dev, PCI_COMMAND, 2, v,
					 "quiesce: Bus Master off, INTx "
					 "Disable on");
		if (err < 0)
			return err;
	}
	err = msi_off(x, dev, in, "quiesce: MSI Enable off",
		      "quiesce: MSI-X Function Mask on, Enable off");
	if (err < 0)
		return err;
	/* what the crashed kernel left in the RW1C status registers */
	return kd_clear_errors(x, dev, in->exp_cap);
}

/*
 * virtio 1.x §4.1.4.3.2: after device_status = 0 the driver waits until
 * it reads 0.  Linux vp_reset() polls every 1 ms with no bound; here the
 * readiness timeout bounds it and the sleeps double (1, 2, 4 ... ms) as
 * pci_dev_wait()'s do.  All-ones (decode off, device gone) is not 0.
 */
static int virtio_wait_reset(struct kd_reset_exec *x, struct kd_dev *dev,
			     int bar, uint64_t pos)
{
	struct kd_reset_op *op = kd_exec_record(x, KD_OP_POLL,
						kd_dev_addr(dev),
						"device_status reads 0 once "
						"the reset is done, virtio "
						"1.x §4.1.4.3.2 (vp_reset)");
	uint64_t delay = KD_VIRTIO_POLL_FIRST_NS, waited = 0, v = 0xff, start;
	int err;

	snprintf(op->text, sizeof(op->text), "BAR%d+0x%" PRIx64
		 " device_status until 0", bar, pos);
	op->ns = x->timeout_ns;
	if (x->dry_run)
		return 0;
	start = kd_exec_clock(x);
	for (;;) {
		err = kd_bar_read(dev, bar, pos, 1, &v);
		if (err == -ENODEV || err == -ENOENT) {
			ERR(x->ctx, "%s: device disappeared during the virtio "
				    "reset", kd_dev_name(dev));
			err = -ENODEV;
			break;
		}
		if (err < 0 || v == 0)
			break;
		if (!kd_exec_backoff(x, x->timeout_ns, &delay, &waited)) {
			if (!x->quiet)
				ERR(x->ctx, "%s: virtio device_status still "
					    "0x%02" PRIx64 " %" PRIu64 " ms after "
					    "the reset; giving up",
				    kd_dev_name(dev), v, waited / 1000000u);
			err = -ETIMEDOUT;
			break;
		}
	}
	op->waited_ns = kd_exec_since(x, start);
	op->result = err;
	return err;
}

/*
 * The virtio device reset (Linux vp_reset()): device_status = 0 through
 * the common configuration in a memory BAR, then wait for it to read 0.
 * It resets the virtio device, not the PCI function: config space keeps
 * its BARs, so nothing is saved but Command.  Memory Space is turned on
 * for the write when it is off and Command put back afterwards; Bus
 * Master goes off for an unbound function, and the MSI/MSI-X enables and
 * error status end as a PCI reset leaves them (off, clear).
 */
int kd_method_virtio(struct kd_reset_exec *x, struct kd_dev *dev,
		     const struct kd_probe_info *in, bool unbound)
{
	uint32_t cmd = kd_cfg_read16(dev, PCI_COMMAND), now, fin, off;
	int bar, err, rerr;

	if (!kd_virtio_common(dev, &bar, &off))
		return -ENOTTY;
	if (!x->dry_run) {
		err = kd_cfg_read_live(dev, PCI_COMMAND, 2, &cmd);
		if (err < 0)
			return err;
		if (cmd == 0xffff)
			return -ENODEV;
	}
	now = cmd;
	if (!(cmd & PCI_COMMAND_MEMORY)) {
		now = cmd | PCI_COMMAND_MEMORY;
		err = kd_reset_cfg_write(x, dev, PCI_COMMAND, 2, now,
					 "Memory Space on so the BAR decodes "
					 "the device_status write (Command "
					 "put back after)");
		if (err < 0)
			return err;
	}
	err = kd_reset_bar_write(x, dev, bar, (uint64_t)off +
				 KD_VIRTIO_COMMON_STATUS, 1, 0,
				 "device_status = 0: virtio device reset, "
				 "virtio 1.x §4.1.4.3.2 (vp_modern_set_status)");
	if (err == 0)
		err = virtio_wait_reset(x, dev, bar, (uint64_t)off +
					KD_VIRTIO_COMMON_STATUS);
	fin = unbound ? cmd & ~(uint32_t)PCI_COMMAND_MASTER : cmd;
	if (fin != now && err != -ENODEV) {
		rerr = kd_reset_cfg_write(x, dev, PCI_COMMAND, 2, fin,
					  (cmd & PCI_COMMAND_MEMORY) ?
					  "clear Bus Master Enable (unbound "
					  "function): a virtio reset leaves "
					  "PCI config alone" :
					  "restore Command (Memory Space off "
					  "again), Bus Master off if unbound");
		if (err == 0)
			err = rerr;
	}
	if (err < 0)
		return err;
	if (unbound) {
		err = msi_off(x, dev, in, "MSI Enable off, as a PCI reset "
			      "leaves it (unbound function)",
			      "MSI-X Function Mask on, Enable off, as a PCI "
			      "reset leaves it (unbound function)");
		if (err < 0)
			return err;
	}
	return kd_clear_errors(x, dev, in->exp_cap);
}
