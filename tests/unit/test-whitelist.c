// SPDX-License-Identifier: GPL-2.0-or-later
/* The whitelist merge: every verdict, the least invasive fix, evidence
 * text, and the quirks it emits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "whitelist/whitelist.h"

static struct kd_ctx *ctx;
static struct kd_wl *wl;

static int setup(void **state)
{
	struct kd_ctx_options o = { .no_devices = true };

	(void)state;
	assert_int_equal(kd_ctx_new(&o, &ctx), 0);
	assert_int_equal(kd_wl_new(ctx, &wl), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kd_wl_free(wl);
	kd_ctx_unref(ctx);
	return 0;
}

static const struct kd_journal_device nic = {
	"0000:00:02.0", 0x8086, 0x10d3, 0x8086, 0x0000, 0x020000, "e1000e",
};

/* n outcomes of one variant on dev, as a journal would hold them */
static void outcomes(const struct kd_journal_device *dev, const char *kernel,
		     const char *variant, enum kd_outcome o, int n)
{
	struct kd_journal_cycle c = { "m", kernel, 1, 1, variant };

	for (int i = 0; i < n; i++) {
		struct kd_journal_result r = { .outcome = o, .fix_ms = -1,
					       .load_ms = -1, .health_ms = -1 };
		struct json_object *rec = kd_journal_outcome(&c, dev, &r);

		assert_null(kd_journal_validate(rec));
		assert_int_equal(kd_wl_add_record(wl, rec), 0);
		json_object_put(rec);
	}
}

static struct kd_wl_device *only(void)
{
	struct kd_wl_device *const *devs;
	size_t n;

	assert_int_equal(kd_wl_finish(wl, &devs, &n), 0);
	assert_int_equal(n, 1);
	return devs[0];
}

static const char *verdict(void)
{
	static char buf[256];

	return kd_wl_verdict_text(only(), buf, sizeof(buf));
}

static void test_safe(void **state)
{
	(void)state;
	outcomes(&nic, "6.1", "none", KD_OUTCOME_PASS, 3);
	outcomes(&nic, "6.1", "flr", KD_OUTCOME_PASS, 3);
	assert_string_equal(verdict(), "safe");
}

static void test_safe_with_least_invasive(void **state)
{
	char ev[512];

	(void)state;
	/* recorded most invasive first: the order must come from ranks */
	outcomes(&nic, "6.1", "kernel", KD_OUTCOME_PASS, 3);
	outcomes(&nic, "6.1", "bus", KD_OUTCOME_PASS, 3);
	outcomes(&nic, "6.1", "pm", KD_OUTCOME_RESET_INEFFECTIVE, 3);
	outcomes(&nic, "6.1", "flr", KD_OUTCOME_PASS, 2);
	outcomes(&nic, "6.1", "flr", KD_OUTCOME_HANG, 1);
	outcomes(&nic, "6.1", "none", KD_OUTCOME_HANG, 3);
	/* flr failed once: any failure counts against it */
	assert_string_equal(verdict(), "safe-with bus");
	assert_string_equal(kd_wl_evidence(only(), ev, sizeof(ev)),
			    "worked: bus 3/3, kernel 3/3; flaky: flr 2/3 (1 "
			    "hang); failed: none 0/3 (3 hang); no-op: pm 0/3 "
			    "(3 reset-ineffective)");
}

static void test_rank_order(void **state)
{
	static const char *const order[] = {
		"none", "quiesce", "virtio", "quirk:x", "flr", "af-flr", "pm",
		"bus", "kernel", "kernel:flr", "something-new",
	};

	(void)state;
	for (size_t i = 1; i < sizeof(order) / sizeof(order[0]); i++)
		assert_true(kd_wl_variant_rank(order[i - 1]) <
			    kd_wl_variant_rank(order[i]));
	outcomes(&nic, "6.1", "flr", KD_OUTCOME_PASS, 1);
	outcomes(&nic, "6.1", "quiesce", KD_OUTCOME_PASS, 1);
	assert_string_equal(verdict(), "safe-with quiesce");
}

static void test_unsafe(void **state)
{
	(void)state;
	outcomes(&nic, "6.1", "none", KD_OUTCOME_DIED_LOADING, 3);
	outcomes(&nic, "6.1", "bus", KD_OUTCOME_RESET_FAILED, 3);
	assert_string_equal(verdict(), "unsafe");
}

static void test_inconsistent_names_the_variant(void **state)
{
	(void)state;
	outcomes(&nic, "6.1", "none", KD_OUTCOME_PASS, 2);
	outcomes(&nic, "6.1", "none", KD_OUTCOME_FAIL, 1);
	outcomes(&nic, "6.1", "flr", KD_OUTCOME_FAIL, 3);
	outcomes(&nic, "6.1", "pm", KD_OUTCOME_FAIL, 1);
	outcomes(&nic, "6.1", "pm", KD_OUTCOME_PASS, 1);
	assert_string_equal(verdict(), "inconsistent: none, pm");
}

static void test_untested(void **state)
{
	struct kd_journal_cycle c = { "m", "6.1", 1, 1, "none" };
	struct json_object *rec = kd_journal_intent_cycle(&c, &nic, 1);

	(void)state;
	assert_int_equal(kd_wl_add_record(wl, rec), 0);
	json_object_put(rec);
	outcomes(&nic, "6.1", "none", KD_OUTCOME_NOT_REACHED, 1);
	assert_string_equal(verdict(), "untested");
}

static void test_keys_split_by_kernel_and_driver(void **state)
{
	struct kd_journal_device other = nic;
	struct kd_wl_device *const *devs;
	size_t n;

	(void)state;
	other.driver = "igb";
	outcomes(&nic, "6.1", "none", KD_OUTCOME_PASS, 1);
	outcomes(&nic, "6.6", "none", KD_OUTCOME_FAIL, 1);
	outcomes(&other, "6.1", "none", KD_OUTCOME_FAIL, 1);
	outcomes(&nic, "6.1", "none", KD_OUTCOME_PASS, 1);
	assert_int_equal(kd_wl_finish(wl, &devs, &n), 0);
	assert_int_equal(n, 3);
	/* sorted: driver e1000e before igb, kernel 6.1 before 6.6 */
	assert_string_equal(devs[0]->kernel, "6.1");
	assert_int_equal(devs[0]->cells[0].n[KD_OUTCOME_PASS], 2);
	assert_string_equal(devs[1]->kernel, "6.6");
	assert_string_equal(devs[2]->driver, "igb");
}

static void test_emitted_quirk(void **state)
{
	struct kd_wl_device *const *devs;
	unsigned entries = 0;
	char *text = NULL;
	size_t n, len;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	outcomes(&nic, "6.1", "none", KD_OUTCOME_HANG, 1);
	outcomes(&nic, "6.1", "pm", KD_OUTCOME_RESET_INEFFECTIVE, 1);
	outcomes(&nic, "6.1", "bus", KD_OUTCOME_PASS, 1);
	assert_int_equal(kd_wl_finish(wl, &devs, &n), 0);
	assert_int_equal(kd_wl_write_quirks(f, devs, n, &entries), 0);
	fclose(f);
	assert_int_equal(entries, 1);
	assert_non_null(strstr(text, "\n[8086:10d3 subsys=8086:0000]\n"
				     "name = kdsafe whitelist: safe with bus\n"
				     "methods = bus\navoid = pm\n"));
	assert_non_null(strstr(text, "# e1000e on 6.1: safe-with bus; "
				     "worked: bus 1/1; failed: none 0/1"));
	free(text);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_safe), T(test_safe_with_least_invasive),
		T(test_rank_order), T(test_unsafe),
		T(test_inconsistent_names_the_variant), T(test_untested),
		T(test_keys_split_by_kernel_and_driver),
		T(test_emitted_quirk),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
