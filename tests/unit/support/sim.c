// SPDX-License-Identifier: GPL-2.0-or-later
/* The simulated PCI topology: see sim.h for the model. */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/regs.h"
#include "sim.h"

#define SIM_CFG 4096
#define MAX_BAR_REGS 16
#define MS(x) ((uint64_t)(x) * 1000000ull)

struct bar_reg {
	int bar;
	uint64_t off, live, reset_value;
};

struct kd_sim_fn {
	struct kd_sim *sim;
	struct kd_addr addr;
	char name[KD_ADDR_STRLEN];
	bool has_parent;
	struct kd_addr parent;
	uint8_t cfg[SIM_CFG];
	size_t cfg_len;
	unsigned next_cap;      /* where the next capability goes */
	unsigned last_cap;      /* to link the next one */
	unsigned pm, msi, msix, exp, af, aer, sriov;
	bool hp_slot;           /* SltCap.HPC: link events reach pciehp */
	bool is_vf, unreadable;
	struct kd_addr physfn;
	uint16_t devctl_default;
	bool is_bridge;
	char driver[32];
	unsigned flags;
	uint64_t busy_ns, busy_until;
	bool never_back, gone;
	unsigned fail_pos;
	bool fail_set, fail_any;
	bool kernel_reset, has_reset_method;
	char kernel_methods[64], reset_method[64];
	unsigned resets;
	unsigned ur_reads;      /* BAR reads it could not decode */
	/* virtio 1.x: device_status in BAR vbar at voff; a write of 0 resets
	 * the device, which reads 0 once virtio_ready_at has passed */
	bool virtio, virtio_resetting;
	int vbar;
	uint64_t voff, virtio_busy_ns, virtio_ready_at;
	unsigned virtio_resets;
	size_t n_bar;
	struct bar_reg bars[MAX_BAR_REGS];
	/* extended capabilities, registers a reset zeroes, read tracing */
	unsigned next_ecap, last_ecap;
	size_t n_clears;
	struct { unsigned pos, width; } clears[MAX_BAR_REGS * 2];
	bool trace_reads, rrs;
};

struct kd_sim {
	pthread_mutex_t lock;
	struct kd_sim_fn **fn;
	size_t n, cap;
	uint64_t now;
	bool fake_clock;
	uint64_t tick_ns;      /* kd_sim_clock_tick(): each read advances */
	void (*on_sleep)(uint64_t ns, void *data); /* kd_sim_on_sleep() */
	void *on_sleep_data;
	struct kd_sim_event *ev;
	size_t n_ev, cap_ev;
	char *log;
	size_t log_len;
	/* concurrency probe: how many callers sleep at once */
	pthread_cond_t sleepers_cond;
	unsigned sleeping, peak_sleeping, rendezvous;
	uint64_t rendezvous_timeout_ms;
};

/* ---- helpers ------------------------------------------------------------ */

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "sim: %s: %s\n", what, arg);
	abort();
}

static void put(uint8_t *c, unsigned pos, unsigned width, uint32_t v)
{
	for (unsigned i = 0; i < width; i++)
		c[pos + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get(const uint8_t *c, unsigned pos, unsigned width)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < width; i++)
		v |= (uint32_t)c[pos + i] << (8 * i);
	return v;
}

static uint64_t sim_time(struct kd_sim *sim, struct kd_ctx *ctx)
{
	return sim->fake_clock || !ctx ? sim->now : kd_now_ns(ctx);
}

static struct kd_sim_event *add_event(struct kd_sim *sim,
				      enum kd_sim_ev_kind kind,
				      const struct kd_addr *a)
{
	struct kd_sim_event *e;

	if (sim->n_ev == sim->cap_ev) {
		size_t cap = sim->cap_ev ? sim->cap_ev * 2 : 256;
		struct kd_sim_event *v = realloc(sim->ev, cap * sizeof(*v));

		if (!v)
			die("out of memory", "event log");
		sim->ev = v;
		sim->cap_ev = cap;
	}
	e = &sim->ev[sim->n_ev++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	if (a)
		e->addr = *a;
	e->at = sim->now;
	return e;
}

static struct kd_sim_fn *lookup(struct kd_sim *sim, const struct kd_addr *a)
{
	for (size_t i = 0; i < sim->n; i++)
		if (kd_addr_eq(&sim->fn[i]->addr, a))
			return sim->fn[i];
	return NULL;
}

/* ---- construction ------------------------------------------------------- */

struct kd_sim *kd_sim_new(void)
{
	struct kd_sim *sim = calloc(1, sizeof(*sim));

	if (!sim)
		die("out of memory", "sim");
	pthread_mutex_init(&sim->lock, NULL);
	pthread_cond_init(&sim->sleepers_cond, NULL);
	sim->now = MS(1000); /* not 0: catches "elapsed since 0" bugs */
	return sim;
}

void kd_sim_free(struct kd_sim *sim)
{
	if (!sim)
		return;
	for (size_t i = 0; i < sim->n; i++)
		free(sim->fn[i]);
	free(sim->fn);
	free(sim->ev);
	free(sim->log);
	pthread_mutex_destroy(&sim->lock);
	pthread_cond_destroy(&sim->sleepers_cond);
	free(sim);
}

static struct kd_sim_fn *new_fn(struct kd_sim *sim, const char *bdf,
				const char *parent)
{
	struct kd_sim_fn *fn = calloc(1, sizeof(*fn));

	if (!fn)
		die("out of memory", bdf);
	fn->sim = sim;
	if (kd_addr_parse(bdf, &fn->addr) < 0)
		die("bad address", bdf);
	kd_addr_format(&fn->addr, fn->name);
	if (parent) {
		if (kd_addr_parse(parent, &fn->parent) < 0)
			die("bad parent address", parent);
		fn->has_parent = true;
	}
	fn->cfg_len = 256;
	fn->next_cap = PCI_STD_HEADER_SIZEOF;
	if (sim->n == sim->cap) {
		size_t cap = sim->cap ? sim->cap * 2 : 16;
		struct kd_sim_fn **v = realloc(sim->fn, cap * sizeof(*v));

		if (!v)
			die("out of memory", bdf);
		sim->fn = v;
		sim->cap = cap;
	}
	sim->fn[sim->n++] = fn;
	/* a bridge above learns its bus range */
	if (fn->has_parent) {
		struct kd_sim_fn *p = lookup(sim, &fn->parent);

		if (p && p->is_bridge) {
			if (!p->cfg[PCI_SECONDARY_BUS] ||
			    fn->addr.bus < p->cfg[PCI_SECONDARY_BUS])
				p->cfg[PCI_SECONDARY_BUS] = fn->addr.bus;
			if (fn->addr.bus > p->cfg[PCI_SUBORDINATE_BUS])
				p->cfg[PCI_SUBORDINATE_BUS] = fn->addr.bus;
		}
	}
	return fn;
}

struct kd_sim_fn *kd_sim_add(struct kd_sim *sim, const char *bdf,
			     const char *parent, uint16_t vendor,
			     uint16_t device, uint32_t class_code)
{
	struct kd_sim_fn *fn = new_fn(sim, bdf, parent);

	put(fn->cfg, PCI_VENDOR_ID, 2, vendor);
	put(fn->cfg, PCI_DEVICE_ID, 2, device);
	put(fn->cfg, PCI_REVISION_ID, 4, class_code << 8 | 1);
	put(fn->cfg, PCI_SUBSYSTEM_VENDOR_ID, 2, vendor);
	put(fn->cfg, PCI_SUBSYSTEM_ID, 2, 0x1100);
	fn->cfg[PCI_INTERRUPT_PIN] = 1;
	if (fn->addr.fn) { /* function 0 of the device is multi-function */
		struct kd_addr f0 = fn->addr;
		struct kd_sim_fn *z;

		f0.fn = 0;
		z = lookup(sim, &f0);
		if (z)
			z->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MFD;
		fn->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_TYPE_MFD;
	}
	return fn;
}

struct kd_sim_fn *kd_sim_add_pci_bridge(struct kd_sim *sim, const char *bdf,
					const char *parent)
{
	struct kd_sim_fn *fn = kd_sim_add(sim, bdf, parent, 0x1b36, 0x0001,
					  0x060400);

	fn->is_bridge = true;
	fn->cfg[PCI_HEADER_TYPE] = (fn->cfg[PCI_HEADER_TYPE] &
				    PCI_HEADER_TYPE_MFD) |
				   PCI_HEADER_TYPE_BRIDGE;
	put(fn->cfg, PCI_SUBSYSTEM_VENDOR_ID, 4, 0);
	fn->cfg[PCI_PRIMARY_BUS] = fn->addr.bus;
	put(fn->cfg, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return fn;
}

struct kd_sim_fn *kd_sim_add_bridge(struct kd_sim *sim, const char *bdf,
				    const char *parent, unsigned speed,
				    bool dll)
{
	struct kd_sim_fn *fn = kd_sim_add_pci_bridge(sim, bdf, parent);
	unsigned e;

	put(fn->cfg, PCI_VENDOR_ID, 4, 0x000c1b36);
	e = kd_sim_cap_exp(fn, parent ? PCI_EXP_TYPE_DOWNSTREAM :
				  PCI_EXP_TYPE_ROOT_PORT, false);
	put(fn->cfg, e + PCI_EXP_LNKCAP, 4, (dll ? PCI_EXP_LNKCAP_DLLLARC : 0) |
					    (speed & 0xf) | 1u << 4);
	put(fn->cfg, e + PCI_EXP_LNKSTA, 2, (speed & 0xf) | 1u << 4 |
					    (dll ? PCI_EXP_LNKSTA_DLLLA : 0));
	return fn;
}

struct kd_sim_fn *kd_sim_find(struct kd_sim *sim, const char *bdf)
{
	struct kd_addr a;

	if (kd_addr_parse(bdf, &a) < 0)
		return NULL;
	return lookup(sim, &a);
}

const struct kd_addr *kd_sim_fn_addr(const struct kd_sim_fn *fn)
{
	return &fn->addr;
}

static unsigned add_cap(struct kd_sim_fn *fn, uint8_t id, unsigned size)
{
	unsigned pos = fn->next_cap;

	if (pos + size > PCI_CFG_SPACE_SIZE)
		die("capabilities overflow", fn->name);
	fn->cfg[pos] = id;
	fn->cfg[pos + 1] = 0;
	if (fn->last_cap)
		fn->cfg[fn->last_cap + 1] = (uint8_t)pos;
	else
		fn->cfg[PCI_CAPABILITY_LIST] = (uint8_t)pos;
	put(fn->cfg, PCI_STATUS, 2, get(fn->cfg, PCI_STATUS, 2) |
				    PCI_STATUS_CAP_LIST);
	fn->last_cap = pos;
	fn->next_cap = (pos + size + 3) & ~3u;
	return pos;
}

unsigned kd_sim_cap_pm(struct kd_sim_fn *fn, bool no_soft_reset)
{
	fn->pm = add_cap(fn, PCI_CAP_ID_PM, 8);
	put(fn->cfg, fn->pm + PCI_PM_PMC, 2, 0x0003);
	put(fn->cfg, fn->pm + PCI_PM_CTRL, 2,
	    no_soft_reset ? PCI_PM_CTRL_NO_SOFT_RESET : 0);
	return fn->pm;
}

unsigned kd_sim_cap_msi(struct kd_sim_fn *fn)
{
	fn->msi = add_cap(fn, PCI_CAP_ID_MSI, 24);
	put(fn->cfg, fn->msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_64BIT |
						 PCI_MSI_FLAGS_MASKBIT);
	return fn->msi;
}

unsigned kd_sim_cap_msix(struct kd_sim_fn *fn, unsigned table_size)
{
	fn->msix = add_cap(fn, PCI_CAP_ID_MSIX, 12);
	put(fn->cfg, fn->msix + PCI_MSIX_FLAGS, 2,
	    (table_size ? table_size - 1 : 0) & PCI_MSIX_FLAGS_QSIZE);
	return fn->msix;
}

unsigned kd_sim_cap_exp(struct kd_sim_fn *fn, int type, bool flr)
{
	fn->exp = add_cap(fn, PCI_CAP_ID_EXP, 0x3c);
	put(fn->cfg, fn->exp + PCI_EXP_FLAGS, 2, 0x0002 | (unsigned)type << 4);
	put(fn->cfg, fn->exp + PCI_EXP_DEVCAP, 4, flr ? PCI_EXP_DEVCAP_FLR : 0);
	fn->devctl_default = 0x2810; /* MRRS 512, relaxed ordering, no snoop */
	put(fn->cfg, fn->exp + PCI_EXP_DEVCTL, 2, fn->devctl_default);
	fn->cfg_len = SIM_CFG;
	return fn->exp;
}

unsigned kd_sim_cap_af(struct kd_sim_fn *fn)
{
	fn->af = add_cap(fn, PCI_CAP_ID_AF, 6);
	fn->cfg[fn->af + 2] = 6;
	fn->cfg[fn->af + PCI_AF_CAP] = PCI_AF_CAP_TP | PCI_AF_CAP_FLR;
	return fn->af;
}

unsigned kd_sim_ecap_aer(struct kd_sim_fn *fn)
{
	fn->aer = PCI_CFG_SPACE_SIZE; /* the first extended capability */
	fn->cfg_len = SIM_CFG;
	put(fn->cfg, fn->aer, 4, PCI_EXT_CAP_ID_ERR | 1u << 16);
	fn->last_ecap = fn->aer;
	fn->next_ecap = fn->aer + 0x48;
	return fn->aer;
}

void kd_sim_set_immediate_ready(struct kd_sim_fn *fn)
{
	put(fn->cfg, PCI_STATUS, 2, get(fn->cfg, PCI_STATUS, 2) |
				    PCI_STATUS_IMM_READY);
}

void kd_sim_slot(struct kd_sim_fn *fn)
{
	if (!fn->exp || !fn->is_bridge)
		die("a slot needs a PCIe bridge", fn->name);
	fn->hp_slot = true;
	put(fn->cfg, fn->exp + PCI_EXP_FLAGS, 2,
	    get(fn->cfg, fn->exp + PCI_EXP_FLAGS, 2) | PCI_EXP_FLAGS_SLOT);
	put(fn->cfg, fn->exp + PCI_EXP_SLTCAP, 4, PCI_EXP_SLTCAP_HPC);
	/* as pciehp leaves it: interrupts on, presence and link events on */
	put(fn->cfg, fn->exp + PCI_EXP_SLTCTL, 2, PCI_EXP_SLTCTL_HPIE |
	    PCI_EXP_SLTCTL_PDCE | PCI_EXP_SLTCTL_DLLSCE);
}

unsigned kd_sim_ecap_sriov(struct kd_sim_fn *fn, unsigned num_vfs,
			   unsigned offset, unsigned stride)
{
	unsigned pos = fn->aer ? 0x160 : 0x100;

	if (fn->aer)
		put(fn->cfg, fn->aer + 2, 2, (get(fn->cfg, fn->aer + 2, 2) &
					      0xf) | pos << 4);
	fn->sriov = pos;
	fn->cfg_len = SIM_CFG;
	put(fn->cfg, pos, 4, PCI_EXT_CAP_ID_SRIOV | 1u << 16);
	put(fn->cfg, pos + PCI_SRIOV_CTRL, 2, PCI_SRIOV_CTRL_VFE);
	put(fn->cfg, pos + PCI_SRIOV_NUM_VF, 2, num_vfs);
	put(fn->cfg, pos + PCI_SRIOV_VF_OFFSET, 2, offset);
	put(fn->cfg, pos + PCI_SRIOV_VF_STRIDE, 2, stride);
	put(fn->cfg, pos + PCI_SRIOV_VF_DID, 2, 0x10ed);
	return pos;
}

struct kd_sim_fn *kd_sim_add_vf(struct kd_sim *sim, const char *bdf,
				const char *pf)
{
	struct kd_sim_fn *p = kd_sim_find(sim, pf), *fn;
	char parent[KD_ADDR_STRLEN];

	if (!p)
		die("no such PF", pf);
	fn = new_fn(sim, bdf, p->has_parent ?
		    kd_addr_format(&p->parent, parent) : NULL);
	/* SR-IOV 1.1 §3.4.1.1: a VF's Vendor and Device ID read ffff */
	put(fn->cfg, PCI_VENDOR_ID, 4, 0xffffffff);
	put(fn->cfg, PCI_REVISION_ID, 4, get(p->cfg, PCI_REVISION_ID, 4));
	fn->is_vf = true;
	fn->physfn = p->addr;
	kd_sim_cap_exp(fn, PCI_EXP_TYPE_ENDPOINT, true);
	return fn;
}

void kd_sim_set_unreadable(struct kd_sim_fn *fn)
{
	fn->unreadable = true;
}

void kd_sim_set_live(struct kd_sim_fn *fn)
{
	uint32_t cmd = get(fn->cfg, PCI_COMMAND, 2);

	put(fn->cfg, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY |
				     PCI_COMMAND_MASTER);
	if (!fn->is_bridge && !get(fn->cfg, PCI_BASE_ADDRESS_0, 4))
		put(fn->cfg, PCI_BASE_ADDRESS_0, 4, 0xfe000000 |
		    (uint32_t)fn->addr.bus << 16 | (uint32_t)fn->addr.dev << 11 |
		    (uint32_t)fn->addr.fn << 8);
	fn->cfg[PCI_INTERRUPT_LINE] = 11;
	if (fn->msi)
		put(fn->cfg, fn->msi + PCI_MSI_FLAGS, 2,
		    get(fn->cfg, fn->msi + PCI_MSI_FLAGS, 2) |
		    PCI_MSI_FLAGS_ENABLE);
	if (fn->msix)
		put(fn->cfg, fn->msix + PCI_MSIX_FLAGS, 2,
		    get(fn->cfg, fn->msix + PCI_MSIX_FLAGS, 2) |
		    PCI_MSIX_FLAGS_ENABLE);
	if (fn->flags & (KD_SIM_TRANS_PEND | KD_SIM_TRANS_PEND_STUCK))
		put(fn->cfg, fn->exp + PCI_EXP_DEVSTA, 2,
		    get(fn->cfg, fn->exp + PCI_EXP_DEVSTA, 2) |
		    PCI_EXP_DEVSTA_TRPND);
}

void kd_sim_cfg_set(struct kd_sim_fn *fn, unsigned pos, unsigned width,
		    uint32_t val)
{
	put(fn->cfg, pos, width, val);
}

uint32_t kd_sim_cfg_get(const struct kd_sim_fn *fn, unsigned pos,
			unsigned width)
{
	return get(fn->cfg, pos, width);
}

void kd_sim_bind(struct kd_sim_fn *fn, const char *driver)
{
	snprintf(fn->driver, sizeof(fn->driver), "%s", driver ? driver : "");
}

void kd_sim_set_flags(struct kd_sim_fn *fn, unsigned flags)
{
	fn->flags = flags;
	if (fn->exp && (flags & (KD_SIM_TRANS_PEND | KD_SIM_TRANS_PEND_STUCK)))
		put(fn->cfg, fn->exp + PCI_EXP_DEVSTA, 2,
		    get(fn->cfg, fn->exp + PCI_EXP_DEVSTA, 2) |
		    PCI_EXP_DEVSTA_TRPND);
}

void kd_sim_set_busy_ms(struct kd_sim_fn *fn, uint64_t ms)
{
	fn->busy_ns = MS(ms);
}

void kd_sim_fail_write(struct kd_sim_fn *fn, unsigned pos)
{
	fn->fail_set = true;
	fn->fail_any = pos == ~0u;
	fn->fail_pos = pos;
}

void kd_sim_set_kernel_reset(struct kd_sim_fn *fn, const char *methods)
{
	fn->kernel_reset = true;
	fn->has_reset_method = methods != NULL;
	snprintf(fn->kernel_methods, sizeof(fn->kernel_methods), "%s",
		 methods ? methods : "flr pm bus");
	snprintf(fn->reset_method, sizeof(fn->reset_method), "%s",
		 fn->kernel_methods);
}

const char *kd_sim_reset_method(const struct kd_sim_fn *fn)
{
	return fn->reset_method;
}

unsigned kd_sim_ur_reads(const struct kd_sim_fn *fn)
{
	return fn->ur_reads;
}

unsigned kd_sim_resets(const struct kd_sim_fn *fn)
{
	return fn->resets;
}

bool kd_sim_gone(const struct kd_sim_fn *fn)
{
	return fn->gone;
}

void kd_sim_bar_reg(struct kd_sim_fn *fn, int bar, uint64_t off,
		    uint64_t live, uint64_t reset_value)
{
	for (size_t i = 0; i < fn->n_bar; i++) {
		if (fn->bars[i].bar == bar && fn->bars[i].off == off) {
			fn->bars[i].live = live;
			fn->bars[i].reset_value = reset_value;
			return;
		}
	}
	if (fn->n_bar == MAX_BAR_REGS)
		die("too many BAR registers", fn->name);
	fn->bars[fn->n_bar++] = (struct bar_reg){ bar, off, live, reset_value };
}

uint64_t kd_sim_bar_get(const struct kd_sim_fn *fn, int bar, uint64_t off)
{
	for (size_t i = 0; i < fn->n_bar; i++)
		if (fn->bars[i].bar == bar && fn->bars[i].off == off)
			return fn->bars[i].live;
	return 0;
}

void kd_sim_make_nvme(struct kd_sim_fn *fn)
{
	put(fn->cfg, PCI_REVISION_ID, 4, 0x01080200 | fn->cfg[PCI_REVISION_ID]);
	kd_sim_bar_reg(fn, 0, 0x14, 0x00460001, 0); /* CC: EN */
	kd_sim_bar_reg(fn, 0, 0x1c, 0x00000001, 0); /* CSTS: RDY */
}

void kd_sim_make_e1000e(struct kd_sim_fn *fn)
{
	kd_sim_bar_reg(fn, 0, 0x100, 0x0400801a, 0); /* RCTL: EN (bit 1) */
	kd_sim_bar_reg(fn, 0, 0x400, 0x3103f0fa, 0x3003f0f8); /* TCTL: EN */
}

void kd_sim_make_virtio(struct kd_sim_fn *fn)
{
	/* virtio 1.x §4.1.4: cfg_type 1 (common), BAR 4 offset 0; BAR4 a
	 * 64-bit memory BAR as QEMU's virtio-pci has it */
	unsigned c = add_cap(fn, PCI_CAP_ID_VNDR, 16);

	fn->cfg[c + 2] = 16;
	fn->cfg[c + 3] = 1;
	fn->cfg[c + 4] = 4;
	put(fn->cfg, c + 8, 4, 0);
	put(fn->cfg, c + 12, 4, 0x1000);
	put(fn->cfg, PCI_BASE_ADDRESS_4, 4, 0xfd000000 |
	    (uint32_t)fn->addr.bus << 16 | (uint32_t)fn->addr.dev << 11 |
	    (uint32_t)fn->addr.fn << 8 | 0xc);
	put(fn->cfg, PCI_BASE_ADDRESS_5, 4, 0);
	kd_sim_bar_reg(fn, 4, 0x14, 0x0f, 0); /* DRIVER_OK|FEATURES_OK|... */
	fn->virtio = true;
	fn->vbar = 4;
	fn->voff = 0x14;
}

void kd_sim_set_virtio_busy_ms(struct kd_sim_fn *fn, uint64_t ms)
{
	fn->virtio_busy_ns = MS(ms);
}

unsigned kd_sim_virtio_resets(const struct kd_sim_fn *fn)
{
	return fn->virtio_resets;
}

/* ---- extended capabilities, reset-cleared registers, read trace ---------- */

unsigned kd_sim_ecap_add(struct kd_sim_fn *fn, uint16_t id, unsigned version,
			 unsigned size)
{
	unsigned pos = fn->next_ecap ? fn->next_ecap : 0x100;

	if (pos + size > SIM_CFG)
		die("extended capabilities overflow", fn->name);
	fn->cfg_len = SIM_CFG;
	put(fn->cfg, pos, 4, id | (version & 0xf) << 16);
	if (fn->last_ecap)
		put(fn->cfg, fn->last_ecap, 4,
		    (get(fn->cfg, fn->last_ecap, 4) & 0xfffff) | pos << 20);
	fn->last_ecap = pos;
	fn->next_ecap = (pos + size + 3) & ~3u;
	return pos;
}

void kd_sim_reset_clears(struct kd_sim_fn *fn, unsigned pos, unsigned width)
{
	size_t max = sizeof(fn->clears) / sizeof(fn->clears[0]);

	if (fn->n_clears == max)
		die("too many reset-cleared registers", fn->name);
	fn->clears[fn->n_clears].pos = pos;
	fn->clears[fn->n_clears].width = width;
	fn->n_clears++;
}

static void reset_clears(struct kd_sim_fn *fn)
{
	for (size_t i = 0; i < fn->n_clears; i++)
		put(fn->cfg, fn->clears[i].pos, fn->clears[i].width, 0);
}

void kd_sim_trace_reads(struct kd_sim_fn *fn, bool on)
{
	fn->trace_reads = on;
}

static void trace_read(struct kd_sim *sim, struct kd_sim_fn *fn, unsigned pos,
		       size_t len)
{
	struct kd_sim_event *e;

	if (!fn->trace_reads)
		return;
	e = add_event(sim, KD_SIM_EV_CFG_READ, &fn->addr);
	e->pos = pos;
	e->width = (unsigned)len;
}

void kd_sim_set_rrs(struct kd_sim_fn *fn, bool on)
{
	fn->rrs = on;
}

/* PCIe §2.3.2: with RRS Software Visibility the root port completes a
 * read of the Vendor ID with 0x0001 while the function answers RRS */
static void rrs_vendor_id(const struct kd_sim_fn *fn, unsigned pos,
			  uint8_t *buf, size_t len)
{
	static const uint8_t rrs[2] = { 0x01, 0x00 };

	if (!fn->rrs)
		return;
	for (unsigned i = pos; i < 2 && i - pos < len; i++)
		buf[i - pos] = rrs[i];
}

unsigned kd_sim_exp_pos(const struct kd_sim_fn *fn)
{
	return fn->exp;
}

/* ---- reset effects ------------------------------------------------------ */

static void do_reset(struct kd_sim *sim, struct kd_ctx *ctx,
		     struct kd_sim_fn *fn, const char *cause)
{
	struct kd_sim_event *e = add_event(sim, KD_SIM_EV_RESET, &fn->addr);
	uint8_t *c = fn->cfg;

	snprintf(e->text, sizeof(e->text), "%s", cause);
	if (fn->flags & KD_SIM_VANISH_ON_RESET) {
		fn->gone = true;
		return;
	}
	fn->resets++;
	put(c, PCI_COMMAND, 2, 0);
	put(c, PCI_STATUS, 2, get(c, PCI_STATUS, 2) & ~PCI_STATUS_ERROR_BITS);
	c[PCI_INTERRUPT_LINE] = 0;
	if (fn->is_bridge) {
		memset(c + PCI_BASE_ADDRESS_0, 0, 8);
		c[PCI_PRIMARY_BUS] = c[PCI_SECONDARY_BUS] =
			c[PCI_SUBORDINATE_BUS] = 0;
		memset(c + 0x1c, 0, 0x30 - 0x1c); /* windows */
		put(c, PCI_BRIDGE_CONTROL, 2, 0);
	} else {
		memset(c + PCI_BASE_ADDRESS_0, 0, 24);
	}
	if (fn->msi)
		put(c, fn->msi + PCI_MSI_FLAGS, 2,
		    get(c, fn->msi + PCI_MSI_FLAGS, 2) & ~PCI_MSI_FLAGS_ENABLE &
		    ~PCI_MSI_FLAGS_QSIZE);
	if (fn->msix)
		put(c, fn->msix + PCI_MSIX_FLAGS, 2,
		    get(c, fn->msix + PCI_MSIX_FLAGS, 2) &
		    ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL));
	if (fn->exp) {
		uint16_t sta = 0;

		if (fn->flags & KD_SIM_TRANS_PEND_STUCK)
			sta |= PCI_EXP_DEVSTA_TRPND;
		put(c, fn->exp + PCI_EXP_DEVCTL, 2, fn->devctl_default);
		put(c, fn->exp + PCI_EXP_DEVSTA, 2, sta);
		put(c, fn->exp + 16, 2, 0); /* LnkCtl */
	}
	if (fn->pm)
		put(c, fn->pm + PCI_PM_CTRL, 2, get(c, fn->pm + PCI_PM_CTRL, 2) &
		    PCI_PM_CTRL_NO_SOFT_RESET);
	if (fn->hp_slot) {
		/* a reset hot-plug port: Slot Control at its default (events
		 * off, PCIe r5.0 §7.5.3.10); its link trains again, latching
		 * Presence Detect and DLL State Changed (§7.5.3.11) */
		put(c, fn->exp + PCI_EXP_SLTCTL, 2, 0);
		put(c, fn->exp + PCI_EXP_SLTSTA, 2,
		    get(c, fn->exp + PCI_EXP_SLTSTA, 2) |
		    PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC);
	}
	for (size_t i = 0; i < fn->n_bar; i++)
		fn->bars[i].live = fn->bars[i].reset_value;
	reset_clears(fn);
	if (fn->flags & KD_SIM_NEVER_BACK)
		fn->never_back = true;
	fn->busy_until = sim_time(sim, ctx) + fn->busy_ns;
}

static bool below(struct kd_sim *sim, const struct kd_sim_fn *fn,
		  const struct kd_addr *bridge)
{
	const struct kd_sim_fn *p = fn;

	for (int depth = 0; p && p->has_parent && depth < 256; depth++) {
		if (kd_addr_eq(&p->parent, bridge))
			return true;
		p = lookup(sim, &p->parent);
	}
	return false;
}

/* A hot-plug interrupt pciehp would take: an enabled event is pending. */
static void slot_events(struct kd_sim *sim, struct kd_sim_fn *br)
{
	uint16_t ctl = (uint16_t)get(br->cfg, br->exp + PCI_EXP_SLTCTL, 2);
	uint16_t sta = (uint16_t)get(br->cfg, br->exp + PCI_EXP_SLTSTA, 2);
	struct kd_sim_event *e;

	if (!br->hp_slot || !(ctl & PCI_EXP_SLTCTL_HPIE))
		return;
	if (!((ctl & PCI_EXP_SLTCTL_PDCE) && (sta & PCI_EXP_SLTSTA_PDC)) &&
	    !((ctl & PCI_EXP_SLTCTL_DLLSCE) && (sta & PCI_EXP_SLTSTA_DLLSC)))
		return;
	e = add_event(sim, KD_SIM_EV_HOTPLUG, &br->addr);
	snprintf(e->text, sizeof(e->text), "surprise removal: SltSta %04x",
		 sta);
}

static void bus_reset(struct kd_sim *sim, struct kd_ctx *ctx,
		      struct kd_sim_fn *br, const char *cause)
{
	for (size_t i = 0; i < sim->n; i++)
		if (below(sim, sim->fn[i], &br->addr))
			do_reset(sim, ctx, sim->fn[i], cause);
	/* the link went down and came back: PCIe r5.0 §6.7.3 */
	if (br->hp_slot) {
		put(br->cfg, br->exp + PCI_EXP_SLTSTA, 2,
		    get(br->cfg, br->exp + PCI_EXP_SLTSTA, 2) |
		    PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_DLLSC);
		slot_events(sim, br);
	}
}

static bool busy(struct kd_sim *sim, struct kd_ctx *ctx,
		 const struct kd_sim_fn *fn)
{
	return fn->never_back || sim_time(sim, ctx) < fn->busy_until;
}

/* device-side delay: the fake clock jumps, the real one sleeps */
static void device_delay(struct kd_sim *sim, struct kd_ctx *ctx, uint64_t ns)
{
	if (sim->fake_clock || !ctx) {
		sim->now += ns;
		return;
	}
	pthread_mutex_unlock(&sim->lock);
	kd_sleep_ns(ctx, ns);
	pthread_mutex_lock(&sim->lock);
}

/* ---- config writes ------------------------------------------------------ */

static bool in_range(unsigned p, unsigned start, unsigned len)
{
	return p >= start && p < start + len;
}

/* RW1C mask for one byte, 0 if not RW1C; -1 if read-only */
static int byte_rule(const struct kd_sim_fn *fn, unsigned p)
{
	if (p < 4 || in_range(p, 0x08, 4) || p == PCI_HEADER_TYPE)
		return -1;
	if (!fn->is_bridge && in_range(p, PCI_SUBSYSTEM_VENDOR_ID, 4))
		return -1;
	if (p == PCI_STATUS)
		return -1;
	if (p == PCI_STATUS + 1)
		return PCI_STATUS_ERROR_BITS >> 8;
	if (fn->exp && p == fn->exp + PCI_EXP_DEVSTA)
		return 0x0f;
	if (fn->exp && p == fn->exp + PCI_EXP_DEVSTA + 1)
		return -1;
	if (fn->exp && in_range(p, fn->exp + PCI_EXP_DEVCAP, 4))
		return -1;
	if (fn->hp_slot && p == fn->exp + PCI_EXP_SLTSTA)
		return PCI_EXP_SLTSTA_PDC;
	if (fn->hp_slot && p == fn->exp + PCI_EXP_SLTSTA + 1)
		return PCI_EXP_SLTSTA_DLLSC >> 8;
	if ((fn->flags & KD_SIM_BARS_LOST) && fn->resets && !fn->is_bridge &&
	    in_range(p, PCI_BASE_ADDRESS_0, 24))
		return -1;
	if (fn->aer && (in_range(p, fn->aer + PCI_ERR_UNCOR_STATUS, 4) ||
			in_range(p, fn->aer + PCI_ERR_COR_STATUS, 4)))
		return 0xff;
	return 0;
}

static int sim_config_write(struct kd_ctx *ctx, void *state,
			    const struct kd_addr *a, unsigned pos,
			    const void *buf, size_t len)
{
	struct kd_sim *sim = state;
	const uint8_t *b = buf;
	struct kd_sim_fn *fn;
	struct kd_sim_event *e;
	uint16_t old_pm = 0, old_bctl = 0;
	int ret = 0;

	pthread_mutex_lock(&sim->lock);
	fn = lookup(sim, a);
	e = add_event(sim, KD_SIM_EV_CFG_WRITE, a);
	e->pos = pos;
	e->width = (unsigned)len;
	for (size_t i = 0; i < len && i < 8; i++)
		e->value |= (uint64_t)b[i] << (8 * i);
	if (!fn || fn->gone) {
		ret = -ENODEV;
		goto out;
	}
	if (fn->fail_set && (fn->fail_any || (fn->fail_pos >= pos &&
					       fn->fail_pos < pos + len))) {
		ret = -EIO;
		goto out;
	}
	if (busy(sim, ctx, fn))
		goto out; /* dropped, as a device in reset drops requests */
	if (pos + len > fn->cfg_len)
		len = pos < fn->cfg_len ? fn->cfg_len - pos : 0;
	if (fn->pm)
		old_pm = (uint16_t)get(fn->cfg, fn->pm + PCI_PM_CTRL, 2);
	if (fn->is_bridge)
		old_bctl = (uint16_t)get(fn->cfg, PCI_BRIDGE_CONTROL, 2);
	for (size_t i = 0; i < len; i++) {
		unsigned p = pos + (unsigned)i;
		int rule = byte_rule(fn, p);

		if (rule < 0)
			continue;
		if (rule > 0)
			fn->cfg[p] &= (uint8_t)~(b[i] & rule);
		else
			fn->cfg[p] = b[i];
	}
	/* FLR: DevCtl bit 15, reads back 0 */
	if (fn->exp && in_range(fn->exp + PCI_EXP_DEVCTL + 1, pos,
				(unsigned)len) &&
	    (fn->cfg[fn->exp + PCI_EXP_DEVCTL + 1] & 0x80)) {
		fn->cfg[fn->exp + PCI_EXP_DEVCTL + 1] &= 0x7f;
		if (fn->flags & KD_SIM_IGNORE_FLR)
			goto out;
		do_reset(sim, ctx, fn, "flr");
	}
	if (fn->af && in_range(fn->af + PCI_AF_CTRL, pos, (unsigned)len) &&
	    (fn->cfg[fn->af + PCI_AF_CTRL] & PCI_AF_CTRL_FLR)) {
		fn->cfg[fn->af + PCI_AF_CTRL] &= (uint8_t)~PCI_AF_CTRL_FLR;
		if (!(fn->flags & KD_SIM_IGNORE_FLR))
			do_reset(sim, ctx, fn, "af-flr");
	}
	if (fn->pm && in_range(fn->pm + PCI_PM_CTRL, pos, (unsigned)len)) {
		uint16_t now = (uint16_t)get(fn->cfg, fn->pm + PCI_PM_CTRL, 2);

		/* NoSoftRst is read-only */
		now = (uint16_t)((now & ~PCI_PM_CTRL_NO_SOFT_RESET) |
				 (old_pm & PCI_PM_CTRL_NO_SOFT_RESET));
		put(fn->cfg, fn->pm + PCI_PM_CTRL, 2, now);
		if ((old_pm & 3) == 3 && (now & 3) == 0 &&
		    !(now & PCI_PM_CTRL_NO_SOFT_RESET) &&
		    !(fn->flags & KD_SIM_PM_NOOP))
			do_reset(sim, ctx, fn, "pm");
	}
	if (fn->is_bridge && in_range(PCI_BRIDGE_CONTROL, pos, (unsigned)len)) {
		uint16_t now = (uint16_t)get(fn->cfg, PCI_BRIDGE_CONTROL, 2);

		if ((old_bctl & PCI_BRIDGE_CTL_BUS_RESET) &&
		    !(now & PCI_BRIDGE_CTL_BUS_RESET))
			bus_reset(sim, ctx, fn, "bus");
	}
	if (fn->hp_slot && in_range(fn->exp + PCI_EXP_SLTCTL, pos,
				    (unsigned)len))
		slot_events(sim, fn);
out:
	e->result = ret;
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

/* ---- the kernel's sysfs reset ------------------------------------------- */

static bool has_sibling(const struct kd_sim *sim, const struct kd_sim_fn *fn)
{
	for (size_t i = 0; i < sim->n; i++)
		if (sim->fn[i] != fn && sim->fn[i]->addr.domain ==
		    fn->addr.domain && sim->fn[i]->addr.bus == fn->addr.bus)
			return true;
	return false;
}

static int kernel_reset(struct kd_sim *sim, struct kd_ctx *ctx,
			struct kd_sim_fn *fn)
{
	char methods[64], *save = NULL, *m;
	uint8_t hdr[64];
	struct kd_sim_fn *p;
	int ret = 0;

	snprintf(methods, sizeof(methods), "%s", fn->reset_method);
	m = strtok_r(methods, " ", &save);
	if (!m)
		return -ENOTTY; /* pci_reset_supported() */
	/* pci_dev_save_and_disable() */
	memcpy(hdr, fn->cfg, sizeof(hdr));
	put(fn->cfg, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	if (fn->flags & KD_SIM_KERNEL_ENOTTY) {
		/* e.g. "Data Link Layer Link Active not set" after ~1 s */
		device_delay(sim, ctx, MS(1000));
		ret = -ENOTTY;
	} else if (strcmp(m, "flr") == 0) {
		if (!(fn->flags & KD_SIM_IGNORE_FLR))
			do_reset(sim, ctx, fn, "kernel flr");
		device_delay(sim, ctx, MS(100));
	} else if (strcmp(m, "pm") == 0) {
		if (!(fn->flags & KD_SIM_PM_NOOP))
			do_reset(sim, ctx, fn, "kernel pm");
		device_delay(sim, ctx, MS(20));
	} else if (strcmp(m, "bus") == 0) {
		/* pci_reset_bus_function(): a hot-plug slot's reset
		 * (pciehp; pci_dev_reset_slot_function() refuses a
		 * multi-function device; a VF never is one), else
		 * pci_parent_bus_reset(): a bridge above, the function alone
		 * on its bus */
		bool multi = !fn->is_vf && (fn->addr.fn ||
			     (fn->cfg[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MFD));

		p = fn->has_parent ? lookup(sim, &fn->parent) : NULL;
		if (p && ((p->hp_slot && !multi) || !has_sibling(sim, fn)))
			bus_reset(sim, ctx, p, "kernel bus");
		else
			ret = -ENOTTY;
		device_delay(sim, ctx, MS(100));
	} else {
		ret = -ENOTTY;
	}
	if (fn->gone)
		return -ENOTTY;
	if (fn->never_back) {
		device_delay(sim, ctx, MS(60000));
		return -ENOTTY;
	}
	if (busy(sim, ctx, fn))
		device_delay(sim, ctx, fn->busy_until - sim_time(sim, ctx));
	/* pci_dev_restore(), whatever the reset returned: the header, Bus
	 * Master included, as the kernel does */
	memcpy(fn->cfg + 4, hdr + 4, 4);
	memcpy(fn->cfg + 0x10, hdr + 0x10, 0x40 - 0x10);
	return ret;
}

static bool method_known(const char *list, const char *value)
{
	char v[64], *save = NULL;

	if (strcmp(value, "default") == 0)
		return true;
	snprintf(v, sizeof(v), "%s", value);
	for (char *w = strtok_r(v, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		const char *p = strstr(list, w);
		size_t n = strlen(w);

		if (!p || (p != list && p[-1] != ' ') ||
		    (p[n] != '\0' && p[n] != ' '))
			return false;
	}
	return true;
}

static int sim_attr_write(struct kd_ctx *ctx, void *state,
			  const struct kd_addr *a, const char *name,
			  const char *value)
{
	struct kd_sim *sim = state;
	struct kd_sim_fn *fn;
	struct kd_sim_event *e;
	int ret = 0;

	pthread_mutex_lock(&sim->lock);
	fn = lookup(sim, a);
	e = add_event(sim, KD_SIM_EV_ATTR_WRITE, a);
	snprintf(e->attr, sizeof(e->attr), "%s", name);
	snprintf(e->text, sizeof(e->text), "%s", value);
	if (!fn || fn->gone) {
		ret = -ENODEV;
	} else if (strcmp(name, "reset_method") == 0 && fn->has_reset_method) {
		if (!method_known(fn->kernel_methods, value) ||
		    ((fn->flags & KD_SIM_RESET_METHOD_EINVAL) &&
		     strcmp(value, "default") != 0))
			ret = -EINVAL;
		else
			snprintf(fn->reset_method, sizeof(fn->reset_method),
				 "%s", strcmp(value, "default") == 0 ?
				 fn->kernel_methods : value);
	} else if (strcmp(name, "reset") == 0 && fn->kernel_reset) {
		ret = strcmp(value, "1") == 0 ? kernel_reset(sim, ctx, fn) :
						-EINVAL;
	} else {
		ret = -ENOENT;
	}
	e->result = ret;
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

/* ---- reads and the rest of the backend ---------------------------------- */

static int sim_init(struct kd_ctx *ctx, void *data, void **state)
{
	(void)ctx;
	if (!data)
		return -EINVAL;
	*state = data;
	return 0;
}

static int sim_enumerate(struct kd_ctx *ctx, void *state, kd_enum_fn fn,
			 void *data, int *bad)
{
	struct kd_sim *sim = state;
	int err = 0;

	(void)ctx;
	(void)bad;
	for (size_t i = 0; i < sim->n && err == 0; i++)
		err = fn(&sim->fn[i]->addr, data);
	return err;
}

static ssize_t sim_config_size(struct kd_ctx *ctx, void *state,
			       const struct kd_addr *a)
{
	struct kd_sim *sim = state;
	struct kd_sim_fn *fn;
	ssize_t ret;

	(void)ctx;
	pthread_mutex_lock(&sim->lock);
	fn = lookup(sim, a);
	ret = !fn || fn->gone ? -ENODEV : (ssize_t)fn->cfg_len;
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

static ssize_t sim_config_read(struct kd_ctx *ctx, void *state,
			       const struct kd_addr *a, unsigned pos,
			       void *buf, size_t len)
{
	struct kd_sim *sim = state;
	struct kd_sim_fn *fn;
	ssize_t ret;

	pthread_mutex_lock(&sim->lock);
	fn = lookup(sim, a);
	if (!fn || fn->gone) {
		ret = -ENODEV;
	} else if (fn->unreadable) {
		ret = -EIO;
	} else if (pos >= fn->cfg_len) {
		ret = 0;
	} else {
		if (len > fn->cfg_len - pos)
			len = fn->cfg_len - pos;
		trace_read(sim, fn, pos, len);
		if (busy(sim, ctx, fn)) {
			memset(buf, 0xff, len);
			rrs_vendor_id(fn, pos, buf, len);
		} else {
			memcpy(buf, fn->cfg + pos, len);
		}
		ret = (ssize_t)len;
	}
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

static ssize_t copy_out(const char *v, char *buf, size_t len)
{
	size_t n = strlen(v);

	if (n >= len)
		return -EOVERFLOW;
	memcpy(buf, v, n + 1);
	return (ssize_t)n;
}

static ssize_t sim_attr_read(struct kd_ctx *ctx, void *state,
			     const struct kd_addr *a, const char *name,
			     char *buf, size_t len)
{
	struct kd_sim *sim = state;
	struct kd_sim_fn *fn;
	ssize_t ret = -ENOENT;

	(void)ctx;
	pthread_mutex_lock(&sim->lock);
	fn = lookup(sim, a);
	if (!fn || fn->gone)
		ret = -ENODEV;
	else if (strcmp(name, "reset_method") == 0 && fn->has_reset_method)
		ret = copy_out(fn->reset_method, buf, len);
	else if (strcmp(name, "reset") == 0 && fn->kernel_reset)
		ret = -EACCES; /* write-only, as in sysfs */
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

static ssize_t sim_link_read(struct kd_ctx *ctx, void *state,
			     const struct kd_addr *a, const char *name,
			     char *buf, size_t len)
{
	struct kd_sim *sim = state;
	struct kd_sim_fn *fn;
	ssize_t ret = -ENOENT;

	(void)ctx;
	pthread_mutex_lock(&sim->lock);
	fn = lookup(sim, a);
	if (fn && strcmp(name, "driver") == 0 && fn->driver[0])
		ret = copy_out(fn->driver, buf, len);
	else if (fn && strcmp(name, "physfn") == 0 && fn->is_vf) {
		char s[KD_ADDR_STRLEN];

		ret = copy_out(kd_addr_format(&fn->physfn, s), buf, len);
	}
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

static int sim_parent(struct kd_ctx *ctx, void *state,
		      const struct kd_addr *a, struct kd_addr *parent)
{
	struct kd_sim *sim = state;
	struct kd_sim_fn *fn;
	int ret = -ENOENT;

	(void)ctx;
	pthread_mutex_lock(&sim->lock);
	fn = lookup(sim, a);
	if (!fn)
		ret = -ENODEV;
	else if (fn->has_parent) {
		*parent = fn->parent;
		ret = 0;
	}
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

static int sim_driver(struct kd_ctx *ctx, void *state,
		      const struct kd_addr *a, char *name, size_t len,
		      bool *builtin)
{
	ssize_t n = sim_link_read(ctx, state, a, "driver", name, len);

	if (n < 0)
		return (int)n;
	*builtin = false;
	return 0;
}

static struct bar_reg *find_bar(struct kd_sim_fn *fn, int bar, uint64_t off)
{
	for (size_t i = 0; i < fn->n_bar; i++)
		if (fn->bars[i].bar == bar && fn->bars[i].off == off)
			return &fn->bars[i];
	return NULL;
}

static int sim_bar_read(struct kd_ctx *ctx, void *state,
			const struct kd_addr *a, int bar, uint64_t off,
			unsigned width, uint64_t *val)
{
	struct kd_sim *sim = state;
	struct kd_sim_fn *fn;
	struct bar_reg *r;
	int ret = 0;

	pthread_mutex_lock(&sim->lock);
	fn = lookup(sim, a);
	if (!fn || fn->gone) {
		ret = -ENODEV;
	} else if (busy(sim, ctx, fn) ||
		   !(get(fn->cfg, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY) ||
		   (fn->pm && (get(fn->cfg, fn->pm + PCI_PM_CTRL, 2) &
			       PCI_PM_CTRL_STATE_MASK))) {
		/* Memory Space off or not in D0 (PCI PM 1.2 §5.3.1): the
		 * read completes with Unsupported Request */
		if (!busy(sim, ctx, fn))
			fn->ur_reads++;
		*val = width == 8 ? ~0ull : (1ull << (8 * width)) - 1;
	} else {
		r = find_bar(fn, bar, off);
		if (r && fn->virtio_resetting && bar == fn->vbar &&
		    off == fn->voff && !(fn->flags & KD_SIM_VIRTIO_STUCK) &&
		    sim_time(sim, ctx) >= fn->virtio_ready_at) {
			fn->virtio_resetting = false;
			r->live = 0;
		}
		*val = r ? r->live : 0;
		if (width < 8)
			*val &= (1ull << (8 * width)) - 1;
	}
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

static int sim_bar_write(struct kd_ctx *ctx, void *state,
			 const struct kd_addr *a, int bar, uint64_t off,
			 unsigned width, uint64_t val)
{
	struct kd_sim *sim = state;
	struct kd_sim_fn *fn;
	struct kd_sim_event *e;
	struct bar_reg *r;
	int ret = 0;

	pthread_mutex_lock(&sim->lock);
	fn = lookup(sim, a);
	e = add_event(sim, KD_SIM_EV_BAR_WRITE, a);
	e->bar = bar;
	e->pos = (unsigned)off;
	e->width = width;
	e->value = val;
	if (!fn || fn->gone) {
		ret = -ENODEV;
	} else if (!(get(fn->cfg, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY)) {
		e->result = ret; /* not decoded: the write goes nowhere */
		snprintf(e->text, sizeof(e->text), "dropped: Memory Space off");
	} else if (fn->virtio && bar == fn->vbar && off == fn->voff &&
		   width == 1 && val == 0) {
		/* virtio 1.x §4.1.4.3.2: device_status = 0 resets the device;
		 * the old status reads back until it is done */
		struct kd_sim_event *re = add_event(sim, KD_SIM_EV_RESET, a);

		snprintf(re->text, sizeof(re->text), "virtio device_status=0");
		fn->virtio_resets++;
		for (size_t i = 0; i < fn->n_bar; i++)
			if (fn->bars[i].bar != fn->vbar ||
			    fn->bars[i].off != fn->voff)
				fn->bars[i].live = fn->bars[i].reset_value;
		fn->virtio_resetting = true;
		fn->virtio_ready_at = sim_time(sim, ctx) + fn->virtio_busy_ns;
		r = find_bar(fn, bar, off);
		if (r && !fn->virtio_busy_ns &&
		    !(fn->flags & KD_SIM_VIRTIO_STUCK)) {
			r->live = 0;
			fn->virtio_resetting = false;
		}
	} else {
		r = find_bar(fn, bar, off);
		if (r)
			r->live = val;
		else if (fn->n_bar < MAX_BAR_REGS)
			fn->bars[fn->n_bar++] = (struct bar_reg){ bar, off,
								  val, 0 };
	}
	e->result = ret;
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

static bool sim_is_real(struct kd_ctx *ctx, void *state)
{
	(void)ctx;
	(void)state;
	return false;
}

const struct kd_backend kd_sim_backend = {
	.name = "simulator",
	.init = sim_init,
	.enumerate = sim_enumerate,
	.config_read = sim_config_read,
	.config_size = sim_config_size,
	.config_write = sim_config_write,
	.attr_read = sim_attr_read,
	.attr_write = sim_attr_write,
	.link_read = sim_link_read,
	.parent = sim_parent,
	.driver = sim_driver,
	.bar_read = sim_bar_read,
	.bar_write = sim_bar_write,
	.is_real_system = sim_is_real,
};

/* ---- clock, contexts, log ----------------------------------------------- */

static uint64_t fake_now(void *data)
{
	struct kd_sim *sim = data;
	uint64_t t;

	pthread_mutex_lock(&sim->lock);
	t = sim->now;
	sim->now += sim->tick_ns;
	pthread_mutex_unlock(&sim->lock);
	return t;
}

static void fake_sleep(void *data, uint64_t ns)
{
	struct kd_sim *sim = data;
	struct kd_sim_event *e;

	if (sim->on_sleep)
		sim->on_sleep(ns, sim->on_sleep_data);
	pthread_mutex_lock(&sim->lock);
	e = add_event(sim, KD_SIM_EV_SLEEP, NULL);
	e->ns = ns;
	sim->now += ns;
	if (++sim->sleeping > sim->peak_sleeping)
		sim->peak_sleeping = sim->sleeping;
	if (sim->rendezvous) {
		struct timespec until;

		/* hold this sleeper until enough others sleep at the same
		 * time, or a real timeout: a serial caller never gets there */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(sim->rendezvous_timeout_ms / 1000);
		until.tv_nsec += (long)(sim->rendezvous_timeout_ms % 1000) *
				 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_broadcast(&sim->sleepers_cond);
		while (sim->peak_sleeping < sim->rendezvous &&
		       pthread_cond_timedwait(&sim->sleepers_cond, &sim->lock,
					      &until) == 0)
			;
	}
	sim->sleeping--;
	pthread_mutex_unlock(&sim->lock);
}

void kd_sim_clock_tick(struct kd_sim *sim, uint64_t ns)
{
	pthread_mutex_lock(&sim->lock);
	sim->tick_ns = ns;
	pthread_mutex_unlock(&sim->lock);
}

void kd_sim_on_sleep(struct kd_sim *sim, void (*fn)(uint64_t ns, void *data),
		     void *data)
{
	sim->on_sleep = fn;
	sim->on_sleep_data = data;
}

void kd_sim_sleep_rendezvous(struct kd_sim *sim, unsigned n,
			     uint64_t timeout_ms)
{
	pthread_mutex_lock(&sim->lock);
	sim->rendezvous = n;
	sim->rendezvous_timeout_ms = timeout_ms;
	sim->peak_sleeping = 0;
	pthread_mutex_unlock(&sim->lock);
}

unsigned kd_sim_peak_sleepers(struct kd_sim *sim)
{
	unsigned n;

	pthread_mutex_lock(&sim->lock);
	n = sim->peak_sleeping;
	pthread_mutex_unlock(&sim->lock);
	return n;
}

struct kd_clock kd_sim_clock(struct kd_sim *sim)
{
	sim->fake_clock = true;
	return (struct kd_clock){ fake_now, fake_sleep, sim };
}

uint64_t kd_sim_now(const struct kd_sim *sim)
{
	return sim->now;
}

static void sim_log(void *data, int prio, const char *file, int line,
		    const char *fn, const char *format, va_list args)
{
	struct kd_sim *sim = data;
	char msg[1024];
	size_t n;
	char *v;

	(void)file;
	(void)line;
	(void)fn;
	vsnprintf(msg, sizeof(msg), format, args);
	pthread_mutex_lock(&sim->lock);
	n = strlen(msg);
	v = realloc(sim->log, sim->log_len + n + 8);
	if (v) {
		sim->log = v;
		sim->log_len += (size_t)snprintf(v + sim->log_len, n + 8,
						 "<%d>%s\n", prio, msg);
	}
	pthread_mutex_unlock(&sim->lock);
}

const char *kd_sim_log_text(const struct kd_sim *sim)
{
	return sim->log ? sim->log : "";
}

static int make_ctx(struct kd_sim *sim, struct kd_ctx **out, bool fake)
{
	struct kd_ctx_options o = {
		.backend = &kd_sim_backend,
		.backend_data = sim,
		.log_fn = sim_log,
		.log_data = sim,
		.log_priority = KD_LOG_INFO,
	};
	int err = kd_ctx_new(&o, out);

	if (err < 0)
		return err;
	if (fake) {
		struct kd_clock c = kd_sim_clock(sim);

		kd_ctx_set_clock(*out, &c);
	}
	err = kd_ctx_enable_writes(*out, false);
	if (err < 0)
		*out = kd_ctx_unref(*out);
	return err;
}

int kd_sim_ctx(struct kd_sim *sim, struct kd_ctx **out)
{
	return make_ctx(sim, out, true);
}

int kd_sim_ctx_real(struct kd_sim *sim, struct kd_ctx **out)
{
	sim->fake_clock = false;
	return make_ctx(sim, out, false);
}

/* under the lock: a done_fn or more_fn may ask while a reset logs */
size_t kd_sim_n_events(const struct kd_sim *sim)
{
	struct kd_sim *s = (struct kd_sim *)sim; /* its lock only */
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->n_ev;
	pthread_mutex_unlock(&s->lock);
	return n;
}

const struct kd_sim_event *kd_sim_event(const struct kd_sim *sim, size_t i)
{
	return i < sim->n_ev ? &sim->ev[i] : NULL;
}

size_t kd_sim_count(const struct kd_sim *sim, enum kd_sim_ev_kind kind,
		    const struct kd_addr *addr)
{
	size_t n = 0;

	for (size_t i = 0; i < sim->n_ev; i++)
		if (sim->ev[i].kind == kind &&
		    (!addr || kd_addr_eq(&sim->ev[i].addr, addr)))
			n++;
	return n;
}

const struct kd_sim_event *kd_sim_find_write(const struct kd_sim *sim,
					     const struct kd_addr *addr,
					     unsigned pos, size_t nth)
{
	for (size_t i = 0; i < sim->n_ev; i++) {
		const struct kd_sim_event *e = &sim->ev[i];

		if (e->kind == KD_SIM_EV_CFG_WRITE && e->pos == pos &&
		    kd_addr_eq(&e->addr, addr) && nth-- == 0)
			return e;
	}
	return NULL;
}

const struct kd_sim_event *kd_sim_find_attr_write(const struct kd_sim *sim,
						  const struct kd_addr *addr,
						  const char *attr)
{
	for (size_t i = 0; i < sim->n_ev; i++) {
		const struct kd_sim_event *e = &sim->ev[i];

		if (e->kind == KD_SIM_EV_ATTR_WRITE &&
		    strcmp(e->attr, attr) == 0 && kd_addr_eq(&e->addr, addr))
			return e;
	}
	return NULL;
}

size_t kd_sim_sleeps(const struct kd_sim *sim, uint64_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sim->n_ev; i++)
		if (sim->ev[i].kind == KD_SIM_EV_SLEEP) {
			if (n < max)
				out[n] = sim->ev[i].ns;
			n++;
		}
	return n;
}

uint64_t kd_sim_total_sleep(const struct kd_sim *sim)
{
	uint64_t t = 0;

	for (size_t i = 0; i < sim->n_ev; i++)
		if (sim->ev[i].kind == KD_SIM_EV_SLEEP)
			t += sim->ev[i].ns;
	return t;
}

void kd_sim_clear_log(struct kd_sim *sim)
{
	sim->n_ev = 0;
	free(sim->log);
	sim->log = NULL;
	sim->log_len = 0;
}
