/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One access method per file behind this ops table (pciutils style):
 * backend-sysfs.c (libpci linux-sysfs under --sysroot), backend-dump.c
 * (lspci -x dumps, read-only); the test simulator lives in tests/.
 * Every op returns 0 / a byte count, or a negative errno.
 */
#ifndef KDSAFE_BACKEND_H
#define KDSAFE_BACKEND_H

#include "access.h"

struct kd_backend {
	const char *name;
	int (*init)(struct kd_ctx *ctx, void *data, void **state);
	void (*cleanup)(struct kd_ctx *ctx, void *state);
	/* Every function in any order; bad entries logged and counted. */
	int (*enumerate)(struct kd_ctx *ctx, void *state, kd_enum_fn fn,
			 void *data, int *bad);
	/* Bytes read; fewer than len means config space ends there. */
	ssize_t (*config_read)(struct kd_ctx *ctx, void *state,
			       const struct kd_addr *a, unsigned pos,
			       void *buf, size_t len);
	/* The size of config space without reading it (sysfs: the file's);
	 * may be NULL (the device layer then reads it all at once) */
	ssize_t (*config_size)(struct kd_ctx *ctx, void *state,
			       const struct kd_addr *a);
	int (*config_write)(struct kd_ctx *ctx, void *state,
			    const struct kd_addr *a, unsigned pos,
			    const void *buf, size_t len);
	ssize_t (*attr_read)(struct kd_ctx *ctx, void *state,
			     const struct kd_addr *a, const char *name,
			     char *buf, size_t len);
	/* 0 when the attribute exists, -ENOENT or -errno; may be NULL
	 * (kd_dev_attr_exists() then tries a read) */
	int (*attr_exists)(struct kd_ctx *ctx, void *state,
			   const struct kd_addr *a, const char *name);
	int (*attr_write)(struct kd_ctx *ctx, void *state,
			  const struct kd_addr *a, const char *name,
			  const char *value);
	ssize_t (*link_read)(struct kd_ctx *ctx, void *state,
			     const struct kd_addr *a, const char *name,
			     char *buf, size_t len);
	int (*parent)(struct kd_ctx *ctx, void *state, const struct kd_addr *a,
		      struct kd_addr *parent);
	int (*driver)(struct kd_ctx *ctx, void *state, const struct kd_addr *a,
		      char *name, size_t len, bool *builtin);
	int (*bar_read)(struct kd_ctx *ctx, void *state,
			const struct kd_addr *a, int bar, uint64_t off,
			unsigned width, uint64_t *val);
	int (*bar_write)(struct kd_ctx *ctx, void *state,
			 const struct kd_addr *a, int bar, uint64_t off,
			 unsigned width, uint64_t val);
	/* true when writes reach real hardware of this machine */
	bool (*is_real_system)(struct kd_ctx *ctx, void *state);
};

extern const struct kd_backend kd_backend_sysfs;
extern const struct kd_backend kd_backend_dump;
extern const struct kd_backend kd_backend_none;

#endif
