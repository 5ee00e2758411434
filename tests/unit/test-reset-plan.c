// SPDX-License-Identifier: GPL-2.0-or-later
/* auto, the kernel method, safety refusals, dry run, bad input, the
 * planner's domains and order, and the policy (quirk) input. */
#include <pthread.h>

#include "test-reset.h"

/* ---- auto ---------------------------------------------------------------- */

/* QEMU's e1000e behind a root port (lab notes): reset_method "pm bus",
 * pm reports success and resets nothing, bus works. */
static void test_auto_falls_through_noop_pm_to_bus(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = endpoint(w, "00:1c.0", "01:00.0", 0x8086, 0x10d3,
				       false);
	struct kd_reset_opts o = { .method = KD_RM_AUTO };
	const struct kd_reset_result *r = &w->res[0];

	(void)state;
	kd_sim_make_e1000e(f);
	kd_sim_set_flags(f, KD_SIM_PM_NOOP);
	kd_sim_set_kernel_reset(f, "pm bus");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(r->status, KD_RS_OK);
	assert_int_equal(r->used, KD_RM_BUS);
	assert_int_equal(r->witness.verdict, KD_WITNESS_EFFECTIVE);
	assert_int_equal(r->n_attempts, 4);
	assert_int_equal(r->attempts[0].method, KD_RM_KERNEL);
	assert_int_equal(r->attempts[0].err, 0); /* ran, no-op */
	assert_non_null(strstr(r->attempts[0].why, "no-op"));
	assert_int_equal(r->attempts[1].method, KD_RM_FLR);
	assert_int_equal(r->attempts[1].err, -ENOTTY);
	assert_int_equal(r->attempts[2].method, KD_RM_AF_FLR);
	assert_int_equal(r->attempts[3].method, KD_RM_PM);
	assert_int_equal(kd_sim_resets(f), 1);
	assert_false(r->after.bus_master);
	world_free(w);
}

static void test_auto_quiesce_when_nothing_resets(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_reset_opts o = { .method = KD_RM_AUTO };

	(void)state;
	/* on the root bus, no FLR, PM with NoSoftRst, no kernel reset */
	f = kd_sim_add(w->sim, "00:03.0", NULL, 0x1234, 0x5678, 0x020000);
	kd_sim_cap_pm(f, true);
	kd_sim_cap_msi(f);
	kd_sim_set_live(f);
	assert_int_equal(run_reset(w, &o, "00:03.0", NULL), 0);
	assert_int_equal(w->res[0].used, KD_RM_QUIESCE);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_non_null(strstr(w->res[0].reason, "quiesced only"));
	assert_int_equal(kd_sim_cfg_get(f, 4, 2) & PCI_COMMAND_MASTER, 0);
	assert_false(w->res[0].after.msi);
	/* bus was considered and refused (root bus), then virtio (not one) */
	assert_int_equal(w->res[0].attempts[w->res[0].n_attempts - 2].method,
			 KD_RM_BUS);
	assert_int_equal(w->res[0].attempts[w->res[0].n_attempts - 1].method,
			 KD_RM_VIRTIO);
	assert_int_equal(w->res[0].attempts[w->res[0].n_attempts - 1].err,
			 -ENOTTY);
	world_free(w);
}

/* QEMU's virtio-net on pcie.0 (lab notes): no kernel reset, no FLR, a PM
 * reset that resets nothing, no bridge for a bus reset: auto ends at the
 * virtio device reset, which the witness shows worked. */
static void test_auto_virtio_on_root_bus(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_reset_opts o = { .method = KD_RM_AUTO };
	const struct kd_reset_result *r = &w->res[0];

	(void)state;
	f = kd_sim_add(w->sim, "00:03.0", NULL, 0x1af4, 0x1041, 0x020000);
	kd_sim_cap_pm(f, false);
	kd_sim_cap_msix(f, 4);
	kd_sim_make_virtio(f);
	kd_sim_set_flags(f, KD_SIM_PM_NOOP);
	kd_sim_set_live(f);
	assert_int_equal(run_reset(w, &o, "00:03.0", NULL), 0);
	assert_int_equal(r->status, KD_RS_OK);
	assert_int_equal(r->used, KD_RM_VIRTIO);
	assert_int_equal(r->witness.verdict, KD_WITNESS_EFFECTIVE);
	assert_int_equal(r->witness.after, 0);
	assert_int_equal(kd_sim_virtio_resets(f), 1);
	/* kernel, flr, af-flr refused; pm ran and was a no-op; bus refused */
	assert_int_equal(r->n_attempts, 5);
	assert_int_equal(r->attempts[3].method, KD_RM_PM);
	assert_int_equal(r->attempts[3].err, 0);
	assert_non_null(strstr(r->attempts[3].why, "no-op"));
	assert_int_equal(r->attempts[4].method, KD_RM_BUS);
	assert_int_not_equal(r->attempts[4].err, 0);
	assert_false(r->after.bus_master);
	assert_false(r->after.msix);
	assert_null(strstr(r->reason, "quiesced"));
	world_free(w);
}

/* A virtio device whose FLR works is done after the FLR: no virtio reset */
static void test_auto_flr_before_virtio(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f;
	struct kd_reset_opts o = { .method = KD_RM_AUTO };

	(void)state;
	f = virtio_endpoint(w, "00:1c.0", "01:00.0");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_FLR);
	assert_int_equal(w->res[0].witness.verdict, KD_WITNESS_EFFECTIVE);
	assert_int_equal(kd_sim_virtio_resets(f), 0);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_BAR_WRITE, NULL), 0);
	/* in a dry run virtio is listed after bus, before quiesce */
	o.dry_run = true;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].used, KD_RM_FLR);
	assert_non_null(strstr(w->res[0].reason, "bus virtio quiesce"));
	world_free(w);
}

static int policy_prefer_pm_avoid_bus(void *data, struct kd_dev *dev,
				      const struct kd_probe_info *in,
				      struct kd_reset_policy *p)
{
	int *calls = data;

	(void)dev;
	(void)in;
	(*calls)++;
	snprintf(p->source, sizeof(p->source), "test.conf:1");
	p->n_prefer = 1;
	p->prefer[0] = KD_RM_PM;
	p->avoid = KD_RM_BIT(KD_RM_BUS) | KD_RM_BIT(KD_RM_KERNEL);
	p->delay_after_ns = MSN(50);
	return 0;
}

static void test_auto_policy_prefers_and_avoids(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_sim_fn *rp = kd_sim_find(w->sim, "00:1c.0");
	int calls = 0;
	struct kd_reset_opts o = { .method = KD_RM_AUTO,
				   .policy_fn = policy_prefer_pm_avoid_bus,
				   .policy_data = &calls };
	uint64_t sleeps[8];

	(void)state;
	kd_sim_set_kernel_reset(f, "flr pm bus");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_PM); /* preferred over flr */
	assert_true(w->res[0].policy_applied);
	assert_string_equal(w->res[0].policy_source, "test.conf:1");
	/* 10 + 10 ms PM, then the quirk's 50 ms */
	assert_int_equal(kd_sim_sleeps(w->sim, sleeps, 8), 3);
	assert_int_equal(sleeps[2], MSN(50));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, A(rp)), 0);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_ATTR_WRITE, NULL), 0);
	world_free(w);
}

static int policy_prefer_flr(void *data, struct kd_dev *dev,
			     const struct kd_probe_info *in,
			     struct kd_reset_policy *p)
{
	(void)data;
	(void)dev;
	(void)in;
	snprintf(p->source, sizeof(p->source), "prefer-flr.conf:1");
	p->n_prefer = 1;
	p->prefer[0] = KD_RM_FLR;
	return 0;
}

/* --force on a bound function with MSI-X on: kdsafe's own methods do not
 * rebuild MSI/MSI-X (the kernel does, from its records), so auto tries
 * the kernel's reset first, ahead of a quirk's preference */
static void test_auto_forced_bound_msix_prefers_kernel(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_AUTO, .force = true,
				   .policy_fn = policy_prefer_flr };

	(void)state;
	kd_sim_cap_msix(f, 4);
	kd_sim_set_live(f);
	kd_sim_set_kernel_reset(f, "flr");
	/* unbound: the quirk's preference */
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_FLR);
	kd_sim_set_live(f);
	kd_sim_bind(f, "e1000e");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_KERNEL);
	assert_int_equal(w->res[0].n_attempts, 0);
	world_free(w);
}

static void test_explicit_method_forbidden_by_policy(void **state)
{
	struct world *w = world_new();
	int calls = 0;
	struct kd_reset_opts o = { .method = KD_RM_BUS,
				   .policy_fn = policy_prefer_pm_avoid_bus,
				   .policy_data = &calls };

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "forbids"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	world_free(w);
}

static int hook_pre(struct kd_reset_exec *x, struct kd_dev *dev, void *data)
{
	(void)data;
	return kd_reset_bar_write(x, dev, 0, 0x14, 4, 0, "test: disable");
}

static int policy_hooks(void *data, struct kd_dev *dev,
			const struct kd_probe_info *in,
			struct kd_reset_policy *p)
{
	(void)data;
	(void)dev;
	(void)in;
	p->pre = hook_pre;
	return 0;
}

static void test_policy_pre_hook_runs_and_dry_runs(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR,
				   .policy_fn = policy_hooks };

	(void)state;
	kd_sim_make_nvme(f);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_BAR_WRITE, A(f)), 1);
	assert_int_equal(w->res[0].ops[0].kind, KD_OP_BAR_WRITE);
	o.dry_run = true;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_BAR_WRITE, NULL), 0);
	assert_int_equal(w->res[0].ops[0].kind, KD_OP_BAR_WRITE);
	world_free(w);
}

/* ---- the kernel method ------------------------------------------------- */

static void test_kernel_flr_selects_and_restores(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_KERNEL_FLR };
	const struct kd_sim_event *e;
	size_t i, n;

	(void)state;
	kd_sim_set_kernel_reset(f, "flr pm bus");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	/* reset_method=flr, reset=1, reset_method restored */
	n = kd_sim_n_events(w->sim);
	for (i = 0; i < n; i++)
		if (kd_sim_event(w->sim, i)->kind == KD_SIM_EV_ATTR_WRITE)
			break;
	e = kd_sim_event(w->sim, i);
	assert_string_equal(e->attr, "reset_method");
	assert_string_equal(e->text, "flr");
	e = kd_sim_event(w->sim, i + 1);
	assert_string_equal(e->attr, "reset");
	assert_string_equal(e->text, "1");
	e = kd_sim_event(w->sim, i + 2);
	assert_int_equal(e->kind, KD_SIM_EV_RESET);
	e = kd_sim_event(w->sim, i + 3);
	assert_string_equal(e->attr, "reset_method");
	assert_string_equal(e->text, "flr pm bus");
	assert_string_equal(kd_sim_reset_method(f), "flr pm bus");
	/* the kernel restored Bus Master; kdsafe cleared it after */
	e = kd_sim_event(w->sim, i + 4);
	assert_int_equal(e->kind, KD_SIM_EV_CFG_WRITE);
	assert_int_equal(e->pos, PCI_COMMAND);
	assert_int_equal(e->value, PCI_COMMAND_MEMORY);
	assert_false(w->res[0].after.bus_master);
	world_free(w);
}

static void test_kernel_method_not_offered(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_KERNEL_BUS };

	(void)state;
	kd_sim_set_kernel_reset(f, "flr pm");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "not bus"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_ATTR_WRITE, NULL), 0);
	world_free(w);
}

static void test_kernel_before_5_15(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_KERNEL_FLR };

	(void)state;
	kd_sim_set_kernel_reset(f, NULL); /* reset, no reset_method */
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "5.15"));
	o.method = KD_RM_KERNEL;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_ATTR_WRITE, NULL), 1);
	world_free(w);
}

/* Wait accounting (docs/reset.md "waited_ms"): the kernel's own waits run
 * inside the sysfs reset write, so its duration counts; kdsafe's FLR
 * counts its sleeps and its polls' waits; a dry run its planned sleeps */
static const struct kd_reset_op *find_reset_write(const struct kd_reset_result *r)
{
	for (size_t i = 0; i < r->n_ops; i++)
		if (r->ops[i].kind == KD_OP_ATTR_WRITE &&
		    strcmp(r->ops[i].attr, "reset") == 0)
			return &r->ops[i];
	return NULL;
}

static void test_waited_accounting(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_KERNEL_FLR };
	const struct kd_reset_result *r = &w->res[0];
	const struct kd_reset_op *op;
	uint64_t before;

	(void)state;
	kd_sim_set_kernel_reset(f, "flr pm bus");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(r->status, KD_RS_OK);
	op = find_reset_write(r);
	assert_non_null(op);
	/* the simulated kernel FLR takes 100 ms inside the write */
	assert_int_equal(op->duration_ns, MSN(100));
	assert_int_equal(kd_reset_waited_ns(r->ops, r->n_ops), MSN(100));

	/* kdsafe's own FLR: exactly the time the fake clock slept */
	o.method = KD_RM_FLR;
	before = kd_sim_total_sleep(w->sim);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(r->status, KD_RS_OK);
	assert_true(kd_sim_total_sleep(w->sim) - before >= MSN(100));
	assert_int_equal(kd_reset_waited_ns(r->ops, r->n_ops),
			 kd_sim_total_sleep(w->sim) - before);

	/* a dry run: the planned sleeps (the FLR's 100 ms, pcie_flr()) */
	o.dry_run = true;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(r->status, KD_RS_PLANNED);
	assert_int_equal(kd_reset_waited_ns(r->ops, r->n_ops), MSN(100));
	world_free(w);
}

/* The lab's 01:01.0: the kernel's reset answers ENOTTY and auto goes on.
 * No error is logged; one note at information level names the answer
 * and the method tried next.  Only the final method's failure is one. */
struct log_capture {
	int errors, warnings;
	char info[1024];
};

static void capture_log(void *data, int prio, const char *file, int line,
			const char *fn, const char *format, va_list args)
{
	struct log_capture *c = data;
	size_t n = strlen(c->info);

	(void)file, (void)line, (void)fn;
	if (prio <= KD_LOG_ERR)
		c->errors++;
	else if (prio == KD_LOG_WARNING)
		c->warnings++;
	if ((prio == KD_LOG_INFO || prio == KD_LOG_WARNING) &&
	    n + 2 < sizeof(c->info)) {
		vsnprintf(c->info + n, sizeof(c->info) - n - 1, format, args);
		strcat(c->info, "\n");
	}
}

static void test_kernel_enotty_falls_back_quietly(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_AUTO };
	struct log_capture c = { 0 };

	(void)state;
	/* a method the simulated kernel has no code for: ENOTTY at once */
	kd_sim_set_kernel_reset(f, "acpi");
	assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	kd_ctx_set_log_fn(w->ctx, capture_log, &c);
	kd_ctx_set_log_priority(w->ctx, KD_LOG_INFO);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_FLR);
	assert_int_equal(c.errors, 0);
	assert_int_equal(c.warnings, 0);
	assert_non_null(strstr(c.info, "0000:01:00.0: kernel reset not "
				       "available (ENOTTY), trying flr\n"));
	/* the same answer to an explicit kernel method: the final one */
	c.info[0] = '\0';
	o.method = KD_RM_KERNEL;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_null(strstr(c.info, "trying"));
	world_free(w);
}

/* ENOTTY after the kernel waited (pci_dev_wait() "not ready ...; giving
 * up", pci_bridge_wait_for_secondary_bus() "Data Link Layer Link Active
 * not set": 1 s and more) is no missing method: the device did not come
 * back.  Auto still goes on, with a warning that says so; an explicit
 * kernel method fails (it used to be refused as "not available"). */
static void test_kernel_enotty_after_waiting_is_a_failure(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_AUTO };
	struct log_capture c = { 0 };

	(void)state;
	kd_sim_set_kernel_reset(f, "flr bus");
	kd_sim_set_flags(f, KD_SIM_KERNEL_ENOTTY); /* after 1 s */
	assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	kd_ctx_set_log_fn(w->ctx, capture_log, &c);
	kd_ctx_set_log_priority(w->ctx, KD_LOG_INFO);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_FLR);
	assert_null(strstr(c.info, "not available"));
	assert_int_equal(c.warnings, 1);
	assert_non_null(strstr(c.info, "0000:01:00.0: kernel reset: the "
				       "device did not come back (writing "
				       "reset answered ENOTTY after 1000 ms"));
	c.info[0] = '\0';
	o.method = KD_RM_KERNEL_BUS;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_FAILED);
	assert_int_equal(w->res[0].err, -ETIMEDOUT);
	assert_non_null(strstr(w->res[0].reason, "did not come back"));
	world_free(w);
}

static void test_kernel_reset_fails_enotty(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_KERNEL };
	const struct kd_sim_event *e;

	(void)state;
	/* "acpi": a method the simulated kernel answers ENOTTY at once */
	kd_sim_set_kernel_reset(f, "acpi");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	/* pci_reset_function()'s ENOTTY at once: no method of the kernel's
	 * applies; the method is unavailable, the device has not failed */
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "not available"));
	/* reset_method untouched ("kernel": the kernel's own order) */
	assert_string_equal(kd_sim_reset_method(f), "acpi");
	/* pci_reset_function() restored Command, Bus Master included, in
	 * spite of the error: an unbound function still ends without it */
	e = kd_sim_find_write(w->sim, A(f), PCI_COMMAND, 0);
	assert_non_null(e);
	assert_int_equal(e->value, PCI_COMMAND_MEMORY);
	assert_false(w->res[0].after.bus_master);
	assert_int_equal(kd_sim_cfg_get(f, PCI_COMMAND, 2) &
			 PCI_COMMAND_MASTER, 0);
	world_free(w);
}

/* The lab's virtio-net at 01:01.0 behind QEMU's pcie-pci-bridge, with
 * siblings at 01:02.0 and 01:03.0: reset_method says "bus" (it was probed
 * before they were added), but pci_parent_bus_reset() refuses a function
 * that is not alone on its bus.  Writing "reset" is skipped (it cost
 * 117 ms in the lab for an ENOTTY); kdsafe's own bus reset does it. */
static void test_kernel_bus_with_siblings_not_written(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_AUTO };
	const struct kd_reset_result *r = &w->res[0];
	struct kd_sim_fn *f, *g;

	(void)state;
	kd_sim_add_pci_bridge(w->sim, "00:05.0", NULL);
	f = kd_sim_add(w->sim, "01:01.0", "00:05.0", 0x1af4, 0x1000, 0x020000);
	g = kd_sim_add(w->sim, "01:02.0", "00:05.0", 0x1af4, 0x1001, 0x010000);
	kd_sim_set_live(f);
	kd_sim_set_live(g);
	kd_sim_set_kernel_reset(f, "bus");
	assert_int_equal(run_reset(w, &o, "01:01.0", NULL), 0);
	assert_int_equal(r->status, KD_RS_OK);
	assert_int_equal(r->used, KD_RM_BUS);
	assert_null(kd_sim_find_attr_write(w->sim, A(f), "reset"));
	assert_int_equal(r->attempts[0].method, KD_RM_KERNEL);
	assert_int_equal(r->attempts[0].err, -ENOTTY);
	assert_non_null(strstr(r->attempts[0].why, "0000:01:01.0 shares its "
				"bus with 0000:01:02.0"));
	assert_int_equal(kd_sim_resets(f), 1);
	assert_int_equal(kd_sim_resets(g), 1);
	/* alone on its bus, the kernel's bus reset is the kernel's to do */
	world_free(w);
	w = world_new();
	r = &w->res[0];
	kd_sim_add_pci_bridge(w->sim, "00:05.0", NULL);
	f = kd_sim_add(w->sim, "01:01.0", "00:05.0", 0x1af4, 0x1000, 0x020000);
	kd_sim_set_live(f);
	kd_sim_set_kernel_reset(f, "bus");
	assert_int_equal(run_reset(w, &o, "01:01.0", NULL), 0);
	assert_int_equal(r->status, KD_RS_OK);
	assert_int_equal(r->used, KD_RM_KERNEL);
	assert_non_null(kd_sim_find_attr_write(w->sim, A(f), "reset"));
	world_free(w);
}

/* Below a hot-plug capable Root Port the kernel's bus reset is the
 * slot's (pciehp_reset_slot()), but pci_dev_reset_slot_function() refuses
 * a multi-function device and pci_parent_bus_reset() a function with
 * siblings: "reset" is not written for 01:00.0 with its 01:00.1.  A
 * single-function device in the slot is the kernel's to reset. */
static void test_kernel_bus_multifunction_in_slot_not_written(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_AUTO };
	const struct kd_reset_result *r = &w->res[0];
	struct kd_sim_fn *rp, *f, *g;

	(void)state;
	rp = kd_sim_add_bridge(w->sim, "00:1c.0", NULL, 2, true);
	kd_sim_slot(rp);
	f = kd_sim_add(w->sim, "01:00.0", "00:1c.0", 0x1af4, 0x1000, 0x020000);
	g = kd_sim_add(w->sim, "01:00.1", "00:1c.0", 0x1af4, 0x1001, 0x010000);
	kd_sim_set_live(f);
	kd_sim_set_live(g);
	kd_sim_set_kernel_reset(f, "bus");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_null(kd_sim_find_attr_write(w->sim, A(f), "reset"));
	assert_int_equal(r->attempts[0].method, KD_RM_KERNEL);
	assert_int_equal(r->attempts[0].err, -ENOTTY);
	assert_int_equal(r->status, KD_RS_OK);
	assert_int_equal(r->used, KD_RM_BUS);
	world_free(w);
	/* not multi-function (a sibling at another device number): the
	 * slot's reset takes it */
	w = world_new();
	r = &w->res[0];
	rp = kd_sim_add_bridge(w->sim, "00:1c.0", NULL, 2, true);
	kd_sim_slot(rp);
	f = kd_sim_add(w->sim, "01:00.0", "00:1c.0", 0x1af4, 0x1000, 0x020000);
	g = kd_sim_add(w->sim, "01:01.0", "00:1c.0", 0x1af4, 0x1001, 0x010000);
	kd_sim_set_live(f);
	kd_sim_set_kernel_reset(f, "bus");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_non_null(kd_sim_find_attr_write(w->sim, A(f), "reset"));
	assert_int_equal(r->status, KD_RS_OK);
	assert_int_equal(r->used, KD_RM_KERNEL);
	world_free(w);
}

static int policy_avoid_flr(void *data, struct kd_dev *dev,
			    const struct kd_probe_info *in,
			    struct kd_reset_policy *p)
{
	(void)data;
	(void)dev;
	(void)in;
	snprintf(p->source, sizeof(p->source), "no-flr.conf:1");
	p->avoid = KD_RM_BIT(KD_RM_FLR) | KD_RM_BIT(KD_RM_KERNEL_FLR);
	return 0;
}

/* the kernel method is what the kernel will do: with avoid=flr, auto's
 * kernel reset must not run the kernel's FLR; reset_method is narrowed
 * to what the policy allows and put back after */
static void test_kernel_narrowed_to_policy(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_AUTO,
				   .policy_fn = policy_avoid_flr };
	const char *want[][2] = { { "reset_method", "pm bus" },
				  { "reset", "1" },
				  { "reset_method", "flr pm bus" } };
	size_t k = 0;

	(void)state;
	kd_sim_set_kernel_reset(f, "flr pm bus");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_KERNEL);
	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		const struct kd_sim_event *e = kd_sim_event(w->sim, i);

		if (e->kind == KD_SIM_EV_RESET)
			assert_string_equal(e->text, "kernel pm");
		if (e->kind != KD_SIM_EV_ATTR_WRITE)
			continue;
		assert_true(k < 3);
		assert_string_equal(e->attr, want[k][0]);
		assert_string_equal(e->text, want[k][1]);
		k++;
	}
	assert_int_equal(k, 3);
	assert_string_equal(kd_sim_reset_method(f), "flr pm bus");
	world_free(w);
}

/* Before Linux 5.15 there is no reset_method to narrow: the kernel's
 * "reset" runs its own first method (FLR), so with avoid=flr the plain
 * kernel reset is not available and auto goes on to a method it allows */
static void test_kernel_without_reset_method_keeps_avoid(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_AUTO,
				   .policy_fn = policy_avoid_flr };
	size_t k;

	(void)state;
	kd_sim_set_kernel_reset(f, NULL);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_PM);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_ATTR_WRITE, NULL), 0);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_RESET, NULL), 1);
	for (k = 0; k < w->res[0].n_attempts; k++)
		if (w->res[0].attempts[k].method == KD_RM_KERNEL)
			break;
	assert_true(k < w->res[0].n_attempts);
	assert_non_null(strstr(w->res[0].attempts[k].why, "reset_method"));
	world_free(w);
}

/* a VF's kernel reset never includes bus (it would reset the PF) */
static void test_kernel_vf_without_bus(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *pf = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_sim_fn *vf;
	struct kd_reset_opts o = { .method = KD_RM_KERNEL };
	const struct kd_sim_event *e;

	(void)state;
	kd_sim_ecap_sriov(pf, 1, 1, 1);
	vf = kd_sim_add_vf(w->sim, "01:00.1", "01:00.0");
	kd_sim_set_kernel_reset(vf, "bus");
	assert_int_equal(run_reset(w, &o, "01:00.1", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_ATTR_WRITE, NULL), 0);
	kd_sim_set_kernel_reset(vf, "flr bus");
	assert_int_equal(run_reset(w, &o, "01:00.1", NULL), 0);
	e = kd_sim_find_write(w->sim, A(vf), PCI_COMMAND, 0);
	(void)e;
	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		e = kd_sim_event(w->sim, i);
		if (e->kind == KD_SIM_EV_ATTR_WRITE) {
			assert_string_equal(e->attr, "reset_method");
			assert_string_equal(e->text, "flr");
			break;
		}
	}
	assert_int_equal(kd_sim_resets(pf), 0);
	world_free(w);
}

/* reset_method_store() answers EINVAL when the kernel's probe of a method
 * fails: the method is not available, the device has not failed */
static void count_errors(void *data, int prio, const char *file, int line,
			 const char *fn, const char *format, va_list args)
{
	(void)file, (void)line, (void)fn, (void)format, (void)args;
	if (prio <= KD_LOG_ERR)
		(*(int *)data)++;
}

static void test_kernel_einval_is_unavailable(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_KERNEL_FLR };
	int errors = 0;
	size_t i;

	(void)state;
	kd_sim_set_kernel_reset(f, "flr pm bus");
	kd_sim_set_flags(f, KD_SIM_RESET_METHOD_EINVAL);
	assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	kd_ctx_set_log_fn(w->ctx, count_errors, &errors);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_int_equal(errors, 0); /* not available is no device error */
	assert_non_null(strstr(w->res[0].reason, "not available"));
	/* nothing to put back: the kernel kept its list */
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_ATTR_WRITE, NULL), 1);
	assert_string_equal(kd_sim_reset_method(f), "flr pm bus");
	/* auto goes on to the next method */
	o.method = KD_RM_AUTO;
	o.policy_fn = policy_avoid_flr;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[0].used, KD_RM_PM);
	for (i = 0; i < w->res[0].n_attempts; i++)
		if (w->res[0].attempts[i].method == KD_RM_KERNEL)
			break;
	assert_true(i < w->res[0].n_attempts);
	assert_non_null(strstr(w->res[0].attempts[i].why, "not available"));
	world_free(w);
}

/* ---- safety -------------------------------------------------------------- */

static void test_bound_device_refused(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };

	(void)state;
	kd_sim_bind(f, "nvme");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_int_equal(w->res[0].err, -EBUSY);
	assert_non_null(strstr(w->res[0].reason, "nvme"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	o.force = true;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	/* bound: its driver owns Bus Master, the restore gives it back */
	assert_true(w->res[0].after.bus_master);
	world_free(w);
}

static void test_bus_reset_bound_sibling_refused(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *b;
	struct kd_reset_opts o = { .method = KD_RM_BUS };

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	b = flr_endpoint(w, "00:1c.0", "01:00.1");
	kd_sim_bind(b, "e1000e");
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "0000:01:00.1"));
	assert_non_null(strstr(w->res[0].reason, "e1000e"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	o.force = true;
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	/* the bound sibling got everything back, Bus Master included */
	assert_int_equal(kd_sim_resets(b), 1);
	assert_true(kd_sim_cfg_get(b, 4, 2) & PCI_COMMAND_MASTER);
	world_free(w);
}

static void test_bus_reset_root_bus_refused(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_BUS };

	(void)state;
	endpoint(w, NULL, "00:02.0", 0x1234, 0x1, true);
	assert_int_equal(run_reset(w, &o, "00:02.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_REFUSED);
	assert_non_null(strstr(w->res[0].reason, "root bus"));
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	world_free(w);
}

/* host and LPC bridges are firmware's: never a config write, any method */
static void test_platform_bridges_refused(void **state)
{
	static const enum kd_reset_method methods[] = {
		KD_RM_AUTO, KD_RM_QUIESCE, KD_RM_PM };
	struct world *w = world_new();
	struct kd_sim_fn *host, *lpc;

	(void)state;
	host = kd_sim_add(w->sim, "00:00.0", NULL, 0x8086, 0x3e30, 0x060000);
	lpc = kd_sim_add(w->sim, "00:1f.0", NULL, 0x8086, 0xa306, 0x060100);
	kd_sim_cap_pm(lpc, false);
	kd_sim_set_live(host);
	kd_sim_set_live(lpc);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		struct kd_reset_opts o = { .method = methods[i], .force = true };

		assert_int_equal(run_reset(w, &o, "00:00.0", "00:1f.0", NULL), 0);
		assert_int_equal(w->res[0].status, KD_RS_REFUSED);
		assert_int_equal(w->res[1].status, KD_RS_REFUSED);
		assert_non_null(strstr(w->res[0].reason, "class 0600"));
		assert_non_null(strstr(w->res[1].reason, "class 0601"));
	}
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	world_free(w);
}

static void test_dry_run_writes_nothing(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_AUTO, .dry_run = true };
	const struct kd_reset_result *r = &w->res[0];
	bool saw_flr = false, saw_sleep = false, saw_poll = false;

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.1");
	kd_sim_set_kernel_reset(f, "flr bus");
	assert_int_equal(run_reset(w, &o, "01:00.0", "01:00.1", NULL), 0);
	assert_int_equal(kd_sim_n_events(w->sim), 0); /* no write, no sleep */
	assert_int_equal(r->status, KD_RS_PLANNED);
	assert_int_equal(r->used, KD_RM_KERNEL);
	assert_int_equal(w->res[1].used, KD_RM_FLR);
	for (size_t i = 0; i < w->res[1].n_ops; i++) {
		const struct kd_reset_op *op = &w->res[1].ops[i];

		if (op->kind == KD_OP_CFG_WRITE && op->width == 2 &&
		    (op->value & PCI_EXP_DEVCTL_BCR_FLR))
			saw_flr = true;
		if (op->kind == KD_OP_SLEEP && op->ns == MSN(100) && saw_flr)
			saw_sleep = true;
		if (op->kind == KD_OP_POLL && saw_sleep)
			saw_poll = true;
	}
	assert_true(saw_flr && saw_sleep && saw_poll);
	assert_int_equal(kd_sim_resets(f), 0);
	world_free(w);
}

static void test_writes_not_enabled(void **state)
{
	struct world *w = world_new();
	struct kd_ctx_options co = { .backend = &kd_sim_backend,
				     .backend_data = w->sim,
				     .log_priority = KD_LOG_ERR };
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	struct kd_addr a;

	(void)state;
	co.log_fn = NULL;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	assert_int_equal(kd_ctx_new(&co, &w->ctx), 0);
	kd_ctx_set_log_priority(w->ctx, 0);
	kd_addr_parse("01:00.0", &a);
	assert_int_equal(kd_reset_run(w->ctx, &o, &a, 1, w->res), -EPERM);
	w->n = 1;
	assert_int_equal(kd_sim_n_events(w->sim), 0);
	world_free(w);
}

/* ---- bad input ------------------------------------------------------------ */

static void test_unknown_device_others_handled(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_FLR };

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	assert_int_equal(run_reset(w, &o, "05:00.0", "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_FAILED);
	assert_int_equal(w->res[0].err, -ENODEV);
	assert_string_equal(w->res[0].name, "0000:05:00.0");
	assert_non_null(strstr(w->res[0].reason, "no such"));
	assert_int_equal(w->res[1].status, KD_RS_OK);
	world_free(w);
}

static void test_eio_on_config_write(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *a = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_FLR };

	(void)state;
	flr_endpoint(w, "00:1d.0", "02:00.0");
	kd_sim_fail_write(a, ~0u);
	assert_int_equal(run_reset(w, &o, "01:00.0", "02:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_FAILED);
	assert_int_equal(w->res[0].err, -EIO);
	assert_non_null(strstr(w->res[0].reason, "Input/output"));
	assert_non_null(strstr(kd_sim_log_text(w->sim), "0000:01:00.0"));
	assert_int_equal(w->res[1].status, KD_RS_OK);
	world_free(w);
}

static void test_device_vanishes_mid_reset(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *a = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_AUTO };

	(void)state;
	flr_endpoint(w, "00:1d.0", "02:00.0");
	kd_sim_set_flags(a, KD_SIM_VANISH_ON_RESET);
	assert_int_equal(run_reset(w, &o, "01:00.0", "02:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_FAILED);
	assert_int_equal(w->res[0].err, -ENODEV);
	assert_non_null(strstr(w->res[0].reason, "disappeared"));
	assert_true(w->res[0].after.dead);
	assert_int_equal(w->res[1].status, KD_RS_OK);
	world_free(w);
}

static void test_method_names(void **state)
{
	enum kd_reset_method m;

	(void)state;
	for (unsigned i = KD_RM_AUTO; i < KD_RM_COUNT; i++) {
		assert_int_equal(kd_reset_method_parse(
					 kd_reset_method_name(i), &m), 0);
		assert_int_equal(m, i);
	}
	assert_int_equal(kd_reset_method_parse("af_flr", &m), 0);
	assert_int_equal(m, KD_RM_AF_FLR);
	assert_int_equal(kd_reset_method_parse("reboot", &m), -EINVAL);
	assert_int_equal(kd_reset_method_parse("", &m), -EINVAL);
	assert_int_equal(kd_reset_method_parse("none", &m), -EINVAL);
	assert_int_equal(kd_reset_method_parse(NULL, &m), -EINVAL);
}

/* ---- planner --------------------------------------------------------------- */

static void test_multifunction_order_fn0_last(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	const char *seen[3];
	size_t k = 0;

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	flr_endpoint(w, "00:1c.0", "01:00.1");
	flr_endpoint(w, "00:1c.0", "01:00.2");
	assert_int_equal(run_reset(w, &o, "01:00.0", "01:00.1", "01:00.2",
				   NULL), 0);
	for (size_t i = 0; i < kd_sim_n_events(w->sim) && k < 3; i++) {
		const struct kd_sim_event *e = kd_sim_event(w->sim, i);

		if (e->kind == KD_SIM_EV_RESET)
			seen[k++] = e->addr.fn == 2 ? "2" : e->addr.fn ? "1" :
								      "0";
	}
	assert_int_equal(k, 3);
	assert_string_equal(seen[0], "2");
	assert_string_equal(seen[1], "1");
	assert_string_equal(seen[2], "0");
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(w->res[i].status, KD_RS_OK);
	world_free(w);
}

static void test_one_bus_reset_covers_domain(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *a, *b;
	struct kd_reset_opts o = { .method = KD_RM_BUS };

	(void)state;
	a = flr_endpoint(w, "00:1c.0", "01:00.0");
	b = flr_endpoint(w, "00:1c.0", "01:00.1");
	assert_int_equal(run_reset(w, &o, "01:00.0", "01:00.1", NULL), 0);
	assert_int_equal(kd_sim_resets(a), 1);
	assert_int_equal(kd_sim_resets(b), 1);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[1].status, KD_RS_OK);
	assert_non_null(strstr(w->res[0].reason[0] ? w->res[0].reason :
			       w->res[1].reason, "together with"));
	world_free(w);
}

/* An integrated PF on the root bus and its VFs at other device numbers:
 * a PF's reset takes its VFs along (SR-IOV 1.1 §2.2.2), so they are one
 * domain, run serially, the VFs first and the PF last */
static void test_pf_and_vfs_one_domain(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_FLR, .jobs = 0 };
	struct kd_sim_fn *pf;
	const struct kd_sim_event *last = NULL;
	size_t n_resets = 0;

	(void)state;
	pf = endpoint(w, NULL, "00:02.0", 0x8086, 0x10d3, true);
	/* devfn 0x10; VFs at 0x18, 0x20: First VF Offset 8, Stride 8 */
	kd_sim_ecap_sriov(pf, 2, 8, 8);
	kd_sim_set_live(kd_sim_add_vf(w->sim, "00:03.0", "00:02.0"));
	kd_sim_set_live(kd_sim_add_vf(w->sim, "00:04.0", "00:02.0"));
	kd_sim_sleep_rendezvous(w->sim, 2, 50);
	assert_int_equal(run_reset(w, &o, "00:02.0", "00:03.0", "00:04.0",
				   NULL), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(w->res[i].status, KD_RS_OK);
	/* never two asleep together: no PF/VF reset interleaves */
	assert_int_equal(kd_sim_peak_sleepers(w->sim), 1);
	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		const struct kd_sim_event *e = kd_sim_event(w->sim, i);

		if (e->kind != KD_SIM_EV_RESET)
			continue;
		if (!n_resets++)
			assert_false(kd_addr_eq(&e->addr, A(pf)));
		last = e;
	}
	assert_non_null(last);
	assert_true(kd_addr_eq(&last->addr, A(pf)));
	world_free(w);
}

static void test_independent_domains_in_parallel(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_FLR, .jobs = 0 };
	char rp[16], ep[16];

	(void)state;
	for (int i = 0; i < 8; i++) {
		snprintf(rp, sizeof(rp), "00:%02x.0", 0x10 + i);
		snprintf(ep, sizeof(ep), "%02x:00.0", 0x10 + i);
		flr_endpoint(w, rp, ep);
	}
	/* all eight domains must be asleep in their FLR wait at once */
	kd_sim_sleep_rendezvous(w->sim, 8, 5000);
	assert_int_equal(run_reset(w, &o, "10:00.0", "11:00.0", "12:00.0",
				   "13:00.0", "14:00.0", "15:00.0", "16:00.0",
				   "17:00.0", NULL), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(w->res[i].status, KD_RS_OK);
	assert_int_equal(kd_sim_peak_sleepers(w->sim), 8);
	/* each did its own 100 ms, whatever the interleaving */
	assert_int_equal(kd_sim_count(w->sim, KD_SIM_EV_RESET, NULL), 8);
	assert_int_equal(kd_sim_total_sleep(w->sim), MSN(800));
	/* --jobs 1: one domain at a time, never two asleep together */
	o.jobs = 1;
	kd_sim_sleep_rendezvous(w->sim, 2, 20);
	assert_int_equal(run_reset(w, &o, "10:00.0", "11:00.0", NULL), 0);
	assert_int_equal(kd_sim_peak_sleepers(w->sim), 1);
	world_free(w);
}

static bool in_conv_domain(const struct kd_addr *a)
{
	return a->bus == 3 || (a->bus == 0 && a->dev == 0x1e);
}

/* The capture kernel has one CPU: the domain expected to wait longest (a
 * bus reset below a conventional bridge, 1.1 s) starts first and alone;
 * the FLR domains (100 ms) start once it waits, their work inside its
 * wait.  Serially (--jobs 1) it is simply first. */
static void test_longest_wait_domain_first(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_AUTO, .jobs = 1 };
	size_t deassert, other;
	struct kd_sim_fn *c;

	(void)state;
	flr_endpoint(w, "00:1c.0", "01:00.0");
	flr_endpoint(w, "00:1d.0", "02:00.0");
	kd_sim_add_pci_bridge(w->sim, "00:1e.0", NULL);
	c = kd_sim_add(w->sim, "03:01.0", "00:1e.0", 0x10ec, 0x8139, 0x020000);
	kd_sim_set_live(c);
	for (int jobs = 1; jobs >= 0; jobs--) {
		o.jobs = (unsigned)jobs;
		/* each sleep lingers (real time) until another domain sleeps
		 * too, or 50 ms: time for any domain let in to write */
		if (jobs == 0)
			kd_sim_sleep_rendezvous(w->sim, 2, 50);
		assert_int_equal(run_reset(w, &o, "01:00.0", "02:00.0",
					   "03:01.0", NULL), 0);
		for (int i = 0; i < 3; i++)
			assert_int_equal(w->res[i].status, KD_RS_OK);
		assert_int_equal(w->res[2].used, KD_RM_BUS);
		/* the Secondary Bus Reset asserted and deasserted (the 2 ms
		 * hold is no gate) before any write of the FLR domains: they
		 * start in its 1.1 s */
		deassert = other = SIZE_MAX;
		for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
			const struct kd_sim_event *e = kd_sim_event(w->sim, i);

			if (e->kind != KD_SIM_EV_CFG_WRITE)
				continue;
			if (!in_conv_domain(&e->addr)) {
				if (other == SIZE_MAX)
					other = i;
			} else if (e->pos == PCI_BRIDGE_CONTROL &&
				   !(e->value & PCI_BRIDGE_CTL_BUS_RESET) &&
				   deassert == SIZE_MAX) {
				deassert = i;
			}
		}
		assert_int_not_equal(deassert, SIZE_MAX);
		assert_int_not_equal(other, SIZE_MAX);
		assert_true(deassert < other);
	}
	world_free(w);
}

/* The lead's first long wait can be a poll's: with Transactions Pending
 * set, the FLR first waits for it (pci_wait_for_pending_transaction():
 * reads 100, 200, 400 ms apart).  The other domains start in that wait,
 * not after the FLR is initiated. */
static void test_gate_opens_in_pending_poll(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	size_t flr = SIZE_MAX, other = SIZE_MAX;
	struct kd_sim_fn *lead, *quick;
	unsigned devctl;

	(void)state;
	lead = flr_endpoint(w, "00:1c.0", "01:00.0");
	kd_sim_set_flags(lead, KD_SIM_TRANS_PEND);
	quick = flr_endpoint(w, "00:1d.0", "02:00.0");
	kd_sim_set_immediate_ready(quick); /* expects no wait: not the lead */
	devctl = kd_sim_exp_pos(lead) + PCI_EXP_DEVCTL;
	/* each sleep lingers (real time) until another domain sleeps too,
	 * or 100 ms: time for a domain let in to write */
	kd_sim_sleep_rendezvous(w->sim, 2, 100);
	assert_int_equal(run_reset(w, &o, "01:00.0", "02:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(w->res[1].status, KD_RS_OK);
	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		const struct kd_sim_event *e = kd_sim_event(w->sim, i);

		if (e->kind != KD_SIM_EV_CFG_WRITE)
			continue;
		if (kd_addr_eq(&e->addr, A(quick)) && other == SIZE_MAX)
			other = i;
		if (kd_addr_eq(&e->addr, A(lead)) && e->pos == devctl &&
		    (e->value & PCI_EXP_DEVCTL_BCR_FLR) && flr == SIZE_MAX)
			flr = i;
	}
	assert_int_not_equal(flr, SIZE_MAX);
	assert_int_not_equal(other, SIZE_MAX);
	assert_true(other < flr);
	world_free(w);
}

struct done_log {
	pthread_mutex_t lock; /* done_fn runs in the resetting threads */
	unsigned calls;
	char seen[4][KD_ADDR_STRLEN];
	enum kd_reset_status status[4];
};

static void note_done(void *data, const struct kd_reset_result *r)
{
	struct done_log *d = data;

	pthread_mutex_lock(&d->lock);
	if (d->calls < 4) {
		snprintf(d->seen[d->calls], sizeof(d->seen[0]), "%s", r->name);
		d->status[d->calls] = r->status;
	}
	d->calls++;
	pthread_mutex_unlock(&d->lock);
}

/* reset --all hands its identify to the planner (opts.infos): the plan
 * reads no config space again; each reset still reads afresh.  done_fn
 * sees each result once it is final, a missing function's too. */
static void test_given_infos_and_done_fn(void **state)
{
	struct world *w = world_new();
	struct kd_reset_opts o = { .method = KD_RM_FLR };
	struct kd_sim_fn *f = flr_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_probe_info in[2];
	struct done_log d = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct kd_dev *dev;
	size_t plain, given;

	(void)state;
	kd_sim_trace_reads(f, true);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	plain = full_reads(w, f);
	assert_int_equal(kd_dev_open(w->ctx, A(f), &dev), 0);
	assert_int_equal(kd_probe_identify(NULL, dev, &in[0]), 0);
	kd_dev_free(dev);
	memset(&in[1], 0, sizeof(in[1]));
	o.infos = in;
	o.done_fn = note_done;
	o.done_data = &d;
	assert_int_equal(run_reset(w, &o, "01:00.0", "07:00.0", NULL), 0);
	given = full_reads(w, f);
	assert_int_equal(given + 1, plain);
	assert_int_equal(w->res[0].status, KD_RS_OK);
	assert_int_equal(d.calls, 2);
	for (int i = 0; i < 2; i++) {
		bool first = strcmp(d.seen[i], "0000:01:00.0") == 0;

		assert_true(first || strcmp(d.seen[i], "0000:07:00.0") == 0);
		assert_int_equal(d.status[i], first ? KD_RS_OK : KD_RS_FAILED);
	}
	kd_probe_info_clear(&in[0]);
	world_free(w);
}

/* reset --all skips the sysfs reads of what config space alone rules out
 * (kd_probe_maybe_candidate()): never a candidate kd_probe() would pick */
static void test_maybe_candidate_from_config_alone(void **state)
{
	static const struct { const char *a; bool maybe; } want[] = {
		{ "00:1c.0", false }, /* a bridge */
		{ "00:00.2", false }, /* the IOMMU: the kernel's */
		{ "01:00.0", true },  /* dirty, unbound */
		{ "02:00.0", true },  /* dirty, bound: sysfs decides (no) */
		{ "03:00.0", false }, /* clean */
	};
	struct world *w = world_new();
	struct kd_prober *p;
	struct kd_sim_fn *f;

	(void)state;
	f = kd_sim_add(w->sim, "00:00.2", NULL, 0x1022, 0x1481, 0x080600);
	kd_sim_cap_msi(f);
	kd_sim_set_live(f);
	flr_endpoint(w, "00:1c.0", "01:00.0");
	kd_sim_bind(flr_endpoint(w, "00:1c.0", "02:00.0"), "e1000e");
	kd_sim_add(w->sim, "03:00.0", "00:1c.0", 0x8086, 0x10d3, 0x020000);
	assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	assert_int_equal(kd_prober_new(w->ctx, &p), 0);
	kd_prober_set_modules(p, false);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct kd_probe_info in;
		struct kd_addr a;
		struct kd_dev *dev;
		bool maybe;

		assert_int_equal(kd_addr_parse(want[i].a, &a), 0);
		assert_int_equal(kd_dev_open(w->ctx, &a, &dev), 0);
		maybe = kd_probe_maybe_candidate(dev);
		assert_int_equal(kd_probe(p, dev, &in), 0);
		if (maybe != want[i].maybe)
			fail_msg("%s: maybe %d", want[i].a, maybe);
		/* sound: whatever kd_probe() picks, the filter let through */
		assert_true(maybe || !kd_probe_reset_candidate(&in));
		kd_probe_info_clear(&in);
		kd_dev_free(dev);
	}
	kd_prober_free(p);
	world_free(w);
}

/* Reads of fn's config space at or past 100h (fn traced) */
static size_t reads_past_header(struct world *w, struct kd_sim_fn *fn)
{
	size_t n = 0;

	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		const struct kd_sim_event *e = kd_sim_event(w->sim, i);

		n += e->kind == KD_SIM_EV_CFG_READ &&
		     kd_addr_eq(&e->addr, kd_sim_fn_addr(fn)) &&
		     e->pos + e->width > 0x104;
	}
	return n;
}

/* Choosing from config space alone reads no bridge past 100h: no bridge
 * is a candidate, and a root port's 4 KiB read cost 0.97 ms under TCG.
 * An endpoint's AER status still counts (its extended capabilities are
 * read), and the whole identify still decodes the bridge's. */
static void test_choice_reads_no_bridge_ext(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *rp, *ep;
	struct kd_probe_info in;
	struct kd_addr a;
	struct kd_dev *dev;
	unsigned aer;

	(void)state;
	rp = kd_sim_add_bridge(w->sim, "00:1c.0", NULL, 2, true);
	kd_sim_ecap_aer(rp);
	ep = kd_sim_add(w->sim, "01:00.0", "00:1c.0", 0x8086, 0x10d3,
			0x020000);
	kd_sim_cap_exp(ep, PCI_EXP_TYPE_ENDPOINT, true);
	aer = kd_sim_ecap_aer(ep); /* clean, but for its AER status */
	kd_sim_cfg_set(ep, aer + PCI_ERR_UNCOR_STATUS, 4, 1u << 4);
	assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	kd_sim_trace_reads(rp, true);
	assert_int_equal(kd_addr_parse("00:1c.0", &a), 0);
	assert_int_equal(kd_dev_open(w->ctx, &a, &dev), 0);
	kd_probe_identify_config(NULL, dev, &in);
	assert_false(kd_probe_reset_candidate(&in));
	assert_int_equal(reads_past_header(w, rp), 0);
	kd_probe_info_clear(&in);
	kd_probe_identify(NULL, dev, &in);
	assert_int_not_equal(in.aer_cap, 0);
	assert_true(reads_past_header(w, rp) > 0);
	kd_probe_info_clear(&in);
	kd_dev_free(dev);
	assert_int_equal(kd_addr_parse("01:00.0", &a), 0);
	assert_int_equal(kd_dev_open(w->ctx, &a, &dev), 0);
	kd_probe_identify_config(NULL, dev, &in);
	assert_int_equal(in.aer_cap, aer);
	assert_true(kd_probe_reset_candidate(&in));
	kd_probe_info_clear(&in);
	kd_dev_free(dev);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choice_reads_no_bridge_ext),
		cmocka_unit_test(test_auto_falls_through_noop_pm_to_bus),
		cmocka_unit_test(test_waited_accounting),
		cmocka_unit_test(test_kernel_enotty_falls_back_quietly),
		cmocka_unit_test(test_kernel_enotty_after_waiting_is_a_failure),
		cmocka_unit_test(test_auto_quiesce_when_nothing_resets),
		cmocka_unit_test(test_auto_virtio_on_root_bus),
		cmocka_unit_test(test_auto_flr_before_virtio),
		cmocka_unit_test(test_auto_policy_prefers_and_avoids),
		cmocka_unit_test(test_auto_forced_bound_msix_prefers_kernel),
		cmocka_unit_test(test_explicit_method_forbidden_by_policy),
		cmocka_unit_test(test_policy_pre_hook_runs_and_dry_runs),
		cmocka_unit_test(test_kernel_flr_selects_and_restores),
		cmocka_unit_test(test_kernel_method_not_offered),
		cmocka_unit_test(test_kernel_before_5_15),
		cmocka_unit_test(test_kernel_reset_fails_enotty),
		cmocka_unit_test(test_kernel_bus_with_siblings_not_written),
		cmocka_unit_test(test_kernel_bus_multifunction_in_slot_not_written),
		cmocka_unit_test(test_longest_wait_domain_first),
		cmocka_unit_test(test_gate_opens_in_pending_poll),
		cmocka_unit_test(test_given_infos_and_done_fn),
		cmocka_unit_test(test_maybe_candidate_from_config_alone),
		cmocka_unit_test(test_kernel_narrowed_to_policy),
		cmocka_unit_test(test_kernel_without_reset_method_keeps_avoid),
		cmocka_unit_test(test_kernel_vf_without_bus),
		cmocka_unit_test(test_kernel_einval_is_unavailable),
		cmocka_unit_test(test_bound_device_refused),
		cmocka_unit_test(test_bus_reset_bound_sibling_refused),
		cmocka_unit_test(test_platform_bridges_refused),
		cmocka_unit_test(test_bus_reset_root_bus_refused),
		cmocka_unit_test(test_dry_run_writes_nothing),
		cmocka_unit_test(test_writes_not_enabled),
		cmocka_unit_test(test_unknown_device_others_handled),
		cmocka_unit_test(test_eio_on_config_write),
		cmocka_unit_test(test_device_vanishes_mid_reset),
		cmocka_unit_test(test_method_names),
		cmocka_unit_test(test_multifunction_order_fn0_last),
		cmocka_unit_test(test_one_bus_reset_covers_domain),
		cmocka_unit_test(test_independent_domains_in_parallel),
		cmocka_unit_test(test_pf_and_vfs_one_domain),
	};

	return cmocka_run_group_tests_name("reset-plan", tests, NULL, NULL);
}
