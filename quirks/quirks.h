/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsafe quirks: a database of per-device reset knowledge (docs/quirks.md).
 *
 *   kd_quirks_load()      reads quirks.d directories (INI files, inih)
 *   kd_quirks_match()     merges every entry matching one device into a plan
 *   kd_quirk_step_describe() describes one step of a plan; the reset
 *                         executor (reset/quirk-steps.c) performs them
 *
 * Method names are plain strings in their canonical spelling: "flr",
 * "af-flr", "pm", "bus", "virtio", "quiesce", "device-specific" (the
 * quirk's own reset steps), "kernel" (any method the kernel offers)
 * and "kernel:<m>" with <m> as the kernel spells it in reset_method
 * ("kernel:flr", "kernel:device_specific", ...).
 *
 * Library code: returns 0 or -errno, logs through the context, never exits.
 */
#ifndef KDSAFE_QUIRKS_H
#define KDSAFE_QUIRKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "probe/probe.h"

/* ---- steps ------------------------------------------------------------- */

enum kd_quirk_step_kind {
	KD_STEP_CFG,       /* config write (read-modify-write with a mask) */
	KD_STEP_MMIO,      /* BAR write */
	KD_STEP_POLL_CFG,  /* until (config & mask) == value, or timeout */
	KD_STEP_POLL_MMIO, /* until (BAR & mask) == value, or timeout */
	KD_STEP_WAIT,      /* sleep */
	KD_STEP_RUN,       /* external program, fork/execve, killed on timeout */
	KD_STEP_FLR,       /* pcie_flr(): FLR without checking DevCap.FLR */
	KD_STEP_CHECK,     /* (register & mask) == value once, else the
			    * device-specific reset is not available */
};

enum kd_quirk_reg_base {
	KD_REG_ABS,  /* offset is absolute in config space */
	KD_REG_CAP,  /* offset relative to capability cap_id */
	KD_REG_ECAP, /* offset relative to extended capability cap_id */
	KD_REG_BAR,  /* offset into memory BAR bar */
};

struct kd_quirk_reg {
	enum kd_quirk_reg_base base;
	uint16_t cap_id;
	int bar;
	uint64_t off;
	unsigned width; /* 1, 2, 4 (config and MMIO) or 8 (MMIO only) */
};

/*
 * A poll bound read from the device: ((REG >> lo) & field + add) * unit,
 * e.g. NVMe's (CAP.TO + 1) * 500 ms: timeout=(BAR0+0.L[31:24]+1)*500ms.
 * The step's timeout_ns holds the largest bound the field allows.
 */
struct kd_quirk_bound {
	bool set;
	struct kd_quirk_reg reg;
	unsigned hi, lo;     /* bit field, inclusive */
	uint64_t add, unit_ns;
};

struct kd_quirk_step {
	enum kd_quirk_step_kind kind;
	struct kd_quirk_reg reg;     /* CFG, MMIO, POLL_* */
	uint64_t value, mask;        /* mask: all ones of width if none given */
	uint64_t timeout_ns;         /* POLL_*, RUN; WAIT: the duration */
	uint64_t interval_ns;        /* POLL_* */
	struct kd_quirk_bound bound; /* POLL_*: timeout read from a register */
	char **argv;                 /* RUN: NULL-terminated, argv[0] a path */
	const char *text;            /* the step as written */
	const char *file;            /* where it was written */
	unsigned line;
};

struct kd_quirk_steps {
	size_t n;
	const struct kd_quirk_step *const *v;
};

/* ---- the database ------------------------------------------------------ */

struct kd_quirks;
struct kd_quirk_entry;

enum kd_quirk_diag_level { KD_QDIAG_WARNING, KD_QDIAG_ERROR };

struct kd_quirk_diag {
	enum kd_quirk_diag_level level;
	const char *file;
	unsigned line, col; /* 0 when not about one place */
	const char *msg;
};

/* the release build defines both from libdir and sysconfdir (Makefile) */
#ifndef KD_QUIRKS_LIB_DIR
#define KD_QUIRKS_LIB_DIR "/usr/lib/kdsafe/quirks.d"
#endif
#ifndef KD_QUIRKS_ETC_DIR
#define KD_QUIRKS_ETC_DIR "/etc/kdsafe/quirks.d"
#endif

struct kd_quirks_load_opts {
	/* Read LIB_DIR then ETC_DIR under the context's sysroot. */
	bool default_dirs;
	/* More directories (not under the sysroot), read after those. */
	const char *const *dirs;
	size_t n_dirs;
	/* Accept files not owned by root or group/world writable (tests). */
	bool allow_insecure;
};

/* An empty database. */
int kd_quirks_new(struct kd_ctx *ctx, struct kd_quirks **out);
void kd_quirks_free(struct kd_quirks *db);
void kd_quirks_set_allow_insecure(struct kd_quirks *db, bool allow);

/*
 * Reads every *.conf in the directories: a file in a later directory
 * replaces the file of the same name in an earlier one; the files are then
 * read in lexical (strcmp) order of their names.  A file that is malformed
 * or insecure is rejected as a whole (its errors are logged and kept as
 * diagnostics); the rest still apply.  A missing directory is not an
 * error.  Returns 0, or -errno when the database could not be built.
 */
int kd_quirks_load(struct kd_ctx *ctx, const struct kd_quirks_load_opts *opts,
		   struct kd_quirks **out);
/* Adds one file (security checked unless allowed): 0, -EINVAL when it was
 * rejected for its content, -EACCES when insecure, other -errno. */
int kd_quirks_add_file(struct kd_quirks *db, const char *path);
/* Adds text read from name: 0, or -EINVAL when rejected. */
int kd_quirks_add_buffer(struct kd_quirks *db, const char *name,
			 const char *text, size_t len);

size_t kd_quirks_files(const struct kd_quirks *db);
size_t kd_quirks_rejected(const struct kd_quirks *db);
size_t kd_quirks_count(const struct kd_quirks *db);
const struct kd_quirk_entry *kd_quirks_entry(const struct kd_quirks *db,
					     size_t i);
size_t kd_quirks_diag_count(const struct kd_quirks *db);
const struct kd_quirk_diag *kd_quirks_diag(const struct kd_quirks *db,
					   size_t i);
/* Errors among the diagnostics. */
size_t kd_quirks_errors(const struct kd_quirks *db);
/*
 * Whether a file or a directory was refused (insecure, unreadable,
 * malformed): the database is then incomplete and whoever uses it must
 * fail closed.  buf: "FILE: REASON" of the first error.
 */
bool kd_quirks_refusal(const struct kd_quirks *db, char *buf, size_t len);

/* One entry, for listing. */
const char *kd_quirk_entry_file(const struct kd_quirk_entry *e);
unsigned kd_quirk_entry_line(const struct kd_quirk_entry *e);
const char *kd_quirk_entry_match(const struct kd_quirk_entry *e); /* "[...]" body */
const char *kd_quirk_entry_name(const struct kd_quirk_entry *e); /* or NULL */
unsigned kd_quirk_entry_specificity(const struct kd_quirk_entry *e);

/* ---- matching ---------------------------------------------------------- */

struct kd_quirk_id {
	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint32_t class_code; /* base<<16 | sub<<8 | prog-if */
	uint8_t revision;
};

/* From kd_probe_identify()'s result, the one identify path. */
void kd_quirk_id_from_probe(const struct kd_probe_info *in,
			    struct kd_quirk_id *id);

struct kd_quirk_strv {
	size_t n;
	const char *const *v;
};

/*
 * The merged result for one device.  Strings and steps point into the
 * database, which must outlive the plan; kd_quirk_plan_clear() frees the
 * rest.  The entries that applied are in the order they were merged:
 * least specific first, equal specificity in load order; each later one
 * overrides the "replace" fields (methods, delay-after-reset, timeout,
 * pre, post), the "union" fields accumulate (avoid, blacklist, options,
 * cmdline).
 */
struct kd_quirk_plan {
	struct kd_quirk_strv methods; /* preferred order, avoided ones removed */
	struct kd_quirk_strv avoid;
	bool has_delay, has_timeout;
	uint64_t delay_after_reset_ns, timeout_ns;
	bool has_d3hot;               /* d3hot-delay given (0 is a value) */
	uint64_t d3hot_delay_ns;
	/* pre/post: around any method; reset: the device-specific reset
	 * itself (method "device-specific"), between save/disable and
	 * restore as pci_dev_specific_reset() runs */
	struct kd_quirk_steps pre, post, reset;
	struct kd_quirk_strv blacklist; /* modules to keep out */
	struct kd_quirk_strv options;   /* "module opt=val ..." */
	struct kd_quirk_strv cmdline;   /* kernel command-line additions */
	size_t n_applied;
	const struct kd_quirk_entry *const *applied;
	/* The entry that supplied each replace field, or NULL. */
	const struct kd_quirk_entry *methods_from, *delay_from, *timeout_from,
		*pre_from, *post_from, *reset_from;
	/* the database was loaded with allow_insecure: so may its scripts run */
	bool allow_insecure;
};

/* Fills *out (zeroed first): 0 or -ENOMEM.  No match: an empty plan. */
int kd_quirks_match(const struct kd_quirks *db, const struct kd_quirk_id *id,
		    struct kd_quirk_plan *out);
void kd_quirk_plan_clear(struct kd_quirk_plan *plan);
bool kd_quirk_plan_empty(const struct kd_quirk_plan *plan);
/* true when method (canonical name) is excluded by the plan's avoid set:
 * avoiding "flr" also avoids "kernel:flr", avoiding "kernel" every
 * "kernel:<m>". */
bool kd_quirk_plan_avoids(const struct kd_quirk_plan *plan,
			  const char *method);
/* true for a name the quirk files accept in methods/avoid. */
bool kd_quirk_method_valid(const char *name);

/* ---- describing steps and running scripts ---------------------------- */

enum kd_quirk_phase { KD_QUIRK_PRE, KD_QUIRK_POST, KD_QUIRK_RESET };

/* pre, post, reset */
const char *kd_quirk_phase_name(enum kd_quirk_phase phase);
/* The largest bound a KD_STEP_POLL_* with a register bound can give, and
 * the bound for a register value. */
uint64_t kd_quirk_bound_ns(const struct kd_quirk_bound *b, uint64_t reg);

/* The config offset a (non-BAR) register names on dev: 0, or -ENODEV
 * when the capability it is relative to is absent. */
int kd_quirk_reg_resolve(const struct kd_dev *dev,
			 const struct kd_quirk_reg *r, unsigned *pos);

/*
 * Runs a KD_STEP_RUN step's program; writes no hardware itself.  Only the
 * reset executor calls it (reset/quirk-steps.c, which records it).  0, or
 * -ETIMEDOUT (killed on timeout), -EIO (exited non-zero or died), -EPERM
 * (writes are not enabled), -EACCES (refused: the program, its `#!`
 * interpreter or a directory above either is not owned by root -- or by
 * our euid when allow_insecure -- or is group/world-writable, sticky or
 * not; or it is not an executable regular file), another -errno when it
 * cannot start.  What was checked is what runs (fexecve of the checked
 * descriptor; a script reaches its interpreter as /dev/fd/N).  Real
 * time, a clean environment (KDSAFE_DEVICE, KDSAFE_SYSFS, KDSAFE_PHASE, KDSAFE_VENDOR,
 * KDSAFE_DEVICE_ID, KDSAFE_CLASS, KDSAFE_REVISION, KDSAFE_SUBSYS_VENDOR,
 * KDSAFE_SUBSYS_DEVICE from id, KDSAFE_SYSROOT, PATH), its own process
 * group, SIGKILL on timeout.
 */
int kd_quirk_run_script(struct kd_dev *dev, const struct kd_quirk_step *s,
			enum kd_quirk_phase phase, const struct kd_quirk_id *id,
			bool allow_insecure);

/*
 * Test-only: after_check, when set, is called once the program (and its
 * `#!` interpreter) passed every check and before it is executed, with
 * the step's path.  Tests swap files there to prove that what was checked
 * is what runs.  Never set outside tests.
 */
struct kd_quirk_script_test_hooks {
	void (*after_check)(const char *path, void *data);
	void *data;
};
extern struct kd_quirk_script_test_hooks kd_quirk_script_test_hooks;

/* One line describing a step; dev (may be NULL) resolves capabilities.
 * Returns the snprintf length. */
int kd_quirk_step_describe(const struct kd_quirk_step *s,
			   const struct kd_dev *dev, char *buf, size_t len);

/* "5s", "250ms", "100us", "7ns": the shortest exact spelling. */
const char *kd_quirk_format_ns(uint64_t ns, char *buf, size_t len);

#endif
