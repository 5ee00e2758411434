// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdbool.h>

#include "probe.h"
#include "access/regs.h"

/* Bounds the walk on looping lists, as the kernel's PCI_FIND_CAP_TTL. */
#define CAP_TTL 48

/*
 * Positions already walked (dword granularity, 4096 bytes of config
 * space): a list that comes back to one of them is a loop and ends there,
 * so kd_cap_find_next() never hands a caller the same capability twice and
 * a caller's "next" loop ends too.
 */
struct seen {
	uint64_t bits[KD_CFG_SPACE_EXP_SIZE / 4 / 64];
};

static bool seen_before(struct seen *s, unsigned pos)
{
	uint64_t bit = 1ull << (pos / 4 % 64);
	uint64_t *w = &s->bits[pos / 4 / 64];
	bool was = *w & bit;

	*w |= bit;
	return was;
}

unsigned kd_cap_find_next(const struct kd_dev *dev, uint8_t id,
			  unsigned after)
{
	unsigned pos, ttl = CAP_TTL;
	bool past = after == 0;
	struct seen seen = { { 0 } };

	if (!(kd_cfg_read16(dev, PCI_STATUS) & PCI_STATUS_CAP_LIST) ||
	    kd_cfg_read16(dev, PCI_STATUS) == 0xffff)
		return 0;
	pos = kd_cfg_read8(dev, PCI_CAPABILITY_LIST);
	while (ttl-- && pos >= 0x40 && pos + 2 <= kd_dev_config_len(dev)) {
		pos &= ~3u;
		if (kd_cfg_read8(dev, pos) == 0xff || seen_before(&seen, pos))
			break;
		if (past && kd_cfg_read8(dev, pos) == id)
			return pos;
		if (pos == after)
			past = true;
		pos = kd_cfg_read8(dev, pos + 1);
	}
	return 0;
}

unsigned kd_cap_find(const struct kd_dev *dev, uint8_t id)
{
	return kd_cap_find_next(dev, id, 0);
}

/* PCIe §7.6.3: header = ID[15:0] | version[19:16] | next[31:20] */
unsigned kd_ecap_find(const struct kd_dev *dev, uint16_t id)
{
	unsigned pos = PCI_CFG_SPACE_SIZE;
	unsigned ttl = (KD_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;
	struct seen seen = { { 0 } };

	if (kd_dev_config_len(dev) <= PCI_CFG_SPACE_SIZE)
		return 0;
	while (ttl-- && pos >= PCI_CFG_SPACE_SIZE &&
	       pos + 4 <= kd_dev_config_len(dev)) {
		uint32_t hdr = kd_cfg_read32(dev, pos);

		if (hdr == 0 || hdr == 0xffffffff || seen_before(&seen, pos))
			break;
		if ((hdr & 0xffff) == id)
			return pos;
		pos = (hdr >> 20) & 0xffc;
	}
	return 0;
}
