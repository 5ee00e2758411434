// SPDX-License-Identifier: GPL-2.0-or-later
/* kdsafe quirks list/match --json: schema in docs/quirks.md. */
#include <stdio.h>

#include "quirks-output.h"

#define ADD(o, k, v)                                                        \
	json_object_object_add_ex(o, k, v, JSON_C_OBJECT_ADD_KEY_IS_NEW |     \
				  JSON_C_OBJECT_ADD_CONSTANT_KEY)

static struct json_object *strv(const char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static struct json_object *where(const char *file, unsigned line)
{
	char buf[4200];

	snprintf(buf, sizeof(buf), "%s:%u", file, line);
	return json_object_new_string(buf);
}

struct json_object *kd_quirk_entry_to_json(const struct kd_quirk_entry *e)
{
	struct json_object *o = json_object_new_object();
	const char *name = kd_quirk_entry_name(e);

	ADD(o, "source", where(kd_quirk_entry_file(e), kd_quirk_entry_line(e)));
	ADD(o, "match", json_object_new_string(kd_quirk_entry_match(e)));
	ADD(o, "name", name ? json_object_new_string(name) : NULL);
	return o;
}

static struct json_object *from(const struct kd_quirk_entry *e)
{
	return e ? where(kd_quirk_entry_file(e), kd_quirk_entry_line(e)) :
		   NULL;
}

static struct json_object *steps(const struct kd_quirk_steps *st,
				 const struct kd_dev *dev)
{
	struct json_object *a = json_object_new_array();
	char text[512];

	for (size_t i = 0; i < st->n; i++) {
		struct json_object *s = json_object_new_object();

		kd_quirk_step_describe(st->v[i], dev, text, sizeof(text));
		ADD(s, "step", json_object_new_string(text));
		ADD(s, "source", where(st->v[i]->file, st->v[i]->line));
		json_object_array_add(a, s);
	}
	return a;
}

static struct json_object *ns_or_null(bool set, uint64_t ns)
{
	return set ? json_object_new_int64((int64_t)ns) : NULL;
}

struct json_object *kd_quirk_plan_to_json(const struct kd_probe_info *in,
					  const struct kd_quirk_plan *pl,
					  const struct kd_dev *dev)
{
	struct json_object *o = json_object_new_object(), *a;
	char addr[KD_ADDR_STRLEN];

	ADD(o, "address", json_object_new_string(kd_addr_format(&in->addr,
								 addr)));
	a = json_object_new_array();
	for (size_t i = 0; i < pl->n_applied; i++)
		json_object_array_add(a, kd_quirk_entry_to_json(pl->applied[i]));
	ADD(o, "entries", a);
	ADD(o, "methods", pl->methods_from ? strv(pl->methods.v,
						      pl->methods.n) : NULL);
	ADD(o, "methods_from", from(pl->methods_from));
	ADD(o, "avoid", strv(pl->avoid.v, pl->avoid.n));
	ADD(o, "delay_after_reset_ns", ns_or_null(pl->has_delay,
						  pl->delay_after_reset_ns));
	ADD(o, "timeout_ns", ns_or_null(pl->has_timeout, pl->timeout_ns));
	ADD(o, "pre", steps(&pl->pre, dev));
	ADD(o, "post", steps(&pl->post, dev));
	ADD(o, "blacklist", strv(pl->blacklist.v, pl->blacklist.n));
	ADD(o, "options", strv(pl->options.v, pl->options.n));
	ADD(o, "cmdline", strv(pl->cmdline.v, pl->cmdline.n));
	return o;
}
