// SPDX-License-Identifier: GPL-2.0-or-later
/* Bounded opens of the tree: beneath the sysroot, typed, never blocking. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "context.h"
#include "open.h"

bool kd_open_no_openat2;
unsigned kd_open_eagain;

static const char *type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFDIR: return "a directory";
	case S_IFSOCK: return "a socket";
	case S_IFLNK: return "a symlink";
	default: return "a regular file";
	}
}

static bool type_ok(mode_t mode, unsigned types)
{
	return (S_ISREG(mode) && (types & KD_OPEN_REG)) ||
	       (S_ISCHR(mode) && (types & KD_OPEN_CHR)) ||
	       (S_ISBLK(mode) && (types & KD_OPEN_BLK));
}

/* openat2 beneath the sysroot's fd; -ENOSYS where the kernel has none. */
static int open_beneath(struct kd_ctx *ctx, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (kd_open_no_openat2)
		return -ENOSYS;
	if (kd_open_eagain) {
		kd_open_eagain--;
		return -EAGAIN;
	}
	fd = syscall(SYS_openat2, ctx->root_fd, rel, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* Without openat2: resolve every link first and check the result is the
 * sysroot or below it; open that path refusing any link left. */
static int open_checked(struct kd_ctx *ctx, const char *full, int flags)
{
	char real[PATH_MAX];
	size_t root = strlen(ctx->sysroot);
	int fd;

	if (!realpath(full, real))
		return -errno;
	if (root && (strncmp(real, ctx->sysroot, root) != 0 ||
		     (real[root] != '/' && real[root] != '\0')))
		return -EXDEV;
	fd = open(real, flags | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

/* EAGAIN from openat2 with RESOLVE_BENEATH: a rename somewhere raced a
 * ".." of the lookup and the kernel could not rule out an escape; the
 * caller may retry (openat2(2)).  Bounded: a machine renaming without
 * pause still gets an answer. */
#define OPENAT2_RETRIES 16

static int open_resolved(struct kd_ctx *ctx, const char *path,
			 const char *full, int flags)
{
	int fd = open_beneath(ctx, path + 1, flags);

	for (unsigned i = 0; fd == -EAGAIN && i < OPENAT2_RETRIES; i++)
		fd = open_beneath(ctx, path + 1, flags);

	if (fd == -ENOSYS)
		fd = open_checked(ctx, full, flags);
	return fd;
}

bool kd_fd_on_sysfs(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) < 0 || sfs.f_type == SYSFS_MAGIC;
}

int kd_open_sysfs_mount(const char *dir)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct statfs sfs;

	if (fd >= 0 && (fstatfs(fd, &sfs) < 0 || sfs.f_type != SYSFS_MAGIC)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void refuse_type(struct kd_ctx *ctx, const char *full, mode_t mode,
			unsigned types)
{
	ERR(ctx, "%s: refusing it: %s, not %s", full, type_name(mode),
	    types & KD_OPEN_CHR ? "a regular file or character device" :
	    types & KD_OPEN_BLK ? "a regular file or block device" :
				  "a regular file");
}

/* open.h: below the real /sys in one step.  -ENOSYS: not for this path
 * (no sysfs_fd, not below /sys, no openat2); -EXDEV: the lookup would
 * leave the mount; else an fd or what the open answered. */
static int open_on_sysfs(struct kd_ctx *ctx, const char *path, int flags,
			 unsigned types)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	const size_t top = sizeof(KD_SYSFS) - 1;
	struct stat st = { 0 };
	long fd = -1;

	if (ctx->sysfs_fd < 0 || kd_open_no_openat2 ||
	    strncmp(path, KD_SYSFS "/", top + 1) != 0)
		return -ENOSYS;
	if ((flags & O_ACCMODE) != O_RDONLY && !ctx->real_writes_ok) {
		ERR(ctx, "%s: refusing to write: it is on the real /sys", path);
		return -EPERM;
	}
	for (unsigned i = 0; i <= OPENAT2_RETRIES; i++) {
		fd = syscall(SYS_openat2, ctx->sysfs_fd, path + top + 1, &how,
			     sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	if (fd < 0)
		return -errno;
	if (fstat((int)fd, &st) < 0 || !type_ok(st.st_mode, types)) {
		int err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;

		refuse_type(ctx, path, st.st_mode, types);
		close((int)fd);
		return err;
	}
	return (int)fd;
}

int kd_tree_exists(struct kd_ctx *ctx, const char *path, unsigned types)
{
	char full[PATH_MAX];
	struct stat st;
	int pfd, err;

	if (path[0] != '/')
		return -EINVAL;
	err = kd_ctx_path(ctx, full, sizeof(full), "%s", path);
	if (err < 0)
		return err;
	pfd = open_resolved(ctx, path, full, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return pfd;
	err = fstat(pfd, &st) < 0 ? -errno : 0;
	close(pfd);
	if (err == 0 && !type_ok(st.st_mode, types))
		err = -EINVAL;
	return err;
}

int kd_open_tree(struct kd_ctx *ctx, const char *path, int flags,
		 unsigned types)
{
	bool write = (flags & O_ACCMODE) != O_RDONLY;
	char full[PATH_MAX];
	struct stat before, after;
	int pfd, fd, err;

	if (path[0] != '/' || (flags & O_CREAT))
		return -EINVAL;
	fd = open_on_sysfs(ctx, path, flags, types);
	if (fd != -ENOSYS && fd != -EXDEV)
		return fd;
	err = kd_ctx_path(ctx, full, sizeof(full), "%s", path);
	if (err < 0)
		return err;
	/* look first: an O_PATH open never blocks and opens no device */
	pfd = open_resolved(ctx, path, full, O_PATH | O_CLOEXEC);
	if (pfd == -EXDEV) {
		ERR(ctx, "%s: refusing it: resolves outside the sysroot %s",
		    full, ctx->sysroot[0] ? ctx->sysroot : "/");
		return -EXDEV;
	}
	if (pfd < 0)
		return pfd;
	err = fstat(pfd, &before) < 0 ? -errno : 0;
	close(pfd);
	if (err < 0)
		return err;
	if (!type_ok(before.st_mode, types)) {
		refuse_type(ctx, full, before.st_mode, types);
		return S_ISDIR(before.st_mode) ? -EISDIR : -EINVAL;
	}
	fd = open_resolved(ctx, path, full, flags | O_NONBLOCK | O_NOCTTY |
				      O_CLOEXEC);
	if (fd < 0)
		return fd;
	if (fstat(fd, &after) < 0 || after.st_dev != before.st_dev ||
	    after.st_ino != before.st_ino) {
		ERR(ctx, "%s: refusing it: changed while being opened", full);
		close(fd);
		return -EAGAIN;
	}
	if (write && !ctx->real_writes_ok && S_ISREG(after.st_mode) &&
	    kd_fd_on_sysfs(fd)) {
		ERR(ctx, "%s: refusing to write: it is on the real /sys "
			 "(a link in the tree leads there)", full);
		close(fd);
		return -EPERM;
	}
	return fd;
}
