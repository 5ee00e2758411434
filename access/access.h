/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdsafe access layer: the only code that touches /sys, config space and
 * BARs.  Everything above it works through an opaque context (struct kd_ctx)
 * and device handles (struct kd_dev).  Library functions return 0 (or a
 * count) on success and a negative errno on failure; they never exit.
 */
#ifndef KDSAFE_ACCESS_H
#define KDSAFE_ACCESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KD_CFG_SPACE_SIZE 256      /* conventional config space */
/* Where the kernel lists PCI functions; only ever used below the sysroot
 * (kd_ctx_path()), and the sysfs mount opens below it take one step from
 * without a sysroot (access/open.c). */
#define KD_SYSFS "/sys"
#define KD_SYSFS_PCI KD_SYSFS "/bus/pci"
#define KD_CFG_SPACE_EXP_SIZE 4096 /* PCIe extended config space */

/* ---- addresses --------------------------------------------------------- */

struct kd_addr {
	uint32_t domain;
	uint8_t bus;
	uint8_t dev;
	uint8_t fn;
};

#define KD_ADDR_STRLEN sizeof("ffffffff:ff:1f.7")

/* "DDDD:BB:DD.F" or "BB:DD.F" (domain 0); 0 or -EINVAL. */
int kd_addr_parse(const char *s, struct kd_addr *out);
/* Writes "0000:03:00.0" (at least 4 domain digits) into buf. */
const char *kd_addr_format(const struct kd_addr *a, char buf[KD_ADDR_STRLEN]);
int kd_addr_cmp(const struct kd_addr *a, const struct kd_addr *b);
bool kd_addr_eq(const struct kd_addr *a, const struct kd_addr *b);

/* ---- context ----------------------------------------------------------- */

struct kd_ctx;
struct kd_backend;

enum kd_log_prio { KD_LOG_ERR = 3, KD_LOG_WARNING = 4, KD_LOG_NOTICE = 5,
		   KD_LOG_INFO = 6, KD_LOG_DEBUG = 7 };

typedef void (*kd_log_fn)(void *data, int prio, const char *file, int line,
			  const char *fn, const char *format, va_list args);

/* Monotonic clock and sleep, injectable so tests assert the waits taken. */
struct kd_clock {
	uint64_t (*now_ns)(void *data);
	void (*sleep_ns)(void *data, uint64_t ns);
	void *data;
};

struct kd_ctx_options {
	const char *sysroot;   /* NULL or "" means "/" */
	const char *dump_path; /* read config space from an lspci -x dump */
	const struct kd_backend *backend; /* overrides both (test simulator) */
	bool no_devices;       /* no PCI tree at all: sysroot and log only */
	void *backend_data;    /* handed to backend->init */
	const char *kernel_release; /* for lib/modules; NULL: sysroot's osrelease */
	kd_log_fn log_fn;      /* NULL: stderr */
	void *log_data;
	int log_priority;      /* 0: KD_LOG_WARNING */
};

/* Creates a context; *out holds one reference. 0 or -errno (logged). */
int kd_ctx_new(const struct kd_ctx_options *opts, struct kd_ctx **out);
struct kd_ctx *kd_ctx_ref(struct kd_ctx *ctx);
struct kd_ctx *kd_ctx_unref(struct kd_ctx *ctx);

void kd_ctx_set_log_fn(struct kd_ctx *ctx, kd_log_fn fn, void *data);
void kd_ctx_set_log_priority(struct kd_ctx *ctx, int prio);
int kd_ctx_get_log_priority(const struct kd_ctx *ctx);
void kd_ctx_set_clock(struct kd_ctx *ctx, const struct kd_clock *clock);
uint64_t kd_now_ns(struct kd_ctx *ctx);
void kd_sleep_ns(struct kd_ctx *ctx, uint64_t ns);

/* "/" or the --sysroot directory, without a trailing slash ("" for "/"). */
const char *kd_ctx_sysroot(const struct kd_ctx *ctx);
/* Builds sysroot + path into buf; -ENAMETOOLONG if it does not fit. */
int kd_ctx_path(const struct kd_ctx *ctx, char *buf, size_t len,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *kd_ctx_backend_name(const struct kd_ctx *ctx);
/* The kernel release whose lib/modules the context uses, or NULL: the
 * one given, else SYSROOT/proc/sys/kernel/osrelease (read on the first
 * call), else uname()'s without a sysroot. */
const char *kd_ctx_kernel_release(struct kd_ctx *ctx);

/*
 * Writes (config space, reset, reset_method, BARs) are refused until
 * kd_ctx_enable_writes() succeeds.  It refuses the real /sys unless
 * allow_real_sysfs is set, and always in builds made with
 * KDSAFE_NO_REAL_WRITES (the test build), so a test can never reach this
 * machine's own devices.
 */
int kd_ctx_enable_writes(struct kd_ctx *ctx, bool allow_real_sysfs);
bool kd_ctx_writes_enabled(const struct kd_ctx *ctx);

/*
 * SYSROOT/dev/kmsg opened for appending log lines: resolved beneath the
 * sysroot, a character device or regular file only, never blocking.  An fd
 * or -errno; a refusal is logged naming the file.
 */
int kd_ctx_open_kmsg(struct kd_ctx *ctx);

/*
 * Log lines to SYSROOT/dev/kmsg (access/kmsg.c): opened again, beneath the
 * sysroot as the first time, before KD_KMSG_BURST lines have gone through
 * one open file, because the kernel rate-limits each open of /dev/kmsg to
 * that many lines per 5 s and drops the rest silently (devkmsg_open(),
 * devkmsg_write()).  KD_KMSG_INIT, then kd_kmsg_open(); the caller
 * serialises writes.
 */
#define KD_KMSG_BURST 10 /* DEFAULT_RATELIMIT_BURST */
/* The longest write devkmsg_write() takes as one line, "<N>" and newline
 * included: LOG_LINE_MAX (1024 - PREFIX_MAX 32; Linux >= 6.x allows
 * PRINTKRB_RECORD_MAX 1024); a longer one is refused with EINVAL. */
#define KD_KMSG_LINE_MAX 992
struct kd_kmsg {
	struct kd_ctx *ctx;     /* a reference, for the next open */
	int fd;
	unsigned lines;         /* written through this open */
	unsigned opens;         /* opens so far (tests) */
	bool reopening;
	bool reopen_failed;     /* not tried again: one refusal logged */
};
#define KD_KMSG_INIT { .fd = -1 }
/* 0, or -errno (a refusal logged naming the file, as kd_ctx_open_kmsg) */
int kd_kmsg_open(struct kd_kmsg *k, struct kd_ctx *ctx);
bool kd_kmsg_is_open(const struct kd_kmsg *k);
/* One whole line (with its "<N>" and "\n"), cut to KD_KMSG_LINE_MAX:
 * 0, or -errno and closed */
int kd_kmsg_write(struct kd_kmsg *k, const char *line, size_t len);
void kd_kmsg_close(struct kd_kmsg *k);

/*
 * A small file of the tree (SYSROOT + path, e.g. "/proc/cmdline"): resolved
 * beneath the sysroot, a regular file only, never blocking; at most len-1
 * bytes, NUL-terminated, cut at the first newline.  The length or -errno
 * (buf is "" then): -EXDEV, -EINVAL, -EISDIR when the file was refused,
 * -EIO when its read failed (a down link's sysfs "carrier"), -EAGAIN.
 */
ssize_t kd_ctx_read_small(struct kd_ctx *ctx, const char *path, char *buf,
			  size_t len);
/*
 * The first bytes of a disk of the tree (SYSROOT + path, e.g. "/dev/sda"):
 * resolved beneath the sysroot, a block device (or, in a fake tree, a
 * regular file) only, never blocking; one read() of at most len bytes.
 * The count or -errno; a refusal is logged naming the file.
 */
ssize_t kd_ctx_read_head(struct kd_ctx *ctx, const char *path, void *buf,
			 size_t len);

void kd_log(struct kd_ctx *ctx, int prio, const char *file, int line,
	    const char *fn, const char *format, ...)
	__attribute__((format(printf, 6, 7)));

#define kd_log_cond(ctx, prio, ...)                                         \
	do {                                                                \
		if (kd_ctx_get_log_priority(ctx) >= (prio))                 \
			kd_log(ctx, prio, __FILE__, __LINE__, __func__,     \
			       __VA_ARGS__);                                \
	} while (0)

#define ERR(ctx, ...) kd_log_cond(ctx, KD_LOG_ERR, __VA_ARGS__)
#define WARN(ctx, ...) kd_log_cond(ctx, KD_LOG_WARNING, __VA_ARGS__)
#define NOTICE(ctx, ...) kd_log_cond(ctx, KD_LOG_NOTICE, __VA_ARGS__)
#define INFO(ctx, ...) kd_log_cond(ctx, KD_LOG_INFO, __VA_ARGS__)
#define DBG(ctx, ...) kd_log_cond(ctx, KD_LOG_DEBUG, __VA_ARGS__)

/* ---- enumeration ------------------------------------------------------- */

/* Return non-zero from the callback to stop; that value is returned. */
typedef int (*kd_enum_fn)(const struct kd_addr *addr, void *data);

/*
 * Calls fn for every function, in address order.  Entries that cannot be
 * parsed are logged and counted in *bad (may be NULL) and skipped.
 */
int kd_enumerate(struct kd_ctx *ctx, kd_enum_fn fn, void *data, int *bad);

/* A function's bound driver without opening it (a readlink, no config
 * read): 0 with the name, -ENOENT unbound, or -errno. */
int kd_function_driver(struct kd_ctx *ctx, const struct kd_addr *addr,
		       char *name, size_t len);

/* The upstream bridge of a function: 0, -ENOENT on a root bus, or -errno. */
int kd_function_parent(struct kd_ctx *ctx, const struct kd_addr *addr,
		       struct kd_addr *parent);

/* ---- device selection (lspci -s / -d syntax, parsed by libpci) --------- */

struct kd_filter {
	int domain, bus, dev, fn;   /* -1: any */
	int vendor, device, class_code; /* class: base<<8|sub, -1: any */
};

/* "[[DDDD:]BB:]DD[.F]" or "[VVVV]:[DDDD][:CCCC]": 0 or -EINVAL. */
int kd_filter_parse(const char *arg, struct kd_filter *f);
bool kd_filter_match(const struct kd_filter *f, const struct kd_addr *a,
		     uint16_t vendor, uint16_t device, uint32_t class_code);

/* ---- device handles ---------------------------------------------------- */

/*
 * A device handle owns its config-space cache.  Reads are served from the
 * cache (filled at open / kd_dev_refresh); writes go to the device and
 * update the cache.
 */
struct kd_dev;

/* 0, or -ENODEV when the function does not exist, -EIO when its config
 * space cannot be read at all. */
int kd_dev_open(struct kd_ctx *ctx, const struct kd_addr *addr,
		struct kd_dev **out);
void kd_dev_free(struct kd_dev *dev);
struct kd_ctx *kd_dev_ctx(const struct kd_dev *dev);
const struct kd_addr *kd_dev_addr(const struct kd_dev *dev);
/* "0000:03:00.0", valid as long as the handle. */
const char *kd_dev_name(const struct kd_dev *dev);
/* Bytes of config space the device exposed (64, 256 or 4096 usually). */
size_t kd_dev_config_len(const struct kd_dev *dev);
/* Re-reads config space into the cache: 0 or -errno. */
int kd_dev_refresh(struct kd_dev *dev);
/* Re-reads it only if anything was written through the context (config,
 * attribute, BAR, kd_ctx_note_write()) since the handle's last read, any
 * function, any thread: 0 or -errno. */
int kd_dev_refresh_stale(struct kd_dev *dev);
/* Something outside the context may have written hardware (a quirk's
 * program ran): every handle's next kd_dev_refresh_stale() reads. */
void kd_ctx_note_write(struct kd_ctx *ctx);

/* The function's sysfs directory under the sysroot (for scripts and
 * messages; it exists only with the sysfs backend): 0 or -ENAMETOOLONG. */
int kd_dev_sysfs_path(const struct kd_dev *dev, char *buf, size_t len);

/* Cached reads: all-ones beyond what the device exposed. */
uint8_t kd_cfg_read8(const struct kd_dev *dev, unsigned pos);
uint16_t kd_cfg_read16(const struct kd_dev *dev, unsigned pos);
uint32_t kd_cfg_read32(const struct kd_dev *dev, unsigned pos);
/* Uncached read straight from the device (readiness polling). */
int kd_cfg_read_live(struct kd_dev *dev, unsigned pos, unsigned width,
		     uint32_t *val);
/* width is 1, 2 or 4; 0 or -errno (-EPERM when writes are not enabled). */
int kd_cfg_write(struct kd_dev *dev, unsigned pos, unsigned width,
		 uint32_t val);

/*
 * sysfs-style attributes of the function ("reset_method", "modalias", ...):
 * read returns the length (trailing newline stripped) or -errno.
 */
ssize_t kd_dev_attr_read(struct kd_dev *dev, const char *name, char *buf,
			 size_t len);
int kd_dev_attr_write(struct kd_dev *dev, const char *name, const char *value);
/* Whether the attribute is there, without reading it (sysfs "reset" is
 * write-only: a read would fail with EACCES). */
bool kd_dev_attr_exists(struct kd_dev *dev, const char *name);
/* Basename of a link's target ("driver" -> "e1000e"), or -ENOENT. */
ssize_t kd_dev_link_read(struct kd_dev *dev, const char *name, char *buf,
			 size_t len);
/* The upstream bridge: 0, -ENOENT on a root bus, or another -errno. */
int kd_dev_parent(struct kd_dev *dev, struct kd_addr *parent);
/* Module backing a bound driver: 0 with *builtin set, or -ENOENT unbound. */
int kd_dev_driver(struct kd_dev *dev, char *name, size_t len, bool *builtin);

/* MMIO of a memory BAR: width 1, 2, 4 or 8 bytes. */
int kd_bar_read(struct kd_dev *dev, int bar, uint64_t off, unsigned width,
		uint64_t *val);
int kd_bar_write(struct kd_dev *dev, int bar, uint64_t off, unsigned width,
		 uint64_t val);

#endif
