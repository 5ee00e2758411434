// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdsafe whitelist RESULTS...: merge campaign journals into a verdict per
 * device x driver x kernel (docs/whitelist.md), in a table, JSON, CSV,
 * Markdown or an HTML matrix, and optionally a quirks.d file choosing
 * each device's fix.  Reads files only; touches no device.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "whitelist/whitelist.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kdsafe whitelist [OPTIONS] RESULTS...\n\n"
		"Merge campaign journals (files, or directories searched for "
		"*.jsonl)\nfrom any number of runs and machines into a verdict "
		"per device\n(vendor:device, subsystem) x driver x kernel: "
		"safe, safe-with FIX,\ninconsistent, unsafe or untested, with "
		"the evidence.\n\n"
		"Options:\n"
		"      --format FMT         table (default), json, csv, "
		"markdown, html\n"
		"      --json               the same as --format json\n"
		"      --emit-quirks FILE   also write a quirks.d file choosing "
		"the fix of\n"
		"                           each safe-with device\n"
		"  -h, --help               this text\n\n"
		"Exit status: 0 ok, 2 usage, 3 some record or file was "
		"skipped (the\nrest was merged), 4 nothing could be read or "
		"written.\nSee kdsafe-whitelist(8), docs/whitelist.md and "
		"docs/journal.md.\n");
}

/* Warnings (FILE:LINE: reason) and errors to stderr; -q keeps errors. */
static void wl_log(void *data, int prio, const char *file, int line,
		   const char *fn, const char *format, va_list args)
{
	struct kd_cli *cli = data;

	(void)file, (void)line, (void)fn;
	if (prio > KD_LOG_WARNING && cli->verbosity < 1)
		return;
	if (prio == KD_LOG_WARNING && cli->verbosity < 0)
		return;
	fprintf(stderr, "kdsafe: %s", prio <= KD_LOG_ERR ? "error: " :
				     prio == KD_LOG_WARNING ? "warning: " : "");
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

/* The --emit-quirks file: closed here, a write error reported. */
static int close_output(FILE *f, const char *name)
{
	bool bad = ferror(f) != 0;
	int err = errno;

	if (fclose(f) != 0) {
		bad = true;
		err = errno;
	}
	if (bad)
		fprintf(stderr, "kdsafe: error: %s: write failed: %s\n", name,
			strerror(err));
	return bad ? -1 : 0;
}

static int emit_quirks(const char *path, struct kd_wl_device *const *devs,
		       size_t n)
{
	FILE *f = fopen(path, "we");
	unsigned entries = 0;

	if (!f) {
		fprintf(stderr, "kdsafe: error: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	kd_wl_write_quirks(f, devs, n, &entries);
	if (close_output(f, path) < 0)
		return -1;
	fprintf(stderr, "kdsafe: %s: %u quirk entr%s\n", path, entries,
		entries == 1 ? "y" : "ies");
	return 0;
}

int kd_cmd_whitelist(struct kd_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'J' },
		{ "emit-quirks", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum kd_wl_format fmt = KD_WL_TABLE;
	const char *quirks_path = NULL;
	struct kd_wl_device *const *devs;
	const struct kd_wl_inputs *in;
	struct kd_ctx_options co = {
		.no_devices = true, .log_fn = wl_log, .log_data = cli,
		.log_priority = cli->verbosity > 0 ? KD_LOG_DEBUG :
						     KD_LOG_WARNING,
	};
	struct kd_ctx *ctx = NULL;
	struct kd_wl *wl = NULL;
	int c, ret = KD_EXIT_OK;
	size_t n;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (kd_wl_format_parse(optarg, &fmt) < 0) {
				fprintf(stderr, "kdsafe: unknown format '%s' "
						"(table, json, csv, markdown, "
						"html)\n", optarg);
				return KD_EXIT_USAGE;
			}
			break;
		case 'J': fmt = KD_WL_JSON; break;
		case 'e': quirks_path = optarg; break;
		case 'h': usage(stdout); return KD_EXIT_OK;
		default: usage(stderr); return KD_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "kdsafe: whitelist: name at least one journal "
				"or directory\n");
		usage(stderr);
		return KD_EXIT_USAGE;
	}
	if (kd_ctx_new(&co, &ctx) < 0 || kd_wl_new(ctx, &wl) < 0) {
		ret = KD_EXIT_FATAL;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		if (kd_wl_add_path(wl, argv[i]) < 0) {
			fprintf(stderr, "kdsafe: error: out of memory\n");
			ret = KD_EXIT_FATAL;
			goto out;
		}
	}
	in = kd_wl_inputs(wl);
	if (in->files == 0 || in->unreadable == in->files) {
		fprintf(stderr, "kdsafe: error: no journal could be read\n");
		ret = KD_EXIT_FATAL;
		goto out;
	}
	kd_wl_finish(wl, &devs, &n);
	/* stdout is flushed and closed, its errors reported, by main
	 * (kd_cli_close_stdout()) */
	if (kd_wl_write(stdout, fmt, devs, n, in) < 0 ||
	    (quirks_path && emit_quirks(quirks_path, devs, n) < 0)) {
		ret = KD_EXIT_FATAL;
		goto out;
	}
	if (in->st.malformed || in->unreadable) {
		fprintf(stderr, "kdsafe: warning: input was partial: %lu "
				"malformed line%s (%lu torn), %lu unreadable "
				"file%s; the rest was merged\n",
			in->st.malformed, in->st.malformed == 1 ? "" : "s",
			in->st.torn, in->unreadable,
			in->unreadable == 1 ? "" : "s");
		ret = KD_EXIT_PARTIAL;
	}
out:
	kd_wl_free(wl);
	kd_ctx_unref(ctx);
	return ret;
}
