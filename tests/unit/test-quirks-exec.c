// SPDX-License-Identifier: GPL-2.0-or-later
/* Quirk steps performed by the reset executor (reset/quirk-steps.c) on
 * the simulated backend: bytes written, waits taken, poll timeouts, dry
 * runs; and external scripts (environment, timeout kill, exit status,
 * refusal of insecure scripts).  Each runs a quiesce with the quirk as
 * policy, so the steps come first in the recorded operations. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "access/regs.h"
#include "quirks/procs.h"
#include "quirks/quirks.h"
#include "reset/reset.h"
#include "sim.h"

struct fx {
	struct kd_sim *sim;
	struct kd_sim_fn *fn;
	struct kd_ctx *ctx;
	struct kd_dev *dev;
	struct kd_quirks *db;
	struct kd_reset_result res;
	bool insecure;
	unsigned exp, msix;
	char dir[256];
};

static struct fx fx;

/* KDSAFE_TEST_TMPDIR, or build-test/ when run from the source tree (as make
 * check does), or the current directory: absolute, with its real parents */
static const char *test_base_dir(void)
{
	static char base[PATH_MAX];
	const char *env = getenv("KDSAFE_TEST_TMPDIR");
	struct stat st;

	if (!env)
		env = stat("build-test", &st) == 0 && S_ISDIR(st.st_mode) ?
			      "build-test" : ".";
	assert_non_null(realpath(env, base));
	return base;
}

static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.sim = kd_sim_new();
	kd_sim_add_bridge(fx.sim, "00:1c.0", NULL, 3, true);
	fx.fn = kd_sim_add(fx.sim, "01:00.0", "00:1c.0", 0x8086, 0x10d3,
			   0x020000);
	kd_sim_cap_pm(fx.fn, false);
	fx.msix = kd_sim_cap_msix(fx.fn, 4);
	fx.exp = kd_sim_cap_exp(fx.fn, PCI_EXP_TYPE_ENDPOINT, true);
	kd_sim_ecap_aer(fx.fn);
	kd_sim_set_live(fx.fn);
	assert_int_equal(kd_sim_ctx(fx.sim, &fx.ctx), 0);
	assert_int_equal(kd_dev_open(fx.ctx, kd_sim_fn_addr(fx.fn), &fx.dev),
			 0);
	kd_sim_clear_log(fx.sim);
	/* not under /tmp: a world-writable (even sticky) directory on the
	 * way refuses a script; the build directory is the caller's own */
	assert_true(snprintf(fx.dir, sizeof(fx.dir), "%s/kdsafe-qexec-XXXXXX",
			     test_base_dir()) < (int)sizeof(fx.dir));
	assert_non_null(mkdtemp(fx.dir));
	assert_int_equal(chmod(fx.dir, 0755), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	memset(&kd_quirk_script_test_hooks, 0,
	       sizeof(kd_quirk_script_test_hooks));
	kd_reset_result_clear(&fx.res);
	kd_quirks_free(fx.db);
	kd_dev_free(fx.dev);
	kd_ctx_unref(fx.ctx);
	kd_sim_free(fx.sim);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Parses "[8086:10d3]\n" + body into fx.db. */
static void plan_of(const char *body)
{
	char *text;

	assert_true(asprintf(&text, "[8086:10d3]\n%s", body) > 0);
	assert_int_equal(kd_quirks_new(fx.ctx, &fx.db), 0);
	assert_int_equal(kd_quirks_add_buffer(fx.db, "x.conf", text,
					      strlen(text)), 0);
	free(text);
}

/* Quiesces the device with fx.db as policy: 0, or the error that stopped
 * the reset (a failing step's); the ops are in fx.res. */
static int run_on(struct kd_ctx *ctx, bool dry_run)
{
	struct kd_reset_opts o = { .method = KD_RM_QUIESCE, .dry_run = dry_run,
				   .policy_fn = kd_reset_quirk_policy,
				   .policy_data = fx.db };
	int err;

	kd_quirks_set_allow_insecure(fx.db, fx.insecure);
	kd_reset_result_clear(&fx.res);
	err = kd_reset_run(ctx, &o, kd_sim_fn_addr(fx.fn), 1, &fx.res);
	if (err < 0)
		return err;
	assert_true(fx.res.policy_applied);
	return fx.res.status == KD_RS_FAILED ? fx.res.err : 0;
}

static int run(void)
{
	return run_on(fx.ctx, false);
}

/* ---- config and MMIO --------------------------------------------------- */

static void test_config_writes(void **state)
{
	const struct kd_sim_event *w;
	uint16_t cmd_before;

	(void)state;
	cmd_before = (uint16_t)kd_sim_cfg_get(fx.fn, PCI_COMMAND, 2);
	assert_true(cmd_before & PCI_COMMAND_MASTER);
	plan_of("pre = cfg COMMAND.W=0000:0004\n"      /* clear BME, RMW */
		"      cfg 3c.B=5a\n"                  /* full byte */
		"      cfg CAP_MSIX+2.W=4000:4000\n");  /* set Mask All */
	assert_int_equal(run(), 0);
	/* the three steps are the first three writes, recorded as such */
	assert_true(fx.res.n_ops > 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(fx.res.ops[i].kind, KD_OP_CFG_WRITE);
	assert_int_equal(fx.res.ops[0].pos, PCI_COMMAND);
	assert_int_equal(fx.res.ops[0].mask, PCI_COMMAND_MASTER);
	assert_int_equal(fx.res.ops[0].value, cmd_before & ~PCI_COMMAND_MASTER);
	assert_int_equal(fx.res.ops[1].pos, 0x3c);
	assert_int_equal(fx.res.ops[1].mask, 0);
	assert_int_equal(fx.res.ops[2].pos, fx.msix + 2);

	w = kd_sim_find_write(fx.sim, kd_sim_fn_addr(fx.fn), PCI_COMMAND, 0);
	assert_non_null(w);
	assert_int_equal(w->width, 2);
	assert_int_equal(w->value, cmd_before & ~PCI_COMMAND_MASTER);
	w = kd_sim_find_write(fx.sim, kd_sim_fn_addr(fx.fn), 0x3c, 0);
	assert_non_null(w);
	assert_int_equal(w->width, 1);
	assert_int_equal(w->value, 0x5a);
	w = kd_sim_find_write(fx.sim, kd_sim_fn_addr(fx.fn), fx.msix + 2, 0);
	assert_non_null(w);
	assert_true(w->value & PCI_MSIX_FLAGS_MASKALL);
	/* the enable bit kd_sim_set_live set is kept by the masked write */
	assert_true(w->value & PCI_MSIX_FLAGS_ENABLE);
}

static void test_flr_then_poll_until_ready(void **state)
{
	uint64_t sleeps[64];
	size_t n;

	(void)state;
	kd_sim_set_busy_ms(fx.fn, 100);
	plan_of("pre = cfg CAP_EXP+8.W=8000:8000\n"
		"      poll cfg VENDOR_ID=8086 timeout=1s interval=10ms\n");
	assert_int_equal(run(), 0);
	assert_int_equal(kd_sim_resets(fx.fn), 1);
	assert_non_null(kd_sim_find_write(fx.sim, kd_sim_fn_addr(fx.fn),
					  fx.exp + PCI_EXP_DEVCTL, 0));
	n = kd_sim_sleeps(fx.sim, sleeps, 64);
	assert_true(n >= 10 && n <= 11);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sleeps[i], 10000000ull);
}

static void test_poll_timeout(void **state)
{
	uint64_t sleeps[64];
	size_t n;

	(void)state;
	plan_of("pre = poll cfg VENDOR_ID=1234 timeout=50ms interval=10ms\n"
		"      cfg 3c.B=1\n"); /* not reached */
	assert_int_equal(run(), -ETIMEDOUT);
	n = kd_sim_sleeps(fx.sim, sleeps, 64);
	assert_int_equal(n, 5);
	assert_int_equal(kd_sim_total_sleep(fx.sim), 50000000ull);
	assert_int_equal(kd_sim_count(fx.sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	assert_int_equal(fx.res.n_ops, 1);
	assert_int_equal(fx.res.ops[0].kind, KD_OP_POLL);
	assert_int_equal(fx.res.ops[0].result, -ETIMEDOUT);
	assert_int_equal(fx.res.ops[0].waited_ns, 50000000ull);
	assert_non_null(strstr(kd_sim_log_text(fx.sim), "poll timed out"));
}

static void test_mmio_write_and_poll(void **state)
{
	const struct kd_sim_event *e = NULL;

	(void)state;
	kd_sim_bar_reg(fx.fn, 0, 0x100, 0x000000ff, 0);
	kd_sim_bar_reg(fx.fn, 0, 0x104, 0x00000001, 0);
	plan_of("pre = mmio BAR0+100.L=00000000:0000000f\n"
		"      poll mmio BAR0+104.L=1:1 timeout=10ms\n"
		"      wait 5ms\n");
	assert_int_equal(run(), 0);
	assert_int_equal(kd_sim_bar_get(fx.fn, 0, 0x100), 0xf0);
	for (size_t i = 0; i < kd_sim_n_events(fx.sim); i++)
		if (kd_sim_event(fx.sim, i)->kind == KD_SIM_EV_BAR_WRITE)
			e = kd_sim_event(fx.sim, i);
	assert_non_null(e);
	assert_int_equal(e->bar, 0);
	assert_int_equal(e->pos, 0x100);
	assert_int_equal(e->width, 4);
	assert_int_equal(e->value, 0xf0);
	/* the poll matched at once: the only sleep is the wait */
	assert_int_equal(kd_sim_total_sleep(fx.sim), 5000000ull);
	assert_int_equal(fx.res.ops[0].kind, KD_OP_BAR_WRITE);
	assert_int_equal(fx.res.ops[0].value, 0xf0);
	assert_int_equal(fx.res.ops[1].kind, KD_OP_POLL);
	assert_int_equal(fx.res.ops[1].bar, 0);
	assert_int_equal(fx.res.ops[1].pos, 0x104);
	assert_int_equal(fx.res.ops[2].kind, KD_OP_SLEEP);
}

static void test_missing_capability(void **state)
{
	(void)state;
	plan_of("pre = cfg CAP_AF+4.B=1\n");
	assert_int_equal(run(), -ENODEV);
	assert_int_equal(kd_sim_count(fx.sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
	assert_non_null(strstr(kd_sim_log_text(fx.sim), "no such capability"));
}

static void test_dry_run(void **state)
{
	char out[4096] = "", line[256], want[128];

	(void)state;
	plan_of("pre = cfg CAP_EXP+8.W=8000:8000\n"
		"      mmio BAR0+10.L=0\n"
		"      poll cfg 0.W=8086 timeout=1s\n"
		"      wait 100ms\n"
		"      run timeout=2s /bin/false arg\n");
	assert_int_equal(run_on(fx.ctx, true), 0);
	assert_int_equal(kd_sim_n_events(fx.sim), 0);
	for (size_t i = 0; i < fx.res.n_ops && i < 5; i++) {
		kd_reset_op_format(&fx.res.ops[i], line, sizeof(line));
		strncat(out, line, sizeof(out) - strlen(out) - 2);
		strcat(out, "\n");
	}
	snprintf(want, sizeof(want), "config-write 0x%03x w2 0x8000 mask "
		 "0x8000\n", fx.exp + 8);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "bar-write BAR0+0x10 w4 0x00000000\n"));
	assert_non_null(strstr(out, "poll config 0x000 w2 & 0xffff == 0x8086, "
				    "up to 1000 ms\n"));
	assert_non_null(strstr(out, "sleep 100 ms\n"));
	assert_non_null(strstr(out, "run /bin/false arg, up to 2000 ms\n"));
}

static void test_writes_not_enabled(void **state)
{
	struct kd_ctx_options o = { .backend = &kd_sim_backend,
				    .backend_data = fx.sim };
	struct kd_ctx *ro;

	(void)state;
	plan_of("pre = cfg 3c.B=1\n");
	assert_int_equal(kd_ctx_new(&o, &ro), 0);
	kd_ctx_set_log_priority(ro, 0);
	assert_int_equal(run_on(ro, false), -EPERM);
	kd_ctx_unref(ro);
	assert_int_equal(kd_sim_count(fx.sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
}

/* ---- scripts ------------------------------------------------------------ */

static void script(const char *name, const char *body, mode_t mode)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx.dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* scripts made by a non-root test run are not root's */
static void allow_own_scripts(void)
{
	fx.insecure = geteuid() != 0;
}

static void test_script_environment(void **state)
{
	char body[1024], text[1024], out[4096] = "";
	FILE *f;
	size_t n;

	(void)state;
	setenv("KDSAFE_TEST_LEAK", "1", 1);
	snprintf(body, sizeof(body), "env > %s/env.txt\necho \"$@\" >> "
		 "%s/env.txt\n", fx.dir, fx.dir);
	script("env.sh", body, 0755);
	snprintf(text, sizeof(text), "post = run %s/env.sh one two;three\n",
		 fx.dir);
	plan_of(text);
	allow_own_scripts();
	assert_int_equal(run(), 0);
	assert_int_equal(fx.res.ops[fx.res.n_ops - 1].kind, KD_OP_RUN);
	assert_int_equal(fx.res.ops[fx.res.n_ops - 1].result, 0);
	unsetenv("KDSAFE_TEST_LEAK");
	snprintf(text, sizeof(text), "%s/env.txt", fx.dir);
	f = fopen(text, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	fclose(f);
	out[n] = '\0';
	assert_non_null(strstr(out, "KDSAFE_DEVICE=0000:01:00.0\n"));
	assert_non_null(strstr(out, "KDSAFE_PHASE=post\n"));
	assert_non_null(strstr(out, "KDSAFE_VENDOR=8086\n"));
	assert_non_null(strstr(out, "KDSAFE_DEVICE_ID=10d3\n"));
	assert_non_null(strstr(out, "KDSAFE_CLASS=020000\n"));
	assert_non_null(strstr(out, "KDSAFE_SYSFS=/sys/bus/pci/devices/"
				    "0000:01:00.0\n"));
	assert_non_null(strstr(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"));
	assert_null(strstr(out, "KDSAFE_TEST_LEAK"));
	assert_null(strstr(out, "HOME="));
	/* arguments arrive as written, no shell in between */
	assert_non_null(strstr(out, "one two;three\n"));
}

static void test_script_timeout_killed(void **state)
{
	struct timespec t0, t1;
	char text[1024];
	double s;

	(void)state;
	/* a child of the script holds on too: the whole group dies */
	script("slow.sh", "sleep 30 &\nsleep 30\n", 0755);
	snprintf(text, sizeof(text), "pre = run timeout=200ms %s/slow.sh\n",
		 fx.dir);
	plan_of(text);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	allow_own_scripts();
	assert_int_equal(run(), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(s >= 0.19 && s < 5.0);
	assert_non_null(strstr(kd_sim_log_text(fx.sim), "killed"));
}

static void test_script_exit_status(void **state)
{
	char text[1024];

	(void)state;
	script("fail.sh", "exit 3\n", 0755);
	snprintf(text, sizeof(text), "pre = run %s/fail.sh\n"
		 "      cfg 3c.B=1\n", fx.dir);
	plan_of(text);
	allow_own_scripts();
	assert_int_equal(run(), -EIO);
	assert_int_equal(fx.res.ops[0].kind, KD_OP_RUN);
	assert_int_equal(fx.res.ops[0].result, -EIO);
	assert_non_null(strstr(kd_sim_log_text(fx.sim), "exited with status 3"));
	/* the sequence stops at the failing step */
	assert_int_equal(kd_sim_count(fx.sim, KD_SIM_EV_CFG_WRITE, NULL), 0);
}

static void test_script_refused_or_missing(void **state)
{
	char text[1024];

	(void)state;
	script("ww.sh", "exit 0\n", 0777);
	script("noexec.sh", "exit 0\n", 0644);
	snprintf(text, sizeof(text), "pre = run %s/ww.sh\n", fx.dir);
	plan_of(text);
	assert_int_equal(run(), -EACCES);
	assert_non_null(strstr(kd_sim_log_text(fx.sim), "refusing script"));
	kd_quirks_free(fx.db);
	/* not executable: refused as execve would */
	snprintf(text, sizeof(text), "pre = run %s/noexec.sh\n", fx.dir);
	plan_of(text);
	allow_own_scripts();
	assert_int_equal(run(), -EACCES);
	assert_non_null(strstr(kd_sim_log_text(fx.sim), "noexec.sh: not executable"));
	kd_quirks_free(fx.db);
	fx.insecure = false;
	plan_of("pre = run /nonexistent/kdsafe-script\n");
	assert_int_equal(run(), -ENOENT);
}

/* ---- what was checked is what runs -------------------------------------- */

/* fx.dir/NAME */
static const char *at(const char *name)
{
	static char path[4][PATH_MAX];
	static unsigned i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", fx.dir, name);
	return path[i];
}

/* fx.dir/NAME with "#!INTERP\n" + body, mode, owner uid */
static void program(const char *name, const char *interp, const char *body,
		    mode_t mode, uid_t uid)
{
	FILE *f = fopen(at(name), "w");

	assert_non_null(f);
	fprintf(f, "#!%s\n%s", interp, body);
	fclose(f);
	assert_int_equal(chmod(at(name), mode), 0);
	assert_int_equal(chown(at(name), uid, 0), 0);
}

/* a copy of the system shell at fx.dir/NAME, as an interpreter */
static void shell_copy(const char *name, mode_t mode)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "cp /bin/sh '%s'", at(name));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(at(name), mode), 0);
}

/* the contents of fx.dir/NAME ("" when missing) */
static const char *slurp(const char *name)
{
	static char buf[1024];
	FILE *f = fopen(at(name), "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* plan: pre = run fx.dir/NAME [ARGS] */
static void plan_run(const char *name, const char *args)
{
	char text[PATH_MAX + 128];

	snprintf(text, sizeof(text), "pre = run timeout=5s %s%s%s\n", at(name),
		 args ? " " : "", args ? args : "");
	plan_of(text);
}

/* the test hook: an attacker renames their file over the checked path */
static void swap_in(const char *path, void *data)
{
	assert_int_equal(rename((const char *)data, path), 0);
}

static void test_script_swapped_after_check_runs_checked(void **state)
{
	char body[PATH_MAX + 64];

	(void)state;
	snprintf(body, sizeof(body), "echo original > %s\n", at("ran"));
	program("s.sh", "/bin/sh", body, 0755, 0);
	/* another user's file: never checked, never to run as root */
	snprintf(body, sizeof(body), "echo hostile > %s\n", at("ran"));
	program("evil.sh", "/bin/sh", body, 0755, 1000);
	plan_run("s.sh", NULL);
	kd_quirk_script_test_hooks.after_check = swap_in;
	kd_quirk_script_test_hooks.data = (void *)at("evil.sh");
	assert_int_equal(run(), 0);
	assert_string_equal(slurp("ran"), "original\n");
}

static void test_interpreter_swapped_after_check_runs_checked(void **state)
{
	char body[PATH_MAX + 64];

	(void)state;
	shell_copy("sh", 0755);
	snprintf(body, sizeof(body), "echo original > %s\n", at("ran"));
	program("s.sh", at("sh"), body, 0755, 0);
	snprintf(body, sizeof(body), "echo hostile > %s\n", at("ran"));
	program("evil-sh", "/bin/sh", body, 0755, 1000);
	plan_run("s.sh", NULL);
	kd_quirk_script_test_hooks.after_check = swap_in;
	kd_quirk_script_test_hooks.data = (void *)at("evil-sh");
	assert_int_equal(run(), 0);
	assert_string_equal(slurp("ran"), "original\n");
}

static void test_script_group_writable_parent_refused(void **state)
{
	(void)state;
	assert_int_equal(mkdir(at("gw"), 0775), 0);
	assert_int_equal(chmod(at("gw"), 0775), 0);
	program("gw/s.sh", "/bin/sh", "exit 0\n", 0755, 0);
	plan_run("gw/s.sh", NULL);
	assert_int_equal(run(), -EACCES);
	assert_non_null(strstr(kd_sim_log_text(fx.sim), at("gw")));
	assert_non_null(strstr(kd_sim_log_text(fx.sim), "group-writable"));
	/* reached through a symlink, the directory is refused all the same */
	assert_int_equal(symlink("gw", at("link")), 0);
	kd_quirks_free(fx.db);
	plan_run("link/s.sh", NULL);
	assert_int_equal(run(), -EACCES);
}

static void test_script_in_sticky_tmp_refused(void **state)
{
	char dir[] = "/tmp/kdsafe-sticky-XXXXXX", path[64], text[128];
	FILE *f;
	int err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/s.sh", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	snprintf(text, sizeof(text), "pre = run %s\n", path);
	plan_of(text);
	err = run();
	unlink(path);
	rmdir(dir);
	assert_int_equal(err, -EACCES);
	assert_non_null(strstr(kd_sim_log_text(fx.sim), "directory /tmp: "
				    "world-writable"));
}

static void test_script_other_owner_refused_even_insecure(void **state)
{
	(void)state;
	program("s.sh", "/bin/sh", "exit 0\n", 0755, 1000);
	plan_run("s.sh", NULL);
	/* --allow-insecure-quirks accepts the caller's own files only */
	fx.insecure = true;
	assert_int_equal(run(), -EACCES);
	assert_non_null(strstr(kd_sim_log_text(fx.sim), "owned by uid 1000"));
}

static void test_interpreter_group_writable_refused(void **state)
{
	char body[PATH_MAX + 64];

	(void)state;
	shell_copy("sh", 0775);
	snprintf(body, sizeof(body), "echo ran > %s\n", at("ran"));
	program("s.sh", at("sh"), body, 0755, 0);
	plan_run("s.sh", NULL);
	assert_int_equal(run(), -EACCES);
	assert_string_equal(slurp("ran"), "");
	assert_non_null(strstr(kd_sim_log_text(fx.sim), "interpreter"));
	assert_non_null(strstr(kd_sim_log_text(fx.sim), "group-writable"));
}

static void test_interpreter_that_is_a_script_refused(void **state)
{
	char body[PATH_MAX + 64];

	(void)state;
	/* the kernel would open /bin/sh for it by path, unchecked */
	program("interp", "/bin/sh", "exit 0\n", 0755, 0);
	snprintf(body, sizeof(body), "echo ran > %s\n", at("ran"));
	program("s.sh", at("interp"), body, 0755, 0);
	plan_run("s.sh", NULL);
	assert_int_equal(run(), -ENOEXEC);
	assert_string_equal(slurp("ran"), "");
	assert_non_null(strstr(kd_sim_log_text(fx.sim), "itself a `#!` "
				    "script"));
}

static void test_interpreter_good_runs_with_args(void **state)
{
	char body[PATH_MAX + 64], interp[PATH_MAX + 8];

	(void)state;
	shell_copy("sh", 0755);
	/* the `#!` line's one optional argument, then the script, then
	 * the step's arguments */
	snprintf(interp, sizeof(interp), "%s -e", at("sh"));
	snprintf(body, sizeof(body), "echo \"$@\" > %s\nfalse\necho no >> "
		 "%s\n", at("ran"), at("ran"));
	program("s.sh", interp, body, 0755, 0);
	plan_run("s.sh", "a 'b c'");
	assert_int_equal(run(), -EIO); /* -e stopped it at false */
	assert_string_equal(slurp("ran"), "a 'b c'\n");
}

static void test_script_inherits_no_descriptor(void **state)
{
	char body[256];
	int fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC: a leak */

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 57), 57);
	close(fd);
	snprintf(body, sizeof(body), "[ -e /proc/$$/fd/57 ] && exit 9\n"
		 "exit 0\n");
	program("s.sh", "/bin/sh", body, 0755, 0);
	plan_run("s.sh", NULL);
	assert_int_equal(run(), 0);
	close(57);
}

/* /proc/PID/stat's fields counted after comm's last ')': a comm made of
 * spaces and parentheses does not shift them (the descendant search and
 * kdsafe hook's "since exec" read them) */
static void proc_stat_fields_past_a_hostile_comm(void **state)
{
	char buf[1024], old[17] = "", ppid[32];
	const char *f;

	(void)state;
	prctl(PR_GET_NAME, old, 0, 0, 0);
	assert_int_equal(prctl(PR_SET_NAME, "x) Z 1 (y) ", 0, 0, 0), 0);
	f = kd_proc_stat_field("self", 3, buf, sizeof(buf));
	assert_non_null(f);
	assert_true(f[0] == 'R' && f[1] == ' ');
	snprintf(ppid, sizeof(ppid), "%ld ", (long)getppid());
	f = kd_proc_stat_field("self", 4, buf, sizeof(buf));
	assert_non_null(f);
	assert_int_equal(strncmp(f, ppid, strlen(ppid)), 0);
	assert_null(kd_proc_stat_field("self", 99, buf, sizeof(buf)));
	assert_null(kd_proc_stat_field("no-such-pid", 3, buf, sizeof(buf)));
	prctl(PR_SET_NAME, old, 0, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proc_stat_fields_past_a_hostile_comm),
		cmocka_unit_test_setup_teardown(test_config_writes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_flr_then_poll_until_ready,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mmio_write_and_poll, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_capability, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes_not_enabled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_script_environment, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_script_timeout_killed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_script_exit_status, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_script_refused_or_missing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_script_swapped_after_check_runs_checked,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_interpreter_swapped_after_check_runs_checked,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_script_group_writable_parent_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_script_in_sticky_tmp_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_script_other_owner_refused_even_insecure,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_interpreter_group_writable_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_interpreter_that_is_a_script_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_interpreter_good_runs_with_args,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_script_inherits_no_descriptor,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
