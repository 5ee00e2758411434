// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The run guard: one total time budget (--timeout-total) and the stop
 * predicate (a signal arrived, or the budget is spent).  It wraps the
 * context's clock, so every wait of the run goes through it - the
 * executor's polls and back-offs, quirk waits and polls - without those
 * knowing:
 *  - a mandated wait (exec.c's recorded sleeps up to 1100 ms: FLR, D3hot,
 *    Secondary Bus Reset, settle) is always waited in full;
 *  - a wait the restore depends on (readiness and link polls: a function
 *    that does not answer yet cannot be restored) is clamped to the time
 *    left, but a signal does not cut it;
 *  - any other wait (quirk waits, polls and scripts, Transactions Pending)
 *    is clamped to the time left, and skipped once the run must stop.  The skipped time is added to the clock's "now", so a loop
 *    bounded by a deadline or by the sum of its sleeps ends at once, as if
 *    it had timed out, and the reset in flight goes on to its restore.
 * Real time: sleeps in slices of at most 20 ms so that every worker
 * thread notices a signal, not only the one it interrupted.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guard.h"
#include "quirks/procs.h"

#define SLICE_NS (20ull * 1000000ull)

struct kd_run_guard {
	struct kd_clock base;
	bool real;
	uint64_t start_ns, total_ns;
	_Atomic uint64_t skipped_ns, slept_ns;
};

/* what the sleep in progress on this thread is (kd_run_sleep_*()) */
enum wait_kind { OPTIONAL, RESTORING, MANDATED };
static _Thread_local enum wait_kind kind;

static uint64_t real_now(void *data)
{
	struct timespec ts;

	(void)data;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void real_sleep(void *data, uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	(void)data;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t base_now(struct kd_run_guard *g)
{
	return g->base.now_ns(g->base.data);
}

uint64_t kd_run_guard_left_ns(struct kd_run_guard *g)
{
	uint64_t used;

	if (!g || !g->total_ns)
		return UINT64_MAX;
	used = base_now(g) - g->start_ns;
	return used >= g->total_ns ? 0 : g->total_ns - used;
}

bool kd_run_guard_spent(struct kd_run_guard *g)
{
	return g && g->total_ns && kd_run_guard_left_ns(g) == 0;
}

bool kd_run_guard_stopping(struct kd_run_guard *g)
{
	return g && (kd_run_signal_caught() || kd_run_guard_spent(g));
}

/* Real time, interruptible: returns the time actually slept. */
static uint64_t sleep_real(struct kd_run_guard *g, uint64_t ns, bool cut)
{
	uint64_t start = base_now(g), done = 0;

	while (done < ns) {
		uint64_t step = ns - done;
		struct timespec ts;

		if (cut && kd_run_signal_caught())
			break;
		if (cut && step > SLICE_NS)
			step = SLICE_NS;
		ts.tv_sec = (time_t)(step / 1000000000u);
		ts.tv_nsec = (long)(step % 1000000000u);
		if (nanosleep(&ts, NULL) < 0 && errno == EINTR && cut &&
		    kd_run_signal_caught())
			break;
		done = base_now(g) - start;
	}
	return done < ns ? done : ns;
}

static uint64_t guard_now(void *data)
{
	struct kd_run_guard *g = data;

	return base_now(g) + atomic_load(&g->skipped_ns);
}

static void guard_sleep(void *data, uint64_t ns)
{
	struct kd_run_guard *g = data;
	bool must = kind == MANDATED && ns <= KD_RUN_MANDATED_MAX_NS;
	uint64_t allowed = ns, slept;

	if (!must) {
		uint64_t left = kd_run_guard_left_ns(g);

		if (kind == OPTIONAL && kd_run_signal_caught())
			allowed = 0;
		else if (allowed > left)
			allowed = left;
	}
	if (!allowed) {
		slept = 0;
	} else if (g->real) {
		slept = sleep_real(g, allowed, kind == OPTIONAL);
	} else {
		g->base.sleep_ns(g->base.data, allowed);
		slept = allowed;
	}
	atomic_fetch_add(&g->slept_ns, slept);
	if (slept < ns)
		atomic_fetch_add(&g->skipped_ns, ns - slept);
}

static void sleep_as(struct kd_ctx *ctx, uint64_t ns, enum wait_kind k)
{
	enum wait_kind was = kind;

	kind = k;
	kd_sleep_ns(ctx, ns);
	kind = was;
}

void kd_run_sleep_mandated(struct kd_ctx *ctx, uint64_t ns)
{
	sleep_as(ctx, ns, MANDATED);
}

void kd_run_sleep_restoring(struct kd_ctx *ctx, uint64_t ns)
{
	sleep_as(ctx, ns, RESTORING);
}

int kd_run_guard_new(const struct kd_run_guard_opts *o,
		     struct kd_run_guard **out)
{
	struct kd_run_guard *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	if (o && o->clock) {
		g->base = *o->clock;
	} else {
		g->base.now_ns = real_now;
		g->base.sleep_ns = real_sleep;
		g->real = true;
	}
	g->total_ns = o ? o->total_ns : 0;
	g->start_ns = base_now(g);
	*out = g;
	return 0;
}

void kd_run_guard_free(struct kd_run_guard *g)
{
	free(g);
}

static bool hook_stopping(void *g)
{
	return kd_run_guard_stopping(g);
}

static uint64_t hook_left_ns(void *g)
{
	return kd_run_guard_left_ns(g);
}

/* the guard on the run's ctx clock (one run at a time, as the quirk
 * stop hook), for kd_run_wait_clock_ns() */
static struct kd_run_guard *_Atomic attached;

uint64_t kd_run_wait_clock_ns(struct kd_ctx *ctx)
{
	struct kd_run_guard *g = atomic_load(&attached);

	return g ? base_now(g) : kd_now_ns(ctx);
}

void kd_run_guard_attach(struct kd_run_guard *g, struct kd_ctx *ctx)
{
	struct kd_clock c = { .now_ns = guard_now, .sleep_ns = guard_sleep,
			      .data = g };

	struct kd_quirk_stop s = {
		.stopping = hook_stopping,
		.left_ns = hook_left_ns,
		.data = g,
	};

	kd_ctx_set_clock(ctx, &c);
	kd_quirk_set_stop(&s);
	atomic_store(&attached, g);
}

void kd_run_guard_detach(struct kd_run_guard *g, struct kd_ctx *ctx)
{
	atomic_store(&attached, NULL);
	kd_ctx_set_clock(ctx, &g->base);
	kd_quirk_set_stop(NULL);
}

uint64_t kd_run_guard_slept_ns(struct kd_run_guard *g)
{
	return g ? atomic_load(&g->slept_ns) : 0;
}

bool kd_run_guard_stop_result(struct kd_run_guard *g,
			      struct kd_reset_result *r, const char *after)
{
	int sig = kd_run_signal_caught();

	if (!kd_run_guard_stopping(g))
		return false;
	r->status = KD_RS_FAILED;
	r->err = sig ? -EINTR : -ETIMEDOUT;
	if (sig)
		snprintf(r->reason, sizeof(r->reason), "interrupted by signal "
			 "%d (%s): no further reset started%s%s", sig,
			 strsignal(sig), after ? "; " : "", after ? after : "");
	else
		snprintf(r->reason, sizeof(r->reason), "timeout: the total "
			 "time budget (--timeout-total) is spent: no further "
			 "reset started%s%s", after ? "; " : "",
			 after ? after : "");
	return true;
}
