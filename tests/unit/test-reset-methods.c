// SPDX-License-Identifier: GPL-2.0-or-later
/* Direct config-space methods against the simulator: the bytes written,
 * the waits taken, the state after. */
#include "test-reset.h"

#define KD_TEST_D3HOT 3

static void test_flr_exact_sequence(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	unsigned exp = 0x50; /* PM at 0x40 (8), MSI at 0x48 (24 -> 0x60)? */
	const struct kd_sim_event *e;
	uint64_t sleeps[8];
	uint32_t bar0 = kd_sim_cfg_get(f, 0x10, 4);

	(void)state;
	exp = kd_sim_cfg_get(f, 0x34, 1); /* walk: PM -> MSI -> EXP */
	exp = kd_sim_cfg_get(f, exp + 1, 1);
	exp = kd_sim_cfg_get(f, exp + 1, 1);
	assert_int_equal(kd_sim_cfg_get(f, exp, 1), PCI_CAP_ID_EXP);

	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_FLR);
	/* first write: Command = INTx Disable (pci_dev_save_and_disable) */
	e = kd_sim_event(w->sim, 0);
	assert_int_equal(e->kind, KD_SIM_EV_CFG_WRITE);
	assert_int_equal(e->pos, PCI_COMMAND);
	assert_int_equal(e->width, 2);
	assert_int_equal(e->value, PCI_COMMAND_INTX_DISABLE);
	/* then Initiate FLR on top of the DevCtl value */
	e = kd_sim_find_write(w->sim, A(f), exp + PCI_EXP_DEVCTL, 0);
	assert_non_null(e);
	assert_int_equal(e->width, 2);
	assert_int_equal(e->value, 0x2810 | PCI_EXP_DEVCTL_BCR_FLR);
	assert_int_equal(kd_sim_resets(f), 1);
	/* exactly the mandated 100 ms, the device answered at once */
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 1);
	assert_int_equal(sleeps[0], MSN(100));
	/* BAR0 restored; Command back with Memory but without Bus Master */
	assert_int_equal(kd_sim_cfg_get(f, 0x10, 4), bar0);
	assert_int_equal(kd_sim_cfg_get(f, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	assert_false(w->res[0].after.bus_master);
	assert_false(w->res[0].after.msi);
	assert_true(w->res[0].before.bus_master);
	assert_true(w->res[0].before.msi);
	assert_int_equal(w->res[0].before.verdict, KD_VERDICT_ACTIVE_DMA);
	assert_int_equal(w->res[0].after.verdict, KD_VERDICT_CLEAN);
	assert_int_equal(w->res[0].duration_ns, MSN(100));
	/* the result's op log mirrors what the device saw */
	assert_true(w->res[0].n_ops >= 4);
	assert_int_equal(w->res[0].ops[0].kind, KD_OP_CFG_WRITE);
	world_free(w);
}

/* An SR-IOV VF reads Vendor/Device ID as ffff (SR-IOV 1.1 §3.4.1.1) but
 * has a real Command/Status: it is saved, and ready once Command answers
 * (pci_dev_wait() polls Command for exactly this reason). */
static void test_vf_flr_saved_and_ready(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	uint64_t sleeps[8];
	uint32_t bar0;

	(void)state;
	kd_sim_add_bridge(w->sim, "00:1c.0", NULL, 2, true);
	f = kd_sim_add(w->sim, "01:10.0", "00:1c.0", 0xffff, 0xffff, 0x020000);
	kd_sim_cap_msi(f);
	kd_sim_cap_exp(f, PCI_EXP_TYPE_ENDPOINT, true);
	kd_sim_set_live(f);
	bar0 = kd_sim_cfg_get(f, 0x10, 4);
	assert_int_equal(run_reset(w, &o, "01:10.0", NULL), 0);
	assert_int_equal(w->res[0].err, 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(kd_sim_resets(f), 1);
	/* the mandated 100 ms and no readiness polling on top */
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 1);
	assert_int_equal(sleeps[0], MSN(100));
	assert_int_equal(kd_sim_cfg_get(f, 0x10, 4), bar0);
	assert_int_equal(kd_sim_cfg_get(f, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	world_free(w);
}

/* pci_reset_function() restores whatever the reset returned: a failed
 * FLR write must not leave Command cleared with the saved state lost. */
static void test_flr_write_fails_restores(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	const struct kd_sim_event *e;
	unsigned exp;

	(void)state;
	exp = kd_sim_cfg_get(f, 0x34, 1); /* PM -> MSI -> EXP */
	exp = kd_sim_cfg_get(f, exp + 1, 1);
	exp = kd_sim_cfg_get(f, exp + 1, 1);
	kd_sim_fail_write(f, exp + PCI_EXP_DEVCTL);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_FAILED);
	assert_int_equal(w->res[0].err, -EIO);
	assert_int_equal(kd_sim_resets(f), 0);
	/* disable, the failed FLR, then the header's Command dword back */
	e = kd_sim_find_write(w->sim, A(f), PCI_COMMAND, 0);
	assert_int_equal(e->width, 2);
	assert_int_equal(e->value, PCI_COMMAND_INTX_DISABLE);
	e = kd_sim_find_write(w->sim, A(f), PCI_COMMAND, 1);
	assert_non_null(e);
	assert_int_equal(e->width, 4);
	assert_int_equal(e->value & 0xffff, PCI_COMMAND_MEMORY);
	assert_int_equal(kd_sim_cfg_get(f, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	world_free(w);
}

/* Found in D3hot with NoSoftRst clear: the power-up to D0 is itself an
 * internal reset (PCI PM 1.2 §5.4.1) that clears the BARs, so they must
 * be saved before it, or the restore writes back zeros. */
static void test_d3hot_power_up_keeps_bars(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	uint32_t bar0 = kd_sim_cfg_get(f, 0x10, 4);
	unsigned pm = kd_sim_cfg_get(f, 0x34, 1);
	uint64_t sleeps[8];

	(void)state;
	assert_int_equal(kd_sim_cfg_get(f, pm, 1), PCI_CAP_ID_PM);
	kd_sim_cfg_set(f, pm + PCI_PM_CTRL, 2, KD_TEST_D3HOT);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	/* PMCSR = 0 (pci_power_up), 10 ms, then the FLR's 100 ms */
	assert_int_equal(kd_sim_find_write(w->sim, A(f), pm + PCI_PM_CTRL,
					   0)->value, 0);
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 2);
	assert_int_equal(sleeps[0], MSN(10));
	assert_int_equal(sleeps[1], MSN(100));
	assert_int_equal(kd_sim_resets(f), 2); /* the power-up, the FLR */
	assert_int_equal(kd_sim_cfg_get(f, 0x10, 4), bar0);
	assert_int_equal(kd_sim_cfg_get(f, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	assert_int_equal(kd_sim_cfg_get(f, pm + PCI_PM_CTRL, 2) & 3, 0);
	world_free(w);
}

static bool op_at(const struct kd_reset_result *r, unsigned pos)
{
	for (size_t i = 0; i < r->n_ops; i++)
		if (r->ops[i].kind == KD_OP_CFG_WRITE && r->ops[i].pos == pos)
			return true;
	return false;
}

/* Only the PCIe control registers the capability implements are restored
 * (pcie_capability_reg_implemented()): a version 1 capability ends
 * before DevCtl2 (0x28) and LnkCtl2 (0x30), which may then belong to
 * the next capability; an RC integrated endpoint has no LnkCtl. */
static void test_pcie_restore_only_implemented_regs(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_reset_opts o = { .method = KD_RM_FLR, .dry_run = true };
	unsigned exp;

	(void)state;
	f = kd_sim_add(w->sim, "00:05.0", NULL, 0x8086, 0x1234, 0x020000);
	exp = kd_sim_cap_exp(f, PCI_EXP_TYPE_RC_END, true);
	kd_sim_set_live(f);
	/* version 2: DevCtl2 restored, still no LnkCtl/LnkCtl2 */
	assert_int_equal(run_reset(w, &o, "00:05.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_PLANNED);
	assert_true(op_at(&w->res[0], exp + PCI_EXP_DEVCTL));
	assert_true(op_at(&w->res[0], exp + 0x28));
	assert_false(op_at(&w->res[0], exp + 0x10));
	assert_false(op_at(&w->res[0], exp + 0x30));
	/* version 1: nothing past the capability's end */
	kd_sim_cfg_set(f, exp + PCI_EXP_FLAGS, 2,
		       0x0001 | PCI_EXP_TYPE_RC_END << 4);
	assert_int_equal(run_reset(w, &o, "00:05.0", NULL), 0);
	assert_true(op_at(&w->res[0], exp + PCI_EXP_DEVCTL));
	assert_false(op_at(&w->res[0], exp + 0x28));
	assert_false(op_at(&w->res[0], exp + 0x30));
	world_free(w);
}

static void test_flr_ignored_is_dirty(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = endpoint(w, "00:1c.0", "01:00.0", 0x8086,
				       0x10d3, true);
	struct kd_reset_opts o = { .method = KD_RM_FLR };

	(void)state;
	kd_sim_set_flags(f, KD_SIM_IGNORE_FLR);
	kd_sim_make_e1000e(f);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_DIRTY);
	assert_int_equal(w->res[0].witness.verdict, KD_WITNESS_NOOP);
	assert_non_null(strstr(w->res[0].reason, "no-op"));
	assert_int_equal(kd_sim_resets(f), 0);
	/* MSI was never reset: still armed */
	assert_true(w->res[0].after.msi);
	world_free(w);
}

static void test_busy_after_reset_backoff(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	static const uint64_t want[] = { 100, 1, 2, 4, 8, 16, 32 };
	uint64_t sleeps[16];

	(void)state;
	kd_sim_set_busy_ms(f, 150);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	/* pci_dev_wait(): 1, 2, 4 ... ms until reads stop being ~0 */
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 16), 7);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(sleeps[i], MSN(want[i]));
	world_free(w);
}

static void test_never_back_times_out(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR, .timeout_ns = MSN(1000) };

	(void)state;
	kd_sim_set_flags(f, KD_SIM_NEVER_BACK);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_FAILED);
	assert_int_equal(w->res[0].err, -ETIMEDOUT);
	/* 100 ms FLR wait + polling capped at exactly the timeout */
	assert_int_equal(kd_sim_total_sleep(w->sim), MSN(1100));
	assert_true(w->res[0].after.dead);
	assert_non_null(strstr(kd_sim_log_text(w->sim), "0000:01:00.0"));
	world_free(w);
}

static void test_trans_pend_stuck_waits_then_resets(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	static const uint64_t want[] = { 100, 200, 400, 100 };
	uint64_t sleeps[8];

	(void)state;
	kd_sim_set_flags(f, KD_SIM_TRANS_PEND_STUCK);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	/* pci_wait_for_pending(): 100, 200, 400 ms, then FLR anyway */
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(sleeps[i], MSN(want[i]));
	assert_int_equal(kd_sim_resets(f), 1);
	assert_non_null(strstr(kd_sim_log_text(w->sim), "pending"));
	/* still pending after: not clean */
	assert_int_equal(w->res[0].status, KD_RS_DIRTY);
	assert_true(w->res[0].after.trans_pend);
	world_free(w);
}

static void test_trans_pend_clears_with_reset(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };

	(void)state;
	kd_sim_set_flags(f, KD_SIM_TRANS_PEND);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_true(w->res[0].before.trans_pend);
	assert_false(w->res[0].after.trans_pend);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	world_free(w);
}

static void test_immediate_readiness_skips_wait(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };

	(void)state;
	kd_sim_set_immediate_ready(f);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(kd_sim_total_sleep(w->sim), 0);
	world_free(w);
}

static void test_af_flr(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_reset_opts o = { .method = KD_RM_AF_FLR };
	unsigned af;
	const struct kd_sim_event *e;

	(void)state;
	f = kd_sim_add(w->sim, "00:05.0", NULL, 0x8086, 0x1234, 0x0c0300);
	kd_sim_cap_pm(f, false);
	af = kd_sim_cap_af(f);
	kd_sim_set_live(f);
	assert_int_equal(run_reset(w, &o, "00:05.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	e = kd_sim_find_write(w->sim, A(f), af + PCI_AF_CTRL, 0);
	assert_non_null(e);
	assert_int_equal(e->width, 1);
	assert_int_equal(e->value, PCI_AF_CTRL_FLR);
	assert_int_equal(kd_sim_total_sleep(w->sim), MSN(100));
	world_free(w);
}

static void test_pm_reset_sequence(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_reset_opts o = { .method = KD_RM_PM };
	uint64_t sleeps[4];
	unsigned pm;

	(void)state;
	f = kd_sim_add(w->sim, "00:05.0", NULL, 0x8086, 0x1234, 0x020000);
	pm = kd_sim_cap_pm(f, false);
	kd_sim_cap_msi(f);
	kd_sim_set_live(f);
	assert_int_equal(run_reset(w, &o, "00:05.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(kd_sim_find_write(w->sim, A(f), pm + 4, 0)->value, 3);
	assert_int_equal(kd_sim_find_write(w->sim, A(f), pm + 4, 1)->value, 0);
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 4), 2);
	assert_int_equal(sleeps[0], MSN(10));
	assert_int_equal(sleeps[1], MSN(10));
	assert_int_equal(kd_sim_resets(f), 1);
	world_free(w);
}

static void test_pm_no_soft_reset_refused(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_reset_opts o = { .method = KD_RM_PM };

	(void)state;
	f = kd_sim_add(w->sim, "00:05.0", NULL, 0x8086, 0x1234, 0x010802);
	kd_sim_cap_pm(f, true);
	kd_sim_set_live(f);
	assert_int_equal(run_reset(w, &o, "00:05.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "NoSoftRst"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	world_free(w);
}

static void test_flr_unsupported_refused(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_reset_opts o = { .method = KD_RM_FLR };

	(void)state;
	f = kd_sim_add(w->sim, "00:05.0", NULL, 0x8086, 0x1234, 0x020000);
	kd_sim_cap_exp(f, PCI_EXP_TYPE_RC_END, false);
	kd_sim_set_live(f);
	assert_int_equal(run_reset(w, &o, "00:05.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "FLR"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	world_free(w);
}

static void test_bus_reset_resets_all_below(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *a = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_sim_fn *b = flr_endpoint(w, "00:1c.0", "01:00.1");
	struct kd_sim_fn *rp = kd_sim_find(w->sim, "00:1c.0");
	struct kd_reset_opts o = { .method = KD_RM_BUS };
	uint32_t bar_a = kd_sim_cfg_get(a, 0x10, 4);
	uint32_t bar_b = kd_sim_cfg_get(b, 0x10, 4);
	uint64_t sleeps[8];

	(void)state;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_true(w->res[0].has_bridge);
	assert_int_equal(w->res[0].n_also, 1);
	assert_true(kd_addr_eq(&w->res[0].also[0], A(b)));
	assert_int_equal(kd_sim_resets(a), 1);
	assert_int_equal(kd_sim_resets(b), 1);
	/* Bridge Control: SBR on, then off */
	assert_int_equal(kd_sim_find_write(w->sim, A(rp), 0x3e, 0)->value,
			 PCI_BRIDGE_CTL_BUS_RESET);
	assert_int_equal(kd_sim_find_write(w->sim, A(rp), 0x3e, 1)->value, 0);
	/* 2 ms asserted, 100 ms settle (2.5 GT/s port), ready at once */
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 2);
	assert_int_equal(sleeps[0], MSN(2));
	assert_int_equal(sleeps[1], MSN(100));
	/* both saved and restored, neither bus-mastering */
	assert_int_equal(kd_sim_cfg_get(a, 0x10, 4), bar_a);
	assert_int_equal(kd_sim_cfg_get(b, 0x10, 4), bar_b);
	assert_int_equal(kd_sim_cfg_get(a, 4, 2) & PCI_COMMAND_MASTER, 0);
	assert_int_equal(kd_sim_cfg_get(b, 4, 2) & PCI_COMMAND_MASTER, 0);
	/* the bridge itself untouched apart from Bridge Control */
	assert_int_equal(kd_sim_resets(rp), 0);
	world_free(w);
}

/* pci_bus_restore_locked() runs whatever the reset returned: a sibling
 * that answers gets its BARs back even when the first child never
 * returns (the readiness wait fails). */
static void test_bus_reset_wait_fails_restores_others(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *a = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_sim_fn *b = flr_endpoint(w, "00:1c.0", "01:00.1");
	struct kd_reset_opts o = { .method = KD_RM_BUS,
				   .timeout_ns = MSN(2000) };
	uint32_t bar_b = kd_sim_cfg_get(b, 0x10, 4);

	(void)state;
	kd_sim_set_flags(a, KD_SIM_NEVER_BACK);
	assert_int_equal(run_reset(w, &o, "01:00.1", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_FAILED);
	assert_int_equal(w->res[0].err, -ETIMEDOUT);
	assert_int_equal(kd_sim_resets(b), 1);
	assert_int_equal(kd_sim_cfg_get(b, 0x10, 4), bar_b);
	assert_int_equal(kd_sim_cfg_get(b, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	/* nothing is written to the function that never came back */
	assert_null(kd_sim_find_write(w->sim, A(a), 0x10, 0));
	world_free(w);
}

/* The Secondary Bus Reset write fails: every function already disabled
 * gets its Command back instead of staying at INTx Disable only. */
static void test_bus_reset_sbr_write_fails_restores(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *a = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_sim_fn *b = flr_endpoint(w, "00:1c.0", "01:00.1");
	struct kd_sim_fn *rp = kd_sim_find(w->sim, "00:1c.0");
	struct kd_reset_opts o = { .method = KD_RM_BUS };

	(void)state;
	kd_sim_fail_write(rp, PCI_BRIDGE_CONTROL);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_FAILED);
	assert_int_equal(w->res[0].err, -EIO);
	assert_int_equal(kd_sim_resets(a), 0);
	assert_int_equal(kd_sim_cfg_get(a, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	assert_int_equal(kd_sim_cfg_get(b, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	assert_int_equal(kd_sim_total_sleep(w->sim), 0);
	world_free(w);
}

static void test_bus_reset_fast_link_waits_for_dll(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_BUS };
	uint64_t sleeps[8];

	(void)state;
	kd_sim_add_bridge(w->sim, "00:1d.0", NULL, 3, true); /* 8 GT/s */
	flr_endpoint(w, "00:1d.0", "02:00.0");
	assert_int_equal(run_reset(w, &o, "02:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	/* 2 ms SBR, 20 ms LTSSM detect, link already up, 100 ms */
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 3);
	assert_int_equal(sleeps[0], MSN(2));
	assert_int_equal(sleeps[1], MSN(20));
	assert_int_equal(sleeps[2], MSN(100));
	world_free(w);
}

/* Below a root port, a switch: Upstream Port 01:00.0, Downstream Port
 * 02:00.0, endpoint 03:00.0.  The Upstream Port's secondary bus is the
 * switch's internal bus: no settle wait there (the kernel has none), only
 * the root port's and the Downstream Port's 100 ms. */
static void test_bus_reset_switch_upstream_port_no_wait(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_BUS };
	struct kd_sim_fn *usp, *dsp, *ep;
	uint64_t sleeps[8];

	(void)state;
	kd_sim_add_bridge(w->sim, "00:1c.0", NULL, 1, true);
	usp = kd_sim_add_bridge(w->sim, "01:00.0", "00:1c.0", 1, true);
	assert_int_equal(kd_sim_cfg_get(usp, 0x40, 1), PCI_CAP_ID_EXP);
	kd_sim_cfg_set(usp, 0x40 + PCI_EXP_FLAGS, 2,
		       0x0002 | PCI_EXP_TYPE_UPSTREAM << 4);
	dsp = kd_sim_add_bridge(w->sim, "02:00.0", "01:00.0", 1, true);
	ep = flr_endpoint(w, "02:00.0", "03:00.0");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(kd_sim_resets(usp), 1);
	assert_int_equal(kd_sim_resets(dsp), 1);
	assert_int_equal(kd_sim_resets(ep), 1);
	assert_int_equal(w->res[0].n_also, 2);
	/* 2 ms SBR, 100 ms below the root port, 100 ms below the DSP */
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 3);
	assert_int_equal(sleeps[0], MSN(2));
	assert_int_equal(sleeps[1], MSN(100));
	assert_int_equal(sleeps[2], MSN(100));
	/* bus numbers back on both switch ports */
	assert_int_equal(kd_sim_cfg_get(usp, PCI_SECONDARY_BUS, 1), 2);
	assert_int_equal(kd_sim_cfg_get(dsp, PCI_SECONDARY_BUS, 1), 3);
	world_free(w);
}

static void test_bus_reset_conventional_bridge(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_BUS };
	struct kd_sim_fn *f;
	uint64_t sleeps[8];

	(void)state;
	kd_sim_add_pci_bridge(w->sim, "00:1e.0", NULL);
	f = kd_sim_add(w->sim, "03:01.0", "00:1e.0", 0x10ec, 0x8139,
		       0x020000);
	kd_sim_set_live(f);
	assert_int_equal(run_reset(w, &o, "03:01.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	/* Tpvrh + Trhfa, PCI 3.0 §4.3.2 */
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 2);
	assert_int_equal(sleeps[1], MSN(1100));
	world_free(w);
}

static void test_quiesce(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_reset_opts o = { .method = KD_RM_QUIESCE };
	unsigned msix;

	(void)state;
	f = kd_sim_add(w->sim, "00:05.0", NULL, 0x8086, 0x1234, 0x020000);
	kd_sim_cap_msi(f);
	msix = kd_sim_cap_msix(f, 4);
	kd_sim_set_live(f);
	assert_int_equal(run_reset(w, &o, "00:05.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(kd_sim_cfg_get(f, 4, 2),
			 PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(kd_sim_cfg_get(f, msix + 2, 2),
			 PCI_MSIX_FLAGS_MASKALL | 3);
	assert_false(w->res[0].after.msi);
	assert_int_equal(kd_sim_resets(f), 0);
	assert_int_equal(kd_sim_total_sleep(w->sim), 0);
	world_free(w);
}

/* quiesce clears the RW1C error status too (docs/reset.md): otherwise a
 * function whose only finding is errors stays "errors" for good. */
static void test_quiesce_clears_errors(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_reset_opts o = { .method = KD_RM_QUIESCE };
	const struct kd_sim_event *e;
	unsigned exp, aer;

	(void)state;
	f = kd_sim_add(w->sim, "00:05.0", NULL, 0x8086, 0x1234, 0x020000);
	exp = kd_sim_cap_exp(f, PCI_EXP_TYPE_RC_END, false);
	aer = kd_sim_ecap_aer(f);
	kd_sim_cfg_set(f, PCI_STATUS, 2, kd_sim_cfg_get(f, PCI_STATUS, 2) |
			  PCI_STATUS_REC_MASTER_ABORT);
	kd_sim_cfg_set(f, exp + PCI_EXP_DEVSTA, 2, PCI_EXP_DEVSTA_CED);
	kd_sim_cfg_set(f, aer + PCI_ERR_COR_STATUS, 4, 0x00000001);
	assert_int_equal(run_reset(w, &o, "00:05.0", NULL), 0);
	assert_true(w->res[0].before.errors);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_false(w->res[0].after.errors);
	e = kd_sim_find_write(w->sim, A(f), exp + PCI_EXP_DEVSTA, 0);
	assert_non_null(e);
	assert_int_equal(e->width, 2);
	assert_int_equal(e->value, PCI_EXP_DEVSTA_CED);
	e = kd_sim_find_write(w->sim, A(f), aer + PCI_ERR_COR_STATUS, 0);
	assert_non_null(e);
	assert_int_equal(e->width, 4);
	assert_int_equal(e->value, 1);
	e = kd_sim_find_write(w->sim, A(f), PCI_STATUS, 0);
	assert_non_null(e);
	assert_int_equal(e->width, 2);
	assert_int_equal(e->value, PCI_STATUS_REC_MASTER_ABORT);
	assert_int_equal(kd_sim_resets(f), 0);
	world_free(w);
}

static void test_nvme_witness_effective(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };

	(void)state;
	kd_sim_make_nvme(f);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_string_equal(w->res[0].witness.name, "nvme CC.EN|CSTS.RDY");
	assert_int_equal(w->res[0].witness.before, 3);
	assert_int_equal(w->res[0].witness.after, 0);
	assert_int_equal(w->res[0].witness.verdict, KD_WITNESS_EFFECTIVE);
	world_free(w);
}

static void test_virtio_witness(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_FLR };

	(void)state;
	virtio_endpoint(w, "00:1c.0", "01:00.0");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_string_equal(w->res[0].witness.name, "virtio device_status");
	assert_int_equal(w->res[0].witness.before, 0x0f);
	assert_int_equal(w->res[0].witness.verdict, KD_WITNESS_EFFECTIVE);
	world_free(w);
}

/* ---- virtio: device_status = 0 (virtio 1.x §4.1.4.3.2) ------------------ */

/* QEMU's virtio-net on pcie.0 (lab notes): root bus, no FLR, PM with
 * NoSoftRst, MSI-X; common configuration in BAR4 at 0, device_status 0xf */
static struct kd_sim_fn *virtio_root(struct world *w, const char *bdf)
{
	struct kd_sim_fn *f = kd_sim_add(w->sim, bdf, NULL, 0x1af4, 0x1041,
					 0x020000);

	kd_sim_cap_pm(f, true);
	kd_sim_cap_msix(f, 4);
	kd_sim_make_virtio(f);
	kd_sim_set_live(f);
	return f;
}

static void test_virtio_reset_exact_sequence(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = virtio_root(w, "00:03.0");
	struct kd_reset_opts o = { .method = KD_RM_VIRTIO };
	const struct kd_reset_result *r = &w->res[0];
	const struct kd_sim_event *e;
	uint32_t bar4 = kd_sim_cfg_get(f, 0x20, 4);
	char line[128];

	(void)state;
	assert_int_equal(run_reset(w, &o, "00:03.0", NULL), 0);
	assert_int_equal(r->status, KD_RS_OK);
	assert_int_equal(r->used, KD_RM_VIRTIO);
	/* first: device_status (common cfg 0x14) = 0 in BAR4, one byte */
	e = kd_sim_event(w->sim, 0);
	assert_int_equal(e->kind, KD_SIM_EV_BAR_WRITE);
	assert_int_equal(e->bar, 4);
	assert_int_equal(e->pos, 0x14);
	assert_int_equal(e->width, 1);
	assert_int_equal(e->value, 0);
	assert_int_equal(kd_sim_virtio_resets(f), 1);
	assert_int_equal(kd_sim_resets(f), 0); /* not a PCI reset */
	/* read back 0 at once: no sleep */
	assert_int_equal(kd_sim_total_sleep(w->sim), 0);
	/* Bus Master off, Memory kept; MSI-X masked and off */
	e = kd_sim_find_write(w->sim, A(f), PCI_COMMAND, 0);
	assert_non_null(e);
	assert_int_equal(e->value, PCI_COMMAND_MEMORY);
	assert_int_equal(kd_sim_cfg_get(f, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	assert_false(r->after.msix);
	assert_int_equal(kd_sim_cfg_get(f, 0x20, 4), bar4); /* config intact */
	assert_int_equal(r->after.verdict, KD_VERDICT_CLEAN);
	assert_int_equal(r->witness.before, 0x0f);
	assert_int_equal(r->witness.after, 0);
	assert_int_equal(r->witness.verdict, KD_WITNESS_EFFECTIVE);
	/* the op log: write, poll, Command, MSI-X */
	assert_true(r->n_ops >= 4);
	assert_int_equal(r->ops[0].kind, KD_OP_BAR_WRITE);
	kd_reset_op_format(&r->ops[0], line, sizeof(line));
	assert_string_equal(line, "bar-write BAR4+0x14 w1 0x00");
	assert_non_null(strstr(r->ops[0].why, "§4.1.4.3"));
	assert_int_equal(r->ops[1].kind, KD_OP_POLL);
	assert_int_equal(r->ops[1].ns, KD_RESET_DEFAULT_TIMEOUT_NS);
	assert_int_equal(r->ops[1].waited_ns, 0);
	assert_int_equal(r->ops[2].kind, KD_OP_CFG_WRITE);
	assert_int_equal(r->ops[2].pos, PCI_COMMAND);
	world_free(w);
}

/* device_status reads its old value for 10 ms: polled after 1, 2, 4, 8 ms */
static void test_virtio_reset_busy_backoff(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = virtio_root(w, "00:03.0");
	struct kd_reset_opts o = { .method = KD_RM_VIRTIO };
	static const uint64_t want[] = { 1, 2, 4, 8 };
	uint64_t sleeps[16];

	(void)state;
	kd_sim_set_virtio_busy_ms(f, 10);
	assert_int_equal(run_reset(w, &o, "00:03.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 16), 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(sleeps[i], MSN(want[i]));
	assert_int_equal(w->res[0].ops[1].kind, KD_OP_POLL);
	assert_int_equal(w->res[0].ops[1].waited_ns, MSN(15));
	assert_int_equal(w->res[0].witness.verdict, KD_WITNESS_EFFECTIVE);
	world_free(w);
}

/* device_status never reads 0: the poll ends at exactly the timeout,
 * the result is a failure, and Bus Master is off all the same */
static void test_virtio_reset_timeout(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = virtio_root(w, "00:03.0");
	struct kd_reset_opts o = { .method = KD_RM_VIRTIO,
				   .timeout_ns = MSN(100) };

	(void)state;
	kd_sim_set_flags(f, KD_SIM_VIRTIO_STUCK);
	assert_int_equal(run_reset(w, &o, "00:03.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_FAILED);
	assert_int_equal(w->res[0].err, -ETIMEDOUT);
	assert_non_null(strstr(w->res[0].reason, "virtio"));
	assert_int_equal(kd_sim_total_sleep(w->sim), MSN(100));
	assert_int_equal(w->res[0].ops[1].result, -ETIMEDOUT);
	assert_int_equal(w->res[0].ops[1].waited_ns, MSN(100));
	assert_int_equal(kd_sim_cfg_get(f, PCI_COMMAND, 2) & PCI_COMMAND_MASTER,
			 0);
	assert_non_null(strstr(kd_sim_log_text(w->sim), "device_status"));
	world_free(w);
}

/* Memory Space off: turned on for the write, Command put back (without
 * Bus Master) afterwards; the write would be dropped otherwise */
static void test_virtio_reset_memory_space_off(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = virtio_root(w, "00:03.0");
	struct kd_reset_opts o = { .method = KD_RM_VIRTIO };
	const struct kd_sim_event *e;

	(void)state;
	kd_sim_cfg_set(f, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	assert_int_equal(run_reset(w, &o, "00:03.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	e = kd_sim_event(w->sim, 0);
	assert_int_equal(e->kind, KD_SIM_EV_CFG_WRITE);
	assert_int_equal(e->pos, PCI_COMMAND);
	assert_int_equal(e->value, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	e = kd_sim_event(w->sim, 1);
	assert_int_equal(e->kind, KD_SIM_EV_BAR_WRITE);
	assert_string_equal(e->text, "");  /* decoded, not dropped */
	assert_int_equal(kd_sim_virtio_resets(f), 1);
	e = kd_sim_find_write(w->sim, A(f), PCI_COMMAND, 1);
	assert_non_null(e);
	assert_int_equal(e->value, 0);
	assert_int_equal(kd_sim_cfg_get(f, PCI_COMMAND, 2), 0);
	/* device_status is 0 behind the disabled decode */
	assert_int_equal(kd_sim_bar_get(f, 4, 0x14), 0);
	world_free(w);
}

static void test_virtio_refused_not_virtio(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_VIRTIO };

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_int_equal(w->res[0].err, -ENOTTY);
	assert_non_null(strstr(w->res[0].reason, "not a virtio-pci"));
	assert_int_equal(kd_sim_n_events(w->sim), 0);
	world_free(w);
}

/* a legacy-only (transitional, no vendor capability) virtio device */
static void test_virtio_refused_without_common_cfg(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_reset_opts o = { .method = KD_RM_VIRTIO };

	(void)state;
	f = kd_sim_add(w->sim, "00:03.0", NULL, 0x1af4, 0x1000, 0x020000);
	kd_sim_cap_msix(f, 4);
	kd_sim_set_live(f);
	assert_int_equal(run_reset(w, &o, "00:03.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "common configuration"));
	assert_int_equal(kd_sim_n_events(w->sim), 0);
	world_free(w);
}

/* the common configuration's BAR holds no address: a write through
 * resourceN would not reach the device */
static void test_virtio_refused_bar_unassigned(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = virtio_root(w, "00:03.0");
	struct kd_reset_opts o = { .method = KD_RM_VIRTIO };

	(void)state;
	kd_sim_cfg_set(f, 0x20, 4, 0xc); /* 64-bit prefetchable, address 0 */
	assert_int_equal(run_reset(w, &o, "00:03.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "unassigned"));
	assert_int_equal(kd_sim_n_events(w->sim), 0);
	assert_int_equal(kd_sim_bar_get(f, 4, 0x14), 0x0f);
	world_free(w);
}

static void test_virtio_dry_run_records(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = virtio_root(w, "00:03.0");
	struct kd_reset_opts o = { .method = KD_RM_VIRTIO, .dry_run = true };
	const struct kd_reset_result *r = &w->res[0];

	(void)state;
	assert_int_equal(run_reset(w, &o, "00:03.0", NULL), 0);
	assert_int_equal(r->status, KD_RS_PLANNED);
	assert_int_equal(kd_sim_n_events(w->sim), 0);
	assert_int_equal(kd_sim_virtio_resets(f), 0);
	assert_true(r->n_ops >= 4);
	assert_int_equal(r->ops[0].kind, KD_OP_BAR_WRITE);
	assert_int_equal(r->ops[0].bar, 4);
	assert_int_equal(r->ops[0].pos, 0x14);
	assert_int_equal(r->ops[1].kind, KD_OP_POLL);
	assert_int_equal(r->ops[2].kind, KD_OP_CFG_WRITE);
	assert_int_equal(r->ops[2].value, PCI_COMMAND_MEMORY);
	world_free(w);
}

static void test_errors_cleared_by_restore(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	unsigned aer = kd_sim_ecap_aer(f);

	(void)state;
	kd_sim_cfg_set(f, aer + 4, 4, 0x00004000); /* sticky: survives FLR */
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(kd_sim_cfg_get(f, aer + 4, 4), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_true(w->res[0].before.errors);
	assert_false(w->res[0].after.errors);
	world_free(w);
}

/* pciehp_reset_slot(): below a hot-plug slot, Presence Detect Changed
 * and Data Link Layer State Changed are masked in SltCtl around the
 * reset, their RW1C status cleared after it, SltCtl put back last; no
 * hot-plug event fires (a surprise removal otherwise). */
static void test_bus_reset_hotplug_slot_masked(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_BUS };
	struct kd_sim_fn *rp;
	const uint16_t ctl = PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_PDCE |
			     PCI_EXP_SLTCTL_DLLSCE;
	unsigned e;
	size_t k = 0;
	struct { unsigned pos; uint64_t value; } want[] = {
		{ PCI_EXP_SLTCTL, PCI_EXP_SLTCTL_HPIE },
		{ PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_BUS_RESET },
		{ PCI_BRIDGE_CONTROL, 0 },
		{ PCI_EXP_SLTSTA, PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC },
		{ PCI_EXP_SLTCTL, ctl },
	};

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	rp = kd_sim_find(w->sim, "00:1c.0");
	kd_sim_slot(rp);
	e = kd_sim_cfg_get(rp, PCI_CAPABILITY_LIST, 1);
	want[0].pos += e;
	want[3].pos += e;
	want[4].pos += e;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		const struct kd_sim_event *ev = kd_sim_event(w->sim, i);

		if (ev->kind != KD_SIM_EV_CFG_WRITE ||
		    !kd_addr_eq(&ev->addr, A(rp)))
			continue;
		assert_true(k < sizeof(want) / sizeof(want[0]));
		assert_int_equal(ev->pos, want[k].pos);
		assert_int_equal(ev->value, want[k].value);
		k++;
	}
	assert_int_equal(k, sizeof(want) / sizeof(want[0]));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_HOTPLUG, NULL), 0);
	assert_int_equal(kd_sim_cfg_get(rp, e + PCI_EXP_SLTCTL, 2), ctl);
	assert_int_equal(kd_sim_cfg_get(rp, e + PCI_EXP_SLTSTA, 2), 0);
	world_free(w);
}

/* A bus reset above a switch whose Downstream Port has a hot-plug slot:
 * that nested port is reset too and latches PDC/DLLSC; its events stay
 * off until its link settled, the latched bits are cleared, and only
 * then is its Slot Control put back (pciehp_reset_slot() per slot) */
static void test_bus_reset_nested_hotplug_port(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_BUS };
	struct kd_sim_fn *rp, *usp, *dsp;
	const uint16_t ctl = PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_PDCE |
			     PCI_EXP_SLTCTL_DLLSCE;
	const uint16_t events = PCI_EXP_SLTCTL_PDCE | PCI_EXP_SLTCTL_DLLSCE;
	size_t clear_at = 0, events_at = 0;
	unsigned e, ue;

	(void)state;
	rp = kd_sim_add_bridge(w->sim, "00:1c.0", NULL, 2, true);
	usp = kd_sim_add_bridge(w->sim, "01:00.0", "00:1c.0", 2, true);
	ue = kd_sim_cfg_get(usp, PCI_CAPABILITY_LIST, 1);
	kd_sim_cfg_set(usp, ue + PCI_EXP_FLAGS, 2,
		       0x0002 | PCI_EXP_TYPE_UPSTREAM << 4);
	dsp = kd_sim_add_bridge(w->sim, "02:01.0", "01:00.0", 2, true);
	flr_endpoint(w, "02:01.0", "03:00.0");
	kd_sim_slot(rp);
	kd_sim_slot(dsp);
	e = kd_sim_cfg_get(dsp, PCI_CAPABILITY_LIST, 1);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		const struct kd_sim_event *ev = kd_sim_event(w->sim, i);

		if (ev->kind != KD_SIM_EV_CFG_WRITE ||
		    !kd_addr_eq(&ev->addr, A(dsp)))
			continue;
		if (ev->pos == e + PCI_EXP_SLTSTA &&
		    (ev->value & (PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC)) ==
		    (PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC))
			clear_at = i + 1;
		if (ev->pos == e + PCI_EXP_SLTCTL && (ev->value & events) &&
		    !events_at)
			events_at = i + 1;
	}
	assert_true(clear_at > 0);
	assert_true(events_at > clear_at);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_HOTPLUG, NULL), 0);
	assert_int_equal(kd_sim_cfg_get(dsp, e + PCI_EXP_SLTCTL, 2), ctl);
	assert_int_equal(kd_sim_cfg_get(dsp, e + PCI_EXP_SLTSTA, 2), 0);
	world_free(w);
}

/* A function whose BARs were assigned before and read 0 after is not
 * clean, whatever its Command and interrupts say. */
static void test_bars_lost_not_clean(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };

	(void)state;
	kd_sim_set_flags(f, KD_SIM_BARS_LOST);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(kd_sim_cfg_get(f, PCI_BASE_ADDRESS_0, 4), 0);
	assert_int_equal(w->res[0].status, KD_RS_DIRTY);
	assert_non_null(strstr(w->res[0].reason, "BAR0"));
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flr_exact_sequence),
		cmocka_unit_test(test_vf_flr_saved_and_ready),
		cmocka_unit_test(test_flr_write_fails_restores),
		cmocka_unit_test(test_d3hot_power_up_keeps_bars),
		cmocka_unit_test(test_pcie_restore_only_implemented_regs),
		cmocka_unit_test(test_flr_ignored_is_dirty),
		cmocka_unit_test(test_busy_after_reset_backoff),
		cmocka_unit_test(test_never_back_times_out),
		cmocka_unit_test(test_trans_pend_stuck_waits_then_resets),
		cmocka_unit_test(test_trans_pend_clears_with_reset),
		cmocka_unit_test(test_immediate_readiness_skips_wait),
		cmocka_unit_test(test_af_flr),
		cmocka_unit_test(test_pm_reset_sequence),
		cmocka_unit_test(test_pm_no_soft_reset_refused),
		cmocka_unit_test(test_flr_unsupported_refused),
		cmocka_unit_test(test_bus_reset_resets_all_below),
		cmocka_unit_test(test_bus_reset_wait_fails_restores_others),
		cmocka_unit_test(test_bus_reset_sbr_write_fails_restores),
		cmocka_unit_test(test_bus_reset_fast_link_waits_for_dll),
		cmocka_unit_test(test_bus_reset_switch_upstream_port_no_wait),
		cmocka_unit_test(test_bus_reset_conventional_bridge),
		cmocka_unit_test(test_quiesce),
		cmocka_unit_test(test_quiesce_clears_errors),
		cmocka_unit_test(test_nvme_witness_effective),
		cmocka_unit_test(test_virtio_witness),
		cmocka_unit_test(test_virtio_reset_exact_sequence),
		cmocka_unit_test(test_virtio_reset_busy_backoff),
		cmocka_unit_test(test_virtio_reset_timeout),
		cmocka_unit_test(test_virtio_reset_memory_space_off),
		cmocka_unit_test(test_virtio_refused_not_virtio),
		cmocka_unit_test(test_virtio_refused_without_common_cfg),
		cmocka_unit_test(test_virtio_refused_bar_unassigned),
		cmocka_unit_test(test_virtio_dry_run_records),
		cmocka_unit_test(test_errors_cleared_by_restore),
		cmocka_unit_test(test_bus_reset_hotplug_slot_masked),
		cmocka_unit_test(test_bus_reset_nested_hotplug_port),
		cmocka_unit_test(test_bars_lost_not_clean),
	};

	return cmocka_run_group_tests_name("reset-methods", tests, NULL, NULL);
}
