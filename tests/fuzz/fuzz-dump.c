// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness over an lspci dump (docs/fixture-format.md), three
 * targets from one file, chosen by KD_FUZZ_STAGE:
 *
 *   1 (fuzz-dump)   the dump backend: parse, enumerate, open every function,
 *                   read its config, attributes, links, parent and driver;
 *   2 (fuzz-probe)  and kd_prober_new + kd_probe of every function;
 *   3 (fuzz-reset)  and a dry run (kd_reset_run, dry_run) of every reset
 *                   method on every function, with the shipped quirks.d as
 *                   the policy.
 *
 * The input is written to a memfd and read back through /proc/self/fd/N,
 * the path the dump backend opens.  Built and run by "make fuzz" (mk/fuzz.mk,
 * clang, -fsanitize=fuzzer,address,undefined); seeds are the devices of
 * the fixture dumps (tests/fuzz/seed-dumps.py), regressions go to
 * tests/fuzz/dump-regress and are replayed through stage 3 by
 * tests/unit/test-dump-fuzz.c in make check.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "access/access.h"
#include "probe/probe.h"
#include "quirks/quirks.h"
#include "reset/reset.h"

#ifndef KD_FUZZ_STAGE
#define KD_FUZZ_STAGE 3
#endif
#ifndef KD_FUZZ_QUIRKS_DIR
#define KD_FUZZ_QUIRKS_DIR "quirks.d"
#endif

/* every message is formatted, so a bad argument to a log call shows */
static void fuzz_log(void *data, int prio, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	char buf[1024];

	(void)data, (void)prio, (void)file, (void)line, (void)fn;
	vsnprintf(buf, sizeof(buf), format, args);
}

/* a dry run waits for nothing; a clock that never sleeps keeps a wrongly
 * taken wait from stalling the fuzzer while still ending every poll */
static uint64_t fake_now;
static uint64_t fuzz_now_ns(void *data)
{
	(void)data;
	return fake_now += 1000;
}

static void fuzz_sleep_ns(void *data, uint64_t ns)
{
	(void)data;
	fake_now += ns;
}

static int fuzz_memfd = -1;
/* how far the inputs reached: functions opened, probed, results planned */
static size_t fuzz_opened, fuzz_probed, fuzz_planned;

/* The input as a file the dump backend can open by name. */
static int fuzz_write_input(const uint8_t *data, size_t size, char *path,
			    size_t len)
{
	if (fuzz_memfd < 0) {
		fuzz_memfd = memfd_create("kdsafe-fuzz.dump", MFD_CLOEXEC);
		if (fuzz_memfd < 0)
			abort();
	}
	if (ftruncate(fuzz_memfd, 0) < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t n = pwrite(fuzz_memfd, data + off, size - off,
				   (off_t)off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	snprintf(path, len, "/proc/self/fd/%d", fuzz_memfd);
	return 0;
}

static void access_every_function(struct kd_ctx *ctx, const struct kd_addr *a)
{
	static const char *const attrs[] = { "reset_method", "driver",
					     "physfn", "vendor", "device",
					     "parent", "slot", "nosuch" };
	struct kd_addr parent;
	char buf[256];
	struct kd_dev *dev;
	bool builtin;
	uint32_t v;

	kd_function_parent(ctx, a, &parent);
	if (kd_dev_open(ctx, a, &dev) < 0)
		return;
	fuzz_opened++;
	(void)kd_dev_name(dev);
	for (unsigned pos = 0; pos < kd_dev_config_len(dev) + 8; pos += 4)
		v = kd_cfg_read32(dev, pos) ^ kd_cfg_read16(dev, pos + 2) ^
		    kd_cfg_read8(dev, pos + 3);
	kd_cfg_read_live(dev, 0, 4, &v);
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		kd_dev_attr_read(dev, attrs[i], buf, sizeof(buf));
		kd_dev_link_read(dev, attrs[i], buf, sizeof(buf));
	}
	kd_dev_attr_read(dev, "reset_method", buf, 2);
	kd_dev_driver(dev, buf, sizeof(buf), &builtin);
	kd_dev_driver(dev, buf, 3, &builtin);
	kd_dev_parent(dev, &parent);
	/* read-only backend: refused, never written */
	if (kd_cfg_write(dev, 4, 2, 0) == 0 ||
	    kd_dev_attr_write(dev, "reset", "1") == 0)
		abort();
	kd_dev_free(dev);
}

struct fuzz_list {
	struct kd_addr *v;
	size_t n, cap;
};

static int collect(const struct kd_addr *a, void *data)
{
	struct fuzz_list *l = data;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct kd_addr *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *a;
	return 0;
}

#if KD_FUZZ_STAGE >= 2
static void probe_every_function(struct kd_ctx *ctx,
				 const struct fuzz_list *l)
{
	struct kd_prober *p;

	if (kd_prober_new(ctx, &p) < 0)
		return;
	kd_prober_set_modules(p, false);
	for (size_t i = 0; i < kd_prober_count(p); i++) {
		struct kd_probe_info in = { 0 };
		struct kd_dev *dev;

		if (kd_dev_open(ctx, kd_prober_addr(p, i), &dev) < 0)
			continue;
		kd_probe(p, dev, &in);
		fuzz_probed++;
		(void)kd_probe_reset_candidate(&in);
		(void)kd_probe_kernel_owned(&in);
		(void)kd_link_speed_name(in.link_speed);
		for (unsigned b = 0; b < KD_REASON_COUNT; b++)
			if (in.reasons & (1u << b))
				(void)kd_reason_text(1u << b);
		kd_probe_info_clear(&in);
		kd_dev_free(dev);
	}
	(void)l;
	kd_prober_free(p);
}
#endif

#if KD_FUZZ_STAGE >= 3
/* The shipped quirk database, read once, insecure files accepted: only
 * its content matters here. */
static struct kd_quirks *fuzz_quirks(struct kd_ctx *ctx)
{
	static struct kd_quirks *db;
	struct dirent *de;
	DIR *d;

	if (db)
		return db;
	if (kd_quirks_new(ctx, &db) < 0)
		abort();
	d = opendir(KD_FUZZ_QUIRKS_DIR);
	while (d && (de = readdir(d))) {
		char path[512], buf[65536];
		size_t n;
		FILE *f;

		if (!strstr(de->d_name, ".conf"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", KD_FUZZ_QUIRKS_DIR,
			 de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		kd_quirks_add_buffer(db, de->d_name, buf, n);
	}
	if (d)
		closedir(d);
	return db;
}

static void dry_run_every_method(struct kd_ctx *ctx, const struct fuzz_list *l)
{
	struct kd_reset_result *res;
	char line[256];

	if (!l->n)
		return;
	res = calloc(l->n, sizeof(*res));
	if (!res)
		abort();
	for (int m = KD_RM_AUTO; m < KD_RM_COUNT; m++) {
		struct kd_reset_opts o = {
			.method = (enum kd_reset_method)m, .dry_run = true,
			.jobs = 1, .force = m % 2,
			.policy_fn = kd_reset_quirk_policy,
			.policy_data = fuzz_quirks(ctx),
		};

		if (kd_reset_run(ctx, &o, l->v, l->n, res) < 0)
			abort(); /* only -ENOMEM / -EPERM: neither can happen */
		for (size_t i = 0; i < l->n; i++) {
			if (res[i].status != KD_RS_PLANNED &&
			    res[i].status != KD_RS_REFUSED &&
			    res[i].status != KD_RS_FAILED)
				abort(); /* a dry run claimed a result */
			fuzz_planned += res[i].status == KD_RS_PLANNED;
			for (size_t k = 0; k < res[i].n_ops; k++)
				kd_reset_op_format(&res[i].ops[k], line,
						   sizeof(line));
			kd_reset_result_clear(&res[i]);
			memset(&res[i], 0, sizeof(res[i]));
		}
	}
	free(res);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct kd_clock clock = { fuzz_now_ns, fuzz_sleep_ns,
					       NULL };
	struct fuzz_list l = { 0 };
	struct kd_ctx *ctx;
	char path[64];
	int bad = 0;

	fuzz_write_input(data, size, path, sizeof(path));
	struct kd_ctx_options o = {
		.dump_path = path, .log_fn = fuzz_log,
		.log_priority = KD_LOG_DEBUG, .kernel_release = "fuzz",
	};
	if (kd_ctx_new(&o, &ctx) < 0)
		return 0;
	kd_ctx_set_clock(ctx, &clock);
	if (kd_enumerate(ctx, collect, &l, &bad) == 0) {
		for (size_t i = 0; i < l.n; i++)
			access_every_function(ctx, &l.v[i]);
#if KD_FUZZ_STAGE >= 2
		probe_every_function(ctx, &l);
#endif
#if KD_FUZZ_STAGE >= 3
		dry_run_every_method(ctx, &l);
#endif
	}
	free(l.v);
	kd_ctx_unref(ctx);
	return 0;
}
