// SPDX-License-Identifier: GPL-2.0-or-later
/* Replays the fuzz seed corpus and every saved fuzz regression through the
 * libFuzzer harness itself, under the test build's ASan+UBSan. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../fuzz/fuzz-quirks.c"

static size_t replay_dir(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[512], *buf;
		FILE *f;
		long len;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "README") == 0)
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

static void test_corpus(void **state)
{
	(void)state;
	assert_true(replay_dir("tests/fuzz/corpus") >= 4);
	assert_true(replay_dir("quirks.d") >= 4);
}

static void test_regressions(void **state)
{
	(void)state;
	replay_dir("tests/fuzz/regress");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_regressions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
