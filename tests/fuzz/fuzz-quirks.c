// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the quirk file parser: any bytes as one quirk
 * file, then matching and describing every step of the plan.  Built and
 * run by "make fuzz" (clang, -fsanitize=fuzzer,address,undefined); the
 * seed corpus is tests/fuzz/corpus, regressions go to tests/fuzz/regress
 * and are replayed by tests/unit/test-quirks-fuzz.c in make check.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "access/backend.h"
#include "quirks/quirks.h"

static int none_init(struct kd_ctx *ctx, void *data, void **state)
{
	(void)ctx, (void)data;
	*state = NULL;
	return 0;
}

static const struct kd_backend none = { .name = "none", .init = none_init };

static void drop(void *data, int prio, const char *file, int line,
		 const char *fn, const char *format, va_list args)
{
	(void)data, (void)prio, (void)file, (void)line, (void)fn;
	(void)format, (void)args;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kd_ctx *ctx;
	static const struct kd_quirk_id ids[] = {
		{ 0x8086, 0x10ed, 0x1028, 0x1f60, 0x020000, 0x01 },
		{ 0x1002, 0x6798, 0x1002, 0x0b00, 0x030000, 0x00 },
		{ 0xffff, 0xffff, 0xffff, 0xffff, 0xffffff, 0xff },
		{ 0, 0, 0, 0, 0, 0 },
	};
	struct kd_quirks *db;
	char buf[512];

	if (!ctx) {
		struct kd_ctx_options o = { .backend = &none, .log_fn = drop };

		if (kd_ctx_new(&o, &ctx) < 0)
			abort();
	}
	if (kd_quirks_new(ctx, &db) < 0)
		return 0;
	kd_quirks_add_buffer(db, "fuzz.conf", (const char *)data, size);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct kd_quirk_plan pl;

		if (kd_quirks_match(db, &ids[i], &pl) < 0)
			continue;
		for (size_t s = 0; s < pl.pre.n; s++)
			kd_quirk_step_describe(pl.pre.v[s], NULL, buf,
					       sizeof(buf));
		for (size_t s = 0; s < pl.post.n; s++)
			kd_quirk_step_describe(pl.post.v[s], NULL, buf,
					       sizeof(buf));
		kd_quirk_plan_avoids(&pl, "kernel:flr");
		kd_quirk_plan_clear(&pl);
	}
	for (size_t i = 0; i < kd_quirks_diag_count(db); i++)
		(void)kd_quirks_diag(db, i)->msg[0];
	kd_quirks_free(db);
	return 0;
}
