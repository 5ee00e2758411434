// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdsafe hook: the kdump initramfs entry point (kdsafe-hook(8)).  Acts
 * only in a capture kernel (SYSROOT/proc/vmcore, or kdsafe.force=1) and
 * returns at once otherwise; reads kdsafe.conf and the kdsafe.* words of
 * the command line (config/conf.h) and runs `kdsafe reset --all` (one
 * executor: kd_reset_run, its lock, signals and total budget) choosing
 * the dirty functions the configuration allows (one identify pass:
 * cli->select), with --kmsg, so each device's one-line result lands on
 * the console.  Exit 0 whatever happened, unless --strict: a hook must
 * never fail the boot.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config/conf.h"
#include "probe/probe.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kdsafe [--sysroot DIR] hook [--config FILE] [--strict] "
		"[--print-config]\n\n"
		"The kdump initramfs entry point: in a capture kernel "
		"(/proc/vmcore, or\nkdsafe.force=1 on the command line), reset "
		"the dirty PCI functions\nkdsafe.conf selects, logging one line "
		"per function to /dev/kmsg.\nElsewhere it returns at once.\n\n"
		"Options:\n"
		"      --config FILE  instead of SYSROOT" KD_CONF_PATH "\n"
		"      --strict       exit with reset's status (2 for a "
		"configuration\n"
		"                     problem) instead of always 0\n"
		"      --print-config print the effective settings and exit\n"
		"  -h, --help         this text\n\n"
		"Kernel command line: kdsafe=off, kdsafe.KEY=VALUE for every "
		"key of\nkdsafe.conf(5), kdsafe.force=1, kdsafe.step=STEP (a "
		"campaign step).\n"
		"Exit status: 0 (always, without --strict).\n"
		"See kdsafe-hook(8).\n");
}

struct hook {
	struct kd_cli *cli;
	const char *config;
	bool strict, print;
	struct kd_conf conf;
	/* the longest COMMAND_LINE_SIZE (4096, NUL included), the newline of
	 * /proc/cmdline and ours */
	char cmdline[4096 + 1];
	size_t n; /* functions chosen */
};

/* SYSROOT + path into buf: 0 or -ENAMETOOLONG (no context needed) */
static int root_path(const struct hook *h, char *buf, size_t len,
		     const char *path)
{
	const char *root = h->cli->sysroot ? h->cli->sysroot : "";
	int n = snprintf(buf, len, "%s%s", strcmp(root, "/") ? root : "",
			 path);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * SYSROOT/proc/cmdline into h->cmdline ("" when unreadable), through the
 * access layer's bounded read (kd_ctx_read_small(): beneath the sysroot,
 * a regular file only, never blocking) on a context without devices: a
 * FIFO there is refused with a message and never hangs the boot; a line
 * of 4096 characters or more (the kernel's COMMAND_LINE_SIZE is at most
 * 4096, its NUL included) is not a command line: ignored, with a message.
 */
static void read_cmdline(struct hook *h, struct kd_ctx *ctx)
{
	ssize_t n;

	h->cmdline[0] = '\0';
	n = kd_ctx_read_small(ctx, "/proc/cmdline", h->cmdline,
			      sizeof(h->cmdline));
	if (n >= (ssize_t)sizeof(h->cmdline) - 1) {
		WARN(ctx, "%s/proc/cmdline: longer than %zu bytes: ignored",
		     kd_ctx_sysroot(ctx), sizeof(h->cmdline) - 2);
		h->cmdline[0] = '\0';
	}
}

static bool in_capture_kernel(const struct hook *h)
{
	char path[PATH_MAX];

	return root_path(h, path, sizeof(path), "/proc/vmcore") == 0 &&
	       access(path, F_OK) == 0;
}

/* reset --all's candidates (kd_probe_reset_candidate()): the ones
 * kdsafe.conf selects */
static bool want(void *data, struct kd_ctx *ctx,
		 const struct kd_probe_info *in)
{
	struct hook *h = data;
	char a[KD_ADDR_STRLEN];

	if (kd_conf_selects(&h->conf, &in->addr, in->vendor, in->device,
			    in->class_code))
		return true;
	INFO(ctx, "%s: %s, not selected by kdsafe.conf",
	     kd_addr_format(&in->addr, a), kd_verdict_name(in->verdict));
	return false;
}

static void chosen(void *data, struct kd_ctx *ctx, size_t n)
{
	struct hook *h = data;
	char m[200];

	(void)ctx;
	h->n = n;
	snprintf(m, sizeof(m), "capture kernel: %zu function%s to reset%s",
		 n, n == 1 ? "" : "s", h->conf.dry_run ? " (dry run)" : "");
	kd_cli_kmsg(h->cli, KD_LOG_NOTICE, m);
}

/*
 * A campaign step (kdsafe test step, campaign/) instead of the reset: it
 * reads kdsafe.step=DIR:CYCLE from the command line itself, applies the
 * cycle's variant through the same reset engine and loads the drivers one
 * device at a time (docs/campaign.md).
 */
static int run_campaign_step(struct hook *h, struct kd_ctx *ctx)
{
	char *argv[4];
	int argc = 0;

	(void)ctx;
	argv[argc++] = "test";
	argv[argc++] = "step";
	if (!h->cli->sysroot)
		argv[argc++] = "--allow-real-sysfs";
	argv[argc] = NULL;
	optind = 0; /* getopt afresh for test's options */
	return kd_cmd_test(h->cli, argc, argv);
}

/* One directory of RESULTS_DIR below dfd, made when missing, opened
 * without following a link when there is a sysroot (a link in the tree
 * could lead out of it): an fd, or -1 with errno. */
static int results_subdir(int dfd, const char *name, bool nofollow)
{
	int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		    (nofollow ? O_NOFOLLOW : 0);

	if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
		return -1;
	return openat(dfd, name, flags);
}

/* The results file SYSROOT/RESULTS_DIR/hook.json, opened for writing;
 * -1 (warned) when it cannot be.  Made one level at a time from the
 * sysroot's directory, never leaving it ('..' is refused by conf). */
static int open_results(struct hook *h, struct kd_ctx *ctx)
{
	const char *root = kd_ctx_sysroot(ctx);
	bool nofollow = root[0] != '\0';
	char dir[sizeof(h->conf.results_dir)], *save = NULL;
	int dfd, fd = -1;

	if (!h->conf.results_dir[0])
		return -1;
	snprintf(dir, sizeof(dir), "%s", h->conf.results_dir);
	dfd = open(root[0] ? root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (char *c = strtok_r(dir, "/", &save); c && dfd >= 0;
	     c = strtok_r(NULL, "/", &save)) {
		int next = strcmp(c, ".") == 0 ? dup(dfd) :
			   results_subdir(dfd, c, nofollow);
		int e = errno;

		close(dfd);
		dfd = next;
		errno = e;
	}
	if (dfd >= 0) {
		fd = openat(dfd, "hook.json", O_WRONLY | O_CREAT | O_TRUNC |
			    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
		close(dfd);
	}
	if (fd < 0)
		WARN(ctx, "%s%s/hook.json: %s: no results file", root,
		     h->conf.results_dir, strerror(errno));
	return fd;
}

/* `kdsafe reset --all`, choosing with the conf, stdout into the results
 * file fd when there is one (-1: none): its exit status. */
static int run_reset(struct hook *h, int fd)
{
	const struct kd_cli_select sel = { .want = want, .chosen = chosen,
					   .data = h };
	char total[32], jobs[16], *argv[16];
	int argc = 0, ret, saved = -1;

	snprintf(total, sizeof(total), "%" PRIu64 "ns",
		 h->conf.timeout_total_ns);
	snprintf(jobs, sizeof(jobs), "%u", h->conf.jobs);
	argv[argc++] = "reset";
	argv[argc++] = "--method";
	argv[argc++] = (char *)kd_reset_method_name(h->conf.method);
	argv[argc++] = "--timeout-total";
	argv[argc++] = total;
	if (h->conf.jobs) {
		argv[argc++] = "--jobs";
		argv[argc++] = jobs;
	}
	if (h->conf.dry_run)
		argv[argc++] = "--dry-run";
	else if (!h->cli->sysroot)
		argv[argc++] = "--allow-real-sysfs";
	if (h->conf.kmsg)
		argv[argc++] = "--kmsg";
	if (fd >= 0)
		argv[argc++] = "--json";
	argv[argc++] = "--all";
	argv[argc] = NULL;
	fflush(stdout);
	if (fd >= 0) {
		saved = dup(STDOUT_FILENO);
		if (saved >= 0 && dup2(fd, STDOUT_FILENO) < 0) {
			close(saved);
			saved = -1;
		}
		close(fd);
	}
	optind = 0; /* getopt afresh for reset's options */
	h->cli->select = &sel;
	ret = kd_cmd_reset(h->cli, argc, argv);
	h->cli->select = NULL;
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	return ret;
}

/*
 * The last line, on the console and stderr, in a stable format (the lab
 * and issue #11's benchmark read it): the hook's wall time from entering
 * kd_cmd_hook, the functions reset (ok or planned) and not, the
 * longest reset wait of the run (kd_reset_waited_ns()), whose ratio to
 * the wall time is the hook's overhead, and the time since the process
 * was started, the dynamic loader's work included (what the hook costs
 * the boot).
 */
static void report_done(struct hook *h)
{
	const struct kd_run_stats *st = &h->cli->stats;
	/* both figures of this moment: the wall time first, then the age
	 * (its clock read before /proc/self/stat) */
	uint64_t done_ns = kd_cli_now_ns() - h->cli->start_ns;
	uint64_t exec_ns = kd_cli_since_exec_ns();
	char m[240], who[80] = "none";

	if (st->valid && st->longest_address[0])
		snprintf(who, sizeof(who), "%s via %s", st->longest_address,
			 st->longest_method ? st->longest_method : "?");
	snprintf(m, sizeof(m), "done in %.3f s: %u reset, %u failed; "
		 "longest reset wait %.3f s (%s); since exec %.3f s",
		 (double)done_ns / 1e9,
		 st->valid ? st->reset : 0, st->valid ? st->failed : 0,
		 st->valid ? (double)st->longest_wait_ns / 1e9 : 0.0, who,
		 (double)exec_ns / 1e9);
	kd_cli_kmsg(h->cli, KD_LOG_NOTICE, m);
	fprintf(stderr, "kdsafe: %s\n", m);
}

/* The hook once it is known to act: an exit status for --strict. */
static int act(struct hook *h, struct kd_ctx *ctx)
{
	char path[PATH_MAX];
	int ret = KD_EXIT_FATAL;

	kd_cli_open_kmsg(h->cli, ctx);
	if (h->config)
		snprintf(path, sizeof(path), "%s", h->config);
	else if (kd_ctx_path(ctx, path, sizeof(path), KD_CONF_PATH) < 0)
		path[0] = '\0';
	if (path[0] && kd_conf_load(ctx, path, &h->conf) < 0)
		goto out;
	kd_conf_cmdline(ctx, h->cmdline, "/proc/cmdline", &h->conf);
	if (!h->conf.enabled) {
		kd_cli_kmsg(h->cli, KD_LOG_NOTICE, "disabled (kdsafe.conf "
			    "enabled = no): nothing done");
		ret = KD_EXIT_OK;
		goto out;
	}
	if (h->conf.step[0]) {
		ret = run_campaign_step(h, ctx);
		goto out;
	}
	/* reset chooses (chosen() says how many) and reopens /dev/kmsg
	 * with --kmsg */
	ret = run_reset(h, open_results(h, ctx));
	report_done(h);
out:
	if (ret == KD_EXIT_OK && h->conf.problems)
		ret = KD_EXIT_USAGE;
	return ret;
}

static int parse_options(struct hook *h, int argc, char **argv)
{
	enum { O_CONFIG = 256, O_STRICT, O_PRINT };
	static const struct option opts[] = {
		KD_CLI_GLOBAL_OPTIONS,
		{ "config", required_argument, NULL, O_CONFIG },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "print-config", no_argument, NULL, O_PRINT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h" KD_CLI_GLOBAL_SHORT, opts,
				NULL)) != -1) {
		switch (c) {
		case O_CONFIG: h->config = optarg; break;
		case O_STRICT: h->strict = true; break;
		case O_PRINT: h->print = true; break;
		case 'h': usage(stdout); return -1;
		default:
			switch (kd_cli_global_option(h->cli, c, optarg)) {
			case 1: break;
			case 0: usage(stderr); return KD_EXIT_USAGE;
			default: return KD_EXIT_USAGE;
			}
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kdsafe hook: takes no arguments ('%s')\n",
			argv[optind]);
		return KD_EXIT_USAGE;
	}
	if (h->cli->dump_path) {
		fprintf(stderr, "kdsafe hook: not with --dump\n");
		return KD_EXIT_USAGE;
	}
	return KD_EXIT_OK;
}

/* --print-config: the file and the command line, messages included */
static int print_config(struct hook *h, struct kd_ctx *ctx)
{
	char path[PATH_MAX];

	if (h->config)
		snprintf(path, sizeof(path), "%s", h->config);
	else if (kd_ctx_path(ctx, path, sizeof(path), KD_CONF_PATH) < 0)
		path[0] = '\0';
	if (path[0])
		kd_conf_load(ctx, path, &h->conf);
	kd_conf_cmdline(ctx, h->cmdline, "/proc/cmdline", &h->conf);
	printf("# %s%s\n", path, in_capture_kernel(h) ? "" :
	       " (not a capture kernel: the hook would do nothing)");
	kd_conf_print(&h->conf, stdout);
	return h->conf.problems ? KD_EXIT_USAGE : KD_EXIT_OK;
}

int kd_cmd_hook(struct kd_cli *cli, int argc, char **argv)
{
	struct hook h = { .cli = cli };
	struct kd_ctx *ctx = NULL;
	int ret;

	cli->start_ns = kd_cli_now_ns();
	ret = parse_options(&h, argc, argv);

	if (ret < 0)
		return KD_EXIT_OK; /* --help */
	if (ret != KD_EXIT_OK)
		return h.strict ? ret : KD_EXIT_OK;
	kd_conf_defaults(&h.conf);
	/* the sysroot and the log, no PCI tree: reset reads that */
	if (kd_cli_ctx_opts(cli, true, &ctx) < 0)
		return h.strict ? KD_EXIT_FATAL : KD_EXIT_OK;
	read_cmdline(&h, ctx);
	if (h.print) {
		ret = print_config(&h, ctx);
		kd_ctx_unref(ctx);
		return ret;
	}
	/* a first, quiet look at the command line: off, or not a capture
	 * kernel, returns before anything else is read */
	kd_conf_cmdline(NULL, h.cmdline, "/proc/cmdline", &h.conf);
	if (!in_capture_kernel(&h) && !h.conf.force) {
		ret = KD_EXIT_OK;
	} else if (!h.conf.enabled) {
		fprintf(stderr, "kdsafe hook: disabled by kdsafe=off\n");
		ret = KD_EXIT_OK;
	} else {
		kd_conf_defaults(&h.conf);
		ret = act(&h, ctx);
	}
	kd_ctx_unref(ctx);
	return h.strict ? ret : KD_EXIT_OK;
}
