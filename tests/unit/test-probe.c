// SPDX-License-Identifier: GPL-2.0-or-later
/* Decoding of reset capabilities, inherited state and verdicts from
 * config images built byte by byte. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe/probe.h"
#include "access/regs.h"
#include "testctx.h"

#define PM 0x40
#define MSI 0x50
#define EXP 0x60
#define MSIX 0xa0
#define AF 0xb0
#define AER 0x100

static void put16(uint8_t *c, unsigned off, uint16_t v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *c, unsigned off, uint32_t v)
{
	put16(c, off, (uint16_t)v);
	put16(c, off + 2, (uint16_t)(v >> 16));
}

/* A PCIe endpoint 8086:10d3 with PM, MSI, PCIe, MSI-X, AF and AER. */
static void endpoint(uint8_t *c)
{
	memset(c, 0, 4096);
	put16(c, PCI_VENDOR_ID, 0x8086);
	put16(c, PCI_DEVICE_ID, 0x10d3);
	put16(c, PCI_STATUS, PCI_STATUS_CAP_LIST);
	put32(c, PCI_REVISION_ID, 0x02000003);
	c[PCI_CAPABILITY_LIST] = PM;
	c[PM] = PCI_CAP_ID_PM, c[PM + 1] = MSI;
	c[MSI] = PCI_CAP_ID_MSI, c[MSI + 1] = EXP;
	put16(c, MSI + PCI_MSI_FLAGS, 0x0008); /* 16 vectors capable */
	c[EXP] = PCI_CAP_ID_EXP, c[EXP + 1] = MSIX;
	put16(c, EXP + PCI_EXP_FLAGS, 0x0002); /* v2 endpoint */
	put32(c, EXP + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_FLR);
	put32(c, EXP + PCI_EXP_LNKCAP, PCI_EXP_LNKCAP_DLLLARC);
	put16(c, EXP + PCI_EXP_LNKSTA, 0x0011 | PCI_EXP_LNKSTA_DLLLA);
	c[MSIX] = PCI_CAP_ID_MSIX, c[MSIX + 1] = AF;
	put16(c, MSIX + PCI_MSIX_FLAGS, 4); /* 5 entries */
	c[AF] = PCI_CAP_ID_AF, c[AF + 1] = 0;
	c[AF + PCI_AF_CAP] = PCI_AF_CAP_TP | PCI_AF_CAP_FLR;
	put32(c, AER, 0x00010001); /* AER v1, end of list */
}

struct probed {
	struct kd_ctx *ctx;
	struct kd_dev *dev;
	struct kd_probe_info in;
	char *path;
	struct test_log log;
};

static void probe_image(struct probed *p, const uint8_t *cfg, size_t len,
			const char *annotations)
{
	char *body = test_dump_text("0000:03:00.0 test", cfg, len);
	char *text = malloc(strlen(body) + strlen(annotations) + 1);
	struct kd_addr a = { .bus = 3 };
	char *nl = strchr(body, '\n');

	/* annotations go right after the header line */
	*nl = '\0';
	sprintf(text, "%s\n%s%s", body, annotations, nl + 1);
	p->ctx = test_dump_ctx(text, &p->log, &p->path);
	assert_non_null(p->ctx);
	assert_int_equal(kd_dev_open(p->ctx, &a, &p->dev), 0);
	kd_probe_decode(p->dev, &p->in);
	if (strstr(annotations, "driver="))
		p->in.bound = true;
	kd_probe_judge(&p->in);
	free(body);
	free(text);
}

static void probed_free(struct probed *p)
{
	kd_probe_info_clear(&p->in);
	kd_dev_free(p->dev);
	kd_ctx_unref(p->ctx);
	test_remove(p->path);
}

static void caps_and_reset_methods(void **state)
{
	uint8_t c[4096];
	struct probed p;

	(void)state;
	endpoint(c);
	probe_image(&p, c, sizeof(c), "");
	assert_int_equal(p.in.pm_cap, PM);
	assert_int_equal(p.in.msi_cap, MSI);
	assert_int_equal(p.in.exp_cap, EXP);
	assert_int_equal(p.in.msix_cap, MSIX);
	assert_int_equal(p.in.af_cap, AF);
	assert_int_equal(p.in.aer_cap, AER);
	assert_int_equal(p.in.reset_caps,
			 KD_RESET_FLR | KD_RESET_AF_FLR | KD_RESET_PM);
	assert_int_equal(p.in.pcie_type, PCI_EXP_TYPE_ENDPOINT);
	assert_int_equal(p.in.class_code, 0x020000);
	assert_int_equal(p.in.revision, 3);
	assert_int_equal(p.in.msi_vectors_max, 16);
	assert_int_equal(p.in.msix_table_size, 5);
	assert_int_equal(p.in.link_speed, 1);
	assert_int_equal(p.in.link_width, 1);
	assert_true(p.in.link_dll_active);
	assert_string_equal(p.in.modalias,
			    "pci:v00008086d000010D3sv00000000sd00000000"
			    "bc02sc00i00");
	assert_int_equal(p.in.verdict, KD_VERDICT_CLEAN);
	assert_int_equal(p.in.reasons, 0);
	probed_free(&p);
}

static void no_soft_reset_forbids_pm_and_af_needs_tp(void **state)
{
	uint8_t c[4096];
	struct probed p;

	(void)state;
	endpoint(c);
	put16(c, PM + PCI_PM_CTRL, PCI_PM_CTRL_NO_SOFT_RESET);
	c[AF + PCI_AF_CAP] = PCI_AF_CAP_FLR; /* FLR without TP */
	put32(c, EXP + PCI_EXP_DEVCAP, 0);
	probe_image(&p, c, sizeof(c), "");
	assert_true(p.in.pm_no_soft_reset);
	assert_int_equal(p.in.reset_caps, 0);
	assert_int_equal(p.in.power_state, 0);
	probed_free(&p);
}

static void dirty_unbound_device(void **state)
{
	uint8_t c[4096];
	struct probed p;

	(void)state;
	endpoint(c);
	put16(c, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	put16(c, MSIX + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | 4);
	put16(c, EXP + PCI_EXP_DEVSTA, PCI_EXP_DEVSTA_TRPND |
					  PCI_EXP_DEVSTA_CED);
	put32(c, AER + PCI_ERR_UNCOR_STATUS, 0x00004000);
	probe_image(&p, c, sizeof(c), "");
	assert_int_equal(p.in.verdict, KD_VERDICT_ACTIVE_DMA);
	assert_int_equal(p.in.reasons,
			 KD_REASON_BME_UNBOUND | KD_REASON_TRANS_PENDING |
			 KD_REASON_MSIX_ENABLED | KD_REASON_DEVSTA_ERRORS |
			 KD_REASON_AER_UNCOR);
	probed_free(&p);
}

static void bound_driver_owns_bme_and_irqs(void **state)
{
	uint8_t c[4096];
	struct probed p;

	(void)state;
	endpoint(c);
	put16(c, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	put16(c, MSI + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE);
	probe_image(&p, c, sizeof(c), "#@ driver=e1000e\n");
	assert_int_equal(p.in.verdict, KD_VERDICT_CLEAN);
	probed_free(&p);
}

static void irq_armed_without_bme(void **state)
{
	uint8_t c[4096];
	struct probed p;

	(void)state;
	endpoint(c);
	put16(c, MSI + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE);
	put16(c, PCI_STATUS, PCI_STATUS_CAP_LIST | PCI_STATUS_INTERRUPT);
	probe_image(&p, c, sizeof(c), "");
	assert_int_equal(p.in.verdict, KD_VERDICT_IRQ_ARMED);
	assert_int_equal(p.in.reasons, KD_REASON_MSI_ENABLED |
				       KD_REASON_INTX_PENDING);
	probed_free(&p);
}

static void status_errors(void **state)
{
	uint8_t c[4096];
	struct probed p;

	(void)state;
	endpoint(c);
	put16(c, PCI_STATUS, PCI_STATUS_CAP_LIST |
				     PCI_STATUS_REC_MASTER_ABORT);
	probe_image(&p, c, sizeof(c), "");
	assert_int_equal(p.in.verdict, KD_VERDICT_ERRORS);
	assert_int_equal(p.in.reasons, KD_REASON_STATUS_ERRORS);
	probed_free(&p);
}

static void dead_device_reads_all_ones(void **state)
{
	uint8_t c[256];
	struct probed p;

	(void)state;
	memset(c, 0xff, sizeof(c));
	probe_image(&p, c, sizeof(c), "");
	assert_true(p.in.dead);
	assert_int_equal(p.in.verdict, KD_VERDICT_DEAD);
	assert_int_equal(p.in.reasons, KD_REASON_ALL_ONES);
	probed_free(&p);
}

/* 64 bytes of config: the capability list points past the end, so no
 * capability may be decoded from the cache's all-ones tail. */
static void truncated_config_decodes_no_capabilities(void **state)
{
	uint8_t c[4096];
	struct probed p;

	(void)state;
	endpoint(c);
	put16(c, PCI_COMMAND, PCI_COMMAND_MASTER);
	probe_image(&p, c, 64, "");
	assert_int_equal(p.in.config_len, 64);
	assert_int_equal(p.in.pm_cap, 0);
	assert_int_equal(p.in.exp_cap, 0);
	assert_int_equal(p.in.aer_cap, 0);
	assert_int_equal(p.in.reset_caps, 0);
	assert_int_equal(p.in.reasons, KD_REASON_BME_UNBOUND |
				       KD_REASON_CONFIG_SHORT);
	probed_free(&p);
	/* 256 bytes: capabilities yes, extended ones no */
	probe_image(&p, c, 256, "");
	assert_int_equal(p.in.exp_cap, EXP);
	assert_int_equal(p.in.aer_cap, 0);
	probed_free(&p);
}

static void looping_capability_list_ends(void **state)
{
	uint8_t c[4096];
	struct probed p;

	(void)state;
	endpoint(c);
	c[AF + 1] = PM; /* AF points back to PM: a loop */
	put32(c, AER, 0x10000001); /* AER whose next is itself */
	probe_image(&p, c, sizeof(c), "");
	assert_int_equal(kd_cap_find(p.dev, 0x09), 0); /* vendor: absent */
	assert_int_equal(kd_ecap_find(p.dev, 0x0002), 0);
	assert_int_equal(p.in.af_cap, AF);
	probed_free(&p);
}

/* virtio has several vendor-specific capabilities: walk them in turn */
static void repeated_capabilities_found_in_turn(void **state)
{
	uint8_t c[4096];
	struct probed p;

	(void)state;
	endpoint(c);
	c[AF + 1] = 0xc0;
	c[0xc0] = 0x09, c[0xc1] = 0xd0;
	c[0xd0] = 0x09, c[0xd1] = 0x00;
	probe_image(&p, c, sizeof(c), "");
	assert_int_equal(kd_cap_find(p.dev, 0x09), 0xc0);
	assert_int_equal(kd_cap_find_next(p.dev, 0x09, 0), 0xc0);
	assert_int_equal(kd_cap_find_next(p.dev, 0x09, 0xc0), 0xd0);
	assert_int_equal(kd_cap_find_next(p.dev, 0x09, 0xd0), 0);
	probed_free(&p);
}

static void bridge_bme_is_not_dma(void **state)
{
	uint8_t c[256];
	struct probed p;

	(void)state;
	memset(c, 0, sizeof(c));
	put16(c, PCI_VENDOR_ID, 0x8086);
	put16(c, PCI_DEVICE_ID, 0x3b42);
	put16(c, PCI_COMMAND, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	put32(c, PCI_REVISION_ID, 0x06040000);
	c[PCI_HEADER_TYPE] = 0x81;
	c[PCI_SECONDARY_BUS] = 4;
	c[PCI_SUBORDINATE_BUS] = 5;
	probe_image(&p, c, sizeof(c), "");
	assert_true(p.in.is_bridge);
	assert_true(p.in.multifunction);
	assert_int_equal(p.in.secondary_bus, 4);
	assert_int_equal(p.in.subordinate_bus, 5);
	assert_int_equal(p.in.verdict, KD_VERDICT_CLEAN);
	probed_free(&p);
}

static void bridge_subsystem_from_ssvid(void **state)
{
	uint8_t c[256];
	struct probed p;

	(void)state;
	memset(c, 0, sizeof(c));
	put16(c, PCI_VENDOR_ID, 0x8086);
	put16(c, PCI_DEVICE_ID, 0xa338);
	put16(c, PCI_STATUS, PCI_STATUS_CAP_LIST);
	put32(c, PCI_REVISION_ID, 0x06040000);
	c[PCI_HEADER_TYPE] = 1;
	c[PCI_CAPABILITY_LIST] = 0x80;
	c[0x80] = PCI_CAP_ID_SSVID, c[0x81] = 0;
	put16(c, 0x84, 0x1458);
	put16(c, 0x86, 0x5001);
	probe_image(&p, c, sizeof(c), "");
	assert_int_equal(p.in.subsys_vendor, 0x1458);
	assert_int_equal(p.in.subsys_device, 0x5001);
	assert_string_equal(p.in.modalias, "pci:v00008086d0000A338sv00001458"
					   "sd00005001bc06sc04i00");
	probed_free(&p);
}

/* SR-IOV VFs read ffff as their IDs but are alive */
static void vf_ids_all_ones_is_not_dead(void **state)
{
	uint8_t c[4096];
	struct probed p;

	(void)state;
	endpoint(c);
	put32(c, PCI_VENDOR_ID, 0xffffffff);
	probe_image(&p, c, sizeof(c), "");
	assert_false(p.in.dead);
	assert_int_equal(p.in.class_code, 0x020000);
	assert_int_equal(p.in.reset_caps & KD_RESET_FLR, KD_RESET_FLR);
	probed_free(&p);
}

/* A plain lspci dump has no physfn: the PF's SR-IOV capability says which
 * functions are its VFs and what their Device ID is. */
static void dump_vf_found_through_pf_sriov_capability(void **state)
{
	uint8_t pf[4096], vf[4096];
	char *a, *b, *c, *text, *path;
	struct kd_addr vf1 = { .bus = 1, .dev = 0x10, .fn = 2 };
	struct kd_prober *prober;
	struct kd_probe_info in;
	struct test_log log;
	struct kd_dev *dev;
	struct kd_ctx *ctx;

	(void)state;
	endpoint(pf);
	put32(pf, AER, 0x16010001);             /* AER, next at 0x160 */
	put32(pf, 0x160, 0x00010010);           /* SR-IOV */
	put16(pf, 0x160 + PCI_SRIOV_NUM_VF, 2);
	put16(pf, 0x160 + PCI_SRIOV_VF_OFFSET, 0x80);
	put16(pf, 0x160 + PCI_SRIOV_VF_STRIDE, 2);
	put16(pf, 0x160 + PCI_SRIOV_VF_DID, 0x10ed);
	endpoint(vf);
	put32(vf, PCI_VENDOR_ID, 0xffffffff);
	a = test_dump_text("01:00.0 PF", pf, sizeof(pf));
	b = test_dump_text("01:10.0 VF0", vf, sizeof(vf));
	c = test_dump_text("01:10.2 VF1", vf, sizeof(vf));
	text = malloc(strlen(a) + strlen(b) + strlen(c) + 1);
	sprintf(text, "%s%s%s", a, b, c);
	ctx = test_dump_ctx(text, &log, &path);
	assert_int_equal(kd_prober_new(ctx, &prober), 0);
	assert_int_equal(kd_dev_open(ctx, &vf1, &dev), 0);
	assert_int_equal(kd_probe(prober, dev, &in), 0);
	assert_true(in.is_vf);
	assert_int_equal(in.physfn.bus, 1);
	assert_int_equal(in.physfn.dev, 0);
	assert_int_equal(in.vendor, 0x8086);
	assert_int_equal(in.device, 0x10ed);
	assert_string_equal(in.bus_reset_why_not, "SR-IOV VF");
	assert_int_equal(in.reset_caps & KD_RESET_BUS, 0);
	kd_probe_info_clear(&in);
	kd_dev_free(dev);
	kd_prober_free(prober);
	kd_ctx_unref(ctx);
	test_remove(path);
	free(a), free(b), free(c), free(text);
}

/* Two PFs whose VF ranges overlap: the first in address order keeps each
 * VF it places (the map built once per topology, probe/sriov.c, answers
 * as the old per-VF search did); a PF never places itself; a function no
 * capability places stays a plain all-ones function. */
static void sriov_pf_map_first_pf_wins(void **state)
{
	static const struct { uint8_t dev, fn; bool vf; uint8_t pf_fn;
			      uint16_t did; } want[] = {
		{ 0x10, 0, true, 0, 0x10ed }, { 0x10, 1, true, 1, 0x1515 },
		{ 0x10, 2, true, 0, 0x10ed }, { 0x10, 3, true, 1, 0x1515 },
		{ 0x11, 0, false, 0, 0 },
	};
	uint8_t pf[4096], vf[4096];
	char *text, *path;
	struct kd_prober *prober;
	struct test_log log;
	struct kd_ctx *ctx;
	size_t len = 0;

	(void)state;
	text = calloc(1, 8 * 40000);
	endpoint(vf);
	put32(vf, PCI_VENDOR_ID, 0xffffffff);
	for (unsigned f = 0; f < 2; f++) {
		char hdr[32], *t;

		endpoint(pf);
		put32(pf, AER, 0x16010001);
		put32(pf, 0x160, 0x00010010);
		/* fn 0: VFs 01:10.0, 01:10.2; fn 1: 01:10.0 to 01:10.3 */
		put16(pf, 0x160 + PCI_SRIOV_NUM_VF, f ? 4 : 2);
		put16(pf, 0x160 + PCI_SRIOV_VF_OFFSET, f ? 0x7f : 0x80);
		put16(pf, 0x160 + PCI_SRIOV_VF_STRIDE, f ? 1 : 2);
		put16(pf, 0x160 + PCI_SRIOV_VF_DID, f ? 0x1515 : 0x10ed);
		snprintf(hdr, sizeof(hdr), "01:00.%u PF", f);
		t = test_dump_text(hdr, pf, sizeof(pf));
		len += (size_t)sprintf(text + len, "%s", t);
		free(t);
	}
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char hdr[32], *t;

		snprintf(hdr, sizeof(hdr), "01:%02x.%u VF", want[i].dev,
			 want[i].fn);
		t = test_dump_text(hdr, vf, sizeof(vf));
		len += (size_t)sprintf(text + len, "%s", t);
		free(t);
	}
	ctx = test_dump_ctx(text, &log, &path);
	assert_int_equal(kd_prober_new(ctx, &prober), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct kd_addr a = { .bus = 1, .dev = want[i].dev,
				     .fn = want[i].fn };
		struct kd_probe_info in = { 0 };
		struct kd_dev *dev;

		assert_int_equal(kd_dev_open(ctx, &a, &dev), 0);
		assert_int_equal(kd_probe(prober, dev, &in), 0);
		assert_int_equal(in.is_vf, want[i].vf);
		if (want[i].vf) {
			assert_int_equal(in.physfn.fn, want[i].pf_fn);
			assert_int_equal(in.vendor, 0x8086);
			assert_int_equal(in.device, want[i].did);
		} else {
			assert_int_equal(in.vendor, 0xffff);
		}
		kd_probe_info_clear(&in);
		kd_dev_free(dev);
	}
	for (uint8_t f = 0; f < 2; f++) {
		struct kd_addr a = { .bus = 1, .fn = f };
		struct kd_probe_info in = { 0 };
		struct kd_dev *dev;

		assert_int_equal(kd_dev_open(ctx, &a, &dev), 0);
		assert_int_equal(kd_probe(prober, dev, &in), 0);
		assert_false(in.is_vf);
		kd_probe_info_clear(&in);
		kd_dev_free(dev);
	}
	kd_prober_free(prober);
	kd_ctx_unref(ctx);
	test_remove(path);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(caps_and_reset_methods),
		cmocka_unit_test(no_soft_reset_forbids_pm_and_af_needs_tp),
		cmocka_unit_test(dirty_unbound_device),
		cmocka_unit_test(bound_driver_owns_bme_and_irqs),
		cmocka_unit_test(irq_armed_without_bme),
		cmocka_unit_test(status_errors),
		cmocka_unit_test(dead_device_reads_all_ones),
		cmocka_unit_test(truncated_config_decodes_no_capabilities),
		cmocka_unit_test(looping_capability_list_ends),
		cmocka_unit_test(repeated_capabilities_found_in_turn),
		cmocka_unit_test(bridge_bme_is_not_dma),
		cmocka_unit_test(bridge_subsystem_from_ssvid),
		cmocka_unit_test(vf_ids_all_ones_is_not_dead),
		cmocka_unit_test(dump_vf_found_through_pf_sriov_capability),
		cmocka_unit_test(sriov_pf_map_first_pf_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
