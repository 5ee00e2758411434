// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Describing quirk steps: the register a step names on a device and one
 * line of text per step.  Performing them is reset/quirk-steps.c's job.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *kd_quirk_phase_name(enum kd_quirk_phase phase)
{
	return phase == KD_QUIRK_POST ? "post" :
	       phase == KD_QUIRK_RESET ? "reset" : "pre";
}

uint64_t kd_quirk_bound_ns(const struct kd_quirk_bound *b, uint64_t reg)
{
	uint64_t field = ((1ull << (b->hi - b->lo + 1)) - 1);

	return (((reg >> b->lo) & field) + b->add) * b->unit_ns;
}

const char *kd_quirk_format_ns(uint64_t ns, char *buf, size_t len)
{
	static const struct { const char *unit; uint64_t div; } u[] = {
		{ "s", 1000000000 }, { "ms", 1000000 }, { "us", 1000 },
		{ "ns", 1 },
	};

	if (ns == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	for (size_t i = 0; i < 4; i++)
		if (ns % u[i].div == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", ns / u[i].div,
				 u[i].unit);
			break;
		}
	return buf;
}

static const char width_char[] = { 0, 'B', 'W', 0, 'L', 0, 0, 0, 'Q' };

int kd_quirk_reg_resolve(const struct kd_dev *dev,
			 const struct kd_quirk_reg *r, unsigned *pos)
{
	unsigned base = 0;

	if (r->base == KD_REG_CAP)
		base = kd_cap_find(dev, (uint8_t)r->cap_id);
	else if (r->base == KD_REG_ECAP)
		base = kd_ecap_find(dev, r->cap_id);
	if ((r->base == KD_REG_CAP || r->base == KD_REG_ECAP) && !base)
		return -ENODEV;
	*pos = base + (unsigned)r->off;
	return 0;
}

static void reg_text(const struct kd_quirk_reg *r, const struct kd_dev *dev,
		     char *buf, size_t len)
{
	const char *cap = NULL;
	unsigned pos;

	if (r->base == KD_REG_BAR) {
		snprintf(buf, len, "BAR%d+0x%" PRIx64 ".%c", r->bar, r->off,
			 width_char[r->width]);
		return;
	}
	if (r->base == KD_REG_ABS) {
		snprintf(buf, len, "config 0x%03" PRIx64 ".%c", r->off,
			 width_char[r->width]);
		return;
	}
	cap = qcap_name(r->base, r->cap_id);
	if (dev && kd_quirk_reg_resolve(dev, r, &pos) == 0)
		snprintf(buf, len, "config 0x%03x.%c (%s%s%s+0x%" PRIx64 ")",
			 pos, width_char[r->width],
			 r->base == KD_REG_ECAP ? "ECAP" : "CAP",
			 cap ? "_" : "", cap ? cap : "", r->off);
	else if (cap)
		snprintf(buf, len, "config %s_%s+0x%" PRIx64 ".%c%s",
			 r->base == KD_REG_ECAP ? "ECAP" : "CAP", cap, r->off,
			 width_char[r->width],
			 dev ? " (capability absent)" : "");
	else
		snprintf(buf, len, "config %s0x%x+0x%" PRIx64 ".%c%s",
			 r->base == KD_REG_ECAP ? "ECAP" : "CAP", r->cap_id,
			 r->off, width_char[r->width],
			 dev ? " (capability absent)" : "");
}

static uint64_t full_mask(unsigned width)
{
	return width == 8 ? UINT64_MAX : (1ull << (8 * width)) - 1;
}

int kd_quirk_step_describe(const struct kd_quirk_step *s,
			   const struct kd_dev *dev, char *buf, size_t len)
{
	char reg[96], d1[32], d2[32], d3[32], mask[48] = "";
	int n;

	if (s->kind <= KD_STEP_POLL_MMIO || s->kind == KD_STEP_CHECK) {
		reg_text(&s->reg, dev, reg, sizeof(reg));
		if (s->mask != full_mask(s->reg.width))
			snprintf(mask, sizeof(mask), " mask 0x%" PRIx64,
				 s->mask);
	}
	switch (s->kind) {
	case KD_STEP_CFG:
	case KD_STEP_MMIO:
		return snprintf(buf, len, "write 0x%" PRIx64 "%s to %s",
				s->value, mask, reg);
	case KD_STEP_POLL_CFG:
	case KD_STEP_POLL_MMIO:
		if (s->bound.set) {
			char breg[96];

			reg_text(&s->bound.reg, dev, breg, sizeof(breg));
			return snprintf(buf, len,
					"poll %s until 0x%" PRIx64 "%s, every "
					"%s, timeout (%s[%u:%u]+0x%" PRIx64
					") * %s, at most %s", reg, s->value,
					mask, kd_quirk_format_ns(s->interval_ns,
								 d1, sizeof(d1)),
					breg, s->bound.hi, s->bound.lo,
					s->bound.add,
					kd_quirk_format_ns(s->bound.unit_ns,
							   d2, sizeof(d2)),
					kd_quirk_format_ns(s->timeout_ns,
							   d3, sizeof(d3)));
		}
		return snprintf(buf, len,
				"poll %s until 0x%" PRIx64 "%s, every %s, "
				"timeout %s", reg, s->value, mask,
				kd_quirk_format_ns(s->interval_ns, d1,
						   sizeof(d1)),
				kd_quirk_format_ns(s->timeout_ns, d2,
						   sizeof(d2)));
	case KD_STEP_CHECK:
		return snprintf(buf, len, "check %s is 0x%" PRIx64 "%s, else "
				"no device-specific reset", reg, s->value, mask);
	case KD_STEP_FLR:
		return snprintf(buf, len, "FLR without checking DevCap.FLR "
				"(pcie_flr)");
	case KD_STEP_WAIT:
		return snprintf(buf, len, "wait %s",
				kd_quirk_format_ns(s->timeout_ns, d1,
						   sizeof(d1)));
	case KD_STEP_RUN:
		n = snprintf(buf, len, "run %s", s->argv[0]);
		for (size_t i = 1; s->argv[i] && n >= 0 && (size_t)n < len;
		     i++)
			n += snprintf(buf + n, len - (size_t)n, " %s",
				      s->argv[i]);
		if (n >= 0 && (size_t)n < len)
			n += snprintf(buf + n, len - (size_t)n,
				      " (timeout %s)",
				      kd_quirk_format_ns(s->timeout_ns, d1,
							 sizeof(d1)));
		return n;
	}
	return snprintf(buf, len, "?");
}
