// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Verdicts: a variant "works" when every repeat of it passed (failures can
 * be intermittent, so any failure counts against it).  safe: `none`
 * works; safe-with FIX: the least invasive variant that works; otherwise
 * inconsistent when some variant both passed and failed, unsafe when
 * nothing ever passed, untested when nothing was tried.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whitelist/internal.h"

static const struct { const char *name; int rank; } ranks[] = {
	{ "none", 0 }, { "quiesce", 10 }, { "virtio", 20 }, { "flr", 30 },
	{ "af-flr", 31 }, { "pm", 40 }, { "bus", 50 }, { "kernel", 60 },
};

int kd_wl_variant_rank(const char *v)
{
	for (size_t i = 0; i < sizeof(ranks) / sizeof(ranks[0]); i++)
		if (strcmp(v, ranks[i].name) == 0)
			return ranks[i].rank;
	if (strncmp(v, "quirk:", 6) == 0)
		return 21; /* device-specific, beside virtio */
	if (strncmp(v, "kernel:", 7) == 0)
		return 61;
	return 70;
}

unsigned long kd_wl_cell_tested(const struct kd_wl_cell *c)
{
	unsigned long n = 0;

	for (int o = 0; o < KD_OUTCOME_COUNT; o++)
		if (o != KD_OUTCOME_NOT_REACHED)
			n += c->n[o];
	return n;
}

enum kd_wl_state kd_wl_cell_state(const struct kd_wl_cell *c)
{
	unsigned long tested = kd_wl_cell_tested(c), pass = c->n[KD_OUTCOME_PASS];

	if (tested == 0)
		return KD_WL_CELL_UNTESTED;
	if (pass == tested)
		return KD_WL_CELL_PASS;
	if (pass > 0)
		return KD_WL_CELL_MIXED;
	return c->n[KD_OUTCOME_RESET_INEFFECTIVE] == tested ? KD_WL_CELL_NOOP :
							      KD_WL_CELL_FAIL;
}

const char *kd_wl_verdict_name(enum kd_wl_verdict v)
{
	static const char *const names[] = {
		[KD_WL_SAFE] = "safe", [KD_WL_SAFE_WITH] = "safe-with",
		[KD_WL_INCONSISTENT] = "inconsistent",
		[KD_WL_UNSAFE] = "unsafe", [KD_WL_UNTESTED] = "untested",
	};

	return names[v];
}

const char *kd_wl_state_name(enum kd_wl_state s)
{
	static const char *const names[] = {
		[KD_WL_CELL_UNTESTED] = "untested", [KD_WL_CELL_PASS] = "pass",
		[KD_WL_CELL_FAIL] = "fail", [KD_WL_CELL_NOOP] = "no-op",
		[KD_WL_CELL_MIXED] = "mixed",
	};

	return names[s];
}

static int cell_cmp(const void *pa, const void *pb)
{
	const struct kd_wl_cell *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return strcmp(a->variant, b->variant);
}

static void judge(struct kd_wl_device *d)
{
	bool tested = false, mixed = false;

	if (d->n_cells) /* none for a device only listed: cells is NULL */
		qsort(d->cells, d->n_cells, sizeof(*d->cells), cell_cmp);
	d->fix = NULL;
	for (size_t i = 0; i < d->n_cells; i++) {
		enum kd_wl_state s = kd_wl_cell_state(&d->cells[i]);

		tested |= s != KD_WL_CELL_UNTESTED;
		mixed |= s == KD_WL_CELL_MIXED;
		if (s == KD_WL_CELL_PASS && !d->fix)
			d->fix = &d->cells[i]; /* cells sorted by rank */
	}
	if (d->fix)
		d->verdict = strcmp(d->fix->variant, "none") == 0 ?
				     KD_WL_SAFE : KD_WL_SAFE_WITH;
	else
		d->verdict = mixed ? KD_WL_INCONSISTENT :
			     tested ? KD_WL_UNSAFE : KD_WL_UNTESTED;
}

static int dev_cmp(const void *pa, const void *pb)
{
	return kd_wl_device_cmp(*(struct kd_wl_device *const *)pa,
				*(struct kd_wl_device *const *)pb);
}

void kd_wl_judge_all(struct kd_wl_device **devs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		judge(devs[i]);
	if (n)
		qsort(devs, n, sizeof(*devs), dev_cmp);
}

/* appends to buf like strlcat, formatted */
static void cat(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len >= size - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

const char *kd_wl_verdict_text(const struct kd_wl_device *d, char *buf,
			       size_t size)
{
	const char *sep = ": ";

	snprintf(buf, size, "%s", kd_wl_verdict_name(d->verdict));
	if (d->verdict == KD_WL_SAFE_WITH)
		cat(buf, size, " %s", d->fix->variant);
	if (d->verdict != KD_WL_INCONSISTENT)
		return buf;
	for (size_t i = 0; i < d->n_cells; i++) {
		if (kd_wl_cell_state(&d->cells[i]) != KD_WL_CELL_MIXED)
			continue;
		cat(buf, size, "%s%s", sep, d->cells[i].variant);
		sep = ", ";
	}
	return buf;
}

/* "none 0/3 (2 hang, 1 fail)" */
static void cell_evidence(const struct kd_wl_cell *c, char *buf, size_t size)
{
	const char *sep = " (";

	cat(buf, size, "%s %lu/%lu", c->variant, c->n[KD_OUTCOME_PASS],
	    kd_wl_cell_tested(c));
	if (kd_wl_cell_state(c) == KD_WL_CELL_PASS)
		return;
	for (int o = KD_OUTCOME_FAIL; o < KD_OUTCOME_NOT_REACHED; o++) {
		if (!c->n[o])
			continue;
		cat(buf, size, "%s%lu %s", sep, c->n[o],
		    kd_outcome_name((enum kd_outcome)o));
		sep = ", ";
	}
	cat(buf, size, ")");
}

const char *kd_wl_evidence(const struct kd_wl_device *d, char *buf,
			   size_t size)
{
	static const struct { enum kd_wl_state s; const char *label; } groups[] = {
		{ KD_WL_CELL_PASS, "worked" }, { KD_WL_CELL_MIXED, "flaky" },
		{ KD_WL_CELL_FAIL, "failed" }, { KD_WL_CELL_NOOP, "no-op" },
	};

	buf[0] = '\0';
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		const char *sep = NULL;

		for (size_t i = 0; i < d->n_cells; i++) {
			if (kd_wl_cell_state(&d->cells[i]) != groups[g].s)
				continue;
			if (!sep)
				cat(buf, size, "%s%s: ", buf[0] ? "; " : "",
				    groups[g].label);
			else
				cat(buf, size, "%s", sep);
			cell_evidence(&d->cells[i], buf, size);
			sep = ", ";
		}
	}
	if (!buf[0]) {
		unsigned long unreached = 0;

		for (size_t i = 0; i < d->n_cells; i++)
			unreached += d->cells[i].n[KD_OUTCOME_NOT_REACHED];
		cat(buf, size, "no outcome recorded (%lu not-reached)",
		    unreached);
	}
	return buf;
}
