// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Crash-cycle campaigns on the simulator: the plan's grouping, next's
 * order (intent on disk before kexec, crash only when asked, refusal
 * without crash memory), the step run in a forked child as a separate
 * boot with an injected loader and health check, and the whitelist's
 * verdicts over the journal they produce.  Four devices: A works only
 * after a reset, B kills the machine when loaded unreset, C always fails
 * health, D is flaky.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "access/regs.h"
#include "campaign/campaign.h"
#include "sim.h"
#include "testctx.h"
#include "whitelist/whitelist.h"

#define N_DEV 4
static const char *const addrs[N_DEV] = { "01:00.0", "02:00.0", "03:00.0",
					  "04:00.0" };

struct world {
	struct kd_sim *sim;
	struct kd_sim_fn *fn[N_DEV];
	struct kd_ctx *ctx;
	char root[64], dir[128], journal[256];
	unsigned baseline[N_DEV];
	bool flaky_ok;
	/* recorded actions */
	char runs[8][512];
	unsigned n_runs, n_crash, n_loads;
	bool intent_before_run;
	int write_fail_at, writes; /* ENOSPC injection */
};

static struct world *W;

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	static const char *const bridges[N_DEV] = { "00:1c.0", "00:1d.0",
						    "00:1e.0", "00:1b.0" };
	struct world *w = calloc(1, sizeof(*w));
	struct kd_ctx_options o = { .backend = &kd_sim_backend,
				    .log_priority = KD_LOG_ERR };
	struct kd_clock clock;
	char path[256];

	assert_non_null(w);
	w->sim = kd_sim_new();
	for (int i = 0; i < N_DEV; i++) {
		kd_sim_add_bridge(w->sim, bridges[i], NULL, 2, true);
		w->fn[i] = kd_sim_add(w->sim, addrs[i], bridges[i], 0x8086,
				      (uint16_t)(0x1001 + i), 0x020000);
		kd_sim_cap_pm(w->fn[i], false);
		kd_sim_cap_msi(w->fn[i]);
		kd_sim_cap_exp(w->fn[i], PCI_EXP_TYPE_ENDPOINT, true);
		kd_sim_set_live(w->fn[i]);
	}
	kd_sim_bind(w->fn[0], "drv_a");
	kd_sim_bind(w->fn[1], "drv_b");
	kd_sim_bind(w->fn[2], "drv_c");
	kd_sim_bind(w->fn[3], "drv_d");
	strcpy(w->root, "/tmp/kdsafe-campaign-XXXXXX");
	assert_non_null(mkdtemp(w->root));
	snprintf(w->dir, sizeof(w->dir), "%s/results", w->root);
	snprintf(w->journal, sizeof(w->journal), "%s/%s", w->dir,
		 KD_JOURNAL_FILE);
	assert_int_equal(mkdir(w->dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc", w->root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/machine-id", w->root);
	put(path, "0123456789abcdef\n");
	snprintf(path, sizeof(path), "%s/sys", w->root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel", w->root);
	mkdir(path, 0755);
	o.sysroot = w->root;
	o.backend_data = w->sim;
	assert_int_equal(kd_ctx_new(&o, &w->ctx), 0);
	clock = kd_sim_clock(w->sim);
	kd_ctx_set_clock(w->ctx, &clock);
	assert_int_equal(kd_ctx_enable_writes(w->ctx, false), 0);
	W = w;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	char cmd[256];

	kd_ctx_unref(w->ctx);
	kd_sim_free(w->sim);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->root);
	assert_int_equal(system(cmd), 0);
	free(w);
	return 0;
}

static void crash_memory(struct world *w, const char *size)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/sys/kernel/kexec_crash_size",
		 w->root);
	put(path, size);
}

static void plan(struct world *w, unsigned repeat)
{
	struct kd_plan_opts o = { .repeat = repeat };
	struct kd_plan p;

	assert_int_equal(kd_plan_build(w->ctx, &o, &p), 0);
	assert_int_equal(kd_plan_save(w->ctx, w->dir, &p), 0);
	kd_plan_clear(&p);
}

static bool journal_has(const char *path, const char *needle)
{
	char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* ---- injected actions ---------------------------------------------------- */

static int fake_run(void *data, struct kd_ctx *ctx, char *const argv[])
{
	struct world *w = data;
	size_t len = 0;

	(void)ctx;
	w->intent_before_run = journal_has(w->journal, "\"step\":\"cycle\"");
	for (size_t i = 0; argv[i]; i++)
		len += (size_t)snprintf(w->runs[w->n_runs % 8] + len,
					sizeof(w->runs[0]) - len, "%s%s",
					i ? " " : "", argv[i]);
	w->n_runs++;
	return 0;
}

static int fake_crash(void *data, struct kd_ctx *ctx)
{
	(void)ctx;
	((struct world *)data)->n_crash++;
	return 0;
}

static int device_index(const char *address)
{
	for (int i = 0; i < N_DEV; i++)
		if (strcmp(address + 5, addrs[i]) == 0)
			return i;
	return -1;
}

/* A: binds only after a reset; B: kills the machine when loaded unreset;
 * C: binds (health fails); D: binds when flaky_ok. */
static int fake_load(void *data, struct kd_ctx *ctx, const char *module,
		     const char *address)
{
	struct world *w = data;
	int i = device_index(address);
	bool reset;

	(void)ctx;
	w->n_loads++;
	assert_true(i >= 0);
	reset = kd_sim_resets(w->fn[i]) > w->baseline[i];
	if (i == 1 && !reset)
		_exit(9); /* the machine dies mid-load */
	if ((i == 0 && !reset) || (i == 3 && !w->flaky_ok))
		return -EIO;
	kd_sim_bind(w->fn[i], module);
	return 0;
}

static int fake_health(void *data, struct kd_ctx *ctx, struct kd_dev *dev,
		       const struct kd_probe_info *before,
		       uint64_t timeout_ns, char *why, size_t len)
{
	(void)data;
	if (strcmp(kd_dev_name(dev) + 5, addrs[2]) == 0) {
		snprintf(why, len, "link down");
		return -EIO;
	}
	return kd_campaign_health(ctx, dev, before, NULL, NULL, timeout_ns,
				  why, len);
}

static ssize_t io_write(void *data, int fd, const void *buf, size_t len)
{
	struct world *w = data;

	if (w->write_fail_at && ++w->writes >= w->write_fail_at) {
		errno = ENOSPC;
		return -1;
	}
	return write(fd, buf, len);
}

static int io_fsync(void *data, int fd)
{
	(void)data;
	return fsync(fd);
}

static int io_ftruncate(void *data, int fd, off_t len)
{
	(void)data;
	return ftruncate(fd, len);
}

static struct kd_campaign_ops ops(struct world *w)
{
	return (struct kd_campaign_ops){ .run = fake_run, .crash = fake_crash,
					 .load = fake_load,
					 .health = fake_health, .data = w };
}

/* A fresh crash: every device live and unbound, as a capture kernel
 * finds it. */
static void crash_state(struct world *w)
{
	for (int i = 0; i < N_DEV; i++) {
		kd_sim_bind(w->fn[i], "");
		kd_sim_set_live(w->fn[i]);
		w->baseline[i] = kd_sim_resets(w->fn[i]);
	}
}

/* The step as a separate boot: a child process that may die. */
static int step_child(struct world *w, unsigned cycle)
{
	struct kd_step_opts so = { .dir = w->dir, .cycle = cycle };
	struct kd_campaign_ops o = ops(w);
	struct kd_step_summary sum;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(kd_campaign_step(w->ctx, &so, &o, &sum) < 0 ? 1 : 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_plan_groups_variants_into_cycles(void **state)
{
	struct world *w = *state;
	struct json_object *o;
	struct kd_plan p, q;

	plan(w, 2);
	assert_int_equal(kd_plan_load(w->ctx, w->dir, &p), 0);
	assert_int_equal(p.n_devices, N_DEV);
	/* none, quiesce, flr, pm, bus for each: 5 variants x 2 repeats */
	assert_int_equal(p.n_cycles, 10);
	assert_string_equal(p.cycles[0].variant, "none");
	assert_string_equal(p.cycles[2].variant, "flr");
	assert_int_equal(p.cycles[2].n, N_DEV);
	assert_string_equal(p.cycles[5].variant, "none");
	assert_int_equal(p.cycles[5].repeat, 2);
	assert_string_equal(p.devices[0].driver, "drv_a");
	o = kd_plan_to_json(&p);
	assert_int_equal(kd_plan_from_json(w->ctx, o, &q), 0);
	assert_int_equal(q.n_cycles, p.n_cycles);
	assert_string_equal(q.cycles[9].variant, p.cycles[9].variant);
	json_object_put(o);
	kd_plan_clear(&q);
	kd_plan_clear(&p);
}

static void test_next_refuses_without_crash_memory(void **state)
{
	struct world *w = *state;
	struct kd_next_opts no = { .kernel = "vmlinuz", .initrd = "initrd",
				   .crash = true };
	struct kd_campaign_ops o = ops(w);
	unsigned cycle;

	plan(w, 1);
	assert_int_equal(kd_campaign_next(w->ctx, w->dir, &no, &o, &cycle),
			 -ENOEXEC);
	crash_memory(w, "0\n");
	assert_int_equal(kd_campaign_next(w->ctx, w->dir, &no, &o, &cycle),
			 -ENOEXEC);
	assert_int_equal(w->n_runs, 0);
	assert_int_equal(w->n_crash, 0);
	assert_false(journal_has(w->journal, "intent"));
}

static void test_next_writes_intent_before_kexec(void **state)
{
	struct world *w = *state;
	struct kd_next_opts no = { .kernel = "vmlinuz", .initrd = "initrd",
				   .append = "irqpoll" };
	struct kd_campaign_ops o = ops(w);
	char want[512];
	unsigned cycle;

	plan(w, 1);
	crash_memory(w, "268435456\n");
	assert_int_equal(kd_campaign_next(w->ctx, w->dir, &no, &o, &cycle), 0);
	assert_int_equal(cycle, 1);
	assert_true(w->intent_before_run);
	snprintf(want, sizeof(want), "kexec -p vmlinuz --initrd=initrd "
		 "--append=irqpoll kdsafe.step=%s:1", w->dir);
	assert_string_equal(w->runs[0], want);
	assert_int_equal(w->n_crash, 0); /* no --crash */
	no.crash = true;
	assert_int_equal(kd_campaign_next(w->ctx, w->dir, &no, &o, &cycle), 0);
	assert_int_equal(cycle, 2);
	assert_int_equal(w->n_crash, 1);
	/* cycle 1 never stepped: recovered as hangs before cycle 2 began */
	assert_true(journal_has(w->journal, "\"outcome\":\"hang\""));
}

/* --results relative: the capture kernel gets the absolute DIR (its own
 * working directory is not this one) */
static void test_next_relative_results_absolute_step(void **state)
{
	struct world *w = *state;
	struct kd_next_opts no = { .kernel = "vmlinuz", .initrd = "initrd" };
	struct kd_campaign_ops o = ops(w);
	char want[PATH_MAX + 100], real[PATH_MAX];
	unsigned cycle;
	int here = open(".", O_RDONLY | O_DIRECTORY);

	plan(w, 1);
	crash_memory(w, "268435456\n");
	assert_true(here >= 0);
	assert_int_equal(chdir(w->root), 0);
	assert_int_equal(kd_campaign_next(w->ctx, "results", &no, &o, &cycle),
			 0);
	assert_int_equal(fchdir(here), 0);
	close(here);
	assert_non_null(realpath(w->dir, real));
	snprintf(want, sizeof(want), "kexec -p vmlinuz --initrd=initrd "
		 "--append=kdsafe.step=%s:1", real);
	assert_string_equal(w->runs[0], want);
}

static void test_step_arg(void **state)
{
	struct world *w = *state;
	char dir[256];
	unsigned cycle = 0;

	assert_int_equal(kd_campaign_step_arg(w->ctx, "ro quiet "
		"kdsafe.step=/var/crash/c:12 irqpoll", dir, sizeof(dir),
		&cycle), 1);
	assert_string_equal(dir, "/var/crash/c");
	assert_int_equal(cycle, 12);
	assert_int_equal(kd_campaign_step_arg(w->ctx, "ro xkdsafe.step=/a:1",
					      dir, sizeof(dir), &cycle), 0);
	assert_int_equal(kd_campaign_step_arg(w->ctx, "kdsafe.step=/a:x",
					      dir, sizeof(dir), &cycle),
			 -EINVAL);
	/* a cycle past UINT_MAX is not cycle 1 (2^32 + 1), nor is -1 one */
	assert_int_equal(kd_campaign_step_arg(w->ctx,
			 "kdsafe.step=/a:4294967297", dir, sizeof(dir),
			 &cycle), -EINVAL);
	assert_int_equal(kd_campaign_step_arg(w->ctx, "kdsafe.step=/a:-1",
					      dir, sizeof(dir), &cycle),
			 -EINVAL);
	/* a relative DIR would depend on the working directory */
	assert_int_equal(kd_campaign_step_arg(w->ctx, "kdsafe.step=a/b:1",
					      dir, sizeof(dir), &cycle),
			 -EINVAL);
}

static const struct kd_wl_device *wl_find(struct kd_wl_device *const *devs,
					  size_t n, uint16_t device)
{
	for (size_t i = 0; i < n; i++)
		if (devs[i]->device == device)
			return devs[i];
	return NULL;
}

/* The whole plan, cycle after cycle, then the whitelist. */
static void test_campaign_runs_to_verdicts(void **state)
{
	struct world *w = *state;
	struct kd_next_opts no = { .kernel = "vmlinuz", .initrd = "initrd",
				   .crash = true };
	struct kd_campaign_ops o = ops(w);
	struct kd_wl_device *const *devs;
	const struct kd_wl_device *d;
	struct kd_campaign_progress pr;
	struct kd_plan p;
	struct kd_wl *wl;
	unsigned cycle;
	size_t n;

	plan(w, 2);
	crash_memory(w, "268435456\n");
	for (unsigned k = 1; k <= 10; k++) {
		assert_int_equal(kd_campaign_next(w->ctx, w->dir, &no, &o,
						  &cycle), 0);
		assert_int_equal(cycle, k);
		crash_state(w);
		w->flaky_ok = k % 2;
		/* B dies in the none and quiesce cycles: exit 9 */
		assert_int_equal(step_child(w, cycle),
				 (k % 5 == 1 || k % 5 == 2) ? 9 : 0);
	}
	/* the last next finds the plan finished (and recovers nothing) */
	assert_int_equal(kd_campaign_next(w->ctx, w->dir, &no, &o, &cycle), 0);
	assert_int_equal(cycle, 0);
	assert_int_equal(kd_plan_load(w->ctx, w->dir, &p), 0);
	assert_int_equal(kd_campaign_progress(w->ctx, w->dir, &p, &pr), 0);
	assert_int_equal(pr.done, 10);
	assert_int_equal(pr.next, 0);
	assert_int_equal(pr.counts[KD_OUTCOME_DIED_LOADING], 4);
	assert_int_equal(pr.counts[KD_OUTCOME_NOT_REACHED], 8);
	json_object_put(pr.last);
	kd_plan_clear(&p);
	assert_true(journal_has(w->journal, "\"note\":\"loading drv_b for "
					    "0000:02:00.0\""));

	assert_int_equal(kd_wl_new(w->ctx, &wl), 0);
	assert_int_equal(kd_wl_add_path(wl, w->journal), 0);
	assert_int_equal(kd_wl_finish(wl, &devs, &n), 0);
	assert_int_equal(n, N_DEV);
	d = wl_find(devs, n, 0x1001); /* A: only after a reset */
	assert_int_equal(d->verdict, KD_WL_SAFE_WITH);
	assert_string_equal(d->fix->variant, "flr");
	d = wl_find(devs, n, 0x1002); /* B: dies unreset */
	assert_int_equal(d->verdict, KD_WL_SAFE_WITH);
	assert_string_equal(d->fix->variant, "flr");
	d = wl_find(devs, n, 0x1003); /* C: health always fails */
	assert_int_equal(d->verdict, KD_WL_UNSAFE);
	d = wl_find(devs, n, 0x1004); /* D: flaky */
	assert_int_equal(d->verdict, KD_WL_INCONSISTENT);
	kd_wl_free(wl);
}

static void test_step_torn_line_and_closed_cycle(void **state)
{
	struct world *w = *state;
	struct kd_next_opts no = { .kernel = "vmlinuz", .initrd = "initrd" };
	struct kd_campaign_ops o = ops(w);
	struct kd_campaign_progress pr;
	struct kd_plan p;
	unsigned cycle;
	FILE *f;

	plan(w, 1);
	crash_memory(w, "1\n");
	assert_int_equal(kd_campaign_next(w->ctx, w->dir, &no, &o, &cycle), 0);
	f = fopen(w->journal, "a");
	fputs("{\"schema\":1,\"kind\":\"outc", f); /* torn by a crash */
	fclose(f);
	crash_state(w);
	w->flaky_ok = true;
	assert_int_equal(step_child(w, 1), 9); /* none: B dies */
	assert_int_equal(kd_plan_load(w->ctx, w->dir, &p), 0);
	assert_int_equal(kd_campaign_progress(w->ctx, w->dir, &p, &pr), 0);
	assert_int_equal(pr.st.torn, 0);    /* sealed by the step's open */
	assert_int_equal(pr.st.malformed, 1); /* ...and reported */
	assert_int_equal(pr.open, 1);
	json_object_put(pr.last);
	/* the next boot's step recovers cycle 1 and does not re-run it */
	w->n_loads = 0;
	assert_int_equal(step_child(w, 1), 0);
	assert_int_equal(kd_campaign_progress(w->ctx, w->dir, &p, &pr), 0);
	assert_int_equal(pr.open, 0);
	assert_int_equal(pr.done, 1);
	assert_int_equal(pr.counts[KD_OUTCOME_DIED_LOADING], 1);
	json_object_put(pr.last);
	kd_plan_clear(&p);
}

static void test_step_stops_on_enospc(void **state)
{
	struct world *w = *state;
	struct kd_next_opts no = { .kernel = "vmlinuz", .initrd = "initrd" };
	struct kd_journal_io io = { .write = io_write, .fsync = io_fsync,
				    .ftruncate = io_ftruncate, .data = w };
	struct kd_step_opts so = { .dir = w->dir, .cycle = 1, .io = &io };
	struct kd_campaign_ops o = ops(w);
	struct kd_step_summary sum;
	unsigned cycle;

	plan(w, 1);
	crash_memory(w, "1\n");
	assert_int_equal(kd_campaign_next(w->ctx, w->dir, &no, &o, &cycle), 0);
	crash_state(w);
	/* cycle 1 is none: A's load intent (write 1) and outcome (2), then
	 * B's load intent fails: B must not be loaded (it would kill us) */
	w->write_fail_at = 3;
	w->n_loads = 0;
	assert_int_equal(kd_campaign_step(w->ctx, &so, &o, &sum), -ENOSPC);
	assert_int_equal(w->n_loads, 1);
	assert_false(journal_has(w->journal, "loading drv_b"));
}

/* Health finds the interface or disk where the kernel puts it: a
 * virtio function's virtioN/net and virtioN/block one level down, an NVMe
 * namespace among the controller's other entries, a multipath path device
 * by its head; links (driver, subsystem) are not followed. */
static void mk(const char *root, const char *rel, bool dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (dir)
		assert_int_equal(mkdir(path, 0755), 0);
	else
		assert_int_equal(close(open(path, O_CREAT | O_WRONLY, 0644)), 0);
}

static void test_health_finds_nested_devices(void **state)
{
	char root[] = "/tmp/kdsafe-health.XXXXXX", dev[PATH_MAX];
	char name[64], where[PATH_MAX];
	static const char *const tree[] = {
		"+vnet", "+vnet/virtio1", "+vnet/virtio1/net",
		"+vnet/virtio1/net/eth0", "vnet/virtio1/net/eth0/operstate",
		"+vblk", "+vblk/virtio2", "+vblk/virtio2/block",
		"+vblk/virtio2/block/vda",
		"+nvme", "+nvme/nvme", "+nvme/nvme/nvme0",
		"nvme/nvme/nvme0/firmware_rev", "+nvme/nvme/nvme0/ng0n1",
		"+nvme/nvme/nvme0/nvme0c0n1",
		"+flat", "+flat/nvme", "+flat/nvme/nvme1",
		"+flat/nvme/nvme1/nvme1n2",
		"+none", "+none/power",
	};

	(void)state;
	assert_non_null(mkdtemp(root));
	for (size_t i = 0; i < sizeof(tree) / sizeof(tree[0]); i++) {
		bool d = tree[i][0] == '+';

		mk(root, tree[i] + d, d);
	}
	snprintf(dev, sizeof(dev), "%s/vnet", root);
	assert_int_equal(kd_health_net_name(dev, name, sizeof(name), where,
					    sizeof(where)), 0);
	assert_string_equal(name, "eth0");
	assert_non_null(strstr(where, "/vnet/virtio1/net/eth0"));
	snprintf(dev, sizeof(dev), "%s/vblk", root);
	assert_int_equal(kd_health_block_name(dev, name, sizeof(name)), 0);
	assert_string_equal(name, "vda");
	snprintf(dev, sizeof(dev), "%s/nvme", root);
	assert_int_equal(kd_health_block_name(dev, name, sizeof(name)), 0);
	assert_string_equal(name, "nvme0n1");
	snprintf(dev, sizeof(dev), "%s/flat", root);
	assert_int_equal(kd_health_block_name(dev, name, sizeof(name)), 0);
	assert_string_equal(name, "nvme1n2");
	snprintf(dev, sizeof(dev), "%s/none", root);
	assert_int_equal(kd_health_block_name(dev, name, sizeof(name)),
			 -ENOENT);
	assert_int_equal(kd_health_net_name(dev, name, sizeof(name), where,
					    sizeof(where)), -ENOENT);
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		assert_int_equal(system(cmd), 0);
	}
}

/* The disk health reads, SYSROOT/dev/NAME, goes through the access layer:
 * a FIFO there (open() blocked on it before) or a link out of the sysroot
 * fails the check at once, named; a missing disk is waited for. */
static void test_health_disk_read_is_bounded(void **state)
{
	char root[] = "/tmp/kdsafe-health.XXXXXX", dev[PATH_MAX];
	char vda[PATH_MAX], why[PATH_MAX + 128], zero[512] = { 0 };
	struct kd_ctx_options o = { .no_devices = true };
	struct test_log log;
	struct kd_ctx *ctx;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(root));
	o.sysroot = root;
	mk(root, "dev", true);
	mk(root, "d", true);
	mk(root, "d/block", true);
	mk(root, "d/block/vda", true);
	assert_int_equal(kd_ctx_new(&o, &ctx), 0);
	test_log_attach(ctx, &log);
	snprintf(dev, sizeof(dev), "%s/d", root);
	snprintf(vda, sizeof(vda), "%s/dev/vda", root);

	assert_int_equal(kd_health_first_sector(ctx, dev, why, sizeof(why)),
			 -EAGAIN);
	f = fopen(vda, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(zero, 1, sizeof(zero), f), sizeof(zero));
	fclose(f);
	assert_int_equal(kd_health_first_sector(ctx, dev, why, sizeof(why)), 0);

	unlink(vda);
	assert_int_equal(mkfifo(vda, 0600), 0);
	assert_int_equal(kd_health_first_sector(ctx, dev, why, sizeof(why)),
			 -EIO);
	assert_non_null(strstr(why, "/dev/vda: refused (not a regular file)"));
	assert_non_null(strstr(log.text, "/dev/vda: refusing it: a FIFO"));

	unlink(vda);
	assert_int_equal(symlink("/etc/hostname", vda), 0);
	assert_int_equal(kd_health_first_sector(ctx, dev, why, sizeof(why)),
			 -EIO);
	assert_non_null(strstr(why, "refused (it leads outside the sysroot)"));
	assert_non_null(strstr(log.text, "resolves outside the sysroot"));
	kd_ctx_unref(ctx);
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_plan_groups_variants_into_cycles, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_next_refuses_without_crash_memory, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_next_writes_intent_before_kexec, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_next_relative_results_absolute_step, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_step_arg, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_campaign_runs_to_verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_step_torn_line_and_closed_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_stops_on_enospc,
						setup, teardown),
		cmocka_unit_test(test_health_finds_nested_devices),
		cmocka_unit_test(test_health_disk_read_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
