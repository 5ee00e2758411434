// SPDX-License-Identifier: GPL-2.0-or-later
/* DIR/plan.json: the plan as JSON (docs/campaign.md), written to a
 * temporary file, fsynced and renamed so a crash leaves the old or the
 * new plan, never half of one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign/campaign.h"

static void add_hex(struct json_object *o, const char *key, unsigned v,
		    int width)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%0*x", width, v);
	json_object_object_add(o, key, json_object_new_string(buf));
}

static struct json_object *device_json(const struct kd_plan_device *d)
{
	struct json_object *o = json_object_new_object();
	struct json_object *mods = json_object_new_array();
	struct json_object *vars = json_object_new_array();

	json_object_object_add(o, "address",
			       json_object_new_string(d->address));
	add_hex(o, "vendor", d->vendor, 4);
	add_hex(o, "device", d->device, 4);
	add_hex(o, "subsys_vendor", d->subsys_vendor, 4);
	add_hex(o, "subsys_device", d->subsys_device, 4);
	add_hex(o, "class", d->class_code, 6);
	json_object_object_add(o, "driver", d->driver[0] ?
			       json_object_new_string(d->driver) : NULL);
	json_object_object_add(o, "modalias",
			       json_object_new_string(d->modalias));
	for (unsigned i = 0; i < d->n_modules; i++)
		json_object_array_add(mods,
				      json_object_new_string(d->modules[i]));
	json_object_object_add(o, "modules", mods);
	for (unsigned i = 0; i < d->n_variants; i++)
		json_object_array_add(vars,
				      json_object_new_string(d->variants[i]));
	json_object_object_add(o, "variants", vars);
	return o;
}

struct json_object *kd_plan_to_json(const struct kd_plan *p)
{
	struct json_object *o = json_object_new_object();
	struct json_object *devs = json_object_new_array();
	struct json_object *cycles = json_object_new_array();

	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "repeat", json_object_new_int(
						    (int)p->repeat));
	if (p->has_target) {
		struct json_object *t = device_json(&p->target);

		json_object_object_del(t, "variants");
		json_object_object_add(t, "tested",
				       json_object_new_boolean(
					       p->target_tested));
		json_object_object_add(o, "target", t);
	} else {
		json_object_object_add(o, "target", NULL);
	}
	for (size_t i = 0; i < p->n_devices; i++)
		json_object_array_add(devs, device_json(&p->devices[i]));
	json_object_object_add(o, "devices", devs);
	for (size_t i = 0; i < p->n_cycles; i++) {
		const struct kd_plan_cycle *c = &p->cycles[i];
		struct json_object *co = json_object_new_object();
		struct json_object *addrs = json_object_new_array();

		json_object_object_add(co, "cycle",
				       json_object_new_int((int)c->cycle));
		json_object_object_add(co, "repeat",
				       json_object_new_int((int)c->repeat));
		json_object_object_add(co, "variant",
				       json_object_new_string(c->variant));
		for (size_t j = 0; j < c->n; j++)
			json_object_array_add(addrs, json_object_new_string(
				p->devices[c->devs[j]].address));
		json_object_object_add(co, "devices", addrs);
		json_object_array_add(cycles, co);
	}
	json_object_object_add(o, "cycles", cycles);
	return o;
}

/* ---- reading ------------------------------------------------------------ */

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int hex(struct json_object *o, const char *key, uint32_t *out)
{
	const char *s = str(o, key);
	char *end;
	unsigned long v;

	if (!s)
		return -EINVAL;
	v = strtoul(s, &end, 16);
	if (*s == '\0' || *end != '\0' || v > 0xffffff)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* An array of strings as n fixed-width slots (free()); NULL when it is
 * missing or on allocation failure. */
static void *strings(struct json_object *o, const char *key, size_t width,
		     unsigned *n)
{
	struct json_object *a;
	char *buf;
	size_t len;

	if (!json_object_object_get_ex(o, key, &a) ||
	    !json_object_is_type(a, json_type_array))
		return NULL;
	len = json_object_array_length(a);
	buf = calloc(len ? len : 1, width);
	if (!buf)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		const char *s = json_object_get_string(
			json_object_array_get_idx(a, i));

		snprintf(buf + i * width, width, "%s", s ? s : "");
	}
	*n = (unsigned)len;
	return buf;
}

static int device_from(struct json_object *o, struct kd_plan_device *d,
		       bool variants)
{
	uint32_t v[5];
	const char *s = str(o, "address");
	char (*mods)[KD_NAME_MAX], (*vars)[KD_VARIANT_MAX] = NULL;
	unsigned n_mods = 0, n_vars = 0;
	struct kd_addr a;

	if (!s || kd_addr_parse(s, &a) < 0 || hex(o, "vendor", &v[0]) ||
	    hex(o, "device", &v[1]) || hex(o, "subsys_vendor", &v[2]) ||
	    hex(o, "subsys_device", &v[3]) || hex(o, "class", &v[4]))
		return -EINVAL;
	snprintf(d->address, sizeof(d->address), "%s", s);
	d->vendor = (uint16_t)v[0];
	d->device = (uint16_t)v[1];
	d->subsys_vendor = (uint16_t)v[2];
	d->subsys_device = (uint16_t)v[3];
	d->class_code = v[4];
	snprintf(d->driver, sizeof(d->driver), "%s",
		 str(o, "driver") ? str(o, "driver") : "");
	snprintf(d->modalias, sizeof(d->modalias), "%s",
		 str(o, "modalias") ? str(o, "modalias") : "");
	mods = strings(o, "modules", KD_NAME_MAX, &n_mods);
	if (!mods)
		return -EINVAL;
	if (variants) {
		vars = strings(o, "variants", KD_VARIANT_MAX, &n_vars);
		if (!vars) {
			free(mods);
			return -EINVAL;
		}
	}
	d->modules = mods;
	d->n_modules = n_mods;
	d->variants = vars;
	d->n_variants = n_vars;
	return 0;
}

static int find_device(const struct kd_plan *p, const char *addr)
{
	for (size_t i = 0; i < p->n_devices; i++)
		if (strcmp(p->devices[i].address, addr) == 0)
			return (int)i;
	return -1;
}

static int cycle_from(struct json_object *o, struct kd_plan *p,
		      struct kd_plan_cycle *c)
{
	struct json_object *v, *a;
	const char *var = str(o, "variant");
	size_t *devs, n = 0;

	if (!var || !json_object_object_get_ex(o, "cycle", &v))
		return -EINVAL;
	c->cycle = (unsigned)json_object_get_int(v);
	if (json_object_object_get_ex(o, "repeat", &v))
		c->repeat = (unsigned)json_object_get_int(v);
	snprintf(c->variant, sizeof(c->variant), "%s", var);
	if (!json_object_object_get_ex(o, "devices", &a) ||
	    !json_object_is_type(a, json_type_array))
		return -EINVAL;
	devs = calloc(json_object_array_length(a) + 1, sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		const char *s = json_object_get_string(
			json_object_array_get_idx(a, i));
		int k = s ? find_device(p, s) : -1;

		if (k < 0) {
			free(devs);
			return -EINVAL;
		}
		devs[n++] = (size_t)k;
	}
	c->devs = devs;
	c->n = n;
	return 0;
}

int kd_plan_from_json(struct kd_ctx *ctx, struct json_object *o,
		      struct kd_plan *out)
{
	struct json_object *v, *devs, *cycles;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!json_object_object_get_ex(o, "devices", &devs) ||
	    !json_object_is_type(devs, json_type_array) ||
	    !json_object_object_get_ex(o, "cycles", &cycles) ||
	    !json_object_is_type(cycles, json_type_array)) {
		ERR(ctx, "plan: no \"devices\" or \"cycles\" array");
		return -EINVAL;
	}
	out->repeat = json_object_object_get_ex(o, "repeat", &v) ?
		      (unsigned)json_object_get_int(v) : 1;
	if (json_object_object_get_ex(o, "target", &v) && v) {
		struct kd_plan_device d = { 0 };
		struct json_object *t;

		out->has_target = true;
		err = device_from(v, &d, false);
		out->target = d;
		if (!err && json_object_object_get_ex(v, "tested", &t))
			out->target_tested = json_object_get_boolean(t);
	}
	out->devices = calloc(json_object_array_length(devs) + 1,
			      sizeof(*out->devices));
	out->cycles = calloc(json_object_array_length(cycles) + 1,
			     sizeof(*out->cycles));
	if (!out->devices || !out->cycles)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < json_object_array_length(devs); i++) {
		struct kd_plan_device d = { 0 };

		err = device_from(json_object_array_get_idx(devs, i), &d,
				  true);
		if (!err)
			out->devices[out->n_devices++] = d;
	}
	for (size_t i = 0; !err && i < json_object_array_length(cycles);
	     i++) {
		err = cycle_from(json_object_array_get_idx(cycles, i), out,
				 &out->cycles[i]);
		out->n_cycles++;
		if (!err && out->cycles[i].cycle != i + 1)
			err = -EINVAL;
	}
	if (err < 0) {
		ERR(ctx, "plan: %s", err == -ENOMEM ? "out of memory" :
			  "malformed device or cycle");
		kd_plan_clear(out);
	}
	return err;
}

int kd_plan_save(struct kd_ctx *ctx, const char *dir, const struct kd_plan *p)
{
	char path[4096], tmp[4200];
	struct json_object *o = kd_plan_to_json(p);
	const char *text;
	size_t len;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, KD_PLAN_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
	} else {
		if (write(fd, text, len) != (ssize_t)len ||
		    write(fd, "\n", 1) != 1 || fsync(fd) < 0)
			err = errno ? -errno : -EIO;
		if (close(fd) < 0 && !err)
			err = -errno;
		if (!err && rename(tmp, path) < 0)
			err = -errno;
		if (err)
			unlink(tmp);
	}
	json_object_put(o);
	if (err)
		ERR(ctx, "%s: %s", path, strerror(-err));
	return err;
}

int kd_plan_load(struct kd_ctx *ctx, const char *dir, struct kd_plan *out)
{
	char path[4096];
	struct json_object *o;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/%s", dir, KD_PLAN_FILE);
	o = json_object_from_file(path);
	if (!o) {
		ERR(ctx, "%s: cannot read the plan (kdsafe test plan writes "
			 "it)", path);
		return -ENOENT;
	}
	err = kd_plan_from_json(ctx, o, out);
	json_object_put(o);
	return err;
}
