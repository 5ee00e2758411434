/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to access/: the context's layout. */
#ifndef KDSAFE_CONTEXT_H
#define KDSAFE_CONTEXT_H

#include <limits.h>
#include <pthread.h>

#include "access.h"

struct kd_ctx {
	int refcount;
	kd_log_fn log_fn;
	void *log_data;
	int log_priority;
	struct kd_clock clock;
	char sysroot[PATH_MAX];
	int root_fd; /* the sysroot ("/" without one): opens resolve beneath */
	/* without a sysroot, /sys when it is a sysfs mount: opens below it
	 * take one step (open.c, open_on_sysfs()); else -1 */
	int sysfs_fd;
	/* read by the first kd_ctx_kernel_release(), under release_lock:
	 * most runs look no module up, and a capture kernel pays each
	 * procfs read */
	char kernel_release[128];
	bool release_read;
	pthread_mutex_t release_lock;
	const struct kd_backend *backend;
	void *state;
	bool writes_enabled;
	/* writes may reach a sysfs mount: only with --allow-real-sysfs, as
	 * root, and never in the test build (KDSAFE_NO_REAL_WRITES) */
	bool real_writes_ok;
	/* writes through the context so far (atomic): a handle read after
	 * the last one needs no refresh (kd_dev_refresh_stale()) */
	unsigned long writes;
};

#endif
