// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdsafe test plan|next|step|status|audit: crash-cycle campaigns
 * (docs/campaign.md).  plan and status read; next loads a capture kernel
 * and (--crash) crashes this machine; step resets and loads drivers in
 * the capture kernel; audit reads what a clean kexec left.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "campaign/campaign.h"
#include "cli.h"
#include "quirks/quirks.h"

struct test_cli {
	struct kd_cli *cli;
	const char *results, *target, *ping;
	unsigned repeat, cycle;
	struct kd_next_opts next;
	bool allow_real, lava, before, json, no_quirks, from_cmdline;
	uint64_t health_timeout_ns;
	struct kd_filter *filters;
	size_t n_filters;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kdsafe test plan   --results DIR [DEVICES...] "
		"[--repeat N] [--target DEVICE]\n"
		"       kdsafe test next   --results DIR --kernel K --initrd I "
		"[--append ARGS] [--crash]\n"
		"       kdsafe test step   [--results DIR [--cycle N]] [--lava]\n"
		"       kdsafe test status --results DIR [--json]\n"
		"       kdsafe test audit  --results DIR [--before] [--json]\n\n"
		"Crash-cycle campaigns: which fix makes each device work in a "
		"kdump\ncapture kernel (docs/campaign.md, kdsafe-test(8)).\n\n"
		"Options:\n"
		"      --results DIR        the campaign directory (plan.json, "
		"journal.jsonl)\n"
		"      --repeat N           runs of each variant (plan; "
		"default 3)\n"
		"      --target DEVICE      the results (kdump target) device; "
		"its driver\n"
		"                           chain loads first\n"
		"      --no-quirks          no quirk variants (plan)\n"
		"      --kernel FILE, --initrd FILE, --append ARGS\n"
		"                           the capture kernel (next)\n"
		"      --crash              trigger the crash (sysrq c) once "
		"loaded (next)\n"
		"      --cycle N            the cycle to step (default: "
		"kdsafe.step= on\n"
		"                           the kernel command line, else the "
		"open cycle)\n"
		"      --health-timeout DUR bound of each health check "
		"(default 10s)\n"
		"      --ping HOST          network health: ping HOST\n"
		"      --lava               LAVA test-case signals on the "
		"console (step)\n"
		"      --before             audit: record the drivers before "
		"kexec\n"
		"      --allow-real-sysfs   act on this machine (kexec, crash, "
		"reset, load)\n"
		"  -J, --json               JSON output (status, audit)\n"
		"  -h, --help               this text\n\n"
		"Exit status: 0 ok, 1 a device failed (step) or was left live "
		"(audit),\n2 usage, 3 partial input, 4 nothing could be done.\n");
}

/* ---- external actions in the test build --------------------------------- */

#ifdef KDSAFE_NO_REAL_WRITES
/*
 * The test build never kexecs, crashes or loads anything: with
 * KDSAFE_TEST_ACTIONS=FILE every action is appended to FILE as a line
 * ("run kexec -p ...", "crash", "load MOD ADDR"), and a load runs
 * KDSAFE_TEST_LOADER (MODULE ADDRESS SYSROOT) when set, which may bind
 * the device in the fake tree, fail, or kill this process (a machine
 * dying mid-load).
 */
static void log_action(const char *fmt, const char *a, const char *b)
{
	const char *file = getenv("KDSAFE_TEST_ACTIONS");
	FILE *f = file ? fopen(file, "ae") : NULL;

	if (!f)
		return;
	fprintf(f, fmt, a, b);
	fclose(f);
}

static int test_run(void *data, struct kd_ctx *ctx, char *const argv[])
{
	char line[4096] = "";

	(void)data, (void)ctx;
	for (size_t i = 0; argv[i]; i++) {
		size_t len = strlen(line);

		snprintf(line + len, sizeof(line) - len, "%s%s", i ? " " : "",
			 argv[i]);
	}
	log_action("run %s%s\n", line, "");
	return getenv("KDSAFE_TEST_RUN_FAIL") ? -EIO : 0;
}

static int test_crash(void *data, struct kd_ctx *ctx)
{
	(void)data, (void)ctx;
	log_action("crash%s%s\n", "", "");
	return 0;
}

static int test_load(void *data, struct kd_ctx *ctx, const char *module,
		     const char *address)
{
	const char *loader = getenv("KDSAFE_TEST_LOADER");
	const char *root = kd_ctx_sysroot(ctx);
	int status;
	pid_t pid;

	(void)data;
	log_action("load %s %s\n", module, address);
	if (!loader)
		return 0;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execl(loader, loader, module, address, root[0] ? root : "/",
		      (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static void campaign_ops(struct kd_campaign_ops *ops, bool allow_real)
{
	kd_campaign_real_ops(ops, allow_real);
	if (getenv("KDSAFE_TEST_ACTIONS") || getenv("KDSAFE_TEST_LOADER")) {
		ops->run = test_run;
		ops->crash = test_crash;
		ops->load = test_load;
	}
}
#else
static void campaign_ops(struct kd_campaign_ops *ops, bool allow_real)
{
	kd_campaign_real_ops(ops, allow_real);
}
#endif

/* ---- plan, status ------------------------------------------------------ */

/* plan and audit --before start a campaign directory: create it */
static int results_dir(struct test_cli *t, struct kd_ctx *ctx)
{
	int err = mkdir(t->results, 0755) < 0 && errno != EEXIST ? -errno : 0;

	if (err < 0)
		ERR(ctx, "%s: %s", t->results, strerror(-err));
	return err;
}

static int cmd_plan(struct test_cli *t, struct kd_ctx *ctx)
{
	struct kd_quirks_load_opts qo = { .default_dirs = true };
	struct kd_plan_opts o = { .filters = t->filters,
				  .n_filters = t->n_filters,
				  .repeat = t->repeat, .target = t->target };
	struct kd_quirks *db = NULL;
	struct kd_plan p;
	int err;

	if (!t->no_quirks && kd_quirks_load(ctx, &qo, &db) < 0)
		WARN(ctx, "quirk database unusable: no quirk variants");
	o.quirks = db;
	if (results_dir(t, ctx) < 0) {
		kd_quirks_free(db);
		return KD_EXIT_FATAL;
	}
	err = kd_plan_build(ctx, &o, &p);
	kd_quirks_free(db);
	if (err < 0)
		return KD_EXIT_FATAL;
	if (p.n_devices == 0) {
		ERR(ctx, "no function to test%s", t->n_filters ?
			 " matches the devices given" : "");
		kd_plan_clear(&p);
		return KD_EXIT_FATAL;
	}
	err = kd_plan_save(ctx, t->results, &p);
	if (!err) {
		printf("%s/%s: %zu device%s, %zu cycle%s (repeat %u)\n",
		       t->results, KD_PLAN_FILE, p.n_devices,
		       p.n_devices == 1 ? "" : "s", p.n_cycles,
		       p.n_cycles == 1 ? "" : "s", p.repeat);
		if (p.has_target)
			printf("results device %s: loads first (%s)%s\n",
			       p.target.address, p.target.n_modules ?
			       p.target.modules[0] : "no module",
			       p.target_tested ? ", also under test" : "");
		for (size_t i = 0; i < p.n_cycles; i++)
			printf("cycle %u: %s (repeat %u), %zu device%s\n",
			       p.cycles[i].cycle, p.cycles[i].variant,
			       p.cycles[i].repeat, p.cycles[i].n,
			       p.cycles[i].n == 1 ? "" : "s");
	}
	kd_plan_clear(&p);
	return err ? KD_EXIT_FATAL : KD_EXIT_OK;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ?
	       json_object_get_string(v) : "-";
}

static int cmd_status(struct test_cli *t, struct kd_ctx *ctx)
{
	struct kd_campaign_progress pr;
	struct kd_plan p;
	int ret = KD_EXIT_OK;

	if (kd_plan_load(ctx, t->results, &p) < 0)
		return KD_EXIT_FATAL;
	if (kd_campaign_progress(ctx, t->results, &p, &pr) < 0) {
		kd_plan_clear(&p);
		return KD_EXIT_FATAL;
	}
	if (t->json) {
		struct json_object *o = json_object_new_object();
		struct json_object *c = json_object_new_object();

		json_object_object_add(o, "cycles",
				       json_object_new_int((int)pr.cycles));
		json_object_object_add(o, "done",
				       json_object_new_int((int)pr.done));
		json_object_object_add(o, "left", json_object_new_int(
			(int)(pr.cycles - pr.done)));
		json_object_object_add(o, "next", pr.next ?
			json_object_new_int((int)pr.next) : NULL);
		json_object_object_add(o, "open", pr.open ?
			json_object_new_int((int)pr.open) : NULL);
		json_object_object_add(o, "finished", json_object_new_boolean(
			pr.done == pr.cycles));
		for (unsigned i = 0; i < KD_OUTCOME_COUNT; i++)
			json_object_object_add(c, kd_outcome_name(i),
				json_object_new_int((int)pr.counts[i]));
		json_object_object_add(o, "outcomes", c);
		json_object_object_add(o, "last", json_object_get(pr.last));
		printf("%s\n", json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("cycles: %u done, %u left of %u\n", pr.done,
		       pr.cycles - pr.done, pr.cycles);
		if (pr.open)
			printf("cycle %u is open: its step has not finished "
			       "(the next step or next recovers it)\n",
			       pr.open);
		if (pr.next)
			printf("next: cycle %u (%s, repeat %u)\n", pr.next,
			       p.cycles[pr.next - 1].variant,
			       p.cycles[pr.next - 1].repeat);
		else if (pr.done == pr.cycles)
			printf("plan finished\n");
		printf("outcomes:");
		for (unsigned i = 0; i < KD_OUTCOME_COUNT; i++)
			if (pr.counts[i])
				printf(" %s %u", kd_outcome_name(i),
				       pr.counts[i]);
		printf("\n");
		for (size_t i = 0; pr.last &&
				   i < json_object_array_length(pr.last); i++) {
			struct json_object *r =
				json_object_array_get_idx(pr.last, i);

			printf("  cycle %s %-8s %s %s %s\n", jstr(r, "cycle"),
			       jstr(r, "variant"), jstr(r, "address"),
			       jstr(r, "driver"), jstr(r, "outcome"));
		}
	}
	if (pr.st.malformed)
		ret = KD_EXIT_PARTIAL;
	json_object_put(pr.last);
	kd_plan_clear(&p);
	return ret;
}

/* ---- next, step, audit -------------------------------------------------- */

static int cmd_next(struct test_cli *t, struct kd_ctx *ctx)
{
	struct kd_campaign_ops ops;
	unsigned cycle;
	int err;

	campaign_ops(&ops, t->allow_real);
	err = kd_campaign_next(ctx, t->results, &t->next, &ops, &cycle);
	if (err == -EINVAL)
		return KD_EXIT_USAGE;
	if (err < 0)
		return KD_EXIT_FATAL;
	if (cycle)
		printf("cycle %u: intent recorded, capture kernel loaded%s\n",
		       cycle, t->next.crash ? ", crash triggered" : "");
	else
		printf("plan finished\n");
	return KD_EXIT_OK;
}

static void lava_signal(void *data, const char *test_case, bool pass)
{
	(void)data;
	/* LAVA reads test cases from the console: one line each */
	printf("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=%s RESULT=%s>\n",
	       test_case, pass ? "pass" : "fail");
	fflush(stdout);
}

static int cmd_step(struct test_cli *t, struct kd_ctx *ctx)
{
	struct kd_step_opts o = { .dir = t->results, .cycle = t->cycle,
				  .health_timeout_ns = t->health_timeout_ns,
				  .health = { .ping = t->ping } };
	struct kd_campaign_ops ops;
	struct kd_step_summary sum;
	char dir[4096];
	unsigned cycle = 0;
	int err;

	if (!o.dir) {
		err = kd_campaign_step_arg(ctx, NULL, dir, sizeof(dir),
					   &cycle);
		if (err <= 0) {
			if (err == 0)
				ERR(ctx, "no --results and no %s on the kernel "
					 "command line", KD_STEP_ARG);
			return KD_EXIT_USAGE;
		}
		o.dir = dir;
		o.cycle = cycle;
	}
	if (t->lava)
		o.signal = lava_signal;
	campaign_ops(&ops, t->allow_real);
	err = kd_ctx_enable_writes(ctx, t->allow_real);
	if (err < 0)
		INFO(ctx, "writes not enabled: only variant none can run");
	kd_cli_open_kmsg(t->cli, ctx);
	err = kd_campaign_step(ctx, &o, &ops, &sum);
	if (err < 0)
		return KD_EXIT_FATAL;
	printf("cycle %u: %u device%s, %u passed, %u failed, %u recovered\n",
	       sum.cycle, sum.devices, sum.devices == 1 ? "" : "s",
	       sum.passed, sum.failed, sum.recovered);
	return sum.failed ? KD_EXIT_DIRTY : KD_EXIT_OK;
}

static int cmd_audit(struct test_cli *t, struct kd_ctx *ctx)
{
	struct json_object *list;
	unsigned named = 0;

	if (t->before) {
		if (results_dir(t, ctx) < 0 ||
		    kd_audit_before(ctx, t->results) < 0)
			return KD_EXIT_FATAL;
		printf("%s/%s: binding map recorded\n", t->results,
		       KD_AUDIT_FILE);
		return KD_EXIT_OK;
	}
	if (kd_audit_after(ctx, t->results, &list) < 0)
		return KD_EXIT_FATAL;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *r = json_object_array_get_idx(list, i);

		if (strcmp(jstr(r, "state"), "live") == 0)
			named++;
		if (t->json)
			continue;
		printf("%s %-12s %-11s %s\n", jstr(r, "address"),
		       jstr(r, "driver"), jstr(r, "state"),
		       json_object_to_json_string_ext(
			       json_object_object_get(r, "left"),
			       JSON_C_TO_STRING_PLAIN));
	}
	if (t->json)
		printf("%s\n", json_object_to_json_string_ext(list,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		printf("%u driver%s left %s device live after kexec\n", named,
		       named == 1 ? "" : "s", named == 1 ? "its" : "their");
	json_object_put(list);
	return named ? KD_EXIT_DIRTY : KD_EXIT_OK;
}

/* ---- the command ------------------------------------------------------- */

enum { O_RESULTS = 0x2000, O_REPEAT, O_TARGET, O_KERNEL, O_INITRD, O_APPEND,
       O_CRASH, O_CYCLE, O_LAVA, O_BEFORE, O_REAL, O_NOQUIRKS, O_TIMEOUT,
       O_PING };

static int parse_unsigned(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v == 0 || v > 10000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse(struct test_cli *t, int argc, char **argv)
{
	static const struct option opts[] = {
		KD_CLI_GLOBAL_OPTIONS,
		{ "results", required_argument, NULL, O_RESULTS },
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ "target", required_argument, NULL, O_TARGET },
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "initrd", required_argument, NULL, O_INITRD },
		{ "append", required_argument, NULL, O_APPEND },
		{ "crash", no_argument, NULL, O_CRASH },
		{ "cycle", required_argument, NULL, O_CYCLE },
		{ "lava", no_argument, NULL, O_LAVA },
		{ "before", no_argument, NULL, O_BEFORE },
		{ "allow-real-sysfs", no_argument, NULL, O_REAL },
		{ "no-quirks", no_argument, NULL, O_NOQUIRKS },
		{ "health-timeout", required_argument, NULL, O_TIMEOUT },
		{ "ping", required_argument, NULL, O_PING },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned secs;
	int c, ret;

	while ((c = getopt_long(argc, argv, "Jh" KD_CLI_GLOBAL_SHORT, opts,
				NULL)) != -1) {
		switch (c) {
		case O_RESULTS: t->results = optarg; break;
		case O_REPEAT:
			if (parse_unsigned(optarg, &t->repeat) < 0) {
				fprintf(stderr, "kdsafe test: --repeat wants "
						"1..10000\n");
				return -1;
			}
			break;
		case O_TARGET: t->target = optarg; break;
		case O_KERNEL: t->next.kernel = optarg; break;
		case O_INITRD: t->next.initrd = optarg; break;
		case O_APPEND: t->next.append = optarg; break;
		case O_CRASH: t->next.crash = true; break;
		case O_CYCLE:
			if (parse_unsigned(optarg, &t->cycle) < 0) {
				fprintf(stderr, "kdsafe test: bad --cycle\n");
				return -1;
			}
			break;
		case O_LAVA: t->lava = true; break;
		case O_BEFORE: t->before = true; break;
		case O_REAL: t->allow_real = true; break;
		case O_NOQUIRKS: t->no_quirks = true; break;
		case O_TIMEOUT:
			if (parse_unsigned(optarg, &secs) < 0) {
				fprintf(stderr, "kdsafe test: --health-timeout "
						"wants seconds\n");
				return -1;
			}
			t->health_timeout_ns = secs * 1000000000ull;
			break;
		case O_PING: t->ping = optarg; break;
		case 'J': t->json = true; break;
		case 'h': usage(stdout); return 1;
		default:
			ret = kd_cli_global_option(t->cli, c, optarg);
			if (ret > 0)
				break;
			if (ret == 0)
				usage(stderr);
			return -1;
		}
	}
	return 0;
}

static int parse_filters(struct test_cli *t, int argc, char **argv)
{
	if (optind >= argc)
		return 0;
	t->filters = calloc((size_t)(argc - optind), sizeof(*t->filters));
	if (!t->filters)
		return -1;
	for (int i = optind; i < argc; i++) {
		if (kd_filter_parse(argv[i], &t->filters[t->n_filters]) < 0) {
			fprintf(stderr, "kdsafe test: '%s' is neither a device "
					"address nor a vendor:device ID\n",
				argv[i]);
			return -1;
		}
		t->n_filters++;
	}
	return 0;
}

static const struct {
	const char *name;
	int (*run)(struct test_cli *t, struct kd_ctx *ctx);
	bool filters, needs_results;
} subcommands[] = {
	{ "plan", cmd_plan, true, true },
	{ "next", cmd_next, false, true },
	{ "step", cmd_step, false, false },
	{ "status", cmd_status, false, true },
	{ "audit", cmd_audit, false, true },
};

int kd_cmd_test(struct kd_cli *cli, int argc, char **argv)
{
	struct test_cli t = { .cli = cli };
	struct kd_ctx *ctx = NULL;
	const char *sub = argc > 1 ? argv[1] : NULL;
	size_t k, n = sizeof(subcommands) / sizeof(subcommands[0]);
	int ret;

	if (sub && (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0)) {
		usage(stdout);
		return KD_EXIT_OK;
	}
	for (k = 0; sub && k < n; k++)
		if (strcmp(sub, subcommands[k].name) == 0)
			break;
	if (!sub || k == n) {
		fprintf(stderr, "kdsafe test: %s '%s'\n", sub ?
			"unknown subcommand" : "name a subcommand",
			sub ? sub : "plan|next|step|status|audit");
		usage(stderr);
		return KD_EXIT_USAGE;
	}
	ret = parse(&t, argc - 1, argv + 1);
	if (ret != 0) {
		free(t.filters);
		return ret > 0 ? KD_EXIT_OK : KD_EXIT_USAGE;
	}
	if ((subcommands[k].filters ? parse_filters(&t, argc - 1, argv + 1) :
	     optind < argc - 1 ? -1 : 0) < 0) {
		if (!subcommands[k].filters)
			fprintf(stderr, "kdsafe test %s: unexpected argument "
					"'%s'\n", sub, argv[optind + 1]);
		free(t.filters);
		return KD_EXIT_USAGE;
	}
	if (subcommands[k].needs_results && !t.results) {
		fprintf(stderr, "kdsafe test %s: --results DIR is required\n",
			sub);
		free(t.filters);
		return KD_EXIT_USAGE;
	}
	if (kd_cli_ctx(cli, &ctx) < 0) {
		free(t.filters);
		return KD_EXIT_FATAL;
	}
	ret = subcommands[k].run(&t, ctx);
	kd_ctx_unref(ctx);
	free(t.filters);
	return ret;
}
