// SPDX-License-Identifier: GPL-2.0-or-later
/* The quirk database as reset policy (kd_reset_quirk_policy): preference,
 * avoidance, delay and pre steps reach the reset, in dry runs too. */
#include "quirks/quirks.h"
#include "test-reset.h"

static const char conf[] =
	"[1234:0001]\n"
	"name = test nic\n"
	"methods = pm\n"
	"avoid = bus, kernel\n"
	"delay-after-reset = 50ms\n"
	"pre = cfg 3c.B=5a\n";

static struct kd_quirks *load_text(struct world *w, const char *text)
{
	struct kd_quirks *db;

	if (!w->ctx)
		assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	assert_int_equal(kd_quirks_new(w->ctx, &db), 0);
	assert_int_equal(kd_quirks_add_buffer(db, "t.conf", text,
					      strlen(text)), 0);
	return db;
}

static struct kd_quirks *load(struct world *w)
{
	return load_text(w, conf);
}

static void test_quirk_plan_drives_auto(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_sim_fn *rp = kd_sim_find(w->sim, "00:1c.0");
	struct kd_quirks *db = load(w);
	struct kd_reset_opts o = { .method = KD_RM_AUTO,
				   .policy_fn = kd_reset_quirk_policy,
				   .policy_data = db };
	const struct kd_sim_event *pre, *pm;
	uint64_t sleeps[8];
	unsigned pmc = kd_sim_cfg_get(f, 0x34, 1);

	(void)state;
	kd_sim_set_kernel_reset(f, "flr pm bus");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_PM);
	assert_true(w->res[0].policy_applied);
	assert_string_equal(w->res[0].policy_source, "test nic");
	/* the pre step ran before the reset, then 10 + 10 + 50 ms */
	pre = kd_sim_find_write(w->sim, A(f), 0x3c, 0);
	pm = kd_sim_find_write(w->sim, A(f), pmc + 4, 0);
	assert_non_null(pre);
	assert_non_null(pm);
	assert_int_equal(pre->value, 0x5a);
	assert_true(pre < pm);
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 3);
	assert_int_equal(sleeps[2], MSN(50));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, A(rp)), 0);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_ATTR_WRITE, NULL), 0);
	/* the pre step is the executor's own recorded config write */
	assert_int_equal(w->res[0].ops[0].kind, KD_OP_CFG_WRITE);
	assert_int_equal(w->res[0].ops[0].pos, 0x3c);
	assert_int_equal(w->res[0].ops[0].width, 1);
	assert_int_equal(w->res[0].ops[0].value, 0x5a);
	assert_int_equal(w->res[0].ops[0].result, 0);
	kd_quirks_free(db);
	world_free(w);
}

static void test_quirk_dry_run_records_write(void **state)
{
	struct world *w = world_new();
	struct kd_quirks *db;
	struct kd_reset_opts o = { .method = KD_RM_AUTO, .dry_run = true,
				   .policy_fn = kd_reset_quirk_policy };

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	db = load(w);
	o.policy_data = db;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(kd_sim_n_events(w->sim), 0);
	assert_int_equal(w->res[0].status, KD_RS_PLANNED);
	assert_int_equal(w->res[0].used, KD_RM_PM);
	assert_int_equal(w->res[0].ops[0].kind, KD_OP_CFG_WRITE);
	assert_int_equal(w->res[0].ops[0].pos, 0x3c);
	assert_int_equal(w->res[0].ops[0].width, 1);
	assert_int_equal(w->res[0].ops[0].value, 0x5a);
	kd_quirks_free(db);
	world_free(w);
}

static void test_no_match_no_policy(void **state)
{
	struct world *w = world_new();
	struct kd_quirks *db;
	struct kd_reset_opts o = { .method = KD_RM_AUTO,
				   .policy_fn = kd_reset_quirk_policy };

	(void)state;
	endpoint(w, "00:1c.0", "01:00.0", 0x8086, 0x10d3, true);
	db = load(w);
	o.policy_data = db;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_false(w->res[0].policy_applied);
	assert_int_equal(w->res[0].used, KD_RM_FLR);
	kd_quirks_free(db);
	world_free(w);
}

/* "methods = virtio" puts the virtio reset ahead of a working FLR */
static void test_quirk_prefers_virtio(void **state)
{
	static const char vconf[] = "[1af4:1041]\nmethods = virtio\n";
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_quirks *db;
	struct kd_reset_opts o = { .method = KD_RM_AUTO,
				   .policy_fn = kd_reset_quirk_policy };

	(void)state;
	f = virtio_endpoint(w, "00:1c.0", "01:00.0");
	assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	assert_int_equal(kd_quirks_new(w->ctx, &db), 0);
	assert_int_equal(kd_quirks_add_buffer(db, "v.conf", vconf,
					      sizeof(vconf) - 1), 0);
	o.policy_data = db;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_VIRTIO);
	assert_int_equal(kd_sim_virtio_resets(f), 1);
	assert_int_equal(kd_sim_resets(f), 0);
	kd_quirks_free(db);
	world_free(w);
}

static const char steps_conf[] =
	"[1234:0001]\n"
	"pre = mmio BAR0+100.L=0000000f:0000000f\n"
	"      cfg CAP_EXP+8.W=8000:8000\n"
	"      poll cfg COMMAND.W=0:4 timeout=50ms interval=10ms\n"
	"      wait 5ms\n";

/* A quirk's config write, MMIO write, poll and wait are the executor's
 * recorded ops, with offset, width and value; (expected: ops[0..3]) */
static void check_step_ops(const struct kd_reset_result *r, unsigned exp,
			   bool dry)
{
	const struct kd_reset_op *op = r->ops;

	assert_true(r->n_ops > 4);
	assert_int_equal(op[0].kind, KD_OP_BAR_WRITE);
	assert_int_equal(op[0].bar, 0);
	assert_int_equal(op[0].pos, 0x100);
	assert_int_equal(op[0].width, 4);
	assert_int_equal(op[0].mask, 0xf);
	assert_int_equal(op[0].value, dry ? 0xf : 0xff);
	assert_int_equal(op[1].kind, KD_OP_CFG_WRITE);
	assert_int_equal(op[1].pos, exp + PCI_EXP_DEVCTL);
	assert_int_equal(op[1].width, 2);
	assert_int_equal(op[1].mask, 0x8000);
	assert_int_equal(op[1].value & 0x8000, 0x8000);
	assert_int_equal(op[2].kind, KD_OP_POLL);
	assert_int_equal(op[2].pos, PCI_COMMAND);
	assert_int_equal(op[2].width, 2);
	assert_int_equal(op[2].mask, 0x4);
	assert_int_equal(op[2].value, 0);
	assert_int_equal(op[2].ns, MSN(50));
	assert_int_equal(op[3].kind, KD_OP_SLEEP);
	assert_int_equal(op[3].ns, MSN(5));
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(op[i].result, 0);
}

static void test_quirk_steps_are_recorded_ops(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	unsigned exp = kd_sim_cfg_get(f, 0x34, 1);
	struct kd_reset_opts o = { .method = KD_RM_QUIESCE,
				   .policy_fn = kd_reset_quirk_policy };
	const struct kd_sim_event *e;
	struct kd_quirks *db;

	(void)state;
	/* PM first in the list, then MSI, then PCIe */
	while (kd_sim_cfg_get(f, exp, 1) != PCI_CAP_ID_EXP)
		exp = kd_sim_cfg_get(f, exp + 1, 1);
	kd_sim_bar_reg(f, 0, 0x100, 0xf0, 0);
	db = load_text(w, steps_conf);
	o.policy_data = db;
	/* the poll waits for Bus Master to clear: the quirk's FLR does it */
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	check_step_ops(&w->res[0], exp, false);
	e = kd_sim_find_write(w->sim, A(f), exp + PCI_EXP_DEVCTL, 0);
	assert_non_null(e);
	assert_int_equal(e->width, 2);
	assert_true(e->value & 0x8000);
	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++)
		if (kd_sim_event(w->sim, i)->kind == KD_SIM_EV_BAR_WRITE)
			e = kd_sim_event(w->sim, i);
	assert_int_equal(e->pos, 0x100);
	assert_int_equal(e->width, 4);
	assert_int_equal(e->value, 0xff);
	kd_quirks_free(db);
	world_free(w);
}

static void test_quirk_steps_dry_run_touch_nothing(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	unsigned exp = kd_sim_cfg_get(f, 0x34, 1);
	struct kd_reset_opts o = { .method = KD_RM_QUIESCE, .dry_run = true,
				   .policy_fn = kd_reset_quirk_policy };
	struct kd_quirks *db;

	(void)state;
	while (kd_sim_cfg_get(f, exp, 1) != PCI_CAP_ID_EXP)
		exp = kd_sim_cfg_get(f, exp + 1, 1);
	kd_sim_bar_reg(f, 0, 0x100, 0xf0, 0);
	db = load_text(w, steps_conf);
	o.policy_data = db;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	check_step_ops(&w->res[0], exp, true);
	assert_int_equal(kd_sim_n_events(w->sim), 0);
	assert_int_equal(kd_sim_bar_get(f, 0, 0x100), 0xf0);
	kd_quirks_free(db);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quirk_plan_drives_auto),
		cmocka_unit_test(test_quirk_prefers_virtio),
		cmocka_unit_test(test_quirk_dry_run_records_write),
		cmocka_unit_test(test_quirk_steps_are_recorded_ops),
		cmocka_unit_test(test_quirk_steps_dry_run_touch_nothing),
		cmocka_unit_test(test_no_match_no_policy),
	};

	return cmocka_run_group_tests_name("reset-quirks", tests, NULL, NULL);
}
