/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsafe probe: read-only decoding of each function's identity, topology,
 * reset capabilities and the live state a previous kernel left in it.
 */
#ifndef KDSAFE_PROBE_H
#define KDSAFE_PROBE_H

#include "access/access.h"

/* ---- capability walking (over the device's cached config) ------------- */

/* Offset of the capability, or 0.  Loops and bad pointers end the walk. */
unsigned kd_cap_find(const struct kd_dev *dev, uint8_t id);
/* The next capability id after offset after (0: the first), or 0; for
 * capabilities that repeat, such as vendor-specific ones. */
unsigned kd_cap_find_next(const struct kd_dev *dev, uint8_t id,
			  unsigned after);
unsigned kd_ecap_find(const struct kd_dev *dev, uint16_t id);

/* ---- topology: every function and its upstream bridge ---------------- */

struct kd_topo_node {
	struct kd_addr addr;
	bool has_parent;
	struct kd_addr parent;
};

struct kd_topo_pfs;

struct kd_topo {
	size_t n;
	struct kd_topo_node *v; /* sorted by address */
	/* which PF places a VF where, built on first use (probe/sriov.c) */
	struct kd_topo_pfs *pfs;
};

int kd_topo_load(struct kd_ctx *ctx, struct kd_topo *t);
void kd_topo_free(struct kd_topo *t);
const struct kd_topo_node *kd_topo_find(const struct kd_topo *t,
					const struct kd_addr *a);
/* true when anc is a (strict) ancestor of a */
bool kd_topo_below(const struct kd_topo *t, const struct kd_addr *a,
		   const struct kd_addr *anc);
/* The functions on a's bus are v[first .. *end); returns first. */
size_t kd_topo_bus(const struct kd_topo *t, const struct kd_addr *a,
		   size_t *end);

/* ---- reset capabilities ------------------------------------------------ */

enum kd_reset_cap {
	KD_RESET_FLR = 1 << 0,
	KD_RESET_AF_FLR = 1 << 1,
	KD_RESET_PM = 1 << 2,
	KD_RESET_BUS = 1 << 3,
};

/* "flr", "af-flr", "pm", "bus" */
const char *kd_reset_cap_name(enum kd_reset_cap cap);

/* ---- verdicts ---------------------------------------------------------- */

/* Ordered by severity: the verdict is the worst finding. */
enum kd_verdict {
	KD_VERDICT_CLEAN,
	KD_VERDICT_ERRORS,
	KD_VERDICT_IRQ_ARMED,
	KD_VERDICT_ACTIVE_DMA,
	KD_VERDICT_DEAD,
};

enum kd_reason {
	KD_REASON_ALL_ONES = 1 << 0,
	KD_REASON_BME_UNBOUND = 1 << 1,
	KD_REASON_TRANS_PENDING = 1 << 2,
	KD_REASON_MSI_ENABLED = 1 << 3,
	KD_REASON_MSIX_ENABLED = 1 << 4,
	KD_REASON_INTX_PENDING = 1 << 5,
	KD_REASON_STATUS_ERRORS = 1 << 6,
	KD_REASON_DEVSTA_ERRORS = 1 << 7,
	KD_REASON_AER_UNCOR = 1 << 8,
	KD_REASON_AER_COR = 1 << 9,
	KD_REASON_NOT_D0 = 1 << 10,
	KD_REASON_CONFIG_SHORT = 1 << 11,
};
#define KD_REASON_COUNT 12

const char *kd_verdict_name(enum kd_verdict v);
/* Human sentence for one reason bit. */
const char *kd_reason_text(enum kd_reason r);
/* Short machine word for one reason bit ("bus-master-unbound", ...). */
const char *kd_reason_word(enum kd_reason r);

/* ---- the probe result -------------------------------------------------- */

#define KD_NAME_MAX 64

struct kd_probe_info {
	struct kd_addr addr;
	size_t config_len;
	bool dead; /* config reads all-ones */

	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint32_t class_code; /* base<<16 | sub<<8 | prog-if */
	uint8_t revision, header_type, intx_pin;
	bool multifunction, is_bridge;
	uint8_t secondary_bus, subordinate_bus;

	bool has_parent;
	struct kd_addr parent;
	unsigned n_siblings;       /* other functions on the same bus */
	struct kd_addr *siblings;  /* owned; freed by kd_probe_info_clear */
	bool is_vf;
	struct kd_addr physfn;

	bool bound, driver_builtin;
	char driver[KD_NAME_MAX];
	char modalias[96];
	unsigned n_modules;
	char (*modules)[KD_NAME_MAX]; /* owned */

	/* capability offsets, 0 when absent */
	unsigned pm_cap, msi_cap, msix_cap, exp_cap, af_cap, aer_cap, sriov_cap;
	int pcie_type; /* -1 for conventional PCI */

	/* reset */
	unsigned reset_caps;          /* enum kd_reset_cap bits */
	bool pm_no_soft_reset, hotplug_slot, immediate_readiness;
	const char *bus_reset_why_not;   /* NULL when bus reset possible */
	bool has_kernel_methods;
	char kernel_methods[128];     /* reset_method as the kernel spells it */

	/* inherited state */
	uint16_t command, status;
	bool msi_enable, msix_enable, msix_masked;
	unsigned msi_vectors_max, msi_vectors_enabled, msix_table_size;
	uint16_t devctl, devsta;
	uint32_t aer_uncor, aer_cor;
	int power_state;              /* 0..3 for D0..D3hot, -1 unknown */
	bool has_link;
	uint16_t lnksta;
	unsigned link_speed, link_width; /* speed: 1 = 2.5GT/s ... */
	bool link_dll_active, link_dll_reporting, link_training;

	enum kd_verdict verdict;
	unsigned reasons; /* enum kd_reason bits */
};

void kd_probe_info_clear(struct kd_probe_info *info);
/* "2.5GT/s", "5GT/s", ... or "unknown" */
const char *kd_link_speed_name(unsigned speed);

/*
 * A prober owns the topology (every function and its parent) and the
 * module index; kd_probe() fills one info from one device handle.
 */
struct kd_prober;

int kd_prober_new(struct kd_ctx *ctx, struct kd_prober **out);
void kd_prober_free(struct kd_prober *p);
size_t kd_prober_count(const struct kd_prober *p);
const struct kd_addr *kd_prober_addr(const struct kd_prober *p, size_t i);
/* Every function and its parent, as listed when the prober was made */
const struct kd_topo *kd_prober_topo(const struct kd_prober *p);
/* Turn the libkmod lookup of candidate modules off (faster, smaller);
 * it is always off for dumps. */
void kd_prober_set_modules(struct kd_prober *p, bool lookup);

/* kd_probe_identify() with the prober's topology, plus candidate modules. */
int kd_probe(struct kd_prober *p, struct kd_dev *dev,
	     struct kd_probe_info *out);

/*
 * THE identify path, used by probe, quirks match and reset alike: config
 * space decoding (identity, class, capabilities, reset capabilities,
 * inherited state), the sysfs facts (driver binding, kernel reset
 * methods), an SR-IOV VF's real IDs (the PF's Vendor ID and VF Device ID,
 * kernel pci_iov_add_virtfn(); from the physfn link and the kernel's
 * vendor/device files, else by searching topo for the PF whose SR-IOV
 * capability places a VF here), parent, siblings, whether a bus reset is
 * possible, and the verdict.  topo may be NULL (a state snapshot): no
 * parent, siblings or PF search then.  0 or -ENOMEM; *out is filled
 * either way and freed with kd_probe_info_clear().
 */
int kd_probe_identify(const struct kd_topo *topo, struct kd_dev *dev,
		      struct kd_probe_info *out);

/*
 * kd_probe_identify() from config space and topo alone, no sysfs read:
 * for an estimate before the whole identify (reset --all's planner).  No
 * driver (the verdict counts the function as unbound), kernel methods,
 * siblings or VF (a VF's Vendor ID reads ffff here), nor a bridge's
 * extended capabilities (kd_probe_decode_choice()).  Clear *out after.
 */
void kd_probe_identify_config(const struct kd_topo *topo, struct kd_dev *dev,
			      struct kd_probe_info *out);
/* The PF a VF's sysfs physfn link names (the kernel's, whatever the
 * VF's config space answers): false when there is none. */
bool kd_probe_physfn(struct kd_dev *dev, struct kd_addr *pf);
/* Config-space decoding alone: the first step of kd_probe_identify();
 * everything else wants the whole of kd_probe_identify(). */
void kd_probe_decode(struct kd_dev *dev, struct kd_probe_info *out);
/* The same, except that a bridge's extended capabilities (AER, SR-IOV)
 * are left unread: no bridge is ever a reset candidate, and config space
 * past 100h is read only when asked (kd_probe_identify_config()). */
void kd_probe_decode_choice(struct kd_dev *dev, struct kd_probe_info *out);
/* Rebuilds info->modalias after the IDs changed. */
void kd_probe_set_modalias(struct kd_probe_info *info);
/* Fills verdict and reasons from the decoded state. */
void kd_probe_judge(struct kd_probe_info *info);
/* A bridge-class (06) function that is no PCI-to-PCI bridge: host,
 * ISA/LPC... bridges, platform plumbing firmware owns and no kernel resets. */
bool kd_probe_platform_bridge(const struct kd_probe_info *info);
/* A function the kernel owns without a driver (IOMMU, I/O APIC, RCEC):
 * what it is, or NULL. */
const char *kd_probe_kernel_owned(const struct kd_probe_info *info);
/* What `reset --all` picks (info from kd_probe()): an unbound function,
 * not a bridge, not platform plumbing, not kernel-owned, whose verdict
 * is not clean. */
bool kd_probe_reset_candidate(const struct kd_probe_info *info);
/* From config space alone (no sysfs read): false when
 * kd_probe_reset_candidate() is false whatever sysfs says (a bridge,
 * platform plumbing, kernel-owned, or clean even counted as unbound, for
 * which every finding counts); true when kd_probe() must decide. */
bool kd_probe_maybe_candidate(struct kd_dev *dev);

#endif
