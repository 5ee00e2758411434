// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * How long a function's reset is expected to wait, for the planner's
 * order (run.c): the mandated waits of the method, as methods.c and
 * bus.c take them.
 */
#include "internal.h"

/* below a conventional bus, Tpvrh + Trhfa (PCI 3.0 §4.3.2); PCIe, 100 ms
 * before config requests (PCIe r5.0 §6.6.1), more at > 5 GT/s */
static uint64_t bus_wait(const struct kd_probe_info *in)
{
	return in->pcie_type < 0 ? KD_CONV_RESET_WAIT_NS : KD_RESET_SETTLE_NS;
}

static uint64_t method_wait(const struct kd_probe_info *in,
			    enum kd_reset_method m)
{
	switch (m) {
	case KD_RM_FLR:
	case KD_RM_KERNEL_FLR:
		return in->immediate_readiness ? 0 : KD_FLR_WAIT_NS;
	case KD_RM_AF_FLR:
		return KD_AF_FLR_WAIT_NS;
	case KD_RM_PM:
	case KD_RM_KERNEL_PM: /* to D3hot and back: pci_dev_d3_sleep() twice */
		return 2 * KD_D3HOT_DELAY_NS;
	case KD_RM_BUS:
	case KD_RM_KERNEL_BUS:
		return bus_wait(in);
	default:
		return 0;
	}
}

uint64_t kd_reset_expected_wait_ns(const struct kd_probe_info *in,
				   enum kd_reset_method m)
{
	if (m != KD_RM_AUTO && m != KD_RM_KERNEL)
		return method_wait(in, m);
	/* the order of auto and of the kernel's pci_reset_fn_methods[] */
	if (in->reset_caps & KD_RESET_FLR)
		return method_wait(in, KD_RM_FLR);
	if (in->reset_caps & KD_RESET_AF_FLR)
		return method_wait(in, KD_RM_AF_FLR);
	if (in->pm_cap && !in->pm_no_soft_reset)
		return method_wait(in, KD_RM_PM);
	if (in->reset_caps & KD_RESET_BUS)
		return bus_wait(in);
	return 0;
}

uint64_t kd_reset_expected_wait_max_ns(void)
{
	return KD_CONV_RESET_WAIT_NS; /* bus_wait()'s longest */
}
