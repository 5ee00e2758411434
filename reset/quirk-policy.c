// SPDX-License-Identifier: GPL-2.0-or-later
/* The quirk database as a reset policy: quirks -> reset, one way. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* What the hooks need: the merged plan and the identity it matched. */
struct quirk_hooks {
	struct kd_quirk_plan plan;
	struct kd_quirk_id id;
};

static int run_phase(struct kd_reset_exec *x, struct kd_dev *dev,
		     const struct quirk_hooks *h, enum kd_quirk_phase phase)
{
	return kd_exec_quirk_steps(x, dev, phase == KD_QUIRK_PRE ?
				   &h->plan.pre : phase == KD_QUIRK_RESET ?
				   &h->plan.reset : &h->plan.post, &h->id,
				   phase, h->plan.allow_insecure);
}

static int pre(struct kd_reset_exec *x, struct kd_dev *dev, void *data)
{
	return run_phase(x, dev, data, KD_QUIRK_PRE);
}

static int post(struct kd_reset_exec *x, struct kd_dev *dev, void *data)
{
	return run_phase(x, dev, data, KD_QUIRK_POST);
}

static int reset(struct kd_reset_exec *x, struct kd_dev *dev, void *data)
{
	return run_phase(x, dev, data, KD_QUIRK_RESET);
}

static void release(void *data)
{
	struct quirk_hooks *h = data;

	kd_quirk_plan_clear(&h->plan);
	free(h);
}

static void describe_source(const struct kd_quirk_plan *p, char *buf,
			    size_t len)
{
	const struct kd_quirk_entry *e = p->n_applied ?
		p->applied[p->n_applied - 1] : NULL;
	const char *name = e ? kd_quirk_entry_name(e) : NULL;

	if (!e)
		snprintf(buf, len, "quirk");
	else if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s:%u", kd_quirk_entry_file(e),
			 kd_quirk_entry_line(e));
}

int kd_reset_quirk_policy(void *quirks_db, struct kd_dev *dev,
			  const struct kd_probe_info *info,
			  struct kd_reset_policy *out)
{
	const struct kd_quirks *db = quirks_db;
	struct quirk_hooks *h;
	struct kd_quirk_plan *plan;
	int err;

	(void)dev;
	if (!db)
		return -ENOENT;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	plan = &h->plan;
	kd_quirk_id_from_probe(info, &h->id);
	err = kd_quirks_match(db, &h->id, plan);
	if (err < 0 || kd_quirk_plan_empty(plan)) {
		release(h);
		return err < 0 ? err : -ENOENT;
	}
	memset(out, 0, sizeof(*out));
	describe_source(plan, out->source, sizeof(out->source));
	for (size_t i = 0; i < plan->methods.n; i++) {
		enum kd_reset_method m;

		/* kernel:acpi, kernel:af_flr, kernel:cxl_bus: none of ours */
		if (kd_reset_method_parse(plan->methods.v[i], &m) == 0 &&
		    out->n_prefer < KD_RM_COUNT)
			out->prefer[out->n_prefer++] = m;
	}
	for (unsigned m = KD_RM_KERNEL; m < KD_RM_COUNT; m++)
		if (kd_quirk_plan_avoids(plan, kd_reset_method_name(m)))
			out->avoid |= KD_RM_BIT(m);
	if (plan->has_delay)
		out->delay_after_ns = plan->delay_after_reset_ns;
	if (plan->has_timeout)
		out->timeout_ns = plan->timeout_ns;
	out->has_d3hot_delay = plan->has_d3hot;
	out->d3hot_delay_ns = plan->d3hot_delay_ns;
	if (plan->pre.n)
		out->pre = pre;
	if (plan->post.n)
		out->post = post;
	if (plan->reset.n)
		out->reset = reset;
	out->hook_data = h;
	out->release = release;
	return 0;
}
