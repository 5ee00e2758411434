// SPDX-License-Identifier: GPL-2.0-or-later
/* Journal records: building them and checking them against the schema
 * (docs/journal.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "campaign/journal.h"

static const char *const outcome_names[KD_OUTCOME_COUNT] = {
	[KD_OUTCOME_PASS] = "pass",
	[KD_OUTCOME_FAIL] = "fail",
	[KD_OUTCOME_HANG] = "hang",
	[KD_OUTCOME_DIED_LOADING] = "died-loading",
	[KD_OUTCOME_RESET_FAILED] = "reset-failed",
	[KD_OUTCOME_RESET_INEFFECTIVE] = "reset-ineffective",
	[KD_OUTCOME_NOT_REACHED] = "not-reached",
};

const char *kd_outcome_name(enum kd_outcome o)
{
	return (unsigned)o < KD_OUTCOME_COUNT ? outcome_names[o] : "?";
}

int kd_outcome_parse(const char *name, enum kd_outcome *out)
{
	for (unsigned i = 0; i < KD_OUTCOME_COUNT; i++) {
		if (strcmp(name, outcome_names[i]) == 0) {
			*out = (enum kd_outcome)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void add_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s ? json_object_new_string(s) : NULL);
}

static void add_hex(struct json_object *o, const char *key, unsigned v,
		    int width)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%0*x", width, v);
	json_object_object_add(o, key, json_object_new_string(buf));
}

static struct json_object *header(const char *kind,
				  const struct kd_journal_cycle *c)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "schema",
			       json_object_new_int(KD_JOURNAL_SCHEMA));
	add_str(o, "kind", kind);
	json_object_object_add(o, "time", json_object_new_int64(time(NULL)));
	add_str(o, "machine", c->machine);
	add_str(o, "kernel", c->kernel);
	json_object_object_add(o, "cycle", json_object_new_int64(c->cycle));
	json_object_object_add(o, "repeat", json_object_new_int64(c->repeat));
	add_str(o, "variant", c->variant);
	return o;
}

static void add_device(struct json_object *o,
		       const struct kd_journal_device *d)
{
	add_str(o, "address", d->address);
	add_hex(o, "vendor", d->vendor, 4);
	add_hex(o, "device", d->device, 4);
	add_hex(o, "subsys_vendor", d->subsys_vendor, 4);
	add_hex(o, "subsys_device", d->subsys_device, 4);
	add_hex(o, "class", d->class_code, 6);
	add_str(o, "driver", d->driver);
}

struct json_object *kd_journal_intent_cycle(const struct kd_journal_cycle *c,
					    const struct kd_journal_device *devs,
					    size_t n_devs)
{
	struct json_object *o = header("intent", c), *list;

	if (!o)
		return NULL;
	add_str(o, "step", "cycle");
	list = json_object_new_array_ext((int)n_devs);
	for (size_t i = 0; i < n_devs; i++) {
		struct json_object *d = json_object_new_object();

		add_device(d, &devs[i]);
		json_object_array_add(list, d);
	}
	json_object_object_add(o, "devices", list);
	return o;
}

struct json_object *kd_journal_intent_load(const struct kd_journal_cycle *c,
					   const struct kd_journal_device *dev,
					   const char *module)
{
	struct json_object *o = header("intent", c);
	char note[256];

	if (!o)
		return NULL;
	add_str(o, "step", "load");
	add_str(o, "module", module);
	add_device(o, dev);
	snprintf(note, sizeof(note), "loading %s for %s", module,
		 dev->address);
	add_str(o, "note", note);
	return o;
}

static void add_ms(struct json_object *o, const char *key, int64_t ms)
{
	json_object_object_add(o, key, ms < 0 ? NULL :
					  json_object_new_int64(ms));
}

struct json_object *kd_journal_outcome(const struct kd_journal_cycle *c,
				       const struct kd_journal_device *dev,
				       struct kd_journal_result *res)
{
	struct json_object *o = header("outcome", c), *t;

	if (!o)
		return NULL;
	add_device(o, dev);
	add_str(o, "outcome", kd_outcome_name(res->outcome));
	add_str(o, "reason", res->reason);
	t = json_object_new_object();
	add_ms(t, "fix_ms", res->fix_ms);
	add_ms(t, "load_ms", res->load_ms);
	add_ms(t, "health_ms", res->health_ms);
	json_object_object_add(o, "timings", t);
	json_object_object_add(o, "state_before", res->state_before);
	json_object_object_add(o, "state_after", res->state_after);
	res->state_before = res->state_after = NULL;
	return o;
}

/* ---- validation -------------------------------------------------------- */

static const char *need(struct json_object *o, const char *key,
			enum json_type type)
{
	static _Thread_local char why[96];
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v) {
		snprintf(why, sizeof(why), "missing \"%s\"", key);
		return why;
	}
	if (!json_object_is_type(v, type)) {
		snprintf(why, sizeof(why), "\"%s\" is not %s", key,
			 type == json_type_int ? "an integer" :
			 type == json_type_array ? "an array" : "a string");
		return why;
	}
	return NULL;
}

static const char *need_hex(struct json_object *o, const char *key)
{
	static _Thread_local char why[96];
	const char *why_not = need(o, key, json_type_string), *s;

	if (why_not)
		return why_not;
	s = json_object_get_string(json_object_object_get(o, key));
	if (strlen(s) != 4 || strspn(s, "0123456789abcdefABCDEF") != 4) {
		snprintf(why, sizeof(why), "\"%s\" is not 4 hex digits", key);
		return why;
	}
	return NULL;
}

static const char *device_fields(struct json_object *o)
{
	static const char *const ids[] = { "vendor", "device",
					   "subsys_vendor", "subsys_device" };
	const char *why;

	if ((why = need(o, "address", json_type_string)))
		return why;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if ((why = need_hex(o, ids[i])))
			return why;
	return NULL;
}

const char *kd_journal_validate(struct json_object *rec)
{
	static _Thread_local char why[96];
	static const char *const common[] = { "machine", "kernel", "variant" };
	struct json_object *v;
	const char *s;
	enum kd_outcome oc;
	int64_t schema;

	if (!json_object_is_type(rec, json_type_object))
		return "not a JSON object";
	if ((s = need(rec, "schema", json_type_int)))
		return s;
	schema = json_object_get_int64(json_object_object_get(rec, "schema"));
	if (schema < 1 || schema > KD_JOURNAL_SCHEMA) {
		snprintf(why, sizeof(why), "schema %lld is not 1..%d",
			 (long long)schema, KD_JOURNAL_SCHEMA);
		return why;
	}
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if ((s = need(rec, common[i], json_type_string)))
			return s;
	if ((s = need(rec, "cycle", json_type_int)) ||
	    (s = need(rec, "repeat", json_type_int)) ||
	    (s = need(rec, "kind", json_type_string)))
		return s;
	s = json_object_get_string(json_object_object_get(rec, "kind"));
	if (strcmp(s, "outcome") == 0) {
		if ((s = device_fields(rec)) ||
		    (s = need(rec, "outcome", json_type_string)))
			return s;
		v = json_object_object_get(rec, "outcome");
		if (kd_outcome_parse(json_object_get_string(v), &oc) < 0)
			return "unknown outcome";
		return NULL;
	}
	if (strcmp(s, "intent") != 0)
		return "unknown kind";
	if ((s = need(rec, "step", json_type_string)))
		return s;
	s = json_object_get_string(json_object_object_get(rec, "step"));
	if (strcmp(s, "load") == 0)
		return (s = need(rec, "module", json_type_string)) ? s :
		       device_fields(rec);
	if (strcmp(s, "cycle") != 0)
		return "unknown intent step";
	if ((s = need(rec, "devices", json_type_array)))
		return s;
	v = json_object_object_get(rec, "devices");
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *d = json_object_array_get_idx(v, i);

		if (!json_object_is_type(d, json_type_object))
			return "a device is not an object";
		if ((s = device_fields(d)))
			return s;
	}
	return NULL;
}
