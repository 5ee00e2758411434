/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libkmod, opened on first use (dlopen): a command that never looks a
 * module up or loads one (kdsafe hook, reset) does not load it, nor the
 * libcrypto, libzstd and liblzma it links.  Relocating libcrypto was most
 * of kdsafe's start in the lab's capture kernel (99 ms for `kdsafe --help`
 * under TCG, 15 ms for busybox).
 */
#ifndef KDSAFE_PROBE_KMOD_H
#define KDSAFE_PROBE_KMOD_H

#include <libkmod.h>

#define KD_KMOD_SONAME "libkmod.so.2"

struct kd_kmod {
	__typeof__(kmod_new) *new_ctx;
	__typeof__(kmod_unref) *unref;
	__typeof__(kmod_set_log_fn) *set_log_fn;
	__typeof__(kmod_set_log_priority) *set_log_priority;
	__typeof__(kmod_load_resources) *load_resources;
	__typeof__(kmod_list_next) *list_next;
	__typeof__(kmod_module_new_from_lookup) *module_new_from_lookup;
	__typeof__(kmod_module_new_from_name) *module_new_from_name;
	__typeof__(kmod_module_get_module) *module_get_module;
	__typeof__(kmod_module_get_name) *module_get_name;
	__typeof__(kmod_module_unref) *module_unref;
	__typeof__(kmod_module_unref_list) *module_unref_list;
	__typeof__(kmod_module_probe_insert_module) *module_probe_insert_module;
};

/* The library's entry points, or NULL (why in *why, static text) when
 * KD_KMOD_SONAME cannot be opened or lacks one of them.  Thread-safe;
 * opened once per process. */
const struct kd_kmod *kd_kmod(const char **why);

#endif
