// SPDX-License-Identifier: GPL-2.0-or-later
/* The quirks database: parser (every field, every error with its place),
 * matching and merging, directory loading and its security checks. */
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

#include "quirks/quirks.h"
#include "sim.h"

static struct kd_sim *sim;
static struct kd_ctx *ctx;

static int setup(void **state)
{
	(void)state;
	sim = kd_sim_new();
	assert_non_null(sim);
	assert_int_equal(kd_sim_ctx(sim, &ctx), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kd_ctx_unref(ctx);
	kd_sim_free(sim);
	return 0;
}

static struct kd_quirks *db_of(const char *text, int expect)
{
	struct kd_quirks *db;

	assert_int_equal(kd_quirks_new(ctx, &db), 0);
	assert_int_equal(kd_quirks_add_buffer(db, "t.conf", text, strlen(text)),
			 expect);
	return db;
}

static const struct kd_quirk_id nic = {
	.vendor = 0x8086, .device = 0x10ed, .subsys_vendor = 0x1028,
	.subsys_device = 0x1f60, .class_code = 0x020000, .revision = 0x01,
};

/* ---- parser ------------------------------------------------------------ */

static void test_every_field(void **state)
{
	static const char text[] =
		"# comment\n"
		"; another\n"
		"[8086:10ed subsys=1028:* class=0x020000/0xff0000 "
		"rev=0x00-0x05]\n"
		"name = Intel 82599 VF   ; inline comment\n"
		"methods = kernel:flr, flr bus\n"
		"avoid = pm, af-flr\n"
		"delay-after-reset = 250ms\n"
		"timeout = 2s\n"
		"pre = cfg CAP_EXP+8.W=0000:0100\n"
		"      mmio BAR0+1c.L=1\n"
		"\n"
		"      wait 10us\n"
		"pre = poll cfg ECAP_AER+4.L=0:ffffffff timeout=1s\n"
		"post = poll mmio BAR2+10.Q=0:1 timeout=5ms interval=1ms\n"
		"run = post timeout=3s /usr/lib/kdsafe/x --flag value\n"
		"run = pre /bin/true\n"
		"blacklist = ixgbevf, i40e\n"
		"options = ixgbevf max_vfs=0\n"
		"cmdline = pci=noaer\n"
		"cmdline = iommu=off\n";
	struct kd_quirks *db = db_of(text, 0);
	const struct kd_quirk_entry *e;
	const struct kd_quirk_step *s;
	struct kd_quirk_plan pl;

	(void)state;
	assert_int_equal(kd_quirks_count(db), 1);
	assert_int_equal(kd_quirks_errors(db), 0);
	e = kd_quirks_entry(db, 0);
	assert_string_equal(kd_quirk_entry_name(e), "Intel 82599 VF");
	assert_int_equal(kd_quirk_entry_line(e), 3);
	assert_string_equal(kd_quirk_entry_match(e),
			    "8086:10ed subsys=1028:* class=0x020000/0xff0000 "
			    "rev=0x00-0x05");
	assert_int_equal(kd_quirk_entry_specificity(e), 4 + 8 + 2 + 1 + 1);

	assert_int_equal(kd_quirks_match(db, &nic, &pl), 0);
	assert_int_equal(pl.n_applied, 1);
	assert_int_equal(pl.methods.n, 3);
	assert_string_equal(pl.methods.v[0], "kernel:flr");
	assert_string_equal(pl.methods.v[1], "flr");
	assert_string_equal(pl.methods.v[2], "bus");
	assert_true(pl.has_delay);
	assert_int_equal(pl.delay_after_reset_ns, 250000000ull);
	assert_true(pl.has_timeout);
	assert_int_equal(pl.timeout_ns, 2000000000ull);
	assert_int_equal(pl.avoid.n, 2);
	assert_string_equal(pl.avoid.v[0], "pm");
	assert_string_equal(pl.avoid.v[1], "af-flr");

	assert_int_equal(pl.pre.n, 5);
	s = pl.pre.v[0];
	assert_int_equal(s->kind, KD_STEP_CFG);
	assert_int_equal(s->reg.base, KD_REG_CAP);
	assert_int_equal(s->reg.cap_id, 0x10);
	assert_int_equal(s->reg.off, 8);
	assert_int_equal(s->reg.width, 2);
	assert_int_equal(s->value, 0);
	assert_int_equal(s->mask, 0x100);
	assert_int_equal(s->line, 9);
	s = pl.pre.v[1];
	assert_int_equal(s->kind, KD_STEP_MMIO);
	assert_int_equal(s->reg.bar, 0);
	assert_int_equal(s->reg.off, 0x1c);
	assert_int_equal(s->mask, 0xffffffff);
	assert_int_equal(s->line, 10);
	s = pl.pre.v[2];
	assert_int_equal(s->kind, KD_STEP_WAIT);
	assert_int_equal(s->timeout_ns, 10000);
	assert_int_equal(s->line, 12);
	s = pl.pre.v[3];
	assert_int_equal(s->kind, KD_STEP_POLL_CFG);
	assert_int_equal(s->reg.base, KD_REG_ECAP);
	assert_int_equal(s->reg.cap_id, 1);
	assert_int_equal(s->timeout_ns, 1000000000ull);
	assert_int_equal(s->interval_ns, 1000000ull);
	s = pl.pre.v[4];
	assert_int_equal(s->kind, KD_STEP_RUN);
	assert_string_equal(s->argv[0], "/bin/true");
	assert_null(s->argv[1]);
	assert_int_equal(s->timeout_ns, 10000000000ull);

	assert_int_equal(pl.post.n, 2);
	s = pl.post.v[0];
	assert_int_equal(s->kind, KD_STEP_POLL_MMIO);
	assert_int_equal(s->reg.width, 8);
	assert_int_equal(s->reg.bar, 2);
	assert_int_equal(s->interval_ns, 1000000ull);
	assert_int_equal(s->timeout_ns, 5000000ull);
	s = pl.post.v[1];
	assert_int_equal(s->kind, KD_STEP_RUN);
	assert_string_equal(s->argv[0], "/usr/lib/kdsafe/x");
	assert_string_equal(s->argv[1], "--flag");
	assert_string_equal(s->argv[2], "value");
	assert_null(s->argv[3]);
	assert_int_equal(s->timeout_ns, 3000000000ull);

	assert_int_equal(pl.blacklist.n, 2);
	assert_string_equal(pl.blacklist.v[1], "i40e");
	assert_int_equal(pl.options.n, 1);
	assert_string_equal(pl.options.v[0], "ixgbevf max_vfs=0");
	assert_int_equal(pl.cmdline.n, 2);
	assert_string_equal(pl.cmdline.v[1], "iommu=off");
	kd_quirk_plan_clear(&pl);
	kd_quirks_free(db);
}

static void test_named_registers_and_numbers(void **state)
{
	static const char text[] =
		"[1234:5678]\n"
		"pre = cfg COMMAND=0:4\n"          /* width from the name */
		"pre = cfg COMMAND.B=0\n"          /* explicit width wins */
		"pre = cfg 0x44.L=0xdeadbeef\n"
		"pre = cfg CAP10+0xa.W=20:20\n"    /* numeric capability */
		"pre = cfg ECAP0001+4.L=0\n"
		"pre = cfg cap_exp+8.w=0\n";       /* names case-insensitive */
	struct kd_quirks *db = db_of(text, 0);
	struct kd_quirk_id id = { .vendor = 0x1234, .device = 0x5678 };
	struct kd_quirk_plan pl;

	(void)state;
	assert_int_equal(kd_quirks_match(db, &id, &pl), 0);
	assert_int_equal(pl.pre.n, 6);
	assert_int_equal(pl.pre.v[0]->reg.off, 4);
	assert_int_equal(pl.pre.v[0]->reg.width, 2);
	assert_int_equal(pl.pre.v[1]->reg.width, 1);
	assert_int_equal(pl.pre.v[2]->value, 0xdeadbeef);
	assert_int_equal(pl.pre.v[3]->reg.cap_id, 0x10);
	assert_int_equal(pl.pre.v[3]->reg.off, 0xa);
	assert_int_equal(pl.pre.v[4]->reg.base, KD_REG_ECAP);
	assert_int_equal(pl.pre.v[5]->reg.base, KD_REG_CAP);
	kd_quirk_plan_clear(&pl);
	kd_quirks_free(db);
}

struct err_case {
	const char *text;
	unsigned line, col;
	const char *msg;
};

static void test_errors_with_place(void **state)
{
	static const struct err_case cases[] = {
		{ "methods = flr\n", 1, 1, "outside of a [device] section" },
		{ "[8086:10ed]\nbogus = 1\n", 2, 1, "unknown key 'bogus'" },
		{ "[8086:10ed]\njunk line\n", 2, 1, "expected 'key = value'" },
		{ "[8086:10ed\nmethods = flr\n", 1, 1, "without ']'" },
		{ "[8086:10ed] x\navoid = bus\n", 1, 13, "text after" },
		{ "[]\navoid = bus\n", 1, 2, "empty device match" },
		{ "[8086:10ed foo]\navoid = bus\n", 1, 12, "unknown match" },
		{ "[8086:1x]\navoid = bus\n", 1, 2, "VVVV:DDDD" },
		{ "[*:10ed]\navoid = bus\n", 1, 2, "needs a vendor" },
		{ "[8086:10ed 8086:10ee]\navoid = bus\n", 1, 12,
		  "more than one" },
		{ "[class=0x030000/0xff]\navoid = bus\n", 1, 2,
		  "outside mask" },
		{ "[rev=0x05-0x01]\navoid = bus\n", 1, 2, "range is empty" },
		{ "[8086:10ed/00ff]\navoid = bus\n", 1, 2, "outside its mask" },
		{ "[subsys=1:2 subsys=3:4]\navoid = bus\n", 1, 13, "twice" },
		{ "[8086:10ed]\nmethods = flr, reboot\n", 2, 16,
		  "unknown reset method 'reboot'" },
		{ "[8086:10ed]\nmethods = flr\nmethods = bus\n", 3, 1,
		  "given twice in this entry (first on line 2)" },
		{ "[8086:10ed]\navoid = flr flr\n", 2, 13, "listed twice" },
		{ "[8086:10ed]\navoid = kernel:nope\n", 2, 9,
		  "unknown reset method" },
		{ "[8086:10ed]\ndelay-after-reset = 5\n", 2, 21,
		  "needs a unit" },
		{ "[8086:10ed]\ndelay-after-reset = 5h\n", 2, 21,
		  "unknown duration unit" },
		{ "[8086:10ed]\npre = wait nan\n", 2, 12,
		  "expected a duration such as 250ms" },
		{ "[8086:10ed]\ntimeout = -1s\n", 2, 11, "must not be negative" },
		{ "[8086:10ed]\ntimeout = 1e400\n", 2, 11, "no exponents" },
		{ "[8086:10ed]\npre = poll cfg 44.B=0 timeout=inf\n", 2, 31,
		  "expected a duration" },
		{ "[8086:10ed]\ntimeout = 601s\n", 2, 11, "at most 600s" },
		{ "[8086:10ed]\ntimeout = 0\n", 2, 11, "non-zero" },
		{ "[8086:10ed]\nname =\n", 2, 7, "has no value" },
		{ "[8086:10ed]\npre = poke 1\n", 2, 7, "unknown step 'poke'" },
		{ "[8086:10ed]\npre = cfg 44=1\n", 2, 11, "missing width" },
		{ "[8086:10ed]\npre = cfg 44.X=1\n", 2, 13, "width must be" },
		{ "[8086:10ed]\npre = cfg 44.Q=1\n", 2, 11, ".B, .W or .L" },
		{ "[8086:10ed]\npre = cfg 45.W=1\n", 2, 11, "not aligned" },
		{ "[8086:10ed]\npre = cfg 1000.B=1\n", 2, 11,
		  "unknown register" },
		{ "[8086:10ed]\npre = cfg ffe.L=1\n", 2, 11, "not aligned" },
		{ "[8086:10ed]\npre = cfg ffc.L=1\n", 2, 1 + 0, NULL },
		{ "[8086:10ed]\npre = cfg CAP_FOO+8.W=1\n", 2, 11,
		  "unknown capability 'CAP_FOO'" },
		{ "[8086:10ed]\npre = cfg CAP_EXP+zz.W=1\n", 2, 19,
		  "hex offset after '+'" },
		{ "[8086:10ed]\npre = cfg 44.B=100\n", 2, 16,
		  "at most 1 bytes" },
		{ "[8086:10ed]\npre = cfg 44.B=1:0\n", 2, 18, "mask is zero" },
		{ "[8086:10ed]\npre = cfg 44.B=3:1\n", 2, 18,
		  "outside the mask" },
		{ "[8086:10ed]\npre = cfg BAR0+4.L=1\n", 2, 11,
		  "use mmio" },
		{ "[8086:10ed]\npre = mmio 44.L=1\n", 2, 12,
		  "needs BARn+OFFSET" },
		{ "[8086:10ed]\npre = mmio BAR6+0.L=1\n", 2, 12,
		  "unknown register" },
		{ "[8086:10ed]\npre = mmio BAR0.L=1\n", 2, 12,
		  "expected BARn+OFFSET" },
		{ "[8086:10ed]\npre = cfg 44.B=1 extra\n", 2, 18,
		  "unexpected text" },
		{ "[8086:10ed]\npre = wait\n", 2, 7, "wait DURATION" },
		{ "[8086:10ed]\npre = wait 0\n", 2, 12, "zero does nothing" },
		{ "[8086:10ed]\npre = poll cfg 0.W=8086\n", 2, 7,
		  "needs timeout=" },
		{ "[8086:10ed]\npre = poll 0.W=8086 timeout=1s\n", 2, 12,
		  "poll cfg|mmio" },
		{ "[8086:10ed]\npre = poll cfg 0.W=8086 timeout=1s every=1\n", 2,
		  36, "expected timeout=" },
		{ "[8086:10ed]\npre = poll cfg 0.W=8086 timeout=1ms "
		  "interval=2ms\n", 2, 7, "longer than its timeout" },
		{ "[8086:10ed]\npre = run relative/path\n", 2, 11,
		  "must be absolute" },
		{ "[8086:10ed]\npre = run timeout=0 /x\n", 2, 19, "non-zero" },
		{ "[8086:10ed]\npre = run timeout=1s\n", 2, 7,
		  "run [timeout=DURATION]" },
		{ "[8086:10ed]\nrun = during /x\n", 2, 7, "pre|post" },
		{ "[8086:10ed]\nrun = post relative\n", 2, 12,
		  "must be absolute" },
		{ "[8086:10ed]\nblacklist = a/b\n", 2, 14, "module names" },
		{ "[8086:10ed]\noptions = ixgbe\n", 2, 11, "MODULE PARAM" },
		{ "[8086:10ed]\navoid = ,\n", 2, 9, "empty list" },
		/* an FLR before the save would have the restore write back
		 * the zeroed BARs; check means "no device-specific reset" */
		{ "[8086:10ed]\npre = flr\n", 2, 7, "only in reset =" },
		{ "[8086:10ed]\npost = check cfg 0.W=8086\n", 2, 8,
		  "only in reset =" },
	};
	char buf[256];
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct err_case *c = &cases[i];
		struct kd_quirks *db;
		const struct kd_quirk_diag *d;

		if (!c->msg) {
			/* the control: ffc.L is the last dword, accepted */
			db = db_of(c->text, 0);
			kd_quirks_free(db);
			continue;
		}
		db = db_of(c->text, -EINVAL);
		snprintf(buf, sizeof(buf), "case %zu: %s", i, c->text);
		assert_int_equal(kd_quirks_count(db), 0);
		assert_int_equal(kd_quirks_rejected(db), 1);
		d = kd_quirks_diag(db, 0);
		if (!d || d->line != c->line || d->col != c->col ||
		    !strstr(d->msg, c->msg)) {
			print_error("%s\n  got %u:%u: %s\n  want %u:%u: ...%s\n",
				    buf, d ? d->line : 0, d ? d->col : 0,
				    d ? d->msg : "(none)", c->line, c->col,
				    c->msg);
			bad++;
		}
		assert_int_equal(d->level, KD_QDIAG_ERROR);
		assert_string_equal(d->file, "t.conf");
		kd_quirks_free(db);
	}
	assert_int_equal(bad, 0);
}

static void test_lexical_errors(void **state)
{
	char long_line[300], text[400];
	struct kd_quirks *db;
	const struct kd_quirk_diag *d;
	static const char with_nul[] = "[8086:10ed]\navoid = b\0us\n";

	(void)state;
	memset(long_line, 'x', sizeof(long_line));
	long_line[sizeof(long_line) - 1] = '\0';
	snprintf(text, sizeof(text), "[8086:10ed]\nname = %s\navoid = bus\n",
		 long_line);
	db = db_of(text, -EINVAL);
	d = kd_quirks_diag(db, 0);
	assert_int_equal(d->line, 2);
	assert_non_null(strstr(d->msg, "longer than"));
	kd_quirks_free(db);

	assert_int_equal(kd_quirks_new(ctx, &db), 0);
	assert_int_equal(kd_quirks_add_buffer(db, "nul.conf", with_nul,
					      sizeof(with_nul) - 1), -EINVAL);
	d = kd_quirks_diag(db, 0);
	assert_int_equal(d->line, 2);
	assert_int_equal(d->col, 10);
	assert_non_null(strstr(d->msg, "NUL"));
	kd_quirks_free(db);

	/* CRLF line ends and a byte order mark are fine */
	db = db_of("\xEF\xBB\xBF[8086:10ed]\r\navoid = bus\r\n", 0);
	assert_int_equal(kd_quirks_count(db), 1);
	kd_quirks_free(db);

	/* several errors in one file are all reported, in order */
	db = db_of("[8086:10ed]\nmethods = x\nbogus = 1\n[zz]\n", -EINVAL);
	assert_int_equal(kd_quirks_errors(db), 3);
	assert_int_equal(kd_quirks_diag(db, 0)->line, 2);
	assert_int_equal(kd_quirks_diag(db, 1)->line, 3);
	assert_int_equal(kd_quirks_diag(db, 2)->line, 4);
	kd_quirks_free(db);

	/* an entry without fields is a warning, not an error */
	db = db_of("[8086:10ed]\nname = nothing\n", 0);
	assert_int_equal(kd_quirks_errors(db), 0);
	assert_int_equal(kd_quirks_diag_count(db), 1);
	assert_int_equal(kd_quirks_diag(db, 0)->level, KD_QDIAG_WARNING);
	kd_quirks_free(db);
}

static void test_rejected_file_rest_applies(void **state)
{
	static const char good1[] = "[8086:10ed]\navoid = bus\n";
	static const char bad[] = "[8086:10ed]\navoid = pm\nmethods = x\n";
	static const char good2[] = "[8086:*]\navoid = af-flr\n";
	struct kd_quirks *db;
	struct kd_quirk_plan pl;

	(void)state;
	assert_int_equal(kd_quirks_new(ctx, &db), 0);
	assert_int_equal(kd_quirks_add_buffer(db, "a.conf", good1,
					      strlen(good1)), 0);
	assert_int_equal(kd_quirks_add_buffer(db, "b.conf", bad, strlen(bad)),
			 -EINVAL);
	assert_int_equal(kd_quirks_add_buffer(db, "c.conf", good2,
					      strlen(good2)), 0);
	assert_int_equal(kd_quirks_files(db), 2);
	assert_int_equal(kd_quirks_rejected(db), 1);
	assert_int_equal(kd_quirks_count(db), 2);
	assert_int_equal(kd_quirks_match(db, &nic, &pl), 0);
	assert_int_equal(pl.avoid.n, 2);
	assert_false(kd_quirk_plan_avoids(&pl, "pm")); /* from b.conf */
	assert_true(kd_quirk_plan_avoids(&pl, "bus"));
	kd_quirk_plan_clear(&pl);
	kd_quirks_free(db);
}

/* ---- matching ---------------------------------------------------------- */

static bool matches(const char *header, const struct kd_quirk_id *id)
{
	char text[256];
	struct kd_quirks *db;
	struct kd_quirk_plan pl;
	bool ret;

	snprintf(text, sizeof(text), "[%s]\navoid = bus\n", header);
	db = db_of(text, 0);
	assert_int_equal(kd_quirks_match(db, id, &pl), 0);
	ret = !kd_quirk_plan_empty(&pl);
	kd_quirk_plan_clear(&pl);
	kd_quirks_free(db);
	return ret;
}

static void test_match_criteria(void **state)
{
	(void)state;
	assert_true(matches("8086:10ed", &nic));
	assert_true(matches("8086:*", &nic));
	assert_true(matches("*:*", &nic));
	assert_false(matches("8086:10ee", &nic));
	assert_false(matches("1022:*", &nic));
	assert_true(matches("8086:1000/f000", &nic));
	assert_true(matches("8086:1000/ff00", &nic));
	assert_false(matches("8086:1100/ff00", &nic));
	assert_true(matches("subsys=1028:1f60", &nic));
	assert_true(matches("8086:10ed subsys=*:1f60", &nic));
	assert_false(matches("8086:10ed subsys=1028:0000", &nic));
	assert_true(matches("class=0x020000", &nic));
	assert_true(matches("class=0x020000/0xff0000", &nic));
	assert_false(matches("class=0x030000/0xff0000", &nic));
	assert_false(matches("class=0x020001", &nic));
	assert_true(matches("rev=0x01", &nic));
	assert_true(matches("rev=0x00-0x01", &nic));
	assert_false(matches("rev=0x02-0xff", &nic));
	assert_true(matches("8086:10ed rev=1-5 class=020000/ffff00", &nic));
}

static void test_merge_rules(void **state)
{
	/* merge order: specificity first, then load order */
	static const char a[] =
		"[8086:10ed]\n"                 /* specificity 12 */
		"methods = pm, flr, kernel:flr, bus\n"
		"delay-after-reset = 100ms\n"
		"pre = wait 1ms\n"
		"blacklist = ixgbevf\n"
		"[class=0x020000/0xff0000]\n"   /* 1 */
		"methods = bus\n"
		"timeout = 3s\n"
		"avoid = flr\n"
		"post = wait 2ms\n"
		"cmdline = pci=noaer\n";
	static const char b[] =
		"[8086:*]\n"                    /* 4 */
		"delay-after-reset = 1s\n"
		"avoid = pm\n"
		"blacklist = ixgbevf, i40e\n"
		"[8086:10ed]\n"                 /* 12, loaded later: wins */
		"delay-after-reset = 200ms\n"
		"[1022:*]\n"                    /* no match */
		"avoid = bus\n";
	struct kd_quirks *db;
	struct kd_quirk_plan pl;

	(void)state;
	assert_int_equal(kd_quirks_new(ctx, &db), 0);
	assert_int_equal(kd_quirks_add_buffer(db, "a.conf", a, strlen(a)), 0);
	assert_int_equal(kd_quirks_add_buffer(db, "b.conf", b, strlen(b)), 0);
	assert_int_equal(kd_quirks_match(db, &nic, &pl), 0);
	assert_int_equal(pl.n_applied, 4);
	assert_int_equal(kd_quirk_entry_line(pl.applied[0]), 6); /* class */
	assert_int_equal(kd_quirk_entry_line(pl.applied[1]), 1); /* 8086:* */
	assert_string_equal(kd_quirk_entry_file(pl.applied[1]), "b.conf");
	assert_int_equal(kd_quirk_entry_line(pl.applied[2]), 1); /* a 10ed */
	assert_string_equal(kd_quirk_entry_file(pl.applied[2]), "a.conf");
	assert_int_equal(kd_quirk_entry_line(pl.applied[3]), 5); /* b 10ed */

	/* methods: most specific entry's list, avoided ones removed (flr
	 * avoids kernel:flr too, pm from b.conf) */
	assert_ptr_equal(pl.methods_from, pl.applied[2]);
	assert_int_equal(pl.methods.n, 1);
	assert_string_equal(pl.methods.v[0], "bus");
	assert_true(kd_quirk_plan_avoids(&pl, "kernel:flr"));
	assert_true(kd_quirk_plan_avoids(&pl, "kernel:pm"));
	assert_false(kd_quirk_plan_avoids(&pl, "kernel:bus"));
	assert_false(kd_quirk_plan_avoids(&pl, "af-flr"));
	/* scalars: the last writer in merge order */
	assert_int_equal(pl.delay_after_reset_ns, 200000000ull);
	assert_ptr_equal(pl.delay_from, pl.applied[3]);
	assert_int_equal(pl.timeout_ns, 3000000000ull); /* only the class */
	/* steps replace per phase: pre from a 10ed, post from the class */
	assert_int_equal(pl.pre.n, 1);
	assert_ptr_equal(pl.pre_from, pl.applied[2]);
	assert_int_equal(pl.post.n, 1);
	assert_int_equal(pl.post.v[0]->timeout_ns, 2000000ull);
	/* unions, without duplicates, in merge order */
	assert_int_equal(pl.avoid.n, 2);
	assert_string_equal(pl.avoid.v[0], "flr");
	assert_string_equal(pl.avoid.v[1], "pm");
	assert_int_equal(pl.blacklist.n, 2);
	assert_string_equal(pl.blacklist.v[0], "ixgbevf");
	assert_string_equal(pl.blacklist.v[1], "i40e");
	assert_int_equal(pl.cmdline.n, 1);
	kd_quirk_plan_clear(&pl);

	/* avoiding "kernel" removes every kernel method */
	kd_quirks_free(db);
	db = db_of("[8086:10ed]\nmethods = kernel:flr, kernel, flr\n"
		   "avoid = kernel\n", 0);
	assert_int_equal(kd_quirks_match(db, &nic, &pl), 0);
	assert_int_equal(pl.methods.n, 1);
	assert_string_equal(pl.methods.v[0], "flr");
	kd_quirk_plan_clear(&pl);
	kd_quirks_free(db);

	/* nothing matches: an empty plan */
	db = db_of("[1022:*]\navoid = bus\n", 0);
	assert_int_equal(kd_quirks_match(db, &nic, &pl), 0);
	assert_true(kd_quirk_plan_empty(&pl));
	assert_null(pl.methods_from);
	kd_quirk_plan_clear(&pl);
	kd_quirks_free(db);
}

static void test_method_names(void **state)
{
	(void)state;
	assert_true(kd_quirk_method_valid("flr"));
	assert_true(kd_quirk_method_valid("af-flr"));
	assert_true(kd_quirk_method_valid("pm"));
	assert_true(kd_quirk_method_valid("bus"));
	assert_true(kd_quirk_method_valid("virtio"));
	assert_true(kd_quirk_method_valid("quiesce"));
	assert_true(kd_quirk_method_valid("kernel"));
	assert_true(kd_quirk_method_valid("kernel:device_specific"));
	assert_true(kd_quirk_method_valid("kernel:af_flr"));
	assert_true(kd_quirk_method_valid("kernel:cxl_bus"));
	assert_false(kd_quirk_method_valid("kernel:af-flr"));
	assert_false(kd_quirk_method_valid("af_flr"));
	assert_false(kd_quirk_method_valid("kernel:"));
	assert_false(kd_quirk_method_valid(""));
}

/* ---- loading directories ---------------------------------------------- */

static char *mkdir_temp(void)
{
	char *d = strdup("/tmp/kdsafe-quirks-XXXXXX");

	assert_non_null(mkdtemp(d));
	assert_int_equal(chmod(d, 0755), 0);
	return d;
}

static void put_file(const char *dir, const char *name, const char *text,
		     mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void mkdirs(const char *root, const char *sub)
{
	char path[512], *p;

	snprintf(path, sizeof(path), "%s/%s", root, sub);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void rm_rf(char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static void test_load_directories(void **state)
{
	char *root = mkdir_temp(), *extra = mkdir_temp(), lib[512], etc[512],
	     link[600];
	struct kd_ctx_options o = { 0 };
	struct kd_quirks_load_opts lo = { .default_dirs = true };
	const char *dirs[1] = { extra };
	struct kd_ctx *rctx;
	struct kd_quirks *db;
	struct kd_quirk_plan pl;
	bool root_user = geteuid() == 0;

	(void)state;
	mkdirs(root, "usr/lib/kdsafe/quirks.d");
	mkdirs(root, "etc/kdsafe/quirks.d");
	mkdirs(root, "sys/bus/pci/devices");
	snprintf(lib, sizeof(lib), "%s/usr/lib/kdsafe/quirks.d", root);
	snprintf(etc, sizeof(etc), "%s/etc/kdsafe/quirks.d", root);
	/* lib: 10-a (shadowed by etc), 20-b, 30-c (masked), 40-d */
	put_file(lib, "10-a.conf", "[8086:10ed]\navoid = bus\n", 0644);
	put_file(lib, "20-b.conf", "[8086:10ed]\ndelay-after-reset = 1ms\n",
		 0644);
	put_file(lib, "30-c.conf", "[8086:10ed]\navoid = pm\n", 0644);
	put_file(lib, "40-d.conf", "[8086:10ed]\ntimeout = 4s\n", 0644);
	put_file(lib, "README", "not a quirk file\n", 0644);
	put_file(etc, "10-a.conf", "[8086:10ed]\navoid = af-flr\n", 0644);
	/* etc's 05-e sorts first although its directory comes second */
	put_file(etc, "05-e.conf", "[8086:10ed]\ndelay-after-reset = 5ms\n",
		 0644);
	snprintf(link, sizeof(link), "%s/30-c.conf", etc);
	assert_int_equal(symlink("/dev/null", link), 0);
	/* --quirks-dir comes last and overrides by name too */
	put_file(extra, "40-d.conf", "[8086:10ed]\ntimeout = 7s\n", 0644);

	o.sysroot = root;
	o.backend = &kd_sim_backend;
	o.backend_data = sim;
	assert_int_equal(kd_ctx_new(&o, &rctx), 0);
	lo.dirs = dirs;
	lo.n_dirs = 1;
	lo.allow_insecure = !root_user;
	assert_int_equal(kd_quirks_load(rctx, &lo, &db), 0);
	assert_int_equal(kd_quirks_rejected(db), 0);
	assert_int_equal(kd_quirks_files(db), 4); /* 05-e 10-a 20-b 40-d */
	assert_int_equal(kd_quirks_match(db, &nic, &pl), 0);
	assert_int_equal(pl.n_applied, 4);
	assert_non_null(strstr(kd_quirk_entry_file(pl.applied[0]),
			       "etc/kdsafe/quirks.d/05-e.conf"));
	assert_non_null(strstr(kd_quirk_entry_file(pl.applied[1]),
			       "etc/kdsafe/quirks.d/10-a.conf"));
	assert_non_null(strstr(kd_quirk_entry_file(pl.applied[3]),
			       extra));
	assert_false(kd_quirk_plan_avoids(&pl, "bus")); /* shadowed */
	assert_true(kd_quirk_plan_avoids(&pl, "af-flr"));
	assert_false(kd_quirk_plan_avoids(&pl, "pm")); /* masked */
	assert_int_equal(pl.delay_after_reset_ns, 1000000ull); /* 20-b last */
	assert_int_equal(pl.timeout_ns, 7000000000ull);
	kd_quirk_plan_clear(&pl);
	kd_quirks_free(db);

	/* only --quirks-dir */
	lo.default_dirs = false;
	assert_int_equal(kd_quirks_load(rctx, &lo, &db), 0);
	assert_int_equal(kd_quirks_files(db), 1);
	kd_quirks_free(db);

	/* a missing directory is no error */
	dirs[0] = "/nonexistent/kdsafe";
	assert_int_equal(kd_quirks_load(rctx, &lo, &db), 0);
	assert_int_equal(kd_quirks_files(db), 0);
	assert_int_equal(kd_quirks_diag_count(db), 0);
	kd_quirks_free(db);

	kd_ctx_unref(rctx);
	rm_rf(root);
	rm_rf(extra);
}

static void test_insecure_refused(void **state)
{
	char *dir = mkdir_temp(), path[512];
	struct kd_quirks *db;
	const struct kd_quirk_diag *d;

	(void)state;
	put_file(dir, "ww.conf", "[8086:10ed]\navoid = bus\n", 0666);
	put_file(dir, "gw.conf", "[8086:10ed]\navoid = pm\n", 0664);
	put_file(dir, "ok.conf", "[8086:10ed]\navoid = flr\n", 0644);

	assert_int_equal(kd_quirks_new(ctx, &db), 0);
	snprintf(path, sizeof(path), "%s/ww.conf", dir);
	assert_int_equal(kd_quirks_add_file(db, path), -EACCES);
	d = kd_quirks_diag(db, 0);
	assert_non_null(strstr(d->msg, geteuid() == 0 ? "world-writable" :
							"not root"));
	assert_non_null(strstr(d->msg, "--allow-insecure-quirks"));
	snprintf(path, sizeof(path), "%s/gw.conf", dir);
	assert_int_equal(kd_quirks_add_file(db, path), -EACCES);
	d = kd_quirks_diag(db, 1);
	assert_non_null(strstr(d->msg, geteuid() == 0 ? "group-writable" :
							"not root"));
	snprintf(path, sizeof(path), "%s/ok.conf", dir);
	assert_int_equal(kd_quirks_add_file(db, path),
			 geteuid() == 0 ? 0 : -EACCES);
	assert_int_equal(kd_quirks_rejected(db), geteuid() == 0 ? 2 : 3);
	kd_quirks_free(db);

	if (geteuid() == 0) {
		/* owned by someone else */
		snprintf(path, sizeof(path), "%s/ok.conf", dir);
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(kd_quirks_new(ctx, &db), 0);
		assert_int_equal(kd_quirks_add_file(db, path), -EACCES);
		assert_non_null(strstr(kd_quirks_diag(db, 0)->msg,
				       "owned by uid 65534, not root"));
		kd_quirks_free(db);
	}

	/* allowed for tests */
	assert_int_equal(kd_quirks_new(ctx, &db), 0);
	kd_quirks_set_allow_insecure(db, true);
	snprintf(path, sizeof(path), "%s/ww.conf", dir);
	assert_int_equal(kd_quirks_add_file(db, path), 0);
	kd_quirks_free(db);

	/* a group-writable directory is refused as a whole */
	assert_int_equal(chmod(dir, 0775), 0);
	{
		struct kd_quirks_load_opts lo = { .dirs = (const char **)&dir,
						  .n_dirs = 1 };

		assert_int_equal(kd_quirks_load(ctx, &lo, &db), 0);
		assert_int_equal(kd_quirks_files(db), 0);
		assert_non_null(strstr(kd_quirks_diag(db, 0)->msg,
				       "refused directory"));
		kd_quirks_free(db);
	}
	rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_named_registers_and_numbers),
		cmocka_unit_test(test_errors_with_place),
		cmocka_unit_test(test_lexical_errors),
		cmocka_unit_test(test_rejected_file_rest_applies),
		cmocka_unit_test(test_match_criteria),
		cmocka_unit_test(test_merge_rules),
		cmocka_unit_test(test_method_names),
		cmocka_unit_test(test_load_directories),
		cmocka_unit_test(test_insecure_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
