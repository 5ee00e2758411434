// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The step of a crash cycle, in the capture kernel before any driver
 * loads (docs/campaign.md): recover, record what each device inherited,
 * apply the cycle's variant and verify it, then load drivers one device
 * at a time, each behind a durable "loading X for D" intent, check
 * health and write the outcome.  The machine may die at any point; the
 * journal then says where (kd_journal_recover at the next boot).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign.h"
#include "probe/modules.h"
#include "quirks/quirks.h"
#include "access/regs.h"
#include "reset/reset.h"

#define DEFAULT_HEALTH_NS (10ull * 1000000000ull)
#define NS_PER_MS 1000000ull

struct step_dev {
	const struct kd_plan_device *pd;
	struct kd_dev *dev;
	struct kd_probe_info before;
	struct kd_journal_device jd;
	struct json_object *state_before, *state_after;
	bool done;            /* an outcome was written */
	int64_t fix_ms;
};

struct step {
	struct kd_ctx *ctx;
	const struct kd_step_opts *o;
	const struct kd_campaign_ops *ops;
	struct kd_journal *j;
	struct kd_journal_cycle jc;
	struct kd_step_summary *sum;
	struct kd_modules *mods;
};

static struct json_object *state_json(const struct kd_probe_info *in)
{
	struct json_object *o = json_object_new_object();
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%04x", in->command);
	json_object_object_add(o, "command", json_object_new_string(buf));
	json_object_object_add(o, "bus_master", json_object_new_boolean(
				       in->command & PCI_COMMAND_MASTER));
	json_object_object_add(o, "msi",
			       json_object_new_boolean(in->msi_enable));
	json_object_object_add(o, "msix",
			       json_object_new_boolean(in->msix_enable));
	snprintf(buf, sizeof(buf), "0x%04x", in->devsta);
	json_object_object_add(o, "devsta", json_object_new_string(buf));
	json_object_object_add(o, "verdict", json_object_new_string(
				       kd_verdict_name(in->verdict)));
	return o;
}

static struct json_object *reset_state_json(const struct kd_reset_state *s)
{
	struct json_object *o = json_object_new_object();
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%04x", s->command);
	json_object_object_add(o, "command", json_object_new_string(buf));
	json_object_object_add(o, "bus_master",
			       json_object_new_boolean(s->bus_master));
	json_object_object_add(o, "msi", json_object_new_boolean(s->msi));
	json_object_object_add(o, "msix", json_object_new_boolean(s->msix));
	snprintf(buf, sizeof(buf), "0x%04x", s->devsta);
	json_object_object_add(o, "devsta", json_object_new_string(buf));
	json_object_object_add(o, "verdict", json_object_new_string(
				       kd_verdict_name(s->verdict)));
	return o;
}

static void lava(struct step *s, struct step_dev *d, bool pass)
{
	char id[160];

	if (!s->o->signal)
		return;
	/* LAVA test case ids: letters, digits, "_-." */
	snprintf(id, sizeof(id), "%s_%s_r%u", d->pd->address, s->jc.variant,
		 s->jc.repeat);
	for (char *p = id; *p; p++)
		if (*p == ':')
			*p = '_';
	s->o->signal(s->o->signal_data, id, pass);
}

static int outcome(struct step *s, struct step_dev *d, enum kd_outcome oc,
		   const char *reason, int64_t load_ms, int64_t health_ms)
{
	struct kd_journal_result res = {
		.outcome = oc, .reason = reason, .fix_ms = d->fix_ms,
		.load_ms = load_ms, .health_ms = health_ms,
		.state_before = d->state_before,
		.state_after = d->state_after,
	};
	struct json_object *rec;
	int err;

	d->state_before = d->state_after = NULL; /* taken by the record */
	rec = kd_journal_outcome(&s->jc, &d->jd, &res);
	if (!rec)
		return -ENOMEM;
	err = kd_journal_append(s->j, rec);
	json_object_put(rec);
	if (err < 0)
		return err;
	d->done = true;
	if (oc == KD_OUTCOME_PASS)
		s->sum->passed++;
	else
		s->sum->failed++;
	NOTICE(s->ctx, "cycle %u %s: %s: %s%s%s", s->jc.cycle, s->jc.variant,
	       d->pd->address, kd_outcome_name(oc), reason ? ": " : "",
	       reason ? reason : "");
	lava(s, d, oc == KD_OUTCOME_PASS);
	return 0;
}

/* ---- the fix ------------------------------------------------------------ */

static int apply_variant(struct step *s, struct step_dev *devs, size_t n)
{
	struct kd_quirks_load_opts qo = { .default_dirs = true };
	struct kd_reset_opts ro = { .force = true };
	struct kd_reset_result *res;
	struct kd_quirks *db = NULL;
	struct kd_addr *addrs;
	const char *v = s->jc.variant;
	size_t live = 0, k = 0;
	int err = 0;

	if (strcmp(v, "none") == 0) {
		for (size_t i = 0; i < n; i++)
			devs[i].state_after = json_object_get(
				devs[i].state_before);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!devs[i].done)
			live++;
	if (strncmp(v, "quirk:", 6) == 0) {
		ro.method = KD_RM_AUTO;
		if (kd_quirks_load(s->ctx, &qo, &db) < 0)
			return -EINVAL;
		ro.policy_fn = kd_reset_quirk_policy;
		ro.policy_data = db;
	} else if (kd_reset_method_parse(v, &ro.method) < 0) {
		ERR(s->ctx, "cycle %u: unknown variant '%s'", s->jc.cycle, v);
		return -EINVAL;
	}
	res = calloc(live + 1, sizeof(*res));
	addrs = calloc(live + 1, sizeof(*addrs));
	if (!res || !addrs)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < n; i++)
		if (!devs[i].done)
			addrs[k++] = *kd_dev_addr(devs[i].dev);
	if (!err)
		err = kd_reset_run(s->ctx, &ro, addrs, live, res);
	for (size_t i = 0, ri = 0; !err && i < n; i++) {
		struct kd_reset_result *r;
		struct step_dev *d = &devs[i];

		if (d->done)
			continue;
		r = &res[ri++];

		d->fix_ms = (int64_t)(r->duration_ns / NS_PER_MS);
		d->state_after = reset_state_json(&r->after);
		kd_dev_refresh(d->dev);
		if (r->status == KD_RS_OK &&
		    r->witness.verdict != KD_WITNESS_NOOP)
			continue;
		err = outcome(s, d, r->status == KD_RS_DIRTY ||
				    r->witness.verdict == KD_WITNESS_NOOP ?
				    KD_OUTCOME_RESET_INEFFECTIVE :
				    KD_OUTCOME_RESET_FAILED,
			      r->reason[0] ? r->reason : "the fix did not hold",
			      -1, -1);
	}
	for (size_t i = 0; res && i < live; i++)
		kd_reset_result_clear(&res[i]);
	free(res);
	free(addrs);
	kd_quirks_free(db);
	return err;
}

/* ---- loading ------------------------------------------------------------ */

/* The module for a device: libkmod's answer for its modalias here, else
 * what the plan found in the first kernel. */
static const char *module_of(struct step *s, const struct kd_plan_device *pd,
			     char *buf, size_t len)
{
	char (*names)[KD_NAME_MAX] = NULL;
	unsigned n = 0;

	if (s->mods && pd->modalias[0] &&
	    kd_modules_lookup(s->mods, pd->modalias, &names, &n) == 0 && n) {
		snprintf(buf, len, "%s", names[0]);
		free(names);
		return buf;
	}
	free(names);
	if (pd->n_modules)
		return pd->modules[0];
	return pd->driver[0] ? pd->driver : NULL; /* built in there */
}

static int load_intent(struct step *s, const struct kd_journal_device *jd,
		       const char *module)
{
	struct json_object *rec = kd_journal_intent_load(&s->jc, jd, module);
	int err;

	if (!rec)
		return -ENOMEM;
	err = kd_journal_append(s->j, rec); /* fsynced before the load */
	json_object_put(rec);
	return err;
}

static int load_and_check(struct step *s, struct step_dev *d)
{
	uint64_t t0, t1, limit = s->o->health_timeout_ns ?
				 s->o->health_timeout_ns : DEFAULT_HEALTH_NS;
	char buf[KD_NAME_MAX], why[256] = "", reason[400];
	const char *module = module_of(s, d->pd, buf, sizeof(buf));
	int err;

	if (!module) {
		snprintf(reason, sizeof(reason), "no module for %s",
			 d->pd->modalias);
		return outcome(s, d, KD_OUTCOME_FAIL, reason, -1, -1);
	}
	err = load_intent(s, &d->jd, module);
	if (err < 0)
		return err;
	t0 = kd_now_ns(s->ctx);
	err = s->ops->load(s->ops->data, s->ctx, module, d->pd->address);
	t1 = kd_now_ns(s->ctx);
	if (err < 0) {
		snprintf(reason, sizeof(reason), "loading %s failed: %s",
			 module, strerror(-err));
		return outcome(s, d, KD_OUTCOME_FAIL, reason,
			       (int64_t)((t1 - t0) / NS_PER_MS), -1);
	}
	if (s->ops->health)
		err = s->ops->health(s->ops->data, s->ctx, d->dev, &d->before,
				     limit, why, sizeof(why));
	else
		err = kd_campaign_health(s->ctx, d->dev, &d->before,
					 &s->o->health, s->ops, limit, why,
					 sizeof(why));
	snprintf(reason, sizeof(reason), "%s: %s", module,
		 why[0] ? why : "unhealthy");
	return outcome(s, d, err < 0 ? KD_OUTCOME_FAIL : KD_OUTCOME_PASS,
		       err < 0 ? reason : NULL,
		       (int64_t)((t1 - t0) / NS_PER_MS),
		       (int64_t)((kd_now_ns(s->ctx) - t1) / NS_PER_MS));
}

/* The results device's chain, when it is not under test in this cycle:
 * loaded first, so the disk holding the journal stays reachable. */
static int load_target(struct step *s, const struct kd_plan *p,
		       const struct step_dev *devs, size_t n)
{
	struct kd_journal_device jd;
	int err = 0;

	if (!p->has_target)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(devs[i].pd->address, p->target.address) == 0)
			return 0;
	kd_plan_journal_device(&p->target, &jd);
	for (unsigned i = 0; !err && i < p->target.n_modules && i < 1; i++) {
		err = load_intent(s, &jd, p->target.modules[i]);
		if (!err && s->ops->load(s->ops->data, s->ctx,
					 p->target.modules[i],
					 p->target.address) < 0)
			WARN(s->ctx, "results device %s: loading %s failed",
			     p->target.address, p->target.modules[i]);
	}
	return err;
}

/* ---- the step ------------------------------------------------------------ */

static int open_devices(struct step *s, const struct kd_plan *p,
			const struct kd_plan_cycle *c, struct step_dev *devs)
{
	struct kd_topo topo = { 0 };
	size_t k = 0;
	int err = kd_topo_load(s->ctx, &topo);

	/* the results device first: its driver loads before the others */
	for (int pass = 0; !err && pass < 2; pass++) {
		for (size_t i = 0; !err && i < c->n; i++) {
			const struct kd_plan_device *pd = &p->devices[c->devs[i]];
			bool is_target = p->has_target &&
				strcmp(pd->address, p->target.address) == 0;
			struct step_dev *d;
			struct kd_addr a;

			if (is_target != (pass == 0))
				continue;
			d = &devs[k++];
			d->pd = pd;
			d->fix_ms = -1;
			kd_plan_journal_device(pd, &d->jd);
			if (kd_addr_parse(pd->address, &a) < 0 ||
			    kd_dev_open(s->ctx, &a, &d->dev) < 0)
				continue; /* gone: recorded as such below */
			kd_probe_identify(&topo, d->dev, &d->before);
			d->state_before = state_json(&d->before);
		}
	}
	kd_topo_free(&topo);
	return err;
}

static int run_cycle(struct step *s, const struct kd_plan *p,
		     const struct kd_plan_cycle *c)
{
	struct step_dev *devs = calloc(c->n + 1, sizeof(*devs));
	int err;

	if (!devs)
		return -ENOMEM;
	err = open_devices(s, p, c, devs);
	s->sum->devices = (unsigned)c->n;
	for (size_t i = 0; !err && i < c->n; i++)
		if (!devs[i].dev)
			err = outcome(s, &devs[i], KD_OUTCOME_FAIL,
				      "the function is gone", -1, -1);
	if (!err)
		err = apply_variant(s, devs, c->n);
	if (!err)
		err = load_target(s, p, devs, c->n);
	for (size_t i = 0; !err && i < c->n; i++)
		if (!devs[i].done)
			err = load_and_check(s, &devs[i]);
	for (size_t i = 0; i < c->n; i++) {
		json_object_put(devs[i].state_before);
		json_object_put(devs[i].state_after);
		kd_probe_info_clear(&devs[i].before);
		kd_dev_free(devs[i].dev);
	}
	free(devs);
	return err;
}

int kd_campaign_step(struct kd_ctx *ctx, const struct kd_step_opts *o,
		     const struct kd_campaign_ops *ops,
		     struct kd_step_summary *sum)
{
	struct step s = { .ctx = ctx, .o = o, .ops = ops, .sum = sum };
	struct kd_campaign_progress pr;
	const struct kd_plan_cycle *c;
	char path[4096], machine[128], kernel[128];
	struct kd_plan p;
	unsigned cycle = o->cycle;
	int err;

	memset(sum, 0, sizeof(*sum));
	snprintf(path, sizeof(path), "%s/%s", o->dir, KD_JOURNAL_FILE);
	err = kd_plan_load(ctx, o->dir, &p);
	if (err < 0)
		return err;
	err = kd_campaign_progress(ctx, o->dir, &p, &pr);
	json_object_put(pr.last);
	if (!err && !cycle)
		cycle = pr.open;
	c = kd_plan_cycle(&p, cycle);
	if (!err && !c) {
		ERR(ctx, "%s: no open cycle to step (kdsafe test next starts "
			 "one)", o->dir);
		err = -ENOENT;
	}
	if (!err)
		err = kd_journal_recover_except(ctx, path, o->io, cycle,
						&sum->recovered);
	sum->cycle = cycle;
	if (!err)
		err = kd_campaign_progress(ctx, o->dir, &p, &pr);
	if (err < 0)
		goto out;
	json_object_put(pr.last);
	if (pr.open != cycle) {
		if (pr.next && pr.next <= cycle)
			ERR(ctx, "cycle %u has no intent in the journal (kdsafe "
				 "test next writes it)", cycle);
		else
			NOTICE(ctx, "cycle %u is closed already (recovered at "
				    "this boot): nothing to step", cycle);
		err = pr.next && pr.next <= cycle ? -ENOENT : 0;
		goto out;
	}
	kd_campaign_identity(ctx, machine, sizeof(machine), kernel,
			     sizeof(kernel));
	s.jc = (struct kd_journal_cycle){
		.machine = pr.machine[0] ? pr.machine : machine,
		.kernel = kernel, .cycle = cycle, .repeat = c->repeat,
		.variant = c->variant };
	if (strcmp(c->variant, "none") != 0 && !kd_ctx_writes_enabled(ctx)) {
		ERR(ctx, "cycle %u applies %s: writes are not enabled", cycle,
		    c->variant);
		err = -EPERM;
		goto out;
	}
	err = kd_journal_open(ctx, path, o->io, &s.j);
	if (!err && kd_modules_new(ctx, &s.mods) < 0)
		s.mods = NULL;
	if (!err)
		err = run_cycle(&s, &p, c);
	kd_modules_free(s.mods);
	if (s.j) {
		int cerr = kd_journal_close(s.j);

		err = err ? err : cerr;
	}
out:
	kd_plan_clear(&p);
	return err;
}
