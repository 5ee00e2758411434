// SPDX-License-Identifier: GPL-2.0-or-later
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#include "kmod.h"

static struct kd_kmod api;
static const struct kd_kmod *loaded;
static const char *failure;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SYM(field, name) { offsetof(struct kd_kmod, field), #name }

static void open_kmod(void)
{
	static const struct { size_t off; const char *name; } syms[] = {
		SYM(new_ctx, kmod_new),
		SYM(unref, kmod_unref),
		SYM(set_log_fn, kmod_set_log_fn),
		SYM(set_log_priority, kmod_set_log_priority),
		SYM(load_resources, kmod_load_resources),
		SYM(list_next, kmod_list_next),
		SYM(module_new_from_lookup, kmod_module_new_from_lookup),
		SYM(module_new_from_name, kmod_module_new_from_name),
		SYM(module_get_module, kmod_module_get_module),
		SYM(module_get_name, kmod_module_get_name),
		SYM(module_unref, kmod_module_unref),
		SYM(module_unref_list, kmod_module_unref_list),
		SYM(module_probe_insert_module, kmod_module_probe_insert_module),
	};
	void *h = dlopen(KD_KMOD_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		failure = "cannot open " KD_KMOD_SONAME;
		return;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(h, syms[i].name);

		if (!f) {
			failure = KD_KMOD_SONAME " lacks a function kdsafe uses";
			dlclose(h);
			return;
		}
		/* POSIX: a function's address from dlsym() converts back */
		*(void **)((char *)&api + syms[i].off) = f;
	}
	loaded = &api;
}

const struct kd_kmod *kd_kmod(const char **why)
{
	pthread_once(&once, open_kmod);
	if (!loaded && why)
		*why = failure;
	return loaded;
}
