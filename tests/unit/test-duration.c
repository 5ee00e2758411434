// SPDX-License-Identifier: GPL-2.0-or-later
/* The one duration parser (access/duration.c), shared by reset --timeout
 * and the quirk files: what it accepts, and the message for what not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "access/duration.h"

static const char *parse(const char *s, uint64_t bare, uint64_t *ns)
{
	return kd_duration_parse(s, strlen(s), bare, ns);
}

static void test_accepted(void **state)
{
	static const struct { const char *s; uint64_t bare, ns; } ok[] = {
		{ "250ms", 0, 250000000 }, { "1s", 0, 1000000000 },
		{ "1.5s", 0, 1500000000 }, { "100us", 0, 100000 },
		{ "7ns", 0, 7 }, { "0", 0, 0 }, { "0.25ms", 0, 250000 },
		{ "60", KD_NS_PER_S, 60 * KD_NS_PER_S },
		{ "600s", 0, KD_DURATION_MAX_NS },
		{ "600000ms", 0, KD_DURATION_MAX_NS },
		{ "0.000000001s", 0, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t ns = 12345;

		assert_null(parse(ok[i].s, ok[i].bare, &ns));
		assert_int_equal(ns, ok[i].ns);
	}
}

static void test_refused(void **state)
{
	static const struct { const char *s, *msg; } bad[] = {
		{ "", "empty duration" },
		{ "nan", "expected a duration such as 250ms" },
		{ "NaN", "expected a duration such as 250ms" },
		{ "inf", "expected a duration such as 250ms" },
		{ "infinity", "expected a duration such as 250ms" },
		{ "+1s", "expected a duration such as 250ms" },
		{ " 1s", "expected a duration such as 250ms" },
		{ "-1", "must not be negative" },
		{ "-0s", "must not be negative" },
		{ "1e400", "no exponents" },
		{ "1e3ms", "no exponents" },
		{ "0x10s", "unknown duration unit" },
		{ "5h", "unknown duration unit" },
		{ "5 s", "unknown duration unit" },
		{ "5sec", "unknown duration unit" },
		{ "1s junk", "unknown duration unit" },
		{ "601s", "at most 600s" },
		{ "600.000000001s", "at most 600s" },
		{ "99999999999999999999999999s", "at most 600s" },
		{ "18446744073709551617ns", "at most 600s" },
		{ ".5s", "digit before the '.'" },
		{ "1.s", "digit after the '.'" },
		{ "1.5ns", "finer than a nanosecond" },
		{ "1.0000000001s", "more than 9 digits" },
		{ "5", "needs a unit" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t ns = 12345;
		const char *e = parse(bad[i].s, 0, &ns);

		if (!e || !strstr(e, bad[i].msg))
			fail_msg("'%s': got '%s', want '%s'", bad[i].s,
				 e ? e : "(accepted)", bad[i].msg);
		assert_int_equal(ns, 12345);
	}
	/* a bare number is only a count of seconds where the caller says */
	{
		uint64_t ns;

		assert_non_null(parse("nan", KD_NS_PER_S, &ns));
		assert_non_null(parse("inf", KD_NS_PER_S, &ns));
		assert_non_null(parse("601", KD_NS_PER_S, &ns));
	}
}

/* len bounds the text: what follows is not looked at */
static void test_length_bounds(void **state)
{
	uint64_t ns = 0;

	(void)state;
	assert_null(kd_duration_parse("20msXYZ", 4, 0, &ns));
	assert_int_equal(ns, 20000000);
	assert_non_null(kd_duration_parse("20ms", 3, 0, &ns));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_length_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
