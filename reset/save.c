// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Saving, disabling and restoring a function around a reset, in the
 * kernel's order (drivers/pci/pci.c pci_dev_save_and_disable(),
 * pci_save_state(), pci_restore_state()), plus the state snapshot that
 * verifies the result.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

int kd_reset_snapshot(struct kd_dev *dev, struct kd_reset_state *s)
{
	struct kd_probe_info in;
	int err;

	memset(s, 0, sizeof(*s));
	s->power_state = -1;
	err = kd_dev_refresh(dev);
	if (err < 0) {
		/* gone: as dead as a function can be */
		s->valid = true;
		s->dead = true;
		s->verdict = KD_VERDICT_DEAD;
		s->reasons = KD_REASON_ALL_ONES;
		return err;
	}
	/* state only: no topology needed */
	kd_probe_identify(NULL, dev, &in);
	s->valid = true;
	s->dead = in.dead;
	s->bound = in.bound;
	s->command = in.command;
	s->status = in.status;
	s->devsta = in.devsta;
	s->bus_master = !in.dead && (in.command & PCI_COMMAND_MASTER);
	s->msi = in.msi_enable;
	s->msix = in.msix_enable;
	s->trans_pend = in.exp_cap && (in.devsta & PCI_EXP_DEVSTA_TRPND);
	s->errors = in.reasons & (KD_REASON_STATUS_ERRORS |
				  KD_REASON_DEVSTA_ERRORS |
				  KD_REASON_AER_UNCOR | KD_REASON_AER_COR);
	s->power_state = in.power_state;
	s->verdict = in.verdict;
	s->reasons = in.reasons;
	kd_probe_info_clear(&in);
	return 0;
}

int kd_save(struct kd_dev *dev, bool unbound, struct kd_saved *s)
{
	unsigned exp;
	int err;

	memset(s, 0, sizeof(*s));
	err = kd_dev_refresh(dev);
	if (err < 0)
		return err;
	/* nothing worth saving from a dead function; a VF reads its IDs as
	 * ffff but has a real Command/Status (SR-IOV 1.1 §3.4.1.1) */
	if (kd_cfg_read32(dev, PCI_VENDOR_ID) == 0xffffffff &&
	    kd_cfg_read32(dev, PCI_COMMAND) == 0xffffffff)
		return -EIO;
	/* pci_save_state(): the 16 header dwords */
	for (unsigned i = 0; i < 16; i++)
		s->hdr[i] = kd_cfg_read32(dev, i * 4);
	s->hdr_type = kd_cfg_read8(dev, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
	s->unbound = unbound;
	/* pci_save_pcie_state(): the PCIe control registers */
	exp = kd_cap_find(dev, PCI_CAP_ID_EXP);
	if (exp) {
		uint16_t flags = kd_cfg_read16(dev, exp + PCI_EXP_FLAGS);
		int type = (flags & PCI_EXP_FLAGS_TYPE) >> 4;

		/*
		 * Only the registers the capability implements
		 * (pcie_capability_reg_implemented()): a version 1
		 * capability ends before DevCtl2/LnkCtl2, whose offsets may
		 * then be another capability's; Root Complex integrated
		 * endpoints and event collectors have no link; only
		 * downstream ports have a slot.
		 */
		s->exp = exp;
		s->v2 = (flags & PCI_EXP_FLAGS_VERS) > 1;
		s->link = type != PCI_EXP_TYPE_RC_END &&
			  type != PCI_EXP_TYPE_RC_EC;
		s->slot = (flags & PCI_EXP_FLAGS_SLOT) &&
			  (type == PCI_EXP_TYPE_ROOT_PORT ||
			   type == PCI_EXP_TYPE_DOWNSTREAM ||
			   type == PCI_EXP_TYPE_PCIE_BRIDGE);
		s->devctl = kd_cfg_read16(dev, exp + PCI_EXP_DEVCTL);
		if (s->link)
			s->lnkctl = kd_cfg_read16(dev, exp + PCI_EXP_LNKCTL);
		if (s->slot)
			s->sltctl = kd_cfg_read16(dev, exp + PCI_EXP_SLTCTL);
		if (s->v2) {
			s->devctl2 = kd_cfg_read16(dev, exp + PCI_EXP_DEVCTL2);
			if (s->link)
				s->lnkctl2 = kd_cfg_read16(dev,
							   exp + PCI_EXP_LNKCTL2);
		}
	}
	s->valid = true;
	return 0;
}

bool kd_dev_answers(struct kd_reset_exec *x, struct kd_dev *dev)
{
	uint32_t v;

	if (x->dry_run)
		return true;
	return kd_cfg_read_live(dev, PCI_COMMAND, 4, &v) == 0 &&
	       v != 0xffffffff;
}

int kd_disable(struct kd_reset_exec *x, struct kd_dev *dev)
{
	/*
	 * pci_dev_save_and_disable(): clear the Command register except
	 * INTx Disable: no MMIO/IO decode, no Bus Master, so no DMA and no
	 * MSI/MSI-X writes while the reset is pending.
	 */
	return kd_reset_cfg_write(x, dev, PCI_COMMAND, 2,
				  PCI_COMMAND_INTX_DISABLE,
				  "disable: Command = INTx Disable "
				  "(pci_dev_save_and_disable)");
}

int kd_power_up(struct kd_reset_exec *x, struct kd_dev *dev)
{
	unsigned pm = kd_cap_find(dev, PCI_CAP_ID_PM);
	uint16_t pmcsr;
	int err;

	if (!pm)
		return 0;
	pmcsr = kd_cfg_read16(dev, pm + PCI_PM_CTRL);
	if ((pmcsr & PCI_PM_CTRL_STATE_MASK) == 0 || pmcsr == 0xffff)
		return 0;
	/* pci_power_up(): force the whole word to 0 (D0, PME_En off) */
	err = kd_reset_cfg_write(x, dev, pm + PCI_PM_CTRL, 2, 0,
				 "power up to D0 before saving "
				 "(pci_power_up)");
	if (err < 0)
		return err;
	if ((pmcsr & PCI_PM_CTRL_STATE_MASK) == PCI_D3hot)
		kd_exec_sleep(x, kd_dev_addr(dev), KD_D3HOT_DELAY_NS,
			      "D3hot->D0 recovery, PCI PM 1.2 §5.6.1 "
			      "(pci_dev_d3_sleep)");
	else
		kd_exec_sleep(x, kd_dev_addr(dev), 200000,
			      "D2->D0 recovery 200 us, PCI PM 1.2 §5.6.1 "
			      "(PCI_PM_D2_DELAY)");
	return 0;
}

static void mark_if_changed(struct kd_reset_exec *x)
{
	if (x->dry_run && !x->oom && x->res->n_ops)
		x->res->ops[x->res->n_ops - 1].if_changed = true;
}

/* pci_restore_config_dword(): write only when it differs; retry reads */
static int restore_dword(struct kd_reset_exec *x, struct kd_dev *dev,
			 unsigned pos, uint32_t val, int retry, bool force,
			 const char *why)
{
	uint32_t cur;
	int err;

	if (x->dry_run) {
		err = kd_reset_cfg_write(x, dev, pos, 4, val, why);
		if (!force)
			mark_if_changed(x);
		return err;
	}
	err = kd_cfg_read_live(dev, pos, 4, &cur);
	if (err == -ENODEV)
		return err;
	if (err == 0 && !force && cur == val)
		return 0;
	for (;;) {
		err = kd_reset_cfg_write(x, dev, pos, 4, val, why);
		if (err < 0 || retry-- <= 0)
			return err;
		if (kd_cfg_read_live(dev, pos, 4, &cur) == 0 && cur == val)
			return 0;
		kd_exec_sleep(x, kd_dev_addr(dev), MS(1),
			      "BAR restore retry (pci_restore_config_dword)");
	}
}

static int restore_range(struct kd_reset_exec *x, struct kd_dev *dev,
			 const uint32_t *v, int start, int end, int retry,
			 bool force)
{
	/* from the top down, as pci_restore_config_space_range() */
	for (int i = end; i >= start; i--) {
		int err = restore_dword(x, dev, (unsigned)i * 4, v[i], retry,
					force, "restore header "
					"(pci_restore_config_space)");

		if (err < 0)
			return err;
	}
	return 0;
}

static int restore_word(struct kd_reset_exec *x, struct kd_dev *dev,
			unsigned pos, uint16_t val)
{
	uint32_t cur;
	int err;

	if (!x->dry_run && kd_cfg_read_live(dev, pos, 2, &cur) == 0 &&
	    cur == val)
		return 0;
	err = kd_reset_cfg_write(x, dev, pos, 2, val,
				 "restore PCIe control (pci_restore_pcie_state)");
	mark_if_changed(x);
	return err;
}

/* write-1-to-clear a status register when bits are set */
static int clear_w1c(struct kd_reset_exec *x, struct kd_dev *dev,
		     unsigned pos, unsigned width, uint32_t mask,
		     const char *why)
{
	uint32_t v = width == 4 ? kd_cfg_read32(dev, pos) :
				  kd_cfg_read16(dev, pos);

	if (!x->dry_run && kd_cfg_read_live(dev, pos, width, &v) < 0)
		return 0;
	v &= mask;
	if (!v || v == 0xffffffff)
		return 0; /* nothing set, or the function reads all-ones */
	return kd_reset_cfg_write(x, dev, pos, width, v, why);
}

/*
 * The error status a reset leaves behind: AER status is sticky across
 * FLR (pci_restore_state() calls pci_aer_clear_status()); Device Status
 * and Status errors are RW1C (pcie_clear_device_status(),
 * pci_status_get_and_clear_errors()).
 */
int kd_clear_errors(struct kd_reset_exec *x, struct kd_dev *dev, unsigned exp)
{
	unsigned aer = kd_ecap_find(dev, PCI_EXT_CAP_ID_ERR);
	int err = 0;

	if (exp)
		err = clear_w1c(x, dev, exp + PCI_EXP_DEVSTA, 2,
				PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED |
				PCI_EXP_DEVSTA_FED | PCI_EXP_DEVSTA_URD,
				"clear Device Status errors "
				"(pcie_clear_device_status)");
	if (!err && aer)
		err = clear_w1c(x, dev, aer + PCI_ERR_UNCOR_STATUS, 4,
				0xffffffff, "clear AER uncorrectable status "
				"(pci_aer_clear_status)");
	if (!err && aer)
		err = clear_w1c(x, dev, aer + PCI_ERR_COR_STATUS, 4,
				0xffffffff, "clear AER correctable status "
				"(pci_aer_clear_status)");
	if (!err)
		err = clear_w1c(x, dev, PCI_STATUS, 2, PCI_STATUS_ERROR_BITS,
				"clear Status errors "
				"(pci_status_get_and_clear_errors)");
	return err;
}

int kd_restore(struct kd_reset_exec *x, struct kd_dev *dev,
	       const struct kd_saved *s)
{
	uint32_t hdr[16];
	int err;

	if (!s->valid)
		return -EINVAL;
	memcpy(hdr, s->hdr, sizeof(hdr));
	/*
	 * kdsafe's one deviation from pci_restore_state(): an unbound
	 * function gets its Command back without Bus Master Enable, so a
	 * reset never re-arms DMA no driver asked for.
	 */
	if (s->unbound)
		hdr[1] &= ~(uint32_t)PCI_COMMAND_MASTER;
	if (s->exp) {
		const unsigned e = s->exp;

		/* never write Initiate FLR back */
		err = restore_word(x, dev, e + PCI_EXP_DEVCTL,
				   s->devctl & ~PCI_EXP_DEVCTL_BCR_FLR);
		if (!err && s->link)
			err = restore_word(x, dev, e + PCI_EXP_LNKCTL, s->lnkctl);
		if (!err && s->slot)
			err = restore_word(x, dev, e + PCI_EXP_SLTCTL, s->sltctl);
		if (!err && s->v2)
			err = restore_word(x, dev, e + PCI_EXP_DEVCTL2,
					   s->devctl2);
		if (!err && s->v2 && s->link)
			err = restore_word(x, dev, e + PCI_EXP_LNKCTL2,
					   s->lnkctl2);
		if (err < 0)
			return err;
	}
	if (s->hdr_type == PCI_HEADER_TYPE_NORMAL) {
		err = restore_range(x, dev, hdr, 10, 15, 0, false);
		/* BARs before the Command register, with retries */
		if (!err)
			err = restore_range(x, dev, hdr, 4, 9, 10, false);
		if (!err)
			err = restore_range(x, dev, hdr, 0, 3, 0, false);
	} else if (s->hdr_type == PCI_HEADER_TYPE_BRIDGE) {
		err = restore_range(x, dev, hdr, 12, 15, 0, false);
		/* prefetch window rewritten unconditionally (kernel) */
		if (!err)
			err = restore_range(x, dev, hdr, 9, 11, 0, true);
		if (!err)
			err = restore_range(x, dev, hdr, 0, 8, 0, false);
	} else {
		err = restore_range(x, dev, hdr, 0, 15, 0, false);
	}
	return err < 0 ? err : kd_clear_errors(x, dev, s->exp);
}
