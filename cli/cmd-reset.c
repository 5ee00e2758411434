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

#include "access/duration.h"
#include "cli.h"
#include "probe/probe.h"
#include "quirks/procs.h"
#include "quirks/quirks.h"
#include "reset/guard.h"
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
		"      --timeout-total T  the whole run's time budget: 300s "
		"(default)\n"
		"      --wait-lock[=T]  wait for another run's lock (default "
		"60s)\n"
		"                       instead of refusing at once\n"
		"  -a, --all            every unbound function that is not "
		"clean\n"
		"  -J, --json           JSON (docs/reset.md)\n"
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
		"exist, 4 nothing could be done, another run holds the lock, or "
		"stdout\nnot written, 5 interrupted by a signal, every touched "
		"function restored,\n6 interrupted and some function could not "
		"be restored.\n"
		"See kdsafe-reset(8).\n");
}

struct reset_cli {
	struct kd_cli *cli;
	struct kd_reset_opts ro;
	bool json, verbose, all, kmsg, allow_real, no_quirks, insecure_quirks,
	     bad_args, help;
	const char **qdirs;
	size_t n_qdirs;
	uint64_t total_ns, wait_lock_ns; /* reset/guard.h */
	uint64_t start_ns;      /* kd_cli_now_ns() on entering the command */
	uint64_t prepare_ns;    /* start to the run: context, quirks, lock */
	uint64_t choose_ns, quirks_ns; /* of it: --all's choice, the quirks */
	struct kd_reset_timing timing;
	struct kd_addr *addrs;
	size_t n;
	/* --all: addrs[i] as select_all() identified it (the planner's) */
	struct kd_probe_info *infos;
	size_t cap;             /* --all: room in addrs, infos, results */
	struct kd_prober *prober; /* --all: its topology plans the run */
	struct kd_ctx *ctx;     /* --all: for choose_rest() */
	struct maybe *maybe;    /* --all: candidates from config space */
	size_t n_maybe;
	bool *scanned;          /* --all: per listed function, scan() done */
	bool vf;                /* --all: scan() saw a possible VF */
	uint64_t rest_ns;       /* choose_rest(), while the first waits */
	bool kmsg_live; /* each result went to kmsg as it was final */
	/* --all --kmsg streamed: the results final before chosen() told the
	 * count, their lines held until it has (under cli->log_lock) */
	size_t *held, n_held;
	bool hold_kmsg;
	/* --json: each result's text, made as it was final (result_done()) */
	const struct kd_reset_result *res;
	char **items;
};

/* ---- parsing ----------------------------------------------------------- */

/* -t: seconds, or a duration as in the quirk files (access/duration.h) */
static bool parse_timeout(const char *arg, uint64_t *ns)
{
	const char *e = kd_duration_parse(arg, strlen(arg), KD_NS_PER_S, ns);

	if (!e && *ns == 0)
		e = "a timeout of zero allows no wait at all";
	if (e)
		fprintf(stderr, "kdsafe reset: bad --timeout '%s': %s\n", arg,
			e);
	return !e;
}

/* --timeout-total, --wait-lock: seconds or a duration, as -t */
static bool parse_budget(const char *opt, const char *arg, uint64_t *ns)
{
	const char *e = kd_duration_parse(arg, strlen(arg), KD_NS_PER_S, ns);

	if (e)
		fprintf(stderr, "kdsafe reset: bad %s '%s': %s\n", opt, arg, e);
	return !e;
}

/* A function config space alone says may be a candidate
 * (kd_probe_identify_config()), not yet identified in full */
struct maybe {
	struct kd_addr addr, key; /* key: its reset domain */
	uint64_t wait_ns;         /* kd_reset_expected_wait_ns() */
	bool taken;
};

/* kd_probe_reset_candidate() on the whole identify, and the caller's
 * choice (cli->select): into addrs and infos */
static void choose_one(struct reset_cli *rc, struct kd_ctx *ctx,
		       const struct kd_addr *a)
{
	const struct kd_cli_select *sel = rc->cli->select;
	struct kd_probe_info in;
	struct kd_dev *dev;

	if (rc->n >= rc->cap || kd_dev_open(ctx, a, &dev) < 0)
		return;
	if (kd_probe(rc->prober, dev, &in) == 0 &&
	    kd_probe_reset_candidate(&in) &&
	    (!sel || sel->want(sel->data, ctx, &in))) {
		rc->addrs[rc->n] = in.addr;
		rc->infos[rc->n++] = in; /* the planner's, kept */
	} else {
		kd_probe_info_clear(&in);
	}
	kd_dev_free(dev);
}

/* The maybe-candidates in domain key (NULL: all) not yet taken */
static void choose(struct reset_cli *rc, struct kd_ctx *ctx,
		   const struct kd_addr *key)
{
	for (size_t i = 0; i < rc->n_maybe; i++) {
		struct maybe *m = &rc->maybe[i];

		if (m->taken || (key && !kd_addr_eq(&m->key, key)))
			continue;
		m->taken = true;
		choose_one(rc, ctx, &m->addr);
	}
}

static void chosen(struct reset_cli *rc, struct kd_ctx *ctx)
{
	const struct kd_cli_select *sel = rc->cli->select;

	if (sel && sel->chosen)
		sel->chosen(sel->data, ctx, rc->n);
}

/* Config space alone of the listing's function i, once: a
 * maybe-candidate appended with its domain and expected wait (NULL: none);
 * a possible VF is noted (its Vendor ID reads ffff: its domain is its
 * PF's, which only the whole identify finds) */
static struct maybe *scan(struct reset_cli *rc, struct kd_ctx *ctx, size_t i)
{
	const struct kd_topo *topo = kd_prober_topo(rc->prober);
	const struct kd_addr *a = kd_prober_addr(rc->prober, i);
	struct maybe *m = NULL;
	struct kd_probe_info ci;
	struct kd_dev *dev;

	rc->scanned[i] = true;
	if (kd_dev_open(ctx, a, &dev) < 0)
		return NULL;
	/* the clean and the never-reset ones without a sysfs read: in a
	 * capture kernel each path lookup costs */
	kd_probe_identify_config(topo, dev, &ci);
	kd_dev_free(dev);
	if (kd_probe_reset_candidate(&ci)) {
		m = &rc->maybe[rc->n_maybe++];
		m->addr = *a;
		kd_reset_domain_key(topo, a, &m->key);
		m->wait_ns = kd_reset_expected_wait_ns(&ci, rc->ro.method);
		rc->vf |= ci.vendor == 0xffff;
	}
	kd_probe_info_clear(&ci);
	return m;
}

/* Every function not scanned yet */
static void scan_rest(struct reset_cli *rc, struct kd_ctx *ctx)
{
	for (size_t i = 0; i < kd_prober_count(rc->prober); i++)
		if (!rc->scanned[i])
			scan(rc, ctx, i);
}

static void kmsg_result(struct reset_cli *rc,
			const struct kd_reset_result *r);

/* opts.more_fn: the rest, while the first domain waits (another thread;
 * the first domain's entries are not touched) */
static size_t choose_rest(void *data)
{
	struct reset_cli *rc = data;
	uint64_t t = kd_cli_now_ns();

	scan_rest(rc, rc->ctx);
	choose(rc, rc->ctx, NULL);
	/* the count first on the console, then the lines held meanwhile */
	pthread_mutex_lock(&rc->cli->log_lock);
	chosen(rc, rc->ctx);
	rc->hold_kmsg = false;
	for (size_t k = 0; k < rc->n_held; k++)
		kmsg_result(rc, &rc->res[rc->held[k]]);
	pthread_mutex_unlock(&rc->cli->log_lock);
	rc->rest_ns = kd_cli_now_ns() - t;
	return rc->n;
}

/*
 * The domain expected to wait longest, from config space: its key (NULL:
 * none waits, or a possible VF was seen).  Not a dry run, the scan stops
 * at a function no other can outwait (kd_reset_expected_wait_max_ns(), a
 * bus reset: only a function below a bridge has one) and reads the rest
 * of its domain; the others are left for the rest.  Functions below a
 * bridge are read first, the root bus's after them.
 */
static const struct kd_addr *find_maybe(struct reset_cli *rc,
					struct kd_ctx *ctx)
{
	const struct kd_topo *topo = kd_prober_topo(rc->prober);
	const uint64_t most = kd_reset_expected_wait_max_ns();
	const struct kd_addr *lead = NULL;
	uint64_t longest = 0;
	size_t count = kd_prober_count(rc->prober);

	for (int below = 1; below >= 0; below--)
		for (size_t i = 0; i < count; i++) {
			struct maybe *m;

			if (longest >= most && !rc->ro.dry_run)
				break;
			if (rc->scanned[i] || topo->v[i].has_parent != below)
				continue;
			m = scan(rc, ctx, i);
			if (m && m->wait_ns > longest) {
				longest = m->wait_ns;
				lead = &m->key;
			}
		}
	for (size_t i = 0; lead && longest >= most && i < count; i++) {
		struct kd_addr key;

		kd_reset_domain_key(topo, kd_prober_addr(rc->prober, i), &key);
		if (!rc->scanned[i] && kd_addr_eq(&key, lead))
			scan(rc, ctx, i);
	}
	return rc->vf ? NULL : lead;
}

/* Whether choose_rest() has anything to look at: a maybe-candidate not
 * taken, or a function find_maybe() left unread (its scan stopped at the
 * longest wait, perhaps before any other candidate) */
static bool rest_left(const struct reset_cli *rc)
{
	for (size_t i = 0; i < rc->n_maybe; i++)
		if (!rc->maybe[i].taken)
			return true;
	for (size_t i = 0; i < kd_prober_count(rc->prober); i++)
		if (!rc->scanned[i])
			return true;
	return false;
}

/*
 * --all: every function kd_probe_reset_candidate() picks that the
 * caller's choice (cli->select) wants.  Not a dry run: the domain
 * expected to wait longest is chosen first, alone, and the rest while it
 * waits (opts.more_fn): on a capture kernel's one CPU choosing them cost
 * its start 60 to 90 ms.
 */
static int select_all(struct reset_cli *rc, struct kd_ctx *ctx)
{
	const struct kd_addr *lead;
	size_t count;
	int err = kd_prober_new(ctx, &rc->prober);

	if (err < 0)
		return err;
	kd_prober_set_modules(rc->prober, false);
	count = kd_prober_count(rc->prober);
	rc->addrs = calloc(count + 1, sizeof(*rc->addrs));
	rc->infos = calloc(count + 1, sizeof(*rc->infos));
	rc->maybe = calloc(count + 1, sizeof(*rc->maybe));
	rc->scanned = calloc(count + 1, sizeof(*rc->scanned));
	if (!rc->addrs || !rc->infos || !rc->maybe || !rc->scanned)
		return -ENOMEM;
	rc->cap = count;
	rc->ctx = ctx;
	rc->ro.infos = rc->infos;
	rc->ro.topo = kd_prober_topo(rc->prober);
	lead = find_maybe(rc, ctx);
	if (lead && !rc->ro.dry_run)
		choose(rc, ctx, lead);
	if (rc->n && rest_left(rc)) {
		rc->ro.more_fn = choose_rest;
		rc->ro.more_data = rc;
		rc->ro.cap = rc->cap;
		return 0;
	}
	scan_rest(rc, ctx);
	choose(rc, ctx, NULL);
	chosen(rc, ctx);
	return 0;
}

/* The rest chosen now, where the run will not (quirks refused) */
static void choose_now(struct reset_cli *rc)
{
	if (!rc->ro.more_fn)
		return;
	choose_rest(rc);
	rc->ro.more_fn = NULL;
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

static uint64_t ns_since(uint64_t t, uint64_t base)
{
	return t > base ? t - base : 0;
}

/*
 * ns as milliseconds with six decimals (exact): the digits written here,
 * not json-c's "%.17g" (vfprintf was most of a result's serialization,
 * and the lead's result is serialized after the longest wait).
 */
static struct json_object *jms(uint64_t ns)
{
	char buf[32], *p = buf + sizeof(buf);
	uint64_t ms = ns / 1000000u, frac = ns % 1000000u;

	*--p = '\0';
	for (int i = 0; i < 6; i++, frac /= 10)
		*--p = (char)('0' + frac % 10);
	*--p = '.';
	do {
		*--p = (char)('0' + ms % 10);
		ms /= 10;
	} while (ms);
	return json_object_new_double_s((double)ns / 1e6, p);
}

/* base: the clock when the function's turn came (at_ms counts from it) */
static struct json_object *op_json(const struct kd_reset_op *op,
				   uint64_t base)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "op", jstr(kd_op_kind_name(op->kind)));
	json_object_object_add(o, "address", jaddr(&op->addr));
	json_object_object_add(o, "at_ms", jms(ns_since(op->at_ns, base)));
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
		json_object_object_add(o, "duration_ms", jms(op->duration_ns));
		break;
	case KD_OP_SLEEP:
		json_object_object_add(o, "ms", jms(op->ns));
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
		json_object_object_add(o, "timeout_ms", jms(op->ns));
		json_object_object_add(o, "waited_ms", jms(op->waited_ns));
		break;
	case KD_OP_RUN:
		json_object_object_add(o, "command", jstr(op->text));
		json_object_object_add(o, "timeout_ms", jms(op->ns));
		break;
	}
	json_object_object_add(o, "why", jstr(op->why));
	json_object_object_add(o, "error", jerrno(op->result));
	return o;
}

/* t0: the clock when the first function's turn came */
static struct json_object *result_json(const struct kd_reset_result *r,
				       uint64_t t0)
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
	json_object_object_add(o, "duration_ms", jms(r->duration_ns));
	json_object_object_add(o, "waited_ms",
			       jms(kd_reset_waited_ns(r->ops, r->n_ops)));
	/* where the time went: its turn, then open/identify/policy, the reset */
	/* null: its turn never came (no such function), its reset never
	 * started (refused, failed before) */
	json_object_object_add(o, "began_ms", r->began_ns ?
		jms(ns_since(r->began_ns, t0)) : NULL);
	json_object_object_add(o, "reset_started_ms", r->started_ns ?
		jms(ns_since(r->started_ns, r->began_ns)) :
		NULL);
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
		json_object_array_add(a, op_json(&r->ops[i], r->began_ns));
	json_object_object_add(o, "operations", a);
	return o;
}

/* ---- running ----------------------------------------------------------- */

struct tally {
	unsigned ok, planned, dirty, failed, refused, missing;
	uint64_t longest_ns;    /* the longest reset wait, and whose */
	const struct kd_reset_result *longest;
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

/* r's one line on the console */
static void kmsg_result(struct reset_cli *rc, const struct kd_reset_result *r)
{
	char m[400];

	snprintf(m, sizeof(m), "%s: %s via %s", r->name,
		 kd_reset_status_name(r->status), kd_reset_method_name(r->used));
	kd_cli_kmsg(rc->cli, KD_LOG_NOTICE, m);
}

/* Counts r in t, records it as an error when not clean, logs it to kmsg
 * (unless that happened as it was final: kmsg_live). */
static void tally_result(struct reset_cli *rc, const struct kd_reset_result *r,
			 struct tally *t)
{
	uint64_t waited = kd_reset_waited_ns(r->ops, r->n_ops);

	if (waited > t->longest_ns) {
		t->longest_ns = waited;
		t->longest = r;
	}
	switch (r->status) {
	case KD_RS_OK: t->ok++; break;
	case KD_RS_PLANNED: t->planned++; break;
	case KD_RS_DIRTY: t->dirty++; break;
	case KD_RS_REFUSED: t->refused++; break;
	case KD_RS_FAILED:
		if (r->err == -ENODEV && !r->before.valid)
			t->missing++;
		else
			t->failed++;
		break;
	}
	if (r->status == KD_RS_FAILED || r->status == KD_RS_REFUSED ||
	    r->status == KD_RS_DIRTY)
		kd_cli_error(rc->cli, r->name, "%s: %s",
			     kd_reset_status_name(r->status), r->reason);
	if (rc->kmsg && !rc->kmsg_live)
		kmsg_result(rc, r);
}

static struct json_object *summary_json(const struct reset_cli *rc,
					const struct tally *t, int ret)
{
	struct json_object *tail = json_object_new_object();
	struct json_object *sum = json_object_new_object();
	const struct { const char *key; unsigned v; } n[] = {
		{ "requested", (unsigned)rc->n }, { "ok", t->ok },
		{ "planned", t->planned }, { "dirty", t->dirty },
		{ "failed", t->failed }, { "refused", t->refused },
		{ "missing", t->missing }, { "exit_status", (unsigned)ret },
	};

	const struct kd_run_stats *st = &rc->cli->stats;

	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		json_object_object_add(sum, n[i].key,
				       json_object_new_int((int)n[i].v));
	json_object_object_add(sum, "elapsed_ms", jms(st->elapsed_ns));
	json_object_object_add(sum, "longest_wait_ms", jms(st->longest_wait_ns));
	json_object_object_add(sum, "longest_wait_address",
			       st->longest_address[0] ?
			       jstr(st->longest_address) : NULL);
	json_object_object_add(sum, "longest_wait_method",
			       jstr(st->longest_method));
	/* the rest of elapsed_ms: setting up, listing, after the resets */
	json_object_object_add(sum, "prepare_ms", jms(st->prepare_ns));
	json_object_object_add(sum, "choose_ms", jms(rc->choose_ns));
	/* of resets_ms: choosing the rest while the first domain waited */
	json_object_object_add(sum, "choose_rest_ms", jms(rc->rest_ns));
	json_object_object_add(sum, "quirks_ms", jms(rc->quirks_ns));
	json_object_object_add(sum, "topology_ms", jms(st->topology_ns));
	json_object_object_add(sum, "plan_ms", jms(st->plan_ns));
	json_object_object_add(sum, "resets_ms", jms(st->resets_ns));
	json_object_object_add(tail, "summary", sum);
	return tail;
}

/* The run's figures for the caller (kd_cli stats: kdsafe hook's last
 * line, the JSON summary) */
static void record_stats(struct reset_cli *rc, const struct tally *t)
{
	struct kd_run_stats *st = &rc->cli->stats;

	memset(st, 0, sizeof(*st));
	st->valid = true;
	st->elapsed_ns = kd_cli_now_ns() - rc->start_ns;
	st->prepare_ns = rc->prepare_ns;
	st->topology_ns = rc->timing.topology_ns;
	st->plan_ns = rc->timing.plan_ns;
	st->resets_ns = rc->timing.resets_ns;
	st->reset = t->ok + t->planned;
	st->failed = t->dirty + t->failed + t->refused + t->missing;
	st->longest_wait_ns = t->longest_ns;
	if (t->longest) {
		snprintf(st->longest_address, sizeof(st->longest_address),
			 "%s", t->longest->name);
		st->longest_method = kd_reset_method_name(t->longest->used ?
			t->longest->used : t->longest->requested);
	}
}

/* The report is in address order: --all chose the first domain's
 * functions before the others */
struct ranked {
	struct kd_addr addr;
	size_t i;
};

static int cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	int c = kd_addr_cmp(&a->addr, &b->addr);

	return c ? c : a->i < b->i ? -1 : a->i > b->i;
}

/* rc->n indices in address order (NULL: out of memory, given order) */
static struct ranked *by_address(const struct reset_cli *rc)
{
	struct ranked *o = calloc(rc->n ? rc->n : 1, sizeof(*o));

	for (size_t i = 0; o && i < rc->n; i++)
		o[i] = (struct ranked){ .addr = rc->addrs[i], .i = i };
	if (o && rc->all)
		qsort(o, rc->n, sizeof(*o), cmp_ranked);
	return o;
}

/* The results, as text or as the JSON document; the exit status. */
static int report(struct reset_cli *rc, struct kd_ctx *ctx,
		  const struct kd_reset_result *res, struct kd_json_doc *doc)
{
	struct tally t = { 0 };
	struct ranked *order;
	uint64_t t0 = 0;
	int ret;

	if (rc->json) {
		struct json_object *head = json_object_new_object();

		json_object_object_add(head, "dry_run",
				       json_object_new_boolean(rc->ro.dry_run));
		json_object_object_add(head, "method", jstr(kd_reset_method_name(
						rc->ro.method)));
		kd_json_begin(rc->cli, doc, ctx, head);
	}
	/* began_ms counts from the resets' start (timing.begin_ns), else
	 * from the first function's turn */
	t0 = rc->timing.begin_ns;
	for (size_t i = 0; !t0 && i < rc->n; i++)
		if (res[i].began_ns && (!t0 || res[i].began_ns < t0))
			t0 = res[i].began_ns;
	order = by_address(rc);
	for (size_t k = 0; k < rc->n; k++) {
		size_t i = order ? order[k].i : k;

		tally_result(rc, &res[i], &t);
		if (rc->json && rc->items && rc->items[i])
			kd_json_item_text(doc, rc->items[i]);
		else if (rc->json)
			kd_json_item(doc, result_json(&res[i], t0));
		else
			print_text(rc, &res[i]);
	}
	free(order);
	ret = exit_code(rc, &t);
	record_stats(rc, &t);
	if (rc->json)
		kd_json_end(rc->cli, doc, summary_json(rc, &t, ret));
	else
		printf("summary: %zu requested, %u ok, %u planned, %u dirty, "
		       "%u failed, %u refused, %u missing\n", rc->n, t.ok,
		       t.planned, t.dirty, t.failed, t.refused, t.missing);
	return ret;
}

/* ---- run guarantees (reset/guard.h, docs/reset.md) --------------------- */

/* Before any write: the run lock, the signal flag, the total budget, and
 * kdsafe as the subreaper of quirk scripts' descendants. */
static int run_guard_begin(struct reset_cli *rc, struct kd_ctx *ctx,
			   struct kd_run_lock *lock,
			   struct kd_run_guard **guard)
{
	struct kd_run_guard_opts go = { .total_ns = rc->total_ns };
	long holder;
	int err = kd_run_signals_install();

	if (err == 0)
		err = kd_run_lock_acquire(ctx, lock, rc->wait_lock_ns, &holder);
	if (err == 0 && kd_proc_become_subreaper() < 0)
		WARN(ctx, "cannot become a child subreaper: a quirk script's "
			  "daemonized children may outlive kdsafe");
	if (err == 0)
		err = kd_run_guard_new(&go, guard);
	if (err == 0)
		rc->ro.guard = *guard;
	return err;
}

static void run_guard_end(struct kd_run_lock *lock, struct kd_run_guard *g)
{
	if (!g && lock->fd < 0)
		return;
	kd_proc_kill_descendants();
	kd_run_lock_release(lock);
	kd_run_guard_free(g);
	kd_run_signals_restore();
}

/* A refused quirk file or directory: refuse every function (fail closed) */
static bool quirks_refused(struct reset_cli *rc, struct kd_quirks *db,
			   char *buf, size_t len)
{
	char why[200];

	if (rc->no_quirks)
		return false;
	if (!db)
		snprintf(why, sizeof(why), "the quirk database could not be "
					   "loaded");
	else if (!kd_quirks_refusal(db, why, sizeof(why)))
		return false;
	/* truncation: the reason keeps its start, the file and why */
	if (snprintf(buf, len, "quirk database incomplete, refusing every "
		     "reset (%s); fix it, or --no-quirks", why) < 0)
		buf[0] = '\0';
	return true;
}

static int report_interrupted(struct reset_cli *rc, struct kd_ctx *ctx,
			      const struct kd_reset_result *res)
{
	char list[2048];
	size_t bad = kd_run_restore_report(res, rc->n, list, sizeof(list));
	int sig = kd_run_signal_caught();

	ERR(ctx, "interrupted by signal %d (%s): no further reset started, "
		 "the resets in flight completed their restore", sig,
	    strsignal(sig));
	ERR(ctx, "%s", list);
	return bad ? KD_EXIT_UNRESTORED : KD_EXIT_INTERRUPTED;
}

/* The context, writes allowed unless a dry run, the functions for --all,
 * the quirk policy: 0 or -errno (logged). */
static int prepare(struct reset_cli *rc, struct kd_ctx **ctx,
		   struct kd_quirks **db, struct kd_run_lock *lock,
		   struct kd_run_guard **guard)
{
	int err = kd_cli_ctx(rc->cli, ctx);

	if (err < 0)
		return err;
	if (rc->kmsg)
		kd_cli_open_kmsg(rc->cli, *ctx);
	if (!rc->ro.dry_run) {
		err = kd_ctx_enable_writes(*ctx, rc->allow_real);
		if (err == 0)
			err = run_guard_begin(rc, *ctx, lock, guard);
		if (err < 0)
			return err;
	}
	if (rc->all) {
		uint64_t t = kd_cli_now_ns();

		err = select_all(rc, *ctx);
		rc->choose_ns = kd_cli_now_ns() - t;
		if (err < 0) {
			ERR(*ctx, "cannot list functions: %s", strerror(-err));
			return err;
		}
	}
	rc->quirks_ns = kd_cli_now_ns();
	*db = load_quirks(rc, *ctx);
	rc->quirks_ns = kd_cli_now_ns() - rc->quirks_ns;
	if (*db) {
		rc->ro.policy_fn = kd_reset_quirk_policy;
		rc->ro.policy_data = *db;
	}
	return 0;
}

/* opts.done_fn: r is final (a worker thread, while others still run) */
static void result_done(void *data, const struct kd_reset_result *r)
{
	struct reset_cli *rc = data;
	size_t i = (size_t)(r - rc->res);

	if (rc->kmsg) {
		pthread_mutex_lock(&rc->cli->log_lock);
		if (rc->hold_kmsg)
			rc->held[rc->n_held++] = i;
		else
			kmsg_result(rc, r);
		pthread_mutex_unlock(&rc->cli->log_lock);
	}
	if (rc->items && i < rc->cap)
		rc->items[i] = kd_json_text(result_json(r,
						rc->timing.begin_ns));
}

static int run(struct reset_cli *rc)
{
	struct kd_json_doc doc = KD_JSON_DOC("results");
	struct kd_reset_result *res = NULL;
	struct kd_quirks *db = NULL;
	struct kd_ctx *ctx = NULL;
	struct kd_run_lock lock = { .fd = -1 };
	struct kd_run_guard *guard = NULL;
	char qwhy[400];
	int ret = KD_EXIT_FATAL;

	if (prepare(rc, &ctx, &db, &lock, &guard) < 0)
		goto out;
	rc->prepare_ns = kd_cli_now_ns() - rc->start_ns;
	rc->ro.timing = &rc->timing;
	if (!rc->all)
		rc->cap = rc->n;
	res = calloc(rc->cap ? rc->cap : 1, sizeof(*res));
	if (!res) {
		ERR(ctx, "reset: %s", strerror(ENOMEM));
		goto out;
	}
	if (quirks_refused(rc, db, qwhy, sizeof(qwhy))) {
		choose_now(rc);
		kd_run_refuse_all(rc->addrs, rc->n, rc->ro.method, qwhy, res);
	} else {
		/* each result's line and JSON as it is final: the console
		 * shows the quick ones while the longest still waits, and
		 * only its own JSON is left for the report */
		rc->res = res;
		rc->items = rc->json ? calloc(rc->cap ? rc->cap : 1,
					      sizeof(*rc->items)) : NULL;
		rc->kmsg_live = rc->kmsg;
		if (rc->kmsg && rc->ro.more_fn)
			rc->held = calloc(rc->cap ? rc->cap : 1,
					  sizeof(*rc->held));
		rc->hold_kmsg = rc->held != NULL;
		rc->ro.done_fn = result_done;
		rc->ro.done_data = rc;
		if (kd_reset_run(ctx, &rc->ro, rc->addrs, rc->n, res) < 0)
			goto out;
	}
	ret = report(rc, ctx, res, &doc);
	if (guard && kd_run_signal_caught())
		ret = report_interrupted(rc, ctx, res);
out:
	/* a consumer of --json still gets a document, with the why */
	if (ret == KD_EXIT_FATAL && rc->json)
		kd_json_end(rc->cli, &doc, NULL);
	for (size_t i = 0; res && i < rc->n; i++)
		kd_reset_result_clear(&res[i]);
	free(res);
	for (size_t i = 0; rc->items && i < rc->n; i++)
		free(rc->items[i]);
	free(rc->items);
	rc->items = NULL;
	free(rc->held);
	rc->held = NULL;
	run_guard_end(&lock, guard);
	kd_quirks_free(db);
	kd_ctx_unref(ctx);
	return ret;
}

/* ---- command line ------------------------------------------------------ */

enum { O_JSON = 'J', O_KMSG = 256, O_QDIR, O_NOQ, O_REAL, O_INSECURE,
       O_TOTAL, O_WAITLOCK };

static bool parse_jobs(const char *arg, unsigned *jobs)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 1 || v > 4096) {
		fprintf(stderr, "kdsafe reset: bad --jobs '%s' (1..4096)\n",
			arg);
		return false;
	}
	*jobs = (unsigned)v;
	return true;
}

/* One option: 1 taken, 0 help printed, -1 usage error (printed). */
static int take_option(struct reset_cli *rc, int c)
{
	switch (c) {
	case 'm':
		if (kd_reset_method_parse(optarg, &rc->ro.method) == 0)
			return 1;
		fprintf(stderr, "kdsafe reset: unknown method '%s' (auto, "
			"kernel, kernel:flr, kernel:pm, kernel:bus, flr, "
			"af-flr, pm, bus, virtio, quiesce)\n", optarg);
		return -1;
	case 'n': rc->ro.dry_run = true; return 1;
	case 'f': rc->ro.force = true; return 1;
	case 't': return parse_timeout(optarg, &rc->ro.timeout_ns) ? 1 : -1;
	case 'j': return parse_jobs(optarg, &rc->ro.jobs) ? 1 : -1;
	case 'a': rc->all = true; return 1;
	case 'v': rc->verbose = true; return 1;
	case O_JSON: rc->json = true; return 1;
	case O_KMSG: rc->kmsg = true; return 1;
	case O_QDIR: rc->qdirs[rc->n_qdirs++] = optarg; return 1;
	case O_NOQ: rc->no_quirks = true; return 1;
	case O_INSECURE: rc->insecure_quirks = true; return 1;
	case O_REAL: rc->allow_real = true; return 1;
	case O_TOTAL: return parse_budget("--timeout-total", optarg,
					  &rc->total_ns) ? 1 : -1;
	case O_WAITLOCK:
		if (!optarg) {
			rc->wait_lock_ns = 60 * KD_NS_PER_S;
			return 1;
		}
		return parse_budget("--wait-lock", optarg,
				    &rc->wait_lock_ns) ? 1 : -1;
	case 'h': usage(stdout); return 0;
	}
	switch (kd_cli_global_option(rc->cli, c, optarg)) {
	case 1: return 1;
	case 0: usage(stderr); return -1;
	default: return -1;
	}
}

/* The options: KD_EXIT_OK to go on, or the exit status. */
static int parse_options(struct reset_cli *rc, int argc, char **argv)
{
	static const struct option opts[] = {
		KD_CLI_GLOBAL_OPTIONS,
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
		{ "timeout-total", required_argument, NULL, O_TOTAL },
		{ "wait-lock", optional_argument, NULL, O_WAITLOCK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	while ((c = getopt_long(argc, argv, "m:nft:j:aJvh" KD_CLI_GLOBAL_SHORT,
				opts, NULL)) != -1) {
		r = take_option(rc, c);
		if (r < 0)
			return KD_EXIT_USAGE;
		if (r == 0) {
			rc->help = true;
			return KD_EXIT_OK;
		}
	}
	if (optind >= argc && !rc->all) {
		fprintf(stderr, "kdsafe reset: which devices? (DEVICE... or "
				"--all)\n");
		return KD_EXIT_USAGE;
	}
	if (optind < argc && rc->all) {
		fprintf(stderr, "kdsafe reset: --all and DEVICE exclude each "
				"other\n");
		return KD_EXIT_USAGE;
	}
	if (rc->insecure_quirks && rc->allow_real) {
		fprintf(stderr, "kdsafe reset: --allow-insecure-quirks is for "
				"tests: refused together with "
				"--allow-real-sysfs\n");
		return KD_EXIT_USAGE;
	}
	if (rc->cli->dump_path && !rc->ro.dry_run) {
		fprintf(stderr, "kdsafe reset: a dump is read-only: use "
				"--dry-run with --dump\n");
		return KD_EXIT_USAGE;
	}
	return KD_EXIT_OK;
}

/* The DEVICE arguments: a bad address is reported and the others are
 * still handled (kd_addr_parse() wants the ".F": a slot is not a
 * function).  KD_EXIT_OK to go on, or the exit status. */
static int parse_devices(struct reset_cli *rc, int argc, char **argv)
{
	if (rc->all)
		return KD_EXIT_OK;
	rc->addrs = calloc((size_t)argc, sizeof(*rc->addrs));
	if (!rc->addrs)
		return KD_EXIT_FATAL;
	for (int i = 0; i < argc; i++) {
		if (kd_addr_parse(argv[i], &rc->addrs[rc->n]) < 0) {
			kd_cli_error(rc->cli, argv[i], "not a PCI function "
				     "address ([[DDDD:]BB:]DD.F)");
			rc->bad_args = true;
			continue;
		}
		rc->n++;
	}
	return rc->n ? KD_EXIT_OK : KD_EXIT_USAGE;
}

int kd_cmd_reset(struct kd_cli *cli, int argc, char **argv)
{
	struct reset_cli rc = { .cli = cli, .ro = { .method = KD_RM_AUTO },
				.total_ns = KD_RUN_DEFAULT_TOTAL_NS,
				.start_ns = kd_cli_now_ns() };
	int ret;

	rc.qdirs = calloc((size_t)argc + 1, sizeof(*rc.qdirs));
	if (!rc.qdirs)
		return KD_EXIT_FATAL;
	ret = parse_options(&rc, argc, argv);
	if (ret == KD_EXIT_OK && !rc.help) {
		if (rc.json)
			kd_json_want_errors(cli);
		ret = parse_devices(&rc, argc - optind, argv + optind);
	}
	if (ret == KD_EXIT_OK && !rc.help)
		ret = run(&rc);
	for (size_t i = 0; rc.infos && i < rc.n; i++)
		kd_probe_info_clear(&rc.infos[i]);
	free(rc.infos);
	free(rc.addrs);
	free(rc.maybe);
	free(rc.scanned);
	kd_prober_free(rc.prober);
	free(rc.qdirs);
	return ret;
}
