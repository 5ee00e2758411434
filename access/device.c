// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "context.h"
#include "regs.h"

struct kd_dev {
	struct kd_ctx *ctx;
	struct kd_addr addr;
	char name[KD_ADDR_STRLEN];
	size_t cfg_len;  /* config space's size */
	size_t have;     /* bytes of it in cfg: cfg_len, or less until asked */
	uint8_t *cfg;
	unsigned long writes_seen; /* ctx->writes when cfg was read */
};

struct addr_list {
	struct kd_addr *v;
	size_t n, cap;
};

static int collect(const struct kd_addr *a, void *data)
{
	struct addr_list *l = data;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct kd_addr *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *a;
	return 0;
}

static int cmp_addr(const void *a, const void *b)
{
	return kd_addr_cmp(a, b);
}

int kd_enumerate(struct kd_ctx *ctx, kd_enum_fn fn, void *data, int *bad)
{
	struct addr_list l = { 0 };
	int dummy = 0, err;

	err = ctx->backend->enumerate(ctx, ctx->state, collect, &l,
				      bad ? bad : &dummy);
	if (err == 0 && l.n) {
		qsort(l.v, l.n, sizeof(*l.v), cmp_addr);
		for (size_t i = 0; i < l.n && err == 0; i++)
			err = fn(&l.v[i], data);
	}
	free(l.v);
	return err;
}

/*
 * Reads as much config space as the device exposes: one read of up to
 * 4096 bytes, which the backend shortens to the size it has.  Where that
 * fails (sysfs gives an unprivileged reader only 64 bytes of a 256-byte
 * file), fall back to the sizes lspci tries: 64, 256, 4096.
 */
static ssize_t read_stepwise(struct kd_dev *dev, uint8_t *buf)
{
	static const size_t steps[] = { 64, KD_CFG_SPACE_SIZE,
					KD_CFG_SPACE_EXP_SIZE };
	struct kd_ctx *ctx = dev->ctx;
	size_t have = 0;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ssize_t n = ctx->backend->config_read(ctx, ctx->state,
						      &dev->addr, (unsigned)have,
						      buf + have,
						      steps[i] - have);
		if (n < 0 && have == 0)
			return n;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (have < steps[i])
			break;
	}
	return have ? (ssize_t)have : -EIO;
}

void kd_ctx_note_write(struct kd_ctx *ctx)
{
	__atomic_add_fetch(&ctx->writes, 1, __ATOMIC_SEQ_CST);
}

static void install(struct kd_dev *dev, uint8_t *buf, size_t len,
		    size_t have, unsigned long writes)
{
	free(dev->cfg);
	dev->cfg = buf;
	dev->cfg_len = len;
	dev->have = have;
	dev->writes_seen = writes;
}

/*
 * The standard header and the dword at 100h; the rest of config space is
 * read only when something asks past them (complete()).  Under TCG a
 * 4 KiB sysfs read costs 0.97 ms against 0.12 ms for the header, for
 * every open, and most opens never look further: a bridge when reset
 * --all chooses, a conventional function, one without extended
 * capabilities.  1: installed; 0: read it whole (the backend cannot say
 * the size, or there is nothing past the header); -errno: it cannot be
 * read (the backend said why).
 */
static int read_header_only(struct kd_dev *dev, unsigned long writes)
{
	struct kd_ctx *ctx = dev->ctx;
	const size_t head = KD_CFG_SPACE_SIZE + 4;
	uint8_t *buf;
	ssize_t size, n;

	if (!ctx->backend->config_size)
		return 0;
	size = ctx->backend->config_size(ctx, ctx->state, &dev->addr);
	if (size < 0)
		return (int)size; /* as a read would fail, said once */
	if (size <= (ssize_t)head || size > KD_CFG_SPACE_EXP_SIZE)
		return 0;
	buf = malloc((size_t)size);
	if (!buf)
		return -ENOMEM;
	n = ctx->backend->config_read(ctx, ctx->state, &dev->addr, 0, buf,
				      head);
	if (n != (ssize_t)head) {
		free(buf);
		return 0;
	}
	install(dev, buf, (size_t)size, head, writes);
	return 1;
}

static int read_config(struct kd_dev *dev)
{
	struct kd_ctx *ctx = dev->ctx;
	/* before the read: a write racing it makes the handle stale */
	unsigned long writes = __atomic_load_n(&ctx->writes, __ATOMIC_SEQ_CST);
	uint8_t *buf, *shrunk;
	ssize_t have;
	int err = read_header_only(dev, writes);

	if (err != 0)
		return err < 0 ? err : 0;
	buf = malloc(KD_CFG_SPACE_EXP_SIZE);
	if (!buf)
		return -ENOMEM;
	have = ctx->backend->config_read(ctx, ctx->state, &dev->addr, 0, buf,
					 KD_CFG_SPACE_EXP_SIZE);
	if (have == -EIO)
		have = read_stepwise(dev, buf);
	if (have >= 0 && have < PCI_STD_HEADER_SIZEOF) {
		/* no header, no verdict: unreadable, never "dirty" */
		ERR(ctx, "%s: config space is %zd bytes, less than the "
			 "%d-byte header: unreadable", dev->name, have,
		    PCI_STD_HEADER_SIZEOF);
		have = -EIO;
	}
	if (have < 0) {
		free(buf);
		return (int)have;
	}
	/* keep only what the device exposed: 4096 functions x 4 KiB adds up */
	shrunk = realloc(buf, (size_t)have);
	install(dev, shrunk ? shrunk : buf, (size_t)have, (size_t)have,
		writes);
	return 0;
}

/*
 * The rest of config space, the first time an accessor asks past what
 * read_header_only() kept: all of it again when something was written
 * since, so that the bytes are of one moment.  A failed read ends config
 * space there (accessors read ff past it), as a short full read would.
 */
static void complete(struct kd_dev *dev)
{
	struct kd_ctx *ctx = dev->ctx;
	ssize_t n;

	if (__atomic_load_n(&ctx->writes, __ATOMIC_SEQ_CST) != dev->writes_seen &&
	    read_config(dev) == 0 && dev->have == dev->cfg_len)
		return;
	n = ctx->backend->config_read(ctx, ctx->state, &dev->addr,
				      (unsigned)dev->have, dev->cfg + dev->have,
				      dev->cfg_len - dev->have);
	if (n > 0)
		dev->have += (size_t)n;
	dev->cfg_len = dev->have;
}

int kd_dev_open(struct kd_ctx *ctx, const struct kd_addr *addr,
		struct kd_dev **out)
{
	struct kd_dev *dev = calloc(1, sizeof(*dev));
	int err;

	if (!dev)
		return -ENOMEM;
	dev->ctx = ctx;
	dev->addr = *addr;
	kd_addr_format(addr, dev->name);
	err = read_config(dev);
	if (err < 0) {
		free(dev);
		return err;
	}
	*out = dev;
	return 0;
}

void kd_dev_free(struct kd_dev *dev)
{
	if (!dev)
		return;
	free(dev->cfg);
	free(dev);
}

int kd_dev_sysfs_path(const struct kd_dev *dev, char *buf, size_t len)
{
	return kd_ctx_path(dev->ctx, buf, len, KD_SYSFS_PCI "/devices/%s",
			   dev->name);
}

struct kd_ctx *kd_dev_ctx(const struct kd_dev *dev)
{
	return dev->ctx;
}

const struct kd_addr *kd_dev_addr(const struct kd_dev *dev)
{
	return &dev->addr;
}

const char *kd_dev_name(const struct kd_dev *dev)
{
	return dev->name;
}

size_t kd_dev_config_len(const struct kd_dev *dev)
{
	return dev->cfg_len;
}

int kd_dev_refresh(struct kd_dev *dev)
{
	return read_config(dev);
}

int kd_dev_refresh_stale(struct kd_dev *dev)
{
	if (__atomic_load_n(&dev->ctx->writes, __ATOMIC_SEQ_CST) ==
	    dev->writes_seen)
		return 0;
	return read_config(dev);
}

uint8_t kd_cfg_read8(const struct kd_dev *dev, unsigned pos)
{
	/* the handle's cache, filled on demand: not what const promises
	 * callers (the bytes they read do not change) */
	if (pos >= dev->have && pos < dev->cfg_len)
		complete((struct kd_dev *)dev);
	return pos < dev->have ? dev->cfg[pos] : 0xff;
}

uint16_t kd_cfg_read16(const struct kd_dev *dev, unsigned pos)
{
	return (uint16_t)(kd_cfg_read8(dev, pos) |
			  kd_cfg_read8(dev, pos + 1) << 8);
}

uint32_t kd_cfg_read32(const struct kd_dev *dev, unsigned pos)
{
	return (uint32_t)kd_cfg_read16(dev, pos) |
	       (uint32_t)kd_cfg_read16(dev, pos + 2) << 16;
}

static int check_width(unsigned pos, unsigned width)
{
	if ((width != 1 && width != 2 && width != 4) || pos % width ||
	    pos + width > KD_CFG_SPACE_EXP_SIZE)
		return -EINVAL;
	return 0;
}

int kd_cfg_read_live(struct kd_dev *dev, unsigned pos, unsigned width,
		     uint32_t *val)
{
	struct kd_ctx *ctx = dev->ctx;
	uint8_t b[4];
	ssize_t n;

	if (check_width(pos, width) < 0)
		return -EINVAL;
	n = ctx->backend->config_read(ctx, ctx->state, &dev->addr, pos, b,
				      width);
	if (n < 0)
		return (int)n;
	if ((size_t)n != width)
		return -EIO;
	*val = 0;
	for (unsigned i = 0; i < width; i++)
		*val |= (uint32_t)b[i] << (8 * i);
	return 0;
}

static int writes_allowed(struct kd_dev *dev, const char *what)
{
	if (dev->ctx->writes_enabled)
		return 0;
	ERR(dev->ctx, "%s: refusing %s: writes are not enabled", dev->name,
	    what);
	return -EPERM;
}

int kd_cfg_write(struct kd_dev *dev, unsigned pos, unsigned width,
		 uint32_t val)
{
	struct kd_ctx *ctx = dev->ctx;
	uint8_t b[4];
	int err;

	if (check_width(pos, width) < 0)
		return -EINVAL;
	err = writes_allowed(dev, "config write");
	if (err < 0)
		return err;
	for (unsigned i = 0; i < width; i++)
		b[i] = (uint8_t)(val >> (8 * i));
	err = ctx->backend->config_write(ctx, ctx->state, &dev->addr, pos, b,
					 width);
	kd_ctx_note_write(ctx); /* even a failed write may have landed */
	if (err < 0)
		return err;
	if (pos + width <= dev->have)
		memcpy(dev->cfg + pos, b, width);
	return 0;
}

ssize_t kd_dev_attr_read(struct kd_dev *dev, const char *name, char *buf,
			 size_t len)
{
	struct kd_ctx *ctx = dev->ctx;

	if (!ctx->backend->attr_read)
		return -ENOENT;
	return ctx->backend->attr_read(ctx, ctx->state, &dev->addr, name, buf,
				       len);
}

bool kd_dev_attr_exists(struct kd_dev *dev, const char *name)
{
	struct kd_ctx *ctx = dev->ctx;
	char buf[128];

	if (ctx->backend->attr_exists)
		return ctx->backend->attr_exists(ctx, ctx->state, &dev->addr,
						 name) == 0;
	return kd_dev_attr_read(dev, name, buf, sizeof(buf)) != -ENOENT;
}

int kd_dev_attr_write(struct kd_dev *dev, const char *name, const char *value)
{
	struct kd_ctx *ctx = dev->ctx;
	int err = writes_allowed(dev, name);

	if (err < 0)
		return err;
	if (!ctx->backend->attr_write)
		return -EROFS;
	err = ctx->backend->attr_write(ctx, ctx->state, &dev->addr, name,
				       value);
	kd_ctx_note_write(ctx); /* "reset": the kernel reset the function */
	return err;
}

ssize_t kd_dev_link_read(struct kd_dev *dev, const char *name, char *buf,
			 size_t len)
{
	struct kd_ctx *ctx = dev->ctx;

	if (!ctx->backend->link_read)
		return -ENOENT;
	return ctx->backend->link_read(ctx, ctx->state, &dev->addr, name, buf,
				       len);
}

int kd_dev_parent(struct kd_dev *dev, struct kd_addr *parent)
{
	return kd_function_parent(dev->ctx, &dev->addr, parent);
}

int kd_dev_driver(struct kd_dev *dev, char *name, size_t len, bool *builtin)
{
	struct kd_ctx *ctx = dev->ctx;

	if (!ctx->backend->driver)
		return -ENOENT;
	return ctx->backend->driver(ctx, ctx->state, &dev->addr, name, len,
				    builtin);
}

int kd_bar_read(struct kd_dev *dev, int bar, uint64_t off, unsigned width,
		uint64_t *val)
{
	struct kd_ctx *ctx = dev->ctx;

	if (!ctx->backend->bar_read)
		return -EOPNOTSUPP;
	return ctx->backend->bar_read(ctx, ctx->state, &dev->addr, bar, off,
				      width, val);
}

int kd_bar_write(struct kd_dev *dev, int bar, uint64_t off, unsigned width,
		 uint64_t val)
{
	struct kd_ctx *ctx = dev->ctx;
	int err = writes_allowed(dev, "BAR write");

	if (err < 0)
		return err;
	if (!ctx->backend->bar_write)
		return -EOPNOTSUPP;
	err = ctx->backend->bar_write(ctx, ctx->state, &dev->addr, bar, off,
				      width, val);
	kd_ctx_note_write(ctx); /* a device's own reset register */
	return err;
}

int kd_function_driver(struct kd_ctx *ctx, const struct kd_addr *addr,
		       char *name, size_t len)
{
	bool builtin;

	if (!ctx->backend->driver)
		return -ENOENT;
	return ctx->backend->driver(ctx, ctx->state, addr, name, len,
				    &builtin);
}

int kd_function_parent(struct kd_ctx *ctx, const struct kd_addr *addr,
		       struct kd_addr *parent)
{
	return ctx->backend->parent(ctx, ctx->state, addr, parent);
}
