// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Merging journals: one counter per device key x variant.  Devices are
 * found through glibc's tsearch() tree (a red-black tree) and kept in an
 * array for sorting, so memory follows distinct keys, not records.
 */
#include <dirent.h>
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "whitelist/internal.h"

/* a direct-mapped cache in front of the tree: a journal names the same
 * few devices over and over */
#define CACHE_BITS 12

struct kd_wl {
	struct kd_ctx *ctx;
	void *tree;                 /* of struct kd_wl_device */
	struct kd_wl_device **devs; /* the same, in insertion order */
	struct kd_wl_reader *rd;
	struct kd_wl_device *cache[1u << CACHE_BITS];
	size_t n, cap;
	struct kd_wl_inputs in;
};

int kd_wl_new(struct kd_ctx *ctx, struct kd_wl **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out || kd_wl_reader_new(ctx, &(*out)->rd) < 0) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	(*out)->ctx = ctx;
	return 0;
}

static void noop_free(void *p)
{
	(void)p;
}

void kd_wl_free(struct kd_wl *wl)
{
	if (!wl)
		return;
	kd_wl_reader_free(wl->rd);
	tdestroy(wl->tree, noop_free);
	for (size_t i = 0; i < wl->n; i++) {
		struct kd_wl_device *d = wl->devs[i];

		for (size_t c = 0; c < d->n_cells; c++)
			free(d->cells[c].variant);
		free(d->cells);
		free(d->driver);
		free(d->kernel);
		free(d);
	}
	free(wl->devs);
	free(wl);
}

const struct kd_wl_inputs *kd_wl_inputs(const struct kd_wl *wl)
{
	return &wl->in;
}

/* The merge key order (ids, subsystem, driver, kernel): one order for
 * the tree and the output. */
int kd_wl_device_cmp(const void *pa, const void *pb)
{
	const struct kd_wl_device *a = pa, *b = pb;
	int r;

	if (a->vendor != b->vendor)
		return a->vendor < b->vendor ? -1 : 1;
	if (a->device != b->device)
		return a->device < b->device ? -1 : 1;
	if (a->subsys_vendor != b->subsys_vendor)
		return a->subsys_vendor < b->subsys_vendor ? -1 : 1;
	if (a->subsys_device != b->subsys_device)
		return a->subsys_device < b->subsys_device ? -1 : 1;
	r = strcmp(a->driver, b->driver);
	return r ? r : strcmp(a->kernel, b->kernel);
}

static const char *get(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static uint16_t hex16(struct json_object *o, const char *key)
{
	return (uint16_t)strtoul(get(o, key), NULL, 16);
}

static size_t key_hash(const struct kd_wl_device *k)
{
	uint64_t h = ((uint64_t)k->vendor << 48 | (uint64_t)k->device << 32 |
		      (uint64_t)k->subsys_vendor << 16 | k->subsys_device) *
		     0x9e3779b97f4a7c15u;

	for (const char *s = k->driver; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u; /* FNV-1a */
	for (const char *s = k->kernel; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u;
	return (size_t)(h >> (64 - CACHE_BITS));
}

/* The device of key k on kernel, created on first sight; NULL on
 * allocation failure. */
static struct kd_wl_device *lookup(struct kd_wl *wl,
				   const struct kd_wl_key *k,
				   const char *kernel)
{
	struct kd_wl_device key = {
		.vendor = k->vendor, .device = k->device,
		.subsys_vendor = k->subsys_vendor,
		.subsys_device = k->subsys_device,
		.class_code = k->class_code,
		.driver = (char *)(k->driver ? k->driver : ""),
		.kernel = (char *)kernel,
	};
	struct kd_wl_device **found, *n, **slot = &wl->cache[key_hash(&key)];

	if (*slot && kd_wl_device_cmp(*slot, &key) == 0)
		return *slot;
	found = tfind(&key, &wl->tree, kd_wl_device_cmp);
	if (found)
		return *slot = *found;
	if (wl->n == wl->cap) {
		size_t cap = wl->cap ? 2 * wl->cap : 64;
		struct kd_wl_device **grown = realloc(wl->devs,
						      cap * sizeof(*grown));

		if (!grown)
			return NULL;
		wl->devs = grown;
		wl->cap = cap;
	}
	n = malloc(sizeof(*n));
	if (!n)
		return NULL;
	*n = key;
	n->driver = strdup(key.driver);
	n->kernel = strdup(kernel);
	if (!n->driver || !n->kernel || !tsearch(n, &wl->tree, kd_wl_device_cmp)) {
		free(n->driver);
		free(n->kernel);
		free(n);
		return NULL;
	}
	wl->devs[wl->n++] = n;
	return *slot = n;
}

static struct kd_wl_cell *cell(struct kd_wl_device *d, const char *variant)
{
	struct kd_wl_cell *grown;

	for (size_t i = 0; i < d->n_cells; i++)
		if (strcmp(d->cells[i].variant, variant) == 0)
			return &d->cells[i];
	grown = realloc(d->cells, (d->n_cells + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	d->cells = grown;
	grown = &d->cells[d->n_cells];
	*grown = (struct kd_wl_cell){ .variant = strdup(variant),
				      .rank = kd_wl_variant_rank(variant) };
	if (!grown->variant)
		return NULL;
	d->n_cells++;
	return grown;
}

int kd_wl_merge_outcome(struct kd_wl *wl, const char *kernel,
			const struct kd_wl_key *k, const char *variant,
			enum kd_outcome o)
{
	struct kd_wl_device *d = lookup(wl, k, kernel);
	struct kd_wl_cell *c = d ? cell(d, variant) : NULL;

	if (!c)
		return -ENOMEM;
	c->n[o]++;
	return 0;
}

int kd_wl_merge_listed(struct kd_wl *wl, const char *kernel,
		       const struct kd_wl_key *k)
{
	return lookup(wl, k, kernel) ? 0 : -ENOMEM;
}

/* The key of a device object validated by kd_journal_validate(). */
static struct kd_wl_key json_key(struct json_object *d)
{
	const char *cls = get(d, "class");

	return (struct kd_wl_key){
		.vendor = hex16(d, "vendor"), .device = hex16(d, "device"),
		.subsys_vendor = hex16(d, "subsys_vendor"),
		.subsys_device = hex16(d, "subsys_device"),
		.class_code = cls ? (uint32_t)strtoul(cls, NULL, 16) : 0,
		.driver = get(d, "driver"),
	};
}

int kd_wl_add_record(struct kd_wl *wl, struct json_object *rec)
{
	const char *kernel = get(rec, "kernel"), *kind = get(rec, "kind");
	const char *step = get(rec, "step");
	struct json_object *devs;
	struct kd_wl_key k;
	enum kd_outcome o;
	int ret;

	if (strcmp(kind, "outcome") == 0) {
		k = json_key(rec);
		if (kd_outcome_parse(get(rec, "outcome"), &o) < 0)
			return 0;
		return kd_wl_merge_outcome(wl, kernel, &k, get(rec, "variant"),
					   o);
	}
	/* a cycle intent names the devices under test: one that never gets
	 * an outcome is still listed, untested */
	if (!step || strcmp(step, "cycle") != 0 ||
	    !json_object_object_get_ex(rec, "devices", &devs))
		return 0;
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		k = json_key(json_object_array_get_idx(devs, i));
		if ((ret = kd_wl_merge_listed(wl, kernel, &k)) < 0)
			return ret;
	}
	return 0;
}

static int add_file(struct kd_wl *wl, const char *path)
{
	int ret = kd_wl_read_file(wl->rd, wl, path, &wl->in.st);

	wl->in.files++;
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		wl->in.unreadable++;
	return 0;
}

static int no_hidden(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static bool is_journal(const char *name)
{
	size_t len = strlen(name);

	return len > 6 && strcmp(name + len - 6, ".jsonl") == 0;
}

/* One directory entry: a subdirectory is walked, a *.jsonl read. */
static int add_entry(struct kd_wl *wl, const char *dir, const char *name)
{
	struct stat st;
	char *sub;
	int ret = 0;

	if (asprintf(&sub, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
		ret = kd_wl_add_path(wl, sub);
	else if (is_journal(name))
		ret = add_file(wl, sub);
	free(sub);
	return ret;
}

int kd_wl_add_path(struct kd_wl *wl, const char *path)
{
	struct dirent **names;
	struct stat st;
	int n, ret = 0;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return add_file(wl, path); /* which reports what is wrong */
	n = scandir(path, &names, no_hidden, alphasort);
	if (n < 0) {
		ERR(wl->ctx, "%s: cannot list: %s", path, strerror(errno));
		wl->in.unreadable++;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (ret == 0)
			ret = add_entry(wl, path, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return ret;
}

int kd_wl_finish(struct kd_wl *wl, struct kd_wl_device *const **devs,
		 size_t *n)
{
	kd_wl_judge_all(wl->devs, wl->n);
	*devs = wl->devs;
	*n = wl->n;
	return 0;
}
