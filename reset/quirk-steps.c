// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Performing a quirk's pre/post steps (quirks/quirks.h describes them)
 * through the recorded executor: each config write, MMIO write, poll, wait
 * and script is an operation of the reset's result, under the executor's
 * checks (writes enabled, config-space bound, dry run touches nothing).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *why_of(enum kd_quirk_phase phase)
{
	return phase == KD_QUIRK_PRE ? "quirk pre step" : "quirk post step";
}

static int run_program(struct kd_reset_exec *x, struct kd_dev *dev,
		       const struct kd_quirk_step *s,
		       const struct kd_quirk_id *id, enum kd_quirk_phase phase,
		       bool allow_insecure)
{
	struct kd_reset_op *op = kd_exec_record(x, KD_OP_RUN,
						kd_dev_addr(dev),
						why_of(phase));
	size_t n = 0;

	for (size_t i = 0; s->argv[i] && n < sizeof(op->text); i++)
		n += (size_t)snprintf(op->text + n, sizeof(op->text) - n,
				      "%s%s", i ? " " : "", s->argv[i]);
	op->ns = s->timeout_ns;
	if (x->dry_run)
		return 0;
	op->result = kd_quirk_run_script(dev, s, phase, id, allow_insecure);
	return op->result;
}

static int run_step(struct kd_reset_exec *x, struct kd_dev *dev,
		    const struct kd_quirk_step *s,
		    const struct kd_quirk_id *id, enum kd_quirk_phase phase,
		    bool allow_insecure)
{
	const struct kd_quirk_reg *r = &s->reg;
	const char *why = why_of(phase);
	unsigned pos = 0;

	if (s->kind <= KD_STEP_POLL_MMIO && r->base != KD_REG_BAR &&
	    kd_quirk_reg_resolve(dev, r, &pos) < 0) {
		ERR(x->ctx, "%s: quirk %s:%u: the device has no such "
			    "capability: %s", kd_dev_name(dev), s->file,
		    s->line, s->text);
		return -ENODEV;
	}
	switch (s->kind) {
	case KD_STEP_CFG:
		return kd_reset_cfg_update(x, dev, pos, r->width,
					   (uint32_t)s->mask,
					   (uint32_t)s->value, why);
	case KD_STEP_MMIO:
		return kd_reset_bar_update(x, dev, r->bar, r->off, r->width,
					   s->mask, s->value, why);
	case KD_STEP_POLL_CFG:
		return kd_reset_poll(x, dev, -1, pos, r->width, s->mask,
				     s->value, s->interval_ns, s->timeout_ns,
				     why);
	case KD_STEP_POLL_MMIO:
		return kd_reset_poll(x, dev, r->bar, r->off, r->width,
				     s->mask, s->value, s->interval_ns,
				     s->timeout_ns, why);
	case KD_STEP_WAIT:
		kd_exec_sleep(x, kd_dev_addr(dev), s->timeout_ns, why);
		return 0;
	case KD_STEP_RUN:
		return run_program(x, dev, s, id, phase, allow_insecure);
	}
	return -EINVAL;
}

int kd_exec_quirk_steps(struct kd_reset_exec *x, struct kd_dev *dev,
			const struct kd_quirk_steps *steps,
			const struct kd_quirk_id *id,
			enum kd_quirk_phase phase, bool allow_insecure)
{
	for (size_t i = 0; i < steps->n; i++) {
		const struct kd_quirk_step *s = steps->v[i];
		char text[256];
		int err;

		kd_quirk_step_describe(s, dev, text, sizeof(text));
		INFO(x->ctx, "%s: %s%s: %s (%s:%u)", kd_dev_name(dev),
		     x->dry_run ? "would " : "", kd_quirk_phase_name(phase),
		     text, s->file, s->line);
		err = run_step(x, dev, s, id, phase, allow_insecure);
		if (err < 0) {
			/* the sequence stops at the failing step */
			ERR(x->ctx, "%s: quirk %s:%u: %s failed: %s",
			    kd_dev_name(dev), s->file, s->line, text,
			    strerror(-err));
			return err;
		}
	}
	return 0;
}
