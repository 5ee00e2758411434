// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One reset run per machine: two runs on one device would each save the
 * other's disabled state (Command = INTx Disable) and "restore" it, leaving
 * the function with decoding off.  The lock is an flock() on
 * SYSROOT/run/kdsafe.lock, taken before any write and released when the
 * descriptor closes (at exit at the latest).  The file is opened beneath
 * the sysroot one component at a time with O_NOFOLLOW: a symlink planted
 * at run/ or at the lock file cannot redirect kdsafe's create to another
 * file; it must be a regular file.  It holds the holder's pid, so the
 * refusal can name it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"

#define LOCK_RETRY_NS (50ull * 1000000ull)

static int open_beneath(struct kd_ctx *ctx, struct kd_run_lock *l)
{
	const char *root = kd_ctx_sysroot(ctx);
	struct stat st;
	int rootfd, rundir, fd, err;

	snprintf(l->path, sizeof(l->path), "%s%s", root[0] ? root : "",
		 KD_RUN_LOCK_PATH);
	rootfd = open(root[0] ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	if (mkdirat(rootfd, "run", 0755) < 0 && errno != EEXIST) {
		err = -errno;
		close(rootfd);
		return err;
	}
	rundir = openat(rootfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);
	err = rundir < 0 ? -errno : 0;
	close(rootfd);
	if (err < 0)
		return err == -ELOOP || err == -ENOTDIR ? -ENOTDIR : err;
	fd = openat(rundir, "kdsafe.lock", O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0600);
	err = fd < 0 ? -errno : 0;
	close(rundir);
	if (err < 0)
		return err;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static long read_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static void write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) < 0)
		return; /* the pid is only for the message */
}

int kd_run_lock_acquire(struct kd_ctx *ctx, struct kd_run_lock *l,
			uint64_t wait_ns, long *holder)
{
	uint64_t waited = 0;
	int fd = open_beneath(ctx, l);

	l->fd = -1;
	*holder = 0;
	if (fd < 0) {
		ERR(ctx, "cannot open the run lock %s: %s%s", l->path,
		    strerror(-fd), fd == -ELOOP || fd == -ENOTDIR ||
		    fd == -EINVAL ? " (a symlink or not a regular file: "
		    "refusing it)" : "");
		return fd;
	}
	for (;;) {
		struct timespec ts = { 0, (long)LOCK_RETRY_NS };

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int err = -errno;

			ERR(ctx, "cannot lock %s: %s", l->path, strerror(-err));
			close(fd);
			return err;
		}
		if (kd_run_signal_caught()) {
			close(fd);
			return -EINTR;
		}
		if (waited >= wait_ns) {
			*holder = read_holder(fd);
			if (*holder)
				ERR(ctx, "another kdsafe reset (pid %ld) holds "
					 "%s: refusing to run at the same "
					 "time (--wait-lock waits for it)",
				    *holder, l->path);
			else
				ERR(ctx, "another kdsafe reset holds %s: "
					 "refusing to run at the same time "
					 "(--wait-lock waits for it)",
				    l->path);
			close(fd);
			return -EWOULDBLOCK;
		}
		nanosleep(&ts, NULL);
		waited += LOCK_RETRY_NS;
	}
	write_pid(fd);
	l->fd = fd;
	return 0;
}

void kd_run_lock_release(struct kd_run_lock *l)
{
	if (l->fd < 0)
		return;
	if (ftruncate(l->fd, 0) < 0) {
		/* the pid stays; the next holder overwrites it */
	}
	flock(l->fd, LOCK_UN);
	close(l->fd);
	l->fd = -1;
}
