// SPDX-License-Identifier: GPL-2.0-or-later
/* What a port's link can do, for the waits after a bus reset. */
#include "internal.h"

unsigned kd_link_speed_cap(struct kd_dev *dev, unsigned exp)
{
	uint16_t flags = kd_cfg_read16(dev, exp + PCI_EXP_FLAGS);
	uint32_t sls = 0;

	/*
	 * PCIe r4.0 §7.5.3.18 recommends the Supported Link Speeds Vector
	 * (bit n: the speed LnkCap encodes as n) over Max Link Speed, which
	 * a port may leave at an older value (pcie_get_speed_cap()).
	 * LnkCap2 exists in a version 2 capability only.
	 */
	if ((flags & PCI_EXP_FLAGS_VERS) > 1)
		sls = kd_cfg_read32(dev, exp + PCI_EXP_LNKCAP2);
	if (sls != 0xffffffff && (sls & PCI_EXP_LNKCAP2_SLS)) {
		unsigned top = 0;

		for (unsigned b = 1; b < 8; b++)
			if (sls & (1u << b))
				top = b;
		return top;
	}
	return kd_cfg_read32(dev, exp + PCI_EXP_LNKCAP) & PCI_EXP_LNKCAP_SLS;
}
