// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Class-specific witnesses: a register read through the BAR that says
 * whether the device's engine was running before the reset and stopped
 * after it.  A config-space reset that reports success can leave the
 * engine running (lab notes: PM reset of e1000e and virtio in QEMU).
 */
#include <string.h>

#include "internal.h"

enum wkind { W_NONE, W_NVME, W_VIRTIO, W_E1000E, W_E1000, W_XHCI, W_HDA,
	     W_AHCI, W_RTL8139 };

/* e1000e device IDs with RCTL at 0x100 and TCTL at 0x400 (82574L is
 * QEMU's e1000e; the others are the e1000e driver's PCH/82571 parts) */
static const uint16_t e1000e_ids[] = {
	0x10d3, 0x10f6, 0x105e, 0x105f, 0x1060, 0x107d, 0x107e, 0x107f,
	0x10b9, 0x10bc, 0x1502, 0x1503, 0x153a, 0x153b, 0x1559, 0x155a,
	0x15a0, 0x15a1, 0x15a2, 0x15a3, 0x156f, 0x1570, 0x15b7, 0x15b8,
};

/* e1000 (8254x) device IDs, the e1000 driver's table: RCTL/TCTL at the
 * same offsets as e1000e (82540EM 100e is QEMU's e1000) */
static const uint16_t e1000_ids[] = {
	0x1000, 0x1001, 0x1004, 0x1008, 0x1009, 0x100c, 0x100d, 0x100e,
	0x100f, 0x1010, 0x1011, 0x1012, 0x1013, 0x1014, 0x1015, 0x1016,
	0x1017, 0x1018, 0x1019, 0x101a, 0x101d, 0x101e, 0x1026, 0x1027,
	0x1028, 0x1075, 0x1076, 0x1077, 0x1078, 0x1079, 0x107a, 0x107b,
	0x107c, 0x108a, 0x1099, 0x10b5,
};

/* RTL8139 and its clones (8139too's table, the common ones) */
static const uint32_t rtl8139_ids[] = {
	0x10ec8139, 0x10ec8138, 0x11131211, 0x11861300, 0x11861340,
};

static bool id_in(uint16_t id, const uint16_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static enum wkind kind_of(const struct kd_probe_info *in)
{
	uint32_t vd = (uint32_t)in->vendor << 16 | in->device;

	if (in->class_code == 0x010802) /* NVM Express */
		return W_NVME;
	if (in->class_code == 0x0c0330) /* USB xHCI */
		return W_XHCI;
	if ((in->class_code >> 8) == 0x0403) /* HD Audio */
		return W_HDA;
	if (in->class_code == 0x010601) /* SATA AHCI 1.0 */
		return W_AHCI;
	if (kd_is_virtio(in))
		return W_VIRTIO;
	if (in->vendor == 0x8086 && (in->class_code >> 8) == 0x0200) {
		if (id_in(in->device, e1000e_ids, N(e1000e_ids)))
			return W_E1000E;
		if (id_in(in->device, e1000_ids, N(e1000_ids)))
			return W_E1000;
	}
	for (size_t i = 0; i < N(rtl8139_ids); i++)
		if (vd == rtl8139_ids[i])
			return W_RTL8139;
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
	uint64_t seen = 0; /* dword-aligned offsets 0x40..0xfc visited */
	unsigned pos = 0;

	/* a next pointer back to a capability already seen (itself, or a
	 * loop) ends the walk: kd_cap_find_next() would return it again */
	while ((pos = kd_cap_find_next(dev, PCI_CAP_ID_VNDR, pos)) &&
	       pos < PCI_CFG_SPACE_SIZE && !(seen & 1ull << (pos / 4))) {
		seen |= 1ull << (pos / 4);
		if (kd_cfg_read8(dev, pos + KD_VIRTIO_CAP_CFG_TYPE) ==
		    KD_VIRTIO_PCI_CAP_COMMON_CFG) {
			*bar = kd_cfg_read8(dev, pos + KD_VIRTIO_CAP_BAR);
			*off = kd_cfg_read32(dev, pos + KD_VIRTIO_CAP_OFFSET);
			return *bar <= 5;
		}
	}
	return false;
}

/*
 * Whether the function decodes the BAR now: in D0 (PCI PM 1.2 §5.3.1:
 * in D1-D3hot only config space answers) and with Memory Space (or I/O
 * Space for an I/O BAR) on in Command (PCI LB 3.0 §6.2.2).  Otherwise a
 * read completes with Unsupported Request, which firmware-first platforms
 * may escalate; no kernel driver reads MMIO there.  Read live: a reset
 * or a restore may have changed both.
 */
static bool decodes(struct kd_dev *dev, int bar)
{
	uint32_t cmd, pmcsr, bv;
	unsigned pm = kd_cap_find(dev, PCI_CAP_ID_PM);

	if (pm && (kd_cfg_read_live(dev, pm + PCI_PM_CTRL, 2, &pmcsr) < 0 ||
		   pmcsr == 0xffff || (pmcsr & PCI_PM_CTRL_STATE_MASK)))
		return false;
	if (kd_cfg_read_live(dev, PCI_COMMAND, 2, &cmd) < 0 || cmd == 0xffff)
		return false;
	bv = kd_cfg_read32(dev, PCI_BASE_ADDRESS_0 + 4 * (unsigned)bar);
	return cmd & (bv & PCI_BASE_ADDRESS_SPACE_IO ? PCI_COMMAND_IO
						      : PCI_COMMAND_MEMORY);
}

static bool read_reg(struct kd_dev *dev, int bar, uint64_t off,
		     unsigned width, uint64_t *v)
{
	uint64_t all = width == 4 ? 0xffffffffu : 0xffu;

	if (bar < 0 || bar > 5 || !decodes(dev, bar) ||
	    kd_bar_read(dev, bar, off, width, v) < 0)
		return false;
	return *v != all; /* all-ones: decode off or device gone */
}

/* xHCI 1.2 §5.3.1: CAPLENGTH, the operational registers' offset in BAR0;
 * §5.4.1 USBCMD.R/S (bit 0), §5.4.2 USBSTS.HCHalted (bit 0).  Running:
 * R/S set or not halted; after a reset R/S 0, HCH 1. */
static bool read_xhci(struct kd_dev *dev, uint64_t *val)
{
	uint64_t cap, cmd, sts;
	unsigned op;

	if (!read_reg(dev, 0, 0, 4, &cap))
		return false;
	op = (unsigned)(cap & 0xff);
	if (op < 0x20 || !read_reg(dev, 0, op, 4, &cmd) ||
	    !read_reg(dev, 0, op + 4, 4, &sts))
		return false;
	*val = (cmd & 1) | (~sts & 1) << 1;
	return true;
}

/* HDA 1.0a §3.3.7 GCTL.CRST (bit 0: out of reset), §3.3.22 CORBCTL
 * CORBRUN (bit 1), §3.3.30 RIRBCTL RIRBDMAEN (bit 1), in BAR0 */
static bool read_hda(struct kd_dev *dev, uint64_t *val)
{
	uint64_t gctl, corb, rirb;

	if (!read_reg(dev, 0, 0x08, 4, &gctl) ||
	    !read_reg(dev, 0, 0x4c, 1, &corb) ||
	    !read_reg(dev, 0, 0x5c, 1, &rirb))
		return false;
	*val = (corb >> 1 & 1) | (rirb >> 1 & 1) << 1 | (gctl & 1) << 2;
	return true;
}

/* AHCI 1.3 §3.1.4 PI (ports implemented), §3.3.7 PxCMD at 0x118 + 0x80
 * per port: ST (bit 0) and FRE (bit 4), two bits per port, in ABAR
 * (BAR5) */
static bool read_ahci(struct kd_dev *dev, uint64_t *val)
{
	uint64_t pi, cmd;

	if (!read_reg(dev, 5, 0x0c, 4, &pi))
		return false;
	*val = 0;
	for (unsigned p = 0; p < 32; p++) {
		if (!(pi & 1ull << p))
			continue;
		if (!read_reg(dev, 5, 0x118 + 0x80 * (uint64_t)p, 4, &cmd))
			return false;
		*val |= (cmd & 1) << (2 * p) | (cmd >> 4 & 1) << (2 * p + 1);
	}
	return true;
}

/* RTL8139 datasheet, ChipCmd at 0x37: RE (bit 3), TE (bit 2).  BAR1 maps
 * the registers as memory; BAR0 as I/O ports, used only when BAR1 is not
 * an assigned memory BAR */
static bool read_rtl8139(struct kd_dev *dev, uint64_t *val)
{
	uint32_t b1 = kd_cfg_read32(dev, PCI_BASE_ADDRESS_0 + 4);
	int bar = !(b1 & PCI_BASE_ADDRESS_SPACE_IO) &&
		  (b1 & PCI_BASE_ADDRESS_MEM_MASK) ? 1 : 0;
	uint64_t cmd;

	if (!read_reg(dev, bar, 0x37, 1, &cmd))
		return false;
	*val = cmd >> 2 & 3;
	return true;
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
	case W_XHCI:
		return read_xhci(dev, val);
	case W_HDA:
		return read_hda(dev, val);
	case W_AHCI:
		return read_ahci(dev, val);
	case W_RTL8139:
		return read_rtl8139(dev, val);
	case W_E1000: /* 8254x SDM §13.4.22 RCTL.EN, §13.4.33 TCTL.EN */
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
		[W_E1000] = "e1000 RCTL.EN|TCTL.EN",
		[W_XHCI] = "xhci USBCMD.RS|!USBSTS.HCH",
		[W_HDA] = "hda CORBRUN|RIRBDMAEN|GCTL.CRST",
		[W_AHCI] = "ahci PxCMD.ST|FRE",
		[W_RTL8139] = "rtl8139 ChipCmd.RE|TE",
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
