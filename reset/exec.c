// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The executor: every write, wait and poll a reset performs goes through
 * here, is recorded in the result, and in a dry run is only recorded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "internal.h"

static const char *const method_names[KD_RM_COUNT] = {
	[KD_RM_NONE] = "none",
	[KD_RM_AUTO] = "auto",
	[KD_RM_KERNEL] = "kernel",
	[KD_RM_KERNEL_FLR] = "kernel:flr",
	[KD_RM_KERNEL_PM] = "kernel:pm",
	[KD_RM_KERNEL_BUS] = "kernel:bus",
	[KD_RM_FLR] = "flr",
	[KD_RM_AF_FLR] = "af-flr",
	[KD_RM_PM] = "pm",
	[KD_RM_BUS] = "bus",
	[KD_RM_VIRTIO] = "virtio",
	[KD_RM_DEVICE_SPECIFIC] = "device-specific",
	[KD_RM_KERNEL_DEVSPEC] = "kernel:device_specific",
	[KD_RM_QUIESCE] = "quiesce",
};

const char *kd_reset_method_name(enum kd_reset_method m)
{
	return (unsigned)m < KD_RM_COUNT ? method_names[m] : "?";
}

int kd_reset_method_parse(const char *s, enum kd_reset_method *out)
{
	if (!s)
		return -EINVAL;
	for (unsigned m = KD_RM_AUTO; m < KD_RM_COUNT; m++) {
		if (strcmp(s, method_names[m]) == 0) {
			*out = (enum kd_reset_method)m;
			return 0;
		}
	}
	/* the kernel spells it af_flr */
	if (strcmp(s, "af_flr") == 0) {
		*out = KD_RM_AF_FLR;
		return 0;
	}
	return -EINVAL;
}

const char *kd_reset_status_name(enum kd_reset_status s)
{
	switch (s) {
	case KD_RS_OK: return "ok";
	case KD_RS_DIRTY: return "dirty";
	case KD_RS_FAILED: return "failed";
	case KD_RS_REFUSED: return "refused";
	case KD_RS_PLANNED: return "planned";
	}
	return "?";
}

const char *kd_witness_verdict_name(enum kd_witness_verdict v)
{
	switch (v) {
	case KD_WITNESS_NONE: return "none";
	case KD_WITNESS_UNKNOWN: return "unknown";
	case KD_WITNESS_EFFECTIVE: return "effective";
	case KD_WITNESS_NOOP: return "no-op";
	}
	return "?";
}

const char *kd_op_kind_name(enum kd_op_kind k)
{
	switch (k) {
	case KD_OP_CFG_WRITE: return "config-write";
	case KD_OP_ATTR_WRITE: return "sysfs-write";
	case KD_OP_BAR_WRITE: return "bar-write";
	case KD_OP_SLEEP: return "sleep";
	case KD_OP_POLL: return "poll";
	case KD_OP_RUN: return "run";
	}
	return "?";
}

uint64_t kd_exec_clock(struct kd_reset_exec *x)
{
	return kd_run_wait_clock_ns(x->ctx); /* reset/guard.h */
}

uint64_t kd_exec_since(struct kd_reset_exec *x, uint64_t start)
{
	uint64_t now = kd_exec_clock(x);

	return now > start ? now - start : 0;
}

uint64_t kd_reset_waited_ns(const struct kd_reset_op *ops, size_t n_ops)
{
	uint64_t ns = 0;

	for (size_t i = 0; i < n_ops; i++) {
		const struct kd_reset_op *op = &ops[i];

		if (op->kind == KD_OP_SLEEP || op->kind == KD_OP_POLL)
			ns += op->waited_ns;
		else if (op->kind == KD_OP_ATTR_WRITE &&
			 strcmp(op->attr, "reset") == 0)
			ns += op->duration_ns;
	}
	return ns;
}

static void format_ms(uint64_t ns, char *buf, size_t len)
{
	if (ns % 1000000u == 0)
		snprintf(buf, len, "%" PRIu64 " ms", ns / 1000000u);
	else
		snprintf(buf, len, "%.3f ms", (double)ns / 1e6);
}

static void mask_text(const struct kd_reset_op *op, char *buf, size_t len)
{
	size_t n = strlen(buf);

	if (n < len)
		snprintf(buf + n, len - n, " mask 0x%0*" PRIx64,
			 (int)op->width * 2, op->mask);
}

void kd_reset_op_format(const struct kd_reset_op *op, char *buf, size_t len)
{
	char t[32];

	switch (op->kind) {
	case KD_OP_CFG_WRITE:
		snprintf(buf, len, "config-write 0x%03x w%u 0x%0*" PRIx64 "%s",
			 op->pos, op->width, (int)op->width * 2, op->value,
			 op->if_changed ? " (if changed)" : "");
		if (op->mask)
			mask_text(op, buf, len);
		break;
	case KD_OP_ATTR_WRITE:
		snprintf(buf, len, "sysfs-write %s \"%s\"", op->attr, op->text);
		break;
	case KD_OP_BAR_WRITE:
		snprintf(buf, len, "bar-write BAR%d+0x%" PRIx64 " w%u 0x%0*"
			 PRIx64, op->bar, (uint64_t)op->pos, op->width,
			 (int)op->width * 2, op->value);
		if (op->mask)
			mask_text(op, buf, len);
		break;
	case KD_OP_SLEEP:
		format_ms(op->ns, t, sizeof(t));
		snprintf(buf, len, "sleep %s", t);
		break;
	case KD_OP_POLL:
		format_ms(op->ns, t, sizeof(t));
		snprintf(buf, len, "poll %s, up to %s", op->text, t);
		break;
	case KD_OP_RUN:
		format_ms(op->ns, t, sizeof(t));
		snprintf(buf, len, "run %s, up to %s", op->text, t);
		break;
	}
}

void kd_exec_init(struct kd_reset_exec *x, struct kd_ctx *ctx,
		  struct kd_reset_result *res, bool dry_run,
		  uint64_t timeout_ns)
{
	memset(x, 0, sizeof(*x));
	x->ctx = ctx;
	x->res = res;
	x->dry_run = dry_run;
	x->timeout_ns = timeout_ns ? timeout_ns : KD_RESET_DEFAULT_TIMEOUT_NS;
}

bool kd_reset_exec_dry_run(const struct kd_reset_exec *x)
{
	return x->dry_run;
}

/* x->on_wait, once: true when it was called now */
static bool wait_begins(struct kd_reset_exec *x)
{
	void (*fn)(void *) = x->on_wait;

	x->on_wait = NULL;
	if (fn)
		fn(x->on_wait_data);
	return fn != NULL;
}

static void release(struct kd_reset_exec *x)
{
	void (*fn)(void *) = x->on_release;

	x->on_release = NULL;
	if (fn)
		fn(x->on_wait_data);
}

void kd_exec_waiting(struct kd_reset_exec *x)
{
	wait_begins(x);
	release(x);
}

/* A poll's pause between reads: one of KD_GATE_MIN_WAIT_NS or more is a
 * wait like a sleep's (kd_exec_sleep()), the first may open the gate */
static void pause_ns(struct kd_reset_exec *x, uint64_t ns)
{
	if (ns >= KD_GATE_MIN_WAIT_NS)
		kd_exec_waiting(x);
}

void *(*kd_exec_realloc)(void *p, size_t size) = realloc;

struct kd_reset_op *kd_exec_record(struct kd_reset_exec *x,
				   enum kd_op_kind kind,
				   const struct kd_addr *addr, const char *why)
{
	struct kd_reset_result *r = x->res;
	struct kd_reset_op *op;

	if (r->n_ops == r->cap_ops) {
		size_t cap = r->cap_ops ? r->cap_ops * 2 : 16;
		struct kd_reset_op *v = kd_exec_realloc(r->ops,
							cap * sizeof(*v));

		if (!v) {
			x->oom = -ENOMEM;
			memset(&x->scratch, 0, sizeof(x->scratch));
			return &x->scratch;
		}
		r->ops = v;
		r->cap_ops = cap;
	}
	op = &r->ops[r->n_ops++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->addr = *addr;
	op->why = why;
	op->at_ns = kd_now_ns(x->ctx);
	if (kind == KD_OP_RUN)
		kd_exec_waiting(x);
	return op;
}

/* Naturally aligned and inside the 4096 bytes of PCIe config space: the
 * access layer's own bound, applied here too so a dry run shows it. */
static bool cfg_range_ok(unsigned pos, unsigned width)
{
	return (width == 1 || width == 2 || width == 4) && pos % width == 0 &&
	       pos + width <= KD_CFG_SPACE_EXP_SIZE;
}

static struct kd_reset_op *record_write(struct kd_reset_exec *x,
					enum kd_op_kind kind,
					struct kd_dev *dev, unsigned pos,
					unsigned width, uint64_t val,
					const char *why)
{
	struct kd_reset_op *op = kd_exec_record(x, kind, kd_dev_addr(dev),
						why);

	op->pos = pos;
	op->width = width;
	op->value = val;
	return op;
}

static int cfg_write(struct kd_reset_exec *x, struct kd_reset_op *op,
		     struct kd_dev *dev)
{
	if (!cfg_range_ok(op->pos, op->width))
		op->result = -EINVAL;
	else if (!x->dry_run)
		op->result = kd_cfg_write(dev, op->pos, op->width,
					  (uint32_t)op->value);
	if (op->result < 0)
		ERR(x->ctx, "%s: config write 0x%03x w%u (%s) failed: %s",
		    kd_dev_name(dev), op->pos, op->width, op->why ? op->why : "",
		    strerror(-op->result));
	return op->result;
}

int kd_reset_cfg_write(struct kd_reset_exec *x, struct kd_dev *dev,
		       unsigned pos, unsigned width, uint32_t val,
		       const char *why)
{
	return cfg_write(x, record_write(x, KD_OP_CFG_WRITE, dev, pos, width,
					 val, why), dev);
}

static uint64_t width_mask(unsigned width)
{
	return width >= 8 ? UINT64_MAX : (1ull << (8 * width)) - 1;
}

/* The value a masked write puts: the live register's other bits kept;
 * a dry run reads nothing and shows value & mask. */
static int merge(struct kd_reset_exec *x, struct kd_dev *dev, int bar,
		 struct kd_reset_op *op)
{
	uint64_t old = 0;
	uint32_t v32 = 0;
	int err;

	op->value &= op->mask;
	if (x->dry_run)
		return 0;
	if (bar < 0) {
		err = cfg_range_ok(op->pos, op->width) ?
		      kd_cfg_read_live(dev, op->pos, op->width, &v32) : -EINVAL;
		old = v32;
	} else {
		err = kd_bar_read(dev, bar, op->pos, op->width, &old);
	}
	if (err < 0) {
		op->result = err;
		ERR(x->ctx, "%s: cannot read before a masked write (%s): %s",
		    kd_dev_name(dev), op->why ? op->why : "", strerror(-err));
		return err;
	}
	op->value |= old & ~op->mask & width_mask(op->width);
	return 0;
}

int kd_reset_cfg_update(struct kd_reset_exec *x, struct kd_dev *dev,
			unsigned pos, unsigned width, uint32_t mask,
			uint32_t val, const char *why)
{
	struct kd_reset_op *op = record_write(x, KD_OP_CFG_WRITE, dev, pos,
					      width, val, why);
	int err;

	if ((mask & width_mask(width)) != width_mask(width)) {
		op->mask = mask & width_mask(width);
		err = merge(x, dev, -1, op);
		if (err < 0)
			return err;
	}
	return cfg_write(x, op, dev);
}

/* reset_method_store() and pci_reset_function() answer EINVAL/ENOTTY
 * when the method is not there: the caller calls that "not available"
 * and goes on; it is no error of the device */
static bool kernel_unavailable(const char *attr, int err)
{
	return (err == -EINVAL || err == -ENOTTY) &&
	       (strcmp(attr, "reset") == 0 || strcmp(attr, "reset_method") == 0);
}

int kd_reset_attr_write(struct kd_reset_exec *x, struct kd_dev *dev,
			const char *name, const char *value, const char *why)
{
	struct kd_reset_op *op = kd_exec_record(x, KD_OP_ATTR_WRITE,
						kd_dev_addr(dev), why);
	uint64_t start;

	snprintf(op->attr, sizeof(op->attr), "%s", name);
	snprintf(op->text, sizeof(op->text), "%s", value);
	if (x->dry_run)
		return 0;
	if (strcmp(name, "reset") == 0)
		kd_exec_waiting(x); /* the kernel's reset waits inside */
	start = kd_exec_clock(x);
	op->result = kd_dev_attr_write(dev, name, value);
	op->duration_ns = kd_exec_since(x, start);
	if (op->result < 0 && kernel_unavailable(name, op->result))
		DBG(x->ctx, "%s: writing \"%s\" to %s: %s (the kernel has no "
			     "such reset for it)", kd_dev_name(dev), value, name,
		     strerror(-op->result));
	else if (op->result < 0)
		ERR(x->ctx, "%s: writing \"%s\" to %s failed: %s",
		    kd_dev_name(dev), value, name, strerror(-op->result));
	return op->result;
}

static int bar_write(struct kd_reset_exec *x, struct kd_reset_op *op,
		     struct kd_dev *dev)
{
	if (x->dry_run)
		return 0;
	op->result = kd_bar_write(dev, op->bar, op->pos, op->width, op->value);
	if (op->result < 0)
		ERR(x->ctx, "%s: BAR%d write at 0x%x failed: %s",
		    kd_dev_name(dev), op->bar, op->pos, strerror(-op->result));
	return op->result;
}

int kd_reset_bar_write(struct kd_reset_exec *x, struct kd_dev *dev, int bar,
		       uint64_t off, unsigned width, uint64_t val,
		       const char *why)
{
	struct kd_reset_op *op = record_write(x, KD_OP_BAR_WRITE, dev,
					      (unsigned)off, width, val, why);

	op->bar = bar;
	return bar_write(x, op, dev);
}

int kd_reset_bar_update(struct kd_reset_exec *x, struct kd_dev *dev, int bar,
			uint64_t off, unsigned width, uint64_t mask,
			uint64_t val, const char *why)
{
	struct kd_reset_op *op = record_write(x, KD_OP_BAR_WRITE, dev,
					      (unsigned)off, width, val, why);
	int err;

	op->bar = bar;
	if ((mask & width_mask(width)) != width_mask(width)) {
		op->mask = mask & width_mask(width);
		err = merge(x, dev, bar, op);
		if (err < 0)
			return err;
	}
	return bar_write(x, op, dev);
}

static int poll_read(struct kd_dev *dev, const struct kd_reset_op *op,
		     uint64_t *val)
{
	uint32_t v32 = 0;
	int err;

	if (op->bar >= 0)
		return kd_bar_read(dev, op->bar, op->pos, op->width, val);
	err = kd_cfg_read_live(dev, op->pos, op->width, &v32);
	*val = v32;
	return err;
}

int kd_reset_poll(struct kd_reset_exec *x, struct kd_dev *dev, int bar,
		  uint64_t off, unsigned width, uint64_t mask, uint64_t val,
		  uint64_t interval_ns, uint64_t timeout_ns, const char *why)
{
	struct kd_reset_op *op = record_write(x, KD_OP_POLL, dev,
					      (unsigned)off, width, val, why);
	uint64_t start, wstart, now, cur = 0;

	op->bar = bar < 0 ? -1 : bar;
	op->mask = mask;
	op->ns = timeout_ns;
	if (bar < 0)
		snprintf(op->text, sizeof(op->text),
			 "config 0x%03x w%u & 0x%" PRIx64 " == 0x%" PRIx64,
			 op->pos, width, mask, val);
	else
		snprintf(op->text, sizeof(op->text),
			 "BAR%d+0x%x w%u & 0x%" PRIx64 " == 0x%" PRIx64, bar,
			 op->pos, width, mask, val);
	if (bar < 0 && !cfg_range_ok(op->pos, width))
		op->result = -EINVAL;
	if (x->dry_run || op->result < 0)
		return op->result;
	start = kd_now_ns(x->ctx);
	wstart = kd_exec_clock(x);
	for (;;) {
		op->result = poll_read(dev, op, &cur);
		now = kd_now_ns(x->ctx);
		op->waited_ns = kd_exec_since(x, wstart);
		if (op->result < 0) {
			ERR(x->ctx, "%s: poll read failed (%s): %s",
			    kd_dev_name(dev), why ? why : "",
			    strerror(-op->result));
			return op->result;
		}
		if ((cur & mask) == val)
			return 0;
		if (now - start >= timeout_ns)
			break;
		pause_ns(x, interval_ns ? interval_ns : MS(1));
		kd_sleep_ns(x->ctx, interval_ns ? interval_ns : MS(1));
	}
	op->result = -ETIMEDOUT;
	if (!x->quiet)
		ERR(x->ctx, "%s: poll timed out (%s): last 0x%" PRIx64
			    ", wanted 0x%" PRIx64 " under mask 0x%" PRIx64,
		    kd_dev_name(dev), why ? why : "", cur, val, mask);
	return -ETIMEDOUT;
}

void kd_exec_sleep(struct kd_reset_exec *x, const struct kd_addr *a,
		     uint64_t ns, const char *why)
{
	struct kd_reset_op *op = kd_exec_record(x, KD_OP_SLEEP, a, why);

	uint64_t start, spent = 0;

	op->ns = ns;
	op->waited_ns = ns; /* a dry run: as planned */
	if (x->dry_run || !ns)
		return;
	start = kd_exec_clock(x);
	/* not the 2 ms Secondary Bus Reset hold: over before the others
	 * would have done anything but slow the deassert down.  Starting
	 * them is part of this wait (it runs from start), measured before
	 * they go: nothing of theirs is counted */
	if (ns >= KD_GATE_MIN_WAIT_NS && wait_begins(x)) {
		spent = kd_exec_since(x, start);
		release(x);
	}
	/* mandated or not by the wait asked for, not by what is left of it
	 * (reset/guard.h): one over KD_RUN_MANDATED_MAX_NS stays bounded by
	 * the budget, as kd_run_sleep_mandated() would treat it whole */
	if (spent < ns && ns <= KD_RUN_MANDATED_MAX_NS)
		kd_run_sleep_mandated(x->ctx, ns - spent);
	else if (spent < ns)
		kd_run_sleep_restoring(x->ctx, ns - spent);
	op->waited_ns = kd_exec_since(x, start);
}

void kd_reset_sleep(struct kd_reset_exec *x, uint64_t ns, const char *why)
{
	kd_exec_sleep(x, &x->res->addr, ns, why);
}

static bool ready_value(uint32_t cmd, uint32_t id)
{
	/*
	 * ~0 from Command/Status: not responding (pci_dev_wait() polls
	 * Command for this); RRS SV: Vendor ID 0x0001 (PCIe §2.3.2).  The
	 * Vendor ID dword alone proves nothing when it is ~0: an SR-IOV VF
	 * reads Vendor and Device ID as ffff (SR-IOV 1.1 §3.4.1.1).
	 */
	return cmd != 0xffffffff && (id & 0xffff) != PCI_VENDOR_ID_RRS;
}

/*
 * Whether the Root Port above dev has RRS Software Visibility enabled
 * (RtCtl.CRSSVE, PCIe §7.5.3.12; the kernel sets it at enumeration,
 * pci_enable_rrs_sv(), and pci_dev_wait() asks pcie_find_root_port()).
 * Bounded by the bus depth.
 */
static bool root_rrs_sv(struct kd_dev *dev)
{
	struct kd_ctx *ctx = kd_dev_ctx(dev);
	struct kd_dev *cur = dev, *up = NULL;
	bool sv = false;

	for (unsigned depth = 0; depth < 256; depth++) {
		struct kd_addr a;
		unsigned e;
		uint32_t v;

		if (kd_dev_parent(cur, &a) < 0 || kd_dev_open(ctx, &a, &up) < 0)
			break;
		if (cur != dev)
			kd_dev_free(cur);
		cur = up;
		e = kd_cap_find(cur, PCI_CAP_ID_EXP);
		if (e && ((kd_cfg_read16(cur, e + PCI_EXP_FLAGS) &
			   PCI_EXP_FLAGS_TYPE) >> 4) == PCI_EXP_TYPE_ROOT_PORT) {
			sv = kd_cfg_read_live(cur, e + PCI_EXP_RTCTL, 2, &v) == 0 &&
			     v != 0xffff && (v & PCI_EXP_RTCTL_CRSSVE);
			break;
		}
	}
	if (cur != dev)
		kd_dev_free(cur);
	return sv;
}

/* One readiness read: 1 ready, 0 not yet, or -errno */
static int ready_once(struct kd_dev *dev, bool rrs_sv)
{
	uint32_t cmd = 0xffffffff, id = 0xffffffff;
	int err;

	if (rrs_sv) {
		/* only the Vendor ID completes with the RRS value; 0x0001
		 * while the function is not ready (PCIe §2.3.2) */
		err = kd_cfg_read_live(dev, PCI_VENDOR_ID, 2, &id);
		if (err < 0)
			return err;
		if (id == PCI_VENDOR_ID_RRS)
			return 0;
		if (id != 0xffff)
			return 1;
		/* ffff: gone, or a VF (no IDs of its own): Command tells */
		err = kd_cfg_read_live(dev, PCI_COMMAND, 4, &cmd);
		return err < 0 ? err : cmd != 0xffffffff;
	}
	err = kd_cfg_read_live(dev, PCI_COMMAND, 4, &cmd);
	if (err == 0)
		err = kd_cfg_read_live(dev, PCI_VENDOR_ID, 4, &id);
	return err < 0 ? err : ready_value(cmd, id);
}

bool kd_exec_backoff(struct kd_reset_exec *x, uint64_t timeout_ns,
		     uint64_t *delay, uint64_t *waited)
{
	if (*waited >= timeout_ns)
		return false;
	if (*delay > timeout_ns - *waited)
		*delay = timeout_ns - *waited;
	pause_ns(x, *delay);
	kd_run_sleep_restoring(x->ctx, *delay); /* reset/guard.h */
	*waited += *delay;
	*delay *= 2;
	return true;
}

int kd_exec_wait_ready(struct kd_reset_exec *x, struct kd_dev *dev,
		       uint64_t timeout_ns, const char *why)
{
	struct kd_reset_op *op = kd_exec_record(x, KD_OP_POLL,
						kd_dev_addr(dev), why);
	uint64_t delay = MS(1), waited = 0, start;
	bool rrs_sv;
	int err;

	snprintf(op->text, sizeof(op->text),
		 "config reads until not all-ones/RRS");
	op->ns = timeout_ns;
	if (x->dry_run)
		return 0;
	start = kd_exec_clock(x);
	rrs_sv = root_rrs_sv(dev);
	if (rrs_sv)
		snprintf(op->text, sizeof(op->text),
			 "Vendor ID reads until not RRS 0x0001");
	/* pci_dev_wait(): read, sleep 1, 2, 4 ... ms, give up at timeout */
	for (;;) {
		err = ready_once(dev, rrs_sv);
		if (err == -ENODEV || err == -ENOENT) {
			ERR(x->ctx, "%s: device disappeared while waiting "
				    "for it after reset", kd_dev_name(dev));
			err = -ENODEV;
			break;
		}
		if (err == 1) {
			err = 0;
			break;
		}
		if (!kd_exec_backoff(x, timeout_ns, &delay, &waited)) {
			if (!x->quiet)
				ERR(x->ctx, "%s: not ready %" PRIu64 " ms after reset; "
					    "giving up", kd_dev_name(dev),
				    waited / 1000000u);
			err = -ETIMEDOUT;
			break;
		}
	}
	op->waited_ns = kd_exec_since(x, start);
	op->result = err;
	return err;
}

bool kd_exec_wait_pending(struct kd_reset_exec *x, struct kd_dev *dev,
			  unsigned pos, uint16_t mask, const char *why)
{
	struct kd_reset_op *op = kd_exec_record(x, KD_OP_POLL,
						kd_dev_addr(dev), why);
	uint64_t start;

	snprintf(op->text, sizeof(op->text), "0x%03x & 0x%04x clear", pos,
		 mask);
	op->ns = KD_PENDING_BASE_NS * ((1u << (KD_PENDING_POLLS - 1)) - 1);
	if (x->dry_run)
		return true;
	start = kd_exec_clock(x);
	for (unsigned i = 0; i < KD_PENDING_POLLS; i++) {
		uint32_t v;

		if (i) {
			pause_ns(x, KD_PENDING_BASE_NS << (i - 1));
			kd_sleep_ns(x->ctx, KD_PENDING_BASE_NS << (i - 1));
		}
		if (kd_cfg_read_live(dev, pos, 2, &v) == 0 && !(v & mask)) {
			op->waited_ns = kd_exec_since(x, start);
			return true;
		}
	}
	op->waited_ns = kd_exec_since(x, start);
	op->result = -ETIMEDOUT;
	ERR(x->ctx, "%s: timed out waiting for pending transactions; "
		    "resetting anyway", kd_dev_name(dev));
	return false;
}

int kd_exec_wait_link(struct kd_reset_exec *x, struct kd_dev *dev,
		      unsigned exp, uint64_t timeout_ns, const char *why)
{
	struct kd_reset_op *op = kd_exec_record(x, KD_OP_POLL,
						kd_dev_addr(dev), why);
	uint64_t waited = 0, start;

	snprintf(op->text, sizeof(op->text), "LnkSta.DLLLA set");
	op->ns = timeout_ns;
	if (x->dry_run)
		return 0;
	start = kd_exec_clock(x);
	for (;;) {
		uint32_t v;
		int err = kd_cfg_read_live(dev, exp + PCI_EXP_LNKSTA, 2, &v);

		if (err == 0 && v != 0xffff && (v & PCI_EXP_LNKSTA_DLLLA))
			break;
		if (waited >= timeout_ns) {
			op->waited_ns = kd_exec_since(x, start);
			op->result = -ETIMEDOUT;
			return -ETIMEDOUT;
		}
		kd_run_sleep_restoring(x->ctx, MS(1));
		waited += MS(1);
	}
	op->waited_ns = kd_exec_since(x, start);
	return 0;
}

void kd_reset_result_clear(struct kd_reset_result *r)
{
	free(r->ops);
	free(r->also);
	memset(r, 0, sizeof(*r));
}
