// SPDX-License-Identifier: GPL-2.0-or-later
/* The campaign journal: write/fsync order, failures that leave no corrupt
 * record, torn and malformed lines reported with their place, recovery of
 * an unfinished cycle into hang / died-loading. */
#include <errno.h>
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

#include "campaign/journal.h"
#include "testctx.h"

static struct kd_ctx *ctx;
static char dir[64], path[128];
static char logbuf[4096];

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
				    .log_fn = capture_log,
				    .log_priority = KD_LOG_DEBUG };

	(void)state;
	strcpy(dir, "/tmp/kdsafe-journal-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/j.jsonl", dir);
	logbuf[0] = '\0';
	assert_int_equal(kd_ctx_new(&o, &ctx), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	kd_ctx_unref(ctx);
	return 0;
}

/* ---- injected system calls --------------------------------------------- */

struct calls {
	char log[512];     /* "W45 S F T0 ..." in call order */
	int dir_fd_seen;
	int fail_write;    /* 0: none; else errno after writing half */
	int fail_fsync;    /* errno for the next file fsync */
};

static void note(struct calls *c, const char *fmt, long v)
{
	size_t len = strlen(c->log);

	snprintf(c->log + len, sizeof(c->log) - len, fmt, v);
}

static ssize_t fake_write(void *data, int fd, const void *buf, size_t len)
{
	struct calls *c = data;

	note(c, "W%ld ", (long)len);
	if (c->fail_write) {
		/* half the record reaches the disk, then it is full */
		assert_int_equal(write(fd, buf, len / 2), (ssize_t)(len / 2));
		errno = c->fail_write;
		return -1;
	}
	return write(fd, buf, len);
}

static int fake_fsync(void *data, int fd)
{
	struct calls *c = data;
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	note(c, S_ISDIR(st.st_mode) ? "D " : "S ", 0);
	if (!S_ISDIR(st.st_mode) && c->fail_fsync) {
		errno = c->fail_fsync;
		c->fail_fsync = 0;
		return -1;
	}
	return 0;
}

static int fake_ftruncate(void *data, int fd, off_t len)
{
	note(data, "T%ld ", (long)len);
	return ftruncate(fd, len);
}

static char *slurp(void)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const struct kd_journal_cycle cyc = {
	.machine = "m1", .kernel = "6.1.0", .cycle = 3, .repeat = 2,
	.variant = "flr",
};

static const struct kd_journal_device devs[] = {
	{ "0000:00:02.0", 0x8086, 0x10d3, 0x8086, 0x0000, 0x020000, "e1000e" },
	{ "0000:00:03.0", 0x1af4, 0x1041, 0x1af4, 0x1100, 0x020000,
	  "virtio-pci" },
	{ "0000:00:04.0", 0x8086, 0x2922, 0x1af4, 0x1100, 0x010601, "ahci" },
};

static struct json_object *simple_outcome(const struct kd_journal_device *d,
					  enum kd_outcome o)
{
	struct kd_journal_result r = { .outcome = o, .fix_ms = 12,
				       .load_ms = -1, .health_ms = 30 };

	r.state_before = json_object_new_object();
	json_object_object_add(r.state_before, "bus_master",
			       json_object_new_boolean(1));
	return kd_journal_outcome(&cyc, d, &r);
}

static void append_put(struct kd_journal *j, struct json_object *rec,
		       int expect)
{
	assert_non_null(rec);
	assert_int_equal(kd_journal_append(j, rec), expect);
	json_object_put(rec);
}

/* ---- writing ----------------------------------------------------------- */

static void test_write_then_fsync_each_record(void **state)
{
	struct calls c = { 0 };
	struct kd_journal_io io = { fake_write, fake_fsync, fake_ftruncate,
				    &c };
	struct kd_journal *j;
	char want[128];
	size_t l1, l2;
	char *text, *nl;

	(void)state;
	assert_int_equal(kd_journal_open(ctx, path, &io, &j), 0);
	/* a new file: its directory entry is made durable first */
	assert_string_equal(c.log, "D ");
	append_put(j, kd_journal_intent_cycle(&cyc, devs, 3), 0);
	append_put(j, simple_outcome(&devs[0], KD_OUTCOME_PASS), 0);
	assert_int_equal(kd_journal_close(j), 0);

	text = slurp();
	nl = strchr(text, '\n');
	l1 = (size_t)(nl - text) + 1;
	l2 = strlen(nl + 1);
	/* one write per whole line (newline included), each then fsynced */
	snprintf(want, sizeof(want), "D W%zu S W%zu S ", l1, l2);
	assert_string_equal(c.log, want);
	assert_non_null(strstr(text, "\"kind\":\"intent\""));
	assert_non_null(strstr(nl, "\"outcome\":\"pass\""));
	assert_non_null(strstr(nl, "\"state_before\":{\"bus_master\":true}"));
}

static void test_enospc_leaves_no_partial_record(void **state)
{
	struct calls c = { 0 };
	struct kd_journal_io io = { fake_write, fake_fsync, fake_ftruncate,
				    &c };
	struct kd_journal *j;
	char before[8192], want[64];

	(void)state;
	assert_int_equal(kd_journal_open(ctx, path, &io, &j), 0);
	append_put(j, kd_journal_intent_cycle(&cyc, devs, 1), 0);
	strcpy(before, slurp());
	c.fail_write = ENOSPC;
	c.log[0] = '\0';
	append_put(j, simple_outcome(&devs[0], KD_OUTCOME_PASS), -ENOSPC);
	/* the half-written record was cut back off, then that made durable */
	snprintf(want, sizeof(want), "T%zu S ", strlen(before));
	assert_non_null(strstr(c.log, want));
	assert_string_equal(slurp(), before);
	assert_non_null(strstr(logbuf, "No space left on device"));
	/* and nothing more goes on unrecorded: the journal refuses */
	c.fail_write = 0;
	c.log[0] = '\0';
	append_put(j, simple_outcome(&devs[0], KD_OUTCOME_PASS), -ENOSPC);
	assert_string_equal(c.log, "");
	kd_journal_close(j);
}

static void test_fsync_eio_cuts_the_record(void **state)
{
	struct calls c = { 0 };
	struct kd_journal_io io = { fake_write, fake_fsync, fake_ftruncate,
				    &c };
	struct kd_journal *j;

	(void)state;
	assert_int_equal(kd_journal_open(ctx, path, &io, &j), 0);
	c.fail_fsync = EIO;
	append_put(j, kd_journal_intent_cycle(&cyc, devs, 1), -EIO);
	assert_string_equal(slurp(), "");
	kd_journal_close(j);
}

/* A cycle intent over KD_JOURNAL_LINE_MAX (1,400 devices with 63-letter
 * drivers) is not written, so no reader meets a line it passes over; the
 * journal stops as after a failed write. */
static void test_record_over_the_line_cap_refused(void **state)
{
	enum { N = 1400 };
	static struct kd_journal_device many[N];
	static const char driver[] = "d23456789012345678901234567890123456789"
				     "012345678901234567890123";
	struct kd_journal *j;
	struct stat sb;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		many[i] = devs[0];
		many[i].driver = driver;
		many[i].address = "ffffffff:ff:1f.7";
	}
	assert_int_equal(kd_journal_open(ctx, path, NULL, &j), 0);
	append_put(j, kd_journal_intent_cycle(&cyc, many, N), -E2BIG);
	append_put(j, simple_outcome(&devs[0], KD_OUTCOME_PASS), -E2BIG);
	assert_int_equal(kd_journal_close(j), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_non_null(strstr(logbuf, "over the 262144 a journal line may "
				       "hold; stopping"));
	/* the largest a machine of 1,290 such devices makes still fits */
	assert_int_equal(kd_journal_open(ctx, path, NULL, &j), 0);
	append_put(j, kd_journal_intent_cycle(&cyc, many, 1290), 0);
	assert_int_equal(kd_journal_close(j), 0);
}

/* ---- reading ----------------------------------------------------------- */

static void put_text(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void write_records(size_t n, struct json_object **recs)
{
	struct kd_journal *j;

	assert_int_equal(kd_journal_open(ctx, path, NULL, &j), 0);
	for (size_t i = 0; i < n; i++)
		append_put(j, recs[i], 0);
	assert_int_equal(kd_journal_close(j), 0);
}

static int count_records(void *data, struct json_object *rec,
			 const char *file, unsigned long line)
{
	(void)rec, (void)file, (void)line;
	(*(int *)data)++;
	return 0;
}

static void test_torn_last_line_is_reported(void **state)
{
	struct json_object *recs[] = { kd_journal_intent_cycle(&cyc, devs, 1) };
	struct kd_journal_stats st = { 0 };
	char want[200];
	int seen = 0;
	FILE *f;

	(void)state;
	write_records(1, recs);
	f = fopen(path, "a");
	fputs("{\"schema\":1,\"kind\":\"outc", f); /* the machine died here */
	fclose(f);
	assert_int_equal(kd_journal_read(ctx, path, count_records, &seen, &st),
			 0);
	assert_int_equal(seen, 1);
	assert_int_equal(st.torn, 1);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(st.lines, 2);
	snprintf(want, sizeof(want), "%s:2: torn record", path);
	assert_non_null(strstr(logbuf, want));
}

static void test_open_seals_a_torn_tail(void **state)
{
	struct json_object *recs[] = { simple_outcome(&devs[0],
						      KD_OUTCOME_PASS) };
	struct kd_journal_stats st = { 0 };
	char want[200];
	int seen = 0;

	(void)state;
	put_text("{\"schema\":1,\"ki");
	write_records(1, recs);
	assert_int_equal(kd_journal_read(ctx, path, count_records, &seen, &st),
			 0);
	/* the new record is whole and on its own line; the torn one is
	 * still reported, not merged into it */
	assert_int_equal(seen, 1);
	assert_int_equal(st.malformed, 1);
	snprintf(want, sizeof(want), "%s:1: incomplete JSON", path);
	assert_non_null(strstr(logbuf, want));
}

static void test_malformed_lines_counted_with_place(void **state)
{
	struct kd_journal_stats st = { 0 };
	char want[200];
	int seen = 0;
	static const char *const reasons[] = {
		":1: unexpected character", ":2: missing \"variant\"",
		":3: unknown outcome", ":4: schema 9 is not 1..1",
		":5: empty line", ":6: \"vendor\" is not 4 hex digits",
	};

	(void)state;
	put_text("@not json\n"
		 "{\"schema\":1,\"kind\":\"outcome\",\"machine\":\"m\","
		 "\"kernel\":\"k\",\"cycle\":1,\"repeat\":1}\n"
		 "{\"schema\":1,\"kind\":\"outcome\",\"machine\":\"m\","
		 "\"kernel\":\"k\",\"cycle\":1,\"repeat\":1,\"variant\":\"none\","
		 "\"address\":\"a\",\"vendor\":\"8086\",\"device\":\"10d3\","
		 "\"subsys_vendor\":\"0000\",\"subsys_device\":\"0000\","
		 "\"outcome\":\"meh\"}\n"
		 "{\"schema\":9}\n"
		 "\n"
		 "{\"schema\":1,\"kind\":\"outcome\",\"machine\":\"m\","
		 "\"kernel\":\"k\",\"cycle\":1,\"repeat\":1,\"variant\":\"none\","
		 "\"address\":\"a\",\"vendor\":\"x\"}\n");
	assert_int_equal(kd_journal_read(ctx, path, count_records, &seen, &st),
			 0);
	assert_int_equal(seen, 0);
	assert_int_equal(st.malformed, 6);
	assert_int_equal(st.torn, 0);
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		snprintf(want, sizeof(want), "%s%s", path, reasons[i]);
		if (!strstr(logbuf, want))
			fail_msg("'%s' not in log:\n%s", want, logbuf);
	}
}

/* A 100 MiB line between two records: both records read, the line
 * reported with its place and passed over without being kept (the peak
 * RSS grows by far less than the line; getline() kept it whole). */
static void test_line_over_the_cap_passed_over(void **state)
{
	struct json_object *recs[] = {
		simple_outcome(&devs[0], KD_OUTCOME_PASS),
		simple_outcome(&devs[0], KD_OUTCOME_FAIL),
	};
	struct kd_journal_stats st = { 0 };
	long rss_before;
	int seen = 0;

	(void)state;
	test_write_long_lines(path, json_object_to_json_string(recs[0]),
			      json_object_to_json_string(recs[1]));
	json_object_put(recs[0]);
	json_object_put(recs[1]);
	rss_before = test_peak_rss_kib();
	assert_int_equal(kd_journal_read(ctx, path, count_records, &seen, &st),
			 0);
	assert_true(test_peak_rss_kib() - rss_before < 16 * 1024);
	assert_int_equal(seen, 2);
	test_check_long_lines(&st, logbuf, path);
}

/* ---- recovery ---------------------------------------------------------- */

struct outcomes {
	char list[512]; /* "ADDRESS=OUTCOME " in file order */
};

static int collect_outcomes(void *data, struct json_object *rec,
			    const char *file, unsigned long line)
{
	struct outcomes *o = data;
	size_t len = strlen(o->list);
	struct json_object *v;

	(void)file, (void)line;
	if (!json_object_object_get_ex(rec, "outcome", &v))
		return 0;
	snprintf(o->list + len, sizeof(o->list) - len, "%s=%s ",
		 json_object_get_string(json_object_object_get(rec, "address")),
		 json_object_get_string(v));
	return 0;
}

static const char *outcomes_now(void)
{
	static struct outcomes o;
	struct kd_journal_stats st = { 0 };

	o.list[0] = '\0';
	assert_int_equal(kd_journal_read(ctx, path, collect_outcomes, &o, &st),
			 0);
	assert_int_equal(st.malformed, 0);
	return o.list;
}

static void test_recover_died_loading(void **state)
{
	struct json_object *recs[] = {
		kd_journal_intent_cycle(&cyc, devs, 3),
		kd_journal_intent_load(&cyc, &devs[0], "e1000e"),
		simple_outcome(&devs[0], KD_OUTCOME_PASS),
		kd_journal_intent_load(&cyc, &devs[1], "virtio_net"),
		/* the machine died loading virtio_net */
	};
	unsigned n = 99;

	(void)state;
	write_records(4, recs);
	assert_int_equal(kd_journal_recover(ctx, path, NULL, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(outcomes_now(),
			    "0000:00:02.0=pass 0000:00:03.0=died-loading "
			    "0000:00:04.0=not-reached ");
	assert_non_null(strstr(slurp(),
			       "\"reason\":\"loading virtio_net for "
			       "0000:00:03.0\""));
	/* a second boot finds nothing left open */
	assert_int_equal(kd_journal_recover(ctx, path, NULL, &n), 0);
	assert_int_equal(n, 0);
}

static void test_recover_hang(void **state)
{
	struct kd_journal_cycle next = cyc;
	struct json_object *recs[3];
	unsigned n = 0;

	(void)state;
	next.repeat = 3;
	recs[0] = kd_journal_intent_cycle(&cyc, devs, 2);
	recs[1] = simple_outcome(&devs[0], KD_OUTCOME_PASS);
	recs[2] = simple_outcome(&devs[1], KD_OUTCOME_FAIL);
	write_records(3, recs);
	/* a finished cycle is left alone */
	assert_int_equal(kd_journal_recover(ctx, path, NULL, &n), 0);
	assert_int_equal(n, 0);
	recs[0] = kd_journal_intent_cycle(&next, devs, 2); /* then hangs */
	write_records(1, recs);
	assert_int_equal(kd_journal_recover(ctx, path, NULL, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(outcomes_now(),
			    "0000:00:02.0=pass 0000:00:03.0=fail "
			    "0000:00:02.0=hang 0000:00:03.0=hang ");
	assert_non_null(strstr(slurp(), "\"recovered\":true"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_write_then_fsync_each_record, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_enospc_leaves_no_partial_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_eio_cuts_the_record,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_last_line_is_reported,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_seals_a_torn_tail,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_malformed_lines_counted_with_place, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_record_over_the_line_cap_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_line_over_the_cap_passed_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_died_loading,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_hang, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
