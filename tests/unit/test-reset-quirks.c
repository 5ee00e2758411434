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


/* ---- device-specific resets (quirks.d/40-device-specific-reset.conf) ---- */

static struct kd_quirks *load_shipped(struct world *w, const char *file)
{
	struct kd_quirks *db;

	if (!w->ctx)
		assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	assert_int_equal(kd_quirks_new(w->ctx, &db), 0);
	kd_quirks_set_allow_insecure(db, true);
	assert_int_equal(kd_quirks_add_file(db, file), 0);
	return db;
}

#define DEVSPEC "quirks.d/40-device-specific-reset.conf"

/* a live FLR-or-not endpoint with PM, MSI-X and PCIe below a root port */
static struct kd_sim_fn *devspec_fn(struct world *w, uint16_t vendor,
				    uint16_t device, uint32_t class_code,
				    bool flr, unsigned *exp, unsigned *msix)
{
	struct kd_sim_fn *f;

	kd_sim_add_bridge(w->sim, "00:1c.0", NULL, 2, true);
	f = kd_sim_add(w->sim, "01:00.0", "00:1c.0", vendor, device,
		       class_code);
	kd_sim_cap_pm(f, false);
	*msix = kd_sim_cap_msix(f, 4);
	*exp = kd_sim_cap_exp(f, PCI_EXP_TYPE_ENDPOINT, flr);
	kd_sim_set_live(f);
	return f;
}

/* index of the nth config write to pos in the sim's log, or -1 */
static long nth_cfg_write(struct world *w, unsigned pos, size_t nth)
{
	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		const struct kd_sim_event *e = kd_sim_event(w->sim, i);

		if (e->kind == KD_SIM_EV_CFG_WRITE && e->pos == pos &&
		    nth-- == 0)
			return (long)i;
	}
	return -1;
}

static long first_bar_write(struct world *w, uint64_t off)
{
	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		const struct kd_sim_event *e = kd_sim_event(w->sim, i);

		if (e->kind == KD_SIM_EV_BAR_WRITE && e->pos == off)
			return (long)i;
	}
	return -1;
}

#define EV(i) kd_sim_event(w->sim, (size_t)(i))

static void run_devspec(struct world *w, struct kd_quirks *db,
			enum kd_reset_method m)
{
	struct kd_reset_opts o = { .method = m,
				   .policy_fn = kd_reset_quirk_policy,
				   .policy_data = db };

	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
}

/*
 * reset_chelsio_generic_dev: after save/disable (Command: Master off),
 * Master back on and MSI-X Enable + Function Mask on, then FLR with both
 * still on, then the restore.
 */
static void test_devspec_chelsio_keeps_master_across_flr(void **state)
{
	struct world *w = world_new();
	unsigned exp, msix;
	struct kd_sim_fn *f = devspec_fn(w, 0x1425, 0x4001, 0x020000, true,
					 &exp, &msix);
	struct kd_quirks *db = load_shipped(w, DEVSPEC);
	long dis, master, mx, flr, restore;

	(void)state;
	(void)f;
	run_devspec(w, db, KD_RM_AUTO);
	assert_int_equal(w->res[0].used, KD_RM_DEVICE_SPECIFIC);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	dis = nth_cfg_write(w, PCI_COMMAND, 0);
	master = nth_cfg_write(w, PCI_COMMAND, 1);
	restore = nth_cfg_write(w, PCI_COMMAND, 2);
	mx = nth_cfg_write(w, msix + PCI_MSIX_FLAGS, 0);
	flr = nth_cfg_write(w, exp + PCI_EXP_DEVCTL, 0);
	assert_true(dis >= 0 && master > dis && mx > master && flr > mx &&
		    restore > flr);
	assert_int_equal(EV(dis)->value & PCI_COMMAND_MASTER, 0);
	assert_int_equal(EV(master)->value & PCI_COMMAND_MASTER,
			 PCI_COMMAND_MASTER);
	assert_int_equal(EV(mx)->value & 0xc000, 0xc000);
	assert_true(EV(flr)->value & PCI_EXP_DEVCTL_BCR_FLR);
	/* nothing turned MSI-X off between its enable and the FLR */
	assert_true(nth_cfg_write(w, msix + PCI_MSIX_FLAGS, 1) == -1 ||
		    nth_cfg_write(w, msix + PCI_MSIX_FLAGS, 1) > flr);
	kd_quirks_free(db);
	world_free(w);
}

/* reset_intel_82599_sfp_virtfn: FLR although DevCap.FLR is clear */
static void test_devspec_82599_vf_flr_without_devcap(void **state)
{
	struct world *w = world_new();
	unsigned exp, msix;
	struct kd_sim_fn *f = devspec_fn(w, 0x8086, 0x10ed, 0x020000, false,
					 &exp, &msix);
	struct kd_quirks *db = load_shipped(w, DEVSPEC);
	long flr;
	uint64_t sleeps[8];

	(void)state;
	assert_int_equal(kd_sim_cfg_get(f, exp + PCI_EXP_DEVCAP, 4) &
			 PCI_EXP_DEVCAP_FLR, 0);
	run_devspec(w, db, KD_RM_DEVICE_SPECIFIC);
	assert_int_equal(w->res[0].used, KD_RM_DEVICE_SPECIFIC);
	assert_int_not_equal(w->res[0].status, KD_RS_REFUSED);
	flr = nth_cfg_write(w, exp + PCI_EXP_DEVCTL, 0);
	assert_true(flr > nth_cfg_write(w, PCI_COMMAND, 0));
	assert_true(EV(flr)->value & PCI_EXP_DEVCTL_BCR_FLR);
	assert_true(nth_cfg_write(w, PCI_COMMAND, 1) > flr); /* restore */
	/* then 100 ms (pcie_flr) */
	assert_true(kd_sim_sleeps(w->sim, sleeps, 8) >= 1);
	assert_int_equal(sleeps[0], MSN(100));
	/* flr proper is still refused: DevCap says no */
	kd_quirks_free(db);
	world_free(w);
}

/* reset_hinic_vf_dev: firmware capability, flag, FLR, Vendor ID write,
 * wait for firmware to clear the flag */
static void test_devspec_hinic_order(void **state)
{
	struct world *w = world_new();
	unsigned exp, msix;
	struct kd_sim_fn *f = devspec_fn(w, 0x19e5, 0x375e, 0x020000, true,
					 &exp, &msix);
	struct kd_quirks *db = load_shipped(w, DEVSPEC);
	const struct kd_reset_op *op = w->res[0].ops;
	long flag, flr, vid;

	(void)state;
	kd_sim_bar_reg(f, 0, 0x1000, 0x40, 0x40);
	kd_sim_bar_reg(f, 0, 0xe80, 0, 0); /* the FLR clears the flag */
	run_devspec(w, db, KD_RM_AUTO);
	assert_int_equal(w->res[0].used, KD_RM_DEVICE_SPECIFIC);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	flag = first_bar_write(w, 0xe80);
	flr = nth_cfg_write(w, exp + PCI_EXP_DEVCTL, 0);
	vid = nth_cfg_write(w, PCI_VENDOR_ID, 0);
	assert_true(nth_cfg_write(w, PCI_COMMAND, 0) < flag);
	assert_true(flag >= 0 && flr > flag && vid > flr);
	assert_int_equal(EV(flag)->value, 0x400);
	assert_int_equal(EV(vid)->value, 0);
	assert_int_equal(EV(vid)->width, 2);
	/* the check and the final poll are recorded polls of BAR0 */
	op = w->res[0].ops;
	for (size_t i = 0; i < w->res[0].n_ops; i++)
		if (op[i].kind == KD_OP_POLL && op[i].bar == 0 &&
		    op[i].pos == 0x1000) {
			assert_int_equal(op[i].mask, 0x40);
			assert_int_equal(op[i].value, 0x40);
			assert_int_equal(op[i].result, 0);
			op = NULL;
			break;
		}
	assert_null(op);
	kd_quirks_free(db);
	world_free(w);
}

/* without the firmware capability there is no device-specific reset:
 * nothing written to BAR0, auto goes on with the next method */
static void test_devspec_hinic_without_capability(void **state)
{
	struct world *w = world_new();
	unsigned exp, msix;
	struct kd_sim_fn *f = devspec_fn(w, 0x19e5, 0x375e, 0x020000, true,
					 &exp, &msix);
	struct kd_quirks *db = load_shipped(w, DEVSPEC);

	(void)state;
	kd_sim_bar_reg(f, 0, 0x1000, 0, 0);
	kd_sim_bar_reg(f, 0, 0xe80, 0, 0);
	run_devspec(w, db, KD_RM_AUTO);
	assert_int_equal(first_bar_write(w, 0xe80), -1);
	assert_true(w->res[0].n_attempts >= 1);
	assert_int_equal(w->res[0].attempts[0].method, KD_RM_DEVICE_SPECIFIC);
	assert_non_null(strstr(w->res[0].attempts[0].why, "not available"));
	assert_int_not_equal(w->res[0].used, KD_RM_DEVICE_SPECIFIC);
	kd_quirks_free(db);
	world_free(w);
}

static const struct kd_reset_op *find_poll(const struct kd_reset_result *r,
					   int bar, unsigned pos)
{
	for (size_t i = 0; i < r->n_ops; i++)
		if (r->ops[i].kind == KD_OP_POLL && r->ops[i].bar == bar &&
		    r->ops[i].pos == pos)
			return &r->ops[i];
	return NULL;
}

/*
 * nvme_disable_and_flr: Memory on, CC.EN (and SHN) cleared, CSTS.RDY
 * polled for (CAP.TO + 1) * 500 ms, then FLR; CAP.TO = 0x14 here.
 */
static void test_devspec_samsung_disable_then_flr(void **state)
{
	struct world *w = world_new();
	unsigned exp, msix;
	struct kd_sim_fn *f = devspec_fn(w, 0x144d, 0xa804, 0x010802, true,
					 &exp, &msix);
	struct kd_quirks *db = load_shipped(w, DEVSPEC);
	const struct kd_reset_op *poll;
	long mem, cc, flr;

	(void)state;
	kd_sim_bar_reg(f, 0, 0x0, 0x14000000ull | 0x3ff, 0x14000000ull | 0x3ff);
	kd_sim_bar_reg(f, 0, 0x14, 0xc001, 0);
	kd_sim_bar_reg(f, 0, 0x1c, 0, 0);
	run_devspec(w, db, KD_RM_AUTO);
	assert_int_equal(w->res[0].used, KD_RM_DEVICE_SPECIFIC);
	mem = nth_cfg_write(w, PCI_COMMAND, 1);
	cc = first_bar_write(w, 0x14);
	flr = nth_cfg_write(w, exp + PCI_EXP_DEVCTL, 0);
	assert_true(nth_cfg_write(w, PCI_COMMAND, 0) < mem);
	assert_true(EV(mem)->value & PCI_COMMAND_MEMORY);
	assert_true(mem < cc && cc < flr);
	assert_int_equal(EV(cc)->value & 0xc001, 0); /* CC.EN = 0, SHN = 0 */
	poll = find_poll(&w->res[0], 0, 0x1c);
	assert_non_null(poll);
	assert_int_equal(poll->mask, 1);
	assert_int_equal(poll->value, 0);
	assert_int_equal(poll->ns, 21ull * MSN(500));
	assert_non_null(strstr(poll->text, "[31:24]"));
	kd_quirks_free(db);
	world_free(w);
}

/* CSTS.RDY never clears: the poll gives up after (CAP.TO + 1) * 500 ms
 * and no FLR follows */
static void test_devspec_samsung_poll_bound_from_cap_to(void **state)
{
	struct world *w = world_new();
	unsigned exp, msix;
	struct kd_sim_fn *f = devspec_fn(w, 0x144d, 0xa804, 0x010802, true,
					 &exp, &msix);
	struct kd_quirks *db = load_shipped(w, DEVSPEC);
	const struct kd_reset_op *poll;

	(void)state;
	kd_sim_bar_reg(f, 0, 0x0, 0x03000000ull, 0x03000000ull); /* TO 3 */
	kd_sim_bar_reg(f, 0, 0x14, 1, 1);
	kd_sim_bar_reg(f, 0, 0x1c, 1, 1);
	run_devspec(w, db, KD_RM_DEVICE_SPECIFIC);
	poll = find_poll(&w->res[0], 0, 0x1c);
	assert_non_null(poll);
	assert_int_equal(poll->ns, MSN(2000));
	assert_int_equal(poll->result, -ETIMEDOUT);
	assert_true(poll->waited_ns >= MSN(2000));
	assert_true(poll->waited_ns < MSN(2200));
	assert_int_equal(nth_cfg_write(w, exp + PCI_EXP_DEVCTL, 0), -1);
	assert_int_equal(w->res[0].status, KD_RS_FAILED);
	kd_quirks_free(db);
	world_free(w);
}


/* ahci_reset_controller(): any AHCI function (class 010601) gets the HBA
 * reset as its device-specific reset: Memory on, GHC.AE|GHC.HR set in
 * ABAR+4, then GHC.HR polled clear for at most 1 s (AHCI 1.3.1 §10.4.3) */
static void test_devspec_ahci_hba_reset(void **state)
{
	struct world *w = world_new();
	unsigned exp, msix;
	struct kd_quirks *db;
	struct kd_reset_opts o = { .method = KD_RM_AUTO, .dry_run = true,
				   .policy_fn = kd_reset_quirk_policy };
	const struct kd_reset_op *op;
	size_t i = 0, n;

	(void)state;
	devspec_fn(w, 0x8086, 0x2922, 0x010601, false, &exp, &msix);
	db = load_shipped(w, DEVSPEC);
	o.policy_data = db;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(kd_sim_n_events(w->sim), 0);
	assert_int_equal(w->res[0].used, KD_RM_DEVICE_SPECIFIC);
	op = w->res[0].ops;
	n = w->res[0].n_ops;
	while (i < n && !(op[i].kind == KD_OP_CFG_WRITE &&
			  op[i].pos == PCI_COMMAND))
		i++;
	assert_true(i < n && !(op[i].value & PCI_COMMAND_MASTER)); /* disable */
	assert_int_equal(op[++i].kind, KD_OP_CFG_WRITE);
	assert_int_equal(op[i].pos, PCI_COMMAND);
	assert_int_equal(op[i].value, PCI_COMMAND_MEMORY);
	assert_int_equal(op[++i].kind, KD_OP_BAR_WRITE);
	assert_int_equal(op[i].bar, 5);
	assert_int_equal(op[i].pos, 0x04);
	assert_int_equal(op[i].value, 0x80000001);
	assert_int_equal(op[i].mask, 0x80000001);
	assert_int_equal(op[++i].kind, KD_OP_POLL);
	assert_int_equal(op[i].bar, 5);
	assert_int_equal(op[i].pos, 0x04);
	assert_int_equal(op[i].mask, 0x1);
	assert_int_equal(op[i].value, 0);
	assert_int_equal(op[i].ns, MSN(1000));
	kd_quirks_free(db);
	world_free(w);
}

/* ahci_init_one(): ABAR is not BAR5 on every AHCI function (STA2X11,
 * Cavium and Loongson BAR0, Enmotus BAR2, Cavium gen5 BAR4): the HBA
 * reset goes to the ABAR the ahci driver maps, never to BAR5 there */
static void test_devspec_ahci_nonstandard_abar(void **state)
{
	static const struct { uint16_t vendor, device; int bar; } abar[] = {
		{ 0x104a, 0xcc06, 0 }, { 0x1c44, 0x8000, 2 },
		{ 0x177d, 0xa01c, 0 }, { 0x177d, 0xa084, 4 },
		{ 0x0014, 0x7a08, 0 },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(abar) / sizeof(abar[0]); k++) {
		struct world *w = world_new();
		struct kd_reset_opts o = { .method = KD_RM_AUTO,
					   .dry_run = true,
					   .policy_fn = kd_reset_quirk_policy };
		unsigned exp, msix;
		struct kd_quirks *db;
		int hr = -1;

		devspec_fn(w, abar[k].vendor, abar[k].device, 0x010601,
			   false, &exp, &msix);
		db = load_shipped(w, DEVSPEC);
		o.policy_data = db;
		assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
		assert_int_equal(w->res[0].used, KD_RM_DEVICE_SPECIFIC);
		for (size_t i = 0; i < w->res[0].n_ops; i++) {
			const struct kd_reset_op *op = &w->res[0].ops[i];

			if (op->kind != KD_OP_BAR_WRITE &&
			    op->kind != KD_OP_POLL)
				continue;
			if (op->bar >= 0)
				assert_int_equal(op->bar, abar[k].bar);
			if (op->kind == KD_OP_BAR_WRITE && op->pos == 0x04 &&
			    op->value == 0x80000001)
				hr = op->bar;
		}
		assert_int_equal(hr, abar[k].bar);
		kd_quirks_free(db);
		world_free(w);
	}
}

/* dry run of the shipped Samsung entry: the ops in order, nothing done */
static void test_devspec_samsung_dry_run_order(void **state)
{
	struct world *w = world_new();
	unsigned exp, msix;
	struct kd_quirks *db;
	struct kd_reset_opts o = { .method = KD_RM_AUTO, .dry_run = true,
				   .policy_fn = kd_reset_quirk_policy };
	const struct kd_reset_op *op;
	size_t n;

	(void)state;
	devspec_fn(w, 0x144d, 0xa804, 0x010802, true, &exp, &msix);
	db = load_shipped(w, DEVSPEC);
	o.policy_data = db;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(kd_sim_n_events(w->sim), 0);
	assert_int_equal(w->res[0].used, KD_RM_DEVICE_SPECIFIC);
	op = w->res[0].ops;
	n = w->res[0].n_ops;
	/* disable; check DevCap.FLR; Memory on; CC; poll; FLR; restore */
	{
		size_t i = 0;

		while (i < n && !(op[i].kind == KD_OP_CFG_WRITE &&
				  op[i].pos == PCI_COMMAND))
			i++;
		assert_true(i < n && !(op[i].value & PCI_COMMAND_MASTER));
		for (i++; i < n && op[i].kind != KD_OP_POLL; i++)
			;
		assert_true(i < n);
		assert_int_equal(op[i].pos, exp + PCI_EXP_DEVCAP);
		assert_int_equal(op[i].mask, PCI_EXP_DEVCAP_FLR);
		assert_int_equal(op[++i].kind, KD_OP_CFG_WRITE);
		assert_int_equal(op[i].pos, PCI_COMMAND);
		assert_int_equal(op[i].value, PCI_COMMAND_MEMORY);
		assert_int_equal(op[++i].kind, KD_OP_BAR_WRITE);
		assert_int_equal(op[i].pos, 0x14);
		assert_int_equal(op[i].mask, 0xc001);
		assert_int_equal(op[++i].kind, KD_OP_POLL);
		assert_int_equal(op[i].pos, 0x1c);
		assert_int_equal(op[i].ns, 256ull * MSN(500)); /* at most */
		while (++i < n && !(op[i].kind == KD_OP_CFG_WRITE &&
				    op[i].pos == exp + PCI_EXP_DEVCTL))
			;
		assert_true(i < n);
		assert_true(op[i].value & PCI_EXP_DEVCTL_BCR_FLR);
	}
	kd_quirks_free(db);
	world_free(w);
}

/* "methods = kernel:device_specific" reaches the kernel's own, and
 * narrowing keeps device_specific unless the quirk avoids it */
static void test_kernel_device_specific_kept(void **state)
{
	static const char kconf[] =
		"[1234:0001]\nmethods = kernel:device_specific\n";
	static const char nconf[] =
		"[1234:0001]\navoid = bus\n";
	static const char aconf[] =
		"[1234:0001]\navoid = bus, device-specific\n";
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_quirks *db = load_text(w, kconf);
	const struct kd_sim_event *e;

	(void)state;
	kd_sim_set_kernel_reset(f, "device_specific flr bus");
	run_devspec(w, db, KD_RM_AUTO);
	/* tried first (the simulated kernel has no device_specific reset
	 * of its own and answers ENOTTY: method not available) */
	assert_true(w->res[0].n_attempts >= 1);
	assert_int_equal(w->res[0].attempts[0].method, KD_RM_KERNEL_DEVSPEC);
	e = kd_sim_event(w->sim, 0);
	assert_int_equal(e->kind, KD_SIM_EV_ATTR_WRITE);
	assert_string_equal(e->attr, "reset_method");
	assert_string_equal(e->text, "device_specific");
	kd_quirks_free(db);
	world_free(w);

	w = world_new();
	f = flr_endpoint(w, "00:1c.0", "01:00.0");
	kd_sim_set_kernel_reset(f, "device_specific flr bus");
	db = load_text(w, nconf);
	run_devspec(w, db, KD_RM_KERNEL);
	e = kd_sim_event(w->sim, 0);
	assert_string_equal(e->attr, "reset_method");
	assert_string_equal(e->text, "device_specific flr");
	kd_quirks_free(db);
	world_free(w);

	w = world_new();
	f = flr_endpoint(w, "00:1c.0", "01:00.0");
	kd_sim_set_kernel_reset(f, "device_specific flr bus");
	db = load_text(w, aconf);
	run_devspec(w, db, KD_RM_KERNEL);
	e = kd_sim_event(w->sim, 0);
	assert_string_equal(e->text, "flr");
	kd_quirks_free(db);
	world_free(w);
}

/* device-specific without a quirk's reset steps: refused */
static void test_device_specific_needs_steps(void **state)
{
	struct world *w = world_new();
	struct kd_quirks *db;

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	db = load(w);
	run_devspec(w, db, KD_RM_DEVICE_SPECIFIC);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "reset = STEPS"));
	assert_int_equal(kd_sim_n_events(w->sim), 0);
	kd_quirks_free(db);
	world_free(w);
}

/* ---- D3hot delays (quirks.d/50-d3hot-delay.conf) ---------------------- */

static void test_d3hot_shipped_entries(void **state)
{
	struct world *w = world_new();
	struct kd_quirks *db = load_shipped(w, "quirks.d/50-d3hot-delay.conf");
	struct kd_quirk_id hda = { .vendor = 0x10de, .device = 0x22ba,
				   .class_code = 0x040300 };
	struct kd_quirk_id lpt = { .vendor = 0x8086, .device = 0x8c31,
				   .class_code = 0x0c0330 };
	struct kd_quirk_id radeon = { .vendor = 0x1002, .device = 0x6741,
				      .subsys_vendor = 0x106b,
				      .subsys_device = 0x00e2 };
	struct kd_quirk_id gpu = { .vendor = 0x10de, .device = 0x2204,
				   .class_code = 0x030000 };
	struct kd_quirk_plan p;

	(void)state;
	assert_int_equal(kd_quirks_match(db, &hda, &p), 0);
	assert_true(p.has_d3hot);
	assert_int_equal(p.d3hot_delay_ns, MSN(20));
	kd_quirk_plan_clear(&p);
	assert_int_equal(kd_quirks_match(db, &lpt, &p), 0);
	assert_true(p.has_d3hot);
	assert_int_equal(p.d3hot_delay_ns, 0);
	kd_quirk_plan_clear(&p);
	assert_int_equal(kd_quirks_match(db, &radeon, &p), 0);
	assert_int_equal(p.d3hot_delay_ns, MSN(20));
	kd_quirk_plan_clear(&p);
	assert_int_equal(kd_quirks_match(db, &gpu, &p), 0);
	assert_false(p.has_d3hot);
	kd_quirk_plan_clear(&p);
	kd_quirks_free(db);
	world_free(w);
}

/* pm on a function with a D3hot quirk sleeps the quirk's delay */
static void pm_sleeps(const char *conf_text, uint64_t want)
{
	struct world *w = world_new();
	struct kd_quirks *db;
	unsigned n = 0;

	flr_endpoint(w, "00:1c.0", "01:00.0");
	db = load_text(w, conf_text);
	run_devspec(w, db, KD_RM_PM);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	for (size_t i = 0; i < w->res[0].n_ops; i++)
		if (w->res[0].ops[i].kind == KD_OP_SLEEP &&
		    strstr(w->res[0].ops[i].why, "pci_dev_d3_sleep")) {
			assert_int_equal(w->res[0].ops[i].ns, want);
			n++;
		}
	assert_int_equal(n, 2); /* D0->D3hot and D3hot->D0 */
	assert_int_equal(kd_sim_total_sleep(w->sim) >= 2 * want, true);
	kd_quirks_free(db);
	world_free(w);
}

static void test_d3hot_delay_pm_reset(void **state)
{
	(void)state;
	pm_sleeps("[1234:0001]\nd3hot-delay = 20ms\n", MSN(20));
	/* quirk_remove_d3hot_delay: no sleep at all */
	pm_sleeps("[1234:0001]\nd3hot-delay = 0\n", 0);
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
		cmocka_unit_test(test_devspec_chelsio_keeps_master_across_flr),
		cmocka_unit_test(test_devspec_82599_vf_flr_without_devcap),
		cmocka_unit_test(test_devspec_hinic_order),
		cmocka_unit_test(test_devspec_hinic_without_capability),
		cmocka_unit_test(test_devspec_samsung_disable_then_flr),
		cmocka_unit_test(test_devspec_samsung_poll_bound_from_cap_to),
		cmocka_unit_test(test_devspec_ahci_nonstandard_abar),
		cmocka_unit_test(test_devspec_samsung_dry_run_order),
		cmocka_unit_test(test_devspec_ahci_hba_reset),
		cmocka_unit_test(test_kernel_device_specific_kept),
		cmocka_unit_test(test_device_specific_needs_steps),
		cmocka_unit_test(test_d3hot_shipped_entries),
		cmocka_unit_test(test_d3hot_delay_pm_reset),
	};

	return cmocka_run_group_tests_name("reset-quirks", tests, NULL, NULL);
}
