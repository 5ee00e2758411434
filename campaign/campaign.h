/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Crash-cycle campaigns (docs/campaign.md): a plan of functions under test
 * x variants grouped into crash cycles (plan.c), the first kernel's "next
 * cycle" (next.c), the capture kernel's step (step.c), the clean-kexec
 * driver audit (audit.c).  Every record goes through the journal
 * (campaign/journal.h); every external action (kexec, the crash, a module
 * load, a health check) through struct kd_campaign_ops, so tests inject
 * their own and nothing real is ever kexec'd, crashed or loaded by them.
 *
 * Library code: 0 or -errno, logs through the ctx.
 */
#ifndef KDSAFE_CAMPAIGN_H
#define KDSAFE_CAMPAIGN_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "campaign/journal.h"
#include "probe/probe.h"

#define KD_PLAN_FILE "plan.json"
#define KD_JOURNAL_FILE "journal.jsonl"
#define KD_AUDIT_FILE "audit-before.json"
#define KD_VARIANT_MAX 64
#define KD_PLAN_DEFAULT_REPEAT 3
/* the kernel argument naming the step: kdsafe.step=DIR:CYCLE */
#define KD_STEP_ARG "kdsafe.step="

/* ---- the plan ----------------------------------------------------------- */

struct kd_plan_device {
	char address[KD_ADDR_STRLEN];
	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint32_t class_code;
	char driver[KD_NAME_MAX];     /* bound in the first kernel; "" none */
	char modalias[96];
	unsigned n_modules;
	char (*modules)[KD_NAME_MAX]; /* candidates (libkmod), driver first */
	unsigned n_variants;
	char (*variants)[KD_VARIANT_MAX];
};

struct kd_plan_cycle {
	unsigned cycle, repeat;       /* cycle 1..n, repeat 1..plan repeat */
	char variant[KD_VARIANT_MAX];
	size_t n;
	size_t *devs;                 /* indexes into plan devices */
};

struct kd_plan {
	unsigned repeat;
	bool has_target;              /* the results (kdump target) device */
	struct kd_plan_device target; /* its driver chain loads first */
	bool target_tested;           /* it is also among the devices */
	size_t n_devices;
	struct kd_plan_device *devices;
	size_t n_cycles;
	struct kd_plan_cycle *cycles;
};

struct kd_quirks;

struct kd_plan_opts {
	const struct kd_filter *filters; /* none: every testable function */
	size_t n_filters;
	unsigned repeat;              /* 0: KD_PLAN_DEFAULT_REPEAT */
	const char *target;           /* address of the results device */
	const struct kd_quirks *quirks; /* NULL: no quirk variants */
};

/* Probes every function (kd_probe, the one identify path), picks those
 * under test (no bridges, platform plumbing or kernel-owned functions),
 * their variants (none, quiesce, each method kd_reset_method_check()
 * accepts, each matching quirk) and groups them into cycles: one per
 * variant and repeat, applied to every device it fits.  0 or -errno. */
int kd_plan_build(struct kd_ctx *ctx, const struct kd_plan_opts *o,
		  struct kd_plan *out);
void kd_plan_clear(struct kd_plan *p);
struct json_object *kd_plan_to_json(const struct kd_plan *p);
int kd_plan_from_json(struct kd_ctx *ctx, struct json_object *o,
		      struct kd_plan *out);
/* DIR/plan.json written (to a temporary file, fsynced, renamed) or read */
int kd_plan_save(struct kd_ctx *ctx, const char *dir, const struct kd_plan *p);
int kd_plan_load(struct kd_ctx *ctx, const char *dir, struct kd_plan *out);
const struct kd_plan_cycle *kd_plan_cycle(const struct kd_plan *p,
					  unsigned cycle);
/* The journal's cycle and device records for cycle c of p */
void kd_plan_journal_device(const struct kd_plan_device *d,
			    struct kd_journal_device *out);

/* ---- progress (from the journal) ---------------------------------------- */

struct kd_campaign_progress {
	unsigned cycles;              /* in the plan */
	unsigned started, done;       /* with an intent; with all outcomes */
	unsigned next;                /* first cycle without intent; 0: none */
	unsigned open;                /* the last started cycle lacking
				       * outcomes; 0: none */
	char machine[128];            /* of the last cycle intent */
	unsigned counts[KD_OUTCOME_COUNT];
	struct json_object *last;     /* array of the last cycle's outcomes */
	struct kd_journal_stats st;
};

/* Reads DIR's journal against the plan; free ->last with json_object_put.
 * A missing journal is an empty one. */
int kd_campaign_progress(struct kd_ctx *ctx, const char *dir,
			 const struct kd_plan *p,
			 struct kd_campaign_progress *out);

/* ---- external actions ---------------------------------------------------- */

struct kd_campaign_ops {
	/* argv NULL-terminated ("kexec", "-p", ...): 0 or -errno */
	int (*run)(void *data, struct kd_ctx *ctx, char *const argv[]);
	/* echo c > /proc/sysrq-trigger; returns only when it failed */
	int (*crash)(void *data, struct kd_ctx *ctx);
	/* load module for the device (libkmod): 0 or -errno */
	int (*load)(void *data, struct kd_ctx *ctx, const char *module,
		    const char *address);
	/* health of dev after its driver loaded (NULL: kd_campaign_health) */
	int (*health)(void *data, struct kd_ctx *ctx, struct kd_dev *dev,
		      const struct kd_probe_info *before, uint64_t timeout_ns,
		      char *why, size_t len);
	void *data;
};

/* The real actions: kexec-tools, sysrq, libkmod.  They refuse (-EPERM)
 * unless allow_real, and always in the test build (KDSAFE_NO_REAL_WRITES). */
void kd_campaign_real_ops(struct kd_campaign_ops *ops, bool allow_real);

struct kd_health_opts {
	const char *ping;             /* host to ping from a network device */
};
/* Where a function's network interface / disk is in sysfs: DEVDIR/net or
 * DEVDIR/block, or one level down (virtioN/net, virtioN/block); an NVMe
 * namespace below DEVDIR/nvme/nvmeX, a multipath path device nvmeXcZnY
 * named by its head nvmeXnY.  0 or -ENOENT. */
int kd_health_net_name(const char *devdir, char *ifname, size_t len,
		       char *ifdir, size_t dlen);
int kd_health_block_name(const char *devdir, char *disk, size_t len);
/* The network part of the check, once: DEVDIR's interface has operstate
 * "up" or carrier "1" (and answers ho->ping).  Both read through the
 * access layer (kd_ctx_read_small(): beneath the sysroot, regular files
 * only, never blocking).  0; -EAGAIN with why (no interface yet, link
 * down); -EIO with why naming the file when one is there but refused. */
int kd_health_link_up(struct kd_ctx *ctx, const char *devdir,
		      const struct kd_health_opts *ho,
		      const struct kd_campaign_ops *ops, char *why, size_t len);
/* The storage part, once: the first 512-byte sector of DEVDIR's disk
 * (SYSROOT/dev/NAME) reads, through kd_ctx_read_head() (beneath the
 * sysroot, a block device or regular file only, never blocking).  0;
 * -EAGAIN with why (no disk yet, short read); -EIO with why naming the
 * file when it is there but refused. */
int kd_health_first_sector(struct kd_ctx *ctx, const char *devdir,
			   char *why, size_t len);

/*
 * The default health check, polled on the ctx clock until it holds or
 * timeout_ns passed: the driver is bound and no new error (DevSta, AER,
 * Status) appeared since before; network: link up (operstate, carrier)
 * and the ping where configured; mass storage: the first sector of its
 * block device reads; others: the driver bound.  0, or -EIO with why.
 */
int kd_campaign_health(struct kd_ctx *ctx, struct kd_dev *dev,
		       const struct kd_probe_info *before,
		       const struct kd_health_opts *ho,
		       const struct kd_campaign_ops *ops, uint64_t timeout_ns,
		       char *why, size_t len);

/* ---- first kernel: the next cycle --------------------------------------- */

struct kd_next_opts {
	const char *kernel, *initrd, *append; /* the capture kernel */
	bool crash;                   /* trigger it (sysrq c) once loaded */
};

/* Recovers the journal, picks the next cycle, refuses (-ENOEXEC) when no
 * crash kernel can be loaded (SYSROOT/sys/kernel/kexec_crash_size is 0 or
 * missing), writes the cycle intent (fsynced), loads the capture kernel
 * (kexec -p ... kdsafe.step=DIR:CYCLE) and with o->crash triggers the
 * crash.  *cycle: the cycle, 0 when the plan is finished (returns 0). */
int kd_campaign_next(struct kd_ctx *ctx, const char *dir,
		     const struct kd_next_opts *o,
		     const struct kd_campaign_ops *ops, unsigned *cycle);

/* ---- capture kernel: the step ------------------------------------------- */

struct kd_step_opts {
	const char *dir;
	unsigned cycle;               /* 0: the open cycle of the journal */
	uint64_t health_timeout_ns;   /* 0: 10 s */
	struct kd_health_opts health;
	/* one line per device and variant, to the console (LAVA) */
	void (*signal)(void *data, const char *test_case, bool pass);
	void *signal_data;
	const struct kd_journal_io *io; /* NULL: the real system calls */
};

struct kd_step_summary {
	unsigned cycle, recovered, devices, passed, failed;
};

/*
 * The step of a crash cycle, run before any driver loads: recovers the
 * journal (an open intent becomes hang / died-loading), records each
 * device's inherited state, applies the cycle's variant through the reset
 * engine and verifies it, then loads drivers one device at a time (the
 * results device's chain first), a durable "loading X for D" intent
 * before each, checks health and writes each outcome.  0 or -errno (a
 * journal that cannot be written stops it).
 */
int kd_campaign_step(struct kd_ctx *ctx, const struct kd_step_opts *o,
		     const struct kd_campaign_ops *ops,
		     struct kd_step_summary *sum);

/* The step named on the kernel command line (SYSROOT/proc/cmdline, or
 * cmdline when not NULL): kdsafe.step=DIR:CYCLE.  1 found, 0 not there,
 * -EINVAL malformed. */
int kd_campaign_step_arg(struct kd_ctx *ctx, const char *cmdline, char *dir,
			 size_t len, unsigned *cycle);

/* ---- clean kexec: which driver leaves its device live ------------------- */

/* First kernel: DIR/audit-before.json, every bound function's driver. */
int kd_audit_before(struct kd_ctx *ctx, const char *dir);
/* Second kernel: for each function of the binding map, its inherited
 * state and the driver that left it bus mastering or with MSI, MSI-X or
 * INTx armed; returns an array of objects in *out. */
int kd_audit_after(struct kd_ctx *ctx, const char *dir,
		   struct json_object **out);

/* machine id (SYSROOT/etc/machine-id) and kernel release into bufs */
void kd_campaign_identity(struct kd_ctx *ctx, char *machine, size_t mlen,
			  char *kernel, size_t klen);

#endif
