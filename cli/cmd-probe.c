// SPDX-License-Identifier: GPL-2.0-or-later
/* kdsafe probe: read-only; one line, a -v block or a JSON object per
 * function, streamed so memory stays flat however many functions. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "probe-output.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kdsafe [--sysroot DIR | --dump FILE] probe [OPTIONS] "
		"[DEVICE...]\n\n"
		"List every PCI function with its reset methods, the live state "
		"a previous\nkernel left in it, and a verdict: clean, errors, "
		"irq-armed, active-dma, dead.\nRead-only.\n\n"
		"DEVICE is an address ([[DDDD:]BB:]DD[.F], as lspci -s) or an "
		"ID\n(VVVV:[DDDD], as lspci -d).\n\n"
		"Options:\n"
		"  -J, --json        JSON (docs/json-schema.md)\n"
		"  -v, --verbose     detail per function\n"
		"      --no-modules  skip the libkmod module lookup\n"
		"      --fail-dirty  exit 1 when a listed function is not clean\n"
		"  -h, --help        this text\n\n"
		"Exit status: 0 ok, 1 not clean (with --fail-dirty), 2 usage, "
		"3 some\nfunction or input could not be read, 4 no device tree "
		"or dump, or stdout\nnot written.\n");
}

struct probe_opts {
	bool json, verbose, modules, fail_dirty;
	int n_filters;
	struct kd_filter *filters;
};

static bool selected(const struct probe_opts *o, const struct kd_addr *a,
		     const struct kd_probe_info *in)
{
	if (o->n_filters == 0)
		return true;
	for (int i = 0; i < o->n_filters; i++)
		if (kd_filter_match(&o->filters[i], a, in->vendor, in->device,
				    in->class_code))
			return true;
	return false;
}

static int run(struct kd_cli *cli, struct probe_opts *o)
{
	struct kd_json_doc doc = KD_JSON_DOC("functions");
	struct kd_prober *prober = NULL;
	struct kd_ctx *ctx = NULL;
	unsigned dirty = 0, listed = 0;
	int err;

	if (o->json)
		kd_json_want_errors(cli);
	err = kd_cli_ctx(cli, &ctx);
	if (err == 0) {
		err = kd_prober_new(ctx, &prober);
		if (err < 0)
			kd_ctx_unref(ctx);
	}
	if (err < 0) {
		/* a consumer of --json still gets a document, with the why */
		if (o->json)
			kd_json_end(cli, &doc, NULL);
		return KD_EXIT_FATAL;
	}
	kd_prober_set_modules(prober, o->modules);
	if (o->json)
		kd_json_begin(cli, &doc, ctx, NULL);
	else if (!o->verbose)
		kd_probe_print_header(stdout);

	for (size_t i = 0; i < kd_prober_count(prober); i++) {
		const struct kd_addr *a = kd_prober_addr(prober, i);
		struct kd_probe_info in;
		struct kd_dev *dev;
		char name[KD_ADDR_STRLEN];

		err = kd_dev_open(ctx, a, &dev);
		if (err < 0) {
			kd_cli_error(cli, kd_addr_format(a, name),
				     "cannot read config space: %s",
				     strerror(-err));
			continue;
		}
		err = kd_probe(prober, dev, &in);
		kd_dev_free(dev);
		if (err < 0) {
			kd_cli_error(cli, kd_addr_format(a, name),
				     "probe failed: %s", strerror(-err));
			kd_probe_info_clear(&in);
			continue;
		}
		if (selected(o, a, &in)) {
			listed++;
			if (in.verdict != KD_VERDICT_CLEAN)
				dirty++;
			if (o->json)
				kd_json_item(&doc, kd_probe_to_json(&in));
			else if (o->verbose) {
				kd_probe_print_detail(stdout, &in);
			} else {
				kd_probe_print_line(stdout, &in);
			}
		}
		kd_probe_info_clear(&in);
	}
	if (o->n_filters && listed == 0)
		kd_cli_error(cli, NULL, "no function matches the devices given");
	if (o->json)
		kd_json_end(cli, &doc, NULL);
	kd_prober_free(prober);
	kd_ctx_unref(ctx);
	if (cli->n_errors)
		return KD_EXIT_PARTIAL;
	return o->fail_dirty && dirty ? KD_EXIT_DIRTY : KD_EXIT_OK;
}

int kd_cmd_probe(struct kd_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		KD_CLI_GLOBAL_OPTIONS,
		{ "json", no_argument, NULL, 'J' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-modules", no_argument, NULL, 'M' },
		{ "fail-dirty", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct probe_opts o = { .modules = true };
	int c, ret;

	while ((c = getopt_long(argc, argv, "Jvh" KD_CLI_GLOBAL_SHORT, opts,
				NULL)) != -1) {
		switch (c) {
		case 'J': o.json = true; break;
		case 'v': o.verbose = true; break;
		case 'M': o.modules = false; break;
		case 'F': o.fail_dirty = true; break;
		case 'h': usage(stdout); return KD_EXIT_OK;
		default:
			ret = kd_cli_global_option(cli, c, optarg);
			if (ret > 0)
				break;
			if (ret == 0)
				usage(stderr);
			return KD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		o.filters = calloc((size_t)(argc - optind), sizeof(*o.filters));
		if (!o.filters)
			return KD_EXIT_FATAL;
	}
	for (int i = optind; i < argc; i++) {
		if (kd_filter_parse(argv[i], &o.filters[o.n_filters]) < 0) {
			fprintf(stderr, "kdsafe probe: '%s' is neither a device "
					"address nor a vendor:device ID\n",
				argv[i]);
			free(o.filters);
			return KD_EXIT_USAGE;
		}
		o.n_filters++;
	}
	ret = run(cli, &o);
	free(o.filters);
	return ret;
}
