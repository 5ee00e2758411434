// SPDX-License-Identifier: GPL-2.0-or-later
/* Decoding of identity, reset capabilities and inherited state from a
 * function's config space.  Reads only the handle's cache. */
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "access/regs.h"

const char *kd_reset_cap_name(enum kd_reset_cap cap)
{
	switch (cap) {
	case KD_RESET_FLR: return "flr";
	case KD_RESET_AF_FLR: return "af-flr";
	case KD_RESET_PM: return "pm";
	case KD_RESET_BUS: return "bus";
	}
	return "?";
}

const char *kd_link_speed_name(unsigned speed)
{
	static const char *const names[] = { "unknown", "2.5GT/s", "5GT/s",
					     "8GT/s", "16GT/s", "32GT/s",
					     "64GT/s" };

	return speed < sizeof(names) / sizeof(names[0]) ? names[speed] :
							   "unknown";
}

static void decode_identity(struct kd_dev *dev, struct kd_probe_info *in)
{
	in->vendor = kd_cfg_read16(dev, PCI_VENDOR_ID);
	in->device = kd_cfg_read16(dev, PCI_DEVICE_ID);
	in->revision = kd_cfg_read8(dev, PCI_REVISION_ID);
	in->class_code = kd_cfg_read32(dev, PCI_REVISION_ID) >> 8;
	in->header_type = kd_cfg_read8(dev, PCI_HEADER_TYPE) &
			  PCI_HEADER_TYPE_MASK;
	in->multifunction = kd_cfg_read8(dev, PCI_HEADER_TYPE) &
			    PCI_HEADER_TYPE_MFD;
	in->is_bridge = in->header_type == PCI_HEADER_TYPE_BRIDGE;
	if (in->header_type == PCI_HEADER_TYPE_NORMAL) {
		in->subsys_vendor = kd_cfg_read16(dev, PCI_SUBSYSTEM_VENDOR_ID);
		in->subsys_device = kd_cfg_read16(dev, PCI_SUBSYSTEM_ID);
	}
	if (in->is_bridge) {
		/* kernel pci_setup_device(): a bridge's subsystem IDs */
		unsigned ssvid = kd_cap_find(dev, PCI_CAP_ID_SSVID);

		if (ssvid) {
			in->subsys_vendor = kd_cfg_read16(dev, ssvid +
							  PCI_SSVID_VENDOR_ID);
			in->subsys_device = kd_cfg_read16(dev, ssvid +
							  PCI_SSVID_DEVICE_ID);
		}
		in->secondary_bus = kd_cfg_read8(dev, PCI_SECONDARY_BUS);
		in->subordinate_bus = kd_cfg_read8(dev, PCI_SUBORDINATE_BUS);
	}
	in->intx_pin = kd_cfg_read8(dev, PCI_INTERRUPT_PIN);
	in->command = kd_cfg_read16(dev, PCI_COMMAND);
	in->status = kd_cfg_read16(dev, PCI_STATUS);
	kd_probe_set_modalias(in);
}

/* modalias as the kernel's pci_uevent() builds it */
void kd_probe_set_modalias(struct kd_probe_info *in)
{
	snprintf(in->modalias, sizeof(in->modalias),
		 "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", in->vendor,
		 in->device, in->subsys_vendor, in->subsys_device,
		 (unsigned)(in->class_code >> 16),
		 (unsigned)(in->class_code >> 8) & 0xff,
		 (unsigned)in->class_code & 0xff);
}

static void decode_caps(struct kd_dev *dev, struct kd_probe_info *in,
			bool ext)
{
	unsigned c;

	in->pm_cap = kd_cap_find(dev, PCI_CAP_ID_PM);
	in->msi_cap = kd_cap_find(dev, PCI_CAP_ID_MSI);
	in->msix_cap = kd_cap_find(dev, PCI_CAP_ID_MSIX);
	in->exp_cap = kd_cap_find(dev, PCI_CAP_ID_EXP);
	in->af_cap = kd_cap_find(dev, PCI_CAP_ID_AF);
	if (ext) {
		in->aer_cap = kd_ecap_find(dev, PCI_EXT_CAP_ID_ERR);
		in->sriov_cap = kd_ecap_find(dev, PCI_EXT_CAP_ID_SRIOV);
	}

	if ((c = in->pm_cap)) {
		uint16_t pmcsr = kd_cfg_read16(dev, c + PCI_PM_CTRL);

		in->power_state = pmcsr & PCI_PM_CTRL_STATE_MASK;
		in->pm_no_soft_reset = pmcsr & PCI_PM_CTRL_NO_SOFT_RESET;
		/* kernel pci_pm_reset(): refused when NoSoftRst is set */
		if (!in->pm_no_soft_reset)
			in->reset_caps |= KD_RESET_PM;
	}
	if ((c = in->msi_cap)) {
		uint16_t fl = kd_cfg_read16(dev, c + PCI_MSI_FLAGS);

		in->msi_enable = fl & PCI_MSI_FLAGS_ENABLE;
		in->msi_vectors_max = 1u << ((fl & PCI_MSI_FLAGS_QMASK) >> 1);
		in->msi_vectors_enabled = 1u << ((fl & PCI_MSI_FLAGS_QSIZE) >>
						 4);
	}
	if ((c = in->msix_cap)) {
		uint16_t fl = kd_cfg_read16(dev, c + PCI_MSIX_FLAGS);

		in->msix_enable = fl & PCI_MSIX_FLAGS_ENABLE;
		in->msix_masked = fl & PCI_MSIX_FLAGS_MASKALL;
		in->msix_table_size = (fl & PCI_MSIX_FLAGS_QSIZE) + 1u;
	}
	if ((c = in->exp_cap)) {
		uint16_t flags = kd_cfg_read16(dev, c + PCI_EXP_FLAGS);
		uint32_t lnkcap = kd_cfg_read32(dev, c + PCI_EXP_LNKCAP);

		in->pcie_type = (flags & PCI_EXP_FLAGS_TYPE) >> 4;
		/* kernel pcie_has_flr(): DevCap bit 28 */
		if (kd_cfg_read32(dev, c + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR)
			in->reset_caps |= KD_RESET_FLR;
		in->devctl = kd_cfg_read16(dev, c + PCI_EXP_DEVCTL);
		in->devsta = kd_cfg_read16(dev, c + PCI_EXP_DEVSTA);
		/* RC integrated endpoints and event collectors have no link
		 * registers (PCIe r5.0 §7.5.3) */
		if (in->pcie_type != PCI_EXP_TYPE_RC_END &&
		    in->pcie_type != PCI_EXP_TYPE_RC_EC) {
			in->has_link = true;
			in->lnksta = kd_cfg_read16(dev, c + PCI_EXP_LNKSTA);
			in->link_speed = in->lnksta & PCI_EXP_LNKSTA_CLS;
			in->link_width = (in->lnksta & PCI_EXP_LNKSTA_NLW) >> 4;
			in->link_training = in->lnksta & PCI_EXP_LNKSTA_LT;
			in->link_dll_active = in->lnksta & PCI_EXP_LNKSTA_DLLLA;
			in->link_dll_reporting = lnkcap &
						 PCI_EXP_LNKCAP_DLLLARC;
		}
		if ((flags & PCI_EXP_FLAGS_SLOT) &&
		    (kd_cfg_read32(dev, c + PCI_EXP_SLTCAP) &
		     PCI_EXP_SLTCAP_HPC))
			in->hotplug_slot = true;
	}
	if ((c = in->af_cap)) {
		uint8_t cap = kd_cfg_read8(dev, c + PCI_AF_CAP);

		/* kernel pci_af_flr(): needs both TP and FLR */
		if ((cap & PCI_AF_CAP_TP) && (cap & PCI_AF_CAP_FLR))
			in->reset_caps |= KD_RESET_AF_FLR;
	}
	if ((c = in->aer_cap)) {
		in->aer_uncor = kd_cfg_read32(dev, c + PCI_ERR_UNCOR_STATUS);
		in->aer_cor = kd_cfg_read32(dev, c + PCI_ERR_COR_STATUS);
	}
	in->immediate_readiness = in->status & PCI_STATUS_IMM_READY;
}

static void decode(struct kd_dev *dev, struct kd_probe_info *in,
		   bool bridge_ext)
{
	memset(in, 0, sizeof(*in));
	in->addr = *kd_dev_addr(dev);
	in->config_len = kd_dev_config_len(dev);
	in->pcie_type = -1;
	in->power_state = -1;
	/*
	 * An absent or dead function answers all-ones (PCIe §2.3.2).  An
	 * SR-IOV VF reads Vendor and Device ID as ffff too (SR-IOV 1.1
	 * §3.4.1.1) but has a real Command/Status and class.
	 */
	if (kd_cfg_read32(dev, PCI_VENDOR_ID) == 0xffffffff &&
	    kd_cfg_read32(dev, PCI_COMMAND) == 0xffffffff &&
	    kd_cfg_read32(dev, PCI_REVISION_ID) == 0xffffffff) {
		in->dead = true;
		in->vendor = in->device = 0xffff;
		return;
	}
	decode_identity(dev, in);
	decode_caps(dev, in, bridge_ext || !in->is_bridge);
}

void kd_probe_decode(struct kd_dev *dev, struct kd_probe_info *in)
{
	decode(dev, in, true);
}

void kd_probe_decode_choice(struct kd_dev *dev, struct kd_probe_info *in)
{
	decode(dev, in, false);
}
