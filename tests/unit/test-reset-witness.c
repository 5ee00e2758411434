// SPDX-License-Identifier: GPL-2.0-or-later
/* Class witnesses: the engine register read through the BAR before and
 * after a reset tells an effective reset from a no-op. */
#include <signal.h>
#include <unistd.h>

#include "test-reset.h"

/* a live FLR-capable function of the given class below a root port */
static struct kd_sim_fn *dev_of(struct world *w, uint16_t vendor,
				uint16_t device, uint32_t class_code)
{
	struct kd_sim_fn *f;

	kd_sim_add_bridge(w->sim, "00:1c.0", NULL, 2, true);
	f = kd_sim_add(w->sim, "01:00.0", "00:1c.0", vendor, device,
		       class_code);
	kd_sim_cap_pm(f, false);
	kd_sim_cap_exp(f, PCI_EXP_TYPE_ENDPOINT, true);
	kd_sim_set_live(f);
	return f;
}

typedef struct kd_sim_fn *(*make_fn)(struct world *w);

/* xHCI 1.2 §5.3.1 CAPLENGTH (0x20 here), §5.4.1 USBCMD.R/S, §5.4.2
 * USBSTS.HCH: running, HCH clear; after reset R/S 0 and HCH 1 */
static struct kd_sim_fn *make_xhci(struct world *w)
{
	struct kd_sim_fn *f = dev_of(w, 0x1b36, 0x000d, 0x0c0330);

	kd_sim_bar_reg(f, 0, 0x00, 0x01000020, 0x01000020);
	kd_sim_bar_reg(f, 0, 0x20, 0x00000005, 0);
	kd_sim_bar_reg(f, 0, 0x24, 0x00000008, 0x00000001);
	return f;
}

/* HDA 1.0a §3.3.7 GCTL.CRST, §3.3.22 CORBCTL.CORBRUN, §3.3.30 RIRBCTL */
static struct kd_sim_fn *make_hda(struct world *w)
{
	struct kd_sim_fn *f = dev_of(w, 0x8086, 0x293e, 0x040300);

	kd_sim_bar_reg(f, 0, 0x08, 0x00000101, 0);
	kd_sim_bar_reg(f, 0, 0x4c, 0x02, 0);
	kd_sim_bar_reg(f, 0, 0x5c, 0x03, 0);
	return f;
}

/* AHCI 1.3 §3.1.4 PI, §3.3.7 PxCMD.ST/FRE: ports 0 and 2 implemented */
static struct kd_sim_fn *make_ahci(struct world *w)
{
	struct kd_sim_fn *f = dev_of(w, 0x8086, 0x2922, 0x010601);

	kd_sim_cfg_set(f, PCI_BASE_ADDRESS_0 + 20, 4, 0xfebf0000);
	kd_sim_bar_reg(f, 5, 0x0c, 0x00000005, 0x00000005);
	kd_sim_bar_reg(f, 5, 0x100 + 2 * 0x80 + 0x18, 0x0000c017,
		       0x00000006);
	return f;
}

/* 8254x SDM §13.4.22 RCTL.EN, §13.4.33 TCTL.EN (QEMU's e1000, 82540EM) */
static struct kd_sim_fn *make_e1000(struct world *w)
{
	struct kd_sim_fn *f = dev_of(w, 0x8086, 0x100e, 0x020000);

	kd_sim_bar_reg(f, 0, 0x100, 0x0400801a, 0);
	kd_sim_bar_reg(f, 0, 0x400, 0x0103f0fa, 0x0003f0f8);
	return f;
}

/* RTL8139 datasheet §6 ChipCmd 0x37: RE bit 3, TE bit 2 (BUFE bit 0 is
 * read-only); BAR0 I/O, BAR1 the same registers as memory */
static struct kd_sim_fn *make_rtl8139(struct world *w)
{
	struct kd_sim_fn *f = dev_of(w, 0x10ec, 0x8139, 0x020000);

	kd_sim_cfg_set(f, PCI_BASE_ADDRESS_0, 4, 0x0000c001);
	kd_sim_cfg_set(f, PCI_BASE_ADDRESS_0 + 4, 4, 0xfebf1000);
	kd_sim_bar_reg(f, 1, 0x37, 0x0d, 0x01);
	return f;
}

static void check(make_fn make, const char *name, bool noop)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = make(w);
	struct kd_reset_opts o = { .method = KD_RM_FLR };

	if (noop)
		kd_sim_set_flags(f, KD_SIM_IGNORE_FLR);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_non_null(w->res[0].witness.name);
	assert_non_null(strstr(w->res[0].witness.name, name));
	assert_true(w->res[0].witness.have_before);
	assert_true(w->res[0].witness.have_after);
	assert_true(w->res[0].witness.before != 0);
	if (noop) {
		assert_int_equal(w->res[0].witness.verdict, KD_WITNESS_NOOP);
		assert_int_equal(w->res[0].status, KD_RS_DIRTY);
	} else {
		assert_int_equal(w->res[0].witness.after, 0);
		assert_int_equal(w->res[0].witness.verdict,
				 KD_WITNESS_EFFECTIVE);
		assert_int_equal(w->res[0].status, KD_RS_OK);
	}
	world_free(w);
}

static void test_xhci(void **state)
{
	(void)state;
	check(make_xhci, "xhci", false);
	check(make_xhci, "xhci", true);
}

static void test_hda(void **state)
{
	(void)state;
	check(make_hda, "hda", false);
	check(make_hda, "hda", true);
}

static void test_ahci(void **state)
{
	(void)state;
	check(make_ahci, "ahci", false);
	check(make_ahci, "ahci", true);
}

static void test_e1000(void **state)
{
	(void)state;
	check(make_e1000, "e1000 ", false);
	check(make_e1000, "e1000 ", true);
}

static void test_rtl8139(void **state)
{
	(void)state;
	check(make_rtl8139, "rtl8139", false);
	check(make_rtl8139, "rtl8139", true);
}

/* The witness never reads a BAR the function does not decode: a
 * runtime-suspended xHCI (D3hot, PCI PM 1.2 §5.3.1) or one with Memory
 * Space off answers MMIO reads with Unsupported Request, which platforms
 * with firmware-first error handling may escalate (the kernel's drivers
 * never read MMIO there); the witness is then unknown */
static void test_witness_skips_undecoded_bar(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = make_xhci(w);
	struct kd_reset_opts o = { .method = KD_RM_FLR, .dry_run = true };
	unsigned pm = kd_sim_cfg_get(f, PCI_CAPABILITY_LIST, 1);

	(void)state;
	assert_int_equal(kd_sim_cfg_get(f, pm, 1), PCI_CAP_ID_PM);
	kd_sim_cfg_set(f, pm + PCI_PM_CTRL, 2, PCI_D3hot);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_int_equal(w->res[0].status, KD_RS_PLANNED);
	assert_false(w->res[0].witness.have_before);
	assert_int_equal(kd_sim_ur_reads(f), 0);
	world_free(w);

	w = world_new();
	f = make_xhci(w);
	o.dry_run = false;
	kd_sim_cfg_set(f, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	assert_false(w->res[0].witness.have_before);
	assert_int_equal(w->res[0].witness.verdict, KD_WITNESS_UNKNOWN);
	assert_int_equal(kd_sim_ur_reads(f), 0);
	world_free(w);
}

static void on_alarm(int sig)
{
	(void)sig;
	/* async-signal-safe: the walk did not end */
	static const char msg[] = "capability walk did not terminate\n";

	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

/* A virtio vendor capability whose next pointer is itself: every walk
 * over the list must end (a dry run used to spin forever). */
static void test_self_linked_vendor_cap_terminates(void **state)
{
	struct world *w = world_new();
	struct kd_sim_fn *f = virtio_endpoint(w, "00:1c.0", "01:00.0");
	struct kd_reset_opts o = { .method = KD_RM_AUTO, .dry_run = true };
	unsigned pos = kd_sim_cfg_get(f, PCI_CAPABILITY_LIST, 1);

	(void)state;
	for (int n = 0; n < 48 && kd_sim_cfg_get(f, pos, 1) != 0x09; n++)
		pos = kd_sim_cfg_get(f, pos + 1, 1);
	assert_int_equal(kd_sim_cfg_get(f, pos, 1), 0x09);
	kd_sim_cfg_set(f, pos + 3, 1, 2);   /* cfg_type: notify, not common */
	kd_sim_cfg_set(f, pos + 1, 1, pos); /* next: itself */
	signal(SIGALRM, on_alarm);
	alarm(20);
	assert_int_equal(run_reset(w, &o, "01:00.0", NULL), 0);
	alarm(0);
	assert_int_equal(w->res[0].status, KD_RS_PLANNED);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xhci),
		cmocka_unit_test(test_hda),
		cmocka_unit_test(test_ahci),
		cmocka_unit_test(test_e1000),
		cmocka_unit_test(test_rtl8139),
		cmocka_unit_test(test_self_linked_vendor_cap_terminates),
		cmocka_unit_test(test_witness_skips_undecoded_bar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
