// SPDX-License-Identifier: GPL-2.0-or-later
/* What one reset reaches, checked as the kernel does: the whole subtree
 * of a bus reset against quirks and bound drivers (pci_bus_resettable()),
 * VFs and their PF, ports that are not endpoints, functions the kernel
 * owns. */
#include "test-reset.h"
#include "probe/probe.h"

/* ---- a policy that forbids a bus reset on the listed functions ------- */

struct no_bus {
	const char *addrs[4];
	int calls;
};

static int policy_no_bus(void *data, struct kd_dev *dev,
			 const struct kd_probe_info *in,
			 struct kd_reset_policy *p)
{
	struct no_bus *nb = data;
	struct kd_addr a;

	(void)in;
	nb->calls++;
	for (size_t i = 0; i < 4 && nb->addrs[i]; i++) {
		assert_int_equal(kd_addr_parse(nb->addrs[i], &a), 0);
		if (kd_addr_eq(&a, kd_dev_addr(dev))) {
			snprintf(p->source, sizeof(p->source), "no-bus.conf:%zu",
				 i + 1);
			p->avoid = KD_RM_BIT(KD_RM_BUS) |
				   KD_RM_BIT(KD_RM_KERNEL_BUS);
			return 0;
		}
	}
	return -ENOENT;
}

/* root port 00:1c.0 -> switch upstream port 01:00.0 -> downstream ports
 * 02:01.0 and 02:02.0 -> endpoints 03:00.0 and 04:00.0 */
static void switch_tree(struct world *w)
{
	struct kd_sim_fn *usp;
	unsigned e;

	kd_sim_add_bridge(w->sim, "00:1c.0", NULL, 2, true);
	usp = kd_sim_add_bridge(w->sim, "01:00.0", "00:1c.0", 2, true);
	e = kd_sim_cfg_get(usp, PCI_CAPABILITY_LIST, 1);
	kd_sim_cfg_set(usp, e + PCI_EXP_FLAGS, 2,
		       0x0002 | PCI_EXP_TYPE_UPSTREAM << 4);
	kd_sim_add_bridge(w->sim, "02:01.0", "01:00.0", 2, true);
	kd_sim_add_bridge(w->sim, "02:02.0", "01:00.0", 2, true);
	endpoint(w, "02:01.0", "03:00.0", 0x8086, 0x10d3, true);
	endpoint(w, "02:02.0", "04:00.0", 0x168c, 0x0030, true);
}

/* pci_bus_resettable() walks every subordinate bus: a quirked endpoint
 * two levels below the bridge stops the reset, --force included */
static void test_bus_reset_quirk_two_levels_down(void **state)
{
	struct world *w = world_new();
	struct no_bus nb = { .addrs = { "04:00.0" } };
	struct kd_reset_opts o = { .method = KD_RM_BUS, .force = true,
				   .policy_fn = policy_no_bus,
				   .policy_data = &nb };

	(void)state;
	switch_tree(w);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "0000:04:00.0"));
	assert_non_null(strstr(w->res[0].reason, "no-bus.conf:1"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_RESET, NULL), 0);
	world_free(w);
}

/* PCI_DEV_FLAGS_NO_BUS_RESET on the bridge itself (Cavium 177d:a100 root
 * ports): pci_parent_bus_reset() and pci_bus_resettable() say no */
static void test_bus_reset_quirked_root_port(void **state)
{
	struct world *w = world_new();
	struct no_bus nb = { .addrs = { "00:1c.0" } };
	struct kd_reset_opts o = { .method = KD_RM_BUS, .force = true,
				   .policy_fn = policy_no_bus,
				   .policy_data = &nb };
	const struct kd_reset_result *r = &w->res[0];

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(r->status, KD_RS_REFUSED);
	assert_non_null(strstr(r->reason, "0000:00:1c.0"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	/* auto takes FLR, never the bus */
	o.method = KD_RM_AUTO;
	o.force = false;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(r->status, KD_RS_OK);
	assert_int_equal(r->used, KD_RM_FLR);
	assert_null(kd_sim_find_write(w->sim, A(kd_sim_find(w->sim, "00:1c.0")),
				      PCI_BRIDGE_CONTROL, 0));
	world_free(w);
}

/* a PF with SR-IOV and VFs 01:00.1, 01:00.2 (First VF Offset 1, Stride 1) */
static struct kd_sim_fn *pf_with_vfs(struct world *w)
{
	struct kd_sim_fn *pf = flr_endpoint(w, "00:1c.0", "01:00.0");

	kd_sim_ecap_sriov(pf, 2, 1, 1);
	kd_sim_add_vf(w->sim, "01:00.1", "01:00.0");
	kd_sim_add_vf(w->sim, "01:00.2", "01:00.0");
	return pf;
}

/* a bus reset of a VF resets its PF (VF Enable drops) and every sibling
 * VF: never, --force or not */
static void test_bus_reset_of_vf_refused(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_BUS, .force = true };

	(void)state;
	pf_with_vfs(w);
	assert_int_equal(run_reset(w, &o, "01:00.1", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "VF"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	world_free(w);
}

/* unknown = bound: a function below the bridge whose config space cannot
 * be read may have a driver; and its identity is unknown, so neither can
 * its no-bus-reset quirk be checked: refused, --force included, naming
 * the function and the error */
static void test_bus_reset_unreadable_sibling(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_BUS };
	struct kd_sim_fn *b;

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	b = flr_endpoint(w, "00:1c.0", "01:00.1");
	kd_sim_bind(b, "e1000e");
	kd_sim_set_unreadable(b);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "0000:01:00.1"));
	assert_non_null(strstr(w->res[0].reason, "cannot be read"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	o.force = true;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "0000:01:00.1"));
	assert_non_null(strstr(w->res[0].reason, strerror(EIO)));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_RESET, NULL), 0);
	world_free(w);
}

/* an FLR of a PF takes its VFs along (SR-IOV 1.1 §2.2.2): refused while a
 * VF has a driver bound, unless --force */
static void test_pf_flr_refused_with_bound_vfs(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	struct kd_sim_fn *pf;

	(void)state;
	pf = pf_with_vfs(w);
	kd_sim_bind(kd_sim_find(w->sim, "01:00.2"), "ixgbevf");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_int_equal(w->res[0].err, -EBUSY);
	assert_non_null(strstr(w->res[0].reason, "0000:01:00.2"));
	assert_non_null(strstr(w->res[0].reason, "ixgbevf"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	o.method = KD_RM_AUTO;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_int_equal(kd_sim_resets(pf), 0);
	o.method = KD_RM_FLR;
	o.force = true;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(kd_sim_resets(pf), 1);
	world_free(w);
}

/* QEMU lab: a forced FLR of an xio3130 downstream port reported ok while
 * the virtio-net behind it lost its BARs.  A port is not an endpoint. */
static void test_port_flr_refused_even_forced(void **state)
{
	static const enum kd_reset_method methods[] = {
		KD_RM_FLR, KD_RM_PM, KD_RM_AUTO };
	struct world *w = world_new();
	struct kd_sim_fn *dsp;
	unsigned e, pm;

	(void)state;
	switch_tree(w);
	dsp = kd_sim_find(w->sim, "02:01.0");
	e = kd_sim_cfg_get(dsp, PCI_CAPABILITY_LIST, 1);
	kd_sim_cfg_set(dsp, e + PCI_EXP_DEVCAP, 4, PCI_EXP_DEVCAP_FLR);
	pm = kd_sim_cap_pm(dsp, false);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		struct kd_reset_opts o = { .method = methods[i],
					   .force = true };

		assert_int_equal(run_reset(w, &o, "02:01.0", NULL), 0);
		if (methods[i] == KD_RM_AUTO) {
			/* auto finds no function-scope reset for a port */
			assert_int_not_equal(w->res[0].used, KD_RM_FLR);
			assert_int_not_equal(w->res[0].used, KD_RM_PM);
		} else {
			assert_int_equal(w->res[0].status, KD_RS_REFUSED);
			assert_non_null(strstr(w->res[0].reason, "below"));
		}
		assert_null(kd_sim_find_write(w->sim, A(dsp), e + PCI_EXP_DEVCTL,
					      0));
		assert_null(kd_sim_find_write(w->sim, A(dsp), pm + PCI_PM_CTRL,
					      0));
		if (methods[i] != KD_RM_AUTO)
			assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_RESET,
						      NULL), 0);
	}
	world_free(w);
}

/* AMD IOMMU (class 08:06) has MSI on and never binds a driver; an
 * IOAPIC (08:00 prog-if 20) and an RCEC (08:07) are the kernel's too */
static void test_kernel_owned_functions(void **state)
{
	static const uint32_t classes[] = { 0x080600, 0x080020, 0x080010,
					    0x080700 };
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_AUTO };
	struct kd_probe_info in;
	struct kd_prober *p;
	struct kd_dev *dev;
	struct kd_sim_fn *f, *nic;

	(void)state;
	nic = endpoint(w, NULL, "00:03.0", 0x8086, 0x10d3, true);
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		char bdf[16];

		snprintf(bdf, sizeof(bdf), "00:00.%zu", i + 1);
		f = kd_sim_add(w->sim, bdf, NULL, 0x1022, 0x1481, classes[i]);
		kd_sim_cap_msi(f);
		kd_sim_set_live(f);
	}
	assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	assert_int_equal(kd_prober_new(w->ctx, &p), 0);
	kd_prober_set_modules(p, false);
	for (size_t i = 0; i < kd_prober_count(p); i++) {
		const struct kd_addr *a = kd_prober_addr(p, i);

		assert_int_equal(kd_dev_open(w->ctx, a, &dev), 0);
		assert_int_equal(kd_probe(p, dev, &in), 0);
		assert_int_not_equal(in.verdict, KD_VERDICT_CLEAN);
		/* --all's rule: only the NIC */
		assert_int_equal(kd_probe_reset_candidate(&in),
				 kd_addr_eq(a, A(nic)));
		kd_probe_info_clear(&in);
		kd_dev_free(dev);
	}
	kd_prober_free(p);
	/* named explicitly: refused with the reason, unless --force */
	assert_int_equal(run_reset(w, &o, "00:00.1", "00:00.2", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "IOMMU"));
	assert_int_equal(w->res[1].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[1].reason, "APIC"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	o.force = true;
	o.method = KD_RM_QUIESCE;
	assert_int_equal(run_reset(w, &o, "00:00.1", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	world_free(w);
}

/* the kernel method is what the kernel will do: its "bus" obeys the same
 * scope check as kdsafe's own bus reset (a quirked parent bridge or
 * sibling), so reset_method is narrowed without it */
static void test_kernel_bus_obeys_bus_scope(void **state)
{
	struct world *w = world_new();
	struct no_bus nb = { .addrs = { "01:01.0" } };
	struct kd_reset_opts o = { .method = KD_RM_KERNEL,
				   .policy_fn = policy_no_bus,
				   .policy_data = &nb };
	struct kd_sim_fn *f;
	const struct kd_sim_event *e;

	(void)state;
	f = flr_endpoint(w, "00:1c.0", "01:00.0");
	flr_endpoint(w, "00:1c.0", "01:01.0");
	/* with siblings, only a hot-plug slot's reset lets the kernel's
	 * "bus" go ahead (pci_reset_bus_function()), and only for a
	 * function that is not multi-function: the sibling is at another
	 * device number */
	kd_sim_slot(kd_sim_find(w->sim, "00:1c.0"));
	/* a quirked sibling: "bus" is all the kernel offers, none is left */
	kd_sim_set_kernel_reset(f, "bus");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_ATTR_WRITE, NULL), 0);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_RESET, NULL), 0);
	/* a quirked parent bridge: "pm bus" narrowed to "pm" */
	nb.addrs[0] = "00:1c.0";
	kd_sim_set_kernel_reset(f, "pm bus");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	e = NULL;
	for (size_t i = 0; i < kd_sim_n_events(w->sim) && !e; i++)
		if (kd_sim_event(w->sim, i)->kind == KD_SIM_EV_ATTR_WRITE)
			e = kd_sim_event(w->sim, i);
	assert_non_null(e);
	assert_string_equal(e->attr, "reset_method");
	assert_string_equal(e->text, "pm");
	assert_null(kd_sim_find_write(w->sim, A(kd_sim_find(w->sim, "00:1c.0")),
				      PCI_BRIDGE_CONTROL, 0));
	/* kernel:bus is refused outright */
	o.method = KD_RM_KERNEL_BUS;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "0000:00:1c.0"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_ATTR_WRITE, NULL), 0);
	world_free(w);
}

/* Each target's kernel reset asks the same bus scope question about its
 * siblings; their identity and binding are found once per run, not
 * opened, read and looked up again for every target. */
static void test_kernel_scope_check_reads_siblings_once(void **state)
{
	struct world *w = world_new();
	struct no_bus nb = { .addrs = { "01:00.7" } };
	struct kd_reset_opts o = { .method = KD_RM_KERNEL, .jobs = 1,
				   .policy_fn = policy_no_bus,
				   .policy_data = &nb };
	struct kd_sim_fn *f[4], *sib;
	static const char *const bdf[] = { "01:00.0", "01:00.1", "01:00.2",
					   "01:00.3" };

	(void)state;
	for (int i = 0; i < 4; i++) {
		f[i] = flr_endpoint(w, "00:1c.0", bdf[i]);
		kd_sim_set_kernel_reset(f[i], "flr bus");
	}
	sib = flr_endpoint(w, "00:1c.0", "01:00.7");
	kd_sim_trace_reads(sib, true);
	assert_int_equal(run_reset(w, &o, "01:00.0", "01:00.1", "01:00.2",
				   "01:00.3", NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(w->res[i].status, KD_RS_OK);
	assert_int_equal(full_reads(w, sib), 1);
	/* the quirk database: each target for itself, the bridge per
	 * check, each of the five functions below it once as a sibling */
	assert_int_equal(nb.calls, 4 + 4 + 5);
	world_free(w);
}

/* A driver that binds to a sibling during the run (udev in the capture
 * kernel loading a module while kdsafe runs): the memo keeps identity,
 * not binding, so the next target's check sees the driver and refuses
 * kernel:bus.  The binding happens after the first target's reset (its
 * post hook), whichever target the runner takes first. */
struct bind_late {
	struct kd_sim_fn *sib;
	unsigned binds;
};

static int bind_sibling(struct kd_reset_exec *x, struct kd_dev *dev,
			void *data)
{
	struct bind_late *bl = data;

	(void)x;
	(void)dev;
	if (bl->binds++ == 0)
		kd_sim_bind(bl->sib, "e1000e");
	return 0;
}

static int policy_bind_late(void *data, struct kd_dev *dev,
			    const struct kd_probe_info *in,
			    struct kd_reset_policy *p)
{
	struct kd_addr a;

	(void)in;
	assert_int_equal(kd_addr_parse("01:00.7", &a), 0);
	if (kd_addr_eq(&a, kd_dev_addr(dev)))
		return -ENOENT;
	snprintf(p->source, sizeof(p->source), "bind-late");
	p->post = bind_sibling;
	p->hook_data = data;
	return 0;
}

static void test_kernel_scope_check_sees_a_late_binding(void **state)
{
	struct world *w = world_new();
	struct bind_late bl = { 0 };
	struct kd_reset_opts o = { .method = KD_RM_KERNEL_BUS, .jobs = 1,
				   .policy_fn = policy_bind_late,
				   .policy_data = &bl };
	struct kd_sim_fn *f0, *f1;
	int refused;

	(void)state;
	f0 = flr_endpoint(w, "00:1c.0", "01:00.0");
	f1 = flr_endpoint(w, "00:1c.0", "01:01.0");
	kd_sim_slot(kd_sim_find(w->sim, "00:1c.0")); /* see above */
	kd_sim_set_kernel_reset(f0, "bus");
	kd_sim_set_kernel_reset(f1, "bus");
	bl.sib = flr_endpoint(w, "00:1c.0", "01:07.0");
	assert_int_equal(run_reset(w, &o, "01:00.0", "01:01.0", NULL), 0);
	/* one target's kernel:bus reset went ahead, then the driver bound;
	 * the other's check saw it (the sim's bus reset clears a BAR, so
	 * the first is not OK: not the point here) */
	assert_int_equal(bl.binds, 1);
	refused = w->res[0].status == KD_RS_REFUSED ? 0 : 1;
	assert_int_not_equal(w->res[!refused].status, KD_RS_REFUSED);
	assert_int_equal(w->res[refused].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[refused].reason, "0000:01:07.0"));
	assert_non_null(strstr(w->res[refused].reason, "e1000e"));
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bus_reset_quirk_two_levels_down),
		cmocka_unit_test(test_bus_reset_quirked_root_port),
		cmocka_unit_test(test_bus_reset_of_vf_refused),
		cmocka_unit_test(test_bus_reset_unreadable_sibling),
		cmocka_unit_test(test_pf_flr_refused_with_bound_vfs),
		cmocka_unit_test(test_port_flr_refused_even_forced),
		cmocka_unit_test(test_kernel_owned_functions),
		cmocka_unit_test(test_kernel_bus_obeys_bus_scope),
		cmocka_unit_test(test_kernel_scope_check_reads_siblings_once),
		cmocka_unit_test(test_kernel_scope_check_sees_a_late_binding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
