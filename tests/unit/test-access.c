// SPDX-License-Identifier: GPL-2.0-or-later
/* Access layer: addresses, filters, the dump reader, the write guard. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "access/access.h"
#include "access/dump.h"
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
		cmocka_unit_test(sysroot_must_exist),
		cmocka_unit_test(empty_dump_enumerates_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
