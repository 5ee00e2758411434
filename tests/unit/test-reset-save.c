// SPDX-License-Identifier: GPL-2.0-or-later
/* Save/restore around a reset as pci_save_state()/pci_restore_state(),
 * readiness and link waits per device: the bytes written, their order,
 * the reads made and the waits taken. */
#include <unistd.h>

#include "quirks/quirks.h"
#include "test-reset.h"

/* index in the sim log of the nth config write to addr at pos, or -1 */
static long write_at(const struct world *w, const struct kd_sim_fn *f,
		     unsigned pos, size_t nth)
{
	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		const struct kd_sim_event *e = kd_sim_event(w->sim, i);

		if (e->kind == KD_SIM_EV_CFG_WRITE && e->pos == pos &&
		    kd_addr_eq(&e->addr, A(f)) && nth-- == 0)
			return (long)i;
	}
	return -1;
}

static uint64_t written(const struct world *w, long i)
{
	assert_true(i >= 0);
	return kd_sim_event(w->sim, (size_t)i)->value;
}

/* a live register that any reset zeroes */
static void live_reg(struct kd_sim_fn *f, unsigned pos, unsigned width,
		     uint32_t v)
{
	kd_sim_cfg_set(f, pos, width, v);
	kd_sim_reset_clears(f, pos, width);
}

struct ext {
	unsigned exp, aer, ltr, l1ss, acs, ats, pri, pasid, rebar, sriov;
};

/* An endpoint with every extended capability pci_save_state() covers,
 * each programmed by the crashed kernel and zeroed by a reset. */
static struct kd_sim_fn *ext_endpoint(struct world *w, struct ext *c)
{
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");

	c->exp = kd_sim_exp_pos(f);
	live_reg(f, c->exp + PCI_EXP_DEVCTL2, 2, PCI_EXP_DEVCTL2_LTR_EN | 0x5);
	c->aer = kd_sim_ecap_aer(f);
	live_reg(f, c->aer + PCI_ERR_UNCOR_MASK, 4, 0x00400000);
	live_reg(f, c->aer + PCI_ERR_UNCOR_SEVER, 4, 0x00462030);
	live_reg(f, c->aer + PCI_ERR_COR_MASK, 4, 0x00002000);
	live_reg(f, c->aer + PCI_ERR_CAP, 4, 0x000001e0);
	c->ltr = kd_sim_ecap_add(f, PCI_EXT_CAP_ID_LTR, 1, 8);
	live_reg(f, c->ltr + PCI_LTR_MAX_SNOOP_LAT, 2, 0x1003);
	live_reg(f, c->ltr + PCI_LTR_MAX_NOSNOOP_LAT, 2, 0x1004);
	c->l1ss = kd_sim_ecap_add(f, PCI_EXT_CAP_ID_L1SS, 1, 16);
	live_reg(f, c->l1ss + PCI_L1SS_CTL1, 4, 0x4060000f);
	live_reg(f, c->l1ss + PCI_L1SS_CTL2, 4, 0x00000028);
	c->acs = kd_sim_ecap_add(f, PCI_EXT_CAP_ID_ACS, 1, 8);
	live_reg(f, c->acs + PCI_ACS_CTRL, 2, 0x001d);
	c->ats = kd_sim_ecap_add(f, PCI_EXT_CAP_ID_ATS, 1, 8);
	live_reg(f, c->ats + PCI_ATS_CTRL, 2, 0x8000);
	c->pri = kd_sim_ecap_add(f, PCI_EXT_CAP_ID_PRI, 1, 16);
	live_reg(f, c->pri + PCI_PRI_ALLOC_REQ, 4, 0x200);
	live_reg(f, c->pri + PCI_PRI_CTRL, 2, 0x0001);
	c->pasid = kd_sim_ecap_add(f, PCI_EXT_CAP_ID_PASID, 1, 8);
	live_reg(f, c->pasid + PCI_PASID_CTRL, 2, 0x0001);
	c->rebar = kd_sim_ecap_add(f, PCI_EXT_CAP_ID_REBAR, 1, 20);
	/* two resizable BARs (NBARs 2): BAR0 at 256 MB, BAR2 at 8 GB */
	kd_sim_cfg_set(f, c->rebar + PCI_REBAR_CTRL, 4, 0x00000040 | 0 |
		       8u << 8);
	kd_sim_cfg_set(f, c->rebar + PCI_REBAR_CTRL + 8, 4, 0x00000040 | 2 |
		       13u << 8);
	kd_sim_reset_clears(f, c->rebar + PCI_REBAR_CTRL + 1, 1);
	kd_sim_reset_clears(f, c->rebar + PCI_REBAR_CTRL + 9, 1);
	c->sriov = kd_sim_ecap_add(f, PCI_EXT_CAP_ID_SRIOV, 1, 0x40);
	live_reg(f, c->sriov + PCI_SRIOV_CTRL, 2, PCI_SRIOV_CTRL_VFE |
		 0x0008 | PCI_SRIOV_CTRL_ARI);
	live_reg(f, c->sriov + PCI_SRIOV_NUM_VF, 2, 4);
	live_reg(f, c->sriov + PCI_SRIOV_SYS_PGSIZE, 4, 0x1);
	live_reg(f, c->sriov + PCI_SRIOV_BAR, 4, 0xfc00000c);
	return f;
}

static void test_ext_caps_saved_restored_in_kernel_order(void **state)
{
	struct world *w = world_new();
	struct ext c;
	struct kd_sim_fn *f = ext_endpoint(w, &c);
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	long snoop, nosnoop, l1ss2, l1ss1a, l1ss1b, devctl2, pasid, pri_alloc,
	     pri, ats, rebar0, rebar1, aer_mask, aer_sever, aer_cor, aer_cap,
	     cmd, acs, ari, vfbar, pgsz, numvf, vfe, i;
	const struct kd_sim_event *e;

	(void)state;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	snoop = write_at(w, f, c.ltr + PCI_LTR_MAX_SNOOP_LAT, 0);
	nosnoop = write_at(w, f, c.ltr + PCI_LTR_MAX_NOSNOOP_LAT, 0);
	l1ss2 = write_at(w, f, c.l1ss + PCI_L1SS_CTL2, 0);
	l1ss1a = write_at(w, f, c.l1ss + PCI_L1SS_CTL1, 0);
	l1ss1b = write_at(w, f, c.l1ss + PCI_L1SS_CTL1, 1);
	devctl2 = write_at(w, f, c.exp + PCI_EXP_DEVCTL2, 0);
	pasid = write_at(w, f, c.pasid + PCI_PASID_CTRL, 0);
	pri_alloc = write_at(w, f, c.pri + PCI_PRI_ALLOC_REQ, 0);
	pri = write_at(w, f, c.pri + PCI_PRI_CTRL, 0);
	ats = write_at(w, f, c.ats + PCI_ATS_CTRL, 0);
	rebar0 = write_at(w, f, c.rebar + PCI_REBAR_CTRL, 0);
	rebar1 = write_at(w, f, c.rebar + PCI_REBAR_CTRL + 8, 0);
	aer_mask = write_at(w, f, c.aer + PCI_ERR_UNCOR_MASK, 0);
	aer_sever = write_at(w, f, c.aer + PCI_ERR_UNCOR_SEVER, 0);
	aer_cor = write_at(w, f, c.aer + PCI_ERR_COR_MASK, 0);
	aer_cap = write_at(w, f, c.aer + PCI_ERR_CAP, 0);
	cmd = write_at(w, f, PCI_COMMAND, 1); /* 0: the disable */
	acs = write_at(w, f, c.acs + PCI_ACS_CTRL, 0);
	ari = write_at(w, f, c.sriov + PCI_SRIOV_CTRL, 0);
	vfbar = write_at(w, f, c.sriov + PCI_SRIOV_BAR, 0);
	pgsz = write_at(w, f, c.sriov + PCI_SRIOV_SYS_PGSIZE, 0);
	numvf = write_at(w, f, c.sriov + PCI_SRIOV_NUM_VF, 0);
	vfe = write_at(w, f, c.sriov + PCI_SRIOV_CTRL, 1);
	/* the values saved, each of its width */
	assert_int_equal(written(w, snoop), 0x1003);
	assert_int_equal(kd_sim_event(w->sim, (size_t)snoop)->width, 2);
	assert_int_equal(written(w, nosnoop), 0x1004);
	assert_int_equal(written(w, l1ss2), 0x28);
	assert_int_equal(written(w, l1ss1a), 0x40600000); /* enables off */
	assert_int_equal(written(w, l1ss1b), 0x4060000f);
	assert_int_equal(written(w, devctl2), PCI_EXP_DEVCTL2_LTR_EN | 0x5);
	assert_int_equal(written(w, pasid), 1);
	assert_int_equal(written(w, pri_alloc), 0x200);
	assert_int_equal(written(w, pri), 1);
	assert_int_equal(written(w, ats), 0x8000);
	assert_int_equal(written(w, rebar0), 0x840);
	assert_int_equal(written(w, rebar1), 0xd42);
	assert_int_equal(written(w, aer_mask), 0x00400000);
	assert_int_equal(written(w, aer_sever), 0x00462030);
	assert_int_equal(written(w, aer_cor), 0x2000);
	assert_int_equal(written(w, aer_cap), 0x1e0);
	assert_int_equal(written(w, acs), 0x1d);
	assert_int_equal(written(w, ari), PCI_SRIOV_CTRL_ARI);
	assert_int_equal(written(w, vfbar), 0xfc00000c);
	assert_int_equal(written(w, pgsz), 1);
	assert_int_equal(written(w, numvf), 4);
	assert_int_equal(written(w, vfe), PCI_SRIOV_CTRL_VFE | 0x0008 |
					  PCI_SRIOV_CTRL_ARI);
	/* pci_restore_state()'s order: LTR latencies before DevCtl2 (LTR
	 * enable), L1SS before the PCIe control; PASID, PRI, ATS, ReBAR,
	 * AER; the header; ACS; SR-IOV last, ARI before NumVFs */
	assert_true(snoop < nosnoop && nosnoop < devctl2);
	assert_true(l1ss2 < l1ss1a && l1ss1a < l1ss1b && l1ss1b < devctl2);
	assert_true(devctl2 < pasid && pasid < pri_alloc && pri_alloc < pri &&
		    pri < ats && ats < rebar0 && rebar0 < rebar1 &&
		    rebar1 < aer_mask && aer_mask < aer_sever &&
		    aer_sever < aer_cor && aer_cor < aer_cap && aer_cap < cmd);
	assert_true(cmd < acs && acs < ari && ari < vfbar && vfbar < pgsz &&
		    pgsz < numvf && numvf < vfe);
	/* VF Enable settles 100 ms before anything else happens */
	for (i = vfe + 1; i < (long)kd_sim_n_events(w->sim); i++) {
		e = kd_sim_event(w->sim, (size_t)i);
		if (e->kind == KD_SIM_EV_SLEEP)
			break;
	}
	assert_true(i < (long)kd_sim_n_events(w->sim));
	assert_int_equal(kd_sim_event(w->sim, (size_t)i)->ns, MSN(100));
	assert_int_equal(kd_sim_cfg_get(f, c.sriov + PCI_SRIOV_CTRL, 2),
			 PCI_SRIOV_CTRL_VFE | 0x0008 | PCI_SRIOV_CTRL_ARI);
	world_free(w);
}

/* A root port's Root Control (RRS SV enable among it) and Slot Control 2
 * come back, in pci_restore_pcie_state()'s order. */
static void test_root_port_rtctl_sltctl2_restored(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *rp = kd_sim_add_bridge(w->sim, "00:1c.0", NULL, 2,
						 true);
	struct kd_reset_opts o = { .method = KD_RM_PM };
	unsigned e = kd_sim_exp_pos(rp);
	long rt, sl2, dc2;

	(void)state;
	kd_sim_cap_pm(rp, false);
	kd_sim_cfg_set(rp, e + PCI_EXP_FLAGS, 2, PCI_EXP_FLAGS_SLOT |
		       kd_sim_cfg_get(rp, e + PCI_EXP_FLAGS, 2));
	live_reg(rp, e + PCI_EXP_RTCTL, 2, PCI_EXP_RTCTL_CRSSVE | 0x7);
	live_reg(rp, e + PCI_EXP_SLTCTL2, 2, 0x0001);
	live_reg(rp, e + PCI_EXP_DEVCTL2, 2, 0x0006);
	assert_int_equal(run_reset(w, &o, "00:1c.0", NULL), 0);
	rt = write_at(w, rp, e + PCI_EXP_RTCTL, 0);
	sl2 = write_at(w, rp, e + PCI_EXP_SLTCTL2, 0);
	dc2 = write_at(w, rp, e + PCI_EXP_DEVCTL2, 0);
	assert_int_equal(written(w, rt), PCI_EXP_RTCTL_CRSSVE | 0x7);
	assert_int_equal(written(w, sl2), 1);
	/* pci_restore_pcie_state(): ... RtCtl, DevCtl2, LnkCtl2, SltCtl2 */
	assert_true(rt < dc2 && dc2 < sl2);
	assert_int_equal(kd_sim_cfg_get(rp, e + PCI_EXP_RTCTL, 2),
			 PCI_EXP_RTCTL_CRSSVE | 0x7);
	world_free(w);
}

/* A bridge's Bus Master Enable forwards every device's DMA below it:
 * disable leaves it on, restore puts it back even though unbound. */
static void test_bridge_keeps_bus_master(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *rp = kd_sim_add_bridge(w->sim, "00:1c.0", NULL, 2,
						 true);
	struct kd_reset_opts o = { .method = KD_RM_PM };
	const struct kd_sim_event *e;
	size_t n = 0;

	(void)state;
	kd_sim_cap_pm(rp, false);
	/* an empty port: with a function below, a port's own PM reset is
	 * refused (ports are not endpoints, test-reset-scope.c) */
	assert_int_equal(run_reset(w, &o, "00:1c.0", NULL), 0);
	assert_int_equal(kd_sim_resets(rp), 1);
	for (size_t i = 0; (e = kd_sim_find_write(w->sim, A(rp), PCI_COMMAND,
						   i)); i++, n++)
		assert_true(e->value & PCI_COMMAND_MASTER);
	assert_true(n >= 2); /* the disable and the restore */
	e = kd_sim_find_write(w->sim, A(rp), PCI_COMMAND, 0);
	assert_int_equal(e->value, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
				   PCI_COMMAND_INTX_DISABLE);
	assert_true(kd_sim_cfg_get(rp, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	world_free(w);
}

/* pci_dev_wait() with RRS Software Visibility on at the root port: poll
 * the Vendor ID alone until it is not 0x0001 (PCIe §2.3.2). */
static void test_rrs_sv_polls_vendor_id_only(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *rp = kd_sim_add_bridge(w->sim, "00:1c.0", NULL, 2,
						 true);
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	long first = -1, last = -1;
	size_t polls = 0;

	(void)state;
	kd_sim_cfg_set(rp, kd_sim_exp_pos(rp) + PCI_EXP_RTCTL, 2,
		       PCI_EXP_RTCTL_CRSSVE);
	kd_sim_set_busy_ms(f, 150);
	kd_sim_set_rrs(f, true);
	kd_sim_trace_reads(f, true);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	/* the reads between the 100 ms FLR wait and the last back-off sleep
	 * are the polls of a device still busy */
	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		const struct kd_sim_event *e = kd_sim_event(w->sim, i);

		if (e->kind != KD_SIM_EV_SLEEP)
			continue;
		if (first < 0 && e->ns == MSN(100))
			first = (long)i;
		else if (first >= 0)
			last = (long)i;
	}
	assert_true(first >= 0 && last > first);
	for (long i = first; i < last; i++) {
		const struct kd_sim_event *e = kd_sim_event(w->sim, (size_t)i);

		if (e->kind != KD_SIM_EV_CFG_READ)
			continue;
		assert_int_equal(e->pos, PCI_VENDOR_ID);
		assert_int_equal(e->width, 2);
		polls++;
	}
	assert_true(polls >= 5);
	world_free(w);
}

/* Without RRS SV the Command dword is what tells (pci_dev_wait()). */
static void test_no_rrs_sv_polls_command(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	bool command = false;

	(void)state;
	kd_sim_set_busy_ms(f, 150);
	kd_sim_trace_reads(f, true);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		const struct kd_sim_event *e = kd_sim_event(w->sim, i);

		if (e->kind == KD_SIM_EV_CFG_READ && e->pos == PCI_COMMAND &&
		    e->width == 4)
			command = true;
	}
	assert_true(command);
	world_free(w);
}

/* pcie_get_speed_cap(): LnkCap2's Supported Link Speeds Vector wins over
 * LnkCap's Max Link Speed: 8 GT/s there takes the > 5 GT/s wait. */
static void test_lnkcap2_speed_picks_link_wait(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *rp = kd_sim_add_bridge(w->sim, "00:1d.0", NULL, 2,
						 true); /* LnkCap: 5 GT/s */
	struct kd_reset_opts o = { .method = KD_RM_BUS };
	uint64_t sleeps[8];

	(void)state;
	kd_sim_cfg_set(rp, kd_sim_exp_pos(rp) + PCI_EXP_LNKCAP2, 4,
		       0x0000000e); /* 2.5, 5, 8 GT/s */
	flr_endpoint(w, "00:1d.0", "02:00.0");
	assert_int_equal(run_reset(w, &o, "02:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	/* 2 ms SBR, 20 ms LTSSM detect, link up, 100 ms */
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 3);
	assert_int_equal(sleeps[1], MSN(20));
	assert_int_equal(sleeps[2], MSN(100));
	world_free(w);
}

static int policy_d3hot(void *data, struct kd_dev *dev,
			const struct kd_probe_info *in,
			struct kd_reset_policy *p)
{
	(void)data;
	(void)dev;
	(void)in;
	snprintf(p->source, sizeof(p->source), "test.conf:1");
	p->d3hot_delay_ns = MSN(120);
	return 0;
}

/* A quirk's d3hot_delay replaces the 10 ms of pci_dev_d3_sleep() */
static void test_pm_d3hot_delay_from_policy(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_PM,
				   .policy_fn = policy_d3hot };
	uint64_t sleeps[8];

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 2);
	assert_int_equal(sleeps[0], MSN(120));
	assert_int_equal(sleeps[1], MSN(120));
	world_free(w);
}

static void test_pm_d3hot_delay_default(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_PM };
	uint64_t sleeps[8];

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 2);
	assert_int_equal(sleeps[0], MSN(10));
	assert_int_equal(sleeps[1], MSN(10));
	world_free(w);
}

/* the quirk key d3hot-delay reaches the PM method through the policy */
static void test_pm_d3hot_delay_from_quirk(void **state)
{
	static const char conf[] = "[1234:0001]\nd3hot-delay = 70ms\n";
	struct world *w = world_new();
	struct kd_quirks *db;
	struct kd_reset_opts o = { .method = KD_RM_PM,
				   .policy_fn = kd_reset_quirk_policy };
	uint64_t sleeps[8];

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	assert_int_equal(kd_quirks_new(w->ctx, &db), 0);
	assert_int_equal(kd_quirks_add_buffer(db, "t.conf", conf,
					      sizeof(conf) - 1), 0);
	o.policy_data = db;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 2);
	assert_int_equal(sleeps[0], MSN(70));
	assert_int_equal(sleeps[1], MSN(70));
	kd_quirks_free(db);
	world_free(w);
}

/* The snapshot before the reset is of what the target's open just read,
 * the one after it and the witness share one read: config space is read
 * by the planner, the domain's BAR pre-read, the target's open and the
 * verify, no more (it was six reads: a refresh right after the open, one
 * for the snapshot after) */
static void test_config_read_once_per_phase(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");

	(void)state;
	kd_sim_trace_reads(f, true);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_true(w->res[0].before.valid && w->res[0].after.valid);
	assert_int_equal(full_reads(w, f), 4);
	world_free(w);
}

/* auto tries the methods in order; one whose check fails, or that the
 * kernel does not offer, changed nothing and the next check needs no new
 * read (a conventional function: kernel, FLR, AF-FLR and PM unavailable,
 * then the bus reset).  Reads: the planner, the BAR pre-read, the open,
 * the bus reset's save of the function and the verify. */
static void test_no_read_between_methods_that_did_nothing(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_AUTO };
	struct kd_sim_fn *f;

	(void)state;
	kd_sim_add_pci_bridge(w->sim, "00:1e.0", NULL);
	f = kd_sim_add(w->sim, "03:01.0", "00:1e.0", 0x10ec, 0x8139, 0x020000);
	kd_sim_set_live(f);
	kd_sim_trace_reads(f, true);
	assert_int_equal(run_reset(w, &o, "03:01.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_BUS);
	assert_int_equal(full_reads(w, f), 5);
	world_free(w);
}

static void *no_realloc(void *p, size_t size)
{
	(void)p;
	(void)size;
	return NULL;
}

/* The operation log out of memory: a try's writes still happen, without
 * a record, so the count of records no longer says whether the function
 * changed.  auto reads it afresh before the next method at least as
 * often as with the log (the kernel's no-op reset and the no-op PM
 * reset write, then the bus reset). */
static void test_fresh_read_after_unrecorded_try(void **state)
{
	size_t reads[2];

	(void)state;
	for (int oom = 0; oom <= 1; oom++) {
		struct world *w = world_new();
		struct kd_reset_opts o = { .method = KD_RM_AUTO };
		struct kd_sim_fn *f = endpoint(w, "00:1c.0", "01:00.0", 0x8086,
					       0x10d3, false);

		kd_sim_make_e1000e(f);
		kd_sim_set_flags(f, KD_SIM_PM_NOOP);
		kd_sim_set_kernel_reset(f, "pm bus");
		kd_sim_trace_reads(f, true);
		kd_exec_realloc = oom ? no_realloc : realloc;
		assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
		kd_exec_realloc = realloc;
		if (oom) /* nothing recorded */
			assert_int_equal(w->res[0].n_ops, 0);
		assert_int_equal(w->res[0].used, KD_RM_BUS);
		assert_int_equal(w->res[0].status, KD_RS_OK);
		reads[oom] = full_reads(w, f);
		world_free(w);
	}
	assert_true(reads[1] >= reads[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ext_caps_saved_restored_in_kernel_order),
		cmocka_unit_test(test_root_port_rtctl_sltctl2_restored),
		cmocka_unit_test(test_bridge_keeps_bus_master),
		cmocka_unit_test(test_rrs_sv_polls_vendor_id_only),
		cmocka_unit_test(test_no_rrs_sv_polls_command),
		cmocka_unit_test(test_lnkcap2_speed_picks_link_wait),
		cmocka_unit_test(test_pm_d3hot_delay_from_policy),
		cmocka_unit_test(test_pm_d3hot_delay_default),
		cmocka_unit_test(test_pm_d3hot_delay_from_quirk),
		cmocka_unit_test(test_config_read_once_per_phase),
		cmocka_unit_test(test_no_read_between_methods_that_did_nothing),
		cmocka_unit_test(test_fresh_read_after_unrecorded_try),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
