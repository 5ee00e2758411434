/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A simulated PCI topology behind struct kd_backend, for unit tests of
 * reset/ and quirks/ (and the reset benchmark).  It models what a reset
 * does to config space and BAR registers, the waits a device imposes,
 * and records everything written so tests assert exact bytes.
 *
 *   struct kd_sim *sim = kd_sim_new();
 *   struct kd_sim_fn *rp = kd_sim_add_bridge(sim, "00:1c.0", NULL, 1, 1);
 *   struct kd_sim_fn *nic = kd_sim_add(sim, "01:00.0", "00:1c.0",
 *                                      0x8086, 0x10d3, 0x020000);
 *   kd_sim_cap_pm(nic, false);
 *   kd_sim_cap_msi(nic);
 *   kd_sim_cap_exp(nic, 0, true);       // endpoint, FLR capable
 *   kd_sim_make_e1000e(nic);            // RCTL/TCTL witnesses in BAR0
 *   kd_sim_set_live(nic);               // BME, MEM, MSI on: dirty
 *   struct kd_ctx *ctx;
 *   kd_sim_ctx(sim, &ctx);              // sim backend, fake clock,
 *                                       // writes enabled
 *   ... run code under test ...
 *   kd_sim_count(sim, KD_SIM_EV_RESET, kd_sim_fn_addr(nic));
 *   kd_ctx_unref(ctx);
 *   kd_sim_free(sim);
 *
 * Time: with kd_sim_ctx() (or kd_sim_clock()) the clock is fake: sleeps
 * advance it instantly and are logged as KD_SIM_EV_SLEEP events.  With
 * kd_sim_ctx_real() the context keeps the real clock (benchmarks); the
 * device's own delays (busy windows, the kernel's reset) then really
 * sleep.
 *
 * Semantics modelled (PCIe r5.0 / PCI PM 1.2):
 *  - Read-only: IDs, class, header type, subsystem IDs.  RW1C: Status
 *    error bits, DevSta error bits, AER status registers.  DevSta
 *    TransPend is read-only (clears on reset unless stuck).
 *  - A reset (FLR via DevCtl bit 15, AF FLR via AF Control bit 0,
 *    D3hot->D0 with NoSoftRst clear, Secondary Bus Reset deassert on a
 *    bridge above, or the kernel's sysfs reset) clears Command, Status
 *    and DevSta errors, MSI/MSI-X enables, BARs, Interrupt Line, DevCtl
 *    back to its initial value, PMCSR to D0; bridges also lose bus
 *    numbers and Bridge Control.  AER status is sticky (survives).  BAR
 *    witness registers return to their reset value.
 *  - A hot-plug port (kd_sim_slot) that is itself reset gets SltCtl 0
 *    and latches SltSta PDC and DLLSC: restoring its SltCtl with those
 *    bits set fires KD_SIM_EV_HOTPLUG.
 *  - After a reset, config reads return all-ones for busy_ms; BAR reads
 *    return all-ones while busy or while Memory Space Enable is clear,
 *    and BAR writes are dropped (logged, text "dropped") while it is.
 *  - virtio (kd_sim_make_virtio): writing 0 (width 1) to device_status
 *    in the common configuration resets the virtio device (virtio 1.x
 *    §4.1.4.3.2), not the PCI function: its other BAR registers go to
 *    their reset values, config space is untouched, a KD_SIM_EV_RESET
 *    "virtio device_status=0" is logged; device_status keeps reading
 *    its old value for the virtio busy time, then 0 (never with
 *    KD_SIM_VIRTIO_STUCK).
 *  - The kernel's "reset": save header + PCIe control, Command = INTx
 *    Disable, the first method of reset_method (flr, pm, bus, as the
 *    device really behaves), restore the header (Bus Master included,
 *    as the kernel does).
 * Thread-safe (one mutex): the reset runner may call it from threads.
 */
#ifndef KDSAFE_TEST_SIM_H
#define KDSAFE_TEST_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "access/backend.h"

struct kd_sim;
struct kd_sim_fn;

extern const struct kd_backend kd_sim_backend;

struct kd_sim *kd_sim_new(void);
void kd_sim_free(struct kd_sim *sim);

/* A context over the simulator: fake clock, log at priority prio (0:
 * errors only) captured in the sim (kd_sim_log_text), writes enabled. */
int kd_sim_ctx(struct kd_sim *sim, struct kd_ctx **out);
/* The same with the real clock (benchmarks). */
int kd_sim_ctx_real(struct kd_sim *sim, struct kd_ctx **out);
/* The fake clock alone, for contexts built by hand. */
struct kd_clock kd_sim_clock(struct kd_sim *sim);
uint64_t kd_sim_now(const struct kd_sim *sim);
/* Everything logged through a kd_sim_ctx() context, one line each. */
const char *kd_sim_log_text(const struct kd_sim *sim);

/* ---- topology ---------------------------------------------------------- */

/* An endpoint (type 0 header); parent NULL: on a root bus.  Aborts the
 * test on a malformed address (a test bug, not a condition). */
struct kd_sim_fn *kd_sim_add(struct kd_sim *sim, const char *bdf,
			     const char *parent, uint16_t vendor,
			     uint16_t device, uint32_t class_code);
/*
 * A PCIe bridge (type 1 header, class 0x0604): a root port when parent
 * is NULL, else a downstream port.  speed: Max Link Speed in LnkCap
 * (1 = 2.5 GT/s ... 3 = 8 GT/s); dll: Data Link Layer Link Active
 * Reporting Capable.  Secondary/subordinate bus numbers are taken from
 * the children added below it.
 */
struct kd_sim_fn *kd_sim_add_bridge(struct kd_sim *sim, const char *bdf,
				    const char *parent, unsigned speed,
				    bool dll);
/* A conventional PCI-to-PCI bridge (no PCIe capability). */
struct kd_sim_fn *kd_sim_add_pci_bridge(struct kd_sim *sim, const char *bdf,
					const char *parent);
struct kd_sim_fn *kd_sim_find(struct kd_sim *sim, const char *bdf);
const struct kd_addr *kd_sim_fn_addr(const struct kd_sim_fn *fn);

/* ---- capabilities: each returns its config offset ---------------------- */

unsigned kd_sim_cap_pm(struct kd_sim_fn *fn, bool no_soft_reset);
unsigned kd_sim_cap_msi(struct kd_sim_fn *fn);
unsigned kd_sim_cap_msix(struct kd_sim_fn *fn, unsigned table_size);
/* type: PCI_EXP_TYPE_*; flr: DevCap FLR bit */
unsigned kd_sim_cap_exp(struct kd_sim_fn *fn, int type, bool flr);
unsigned kd_sim_cap_af(struct kd_sim_fn *fn);
unsigned kd_sim_ecap_aer(struct kd_sim_fn *fn);
/* An extended capability appended to the chain (after AER if any):
 * header id | version << 16, size bytes reserved; returns its offset */
unsigned kd_sim_ecap_add(struct kd_sim_fn *fn, uint16_t id, unsigned version,
			 unsigned size);
/* The PCIe capability's offset (0: none) */
unsigned kd_sim_exp_pos(const struct kd_sim_fn *fn);
/* Status bit 0: Immediate Readiness (no 100 ms FLR wait) */
void kd_sim_set_immediate_ready(struct kd_sim_fn *fn);

/* A hot-plug slot on a PCIe bridge: SltCap.HPC, SltCtl with HPIE, PDCE
 * and DLLSCE on (as pciehp leaves it).  A bus reset below sets SltSta
 * PDC and DLLSC (RW1C); whenever an enabled event is pending with HPIE
 * on, a KD_SIM_EV_HOTPLUG "surprise removal" is logged. */
void kd_sim_slot(struct kd_sim_fn *fn);
/* SR-IOV capability (VF Enable on, NumVFs, First VF Offset, VF Stride) */
unsigned kd_sim_ecap_sriov(struct kd_sim_fn *fn, unsigned num_vfs,
			   unsigned offset, unsigned stride);
/* A VF of pf: IDs read ffff, "physfn" link, the PF's parent bridge. */
struct kd_sim_fn *kd_sim_add_vf(struct kd_sim *sim, const char *bdf,
				const char *pf);
/* config reads fail with -EIO (a function that cannot be read) */
void kd_sim_set_unreadable(struct kd_sim_fn *fn);

/* ---- state and behaviour ----------------------------------------------- */

/* What a crashed kernel leaves: Memory + Bus Master on, MSI and MSI-X
 * enabled where present, BAR0 programmed. */
void kd_sim_set_live(struct kd_sim_fn *fn);
void kd_sim_cfg_set(struct kd_sim_fn *fn, unsigned pos, unsigned width,
		    uint32_t val);
uint32_t kd_sim_cfg_get(const struct kd_sim_fn *fn, unsigned pos,
			unsigned width);
void kd_sim_bind(struct kd_sim_fn *fn, const char *driver);
/* A register any reset sets to 0 (extended capability controls, ...) */
void kd_sim_reset_clears(struct kd_sim_fn *fn, unsigned pos, unsigned width);
/* While busy after a reset, Vendor ID reads return the RRS value 0x0001
 * (the root port has RRS Software Visibility on, PCIe §2.3.2) */
void kd_sim_set_rrs(struct kd_sim_fn *fn, bool on);
/* Log each config read of fn as a KD_SIM_EV_CFG_READ (pos, width) */
void kd_sim_trace_reads(struct kd_sim_fn *fn, bool on);

enum kd_sim_flags {
	KD_SIM_IGNORE_FLR = 1 << 0,      /* FLR accepted, resets nothing */
	KD_SIM_NEVER_BACK = 1 << 1,      /* all-ones forever after a reset */
	KD_SIM_TRANS_PEND_STUCK = 1 << 2, /* TransPend set, never clears */
	KD_SIM_PM_NOOP = 1 << 3,         /* D3hot->D0 resets nothing */
	KD_SIM_VANISH_ON_RESET = 1 << 4, /* gone (-ENODEV) once reset */
	KD_SIM_TRANS_PEND = 1 << 5,      /* TransPend set until reset */
	KD_SIM_KERNEL_ENOTTY = 1 << 6,   /* sysfs reset fails, ENOTTY (after
					  * restoring, as the kernel does) */
	KD_SIM_VIRTIO_STUCK = 1 << 7,    /* virtio device_status never reads
					  * 0 after a virtio reset */
	KD_SIM_RESET_METHOD_EINVAL = 1 << 9, /* writing reset_method fails
					  * EINVAL but for "default" (the
					  * kernel's probe of the method
					  * failed, reset_method_store()) */
	KD_SIM_BARS_LOST = 1 << 8,       /* once reset, BAR writes do not
					  * stick: the BARs read 0 */
};
void kd_sim_set_flags(struct kd_sim_fn *fn, unsigned flags);
/* config reads return all-ones for ms after each reset */
void kd_sim_set_busy_ms(struct kd_sim_fn *fn, uint64_t ms);
/* -EIO on a config write touching pos (~0u: any config write) */
void kd_sim_fail_write(struct kd_sim_fn *fn, unsigned pos);
/* sysfs "reset" present; "reset_method" with methods (NULL: absent,
 * as before Linux 5.15) */
void kd_sim_set_kernel_reset(struct kd_sim_fn *fn, const char *methods);
const char *kd_sim_reset_method(const struct kd_sim_fn *fn);
unsigned kd_sim_resets(const struct kd_sim_fn *fn); /* effective resets */
/* BAR reads with Memory Space off or outside D0: Unsupported Requests */
unsigned kd_sim_ur_reads(const struct kd_sim_fn *fn);
bool kd_sim_gone(const struct kd_sim_fn *fn);

/* BAR registers: live value now, reset_value after any reset */
void kd_sim_bar_reg(struct kd_sim_fn *fn, int bar, uint64_t off,
		    uint64_t live, uint64_t reset_value);
uint64_t kd_sim_bar_get(const struct kd_sim_fn *fn, int bar, uint64_t off);
/* class witnesses, engines running */
void kd_sim_make_nvme(struct kd_sim_fn *fn);   /* CC.EN, CSTS.RDY */
void kd_sim_make_e1000e(struct kd_sim_fn *fn); /* RCTL.EN, TCTL.EN */
/* virtio: COMMON_CFG vendor cap -> BAR4 (64-bit, assigned) offset 0,
 * device_status 0xf there */
void kd_sim_make_virtio(struct kd_sim_fn *fn);
/* device_status reads the old value for ms after a virtio reset */
void kd_sim_set_virtio_busy_ms(struct kd_sim_fn *fn, uint64_t ms);
unsigned kd_sim_virtio_resets(const struct kd_sim_fn *fn);

/* ---- the log ------------------------------------------------------------ */

enum kd_sim_ev_kind {
	KD_SIM_EV_CFG_WRITE,  /* addr, pos, width, value (as written) */
	KD_SIM_EV_ATTR_WRITE, /* addr, attr, text */
	KD_SIM_EV_BAR_WRITE,  /* addr, bar, pos, width, value */
	KD_SIM_EV_SLEEP,      /* ns: a sleep through the fake clock */
	KD_SIM_EV_RESET,      /* addr: a reset took effect; text: cause */
	KD_SIM_EV_HOTPLUG,    /* addr: the slot's bridge; an enabled hot-plug
			       * event fired (pciehp would remove the card) */
	KD_SIM_EV_CFG_READ,   /* addr, pos, width (kd_sim_trace_reads) */
};

struct kd_sim_event {
	enum kd_sim_ev_kind kind;
	struct kd_addr addr;
	unsigned pos, width;
	int bar;
	uint64_t value;
	char attr[24], text[64];
	uint64_t ns;   /* sleep length */
	uint64_t at;   /* fake time when it happened */
	int result;    /* what the write returned */
};

size_t kd_sim_n_events(const struct kd_sim *sim);
const struct kd_sim_event *kd_sim_event(const struct kd_sim *sim, size_t i);
/* Events of a kind for one function (NULL: any function). */
size_t kd_sim_count(const struct kd_sim *sim, enum kd_sim_ev_kind kind,
		    const struct kd_addr *addr);
/* The nth (0-based) config write to addr at pos, or NULL. */
const struct kd_sim_event *kd_sim_find_write(const struct kd_sim *sim,
					     const struct kd_addr *addr,
					     unsigned pos, size_t nth);
/* The first sysfs write of attribute attr to addr, or NULL. */
const struct kd_sim_event *kd_sim_find_attr_write(const struct kd_sim *sim,
						  const struct kd_addr *addr,
						  const char *attr);
/* Sleep lengths in order into out (at most max); returns the count. */
size_t kd_sim_sleeps(const struct kd_sim *sim, uint64_t *out, size_t max);
uint64_t kd_sim_total_sleep(const struct kd_sim *sim);
/* Concurrency probe: each fake sleep waits (real time, up to timeout_ms)
 * until n callers have been asleep at once; kd_sim_peak_sleepers() tells
 * the most that were.  Serial code reaches 1, parallel code n. */
void kd_sim_sleep_rendezvous(struct kd_sim *sim, unsigned n,
			     uint64_t timeout_ms);
unsigned kd_sim_peak_sleepers(struct kd_sim *sim);
void kd_sim_clear_log(struct kd_sim *sim);
/* Work that takes time: each read of the fake clock advances it by ns
 * after returning (0, the default: reads are free). */
void kd_sim_clock_tick(struct kd_sim *sim, uint64_t ns);
/* fn(ns, data) in the sleeping thread as each fake sleep begins (set it
 * before the run: it is read without the lock). */
void kd_sim_on_sleep(struct kd_sim *sim, void (*fn)(uint64_t ns, void *data),
		     void *data);

#endif
