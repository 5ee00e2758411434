// SPDX-License-Identifier: GPL-2.0-or-later
/* Replays the fixture dumps and every saved dump-fuzz regression through
 * the libFuzzer harness at its deepest stage (parse, probe, a dry run of
 * every reset method), under the test build's ASan+UBSan. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define KD_FUZZ_STAGE 3
#include "../fuzz/fuzz-dump.c"

static size_t replay_dir(const char *dir, const char *suffix)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name), sl = strlen(suffix);
		char path[512], *buf;
		FILE *f;
		long len;

		if (de->d_name[0] == '.' || nl < sl ||
		    strcmp(de->d_name + nl - sl, suffix) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fseek(f, 0, SEEK_END), 0);
		len = ftell(f);
		assert_true(len >= 0);
		rewind(f);
		buf = malloc((size_t)len + 1);
		assert_non_null(buf);
		assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, (size_t)len);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

static void test_fixtures(void **state)
{
	(void)state;
	assert_true(replay_dir("tests/fixtures", ".dump") >= 5);
	/* the harness reached every stage, not only the parser */
	printf("opened %zu, probed %zu, planned %zu\n", fuzz_opened,
	       fuzz_probed, fuzz_planned);
	assert_true(fuzz_opened >= 40);
	assert_int_equal(fuzz_probed, fuzz_opened);
	assert_true(fuzz_planned >= 40);
}

static void test_regressions(void **state)
{
	(void)state;
	replay_dir("tests/fuzz/dump-regress", ".dump");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_regressions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
