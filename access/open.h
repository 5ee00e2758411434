/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to access/: every file of the tree is opened here, so every open
 * is bounded the same way (docs/design.md, "Guarantees"):
 *
 *  - resolved beneath the sysroot: openat2(RESOLVE_BENEATH |
 *    RESOLVE_NO_MAGICLINKS) from a directory fd of the sysroot, or where the
 *    kernel has no openat2 (ENOSYS) a realpath() checked against the
 *    sysroot.  A symlink that leads out of the tree (absolute, or "../"
 *    past the top) is refused with a message naming the path; openat2's
 *    EAGAIN (a rename racing a "..") is retried, up to 16 times;
 *  - looked at before it is opened (O_PATH, then fstat): only the file
 *    types asked for, so a FIFO or a device node in place of `config`,
 *    `reset` or `resource0` is never opened and nothing blocks; the real
 *    open adds O_NONBLOCK and must land on the same inode;
 *  - opened for writing only when it does not live on a sysfs mount, unless
 *    kd_ctx_enable_writes() accepted the real /sys (never in the test
 *    build): whatever links a tree holds, writes cannot reach this
 *    machine's own devices.
 */
#ifndef KDSAFE_OPEN_H
#define KDSAFE_OPEN_H

#include <stdbool.h>
#include <sys/stat.h>

#include "access.h"

/* File types kd_open_tree() accepts: a mask of these. */
#define KD_OPEN_REG 1u
#define KD_OPEN_CHR 2u
#define KD_OPEN_BLK 4u

/*
 * Without a sysroot, below /sys when it is a sysfs mount: one openat2 with
 * RESOLVE_NO_XDEV as well.  The lookup cannot leave that mount, and kernfs
 * makes only directories, regular files and links: no FIFO or device node
 * can be met, so there is nothing to look at first; the type is checked
 * on the open file.  A write there is refused before the open unless
 * kd_ctx_enable_writes() accepted the real /sys.  A lookup that would
 * cross a mount takes the general path.
 *
 * Opens SYSROOT + path (path starts with '/') with flags (O_RDONLY,
 * O_WRONLY, O_RDWR, O_APPEND, O_TRUNC; never O_CREAT).  Returns an fd or a
 * negative errno.  Refusals (escape: -EXDEV, wrong type: -EISDIR or -EINVAL, a write
 * to sysfs: -EPERM) are logged naming the file; other errors (-ENOENT,
 * -EACCES...) are left for the caller to report.
 */
int kd_open_tree(struct kd_ctx *ctx, const char *path, int flags,
		 unsigned types);

/* Whether SYSROOT + path exists beneath the sysroot and is one of types,
 * looked at without opening it (an O_PATH open: no read permission
 * needed, never blocks): 0, -ENOENT, or another negative errno. */
int kd_tree_exists(struct kd_ctx *ctx, const char *path, unsigned types);

/* true when fd lives on a sysfs mount (or fstatfs fails: assume so) */
bool kd_fd_on_sysfs(int fd);

/* dir (O_PATH) when it is a directory on a sysfs mount, for opens below it
 * in one step (kd_open_tree()); else -1 */
int kd_open_sysfs_mount(const char *dir);

/* Test hook: pretend the kernel has no openat2 (the realpath fallback). */
extern bool kd_open_no_openat2;
/* Test hook: openat2 answers EAGAIN this many times first (a rename
 * racing the lookup's "..": openat2(2), RESOLVE_BENEATH). */
extern unsigned kd_open_eagain;

#endif
