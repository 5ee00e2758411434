// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Class-specific witnesses: a register read through the BAR that says
 * whether the device's engine was running before the reset and stopped
 * after it.  A config-space reset that reports success can leave the
 * engine running (lab notes: PM reset of e1000e and virtio in QEMU).
 */
#include <string.h>

#include "internal.h"

enum wkind { W_NONE, W_NVME, W_VIRTIO, W_E1000E };

/* e1000e device IDs with RCTL at 0x100 and TCTL at 0x400 (82574L is
 * QEMU's e1000e; the others are the e1000e driver's PCH/82571 parts) */
static const uint16_t e1000e_ids[] = {
	0x10d3, 0x10f6, 0x105e, 0x105f, 0x1060, 0x107d, 0x107e, 0x107f,
	0x10b9, 0x10bc, 0x1502, 0x1503, 0x153a, 0x153b, 0x1559, 0x155a,
	0x15a0, 0x15a1, 0x15a2, 0x15a3, 0x156f, 0x1570, 0x15b7, 0x15b8,
};

static enum wkind kind_of(const struct kd_probe_info *in)
{
	if (in->class_code == 0x010802) /* NVM Express */
		return W_NVME;
	if (kd_is_virtio(in))
		return W_VIRTIO;
	if (in->vendor == 0x8086 && (in->class_code >> 8) == 0x0200)
		for (size_t i = 0; i < sizeof(e1000e_ids) / sizeof(e1000e_ids[0]);
		     i++)
			if (in->device == e1000e_ids[i])
				return W_E1000E;
	return W_NONE;
}

bool kd_is_virtio(const struct kd_probe_info *in)
{
	return in->vendor == KD_VIRTIO_VENDOR &&
	       in->device >= KD_VIRTIO_DEV_FIRST &&
	       in->device <= KD_VIRTIO_DEV_LAST;
}

/* virtio 1.x §4.1.4.3: the common configuration capability, one of
 * several vendor-specific ones (cfg_type at +3, bar at +4, offset at +8) */
bool kd_virtio_common(struct kd_dev *dev, int *bar, uint32_t *off)
{
	unsigned pos = 0;

	while ((pos = kd_cap_find_next(dev, PCI_CAP_ID_VNDR, pos))) {
		if (kd_cfg_read8(dev, pos + KD_VIRTIO_CAP_CFG_TYPE) ==
		    KD_VIRTIO_PCI_CAP_COMMON_CFG) {
			*bar = kd_cfg_read8(dev, pos + KD_VIRTIO_CAP_BAR);
			*off = kd_cfg_read32(dev, pos + KD_VIRTIO_CAP_OFFSET);
			return *bar <= 5;
		}
	}
	return false;
}

static bool read_reg(struct kd_dev *dev, int bar, uint64_t off,
		     unsigned width, uint64_t *v)
{
	uint64_t all = width == 4 ? 0xffffffffu : 0xffu;

	if (kd_bar_read(dev, bar, off, width, v) < 0)
		return false;
	return *v != all; /* all-ones: decode off or device gone */
}

static bool read_value(struct kd_dev *dev, enum wkind k, uint64_t *val)
{
	uint64_t a, b;
	uint32_t off;
	int bar;

	switch (k) {
	case W_NVME: /* NVMe 1.4 §3.1.5 CC.EN, §3.1.6 CSTS.RDY */
		if (!read_reg(dev, 0, 0x14, 4, &a) ||
		    !read_reg(dev, 0, 0x1c, 4, &b))
			return false;
		*val = (a & 1) | (b & 1) << 1;
		return true;
	case W_VIRTIO: /* virtio 1.x §4.1.4.3 device_status at 0x14 */
		if (!kd_virtio_common(dev, &bar, &off) ||
		    !read_reg(dev, bar, (uint64_t)off +
			      KD_VIRTIO_COMMON_STATUS, 1, &a))
			return false;
		*val = a;
		return true;
	case W_E1000E: /* 82574 datasheet §10.2.5.1 RCTL.EN, §10.2.6.1 TCTL.EN */
		if (!read_reg(dev, 0, 0x100, 4, &a) ||
		    !read_reg(dev, 0, 0x400, 4, &b))
			return false;
		*val = (a >> 1 & 1) | (b >> 1 & 1) << 1;
		return true;
	case W_NONE:
		break;
	}
	return false;
}

void kd_witness_read(struct kd_dev *dev, const struct kd_probe_info *in,
		     struct kd_witness *w, bool after)
{
	static const char *const names[] = {
		[W_NONE] = NULL,
		[W_NVME] = "nvme CC.EN|CSTS.RDY",
		[W_VIRTIO] = "virtio device_status",
		[W_E1000E] = "e1000e RCTL.EN|TCTL.EN",
	};
	enum wkind k = kind_of(in);

	if (!after) {
		memset(w, 0, sizeof(*w));
		w->name = names[k];
		if (k == W_NONE || in->dead)
			return;
		w->have_before = read_value(dev, k, &w->before);
		w->verdict = KD_WITNESS_UNKNOWN;
		return;
	}
	if (!w->name)
		return;
	w->have_after = !in->dead && read_value(dev, k, &w->after);
	if (!w->have_before || !w->have_after || w->before == 0)
		w->verdict = KD_WITNESS_UNKNOWN;
	else if (w->after == 0)
		w->verdict = KD_WITNESS_EFFECTIVE;
	else
		w->verdict = KD_WITNESS_NOOP;
}
