// SPDX-License-Identifier: GPL-2.0-or-later
/* Run guarantees on the simulator (reset/guard.h): the total budget caps
 * quirk pre steps rerun before every fallback method; a signal mid bus
 * reset lets the reset in flight restore every function it hit (its
 * mandated waits and its readiness poll in full) and starts nothing more. */
#include <signal.h>

#include "quirks/quirks.h"
#include "reset/guard.h"
#include "test-reset.h"

/* a pre step that always fails after 10 s: auto reruns it per method */
static const char slow_pre[] =
	"[1234:0001]\n"
	"pre = poll cfg 00.W=dead timeout=10s interval=1s\n";

static void test_budget_caps_repeated_pre_steps(void **state)
{
	struct world *w = world_new();
	struct kd_run_guard *g;
	struct kd_quirks *db;
	struct kd_clock sim_clock;
	struct kd_run_guard_opts go = { .total_ns = MSN(25000) };
	struct kd_reset_opts o = { .method = KD_RM_AUTO,
				   .policy_fn = kd_reset_quirk_policy };

	(void)state;
	kd_run_signal_clear();
	flr_endpoint(w, "00:1c.0", "01:00.0");
	assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	assert_int_equal(kd_quirks_new(w->ctx, &db), 0);
	assert_int_equal(kd_quirks_add_buffer(db, "slow.conf", slow_pre,
					      sizeof(slow_pre) - 1), 0);
	sim_clock = kd_sim_clock(w->sim);
	go.clock = &sim_clock;
	assert_int_equal(kd_run_guard_new(&go, &g), 0);
	o.policy_data = db;
	o.guard = g;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	/* flr, pm, bus and quiesce would each wait 10 s: 40 s */
	assert_true(kd_sim_total_sleep(w->sim) <= MSN(25000));
	assert_true(kd_run_guard_slept_ns(g) <= MSN(25000));
	assert_int_equal(w->res[0].status, KD_RS_FAILED);
	assert_int_equal(w->res[0].err, -ETIMEDOUT);
	assert_non_null(strstr(w->res[0].reason, "timeout"));
	/* no method ran: every attempt stopped in its pre step */
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	kd_run_guard_free(g);
	kd_quirks_free(db);
	world_free(w);
}

/* the sim clock, and SIGTERM "arrives" during the first sleep of 2 ms
 * (Secondary Bus Reset held) */
struct signalling_clock {
	struct kd_clock sim;
	bool sent;
};

static uint64_t sc_now(void *data)
{
	struct signalling_clock *c = data;

	return c->sim.now_ns(c->sim.data);
}

static void sc_sleep(void *data, uint64_t ns)
{
	struct signalling_clock *c = data;

	c->sim.sleep_ns(c->sim.data, ns);
	if (!c->sent && ns == MSN(2)) {
		c->sent = true;
		kd_run_signal_raise(SIGTERM);
	}
}

static void test_signal_mid_bus_reset_restores_all(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *a, *b, *other, *rp;
	struct signalling_clock sc;
	struct kd_clock clk = { .now_ns = sc_now, .sleep_ns = sc_sleep,
				.data = &sc };
	struct kd_run_guard_opts go = { .total_ns = MSN(300000),
					.clock = &clk };
	struct kd_reset_opts o = { .method = KD_RM_BUS, .jobs = 1 };
	struct kd_run_guard *g;
	uint32_t cmd_a, cmd_b;
	char list[512];

	(void)state;
	kd_run_signal_clear();
	a = flr_endpoint(w, "00:1c.0", "01:00.0");
	b = flr_endpoint(w, "00:1c.0", "01:00.1");
	other = flr_endpoint(w, "00:1d.0", "02:00.0");
	rp = kd_sim_find(w->sim, "00:1c.0");
	/* it answers only 5 s after the reset: the restore waits for it */
	kd_sim_set_busy_ms(a, 5000);
	cmd_a = kd_sim_cfg_get(a, PCI_COMMAND, 2);
	cmd_b = kd_sim_cfg_get(b, PCI_COMMAND, 2);
	assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	sc.sim = kd_sim_clock(w->sim);
	sc.sent = false;
	kd_ctx_set_clock(w->ctx, &clk);
	assert_int_equal(kd_run_guard_new(&go, &g), 0);
	o.guard = g;
	assert_int_equal(run_reset(w, &o, "01:00.0", "02:00.0", NULL), 0);
	assert_true(sc.sent);
	/* both functions the bus reset hit are back, Bus Master off */
	assert_int_equal(kd_sim_cfg_get(a, PCI_COMMAND, 2),
			 cmd_a & ~PCI_COMMAND_MASTER);
	assert_int_equal(kd_sim_cfg_get(b, PCI_COMMAND, 2),
			 cmd_b & ~PCI_COMMAND_MASTER);
	assert_int_equal(kd_sim_cfg_get(rp, PCI_BRIDGE_CONTROL, 2) &
			 PCI_BRIDGE_CTL_BUS_RESET, 0);
	/* the readiness poll was not cut: 5 s passed */
	assert_true(kd_sim_now(w->sim) >= MSN(5000));
	/* the other domain was not started */
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, A(other)),
			 0);
	assert_int_equal(w->res[1].status, KD_RS_FAILED);
	assert_int_equal(w->res[1].err, -EINTR);
	assert_non_null(strstr(w->res[1].reason, "interrupted"));
	assert_int_equal(kd_run_restore_report(w->res, w->n, list,
					       sizeof(list)), 0);
	assert_string_equal(list, "restored: 0000:01:00.0 0000:01:00.1 "
				  "0000:00:1c.0");
	kd_run_guard_free(g);
	kd_run_signal_clear();
	world_free(w);
}

/* a function that never answers again is reported as not restored */
static void test_unrestored_function_is_named(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *a;
	struct kd_run_guard_opts go = { .total_ns = MSN(2000) };
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	struct kd_clock sim_clock;
	struct kd_run_guard *g;
	char list[512];

	(void)state;
	kd_run_signal_clear();
	a = flr_endpoint(w, "00:1c.0", "01:00.0");
	kd_sim_set_flags(a, KD_SIM_NEVER_BACK);
	assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	sim_clock = kd_sim_clock(w->sim);
	go.clock = &sim_clock;
	assert_int_equal(kd_run_guard_new(&go, &g), 0);
	o.guard = g;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	/* the readiness poll (60 s) was clamped to the 2 s budget */
	assert_int_equal(kd_sim_total_sleep(w->sim), MSN(2000));
	/* and waited_ms says the 2 s waited, not the 60 s asked for */
	assert_int_equal(kd_reset_waited_ns(w->res[0].ops, w->res[0].n_ops),
			 MSN(2000));
	assert_int_equal(kd_run_restore_report(w->res, w->n, list,
					       sizeof(list)), 1);
	assert_non_null(strstr(list, "not restored (check them): "
				     "0000:01:00.0"));
	kd_run_guard_free(g);
	world_free(w);
}

/* resets_ns is time that passed: a readiness poll the budget cut from 60 s
 * to 2 s counts 2 s (the guard's clock adds the skipped 58 s so that the
 * poll's timeout expires; the summary's split of elapsed_ms must not) */
static void test_resets_ns_excludes_skipped_waits(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *a;
	struct kd_run_guard_opts go = { .total_ns = MSN(2000) };
	struct kd_reset_timing timing = { 0 };
	struct kd_reset_opts o = { .method = KD_RM_FLR, .timing = &timing };
	struct kd_clock sim_clock;
	struct kd_run_guard *g;

	(void)state;
	kd_run_signal_clear();
	a = flr_endpoint(w, "00:1c.0", "01:00.0");
	kd_sim_set_flags(a, KD_SIM_NEVER_BACK);
	assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	sim_clock = kd_sim_clock(w->sim);
	go.clock = &sim_clock;
	assert_int_equal(kd_run_guard_new(&go, &g), 0);
	o.guard = g;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(kd_sim_total_sleep(w->sim), MSN(2000));
	assert_true(timing.resets_ns >= MSN(2000));
	assert_true(timing.resets_ns <= MSN(2100));
	kd_run_guard_free(g);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resets_ns_excludes_skipped_waits),
		cmocka_unit_test(test_budget_caps_repeated_pre_steps),
		cmocka_unit_test(test_signal_mid_bus_reset_restores_all),
		cmocka_unit_test(test_unrestored_function_is_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
