// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The /dev/kmsg writer (access.h, struct kd_kmsg).  The kernel rate-limits
 * writes to /dev/kmsg per open file: devkmsg_open() gives each open its own
 * ratelimit state (ratelimit_default_init(): DEFAULT_RATELIMIT_BURST 10
 * lines per DEFAULT_RATELIMIT_INTERVAL 5 s), and devkmsg_write() drops a
 * line over it without an error (___ratelimit(), unless printk.devkmsg=on),
 * devkmsg_release() then logging "N output lines suppressed".  A capture
 * boot with 11 or more dirty functions lost its last lines that way, so
 * the writer opens the file again, beneath the sysroot as the first time
 * (kd_ctx_open_kmsg()), before a line would exceed the burst; a refused
 * reopen is not tried again.  devkmsg_write() refuses a write over
 * LOG_LINE_MAX with EINVAL: a longer line is cut to KD_KMSG_LINE_MAX.
 */
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include "access.h"

int kd_kmsg_open(struct kd_kmsg *k, struct kd_ctx *ctx)
{
	int fd = kd_ctx_open_kmsg(ctx);

	kd_kmsg_close(k);
	if (fd < 0)
		return fd;
	k->ctx = kd_ctx_ref(ctx);
	k->fd = fd;
	k->opens = 1;
	return 0;
}

bool kd_kmsg_is_open(const struct kd_kmsg *k)
{
	return k->fd >= 0 && k->ctx;
}

/* A fresh open file, hence a fresh ratelimit state (devkmsg_open()); the
 * old one is kept when the open fails.  A message the open logs comes
 * back here (reopening): it goes to the old file. */
static void reopen(struct kd_kmsg *k)
{
	int fd;

	k->reopening = true;
	fd = kd_ctx_open_kmsg(k->ctx);
	k->reopening = false;
	if (fd < 0) {
		k->reopen_failed = true; /* said once (the open logs why) */
		return;
	}
	close(k->fd);
	k->fd = fd;
	k->lines = 0;
	k->opens++;
}

/* One record: a line over KD_KMSG_LINE_MAX cut to it, newline kept
 * (devkmsg_write() takes a write as one record and refuses a longer one
 * with EINVAL). */
static ssize_t write_record(int fd, const char *line, size_t len)
{
	struct iovec v[2] = {
		{ .iov_base = (void *)line, .iov_len = len },
		{ .iov_base = (void *)"\n", .iov_len = 1 },
	};

	if (len <= KD_KMSG_LINE_MAX)
		return write(fd, line, len);
	v[0].iov_len = KD_KMSG_LINE_MAX - 1;
	return writev(fd, v, 2);
}

int kd_kmsg_write(struct kd_kmsg *k, const char *line, size_t len)
{
	if (!kd_kmsg_is_open(k))
		return -EBADF;
	if (k->lines >= KD_KMSG_BURST && !k->reopening && !k->reopen_failed)
		reopen(k);
	if (write_record(k->fd, line, len) < 0) {
		int err = -errno;

		kd_kmsg_close(k); /* stop trying */
		return err;
	}
	k->lines++;
	return 0;
}

void kd_kmsg_close(struct kd_kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	kd_ctx_unref(k->ctx);
	k->fd = -1;
	k->ctx = NULL;
	k->lines = 0;
	k->reopening = false;
	k->reopen_failed = false;
}
