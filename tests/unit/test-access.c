// SPDX-License-Identifier: GPL-2.0-or-later
/* Access layer: addresses, filters, the dump reader, the write guard,
 * bounded opens of a tree (docs/design.md, "Guarantees"). */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "access/access.h"
#include "access/dump.h"
#include "access/open.h"
#include "access/regs.h"
#include "probe/probe.h"
#include "testctx.h"

static void addr_parse_forms(void **state)
{
	struct kd_addr a;
	char s[KD_ADDR_STRLEN];

	(void)state;
	assert_int_equal(kd_addr_parse("0000:03:00.1", &a), 0);
	assert_string_equal(kd_addr_format(&a, s), "0000:03:00.1");
	assert_int_equal(kd_addr_parse("03:1f.7", &a), 0);
	assert_string_equal(kd_addr_format(&a, s), "0000:03:1f.7");
	assert_int_equal(kd_addr_parse("10000:ff:00.0", &a), 0);
	assert_string_equal(kd_addr_format(&a, s), "10000:ff:00.0");
}

static void addr_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", "03:00", "03:00.8", "0000:03:20.0", "0000:100:00.0",
		"zz:00.0", "0000:03:00.0x", ":03:00.0", "0:0:0:0.0", "03.00:0",
	};
	struct kd_addr a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kd_addr_parse(bad[i], &a), -EINVAL);
}

static void filter_slot_and_id(void **state)
{
	struct kd_addr a = { .domain = 0, .bus = 3, .dev = 0, .fn = 1 };
	struct kd_filter f;

	(void)state;
	assert_int_equal(kd_filter_parse("03:00", &f), 0);
	assert_true(kd_filter_match(&f, &a, 0x8086, 0x10d3, 0x020000));
	assert_int_equal(kd_filter_parse("03:00.0", &f), 0);
	assert_false(kd_filter_match(&f, &a, 0x8086, 0x10d3, 0x020000));
	assert_int_equal(kd_filter_parse("8086:10d3", &f), 0);
	assert_true(kd_filter_match(&f, &a, 0x8086, 0x10d3, 0x020000));
	assert_false(kd_filter_match(&f, &a, 0x8086, 0x10d4, 0x020000));
	assert_int_equal(kd_filter_parse("8086:", &f), 0);
	assert_true(kd_filter_match(&f, &a, 0x8086, 0x1234, 0x010802));
	assert_int_equal(kd_filter_parse("::0200", &f), 0);
	assert_true(kd_filter_match(&f, &a, 0x1af4, 0x1041, 0x020000));
	assert_false(kd_filter_match(&f, &a, 0x1af4, 0x1041, 0x010000));
	assert_int_equal(kd_filter_parse("xyz:10d3", &f), -EINVAL);
}

struct seen {
	int n;
	struct kd_addr addr[8];
	size_t len[8];
	char driver[8][32];
};

static int record(const struct kd_dump_func *f, void *data)
{
	struct seen *s = data;
	const char *drv = kd_dump_annot(f, "driver");

	s->addr[s->n] = f->addr;
	s->len[s->n] = f->len;
	snprintf(s->driver[s->n], sizeof(s->driver[0]), "%s",
		 drv ? drv : "");
	s->n++;
	return 0;
}

static const char good_dump[] =
	"00:1c.0 PCI bridge: Intel Corporation Device (rev 01)\n"
	"00: 86 80 10 3b 07 04 10 00 01 00 04 06 10 00 81 00\n"
	"10: 00 00 00 00 00 00 00 00 00 03 03 00 f0 00 00 00\n"
	"20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"\n"
	"# a comment\n"
	"0000:03:00.0 Ethernet controller: Intel Corporation 82574L\n"
	"#@ driver=e1000e\n"
	"00: 86 80 d3 10 06 04 10 00 00 00 00 02 10 00 00 00\n"
	"10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
	"20: 00 00 00 00 00 00 00 00 00 00 00 00 86 80 00 a0\n"
	"30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n";

static void dump_parses_devices_and_annotations(void **state)
{
	struct test_log log;
	struct seen s = { 0 };
	char *path;
	struct kd_ctx *ctx = test_dump_ctx(good_dump, &log, &path);

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(kd_dump_parse(ctx, path, record, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.addr[0].dev, 0x1c);
	assert_int_equal(s.len[0], 64);
	assert_int_equal(s.addr[1].bus, 3);
	assert_string_equal(s.driver[1], "e1000e");
	assert_int_equal(log.errors, 0);
	kd_ctx_unref(ctx);
	test_remove(path);
}

static void dump_bad_lines_name_file_and_line(void **state)
{
	static const char text[] =
		"00:01.0 Bad bytes\n"
		"00: 86 80 zz 10 06 04 10 00 00 00 00 02 10 00 00 00\n"
		"00:02.0 Fine\n"
		"00: 86 80 d3 10 06 04 10 00 00 00 00 02 10 00 00 00\n"
		"00:03.0 Out of order\n"
		"10: 86 80 d3 10 06 04 10 00 00 00 00 02 10 00 00 00\n"
		"garbage line here\n"
		"00:04.0 Annotation without value\n"
		"#@ driver\n"
		"00: 86 80 d3 10\n";
	struct test_log log;
	struct seen s = { 0 };
	char *path, expect[256];
	struct kd_ctx *ctx = test_dump_ctx(text, &log, &path);

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(kd_dump_parse(ctx, path, record, &s), 4);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.addr[0].dev, 2);
	snprintf(expect, sizeof(expect), "%s:2: malformed byte at column 11",
		 path);
	assert_non_null(strstr(log.text, expect));
	snprintf(expect, sizeof(expect), "%s:6: offset 10 out of sequence",
		 path);
	assert_non_null(strstr(log.text, expect));
	snprintf(expect, sizeof(expect), "%s:7: unrecognised line", path);
	assert_non_null(strstr(log.text, expect));
	snprintf(expect, sizeof(expect), "%s:9: annotation is not KEY=VALUE",
		 path);
	assert_non_null(strstr(log.text, expect));
	kd_ctx_unref(ctx);
	test_remove(path);
}

static void dump_missing_file_is_an_error(void **state)
{
	struct kd_ctx_options opts = { .dump_path = "/nonexistent/x.dump" };
	struct kd_ctx *ctx = NULL;

	(void)state;
	opts.log_priority = KD_LOG_ERR - 1; /* silence */
	assert_int_equal(kd_ctx_new(&opts, &ctx), -ENOENT);
	assert_null(ctx);
}

static void dump_device_reads_and_refuses_writes(void **state)
{
	struct test_log log;
	struct kd_dev *dev;
	struct kd_addr a = { .bus = 3 };
	char *path, drv[32];
	bool builtin = true;
	struct kd_ctx *ctx = test_dump_ctx(good_dump, &log, &path);

	(void)state;
	assert_int_equal(kd_dev_open(ctx, &a, &dev), 0);
	assert_int_equal(kd_dev_config_len(dev), 64);
	assert_int_equal(kd_cfg_read16(dev, 0), 0x8086);
	assert_int_equal(kd_cfg_read32(dev, 0x2c), 0xa0008086);
	assert_int_equal(kd_cfg_read8(dev, 0x40), 0xff); /* beyond: ones */
	assert_int_equal(kd_dev_driver(dev, drv, sizeof(drv), &builtin), 0);
	assert_string_equal(drv, "e1000e");
	assert_false(builtin);
	/* writes are refused before they are enabled, then by the backend */
	assert_int_equal(kd_cfg_write(dev, 4, 2, 0), -EPERM);
	assert_int_equal(kd_ctx_enable_writes(ctx, false), 0);
	assert_int_equal(kd_cfg_write(dev, 4, 2, 0), -EROFS);
	assert_int_equal(kd_cfg_read16(dev, 4), 0x0406); /* cache intact */
	assert_int_equal(kd_cfg_write(dev, 3, 2, 0), -EINVAL); /* unaligned */
	kd_dev_free(dev);
	a.bus = 9;
	assert_int_equal(kd_dev_open(ctx, &a, &dev), -ENODEV);
	kd_ctx_unref(ctx);
	test_remove(path);
}

static void dump_parent_from_bridge_bus_range(void **state)
{
	struct test_log log;
	struct kd_addr child = { .bus = 3 }, parent;
	char *path, s[KD_ADDR_STRLEN];
	struct kd_ctx *ctx = test_dump_ctx(good_dump, &log, &path);

	(void)state;
	assert_int_equal(kd_function_parent(ctx, &child, &parent), 0);
	assert_string_equal(kd_addr_format(&parent, s), "0000:00:1c.0");
	assert_int_equal(kd_function_parent(ctx, &parent, &child), -ENOENT);
	kd_ctx_unref(ctx);
	test_remove(path);
}

/* The safety rule: the test build can never enable writes on the real
 * /sys, whatever the caller asks for. */
static void real_sysfs_writes_are_compiled_out(void **state)
{
	struct kd_ctx_options opts = { .log_priority = KD_LOG_ERR - 1 };
	struct kd_ctx *ctx = NULL;

	(void)state;
	if (kd_ctx_new(&opts, &ctx) < 0)
		skip(); /* no /sys/bus/pci in this sandbox */
	assert_int_equal(kd_ctx_enable_writes(ctx, true), -EPERM);
	assert_false(kd_ctx_writes_enabled(ctx));
	kd_ctx_unref(ctx);
}

/* The first PCI function of the real /sys into name, or false */
static bool first_real_function(char *name, size_t len)
{
	DIR *d = opendir(KD_SYSFS_PCI "/devices");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d)))
		if (e->d_name[0] != '.')
			found = snprintf(name, len, "%s", e->d_name) > 0;
	if (d)
		closedir(d);
	return found;
}

/* Below the real /sys opens take one step (RESOLVE_NO_XDEV: nothing but
 * sysfs can be met): a write is refused before any open, a directory by
 * its type, and what lies on another mount below /sys still opens
 * through the general path.  Read-only: nothing here is ever written. */
static void real_sysfs_opens_in_one_step(void **state)
{
	struct kd_ctx_options opts = { .log_priority = KD_LOG_ERR - 1 };
	struct kd_ctx *ctx = NULL;
	char fn[64], path[128];
	struct stat st;
	int fd;

	(void)state;
	if (kd_ctx_new(&opts, &ctx) < 0 ||
	    !first_real_function(fn, sizeof(fn))) {
		kd_ctx_unref(ctx);
		skip(); /* no /sys/bus/pci in this sandbox */
	}
	snprintf(path, sizeof(path), KD_SYSFS_PCI "/devices/%s/config", fn);
	fd = kd_open_tree(ctx, path, O_RDONLY, KD_OPEN_REG);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(kd_open_tree(ctx, path, O_WRONLY, KD_OPEN_REG),
			 -EPERM);
	snprintf(path, sizeof(path), KD_SYSFS_PCI "/devices/%s", fn);
	assert_int_equal(kd_open_tree(ctx, path, O_RDONLY, KD_OPEN_REG),
			 -EISDIR);
	/* cgroup2 is usually mounted on /sys/fs/cgroup: not sysfs */
	if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) {
		fd = kd_open_tree(ctx, "/sys/fs/cgroup/cgroup.controllers",
				  O_RDONLY, KD_OPEN_REG);
		assert_true(fd >= 0);
		close(fd);
	}
	kd_ctx_unref(ctx);
}

/* A regular file whose read the kernel answers with EINVAL (sysfs
 * "carrier" of a link that is down; here /proc/self/attr/current without
 * an LSM) is not a file the access layer refused: the campaign's health
 * check looks again at such a file, and fails at once on a refusal (the
 * lab's e1000e health failed on "carrier: refused" before this). */
static void read_error_is_not_a_refusal(void **state)
{
	struct kd_ctx_options opts = { .log_priority = KD_LOG_ERR - 1 };
	const char *path = "/proc/self/attr/current";
	struct kd_ctx *ctx = NULL;
	char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf));
	int err = errno;

	(void)state;
	if (fd >= 0)
		close(fd);
	if (fd < 0 || n >= 0 || err != EINVAL)
		skip(); /* an LSM answers it here: no EINVAL to read */
	if (kd_ctx_new(&opts, &ctx) < 0)
		skip(); /* no /sys/bus/pci in this sandbox */
	n = kd_ctx_read_small(ctx, path, buf, sizeof(buf));
	assert_int_equal(n, -EIO);
	kd_ctx_unref(ctx);
}

static void sysroot_must_exist(void **state)
{
	struct kd_ctx_options opts = { .sysroot = "/nonexistent-kdsafe",
				       .log_priority = KD_LOG_ERR - 1 };
	struct kd_ctx *ctx = NULL;

	(void)state;
	assert_int_equal(kd_ctx_new(&opts, &ctx), -ENOENT);
	opts.sysroot = "/tmp"; /* exists, but has no sys/bus/pci */
	assert_int_equal(kd_ctx_new(&opts, &ctx), -ENOENT);
}

static int count_fn(const struct kd_addr *a, void *data)
{
	(void)a;
	(*(int *)data)++;
	return 0;
}

static void empty_dump_enumerates_nothing(void **state)
{
	struct test_log log;
	char *path;
	int n = 0, bad = 0;
	struct kd_ctx *ctx = test_dump_ctx("# nothing here\n", &log, &path);

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(kd_enumerate(ctx, count_fn, &n, &bad), 0);
	assert_int_equal(n, 0);
	assert_int_equal(bad, 0);
	kd_ctx_unref(ctx);
	test_remove(path);
}

/* getline() failing for want of memory is not the end of the dump */
static int getline_calls;
static ssize_t getline_enomem_at_3(char **line, size_t *cap, FILE *f)
{
	if (++getline_calls == 3) {
		errno = ENOMEM;
		return -1;
	}
	return getline(line, cap, f);
}

static void dump_line_oom_is_an_error(void **state)
{
	struct test_log log;
	struct seen s = { 0 };
	char *path, expect[256];
	struct kd_ctx *ctx = test_dump_ctx(good_dump, &log, &path);

	(void)state;
	assert_non_null(ctx);
	getline_calls = 0;
	kd_dump_getline = getline_enomem_at_3;
	assert_int_equal(kd_dump_parse(ctx, path, record, &s), -ENOMEM);
	kd_dump_getline = getline;
	snprintf(expect, sizeof(expect), "%s:3: Cannot allocate memory", path);
	assert_non_null(strstr(log.text, expect));
	kd_ctx_unref(ctx);
	test_remove(path);
}

/* A capability whose next pointer is itself: every walk ends. */
static void self_linked_capabilities_end(void **state)
{
	uint8_t cfg[KD_CFG_SPACE_EXP_SIZE] = { 0x86, 0x80, 0xd3, 0x10 };
	struct test_log log;
	struct kd_addr a = { .bus = 1 };
	struct kd_dev *dev;
	char *text, *path;
	struct kd_ctx *ctx;

	(void)state;
	cfg[0x06] = 0x10;                 /* Status: capabilities list */
	cfg[0x34] = 0x40;
	cfg[0x40] = 0x01, cfg[0x41] = 0x40; /* PM, next: itself */
	cfg[0x100] = 0x01, cfg[0x102] = 0x01, cfg[0x103] = 0x10; /* AER@0x100 */
	text = test_dump_text("01:00.0 self-linked", cfg, sizeof(cfg));
	ctx = test_dump_ctx(text, &log, &path);
	assert_non_null(ctx);
	assert_int_equal(kd_dev_open(ctx, &a, &dev), 0);
	alarm(10); /* an unbounded walk dies here instead of hanging */
	assert_int_equal(kd_cap_find(dev, 0x01), 0x40);
	assert_int_equal(kd_cap_find(dev, 0x05), 0);
	assert_int_equal(kd_cap_find_next(dev, 0x01, 0x40), 0);
	assert_int_equal(kd_ecap_find(dev, 0x0001), 0x100);
	assert_int_equal(kd_ecap_find(dev, 0x0010), 0);
	alarm(0);
	kd_dev_free(dev);
	kd_ctx_unref(ctx);
	test_remove(path);
	free(text);
}

/* A one-function tree under a fresh directory: ROOT/sys/bus/pci/devices/
 * 0000:00:00.0 is a real directory with a 256-byte config. */
static char *tiny_tree(void)
{
	char tmpl[] = "/tmp/kdsafe-tree.XXXXXX", p[512];
	uint8_t cfg[256] = { 0x86, 0x80, 0xd3, 0x10 };
	char *root = strdup(mkdtemp(tmpl));
	FILE *f;

	snprintf(p, sizeof(p), "mkdir -p %s/sys/bus/pci/devices/0000:00:00.0",
		 root);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:00:00.0/config",
		 root);
	f = fopen(p, "w");
	assert_non_null(f);
	fwrite(cfg, 1, sizeof(cfg), f);
	fclose(f);
	return root;
}

static void rm_tree(char *root)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
	free(root);
}

static struct kd_ctx *tree_ctx(const char *root, struct test_log *log)
{
	struct kd_ctx_options opts = { .sysroot = root,
				       .log_priority = KD_LOG_ERR - 1 };
	struct kd_ctx *ctx = NULL;

	assert_int_equal(kd_ctx_new(&opts, &ctx), 0);
	test_log_attach(ctx, log);
	kd_ctx_set_log_priority(ctx, KD_LOG_WARNING);
	return ctx;
}

static void fifo_resource_is_refused_without_blocking(void **state)
{
	struct kd_addr a = { 0 };
	struct test_log log;
	struct kd_dev *dev;
	char *root = tiny_tree(), p[600];
	struct kd_ctx *ctx;
	uint64_t v;

	(void)state;
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:00:00.0/resource0",
		 root);
	assert_int_equal(mkfifo(p, 0600), 0);
	ctx = tree_ctx(root, &log);
	assert_int_equal(kd_dev_open(ctx, &a, &dev), 0);
	alarm(10);
	assert_int_equal(kd_bar_read(dev, 0, 0, 4, &v), -EINVAL);
	alarm(0);
	assert_non_null(strstr(log.text, "0000:00:00.0/resource0: refusing it: "
				"a FIFO, not a regular file"));
	kd_dev_free(dev);
	kd_ctx_unref(ctx);
	rm_tree(root);
}

/* Config space is read through one bounded open per function, kept for
 * later reads (each open is an openat2, an fstat and a second open): a
 * refresh and a live read after the path went away still read the same
 * file; a function never opened is not found. */
static void config_is_opened_once_per_function(void **state)
{
	struct kd_addr a = { 0 }, b = { .dev = 1 };
	struct test_log log;
	struct kd_dev *dev, *other;
	char *root = tiny_tree(), p[600], q[620];
	struct kd_ctx *ctx;
	uint32_t v = 0;

	(void)state;
	ctx = tree_ctx(root, &log);
	assert_int_equal(kd_dev_open(ctx, &a, &dev), 0);
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:00:00.0/config",
		 root);
	snprintf(q, sizeof(q), "%s.moved", p);
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(kd_dev_refresh(dev), 0);
	assert_int_equal(kd_cfg_read16(dev, 0), 0x8086);
	assert_int_equal(kd_cfg_read_live(dev, 2, 2, &v), 0);
	assert_int_equal(v, 0x10d3);
	assert_int_equal(kd_dev_open(ctx, &b, &other), -ENODEV);
	kd_dev_free(dev);
	kd_ctx_unref(ctx);
	rm_tree(root);
}

/* A function's config space is opened for writing once, on the first
 * write, and kept (a reset writes it again and again): a second write
 * still reaches the file the first one opened, though its path went away. */
static void config_opened_once_for_writing(void **state)
{
	struct kd_addr a = { 0 };
	struct test_log log;
	struct kd_dev *dev;
	char *root = tiny_tree(), p[600], q[620];
	uint8_t cfg[8];
	struct kd_ctx *ctx;
	FILE *f;

	(void)state;
	ctx = tree_ctx(root, &log);
	assert_int_equal(kd_ctx_enable_writes(ctx, false), 0);
	assert_int_equal(kd_dev_open(ctx, &a, &dev), 0);
	assert_int_equal(kd_cfg_write(dev, PCI_COMMAND, 2, 0x0002), 0);
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:00:00.0/config",
		 root);
	snprintf(q, sizeof(q), "%s.moved", p);
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(kd_cfg_write(dev, PCI_STATUS, 2, 0x0010), 0);
	f = fopen(q, "r");
	assert_non_null(f);
	assert_int_equal(fread(cfg, 1, sizeof(cfg), f), sizeof(cfg));
	fclose(f);
	assert_int_equal(cfg[PCI_COMMAND], 0x02);
	assert_int_equal(cfg[PCI_STATUS], 0x10);
	kd_dev_free(dev);
	kd_ctx_unref(ctx);
	rm_tree(root);
}

/* kd_dev_refresh_stale() reads again once anything was written through
 * the context, by any handle; with nothing written it keeps what the
 * handle read. */
static void refresh_stale_rereads_after_any_write(void **state)
{
	struct kd_addr a = { 0 };
	struct test_log log;
	struct kd_dev *reader, *writer;
	char *root = tiny_tree();
	struct kd_ctx *ctx;

	(void)state;
	ctx = tree_ctx(root, &log);
	assert_int_equal(kd_ctx_enable_writes(ctx, false), 0);
	assert_int_equal(kd_dev_open(ctx, &a, &reader), 0);
	assert_int_equal(kd_dev_open(ctx, &a, &writer), 0);
	assert_int_equal(kd_dev_refresh_stale(reader), 0);
	assert_int_equal(kd_cfg_read16(reader, PCI_COMMAND), 0);
	assert_int_equal(kd_cfg_write(writer, PCI_COMMAND, 2, 0x0006), 0);
	assert_int_equal(kd_cfg_read16(reader, PCI_COMMAND), 0);
	assert_int_equal(kd_dev_refresh_stale(reader), 0);
	assert_int_equal(kd_cfg_read16(reader, PCI_COMMAND), 0x0006);
	kd_dev_free(reader);
	kd_dev_free(writer);
	kd_ctx_unref(ctx);
	rm_tree(root);
}

/* SYSROOT's 0000:00:00.0 config as 4096 bytes: ext at 100h, v at 200h */
static void write_config4k(const char *root, uint32_t ext, uint32_t v,
			   uint16_t cmd)
{
	uint8_t cfg[4096] = { 0x86, 0x80, 0xd3, 0x10 };
	char p[600];
	FILE *f;

	cfg[PCI_COMMAND] = (uint8_t)cmd;
	cfg[PCI_COMMAND + 1] = (uint8_t)(cmd >> 8);
	for (int i = 0; i < 4; i++) {
		cfg[0x100 + i] = (uint8_t)(ext >> (8 * i));
		cfg[0x200 + i] = (uint8_t)(v >> (8 * i));
	}
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:00:00.0/config",
		 root);
	f = fopen(p, "r+");
	if (!f)
		f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(cfg, 1, sizeof(cfg), f), sizeof(cfg));
	fclose(f);
}

/* An open reads the header and the dword at 100h; the rest when asked
 * (the file changed in between: the new bytes), the size known at once,
 * with an extended capability (its header at 100h) or without (0, PCIe
 * r5.0 §7.6.3).  A write through the context before the rest is read:
 * all of it again, the bytes of one moment. */
static void config_past_header_read_on_demand(void **state)
{
	struct kd_addr a = { 0 };
	struct test_log log;
	struct kd_dev *dev;
	char *root = tiny_tree();
	struct kd_ctx *ctx;

	(void)state;
	write_config4k(root, 0, 0x11111111, 0);
	ctx = tree_ctx(root, &log);
	assert_int_equal(kd_dev_open(ctx, &a, &dev), 0);
	assert_int_equal(kd_dev_config_len(dev), 4096);
	write_config4k(root, 0, 0x22222222, 0);
	assert_int_equal(kd_cfg_read32(dev, 0x200), 0x22222222);
	kd_dev_free(dev);
	/* an extended capability: the same (a bridge's is never read when
	 * reset --all chooses) */
	write_config4k(root, 0x00010001, 0x33333333, 0);
	assert_int_equal(kd_dev_open(ctx, &a, &dev), 0);
	assert_int_equal(kd_dev_config_len(dev), 4096);
	write_config4k(root, 0x00010001, 0x44444444, 0);
	assert_int_equal(kd_cfg_read32(dev, 0x100), 0x00010001);
	assert_int_equal(kd_cfg_read32(dev, 0x200), 0x44444444);
	kd_dev_free(dev);
	/* a write since the open: the header is read again with the rest */
	write_config4k(root, 0, 0x55555555, 0);
	assert_int_equal(kd_ctx_enable_writes(ctx, false), 0);
	assert_int_equal(kd_dev_open(ctx, &a, &dev), 0);
	assert_int_equal(kd_cfg_read16(dev, PCI_COMMAND), 0);
	kd_ctx_note_write(ctx);
	write_config4k(root, 0, 0x66666666, 0x0006);
	assert_int_equal(kd_cfg_read32(dev, 0x200), 0x66666666);
	assert_int_equal(kd_cfg_read16(dev, PCI_COMMAND), 0x0006);
	kd_dev_free(dev);
	kd_ctx_unref(ctx);
	rm_tree(root);
}

/* Without openat2 the realpath check refuses the same escapes. */
static void escaping_link_refused_without_openat2(void **state)
{
	struct kd_addr a = { 0 }, b = { .dev = 1 };
	struct test_log log;
	struct kd_dev *dev;
	char *root = tiny_tree(), *other = tiny_tree(), p[600], t[600];
	struct kd_ctx *ctx;

	(void)state;
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:00:01.0", root);
	snprintf(t, sizeof(t), "../../../../../%s/sys/bus/pci/devices/"
		 "0000:00:00.0", strrchr(other, '/') + 1);
	assert_int_equal(symlink(t, p), 0);
	ctx = tree_ctx(root, &log);
	for (int pass = 0; pass < 2; pass++) {
		kd_open_no_openat2 = pass == 1;
		log.text[0] = '\0';
		assert_int_equal(kd_dev_open(ctx, &a, &dev), 0);
		kd_dev_free(dev);
		assert_int_equal(kd_dev_open(ctx, &b, &dev), -EXDEV);
		assert_non_null(strstr(log.text, "0000:00:01.0/config: refusing "
					"it: resolves outside the sysroot"));
	}
	kd_open_no_openat2 = false;
	kd_ctx_unref(ctx);
	rm_tree(root);
	rm_tree(other);
}

/* openat2(RESOLVE_BENEATH) answers EAGAIN when a rename anywhere on the
 * machine races a ".." of the lookup (the device links are "../../..."):
 * a retry, not a failure to open the device */
static void openat2_eagain_is_retried(void **state)
{
	struct kd_addr a = { 0 };
	struct test_log log;
	struct kd_dev *dev;
	char *root = tiny_tree();
	struct kd_ctx *ctx;

	(void)state;
	ctx = tree_ctx(root, &log);
	kd_open_eagain = 3;
	assert_int_equal(kd_dev_open(ctx, &a, &dev), 0);
	kd_dev_free(dev);
	kd_open_eagain = 0;
	kd_ctx_unref(ctx);
	rm_tree(root);
}

/* A tree whose sys is a link to /sys is the real /sys: no writes. */
static void sys_link_to_real_sys_is_real(void **state)
{
	char tmpl[] = "/tmp/kdsafe-tree.XXXXXX", p[600];
	struct kd_ctx_options opts = { .log_priority = KD_LOG_ERR - 1 };
	struct kd_ctx *ctx = NULL;
	char *root;

	(void)state;
	if (access("/sys/bus/pci/devices", F_OK) < 0)
		skip();
	root = strdup(mkdtemp(tmpl));
	snprintf(p, sizeof(p), "%s/sys", root);
	assert_int_equal(symlink("/sys", p), 0);
	opts.sysroot = root;
	assert_int_equal(kd_ctx_new(&opts, &ctx), 0);
	assert_int_equal(kd_ctx_enable_writes(ctx, false), -EPERM);
	assert_int_equal(kd_ctx_enable_writes(ctx, true), -EPERM);
	assert_false(kd_ctx_writes_enabled(ctx));
	kd_ctx_unref(ctx);
	rm_tree(root);
}

/* SYSROOT/dev/kmsg as a regular file, and a context without devices
 * logging into log: the writer's tree */
static struct kd_ctx *kmsg_tree(char **root, struct test_log *log,
				char *kmsg, size_t len)
{
	char tmpl[] = "/tmp/kdsafe-tree.XXXXXX", p[600];
	struct kd_ctx_options opts = { .log_priority = KD_LOG_ERR - 1,
				       .no_devices = true };
	struct kd_ctx *ctx = NULL;
	FILE *f;

	*root = strdup(mkdtemp(tmpl));
	snprintf(p, sizeof(p), "%s/dev", *root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(kmsg, len, "%s/dev/kmsg", *root);
	f = fopen(kmsg, "w");
	assert_non_null(f);
	fclose(f);
	opts.sysroot = *root;
	assert_int_equal(kd_ctx_new(&opts, &ctx), 0);
	test_log_attach(ctx, log);
	kd_ctx_set_log_priority(ctx, KD_LOG_WARNING);
	return ctx;
}

/* devkmsg_write() answers EINVAL to a write over LOG_LINE_MAX (992
 * bytes): a longer line is cut to that, its newline kept, and the writer
 * stays open for the next lines (it used to be closed: every later line,
 * the hook's last included, missed the console) */
static void kmsg_long_line_is_cut_to_the_kernel_limit(void **state)
{
	char kmsg[600], line[1100], got[4096];
	struct kd_kmsg k = KD_KMSG_INIT;
	struct test_log log;
	struct kd_ctx *ctx;
	char *root;
	FILE *f;
	size_t n;

	(void)state;
	ctx = kmsg_tree(&root, &log, kmsg, sizeof(kmsg));
	assert_int_equal(kd_kmsg_open(&k, ctx), 0);
	memset(line, 'x', sizeof(line));
	memcpy(line, "<3>kdsafe: ", 11);
	line[sizeof(line) - 1] = '\n';
	assert_int_equal(kd_kmsg_write(&k, line, sizeof(line)), 0);
	assert_true(kd_kmsg_is_open(&k));
	assert_int_equal(kd_kmsg_write(&k, "<5>kdsafe: next\n", 16), 0);
	kd_kmsg_close(&k);
	f = fopen(kmsg, "r");
	assert_non_null(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	fclose(f);
	got[n] = '\0';
	assert_int_equal(n, KD_KMSG_LINE_MAX + 16);
	assert_int_equal(got[KD_KMSG_LINE_MAX - 1], '\n');
	assert_string_equal(got + KD_KMSG_LINE_MAX, "<5>kdsafe: next\n");
	kd_ctx_unref(ctx);
	rm_tree(root);
}

/* A reopen refused (the kmsg turned into a FIFO after the first open) is
 * reported once; the lines go on through the open file (they used to
 * try again, and log the refusal again, on every line) */
static void kmsg_refused_reopen_is_reported_once(void **state)
{
	char kmsg[600], line[64];
	struct kd_kmsg k = KD_KMSG_INIT;
	struct test_log log;
	struct kd_ctx *ctx;
	char *root;
	int old;

	(void)state;
	ctx = kmsg_tree(&root, &log, kmsg, sizeof(kmsg));
	assert_int_equal(kd_kmsg_open(&k, ctx), 0);
	old = open(kmsg, O_RDONLY);
	assert_true(old >= 0);
	assert_int_equal(unlink(kmsg), 0);
	assert_int_equal(mkfifo(kmsg, 0600), 0);
	for (unsigned i = 0; i < 3 * KD_KMSG_BURST; i++) {
		int len = snprintf(line, sizeof(line), "<5>kdsafe: line %u\n", i);

		assert_int_equal(kd_kmsg_write(&k, line, (size_t)len), 0);
	}
	assert_int_equal(k.opens, 1);
	assert_int_equal(log.errors, 1);
	assert_non_null(strstr(log.text, "a FIFO"));
	/* every line went through the first open file */
	assert_int_equal(lseek(old, 0, SEEK_END),
			 10 * 18 + 20 * 19);
	close(old);
	kd_kmsg_close(&k);
	kd_ctx_unref(ctx);
	rm_tree(root);
}

/* Every line reaches /dev/kmsg: the writer opens it again before the
 * kernel's per-open rate limit (devkmsg_open(), devkmsg_write(): 10 lines
 * per 5 s) would drop one; a regular file shows the lines and the count */
static void kmsg_reopens_before_the_burst(void **state)
{
	char tmpl[] = "/tmp/kdsafe-tree.XXXXXX", p[600], line[64], got[4096];
	struct kd_ctx_options opts = { .log_priority = KD_LOG_ERR - 1 };
	struct kd_kmsg k = KD_KMSG_INIT;
	struct kd_ctx *ctx = NULL;
	char *root;
	FILE *f;
	size_t n;

	(void)state;
	root = strdup(mkdtemp(tmpl));
	snprintf(p, sizeof(p), "%s/dev", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/dev/kmsg", root);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	opts.sysroot = root;
	opts.no_devices = true;
	assert_int_equal(kd_ctx_new(&opts, &ctx), 0);
	assert_int_equal(kd_kmsg_open(&k, ctx), 0);
	kd_ctx_unref(ctx); /* the writer keeps its own reference */
	for (unsigned i = 0; i < 25; i++) {
		int len = snprintf(line, sizeof(line), "<5>kdsafe: line %u\n", i);

		assert_int_equal(kd_kmsg_write(&k, line, (size_t)len), 0);
		/* never more than the burst through one open */
		assert_true(k.lines <= KD_KMSG_BURST);
	}
	/* 10 + 10 + 5 lines: three opens */
	assert_int_equal(k.opens, 3);
	kd_kmsg_close(&k);
	assert_false(kd_kmsg_is_open(&k));
	assert_int_equal(kd_kmsg_write(&k, "x\n", 2), -EBADF);
	f = fopen(p, "r");
	assert_non_null(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	fclose(f);
	got[n] = '\0';
	for (unsigned i = 0; i < 25; i++) {
		snprintf(line, sizeof(line), "<5>kdsafe: line %u\n", i);
		assert_non_null(strstr(got, line));
	}
	assert_int_equal(n, strlen("<5>kdsafe: line 0\n") * 10 +
			    strlen("<5>kdsafe: line 10\n") * 15);
	rm_tree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addr_parse_forms),
		cmocka_unit_test(addr_parse_rejects),
		cmocka_unit_test(filter_slot_and_id),
		cmocka_unit_test(dump_parses_devices_and_annotations),
		cmocka_unit_test(dump_bad_lines_name_file_and_line),
		cmocka_unit_test(dump_missing_file_is_an_error),
		cmocka_unit_test(dump_device_reads_and_refuses_writes),
		cmocka_unit_test(dump_parent_from_bridge_bus_range),
		cmocka_unit_test(real_sysfs_writes_are_compiled_out),
		cmocka_unit_test(real_sysfs_opens_in_one_step),
		cmocka_unit_test(sysroot_must_exist),
		cmocka_unit_test(empty_dump_enumerates_nothing),
		cmocka_unit_test(dump_line_oom_is_an_error),
		cmocka_unit_test(self_linked_capabilities_end),
		cmocka_unit_test(fifo_resource_is_refused_without_blocking),
		cmocka_unit_test(escaping_link_refused_without_openat2),
		cmocka_unit_test(config_is_opened_once_per_function),
		cmocka_unit_test(refresh_stale_rereads_after_any_write),
		cmocka_unit_test(config_past_header_read_on_demand),
		cmocka_unit_test(config_opened_once_for_writing),
		cmocka_unit_test(sys_link_to_real_sys_is_real),
		cmocka_unit_test(openat2_eagain_is_retried),
		cmocka_unit_test(kmsg_reopens_before_the_burst),
		cmocka_unit_test(kmsg_long_line_is_cut_to_the_kernel_limit),
		cmocka_unit_test(kmsg_refused_reopen_is_reported_once),
		cmocka_unit_test(read_error_is_not_a_refusal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
