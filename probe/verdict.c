// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verdict on a function's inherited state.  A bound driver owns Bus
 * Master and interrupts, so those count against a function only while no
 * driver is bound: that is the capture kernel before drivers load.
 */
#include <stddef.h>

#include "probe.h"
#include "access/regs.h"

static const struct {
	enum kd_reason bit;
	enum kd_verdict verdict;
	const char *word;
	const char *text;
} reasons[KD_REASON_COUNT] = {
	{ KD_REASON_ALL_ONES, KD_VERDICT_DEAD, "all-ones",
	  "config space reads all-ones" },
	{ KD_REASON_BME_UNBOUND, KD_VERDICT_ACTIVE_DMA, "bus-master-unbound",
	  "Bus Master Enable set with no driver bound" },
	{ KD_REASON_TRANS_PENDING, KD_VERDICT_ACTIVE_DMA,
	  "transactions-pending", "PCIe Transactions Pending set" },
	{ KD_REASON_MSI_ENABLED, KD_VERDICT_IRQ_ARMED, "msi-enabled",
	  "MSI enabled with no driver bound" },
	{ KD_REASON_MSIX_ENABLED, KD_VERDICT_IRQ_ARMED, "msix-enabled",
	  "MSI-X enabled with no driver bound" },
	{ KD_REASON_INTX_PENDING, KD_VERDICT_IRQ_ARMED, "intx-pending",
	  "INTx asserted and not disabled" },
	{ KD_REASON_STATUS_ERRORS, KD_VERDICT_ERRORS, "status-errors",
	  "Status register reports aborts, SERR or parity errors" },
	{ KD_REASON_DEVSTA_ERRORS, KD_VERDICT_ERRORS, "devsta-errors",
	  "PCIe Device Status reports errors" },
	{ KD_REASON_AER_UNCOR, KD_VERDICT_ERRORS, "aer-uncorrectable",
	  "AER uncorrectable error status set" },
	{ KD_REASON_AER_COR, KD_VERDICT_ERRORS, "aer-correctable",
	  "AER correctable error status set" },
	{ KD_REASON_NOT_D0, KD_VERDICT_CLEAN, "not-d0",
	  "function is not in D0" },
	{ KD_REASON_CONFIG_SHORT, KD_VERDICT_CLEAN, "config-truncated",
	  "config space shorter than its header claims" },
};

const char *kd_verdict_name(enum kd_verdict v)
{
	switch (v) {
	case KD_VERDICT_CLEAN: return "clean";
	case KD_VERDICT_ERRORS: return "errors";
	case KD_VERDICT_IRQ_ARMED: return "irq-armed";
	case KD_VERDICT_ACTIVE_DMA: return "active-dma";
	case KD_VERDICT_DEAD: return "dead";
	}
	return "?";
}

const char *kd_reason_text(enum kd_reason r)
{
	for (size_t i = 0; i < KD_REASON_COUNT; i++)
		if (reasons[i].bit == r)
			return reasons[i].text;
	return "?";
}

const char *kd_reason_word(enum kd_reason r)
{
	for (size_t i = 0; i < KD_REASON_COUNT; i++)
		if (reasons[i].bit == r)
			return reasons[i].word;
	return "?";
}

bool kd_probe_platform_bridge(const struct kd_probe_info *in)
{
	return !in->dead && !in->is_bridge &&
	       in->class_code >> 16 == PCI_BASE_CLASS_BRIDGE;
}

/*
 * Functions the kernel drives itself and no PCI driver ever binds (PCI
 * Code and ID Assignment 1.11 §1.9, base class 08): the AMD IOMMU 08:06
 * (amd_iommu_init, MSI on), I/O APICs 08:00 prog-if 10/20 (ioapic.c
 * maps them from ACPI), Root Complex Event Collectors 08:07 (AER and PME
 * through the port services).  Resetting one pulls interrupt routing or
 * DMA remapping from under the running kernel.
 */
const char *kd_probe_kernel_owned(const struct kd_probe_info *in)
{
	unsigned cls = in->class_code >> 8, prog = in->class_code & 0xff;

	if (in->dead || in->bound)
		return NULL;
	if (cls == 0x0806)
		return "an IOMMU (class 0806)";
	if (cls == 0x0800 && (prog == 0x10 || prog == 0x20))
		return "an I/O APIC (class 0800)";
	if (cls == 0x0807 || (in->exp_cap && in->pcie_type ==
			      PCI_EXP_TYPE_RC_EC))
		return "a Root Complex Event Collector";
	return NULL;
}

bool kd_probe_reset_candidate(const struct kd_probe_info *in)
{
	return !in->bound && !in->is_bridge && !kd_probe_platform_bridge(in) &&
	       !kd_probe_kernel_owned(in) && in->verdict != KD_VERDICT_CLEAN;
}

bool kd_probe_maybe_candidate(struct kd_dev *dev)
{
	struct kd_probe_info in;
	bool maybe;

	kd_probe_identify_config(NULL, dev, &in);
	maybe = kd_probe_reset_candidate(&in);
	kd_probe_info_clear(&in);
	return maybe;
}

static unsigned find_reasons(const struct kd_probe_info *in)
{
	unsigned r = 0;

	if (in->dead)
		return KD_REASON_ALL_ONES;
	/* a PCI-to-PCI bridge's BME only forwards its children's DMA */
	if (!in->bound && !in->is_bridge && !kd_probe_platform_bridge(in) &&
	    (in->command & PCI_COMMAND_MASTER))
		r |= KD_REASON_BME_UNBOUND;
	if (in->exp_cap && (in->devsta & PCI_EXP_DEVSTA_TRPND))
		r |= KD_REASON_TRANS_PENDING;
	if (!in->bound && in->msi_enable)
		r |= KD_REASON_MSI_ENABLED;
	if (!in->bound && in->msix_enable)
		r |= KD_REASON_MSIX_ENABLED;
	if (!in->bound && (in->status & PCI_STATUS_INTERRUPT) &&
	    !(in->command & PCI_COMMAND_INTX_DISABLE))
		r |= KD_REASON_INTX_PENDING;
	if (in->status & PCI_STATUS_ERROR_BITS)
		r |= KD_REASON_STATUS_ERRORS;
	if (in->exp_cap && (in->devsta & (PCI_EXP_DEVSTA_CED |
					  PCI_EXP_DEVSTA_NFED |
					  PCI_EXP_DEVSTA_FED |
					  PCI_EXP_DEVSTA_URD)))
		r |= KD_REASON_DEVSTA_ERRORS;
	if (in->aer_cap && in->aer_uncor)
		r |= KD_REASON_AER_UNCOR;
	if (in->aer_cap && in->aer_cor)
		r |= KD_REASON_AER_COR;
	if (in->power_state > 0)
		r |= KD_REASON_NOT_D0;
	/* a PCIe function exposes 4096 bytes; 256 from a non-root read */
	if (in->config_len < KD_CFG_SPACE_SIZE)
		r |= KD_REASON_CONFIG_SHORT;
	return r;
}

void kd_probe_judge(struct kd_probe_info *in)
{
	in->reasons = find_reasons(in);
	in->verdict = KD_VERDICT_CLEAN;
	for (size_t i = 0; i < KD_REASON_COUNT; i++)
		if ((in->reasons & reasons[i].bit) &&
		    reasons[i].verdict > in->verdict)
			in->verdict = reasons[i].verdict;
}
