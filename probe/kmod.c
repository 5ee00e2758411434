// SPDX-License-Identifier: GPL-2.0-or-later
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "kmod.h"

static struct kd_kmod api;
static const struct kd_kmod *loaded;
static const char *failure;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/*
 * Each entry point converted to its own type (POSIX dlsym(): a function's
 * address converts back to its function pointer type), never stored
 * through a void * lvalue (C11 6.5p7); the field's type checked against
 * the function libkmod.h declares under that name.
 */
#define SYM(h, field, name)						\
	((void)sizeof(char[__builtin_types_compatible_p(		\
		__typeof__(api.field), __typeof__(&name)) ? 1 : -1]),	\
	 (api.field = (__typeof__(api.field))dlsym(h, #name)) != NULL)

static bool find_all(void *h)
{
	return SYM(h, new_ctx, kmod_new) &&
	       SYM(h, unref, kmod_unref) &&
	       SYM(h, set_log_fn, kmod_set_log_fn) &&
	       SYM(h, set_log_priority, kmod_set_log_priority) &&
	       SYM(h, load_resources, kmod_load_resources) &&
	       SYM(h, list_next, kmod_list_next) &&
	       SYM(h, module_new_from_lookup, kmod_module_new_from_lookup) &&
	       SYM(h, module_new_from_name, kmod_module_new_from_name) &&
	       SYM(h, module_get_module, kmod_module_get_module) &&
	       SYM(h, module_get_name, kmod_module_get_name) &&
	       SYM(h, module_unref, kmod_module_unref) &&
	       SYM(h, module_unref_list, kmod_module_unref_list) &&
	       SYM(h, module_probe_insert_module,
		   kmod_module_probe_insert_module);
}

/* what the loader said (a dependency missing, the wrong ELF class, a
 * symbol absent): set once, under the pthread_once */
static char failure_text[320];

static void fail(const char *what)
{
	const char *e = dlerror();

	snprintf(failure_text, sizeof(failure_text), "%s: %s", what,
		 e ? e : "unknown error");
	failure = failure_text;
}

static void open_kmod(void)
{
	void *h = dlopen(KD_KMOD_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		fail("cannot open " KD_KMOD_SONAME);
		return;
	}
	if (!find_all(h)) {
		fail(KD_KMOD_SONAME " lacks a function kdsafe uses");
		dlclose(h);
		return;
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
