// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Performing a quirk's pre/post/reset steps (quirks/quirks.h describes them)
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
	return phase == KD_QUIRK_PRE ? "quirk pre step" :
	       phase == KD_QUIRK_RESET ? "quirk device-specific reset step "
					 "(pci_dev_specific_reset)" :
	       "quirk post step";
}

/*
 * A poll bound read from the device (NVMe CAP.TO, nvme_disable_and_flr()):
 * live when writing, the largest the field allows in a dry run, which
 * reads nothing.
 */
static int poll_bound(struct kd_reset_exec *x, struct kd_dev *dev,
		      const struct kd_quirk_step *s, uint64_t *ns)
{
	const struct kd_quirk_bound *b = &s->bound;
	uint64_t v = 0;
	unsigned pos = 0;
	uint32_t c;
	int err;

	*ns = s->timeout_ns;
	if (!b->set || x->dry_run)
		return 0;
	if (b->reg.base == KD_REG_BAR) {
		err = kd_bar_read(dev, b->reg.bar, b->reg.off, b->reg.width, &v);
	} else {
		err = kd_quirk_reg_resolve(dev, &b->reg, &pos);
		if (!err)
			err = kd_cfg_read_live(dev, pos, b->reg.width, &c);
		v = c;
	}
	if (err < 0) {
		ERR(x->ctx, "%s: quirk %s:%u: cannot read the poll's bound: %s",
		    kd_dev_name(dev), s->file, s->line, strerror(-err));
		return err;
	}
	*ns = kd_quirk_bound_ns(b, v);
	return 0;
}

static unsigned pos_of(const struct kd_dev *dev, const struct kd_quirk_reg *r)
{
	unsigned pos = 0;

	kd_quirk_reg_resolve(dev, r, &pos);
	return pos;
}

/* The last operation recorded, to annotate; NULL if none was. */
static struct kd_reset_op *last_op(struct kd_reset_exec *x, size_t before)
{
	return x->res->n_ops > before ? &x->res->ops[x->res->n_ops - 1] : NULL;
}

static int poll_step(struct kd_reset_exec *x, struct kd_dev *dev,
		     const struct kd_quirk_step *s, int bar, uint64_t off,
		     const char *why)
{
	size_t before = x->res->n_ops;
	struct kd_reset_op *op;
	uint64_t ns;
	int err = poll_bound(x, dev, s, &ns);

	if (err < 0)
		return err;
	err = kd_reset_poll(x, dev, bar, off, s->reg.width, s->mask, s->value,
			    s->interval_ns, ns, why);
	op = last_op(x, before);
	if (op && s->bound.set) {
		size_t n = strlen(op->text);
		char reg[24], unit[32];

		if (s->bound.reg.base == KD_REG_BAR)
			snprintf(reg, sizeof(reg), "BAR%d+0x%x",
				 s->bound.reg.bar, (unsigned)s->bound.reg.off);
		else
			snprintf(reg, sizeof(reg), "config 0x%03x", pos_of(dev,
				 &s->bound.reg));
		snprintf(op->text + n, sizeof(op->text) - n, "; bound %s"
			 "(%s[%u:%u]+0x%x)*%s", x->dry_run ? "at most " : "",
			 reg, s->bound.hi, s->bound.lo, (unsigned)s->bound.add,
			 kd_quirk_format_ns(s->bound.unit_ns, unit,
					    sizeof(unit)));
	}
	return err;
}

/* One read; a mismatch: the device-specific reset is not available
 * (-EOPNOTSUPP, the kernel's -ENOTTY from the reset function) */
static int check_step(struct kd_reset_exec *x, struct kd_dev *dev,
		      const struct kd_quirk_step *s, int bar, uint64_t off)
{
	bool quiet = x->quiet;
	int err;

	x->quiet = true;
	err = kd_reset_poll(x, dev, bar, off, s->reg.width, s->mask, s->value,
			    0, 0, "quirk check: the device-specific reset "
			    "applies only if it holds");
	x->quiet = quiet;
	if (err == -ETIMEDOUT) {
		snprintf(x->res->reason, sizeof(x->res->reason),
			 "device-specific: not available (quirk %s:%u: %s "
			 "does not hold)", s->file, s->line, s->text);
		return -EOPNOTSUPP;
	}
	return err;
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
	/* the program may have written the device behind our back */
	kd_ctx_note_write(kd_dev_ctx(dev));
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

	if ((s->kind <= KD_STEP_POLL_MMIO || s->kind == KD_STEP_CHECK) &&
	    r->base != KD_REG_BAR &&
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
		return poll_step(x, dev, s, -1, pos, why);
	case KD_STEP_POLL_MMIO:
		return poll_step(x, dev, s, r->bar, r->off, why);
	case KD_STEP_CHECK:
		return r->base == KD_REG_BAR ?
		       check_step(x, dev, s, r->bar, r->off) :
		       check_step(x, dev, s, -1, pos);
	case KD_STEP_FLR:
		return kd_exec_flr(x, dev);
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
