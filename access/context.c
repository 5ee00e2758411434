// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "context.h"
#include "open.h"

static void log_stderr(void *data, int prio, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)file;
	(void)line;
	(void)fn;
	/* reset workers log concurrently: one line must stay one line */
	flockfile(stderr);
	fprintf(stderr, "kdsafe: %s", prio <= KD_LOG_ERR ? "error: " :
		prio == KD_LOG_WARNING ? "warning: " : "");
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
	funlockfile(stderr);
}

static uint64_t clock_now_ns(void *data)
{
	struct timespec ts;

	(void)data;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void clock_sleep_ns(void *data, uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	(void)data;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void kd_log(struct kd_ctx *ctx, int prio, const char *file, int line,
	    const char *fn, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	ctx->log_fn(ctx->log_data, prio, file, line, fn, format, args);
	va_end(args);
}

static int open_root(struct kd_ctx *ctx, const char *dir)
{
	ctx->root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->root_fd < 0) {
		int err = -errno;

		ERR(ctx, "sysroot %s: %s", dir, strerror(-err));
		return err;
	}
	return 0;
}

static int normalise_sysroot(struct kd_ctx *ctx, const char *sysroot)
{
	struct stat st;
	size_t len;

	if (!sysroot || !*sysroot) {
		ctx->sysroot[0] = '\0';
		return open_root(ctx, "/");
	}
	if (stat(sysroot, &st) < 0) {
		int err = -errno;

		ERR(ctx, "sysroot %s: %s", sysroot, strerror(-err));
		return err;
	}
	if (!S_ISDIR(st.st_mode)) {
		ERR(ctx, "sysroot %s: not a directory", sysroot);
		return -ENOTDIR;
	}
	if (!realpath(sysroot, ctx->sysroot)) {
		int err = -errno;

		ERR(ctx, "sysroot %s: %s", sysroot, strerror(-err));
		return err;
	}
	len = strlen(ctx->sysroot);
	if (len == 1 && ctx->sysroot[0] == '/')
		ctx->sysroot[0] = '\0';
	return open_root(ctx, ctx->sysroot[0] ? ctx->sysroot : "/");
}

static void read_kernel_release(struct kd_ctx *ctx, const char *given)
{
	struct utsname u;

	if (given) {
		snprintf(ctx->kernel_release, sizeof(ctx->kernel_release),
			 "%s", given);
		return;
	}
	if (kd_ctx_read_small(ctx, "/proc/sys/kernel/osrelease",
			      ctx->kernel_release,
			      sizeof(ctx->kernel_release)) > 0)
		return;
	if (!ctx->sysroot[0] && uname(&u) == 0)
		snprintf(ctx->kernel_release, sizeof(ctx->kernel_release),
			 "%s", u.release);
}

/* Up to len bytes of SYSROOT + path, opened by kd_open_tree() as one of
 * types: the count, kd_open_tree()'s -errno (-EXDEV, -EINVAL, -EISDIR: the
 * file was refused), or -EIO when the read itself failed: sysfs answers
 * EINVAL for a down link's "carrier", which is no refusal of the file. */
static ssize_t read_tree(struct kd_ctx *ctx, const char *path,
			 unsigned types, void *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = kd_open_tree(ctx, path, O_RDONLY, types);
	if (fd < 0)
		return fd;
	n = read(fd, buf, len);
	if (n < 0)
		n = errno == EAGAIN ? -EAGAIN : -EIO;
	close(fd);
	return n;
}

ssize_t kd_ctx_read_small(struct kd_ctx *ctx, const char *path, char *buf,
			  size_t len)
{
	ssize_t n;

	if (len == 0)
		return -EINVAL;
	buf[0] = '\0';
	n = read_tree(ctx, path, KD_OPEN_REG, buf, len - 1);
	if (n < 0)
		return n;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return (ssize_t)strlen(buf);
}

ssize_t kd_ctx_read_head(struct kd_ctx *ctx, const char *path, void *buf,
			 size_t len)
{
	return read_tree(ctx, path, KD_OPEN_BLK | KD_OPEN_REG, buf, len);
}

int kd_ctx_new(const struct kd_ctx_options *opts, struct kd_ctx **out)
{
	static const struct kd_ctx_options none;
	struct kd_ctx *ctx;
	int err;

	if (!opts)
		opts = &none;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->refcount = 1;
	ctx->root_fd = -1;
	ctx->sysfs_fd = -1;
	ctx->log_fn = opts->log_fn ? opts->log_fn : log_stderr;
	ctx->log_data = opts->log_data;
	ctx->log_priority = opts->log_priority ? opts->log_priority :
			    KD_LOG_WARNING;
	ctx->clock.now_ns = clock_now_ns;
	ctx->clock.sleep_ns = clock_sleep_ns;

	err = normalise_sysroot(ctx, opts->sysroot);
	if (err < 0)
		goto fail;
	if (!ctx->sysroot[0])
		ctx->sysfs_fd = kd_open_sysfs_mount(KD_SYSFS);
	pthread_mutex_init(&ctx->release_lock, NULL);
	if (opts->kernel_release) {
		read_kernel_release(ctx, opts->kernel_release);
		ctx->release_read = true;
	}

	if (opts->backend)
		ctx->backend = opts->backend;
	else if (opts->no_devices)
		ctx->backend = &kd_backend_none;
	else if (opts->dump_path)
		ctx->backend = &kd_backend_dump;
	else
		ctx->backend = &kd_backend_sysfs;
	err = ctx->backend->init(ctx, opts->backend ? opts->backend_data :
				 (void *)opts->dump_path, &ctx->state);
	if (err < 0)
		goto fail;
	*out = ctx;
	return 0;
fail:
	if (ctx->root_fd >= 0)
		close(ctx->root_fd);
	if (ctx->sysfs_fd >= 0)
		close(ctx->sysfs_fd);
	free(ctx);
	return err;
}

struct kd_ctx *kd_ctx_ref(struct kd_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

struct kd_ctx *kd_ctx_unref(struct kd_ctx *ctx)
{
	if (!ctx || --ctx->refcount > 0)
		return ctx;
	if (ctx->backend->cleanup)
		ctx->backend->cleanup(ctx, ctx->state);
	close(ctx->root_fd);
	if (ctx->sysfs_fd >= 0)
		close(ctx->sysfs_fd);
	pthread_mutex_destroy(&ctx->release_lock);
	free(ctx);
	return NULL;
}

void kd_ctx_set_log_fn(struct kd_ctx *ctx, kd_log_fn fn, void *data)
{
	ctx->log_fn = fn ? fn : log_stderr;
	ctx->log_data = data;
}

void kd_ctx_set_log_priority(struct kd_ctx *ctx, int prio)
{
	ctx->log_priority = prio;
}

int kd_ctx_get_log_priority(const struct kd_ctx *ctx)
{
	return ctx->log_priority;
}

void kd_ctx_set_clock(struct kd_ctx *ctx, const struct kd_clock *clock)
{
	ctx->clock = *clock;
}

uint64_t kd_now_ns(struct kd_ctx *ctx)
{
	return ctx->clock.now_ns(ctx->clock.data);
}

void kd_sleep_ns(struct kd_ctx *ctx, uint64_t ns)
{
	ctx->clock.sleep_ns(ctx->clock.data, ns);
}

const char *kd_ctx_sysroot(const struct kd_ctx *ctx)
{
	return ctx->sysroot;
}

int kd_ctx_path(const struct kd_ctx *ctx, char *buf, size_t len,
		const char *fmt, ...)
{
	va_list args;
	size_t root = strlen(ctx->sysroot);
	int n;

	if (root >= len)
		return -ENAMETOOLONG;
	memcpy(buf, ctx->sysroot, root);
	va_start(args, fmt);
	n = vsnprintf(buf + root, len - root, fmt, args);
	va_end(args);
	if (n < 0 || (size_t)n >= len - root)
		return -ENAMETOOLONG;
	return 0;
}

const char *kd_ctx_backend_name(const struct kd_ctx *ctx)
{
	return ctx->backend->name;
}

const char *kd_ctx_kernel_release(struct kd_ctx *ctx)
{
	pthread_mutex_lock(&ctx->release_lock);
	if (!ctx->release_read) {
		read_kernel_release(ctx, NULL);
		ctx->release_read = true;
	}
	pthread_mutex_unlock(&ctx->release_lock);
	return ctx->kernel_release[0] ? ctx->kernel_release : NULL;
}

int kd_ctx_enable_writes(struct kd_ctx *ctx, bool allow_real_sysfs)
{
	bool real = ctx->backend->is_real_system &&
		    ctx->backend->is_real_system(ctx, ctx->state);

	if (real) {
#ifdef KDSAFE_NO_REAL_WRITES
		(void)allow_real_sysfs;
		ERR(ctx, "this is a test build: writes to the real /sys are "
			 "compiled out (use --sysroot)");
		return -EPERM;
#else
		if (!allow_real_sysfs) {
			ERR(ctx, "refusing to write to the real /sys without "
				 "--allow-real-sysfs");
			return -EPERM;
		}
		if (geteuid() != 0) {
			ERR(ctx, "writing to the real /sys needs root");
			return -EACCES;
		}
		ctx->real_writes_ok = true;
#endif
	}
	ctx->writes_enabled = true;
	return 0;
}

bool kd_ctx_writes_enabled(const struct kd_ctx *ctx)
{
	return ctx->writes_enabled;
}

int kd_ctx_open_kmsg(struct kd_ctx *ctx)
{
	/* appending only; a FIFO or a link out of the tree is refused */
	return kd_open_tree(ctx, "/dev/kmsg", O_WRONLY | O_APPEND,
			    KD_OPEN_REG | KD_OPEN_CHR);
}
