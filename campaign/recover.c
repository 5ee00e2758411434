// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Recovery at the boot after a crash cycle: a cycle intent some device has
 * no outcome for means the machine died or hung during that cycle.  The
 * device whose driver was being loaded ("loading X for D" still open) is
 * blamed with died-loading; without one, every device left is a hang.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/journal.h"

struct open_cycle {
	struct json_object *intent; /* the cycle intent (a reference) */
	bool *done;                 /* per device of intent.devices */
	size_t n_devs, n_left;
	struct json_object *loading; /* the open load intent, or NULL */
};

struct recovery {
	struct open_cycle *cycles;
	size_t n;
};

static const char *str(struct json_object *o, const char *key)
{
	return json_object_get_string(json_object_object_get(o, key));
}

static int64_t num(struct json_object *o, const char *key)
{
	return json_object_get_int64(json_object_object_get(o, key));
}

static bool same_cycle(struct json_object *a, struct json_object *b)
{
	return num(a, "cycle") == num(b, "cycle") &&
	       num(a, "repeat") == num(b, "repeat") &&
	       strcmp(str(a, "machine"), str(b, "machine")) == 0;
}

static struct open_cycle *find(struct recovery *r, struct json_object *rec)
{
	for (size_t i = r->n; i-- > 0;)
		if (same_cycle(r->cycles[i].intent, rec))
			return &r->cycles[i];
	return NULL;
}

static void drop(struct recovery *r, struct open_cycle *c)
{
	json_object_put(c->intent);
	json_object_put(c->loading);
	free(c->done);
	*c = r->cycles[--r->n];
}

static int add_cycle(struct recovery *r, struct json_object *rec)
{
	struct open_cycle *c, *grown;
	size_t n = json_object_array_length(
		json_object_object_get(rec, "devices"));

	if (n == 0)
		return 0;
	grown = realloc(r->cycles, (r->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	r->cycles = grown;
	c = &r->cycles[r->n];
	*c = (struct open_cycle){ .n_devs = n, .n_left = n };
	c->done = calloc(n, sizeof(bool));
	if (!c->done)
		return -ENOMEM;
	c->intent = json_object_get(rec);
	r->n++;
	return 0;
}

static void close_device(struct recovery *r, struct open_cycle *c,
			 const char *address)
{
	struct json_object *devs = json_object_object_get(c->intent,
							  "devices");

	for (size_t i = 0; i < c->n_devs; i++) {
		struct json_object *d = json_object_array_get_idx(devs, i);

		if (!c->done[i] && strcmp(str(d, "address"), address) == 0) {
			c->done[i] = true;
			c->n_left--;
		}
	}
	if (c->loading && strcmp(str(c->loading, "address"), address) == 0) {
		json_object_put(c->loading);
		c->loading = NULL;
	}
	if (c->n_left == 0)
		drop(r, c);
}

static int on_record(void *data, struct json_object *rec, const char *file,
		     unsigned long line)
{
	struct recovery *r = data;
	struct open_cycle *c;

	(void)file, (void)line;
	if (strcmp(str(rec, "kind"), "intent") == 0 &&
	    strcmp(str(rec, "step"), "cycle") == 0)
		return add_cycle(r, rec);
	c = find(r, rec);
	if (!c)
		return 0;
	if (strcmp(str(rec, "kind"), "outcome") == 0) {
		close_device(r, c, str(rec, "address"));
	} else {
		json_object_put(c->loading);
		c->loading = json_object_get(rec);
	}
	return 0;
}

static void device_of(struct json_object *d, struct kd_journal_device *out)
{
	*out = (struct kd_journal_device){
		.address = str(d, "address"),
		.vendor = (uint16_t)strtoul(str(d, "vendor"), NULL, 16),
		.device = (uint16_t)strtoul(str(d, "device"), NULL, 16),
		.subsys_vendor = (uint16_t)strtoul(str(d, "subsys_vendor"),
						   NULL, 16),
		.subsys_device = (uint16_t)strtoul(str(d, "subsys_device"),
						   NULL, 16),
		.class_code = json_object_object_get(d, "class") ?
			(uint32_t)strtoul(str(d, "class"), NULL, 16) : 0,
		.driver = str(d, "driver"),
	};
}

/* Appends the missing outcomes of one open cycle. */
static int close_cycle(struct kd_journal *j, struct open_cycle *c,
		       unsigned *n)
{
	struct json_object *devs = json_object_object_get(c->intent,
							  "devices");
	const char *loading = c->loading ? str(c->loading, "address") : NULL;
	struct kd_journal_cycle cyc = {
		.machine = str(c->intent, "machine"),
		.kernel = str(c->intent, "kernel"),
		.cycle = (unsigned)num(c->intent, "cycle"),
		.repeat = (unsigned)num(c->intent, "repeat"),
		.variant = str(c->intent, "variant"),
	};

	for (size_t i = 0; i < c->n_devs; i++) {
		struct kd_journal_result res = { .fix_ms = -1, .load_ms = -1,
						 .health_ms = -1 };
		struct kd_journal_device dev;
		struct json_object *rec;
		int ret;

		if (c->done[i])
			continue;
		device_of(json_object_array_get_idx(devs, i), &dev);
		if (!loading) {
			res.outcome = KD_OUTCOME_HANG;
			res.reason = "no outcome before the next boot";
		} else if (strcmp(loading, dev.address) == 0) {
			res.outcome = KD_OUTCOME_DIED_LOADING;
			res.reason = str(c->loading, "note");
		} else {
			res.outcome = KD_OUTCOME_NOT_REACHED;
			res.reason = "the machine died on another device first";
		}
		rec = kd_journal_outcome(&cyc, &dev, &res);
		if (!rec)
			return -ENOMEM;
		json_object_object_add(rec, "recovered",
				       json_object_new_boolean(1));
		ret = kd_journal_append(j, rec);
		json_object_put(rec);
		if (ret < 0)
			return ret;
		(*n)++;
	}
	return 0;
}

int kd_journal_recover(struct kd_ctx *ctx, const char *path,
		       const struct kd_journal_io *io,
		       unsigned *n_recovered)
{
	return kd_journal_recover_except(ctx, path, io, 0, n_recovered);
}

/* A cycle whose step is only beginning: its intent, nothing after it. */
static bool untouched(const struct open_cycle *c, unsigned cycle)
{
	return cycle && num(c->intent, "cycle") == (int64_t)cycle &&
	       !c->loading && c->n_left == c->n_devs;
}

int kd_journal_recover_except(struct kd_ctx *ctx, const char *path,
			      const struct kd_journal_io *io, unsigned cycle,
			      unsigned *n_recovered)
{
	struct kd_journal_stats st = { 0 };
	struct recovery r = { 0 };
	struct kd_journal *j = NULL;
	unsigned n = 0;
	int ret;

	ret = kd_journal_read(ctx, path, on_record, &r, &st);
	for (size_t i = r.n; i-- > 0;)
		if (untouched(&r.cycles[i], cycle))
			drop(&r, &r.cycles[i]);
	if (ret == 0 && r.n > 0)
		ret = kd_journal_open(ctx, path, io, &j);
	for (size_t i = 0; ret == 0 && i < r.n; i++)
		ret = close_cycle(j, &r.cycles[i], &n);
	if (ret == 0 && n)
		NOTICE(ctx, "%s: %u outcomes recovered from an unfinished "
			    "cycle", path, n);
	while (r.n)
		drop(&r, &r.cycles[0]);
	free(r.cycles);
	if (j) {
		int cret = kd_journal_close(j);

		ret = ret ? ret : cret;
	}
	if (n_recovered)
		*n_recovered = n;
	return ret;
}
