/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to reset/: the executor, saved state, timing constants. */
#ifndef KDSAFE_RESET_INTERNAL_H
#define KDSAFE_RESET_INTERNAL_H

#include "access/regs.h"
#include "quirks/quirks.h"
#include "reset.h"

#define MS(x) ((uint64_t)(x) * 1000000ull)

/*
 * Waits, each from the spec section and the kernel function that mirrors
 * it (drivers/pci/pci.c):
 *  - FLR completes within 100 ms; requests may be discarded meanwhile:
 *    PCIe r4.0 §6.6.2, pcie_flr().  Same for AF FLR: AF ECN, pci_af_flr().
 *  - D3hot <-> D0 transition recovery 10 ms: PCI PM 1.2 §5.6.1 (Table
 *    5-18), pci_dev_d3_sleep() with the default d3hot_delay.
 *  - Secondary Bus Reset asserted >= 1 ms (Trst, PCI 3.0 §7.6.4.2); the
 *    kernel holds it 2 ms: pci_reset_secondary_bus().
 *  - After a Conventional Reset: 100 ms before the first config request
 *    (PCIe r5.0 §6.6.1; pci_bus_max_d3cold_delay() default), devices
 *    ready within 1 s (PCI_RESET_WAIT, PCIe r6.0 §6.6.1), may extend it
 *    with RRS up to the 60 s PCIE_RESET_READY_POLL_MS.  Conventional PCI:
 *    Tpvrh + Trhfa = 1000 ms + 100 ms (PCI 3.0 §4.3.2).
 *  - Links faster than 5 GT/s: wait 20 ms for LTSSM Detect, then for Data
 *    Link Layer Link Active up to 1 s (PCIE_LINK_RETRAIN_TIMEOUT_MS), then
 *    100 ms: pcie_wait_for_link_delay().
 *  - Transactions Pending: read, then sleep 100, 200, 400 ms between
 *    reads, then reset anyway: pci_wait_for_pending().
 */
#define KD_FLR_WAIT_NS MS(100)
#define KD_AF_FLR_WAIT_NS MS(100)
#define KD_D3HOT_DELAY_NS MS(10)
#define KD_SBR_ASSERT_NS MS(2)
#define KD_RESET_SETTLE_NS MS(100)
#define KD_RESET_WAIT_NS MS(1000)
#define KD_CONV_RESET_WAIT_NS MS(1100)
#define KD_LTSSM_DETECT_NS MS(20)
#define KD_LINK_ACTIVE_TIMEOUT_NS MS(1000)
/* A kernel "reset" answering ENOTTY after this long waited for the device
 * and gave up (pci_dev_wait(), pci_bridge_wait_for_secondary_bus(): 1 s at
 * the least); an unavailable method answers at once.  Half the shortest
 * give-up, for the clock's slack. */
#define KD_KERNEL_GAVE_UP_NS MS(500)
/* the shortest wait the other domains start in (run.c) */
#define KD_GATE_MIN_WAIT_NS MS(10)
#define KD_PENDING_POLLS 4          /* reads; sleeps 100 << (i - 1) ms */
#define KD_PENDING_BASE_NS MS(100)

/*
 * virtio 1.x (OASIS virtio v1.1): a modern virtio-pci function has
 * vendor 0x1af4 and device 0x1000-0x107f (§4.1.2.1: 0x1000-0x103f
 * transitional, 0x1040 + device type modern).  Its registers are found
 * through vendor-specific capabilities (§4.1.4): cfg_type at +3, bar at
 * +4, offset at +8; cfg_type 1 is the common configuration (§4.1.4.3),
 * whose device_status byte is at 0x14.  Writing 0 there resets the
 * device (§2.1.2, §4.1.4.3.2); the driver then waits until it reads 0
 * (§4.1.4.3.2; Linux vp_reset(): vp_modern_set_status(0), then
 * msleep(1) while vp_modern_get_status() != 0).  kdsafe bounds that wait
 * by the readiness timeout and backs off 1, 2, 4 ... ms as pci_dev_wait()
 * does.
 */
#define KD_VIRTIO_VENDOR 0x1af4
#define KD_VIRTIO_DEV_FIRST 0x1000
#define KD_VIRTIO_DEV_LAST 0x107f
#define KD_VIRTIO_CAP_CFG_TYPE 3
#define KD_VIRTIO_CAP_BAR 4
#define KD_VIRTIO_CAP_OFFSET 8
#define KD_VIRTIO_PCI_CAP_COMMON_CFG 1
#define KD_VIRTIO_COMMON_STATUS 0x14
#define KD_VIRTIO_POLL_FIRST_NS MS(1)
/* VF Enable: 100 ms before VFs answer, SR-IOV 1.1 §3.3.3.1
 * (sriov_restore_state(), sriov_enable()) */
#define KD_VF_ENABLE_WAIT_NS MS(100)

struct kd_reset_exec {
	struct kd_ctx *ctx;
	const struct kd_topo *topo; /* for kd_probe_identify() */
	struct kd_reset_result *res;
	bool dry_run;
	bool quiet;             /* a timeout that is not yet an error */
	uint64_t timeout_ns;
	bool has_d3hot_delay;    /* else KD_D3HOT_DELAY_NS */
	uint64_t d3hot_delay_ns; /* the policy's (0: no sleep) */
	int oom;                /* an op could not be recorded */
	/* BARs before the reset (run.c): assigned then, 0 after = lost */
	const uint32_t *bars_before;
	unsigned n_bars, bars_lost; /* bars_lost: a bit per BAR */
	struct kd_reset_op scratch;
	/* called once each, before the first long wait (a sleep, or a
	 * poll's pause between reads, of KD_GATE_MIN_WAIT_NS or more, a
	 * quirk command, the kernel's "reset"): on_wait makes what starts
	 * the other domains (run.c), on_release lets it go.  Before a sleep
	 * the time between the two counts toward the sleep. */
	void (*on_wait)(void *data);
	void (*on_release)(void *data);
	void *on_wait_data;
};

/* pci_dev_d3_sleep(): the device's d3hot_delay, else 10 ms */
static inline uint64_t kd_exec_d3hot_delay(const struct kd_reset_exec *x)
{
	return x->has_d3hot_delay ? x->d3hot_delay_ns : KD_D3HOT_DELAY_NS;
}

/* x->on_wait then x->on_release, once: a wait is about to begin */
void kd_exec_waiting(struct kd_reset_exec *x);
void kd_exec_init(struct kd_reset_exec *x, struct kd_ctx *ctx,
		  struct kd_reset_result *res, bool dry_run,
		  uint64_t timeout_ns);
struct kd_reset_op *kd_exec_record(struct kd_reset_exec *x,
				   enum kd_op_kind kind,
				   const struct kd_addr *addr, const char *why);

void kd_exec_sleep(struct kd_reset_exec *x, const struct kd_addr *a,
		   uint64_t ns, const char *why);
/* pci_dev_wait(): poll until config reads stop returning ~0 / RRS. */
/* One step of pci_dev_wait()'s back-off: false once timeout_ns is spent;
 * else sleeps min(*delay, what is left), adds it to *waited and doubles
 * *delay. */
/* The ctx clock's time since start (0 if it went back): a wait's length
 * as waited, whatever a budget cut (waited_ms, kd_reset_waited_ns()) */
uint64_t kd_exec_since(struct kd_reset_exec *x, uint64_t start);
uint64_t kd_exec_clock(struct kd_reset_exec *x); /* start for the above */
bool kd_exec_backoff(struct kd_reset_exec *x, uint64_t timeout_ns,
		     uint64_t *delay, uint64_t *waited);
int kd_exec_wait_ready(struct kd_reset_exec *x, struct kd_dev *dev,
		       uint64_t timeout_ns, const char *why);
/* pci_wait_for_pending(): true when the bits cleared in time. */
bool kd_exec_wait_pending(struct kd_reset_exec *x, struct kd_dev *dev,
			  unsigned pos, uint16_t mask, const char *why);
/* pcie_get_speed_cap(): the highest speed in LnkCap2's Supported Link
 * Speeds Vector when it has one, else LnkCap's Max Link Speed, both in
 * the LnkCap encoding (1: 2.5 GT/s, 2: 5 GT/s, 3: 8 GT/s ...) (link.c) */
unsigned kd_link_speed_cap(struct kd_dev *dev, unsigned exp);
/* pcie_wait_for_link_status(): poll LnkSta.DLLLA every 1 ms. */
int kd_exec_wait_link(struct kd_reset_exec *x, struct kd_dev *dev,
		      unsigned exp, uint64_t timeout_ns, const char *why);

/* A quirk's steps, in order, as recorded operations; stops at the first
 * that fails (quirk-steps.c).  id: the function's identity, for scripts. */
int kd_exec_quirk_steps(struct kd_reset_exec *x, struct kd_dev *dev,
			const struct kd_quirk_steps *steps,
			const struct kd_quirk_id *id,
			enum kd_quirk_phase phase, bool allow_insecure);

/* Config space saved across a reset (pci_save_state(): the header, the
 * PCIe control registers and the extended capabilities' controls the
 * kernel restores).  A capability offset of 0: absent, nothing saved. */
struct kd_saved {
	bool valid;
	uint8_t hdr_type;
	bool unbound;           /* restore with Bus Master Enable cleared */
	uint32_t hdr[16];
	unsigned exp;
	bool slot, link, v2;    /* which registers the capability has */
	bool root;              /* RtCtl: root port / event collector */
	uint16_t devctl, lnkctl, sltctl, rtctl, devctl2, lnkctl2, sltctl2;
	unsigned ltr;           /* pci_save_ltr_state() */
	uint16_t ltr_snoop, ltr_nosnoop;
	unsigned l1ss;          /* pci_save_aspm_l1ss_state() */
	uint32_t l1ss_ctl1, l1ss_ctl2;
	unsigned aer;           /* pci_save_aer_state() */
	uint32_t aer_uncor_mask, aer_uncor_sever, aer_cor_mask, aer_cap,
		 aer_root_cmd;
	unsigned acs, ats, pri, pasid;
	uint16_t acs_ctrl, ats_ctrl, pri_ctrl, pasid_ctrl;
	uint32_t pri_alloc;
	unsigned rebar, n_rebar; /* pci_restore_rebar_state() */
	uint32_t rebar_ctrl[PCI_SRIOV_NUM_BARS];
	unsigned sriov;         /* sriov_save_state() */
	uint16_t sriov_ctrl, sriov_numvf;
	uint32_t sriov_pgsz, sriov_bar[PCI_SRIOV_NUM_BARS];
};

int kd_save(struct kd_dev *dev, bool unbound, struct kd_saved *s);
/* pci_dev_save_and_disable(): Command = INTx Disable only; a bridge keeps
 * its Command (Bus Master, decode) and only gains INTx Disable. */
int kd_disable(struct kd_reset_exec *x, struct kd_dev *dev);
/* pci_restore_state() order; BME stays off for unbound functions other
 * than bridges. */
int kd_restore(struct kd_reset_exec *x, struct kd_dev *dev,
	       const struct kd_saved *s);
/* Config reads answer (Command/Status not all-ones); true in a dry run. */
bool kd_dev_answers(struct kd_reset_exec *x, struct kd_dev *dev);
/* RW1C error status: DevSta errors, AER, Status errors (exp: 0 if none) */
int kd_clear_errors(struct kd_reset_exec *x, struct kd_dev *dev, unsigned exp);
/* PMCSR to D0 if needed (pci_set_power_state(D0) before saving). */
int kd_power_up(struct kd_reset_exec *x, struct kd_dev *dev);

/* methods on one function (methods.c; bus is in bus.c) */
int kd_method_flr(struct kd_reset_exec *x, struct kd_dev *dev,
		  const struct kd_probe_info *in, bool unbound);
int kd_method_af_flr(struct kd_reset_exec *x, struct kd_dev *dev,
		     const struct kd_probe_info *in, bool unbound);
int kd_method_pm(struct kd_reset_exec *x, struct kd_dev *dev,
		 const struct kd_probe_info *in, bool unbound);
/* The device-specific reset: save, power up, disable, the policy's reset
 * hook, restore (pci_reset_function() around pci_dev_specific_reset()) */
int kd_method_device_specific(struct kd_reset_exec *x, struct kd_dev *dev,
			      const struct kd_probe_info *in, bool unbound,
			      kd_reset_hook reset, void *data);
/* pcie_flr() on dev: pending transactions, DevCtl.BCR_FLR, 100 ms unless
 * Immediate Readiness, readiness; DevCap.FLR is not checked */
int kd_exec_flr(struct kd_reset_exec *x, struct kd_dev *dev);
int kd_method_quiesce(struct kd_reset_exec *x, struct kd_dev *dev,
		      const struct kd_probe_info *in);
/* avoid: the policy's KD_RM_BIT()s; "kernel" narrows reset_method to
 * what they (and, for a VF, never bus) allow.  -EOPNOTSUPP: the kernel
 * has no such method (EINVAL/ENOTTY from reset_method or reset), with
 * the reason set. */
int kd_method_kernel(struct kd_reset_exec *x, struct kd_dev *dev,
		     enum kd_reset_method m, bool unbound, unsigned avoid);
/* virtio 1.x device reset through the common configuration (methods.c) */
int kd_method_virtio(struct kd_reset_exec *x, struct kd_dev *dev,
		     const struct kd_probe_info *in, bool unbound);
/* Whether the method can run on this function: 0 or -ENOTTY with why.
 * topo: a bridge with functions below is no endpoint (no flr, pm, ...). */
int kd_method_check(struct kd_dev *dev, const struct kd_probe_info *in,
		    const struct kd_topo *topo, enum kd_reset_method m,
		    char *why, size_t len);
/* An SR-IOV VF (sysfs physfn link, or a dump's physfn annotation). */
bool kd_reset_is_vf(struct kd_dev *dev);
/* A PF whose enabled VFs include one with a driver bound, or one that
 * cannot be read (unknown = bound): true, its address and driver in
 * who.  Any reset of the PF takes its VFs along (SR-IOV 1.1 §2.2.2). */
bool kd_pf_has_bound_vf(struct kd_dev *pf, const struct kd_probe_info *in,
			const struct kd_topo *topo, char *who, size_t len);
bool kd_kernel_has_reset(struct kd_dev *dev);

/* virtio 1.x §4.1.4.3: the common configuration's BAR and offset from
 * the first COMMON_CFG vendor capability; false when there is none or
 * its BAR is out of range (witness.c) */
bool kd_virtio_common(struct kd_dev *dev, int *bar, uint32_t *off);
bool kd_is_virtio(const struct kd_probe_info *in);

/* witnesses read through the BAR */
void kd_witness_read(struct kd_dev *dev, const struct kd_probe_info *in,
		     struct kd_witness *w, bool after);

/* the bus reset of a whole domain below a bridge */
struct kd_bus_facts;
struct kd_bus_target {
	struct kd_dev *dev;
	struct kd_probe_info info;
	bool bound, requested;
	struct kd_saved saved;
};

/* o: force and the policy, asked about the bridge and every function
 * below it (pci_bus_resettable()) */
int kd_method_bus(struct kd_reset_exec *x, struct kd_dev *dev,
		  const struct kd_topo *topo, const struct kd_reset_opts *o);
/* kd_method_bus()'s scope check alone, nothing written or saved: 0 when
 * it would reset, else its error with the reason in why.  -ENOTTY: no
 * bridge to reset through (root bus) or a VF; -EPERM: a quirk forbids
 * it or a function below cannot be read; -EBUSY: a bound function
 * below, without --force. */
int kd_bus_scope_check(struct kd_reset_exec *x, struct kd_dev *dev,
		       const struct kd_topo *topo,
		       const struct kd_reset_opts *o,
		       struct kd_bus_facts *facts, char *why, size_t len);

/* What the scope check weighs of one function (reset/bus-facts.c) */
struct kd_bus_fact {
	struct kd_addr addr;
	int open_err;          /* < 0: config space cannot be read */
	bool no_bus;           /* a quirk forbids a bus reset ... */
	char src[64];          /* ... this one */
	bool bound;
	char driver[KD_NAME_MAX];
};
/* A run's memo of them (facts may be NULL below: no memo). */
struct kd_bus_facts *kd_bus_facts_new(void);
void kd_bus_facts_free(struct kd_bus_facts *f);
bool kd_bus_facts_get(struct kd_bus_facts *f, const struct kd_addr *a,
		      struct kd_bus_fact *out);
void kd_bus_facts_put(struct kd_bus_facts *f, const struct kd_bus_fact *fact);

#endif
