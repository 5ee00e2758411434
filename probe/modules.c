// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kmod.h"
#include "modules.h"

struct kd_modules {
	struct kd_ctx *ctx;
	const struct kd_kmod *k;
	struct kmod_ctx *kmod; /* NULL: no module directory or no libkmod */
};

static void kmod_log(void *data, int prio, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	struct kd_ctx *ctx = data;
	char buf[512];

	(void)prio;
	vsnprintf(buf, sizeof(buf), format, args);
	buf[strcspn(buf, "\n")] = '\0';
	/* libkmod's own errors are about the module index, not devices */
	kd_log_cond(ctx, KD_LOG_DEBUG, "libkmod %s:%d %s: %s", file, line, fn,
		    buf);
}

int kd_modules_new(struct kd_ctx *ctx, struct kd_modules **out)
{
	static const char *const conf_dirs[] = {
		"/etc/modprobe.d", "/run/modprobe.d",
		"/usr/local/lib/modprobe.d", "/lib/modprobe.d",
	};
	char dir[PATH_MAX], conf[4][PATH_MAX];
	const char *conf_paths[5], *why = NULL;
	const char *rel = kd_ctx_kernel_release(ctx);
	struct kd_modules *m = calloc(1, sizeof(*m));
	struct stat st;

	if (!m)
		return -ENOMEM;
	m->ctx = ctx;
	*out = m;
	if (!rel || kd_ctx_path(ctx, dir, sizeof(dir), "/lib/modules/%s",
				rel) < 0 || stat(dir, &st) < 0) {
		DBG(ctx, "no module directory for release %s: module lookup "
			 "off", rel ? rel : "(unknown)");
		return 0;
	}
	for (size_t i = 0; i < 4; i++) {
		if (kd_ctx_path(ctx, conf[i], sizeof(conf[i]), "%s",
				conf_dirs[i]) < 0)
			return 0;
		conf_paths[i] = conf[i];
	}
	conf_paths[4] = NULL;
	m->k = kd_kmod(&why);
	if (!m->k) {
		WARN(ctx, "%s: module lookup off", why);
		return 0;
	}
	m->kmod = m->k->new_ctx(dir, conf_paths);
	if (!m->kmod)
		return 0;
	m->k->set_log_fn(m->kmod, kmod_log, ctx);
	m->k->set_log_priority(m->kmod, kd_ctx_get_log_priority(ctx));
	if (m->k->load_resources(m->kmod) < 0)
		DBG(ctx, "%s: module indexes not loaded", dir);
	return 0;
}

void kd_modules_free(struct kd_modules *m)
{
	if (!m)
		return;
	if (m->kmod)
		m->k->unref(m->kmod);
	free(m);
}

int kd_modules_lookup(struct kd_modules *m, const char *modalias,
		      char (**names)[KD_NAME_MAX], unsigned *n)
{
	struct kmod_list *list = NULL, *it;
	unsigned count = 0;
	int err;

	*names = NULL;
	*n = 0;
	if (!m->kmod)
		return 0;
	err = m->k->module_new_from_lookup(m->kmod, modalias, &list);
	if (err < 0)
		return err;
	for (it = list; it; it = m->k->list_next(list, it))
		count++;
	if (count) {
		*names = calloc(count, sizeof(**names));
		if (!*names) {
			m->k->module_unref_list(list);
			return -ENOMEM;
		}
	}
	for (it = list; it; it = m->k->list_next(list, it)) {
		struct kmod_module *mod = m->k->module_get_module(it);

		snprintf((*names)[*n], KD_NAME_MAX, "%s",
			 m->k->module_get_name(mod));
		(*n)++;
		m->k->module_unref(mod);
	}
	m->k->module_unref_list(list);
	return 0;
}
