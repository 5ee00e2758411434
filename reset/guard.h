/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What keeps one `kdsafe reset` run safe from outside events
 * (docs/reset.md, "Run guarantees"):
 *
 *   kd_run_lock_*()    one run per machine (sysroot): flock on
 *                      SYSROOT/run/kdsafe.lock, taken before any write
 *   kd_run_signals_*() SIGTERM/SIGINT/SIGHUP only set a flag; the run
 *                      stops starting resets, the one in flight restores
 *   struct kd_run_guard  the total time budget and the stop predicate;
 *                      it wraps the context's clock so that every wait
 *                      not mandated by the spec is clamped to the budget
 *                      and cut short once the run must stop
 *
 * Library code: 0 or -errno, logs through the ctx, never exits.
 */
#ifndef KDSAFE_RESET_GUARD_H
#define KDSAFE_RESET_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "reset.h"

/* ---- the run lock (lock.c) --------------------------------------------- */

#define KD_RUN_LOCK_PATH "/run/kdsafe.lock"

struct kd_run_lock {
	int fd;                 /* -1: not held */
	char path[4096];
};

/*
 * Takes the lock beneath the context's sysroot (the run/ directory and
 * the file are created when missing; neither may be a symlink, the file
 * must be a regular file).  wait_ns 0: refuse at once; else retry until
 * it is free, wait_ns has passed, or a signal arrived.  0; -EWOULDBLOCK
 * when another process holds it (*holder: its pid, 0 if unknown);
 * -EINTR; other -errno.  Logs the refusal with the holder's pid.
 */
int kd_run_lock_acquire(struct kd_ctx *ctx, struct kd_run_lock *l,
			uint64_t wait_ns, long *holder);
void kd_run_lock_release(struct kd_run_lock *l);

/* ---- signals (signals.c) ----------------------------------------------- */

/* Installs the flag-setting handler for SIGTERM, SIGINT and SIGHUP
 * (sigaction without SA_RESTART): 0 or -errno. */
int kd_run_signals_install(void);
/* Puts the previous dispositions back. */
void kd_run_signals_restore(void);
/* The signal that arrived (first one), or 0. */
int kd_run_signal_caught(void);
/* What the handler does, for tests: records signo as caught. */
void kd_run_signal_raise(int signo);
/* Forgets a caught signal (tests run many times in one process). */
void kd_run_signal_clear(void);

/* ---- the guard: budget, stop, clock (budget.c) ------------------------- */

#define KD_RUN_DEFAULT_TOTAL_NS (300ull * 1000000000ull)
/*
 * The longest single wait the executor treats as mandated by the spec:
 * 1100 ms (Tpvrh + Trhfa, PCI 3.0 §4.3.2; 1000 + 100 ms in
 * pcie_wait_for_link_delay()).  A mandated wait is never shortened, not
 * by the budget and not by a signal: cutting an FLR's 100 ms or a bus
 * reset's settle short would restore into a function still in reset.
 */
#define KD_RUN_MANDATED_MAX_NS (1100ull * 1000000ull)

struct kd_run_guard;

struct kd_run_guard_opts {
	uint64_t total_ns;             /* 0: no total budget */
	const struct kd_clock *clock;  /* NULL: real time */
};

int kd_run_guard_new(const struct kd_run_guard_opts *o,
		     struct kd_run_guard **out);
void kd_run_guard_free(struct kd_run_guard *g);
/* Installs the guard's clock on ctx (kd_reset_run() does it). */
void kd_run_guard_attach(struct kd_run_guard *g, struct kd_ctx *ctx);
/* Puts the clock the guard wraps back on ctx. */
void kd_run_guard_detach(struct kd_run_guard *g, struct kd_ctx *ctx);
/* A signal arrived or the budget is spent (false for g NULL). */
bool kd_run_guard_stopping(struct kd_run_guard *g);
/* The budget alone is spent. */
bool kd_run_guard_spent(struct kd_run_guard *g);
/* Time still allowed (UINT64_MAX without a budget). */
uint64_t kd_run_guard_left_ns(struct kd_run_guard *g);
/* Real time the guard's sleeps did wait (tests: <= the budget plus
 * mandated waits). */
uint64_t kd_run_guard_slept_ns(struct kd_run_guard *g);

/*
 * When the run must stop, marks r: failed, -EINTR ("interrupted: ...")
 * or -ETIMEDOUT ("timeout: ..."), after names what was done before, and
 * returns true; else false.  The caller then starts nothing more.
 */
bool kd_run_guard_stop_result(struct kd_run_guard *g,
			      struct kd_reset_result *r, const char *after);

/* A sleep through the context's clock that the guard must not shorten
 * when ns <= KD_RUN_MANDATED_MAX_NS (exec.c's recorded sleeps). */
void kd_run_sleep_mandated(struct kd_ctx *ctx, uint64_t ns);
/* The time waits are measured on (waited_ms): the run's clock without the
 * sleeps the guard cut short, which its clock counts as passed so that
 * timeouts still expire. */
uint64_t kd_run_wait_clock_ns(struct kd_ctx *ctx);
/* A sleep the restore depends on (readiness, link polls): clamped to the
 * budget, not cut by a signal. */
void kd_run_sleep_restoring(struct kd_ctx *ctx, uint64_t ns);

/* ---- results of a run ---------------------------------------------------- */

/*
 * Every function in results and their also_reset, restored or not: a
 * function is "not restored" when one of the config writes recorded for
 * it failed, or when it was disabled and its Command never written back
 * (it did not answer after the reset).  Writes one line each to buf ("restored: A B", "not
 * restored: C"); returns the number not restored.
 */
size_t kd_run_restore_report(const struct kd_reset_result *res, size_t n,
			     char *buf, size_t len);

/*
 * The quirk database could not be read completely (a refused file or
 * directory): every function is refused with reason (dry runs too),
 * since no one can know what the missing file would have forbidden.
 */
void kd_run_refuse_all(const struct kd_addr *addrs, size_t n,
		       enum kd_reset_method m, const char *reason,
		       struct kd_reset_result *res);

#endif
