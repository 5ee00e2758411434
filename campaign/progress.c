// SPDX-License-Identifier: GPL-2.0-or-later
/* Where a campaign stands, read from its journal against its plan: the
 * cycles started (a cycle intent), done (an outcome for every device),
 * the next one, and the last cycle's outcomes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "campaign/campaign.h"

struct scan {
	const struct kd_plan *plan;
	bool *started;
	unsigned *outcomes;
	unsigned last_cycle;
	struct json_object *last;
	char machine[128];
	unsigned counts[KD_OUTCOME_COUNT];
};

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_string(v) : NULL;
}

static unsigned cycle_of(struct json_object *rec)
{
	struct json_object *v;

	return json_object_object_get_ex(rec, "cycle", &v) ?
	       (unsigned)json_object_get_int(v) : 0;
}

static int on_record(void *data, struct json_object *rec, const char *file,
		     unsigned long line)
{
	struct scan *s = data;
	unsigned c = cycle_of(rec);
	const char *kind = str(rec, "kind"), *step = str(rec, "step");
	enum kd_outcome o;

	(void)file, (void)line;
	if (c == 0 || c > s->plan->n_cycles || !kind)
		return 0;
	if (strcmp(kind, "intent") == 0 && step &&
	    strcmp(step, "cycle") == 0) {
		s->started[c - 1] = true;
		snprintf(s->machine, sizeof(s->machine), "%s",
			 str(rec, "machine") ? str(rec, "machine") : "");
		return 0;
	}
	if (strcmp(kind, "outcome") != 0)
		return 0;
	s->outcomes[c - 1]++;
	if (kd_outcome_parse(str(rec, "outcome"), &o) == 0)
		s->counts[o]++;
	if (c != s->last_cycle) {
		json_object_put(s->last);
		s->last = json_object_new_array();
		s->last_cycle = c;
	}
	if (s->last)
		json_object_array_add(s->last, json_object_get(rec));
	return 0;
}

int kd_campaign_progress(struct kd_ctx *ctx, const char *dir,
			 const struct kd_plan *p,
			 struct kd_campaign_progress *out)
{
	struct scan s = { .plan = p };
	char path[4096];
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->cycles = (unsigned)p->n_cycles;
	s.started = calloc(p->n_cycles + 1, sizeof(*s.started));
	s.outcomes = calloc(p->n_cycles + 1, sizeof(*s.outcomes));
	if (!s.started || !s.outcomes) {
		err = -ENOMEM;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, KD_JOURNAL_FILE);
	if (access(path, F_OK) == 0)
		err = kd_journal_read(ctx, path, on_record, &s, &out->st);
	if (err < 0)
		goto out;
	for (size_t i = 0; i < p->n_cycles; i++) {
		if (!s.started[i]) {
			if (!out->next)
				out->next = (unsigned)i + 1;
			continue;
		}
		out->started++;
		if (s.outcomes[i] >= p->cycles[i].n)
			out->done++;
		else
			out->open = (unsigned)i + 1;
	}
	memcpy(out->counts, s.counts, sizeof(s.counts));
	memcpy(out->machine, s.machine, sizeof(s.machine));
	out->last = s.last;
	s.last = NULL;
out:
	json_object_put(s.last);
	free(s.started);
	free(s.outcomes);
	return err;
}

void kd_campaign_identity(struct kd_ctx *ctx, char *machine, size_t mlen,
			  char *kernel, size_t klen)
{
	const char *rel = kd_ctx_kernel_release(ctx);
	struct utsname u;

	kd_ctx_read_small(ctx, "/etc/machine-id", machine, mlen);
	if (!machine[0])
		snprintf(machine, mlen, "unknown");
	if (rel && rel[0])
		snprintf(kernel, klen, "%s", rel);
	else if (uname(&u) == 0)
		snprintf(kernel, klen, "%s", u.release);
	else
		snprintf(kernel, klen, "unknown");
}
