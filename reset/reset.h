/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsafe reset: puts functions a crashed kernel left live back into a
 * clean state before any driver loads.  Every method records the
 * operations it performs (config writes, sysfs writes, waits, polls) in
 * its result; with dry_run it records them and touches nothing.
 *
 * Data flows access -> probe -> quirks -> reset: a quirk database plugs
 * in through struct kd_reset_policy, handed over per device by
 * kd_reset_opts.policy_fn.  Library code: 0 or -errno, logs via ctx.
 */
#ifndef KDSAFE_RESET_H
#define KDSAFE_RESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "probe/probe.h"

/* ---- methods ----------------------------------------------------------- */

enum kd_reset_method {
	KD_RM_NONE = 0,
	KD_RM_AUTO,       /* device-specific (when a quirk defines it), policy
			   * preference, kernel, flr, af-flr, pm, bus, virtio */
	KD_RM_KERNEL,     /* sysfs "reset", the kernel's own order */
	KD_RM_KERNEL_FLR, /* sysfs "reset_method"=flr, then "reset" */
	KD_RM_KERNEL_PM,
	KD_RM_KERNEL_BUS,
	KD_RM_FLR,        /* PCIe Function Level Reset, config space */
	KD_RM_AF_FLR,     /* Advanced Features FLR */
	KD_RM_PM,         /* D0 -> D3hot -> D0 */
	KD_RM_BUS,        /* Secondary Bus Reset of the parent bridge */
	KD_RM_VIRTIO,     /* virtio 1.x device reset: device_status = 0 */
	KD_RM_DEVICE_SPECIFIC, /* the quirk's reset steps, between save/
				* disable and restore (pci_dev_specific_reset) */
	KD_RM_KERNEL_DEVSPEC,  /* reset_method=device_specific, then reset */
	KD_RM_QUIESCE,    /* no reset: BME off, MSI/MSI-X off, INTx off */
	KD_RM_COUNT,
};
#define KD_RM_BIT(m) (1u << (m))

/* "auto", "kernel", "kernel:flr", ..., "quiesce"; "?" when unknown */
const char *kd_reset_method_name(enum kd_reset_method m);
/* 0, or -EINVAL for an unknown name */
int kd_reset_method_parse(const char *s, enum kd_reset_method *out);

/* ---- steps usable by quirk hooks (dry-run aware, recorded) ------------- */

/* One function's reset in progress: records every operation. */
struct kd_reset_exec;

int kd_reset_cfg_write(struct kd_reset_exec *x, struct kd_dev *dev,
		       unsigned pos, unsigned width, uint32_t val,
		       const char *why);
int kd_reset_attr_write(struct kd_reset_exec *x, struct kd_dev *dev,
			const char *name, const char *value, const char *why);
int kd_reset_bar_write(struct kd_reset_exec *x, struct kd_dev *dev, int bar,
		       uint64_t off, unsigned width, uint64_t val,
		       const char *why);
/* Read-modify-write under mask (all ones of width: a plain write).  Live
 * read first; a dry run reads nothing and records value & mask. */
int kd_reset_cfg_update(struct kd_reset_exec *x, struct kd_dev *dev,
			unsigned pos, unsigned width, uint32_t mask,
			uint32_t val, const char *why);
int kd_reset_bar_update(struct kd_reset_exec *x, struct kd_dev *dev, int bar,
			uint64_t off, unsigned width, uint64_t mask,
			uint64_t val, const char *why);
/* Until (register & mask) == val: bar < 0 for config space; reads every
 * interval_ns on the context clock, -ETIMEDOUT after timeout_ns. */
int kd_reset_poll(struct kd_reset_exec *x, struct kd_dev *dev, int bar,
		  uint64_t off, unsigned width, uint64_t mask, uint64_t val,
		  uint64_t interval_ns, uint64_t timeout_ns, const char *why);
void kd_reset_sleep(struct kd_reset_exec *x, uint64_t ns, const char *why);
bool kd_reset_exec_dry_run(const struct kd_reset_exec *x);
/* Test hook: the operation log's allocator (realloc); NULL from it drops
 * the records from then on (the result says the log is incomplete). */
extern void *(*kd_exec_realloc)(void *p, size_t size);

/* ---- policy: what a quirk says about one device ------------------------ */

typedef int (*kd_reset_hook)(struct kd_reset_exec *x, struct kd_dev *dev,
			     void *data);

struct kd_reset_policy {
	char source[64];     /* quirk name, shown in results */
	unsigned n_prefer;   /* tried first by auto, in this order */
	enum kd_reset_method prefer[KD_RM_COUNT];
	unsigned avoid;      /* KD_RM_BIT()s: never used, even if asked */
	uint64_t delay_after_ns; /* extra settle time after the reset */
	uint64_t timeout_ns; /* readiness bound; 0: default (60 s) */
	bool has_d3hot_delay;    /* else 10 ms, PCI PM 1.2 §5.6.1 */
	uint64_t d3hot_delay_ns; /* D3hot<->D0 wait (the kernel's per-device
				  * d3hot_delay; 0: none, as the kernel's
				  * quirk_remove_d3hot_delay()) */
	kd_reset_hook pre, post; /* around the reset; may be NULL */
	/* the device-specific reset itself (method device-specific), run
	 * after save/disable and before restore; NULL: none */
	kd_reset_hook reset;
	void *hook_data;
	void (*release)(void *hook_data); /* when the device is done */
};

/* Fills *out for dev: 0, -ENOENT when no quirk matches, or -errno. */
typedef int (*kd_reset_policy_fn)(void *data, struct kd_dev *dev,
				  const struct kd_probe_info *info,
				  struct kd_reset_policy *out);

/*
 * The policy from the quirk database (quirks/quirks.h): pass as
 * policy_fn with policy_data = a loaded struct kd_quirks *.  Preferred
 * methods, avoided ones (kd_quirk_plan_avoids), delay and timeout map
 * one to one; pre/post steps are performed by this executor
 * (reset/quirk-steps.c) as recorded config-write, bar-write, poll, sleep
 * and run operations (only recorded in a dry run).
 */
int kd_reset_quirk_policy(void *quirks_db, struct kd_dev *dev,
			  const struct kd_probe_info *info,
			  struct kd_reset_policy *out);

/* ---- results ----------------------------------------------------------- */

struct kd_reset_state {
	bool valid, dead, bound;
	bool bus_master, msi, msix, trans_pend, errors;
	int power_state;            /* 0..3, -1 unknown */
	uint16_t command, status, devsta;
	enum kd_verdict verdict;
	unsigned reasons;           /* enum kd_reason bits */
};

enum kd_witness_verdict {
	KD_WITNESS_NONE,      /* no witness for this class */
	KD_WITNESS_UNKNOWN,   /* unreadable, or was idle before */
	KD_WITNESS_EFFECTIVE, /* the engine was on and is off now */
	KD_WITNESS_NOOP,      /* the engine was on and still is */
};

struct kd_witness {
	const char *name;     /* "nvme CC.EN|CSTS.RDY", ... */
	bool have_before, have_after;
	uint64_t before, after;
	enum kd_witness_verdict verdict;
};

const char *kd_witness_verdict_name(enum kd_witness_verdict v);

enum kd_op_kind {
	KD_OP_CFG_WRITE,
	KD_OP_ATTR_WRITE,
	KD_OP_BAR_WRITE,
	KD_OP_SLEEP,
	KD_OP_POLL,
	KD_OP_RUN,      /* text: a quirk's program and its arguments */
};

struct kd_reset_op {
	enum kd_op_kind kind;
	struct kd_addr addr;
	unsigned pos, width;    /* config / BAR offset and width */
	int bar;                /* -1: a config-space poll */
	uint64_t value;
	uint64_t mask;          /* a masked write or a poll; 0: whole */
	char attr[24], text[96]; /* sysfs attribute and the value written */
	uint64_t ns;            /* sleep length, the poll's or run's bound */
	uint64_t waited_ns;     /* a sleep's or poll's time waited, budget
				 * cuts excluded; a dry run's sleep: ns */
	uint64_t duration_ns;   /* a sysfs write's own time: the kernel's
				 * mandated waits run inside "reset" */
	bool if_changed;        /* restore: written only if it differs */
	uint64_t at_ns;         /* the context's clock when it was recorded */
	const char *why;        /* static: the rule behind the operation */
	int result;             /* 0 or -errno */
};

const char *kd_op_kind_name(enum kd_op_kind k);
/* The waiting a reset took (docs/reset.md, "waited_ms"): its sleeps' and
 * polls' waits (a dry run's sleeps as planned), and the time of its writes
 * to the kernel's sysfs "reset" (pci_reset_function() waits inside it). */
uint64_t kd_reset_waited_ns(const struct kd_reset_op *ops, size_t n_ops);
/* One line: "config-write 0x04 w2 0x0400" etc. (without the address) */
void kd_reset_op_format(const struct kd_reset_op *op, char *buf, size_t len);

enum kd_reset_status {
	KD_RS_OK,       /* reset (or quiesced) and now clean */
	KD_RS_DIRTY,    /* did what it could; still not clean / reset no-op */
	KD_RS_FAILED,   /* an error stopped it */
	KD_RS_REFUSED,  /* not attempted: unsafe or unsupported */
	KD_RS_PLANNED,  /* dry run */
};

const char *kd_reset_status_name(enum kd_reset_status s);

struct kd_reset_attempt {
	enum kd_reset_method method;
	int err;                /* 0: ran but left the device dirty/no-op */
	char why[160];
};

struct kd_reset_result {
	struct kd_addr addr;
	char name[KD_ADDR_STRLEN];
	enum kd_reset_method requested, used;
	enum kd_reset_status status;
	int err;                /* -errno for failed/refused */
	char reason[256];       /* why failed/refused/dirty; empty if ok */
	uint64_t duration_ns;
	uint64_t began_ns;      /* clock: the function's turn came (open, */
	uint64_t started_ns;    /* identify, policy), its reset started */
	struct kd_reset_state before, after;
	struct kd_witness witness;
	unsigned n_attempts;
	struct kd_reset_attempt attempts[KD_RM_COUNT];
	bool has_bridge;        /* bus reset: the bridge it went through */
	struct kd_addr bridge;
	size_t n_also;          /* other functions the same reset hit */
	struct kd_addr *also;
	bool policy_applied;
	char policy_source[64];
	size_t n_ops, cap_ops;
	struct kd_reset_op *ops;
};

void kd_reset_result_clear(struct kd_reset_result *r);

/* ---- running ----------------------------------------------------------- */

#define KD_RESET_DEFAULT_TIMEOUT_NS (60000ull * 1000000ull)

struct kd_reset_opts {
	enum kd_reset_method method;
	uint64_t timeout_ns;    /* 0: the policy's, else 60 s */
	bool force;             /* bound functions / bound siblings too */
	bool dry_run;           /* record the plan, touch nothing */
	unsigned jobs;          /* concurrent domains; 0: all */
	kd_reset_policy_fn policy_fn; /* NULL: no quirks */
	void *policy_data;
	/* NULL, or the total budget and signal stop (reset/guard.h) */
	struct kd_run_guard *guard;
	/* NULL, or filled in: where kd_reset_run() spent its time */
	struct kd_reset_timing *timing;
	/* NULL, or infos[i]: addrs[i] as the caller identified it just
	 * before (reset --all's choice): the planner takes its domains and
	 * order from these instead of identifying each function again.  Each
	 * reset still identifies its function afresh before touching it. */
	const struct kd_probe_info *infos;
	/* NULL, or called as each function's result is final, from the
	 * thread that reset it (a log line as it happens) */
	void (*done_fn)(void *data, const struct kd_reset_result *r);
	void *done_data;
	/* NULL, or the topology addrs were chosen from (a prober's): the
	 * run plans with it instead of listing every function again */
	const struct kd_topo *topo;
	/*
	 * NULL, or the rest of the functions, chosen while the first domain
	 * waits (reset --all): called once, from another thread, when the
	 * domain expected to wait longest first waits (or ends); from the
	 * calling thread before any reset when nothing is expected to wait
	 * (a dry run) or no thread could be made; it appends
	 * to addrs, infos (when given) and results, never beyond cap
	 * entries, and returns the new count.  A function it adds in a
	 * domain already planned is refused, never run beside it.
	 */
	size_t (*more_fn)(void *data);
	void *more_data;
	size_t cap;
};

struct kd_reset_timing {
	uint64_t topology_ns;   /* listing every function (kd_topo_load) */
	uint64_t plan_ns;       /* domains and their order */
	uint64_t begin_ns;      /* the ctx clock as the first domain starts
				 * (set before done_fn can be called) */
	uint64_t resets_ns;     /* the domains' resets, all jobs */
};

/*
 * Resets n functions; results[i] (zeroed by the caller, cleared with
 * kd_reset_result_clear) describes addrs[i].  Functions are grouped into
 * reset domains (everything below one top-level bridge; the functions of
 * one device on a root bus), domains run concurrently, functions within
 * one serially.  Per-device failures are in the results; the return is
 * 0, or -errno when nothing could be attempted (-EPERM: writes not
 * enabled and not a dry run, -ENOMEM).
 */
int kd_reset_run(struct kd_ctx *ctx, const struct kd_reset_opts *opts,
		 const struct kd_addr *addrs, size_t n,
		 struct kd_reset_result *results);

/* The reset domain of a function that is no VF (kd_reset_run() plans by
 * these: everything one reset can reach) into *key. */
void kd_reset_domain_key(const struct kd_topo *topo, const struct kd_addr *a,
			 struct kd_addr *key);
/*
 * The longest wait a reset of this function by method m (auto: the
 * method auto would try first) is expected to take, from what identify
 * read: the planner starts the domain that waits longest first, so that
 * on one CPU the others' work fits inside its wait.  An estimate for the
 * order only; the methods, their checks and waits stay run.c's and
 * methods.c's.
 */
uint64_t kd_reset_expected_wait_ns(const struct kd_probe_info *in,
				   enum kd_reset_method m);
/* The longest kd_reset_expected_wait_ns() answers for any function: a
 * domain expected to wait that long waits longest. */
uint64_t kd_reset_expected_wait_max_ns(void);

/* Whether method m can run on this function (the check kd_reset_run()
 * makes before it): 0, or -ENOTTY/-EINVAL with the reason in why.  topo
 * may be NULL only for functions that are no bridge. */
int kd_reset_method_check(struct kd_dev *dev, const struct kd_probe_info *in,
			  const struct kd_topo *topo, enum kd_reset_method m,
			  char *why, size_t len);

/* Snapshot of a device's state (refreshes the config cache first). */
int kd_reset_snapshot(struct kd_dev *dev, struct kd_reset_state *out);
/* The same, also handing back what it identified (with topo, which no
 * snapshot field depends on); clear *in after.  Gone: *in says dead. */
int kd_reset_snapshot_info(const struct kd_topo *topo, struct kd_dev *dev,
			   struct kd_reset_state *out,
			   struct kd_probe_info *in);
/* The snapshot of what was just identified, nothing read again. */
void kd_reset_state_of(const struct kd_probe_info *in,
		       struct kd_reset_state *out);

#endif
