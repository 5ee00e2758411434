// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdsafe quirks check|list|match: lint quirk files (gcc-style messages),
 * list the entries, show which entries apply to a device and the plan they
 * make.  Read-only: nothing here writes to a device.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "quirks/quirks.h"
#include "quirks-output.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kdsafe [--sysroot DIR | --dump FILE] quirks COMMAND "
		"[OPTIONS] [ARGS]\n\n"
		"Commands:\n"
		"  check [FILE...]   lint quirk files (default: every file the "
		"directories\n"
		"                    hold); messages as FILE:LINE:COL: error: "
		"...\n"
		"  list              every entry, in load order\n"
		"  match DEVICE...   the entries that apply to each device and "
		"the plan\n"
		"                    they make (DEVICE: [[DDDD:]BB:]DD[.F] or "
		"VVVV:[DDDD])\n\n"
		"Options:\n"
		"      --quirks-dir DIR          read DIR too, after "
		"%s and\n"
		"                                %s (under --sysroot); "
		"repeatable\n"
		"      --no-default-dirs         read only --quirks-dir "
		"directories\n"
		"      --allow-insecure-quirks   accept files not owned by root "
		"or\n"
		"                                group/world-writable (tests)\n"
		"  -J, --json                    JSON from list and match "
		"(docs/quirks.md)\n"
		"  -h, --help                    this text\n\n"
		"Exit status: 0 ok, 1 check found errors, 2 usage, 3 some file "
		"was\nrejected or some device unreadable, 4 nothing could be "
		"read,\nor stdout not written.  See kdsafe-quirks(8) and docs/quirks.md.\n",
		KD_QUIRKS_LIB_DIR, KD_QUIRKS_ETC_DIR);
}

struct qopts {
	const char **dirs;
	size_t n_dirs;
	bool no_default, insecure, json;
};

/* Diagnostics are printed from the database, gcc style; the log shows
 * only -v detail. */
static void quiet_log(void *data, int prio, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	struct kd_cli *cli = data;

	(void)file, (void)line, (void)fn;
	if (prio <= KD_LOG_WARNING || cli->verbosity < 1)
		return;
	fputs("kdsafe: ", stderr);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

static int offline_ctx(struct kd_cli *cli, struct kd_ctx **out)
{
	struct kd_ctx_options o = {
		.sysroot = cli->sysroot,
		.no_devices = true,
		.log_fn = quiet_log,
		.log_data = cli,
		.log_priority = cli->verbosity > 0 ? KD_LOG_DEBUG :
						     KD_LOG_WARNING,
	};

	return kd_ctx_new(&o, out);
}

static int load(struct kd_ctx *ctx, const struct qopts *o,
		struct kd_quirks **db)
{
	struct kd_quirks_load_opts lo = {
		.default_dirs = !o->no_default,
		.dirs = o->dirs,
		.n_dirs = o->n_dirs,
		.allow_insecure = o->insecure,
	};

	return kd_quirks_load(ctx, &lo, db);
}

static void print_diags(const struct kd_quirks *db)
{
	for (size_t i = 0; i < kd_quirks_diag_count(db); i++) {
		const struct kd_quirk_diag *d = kd_quirks_diag(db, i);
		const char *lvl = d->level == KD_QDIAG_ERROR ? "error" :
							       "warning";
		char f[KD_SAFE_LEN], m[KD_SAFE_LEN];

		kd_text_safe(d->file, f, sizeof(f));
		kd_text_safe(d->msg, m, sizeof(m));
		if (d->line)
			fprintf(stderr, "%s:%u:%u: %s: %s\n", f, d->line, d->col,
				lvl, m);
		else
			fprintf(stderr, "%s: %s: %s\n", f, lvl, m);
	}
}

/* ---- check ------------------------------------------------------------- */

static int cmd_check(struct kd_cli *cli, const struct qopts *o, int argc,
		     char **argv)
{
	struct kd_quirks *db = NULL;
	struct kd_ctx *ctx;
	int err;

	if (offline_ctx(cli, &ctx) < 0)
		return KD_EXIT_FATAL;
	if (argc > 0) {
		err = kd_quirks_new(ctx, &db);
		if (err < 0) {
			kd_ctx_unref(ctx);
			return KD_EXIT_FATAL;
		}
		kd_quirks_set_allow_insecure(db, o->insecure);
		for (int i = 0; i < argc; i++)
			kd_quirks_add_file(db, argv[i]);
	} else if (load(ctx, o, &db) < 0) {
		kd_ctx_unref(ctx);
		return KD_EXIT_FATAL;
	}
	print_diags(db);
	printf("%zu file%s read, %zu entr%s, %zu rejected, %zu error%s\n",
	       kd_quirks_files(db) + kd_quirks_rejected(db),
	       kd_quirks_files(db) + kd_quirks_rejected(db) == 1 ? "" : "s",
	       kd_quirks_count(db), kd_quirks_count(db) == 1 ? "y" : "ies",
	       kd_quirks_rejected(db), kd_quirks_errors(db),
	       kd_quirks_errors(db) == 1 ? "" : "s");
	err = kd_quirks_errors(db) || kd_quirks_rejected(db) ? KD_EXIT_DIRTY :
							       KD_EXIT_OK;
	kd_quirks_free(db);
	kd_ctx_unref(ctx);
	return err;
}

/* ---- list -------------------------------------------------------------- */

static void print_strv(const char *label, const char *const *v, size_t n)
{
	if (!n)
		return;
	printf("    %s:", label);
	for (size_t i = 0; i < n; i++)
		printf("%s %s", i ? "," : "", v[i]);
	printf("\n");
}

static void list_json(struct kd_cli *cli, struct kd_ctx *ctx,
		      const struct kd_quirks *db)
{
	struct kd_json_doc doc = KD_JSON_DOC("entries");
	struct json_object *tail = json_object_new_object();

	kd_json_begin(cli, &doc, ctx, NULL);
	for (size_t i = 0; i < kd_quirks_count(db); i++)
		kd_json_item(&doc, kd_quirk_entry_to_json(
					   kd_quirks_entry(db, i)));
	json_object_object_add(tail, "files",
			       json_object_new_int((int)kd_quirks_files(db)));
	json_object_object_add(tail, "rejected",
			       json_object_new_int((int)kd_quirks_rejected(db)));
	kd_json_end(cli, &doc, tail);
}

static int cmd_list(struct kd_cli *cli, const struct qopts *o)
{
	struct kd_quirks *db;
	struct kd_ctx *ctx;
	int ret;

	if (offline_ctx(cli, &ctx) < 0)
		return KD_EXIT_FATAL;
	if (load(ctx, o, &db) < 0) {
		kd_ctx_unref(ctx);
		return KD_EXIT_FATAL;
	}
	print_diags(db);
	if (o->json) {
		list_json(cli, ctx, db);
	} else {
		for (size_t i = 0; i < kd_quirks_count(db); i++) {
			const struct kd_quirk_entry *e = kd_quirks_entry(db, i);
			const char *name = kd_quirk_entry_name(e);
			char f[KD_SAFE_LEN];

			printf("%s:%u: [%s]%s%s\n",
			       kd_text_safe(kd_quirk_entry_file(e), f, sizeof(f)),
			       kd_quirk_entry_line(e), kd_quirk_entry_match(e),
			       name ? " " : "", name ? name : "");
		}
		printf("%zu entr%s from %zu file%s", kd_quirks_count(db),
		       kd_quirks_count(db) == 1 ? "y" : "ies",
		       kd_quirks_files(db), kd_quirks_files(db) == 1 ? "" : "s");
		if (kd_quirks_rejected(db))
			printf(", %zu rejected", kd_quirks_rejected(db));
		printf("\n");
	}
	ret = kd_quirks_rejected(db) ? KD_EXIT_PARTIAL : KD_EXIT_OK;
	kd_quirks_free(db);
	kd_ctx_unref(ctx);
	return ret;
}

/* ---- match ------------------------------------------------------------- */

static void print_from(const struct kd_quirk_entry *e)
{
	char f[KD_SAFE_LEN];

	printf("   (%s:%u)\n", kd_text_safe(kd_quirk_entry_file(e), f,
					     sizeof(f)),
	       kd_quirk_entry_line(e));
}

static void print_steps(const char *label, const struct kd_quirk_steps *st,
			const struct kd_dev *dev)
{
	char text[512], f[KD_SAFE_LEN];

	if (!st->n)
		return;
	printf("    %s:\n", label);
	for (size_t i = 0; i < st->n; i++) {
		kd_quirk_step_describe(st->v[i], dev, text, sizeof(text));
		printf("      %s   (%s:%u)\n", text,
		       kd_text_safe(st->v[i]->file, f, sizeof(f)),
		       st->v[i]->line);
	}
}

static void print_plan(const struct kd_probe_info *in,
		       const struct kd_quirk_plan *pl,
		       const struct kd_dev *dev)
{
	char name[KD_ADDR_STRLEN], d[32];

	printf("%s %04x:%04x (subsystem %04x:%04x, class %06x, rev %02x)\n",
	       kd_addr_format(&in->addr, name), in->vendor, in->device,
	       in->subsys_vendor, in->subsys_device, in->class_code,
	       in->revision);
	if (kd_quirk_plan_empty(pl)) {
		printf("    no quirk entry applies\n");
		return;
	}
	printf("    entries (merge order):\n");
	for (size_t i = 0; i < pl->n_applied; i++) {
		const struct kd_quirk_entry *e = pl->applied[i];
		const char *n = kd_quirk_entry_name(e);
		char f[KD_SAFE_LEN];

		printf("      %s:%u [%s]%s%s\n",
		       kd_text_safe(kd_quirk_entry_file(e), f, sizeof(f)),
		       kd_quirk_entry_line(e), kd_quirk_entry_match(e),
		       n ? " " : "", n ? n : "");
	}
	if (pl->methods_from) {
		printf("    methods:");
		for (size_t i = 0; i < pl->methods.n; i++)
			printf("%s %s", i ? "," : "", pl->methods.v[i]);
		if (!pl->methods.n)
			printf(" (none left after avoid)");
		print_from(pl->methods_from);
	}
	print_strv("avoid", pl->avoid.v, pl->avoid.n);
	if (pl->has_delay) {
		printf("    delay-after-reset: %s",
		       kd_quirk_format_ns(pl->delay_after_reset_ns, d,
					  sizeof(d)));
		print_from(pl->delay_from);
	}
	if (pl->has_timeout) {
		printf("    timeout: %s",
		       kd_quirk_format_ns(pl->timeout_ns, d, sizeof(d)));
		print_from(pl->timeout_from);
	}
	print_steps("pre", &pl->pre, dev);
	print_steps("post", &pl->post, dev);
	print_strv("blacklist", pl->blacklist.v, pl->blacklist.n);
	for (size_t i = 0; i < pl->options.n; i++)
		printf("    options: %s\n", pl->options.v[i]);
	for (size_t i = 0; i < pl->cmdline.n; i++)
		printf("    cmdline: %s\n", pl->cmdline.v[i]);
}

static int cmd_match(struct kd_cli *cli, const struct qopts *o, int argc,
		     char **argv)
{
	struct kd_filter *filters;
	struct kd_prober *prober = NULL;
	struct kd_quirks *db = NULL;
	struct kd_ctx *ctx = NULL;
	struct kd_json_doc doc = KD_JSON_DOC("devices");
	size_t listed = 0;
	int ret = KD_EXIT_FATAL;

	if (argc < 1) {
		fprintf(stderr, "kdsafe quirks match: which DEVICE?\n");
		return KD_EXIT_USAGE;
	}
	filters = calloc((size_t)argc, sizeof(*filters));
	if (!filters)
		return KD_EXIT_FATAL;
	for (int i = 0; i < argc; i++) {
		if (kd_filter_parse(argv[i], &filters[i]) < 0) {
			fprintf(stderr, "kdsafe quirks match: '%s' is neither "
					"a device address nor a vendor:device "
					"ID\n", argv[i]);
			free(filters);
			return KD_EXIT_USAGE;
		}
	}
	if (o->json)
		kd_json_want_errors(cli);
	if (kd_cli_ctx(cli, &ctx) < 0 || kd_prober_new(ctx, &prober) < 0)
		goto out;
	kd_prober_set_modules(prober, false);
	if (load(ctx, o, &db) < 0)
		goto out;
	print_diags(db);
	if (o->json)
		kd_json_begin(cli, &doc, ctx, NULL);
	for (size_t i = 0; i < kd_prober_count(prober); i++) {
		const struct kd_addr *a = kd_prober_addr(prober, i);
		struct kd_probe_info in;
		struct kd_quirk_plan pl;
		struct kd_quirk_id id;
		struct kd_dev *dev;
		char name[KD_ADDR_STRLEN];
		bool sel = false;

		if (kd_dev_open(ctx, a, &dev) < 0) {
			kd_cli_error(cli, kd_addr_format(a, name),
				     "cannot read config space");
			continue;
		}
		if (kd_probe(prober, dev, &in) < 0) {
			kd_cli_error(cli, kd_addr_format(a, name),
				     "probe failed");
			kd_probe_info_clear(&in);
			kd_dev_free(dev);
			continue;
		}
		for (int f = 0; f < argc && !sel; f++)
			sel = kd_filter_match(&filters[f], a, in.vendor,
					      in.device, in.class_code);
		if (sel) {
			listed++;
			kd_quirk_id_from_probe(&in, &id);
			if (kd_quirks_match(db, &id, &pl) < 0) {
				kd_cli_error(cli, kd_addr_format(a, name),
					     "out of memory");
			} else {
				if (o->json)
					kd_json_item(&doc, kd_quirk_plan_to_json(
							     &in, &pl, dev));
				else
					print_plan(&in, &pl, dev);
				kd_quirk_plan_clear(&pl);
			}
		}
		kd_probe_info_clear(&in);
		kd_dev_free(dev);
	}
	if (!listed)
		kd_cli_error(cli, NULL, "no function matches the devices given");
	ret = cli->n_errors || kd_quirks_rejected(db) ? KD_EXIT_PARTIAL :
							KD_EXIT_OK;
out:
	if (o->json)
		kd_json_end(cli, &doc, NULL);
	kd_quirks_free(db);
	kd_prober_free(prober);
	kd_ctx_unref(ctx);
	free(filters);
	return ret;
}

int kd_cmd_quirks(struct kd_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quirks-dir", required_argument, NULL, 'D' },
		{ "no-default-dirs", no_argument, NULL, 'N' },
		{ "allow-insecure-quirks", no_argument, NULL, 'I' },
		KD_CLI_GLOBAL_OPTIONS,
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct qopts o = { 0 };
	const char *sub;
	int c, ret;

	/* "quirks SUB [OPTIONS] ARGS" and "quirks [OPTIONS] SUB ARGS" */
	o.dirs = calloc((size_t)argc + 1, sizeof(*o.dirs));
	if (!o.dirs)
		return KD_EXIT_FATAL;
	while ((c = getopt_long(argc, argv, "Jh" KD_CLI_GLOBAL_SHORT, opts,
				NULL)) != -1) {
		switch (c) {
		case 'D': o.dirs[o.n_dirs++] = optarg; break;
		case 'N': o.no_default = true; break;
		case 'I': o.insecure = true; break;
		case 'J': o.json = true; break;
		case 'h': usage(stdout); free(o.dirs); return KD_EXIT_OK;
		default:
			ret = kd_cli_global_option(cli, c, optarg);
			if (ret > 0)
				break;
			if (ret == 0)
				usage(stderr);
			free(o.dirs);
			return KD_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		free(o.dirs);
		return KD_EXIT_USAGE;
	}
	sub = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	if (strcmp(sub, "check") == 0)
		ret = cmd_check(cli, &o, argc, argv);
	else if (strcmp(sub, "list") == 0 && argc == 0)
		ret = cmd_list(cli, &o);
	else if (strcmp(sub, "match") == 0)
		ret = cmd_match(cli, &o, argc, argv);
	else {
		fprintf(stderr, "kdsafe quirks: unknown command '%s'%s\n", sub,
			strcmp(sub, "list") == 0 ? " arguments" : "");
		usage(stderr);
		ret = KD_EXIT_USAGE;
	}
	free(o.dirs);
	return ret;
}
