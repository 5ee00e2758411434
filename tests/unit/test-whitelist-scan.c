// SPDX-License-Identifier: GPL-2.0-or-later
/* The whitelist's fast reader: each line merged by the allocation-free
 * scanner must give what json-c + kd_journal_validate() give; what it is
 * not sure of (escapes, long numbers, repeated keys, lenient JSON) must be
 * left to json-c; bad lines keep their FILE:LINE: REASON and counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testctx.h"
#include "whitelist/internal.h"

static struct kd_ctx *ctx;
static char logbuf[8192];

static void capture_log(void *data, int prio, const char *file, int line,
			const char *fn, const char *format, va_list args)
{
	size_t len = strlen(logbuf);

	(void)data, (void)prio, (void)file, (void)line, (void)fn;
	vsnprintf(logbuf + len, sizeof(logbuf) - len, format, args);
	len = strlen(logbuf);
	if (len + 1 < sizeof(logbuf))
		strcat(logbuf, "\n");
}

static int setup(void **state)
{
	struct kd_ctx_options o = { .no_devices = true,
				    .log_fn = capture_log };

	(void)state;
	logbuf[0] = '\0';
	return kd_ctx_new(&o, &ctx);
}

static int teardown(void **state)
{
	(void)state;
	kd_ctx_unref(ctx);
	return 0;
}

#define HEAD "{\"schema\":1,\"kind\":\"outcome\",\"time\":1700000001," \
	     "\"machine\":\"m1\",\"kernel\":\"6.1.0-13-amd64\",\"cycle\":1," \
	     "\"repeat\":1,\"variant\":\"flr\",\"address\":\"0000:00:02.0\","
#define IDS "\"vendor\":\"8086\",\"device\":\"10d3\",\"subsys_vendor\":" \
	    "\"8086\",\"subsys_device\":\"0000\",\"class\":\"020000\","
#define OUTCOME(extra) HEAD IDS "\"driver\":\"e1000e\",\"outcome\":\"pass\"" \
		       extra "}"

/* What json-c alone makes of line: merged into slow, or its reason. */
static const char *slow_path(struct kd_wl *slow, const char *line)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *rec;
	const char *why = NULL;

	rec = kd_journal_parse_line(tok, line, strlen(line), &why);
	if (rec)
		assert_int_equal(kd_wl_add_record(slow, rec), 0);
	json_object_put(rec);
	json_tokener_free(tok);
	return why;
}

static void same_devices(struct kd_wl *a, struct kd_wl *b)
{
	struct kd_wl_device *const *da, *const *db;
	size_t na, nb;

	assert_int_equal(kd_wl_finish(a, &da, &na), 0);
	assert_int_equal(kd_wl_finish(b, &db, &nb), 0);
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(da[i]->vendor, db[i]->vendor);
		assert_int_equal(da[i]->device, db[i]->device);
		assert_int_equal(da[i]->subsys_vendor, db[i]->subsys_vendor);
		assert_int_equal(da[i]->subsys_device, db[i]->subsys_device);
		assert_int_equal(da[i]->class_code, db[i]->class_code);
		assert_string_equal(da[i]->driver, db[i]->driver);
		assert_string_equal(da[i]->kernel, db[i]->kernel);
		assert_int_equal(da[i]->n_cells, db[i]->n_cells);
		for (size_t c = 0; c < da[i]->n_cells; c++) {
			assert_string_equal(da[i]->cells[c].variant,
					    db[i]->cells[c].variant);
			assert_memory_equal(da[i]->cells[c].n,
					    db[i]->cells[c].n,
					    sizeof(da[i]->cells[c].n));
		}
	}
}

/* Scans line: want_fast 1 when the scanner must merge it itself, 0 when it
 * must leave it to json-c.  Either way the merge must equal json-c's. */
static void scan(const char *line, int want_fast)
{
	struct kd_wl *fast, *slow;
	struct kd_wl_scanner *sc;
	char *copy = strdup(line);
	int got;

	assert_int_equal(kd_wl_new(ctx, &fast), 0);
	assert_int_equal(kd_wl_new(ctx, &slow), 0);
	assert_int_equal(kd_wl_scanner_new(&sc), 0);
	got = kd_wl_scan_line(sc, fast, copy, strlen(copy));
	assert_int_equal(got, want_fast);
	if (got == 0) {
		assert_string_equal(copy, line); /* handed on untouched */
		slow_path(fast, line);
	}
	slow_path(slow, line);
	same_devices(fast, slow);
	kd_wl_scanner_free(sc);
	kd_wl_free(fast);
	kd_wl_free(slow);
	free(copy);
}

static struct kd_wl_device *only(struct kd_wl *wl)
{
	struct kd_wl_device *const *devs;
	size_t n;

	assert_int_equal(kd_wl_finish(wl, &devs, &n), 0);
	assert_int_equal(n, 1);
	return devs[0];
}

static void test_plain_record_is_scanned(void **state)
{
	(void)state;
	scan(OUTCOME(""), 1);
	scan(OUTCOME(",\"reason\":null,\"timings\":{\"fix_ms\":101,"
		     "\"load_ms\":null,\"health_ms\":-3},\"recovered\":true"), 1);
	scan("{\"schema\":1,\"kind\":\"intent\",\"machine\":\"m\","
	     "\"kernel\":\"k\",\"cycle\":3,\"repeat\":1,\"variant\":\"flr\","
	     "\"step\":\"cycle\",\"devices\":[{\"address\":\"a\"," IDS
	     "\"driver\":null},{\"address\":\"b\",\"vendor\":\"1AF4\","
	     "\"device\":\"1041\",\"subsys_vendor\":\"1af4\","
	     "\"subsys_device\":\"1100\",\"driver\":\"virtio-pci\"}]}", 1);
	scan("{\"schema\":1,\"kind\":\"intent\",\"machine\":\"m\","
	     "\"kernel\":\"k\",\"cycle\":3,\"repeat\":1,\"variant\":\"flr\","
	     "\"step\":\"load\",\"module\":\"e1000e\",\"address\":\"a\"," IDS
	     "\"driver\":\"e1000e\",\"note\":\"loading\"}", 1);
}

static void test_escaped_strings(void **state)
{
	struct kd_wl *wl;
	struct kd_wl_scanner *sc;
	char line[] = OUTCOME(",\"reason\":\"said \\\"no\\\" \\\\ \\u00e9\\n\"");

	(void)state;
	/* escapes where nothing is kept: scanned, and the string's end found
	 * past the escaped quotes */
	scan(line, 1);
	assert_int_equal(kd_wl_new(ctx, &wl), 0);
	assert_int_equal(kd_wl_scanner_new(&sc), 0);
	assert_int_equal(kd_wl_scan_line(sc, wl, line, strlen(line)), 1);
	assert_string_equal(only(wl)->driver, "e1000e");
	kd_wl_scanner_free(sc);
	kd_wl_free(wl);
	/* an escape in a kept string: json-c decodes it, same key */
	scan(HEAD IDS "\"driver\":\"e1000\\u0065\",\"outcome\":\"pass\"}", 0);
	scan(HEAD IDS "\"driver\":\"e1000e\",\"outcome\":\"pa\\u0073s\"}", 0);
	scan(OUTCOME(",\"reason\":\"bad \\x escape\""), 0);
	scan(OUTCOME(",\"reason\":\"raw\ttab\""), 0); /* json-c takes it */
}

static void test_unknown_keys_and_nested_state(void **state)
{
	struct kd_wl *wl;
	struct kd_wl_scanner *sc;
	/* look-alike keys nested anywhere are not the record's */
	char line[] = OUTCOME(",\"vendorx\":\"ffff\",\"extra\":{\"vendor\":"
			      "\"ffff\",\"devices\":[1,{\"a\":[]}]},"
			      "\"state_before\":{\"command\":\"0x0406\","
			      "\"bus_master\":true,\"deep\":[[{\"kernel\":"
			      "\"x\"}],false,null,-0]},\"state_after\":{}");

	(void)state;
	scan(line, 1);
	assert_int_equal(kd_wl_new(ctx, &wl), 0);
	assert_int_equal(kd_wl_scanner_new(&sc), 0);
	assert_int_equal(kd_wl_scan_line(sc, wl, line, strlen(line)), 1);
	assert_int_equal(only(wl)->vendor, 0x8086);
	assert_string_equal(only(wl)->kernel, "6.1.0-13-amd64");
	kd_wl_scanner_free(sc);
	kd_wl_free(wl);
	/* deeper than the scanner goes: json-c decides */
	scan(OUTCOME(",\"x\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]"), 0);
}

static void test_numbers_out_of_range(void **state)
{
	struct kd_wl *wl;

	(void)state;
	assert_int_equal(kd_wl_new(ctx, &wl), 0);
	/* json-c saturates: the record is refused, by json-c's reason */
	scan("{\"schema\":99999999999999999999,\"kind\":\"outcome\"}", 0);
	assert_string_equal(slow_path(wl, "{\"schema\":99999999999999999999}"),
			    "schema 9223372036854775807 is not 1..1");
	scan("{\"schema\":1e0}", 0);
	assert_string_equal(slow_path(wl, "{\"schema\":1.0}"),
			    "\"schema\" is not an integer");
	/* a long number where nothing is kept: json-c's, and merged */
	scan(OUTCOME(",\"time2\":123456789012345678901234"), 0);
	scan(OUTCOME(",\"ratio\":0.5"), 0);
	scan(OUTCOME(",\"t\":123456789012345678"), 1); /* 18 digits */
	scan(OUTCOME(",\"t\":007"), 0); /* json-c's leniency */
	kd_wl_free(wl);
}

static void test_left_to_json_c(void **state)
{
	(void)state;
	/* a repeated kept key: json-c keeps the last */
	scan(OUTCOME(",\"driver\":\"igb\""), 0);
	scan(" " OUTCOME(""), 0);
	scan(OUTCOME("") " ", 0);
	scan(OUTCOME(",\"x\":TRUE"), 0);
	scan(OUTCOME(",\"x\":NaN"), 0);
	scan(OUTCOME(",\"x\":1,"), 0);
	/* invalid records: json-c reports them */
	scan(HEAD IDS "\"outcome\":\"meh\"}", 0);
	scan(HEAD "\"vendor\":\"80861\"}", 0);
	scan("{\"schema\":1,\"kind\":\"intent\",\"machine\":\"m\","
	     "\"kernel\":\"k\",\"cycle\":3,\"repeat\":1,\"variant\":\"flr\","
	     "\"step\":\"cycle\",\"devices\":[{\"address\":\"a\"," IDS
	     "\"driver\":null},{\"address\":\"b\"}]}", 0);
	scan("[1]", 0);
	scan(OUTCOME(""), 1);
}

static void test_class_read_as_json_c_reads_it(void **state)
{
	(void)state;
	scan(HEAD IDS "\"class\":\"0x20000\",\"driver\":\"x\","
	     "\"outcome\":\"pass\"}", 0); /* repeated "class" */
	scan(HEAD "\"vendor\":\"8086\",\"device\":\"10d3\",\"subsys_vendor\":"
	     "\"8086\",\"subsys_device\":\"0000\",\"class\":\"0x20000\","
	     "\"outcome\":\"hang\"}", 1);
	scan(HEAD "\"vendor\":\"8086\",\"device\":\"10d3\",\"subsys_vendor\":"
	     "\"8086\",\"subsys_device\":\"0000\",\"class\":2,"
	     "\"driver\":7,\"outcome\":\"hang\"}", 1);
}

/* A journal of good, escaped, bad and torn lines, long records (200 KiB,
 * under KD_JOURNAL_LINE_MAX) across the 1 MiB read buffer's end: counts
 * and places as kd_journal_read() gives. */
static void test_file_counts_and_places(void **state)
{
	char path[] = "/tmp/kdsafe-wlscan-XXXXXX";
	int fd = mkstemp(path);
	size_t big = 200u << 10;
	char *reason = malloc(big + 1);
	struct kd_wl *wl;
	struct kd_wl_device *d;
	const struct kd_wl_inputs *in;
	FILE *f;
	char want[200];

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	memset(reason, 'r', big);
	reason[big] = '\0';
	fprintf(f, "%s\n", OUTCOME(""));
	fprintf(f, "%s\n", OUTCOME(",\"reason\":\"\\u0041\""));
	fprintf(f, "this is not json\n\n");
	fprintf(f, "%s\n", HEAD "\"vendor\":\"x\"}");
	for (int i = 0; i < 6; i++) /* the 6th crosses 1 MiB */
		fprintf(f, OUTCOME(",\"reason\":\"%s\"") "\n", reason);
	fprintf(f, "{\"schema\":1,\"kind\":\"outc");
	fclose(f);
	assert_int_equal(kd_wl_new(ctx, &wl), 0);
	assert_int_equal(kd_wl_add_path(wl, path), 0);
	in = kd_wl_inputs(wl);
	assert_int_equal(in->st.lines, 12);
	assert_int_equal(in->st.records, 8);
	assert_int_equal(in->st.malformed, 4);
	assert_int_equal(in->st.torn, 1);
	d = only(wl);
	assert_int_equal(d->cells[0].n[KD_OUTCOME_PASS], 8);
	snprintf(want, sizeof(want), "%s:3: boolean expected", path);
	assert_non_null(strstr(logbuf, want));
	snprintf(want, sizeof(want), "%s:4: empty line", path);
	assert_non_null(strstr(logbuf, want));
	snprintf(want, sizeof(want), "%s:5: \"vendor\" is not 4 hex digits",
		 path);
	assert_non_null(strstr(logbuf, want));
	snprintf(want, sizeof(want), "%s:12: torn record", path);
	assert_non_null(strstr(logbuf, want));
	kd_wl_free(wl);
	unlink(path);
	free(reason);
}

/* A 100 MiB line between two records, a 3 MiB torn one at the end: both
 * records merged, both lines counted malformed with their place, none of
 * them kept (the buffer grew to hold a whole line before). */
static void test_line_over_the_cap_passed_over(void **state)
{
	char path[] = "/tmp/kdsafe-wlscan-XXXXXX";
	int fd = mkstemp(path);
	struct kd_wl *wl;
	long rss_before;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	test_write_long_lines(path, OUTCOME(""), OUTCOME(""));
	assert_int_equal(kd_wl_new(ctx, &wl), 0);
	rss_before = test_peak_rss_kib();
	assert_int_equal(kd_wl_add_path(wl, path), 0);
	assert_true(test_peak_rss_kib() - rss_before < 16 * 1024);
	test_check_long_lines(&kd_wl_inputs(wl)->st, logbuf, path);
	assert_int_equal(only(wl)->cells[0].n[KD_OUTCOME_PASS], 2);
	kd_wl_free(wl);
	unlink(path);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_plain_record_is_scanned),
		T(test_escaped_strings),
		T(test_unknown_keys_and_nested_state),
		T(test_numbers_out_of_range),
		T(test_left_to_json_c),
		T(test_class_read_as_json_c_reads_it),
		T(test_file_counts_and_places),
		T(test_line_over_the_cap_passed_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
