// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdsafe reset: reset (or, last resort, quiesce) the functions given, in
 * reset domains run concurrently; one result line per function, or JSON
 * (docs/reset.md), and an exit status that is 0 only when every requested
 * function is clean now.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "probe/probe.h"
#include "quirks/quirks.h"
#include "reset/reset.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kdsafe [--sysroot DIR | --dump FILE] reset [OPTIONS] "
		"DEVICE...\n"
		"       kdsafe ... reset [OPTIONS] --all\n\n"
		"Reset PCI functions a crashed kernel left live, before their "
		"drivers load.\nDEVICE is an address, [[DDDD:]BB:]DD.F.\n\n"
		"Options:\n"
		"  -m, --method M       auto (default), kernel, kernel:flr, "
		"kernel:pm,\n"
		"                       kernel:bus, flr, af-flr, pm, bus, "
		"virtio,\n"
		"                       quiesce (auto: the quirk's, then "
		"kernel, flr,\n"
		"                       af-flr, pm, bus, virtio; quiesce when "
		"none works)\n"
		"  -n, --dry-run        print the exact operations; touch "
		"nothing\n"
		"  -f, --force          also functions with a driver bound, and "
		"bus resets\n"
		"                       hitting bound functions\n"
		"  -t, --timeout T      readiness bound after a reset: 60s "
		"(default), 500ms\n"
		"  -j, --jobs N         reset domains at once (default: all)\n"
		"  -a, --all            every unbound function that is not "
		"clean\n"
		"      --json           JSON (docs/reset.md)\n"
		"  -v, --verbose        list the operations performed\n"
		"      --kmsg           also log to /dev/kmsg (under "
		"--sysroot)\n"
		"      --quirks-dir D   read quirks from D too (repeatable)\n"
		"      --no-quirks      ignore the quirk database\n"
		"      --allow-insecure-quirks  accept quirk files and scripts "
		"not owned\n"
		"                       by root or writable by others (tests)\n"
		"      --allow-real-sysfs  write to this machine's /sys "
		"(root; capture kernel)\n"
		"  -h, --help           this text\n\n"
		"Exit status: 0 every function clean now (dry run: every one "
		"planned), 1 some\nfunction not clean, refused or failed, 2 "
		"usage (bad method or address),\n3 some function does not "
		"exist, 4 nothing could be done.\nSee kdsafe-reset(8).\n");
}

struct reset_cli {
	struct kd_cli *cli;
	struct kd_reset_opts ro;
	bool json, verbose, all, kmsg, allow_real, no_quirks, insecure_quirks,
	     bad_args;
	const char **qdirs;
	size_t n_qdirs;
	struct kd_addr *addrs;
	size_t n;
};

/* ---- parsing ----------------------------------------------------------- */

/* "60", "60s", "1.5s", "500ms", "250us": 0 or -EINVAL */
static int parse_duration(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 3600)
		return -EINVAL;
	if (*end == '\0' || strcmp(end, "s") == 0)
		*ns = (uint64_t)(v * 1e9);
	else if (strcmp(end, "ms") == 0)
		*ns = (uint64_t)(v * 1e6);
	else if (strcmp(end, "us") == 0)
		*ns = (uint64_t)(v * 1e3);
	else
		return -EINVAL;
	return *ns ? 0 : -EINVAL;
}

/* --all: every unbound, non-bridge function whose verdict is not clean */
static int select_all(struct reset_cli *rc, struct kd_ctx *ctx)
{
	struct kd_prober *p;
	int err = kd_prober_new(ctx, &p);

	if (err < 0)
		return err;
	kd_prober_set_modules(p, false);
	rc->addrs = calloc(kd_prober_count(p) + 1, sizeof(*rc->addrs));
	if (!rc->addrs) {
		kd_prober_free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < kd_prober_count(p); i++) {
		struct kd_probe_info in;
		struct kd_dev *dev;

		if (kd_dev_open(ctx, kd_prober_addr(p, i), &dev) < 0)
			continue;
		if (kd_probe(p, dev, &in) == 0 && !in.bound && !in.is_bridge &&
		    !kd_probe_platform_bridge(&in) &&
		    in.verdict != KD_VERDICT_CLEAN)
			rc->addrs[rc->n++] = in.addr;
		kd_probe_info_clear(&in);
		kd_dev_free(dev);
	}
	kd_prober_free(p);
	return 0;
}

/* ---- text output ------------------------------------------------------- */

static void state_words(const struct kd_reset_state *s, char *buf, size_t len)
{
	if (!s->valid) {
		snprintf(buf, len, "?");
		return;
	}
	if (s->dead) {
		snprintf(buf, len, "dead");
		return;
	}
	snprintf(buf, len, "%s%s%s%s%s%s%s", kd_verdict_name(s->verdict),
		 s->bus_master ? ",bme" : "", s->msi ? ",msi" : "",
		 s->msix ? ",msix" : "", s->trans_pend ? ",transpend" : "",
		 s->errors && s->verdict != KD_VERDICT_ERRORS ? ",errors" : "",
		 s->power_state == 3 ? ",D3hot" : s->power_state > 0 ?
		 ",not-D0" : "");
}

static void print_ops(const struct kd_reset_result *r)
{
	char line[256], addr[KD_ADDR_STRLEN];

	for (size_t i = 0; i < r->n_ops; i++) {
		const struct kd_reset_op *op = &r->ops[i];

		kd_reset_op_format(op, line, sizeof(line));
		printf("    %2zu. %s %-44s", i + 1,
		       kd_addr_format(&op->addr, addr), line);
		if (op->why)
			printf("  # %s", op->why);
		if (op->result)
			printf("  [%s]", strerror(-op->result));
		putchar('\n');
	}
}

static void print_text(const struct reset_cli *rc,
		       const struct kd_reset_result *r)
{
	char before[64], after[64];

	state_words(&r->before, before, sizeof(before));
	state_words(&r->after, after, sizeof(after));
	printf("%s  %-8s %-10s", r->name, kd_reset_status_name(r->status),
	       kd_reset_method_name(r->used ? r->used : r->requested));
	if (!r->before.valid)
		printf(" %9s", "-");
	else if (r->status == KD_RS_PLANNED || r->status == KD_RS_REFUSED)
		printf(" %9s  %s", "-", before);
	else
		printf(" %6.1f ms  %s -> %s", (double)r->duration_ns / 1e6,
		       before, after);
	if (r->witness.name && r->witness.have_before)
		printf("  [%s: %s]", r->witness.name,
		       kd_witness_verdict_name(r->witness.verdict));
	putchar('\n');
	if (r->reason[0])
		printf("    %s\n", r->reason);
	if (r->policy_applied)
		printf("    quirk: %s\n", r->policy_source);
	if (r->n_also) {
		char a[KD_ADDR_STRLEN];

		printf("    also reset:");
		for (size_t i = 0; i < r->n_also; i++)
			printf(" %s", kd_addr_format(&r->also[i], a));
		putchar('\n');
	}
	for (unsigned i = 0; i < r->n_attempts && (rc->verbose ||
						     r->status != KD_RS_OK);
	     i++)
		printf("    tried %s: %s\n",
		       kd_reset_method_name(r->attempts[i].method),
		       r->attempts[i].why);
	if (rc->verbose || rc->ro.dry_run)
		print_ops(r);
}

/* ---- JSON -------------------------------------------------------------- */

static struct json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *jerrno(int err)
{
	const char *n = err ? strerrorname_np(-err) : NULL;

	return n ? json_object_new_string(n) : NULL;
}

static struct json_object *jaddr(const struct kd_addr *a)
{
	char s[KD_ADDR_STRLEN];

	return json_object_new_string(kd_addr_format(a, s));
}

static struct json_object *state_json(const struct kd_reset_state *s)
{
	struct json_object *o, *r;

	if (!s->valid)
		return NULL;
	o = json_object_new_object();
	r = json_object_new_array();
	json_object_object_add(o, "verdict",
			       jstr(kd_verdict_name(s->verdict)));
	for (unsigned b = 0; b < KD_REASON_COUNT; b++)
		if (s->reasons & (1u << b))
			json_object_array_add(r, jstr(kd_reason_word(
						      (enum kd_reason)(1u << b))));
	json_object_object_add(o, "reasons", r);
	json_object_object_add(o, "dead", json_object_new_boolean(s->dead));
	json_object_object_add(o, "bound", json_object_new_boolean(s->bound));
	json_object_object_add(o, "command", s->dead ? NULL :
			       json_object_new_int(s->command));
	json_object_object_add(o, "bus_master",
			       json_object_new_boolean(s->bus_master));
	json_object_object_add(o, "msi", json_object_new_boolean(s->msi));
	json_object_object_add(o, "msix", json_object_new_boolean(s->msix));
	json_object_object_add(o, "transactions_pending",
			       json_object_new_boolean(s->trans_pend));
	json_object_object_add(o, "errors", json_object_new_boolean(s->errors));
	if (s->power_state >= 0) {
		char d[16];

		snprintf(d, sizeof(d), "D%d", s->power_state);
		json_object_object_add(o, "d_state", jstr(d));
	} else {
		json_object_object_add(o, "d_state", NULL);
	}
	return o;
}

static struct json_object *op_json(const struct kd_reset_op *op)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "op", jstr(kd_op_kind_name(op->kind)));
	json_object_object_add(o, "address", jaddr(&op->addr));
	switch (op->kind) {
	case KD_OP_BAR_WRITE:
		json_object_object_add(o, "bar", json_object_new_int(op->bar));
		/* fall through */
	case KD_OP_CFG_WRITE:
		json_object_object_add(o, "offset",
				       json_object_new_int((int)op->pos));
		json_object_object_add(o, "width",
				       json_object_new_int((int)op->width));
		json_object_object_add(o, "value",
				       json_object_new_int64((int64_t)op->value));
		json_object_object_add(o, "if_changed",
				       json_object_new_boolean(op->if_changed));
		if (op->mask)
			json_object_object_add(o, "mask", json_object_new_int64(
						(int64_t)op->mask));
		break;
	case KD_OP_ATTR_WRITE:
		json_object_object_add(o, "attribute", jstr(op->attr));
		json_object_object_add(o, "value", jstr(op->text));
		break;
	case KD_OP_SLEEP:
		json_object_object_add(o, "ms", json_object_new_double(
						(double)op->ns / 1e6));
		break;
	case KD_OP_POLL:
		if (op->width) { /* a register poll (a quirk's) */
			if (op->bar >= 0)
				json_object_object_add(o, "bar",
					json_object_new_int(op->bar));
			json_object_object_add(o, "offset",
					       json_object_new_int((int)op->pos));
			json_object_object_add(o, "width",
					json_object_new_int((int)op->width));
			json_object_object_add(o, "value", json_object_new_int64(
						(int64_t)op->value));
			json_object_object_add(o, "mask", json_object_new_int64(
						(int64_t)op->mask));
		}
		json_object_object_add(o, "until", jstr(op->text));
		json_object_object_add(o, "timeout_ms", json_object_new_double(
						(double)op->ns / 1e6));
		json_object_object_add(o, "waited_ms", json_object_new_double(
						(double)op->waited_ns / 1e6));
		break;
	case KD_OP_RUN:
		json_object_object_add(o, "command", jstr(op->text));
		json_object_object_add(o, "timeout_ms", json_object_new_double(
						(double)op->ns / 1e6));
		break;
	}
	json_object_object_add(o, "why", jstr(op->why));
	json_object_object_add(o, "error", jerrno(op->result));
	return o;
}

static struct json_object *result_json(const struct kd_reset_result *r)
{
	struct json_object *o = json_object_new_object(), *a;
	const struct kd_witness *w = &r->witness;

	json_object_object_add(o, "address", jstr(r->name));
	json_object_object_add(o, "status",
			       jstr(kd_reset_status_name(r->status)));
	json_object_object_add(o, "requested",
			       jstr(kd_reset_method_name(r->requested)));
	json_object_object_add(o, "method", r->used ?
			       jstr(kd_reset_method_name(r->used)) : NULL);
	json_object_object_add(o, "duration_ms", json_object_new_double(
					(double)r->duration_ns / 1e6));
	json_object_object_add(o, "error", jerrno(r->err));
	json_object_object_add(o, "reason", r->reason[0] ? jstr(r->reason) :
							    NULL);
	json_object_object_add(o, "before", state_json(&r->before));
	json_object_object_add(o, "after", state_json(&r->after));
	if (w->name) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "name", jstr(w->name));
		json_object_object_add(j, "before", w->have_before ?
				       json_object_new_int64((int64_t)w->before) :
				       NULL);
		json_object_object_add(j, "after", w->have_after ?
				       json_object_new_int64((int64_t)w->after) :
				       NULL);
		json_object_object_add(j, "verdict",
				       jstr(kd_witness_verdict_name(w->verdict)));
		json_object_object_add(o, "witness", j);
	} else {
		json_object_object_add(o, "witness", NULL);
	}
	a = json_object_new_array();
	for (unsigned i = 0; i < r->n_attempts; i++) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "method", jstr(kd_reset_method_name(
						r->attempts[i].method)));
		json_object_object_add(j, "error", jerrno(r->attempts[i].err));
		json_object_object_add(j, "why", jstr(r->attempts[i].why));
		json_object_array_add(a, j);
	}
	json_object_object_add(o, "attempts", a);
	json_object_object_add(o, "bridge", r->has_bridge ? jaddr(&r->bridge) :
							     NULL);
	a = json_object_new_array();
	for (size_t i = 0; i < r->n_also; i++)
		json_object_array_add(a, jaddr(&r->also[i]));
	json_object_object_add(o, "also_reset", a);
	json_object_object_add(o, "quirk", r->policy_applied ?
			       jstr(r->policy_source) : NULL);
	a = json_object_new_array();
	for (size_t i = 0; i < r->n_ops; i++)
		json_object_array_add(a, op_json(&r->ops[i]));
	json_object_object_add(o, "operations", a);
	return o;
}

/* ---- running ----------------------------------------------------------- */

struct tally {
	unsigned ok, planned, dirty, failed, refused, missing;
};

static int exit_code(const struct reset_cli *rc, const struct tally *t)
{
	if (rc->bad_args)
		return KD_EXIT_USAGE;
	if (t->missing)
		return KD_EXIT_PARTIAL;
	if (t->dirty || t->failed || t->refused)
		return KD_EXIT_DIRTY;
	return KD_EXIT_OK;
}

static struct kd_quirks *load_quirks(struct reset_cli *rc,
				     struct kd_ctx *ctx)
{
	struct kd_quirks_load_opts qo = { .default_dirs = true,
					  .dirs = rc->qdirs,
					  .n_dirs = rc->n_qdirs,
					  .allow_insecure = rc->insecure_quirks };
	struct kd_quirks *db = NULL;
	int err;

	if (rc->no_quirks)
		return NULL;
	err = kd_quirks_load(ctx, &qo, &db);
	if (err < 0) {
		WARN(ctx, "quirk database unusable (%s): resetting without it",
		     strerror(-err));
		return NULL;
	}
	return db;
}

static int run(struct reset_cli *rc)
{
	struct kd_cli *cli = rc->cli;
	struct kd_reset_result *res = NULL;
	struct kd_quirks *db = NULL;
	struct json_object *top = NULL, *arr = NULL, *sum;
	struct kd_ctx *ctx = NULL;
	struct tally t = { 0 };
	int err, ret = KD_EXIT_FATAL;

	err = kd_cli_ctx(cli, &ctx);
	if (err < 0)
		goto out;
	if (rc->kmsg)
		kd_cli_open_kmsg(cli, ctx);
	if (!rc->ro.dry_run) {
		err = kd_ctx_enable_writes(ctx, rc->allow_real);
		if (err < 0)
			goto out;
	}
	if (rc->all) {
		err = select_all(rc, ctx);
		if (err < 0) {
			ERR(ctx, "cannot list functions: %s", strerror(-err));
			goto out;
		}
	}
	db = load_quirks(rc, ctx);
	if (db) {
		rc->ro.policy_fn = kd_reset_quirk_policy;
		rc->ro.policy_data = db;
	}
	res = calloc(rc->n ? rc->n : 1, sizeof(*res));
	if (!res) {
		ERR(ctx, "reset: %s", strerror(ENOMEM));
		goto out;
	}
	err = kd_reset_run(ctx, &rc->ro, rc->addrs, rc->n, res);
	if (err < 0)
		goto out;
	if (rc->json) {
		top = json_object_new_object();
		arr = json_object_new_array();
	}
	for (size_t i = 0; i < rc->n; i++) {
		const struct kd_reset_result *r = &res[i];

		switch (r->status) {
		case KD_RS_OK: t.ok++; break;
		case KD_RS_PLANNED: t.planned++; break;
		case KD_RS_DIRTY: t.dirty++; break;
		case KD_RS_REFUSED: t.refused++; break;
		case KD_RS_FAILED:
			if (r->err == -ENODEV && !r->before.valid)
				t.missing++;
			else
				t.failed++;
			break;
		}
		if (r->status == KD_RS_FAILED || r->status == KD_RS_REFUSED ||
		    r->status == KD_RS_DIRTY)
			kd_cli_error(cli, r->name, "%s: %s",
				     kd_reset_status_name(r->status),
				     r->reason);
		if (rc->kmsg) {
			char m[400];

			snprintf(m, sizeof(m), "%s: %s via %s", r->name,
				 kd_reset_status_name(r->status),
				 kd_reset_method_name(r->used));
			kd_cli_kmsg(cli, KD_LOG_NOTICE, m);
		}
		if (rc->json)
			json_object_array_add(arr, result_json(r));
		else
			print_text(rc, r);
	}
	ret = exit_code(rc, &t);
	if (rc->json) {
		json_object_object_add(top, "version", json_object_new_int(1));
		json_object_object_add(top, "tool",
				       jstr("kdsafe " KDSAFE_VERSION));
		json_object_object_add(top, "source",
				       jstr(kd_ctx_backend_name(ctx)));
		json_object_object_add(top, "dry_run",
				       json_object_new_boolean(rc->ro.dry_run));
		json_object_object_add(top, "method", jstr(kd_reset_method_name(
						rc->ro.method)));
		json_object_object_add(top, "results", arr);
		sum = json_object_new_object();
		json_object_object_add(sum, "requested",
				       json_object_new_int((int)rc->n));
		json_object_object_add(sum, "ok", json_object_new_int((int)t.ok));
		json_object_object_add(sum, "planned",
				       json_object_new_int((int)t.planned));
		json_object_object_add(sum, "dirty",
				       json_object_new_int((int)t.dirty));
		json_object_object_add(sum, "failed",
				       json_object_new_int((int)t.failed));
		json_object_object_add(sum, "refused",
				       json_object_new_int((int)t.refused));
		json_object_object_add(sum, "missing",
				       json_object_new_int((int)t.missing));
		json_object_object_add(sum, "exit_status",
				       json_object_new_int(ret));
		json_object_object_add(top, "summary", sum);
		json_object_object_add(top, "errors",
				       json_object_get(cli->errors));
		printf("%s\n", json_object_to_json_string_ext(top,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
	} else {
		printf("summary: %zu requested, %u ok, %u planned, %u dirty, "
		       "%u failed, %u refused, %u missing\n", rc->n, t.ok,
		       t.planned, t.dirty, t.failed, t.refused, t.missing);
	}
out:
	if (ret == KD_EXIT_FATAL && rc->json && !top) {
		top = json_object_new_object();
		json_object_object_add(top, "version", json_object_new_int(1));
		json_object_object_add(top, "results", json_object_new_array());
		json_object_object_add(top, "errors",
				       json_object_get(cli->errors));
		printf("%s\n", json_object_to_json_string_ext(top,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
	}
	for (size_t i = 0; res && i < rc->n; i++)
		kd_reset_result_clear(&res[i]);
	free(res);
	kd_quirks_free(db);
	kd_ctx_unref(ctx);
	return ret;
}

int kd_cmd_reset(struct kd_cli *cli, int argc, char **argv)
{
	enum { O_JSON = 256, O_KMSG, O_QDIR, O_NOQ, O_REAL, O_INSECURE };
	static const struct option opts[] = {
		{ "method", required_argument, NULL, 'm' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, O_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "kmsg", no_argument, NULL, O_KMSG },
		{ "quirks-dir", required_argument, NULL, O_QDIR },
		{ "no-quirks", no_argument, NULL, O_NOQ },
		{ "allow-insecure-quirks", no_argument, NULL, O_INSECURE },
		{ "allow-real-sysfs", no_argument, NULL, O_REAL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct reset_cli rc = { .cli = cli, .ro = { .method = KD_RM_AUTO } };
	char *end;
	long v;
	int c, ret;

	rc.qdirs = calloc((size_t)argc + 1, sizeof(*rc.qdirs));
	if (!rc.qdirs)
		return KD_EXIT_FATAL;
	while ((c = getopt_long(argc, argv, "m:nft:j:avh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (kd_reset_method_parse(optarg, &rc.ro.method) < 0) {
				fprintf(stderr, "kdsafe reset: unknown method "
					"'%s' (auto, kernel, kernel:flr, "
					"kernel:pm, kernel:bus, flr, af-flr, "
					"pm, bus, virtio, quiesce)\n", optarg);
				free(rc.qdirs);
				return KD_EXIT_USAGE;
			}
			break;
		case 'n': rc.ro.dry_run = true; break;
		case 'f': rc.ro.force = true; break;
		case 't':
			if (parse_duration(optarg, &rc.ro.timeout_ns) < 0) {
				fprintf(stderr, "kdsafe reset: bad timeout "
					"'%s' (60, 60s, 500ms)\n", optarg);
				free(rc.qdirs);
				return KD_EXIT_USAGE;
			}
			break;
		case 'j':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 1 || v > 4096) {
				fprintf(stderr, "kdsafe reset: bad --jobs "
					"'%s' (1..4096)\n", optarg);
				free(rc.qdirs);
				return KD_EXIT_USAGE;
			}
			rc.ro.jobs = (unsigned)v;
			break;
		case 'a': rc.all = true; break;
		case 'v': rc.verbose = true; break;
		case O_JSON: rc.json = true; break;
		case O_KMSG: rc.kmsg = true; break;
		case O_QDIR: rc.qdirs[rc.n_qdirs++] = optarg; break;
		case O_NOQ: rc.no_quirks = true; break;
		case O_INSECURE: rc.insecure_quirks = true; break;
		case O_REAL: rc.allow_real = true; break;
		case 'h': usage(stdout); free(rc.qdirs); return KD_EXIT_OK;
		default: usage(stderr); free(rc.qdirs); return KD_EXIT_USAGE;
		}
	}
	if (optind >= argc && !rc.all) {
		fprintf(stderr, "kdsafe reset: which devices? (DEVICE... or "
				"--all)\n");
		free(rc.qdirs);
		return KD_EXIT_USAGE;
	}
	if (optind < argc && rc.all) {
		fprintf(stderr, "kdsafe reset: --all and DEVICE exclude each "
				"other\n");
		free(rc.qdirs);
		return KD_EXIT_USAGE;
	}
	/* scripts not owned by root never run as root on a real machine */
	if (rc.insecure_quirks && rc.allow_real) {
		fprintf(stderr, "kdsafe reset: --allow-insecure-quirks is for "
				"test trees: it cannot be combined with "
				"--allow-real-sysfs\n");
		free(rc.qdirs);
		return KD_EXIT_USAGE;
	}
	if (!rc.all) {
		rc.addrs = calloc((size_t)(argc - optind), sizeof(*rc.addrs));
		if (!rc.addrs) {
			free(rc.qdirs);
			return KD_EXIT_FATAL;
		}
	}
	if (cli->dump_path && !rc.ro.dry_run) {
		fprintf(stderr, "kdsafe reset: a dump is read-only: use "
				"--dry-run with --dump\n");
		free(rc.addrs);
		free(rc.qdirs);
		return KD_EXIT_USAGE;
	}
	if (rc.json)
		cli->errors = json_object_new_array();
	for (int i = optind; i < argc; i++) {
		/* a bad address is reported; the others are still handled
		 * (kd_addr_parse() wants the ".F": a slot is not a function) */
		if (kd_addr_parse(argv[i], &rc.addrs[rc.n]) < 0) {
			kd_cli_error(cli, argv[i], "not a PCI function address "
				     "([[DDDD:]BB:]DD.F)");
			rc.bad_args = true;
			continue;
		}
		rc.n++;
	}
	if (!rc.all && rc.n == 0) {
		free(rc.addrs);
		free(rc.qdirs);
		return KD_EXIT_USAGE;
	}
	ret = run(&rc);
	free(rc.addrs);
	free(rc.qdirs);
	return ret;
}
