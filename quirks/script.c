// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Running a quirk's external program: the script is checked (root-owned,
 * not group/world-writable), runs with fork/execve in its own process
 * group with a clean environment, and is killed on timeout.  It is called
 * only by the reset executor (reset/quirk-steps.c), which records it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "internal.h"
#include "procs.h"

/* ---- scripts ----------------------------------------------------------- */

static uint64_t real_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void real_sleep_ms(unsigned ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

struct envbuf {
	char *v[16];
	size_t n;
};

static int env_add(struct envbuf *e, const char *key, const char *val)
{
	if (e->n + 1 >= sizeof(e->v) / sizeof(e->v[0]))
		return -E2BIG;
	if (asprintf(&e->v[e->n], "%s=%s", key, val) < 0) {
		e->v[e->n] = NULL;
		return -ENOMEM;
	}
	e->n++;
	e->v[e->n] = NULL;
	return 0;
}

static void env_free(struct envbuf *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
}

static int build_env(struct kd_dev *dev, enum kd_quirk_phase phase,
		     const struct kd_quirk_id *idp, struct envbuf *e)
{
	struct kd_ctx *ctx = kd_dev_ctx(dev);
	const struct kd_quirk_id id = *idp;
	char sysfs[PATH_MAX], num[16];
	int err = 0;

	if (kd_dev_sysfs_path(dev, sysfs, sizeof(sysfs)) < 0)
		sysfs[0] = '\0';
	err |= env_add(e, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
	err |= env_add(e, "KDSAFE_DEVICE", kd_dev_name(dev));
	err |= env_add(e, "KDSAFE_SYSFS", sysfs);
	err |= env_add(e, "KDSAFE_PHASE", kd_quirk_phase_name(phase));
	err |= env_add(e, "KDSAFE_SYSROOT", kd_ctx_sysroot(ctx)[0] ?
					     kd_ctx_sysroot(ctx) : "/");
	snprintf(num, sizeof(num), "%04x", id.vendor);
	err |= env_add(e, "KDSAFE_VENDOR", num);
	snprintf(num, sizeof(num), "%04x", id.device);
	err |= env_add(e, "KDSAFE_DEVICE_ID", num);
	snprintf(num, sizeof(num), "%06x", id.class_code);
	err |= env_add(e, "KDSAFE_CLASS", num);
	snprintf(num, sizeof(num), "%02x", id.revision);
	err |= env_add(e, "KDSAFE_REVISION", num);
	snprintf(num, sizeof(num), "%04x", id.subsys_vendor);
	err |= env_add(e, "KDSAFE_SUBSYS_VENDOR", num);
	snprintf(num, sizeof(num), "%04x", id.subsys_device);
	err |= env_add(e, "KDSAFE_SUBSYS_DEVICE", num);
	return err ? -ENOMEM : 0;
}

static int check_script(struct kd_dev *dev, const struct kd_quirk_step *s,
			bool allow_insecure)
{
	struct kd_ctx *ctx = kd_dev_ctx(dev);
	const char *path = s->argv[0];
	struct stat st;

	if (stat(path, &st) < 0) {
		int err = -errno;

		ERR(ctx, "%s: quirk %s:%u: script %s: %s", kd_dev_name(dev),
		    s->file, s->line, path, strerror(-err));
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		ERR(ctx, "%s: quirk %s:%u: script %s is not a regular file",
		    kd_dev_name(dev), s->file, s->line, path);
		return -EACCES;
	}
	if (!allow_insecure &&
	    (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))) {
		ERR(ctx, "%s: quirk %s:%u: refusing script %s: %s (scripts "
			 "must be owned by root and not group/world-"
			 "writable)", kd_dev_name(dev), s->file, s->line, path,
		    st.st_uid != 0 ? "not owned by root" :
				     "group/world-writable");
		return -EACCES;
	}
	return 0;
}

int kd_quirk_run_script(struct kd_dev *dev, const struct kd_quirk_step *s,
			enum kd_quirk_phase phase, const struct kd_quirk_id *id,
			bool allow_insecure)
{
	struct kd_ctx *ctx = kd_dev_ctx(dev);
	struct envbuf env = { .n = 0 };
	int pipefd[2], status = 0, child_errno = 0, err;
	uint64_t deadline;
	pid_t pid, w;
	ssize_t n;

	if (!kd_ctx_writes_enabled(ctx)) {
		ERR(ctx, "%s: quirk %s:%u: refusing to run %s: writes are not "
			 "enabled", kd_dev_name(dev), s->file, s->line,
		    s->argv[0]);
		return -EPERM;
	}
	err = check_script(dev, s, allow_insecure);
	if (err < 0)
		return err;
	err = build_env(dev, phase, id, &env);
	if (err < 0) {
		env_free(&env);
		return err;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		err = -errno;
		env_free(&env);
		return err;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		env_free(&env);
		return err;
	}
	if (pid == 0) {
		/* child: async-signal-safe calls only */
		int e, fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		setpgid(0, 0);
		/* no descriptor of ours reaches the program */
		close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDIN_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execve(s->argv[0], s->argv, env.v);
		e = errno;
		if (write(pipefd[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pipefd[1]);
	env_free(&env);
	setpgid(pid, pid); /* also from here, against the race */
	do
		n = read(pipefd[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);

	/* procs.h: never past the run's time left, killed when it stops */
	deadline = real_now_ns() + kd_quirk_clamp_ns(s->timeout_ns);
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (real_now_ns() >= deadline || kd_quirk_stopping()) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			ERR(ctx, "%s: quirk %s:%u: %s did not finish within "
				 "its timeout; killed", kd_dev_name(dev),
			    s->file, s->line, s->argv[0]);
			return -ETIMEDOUT;
		}
		real_sleep_ms(2);
	}
	if (w < 0) {
		err = -errno;
		ERR(ctx, "%s: quirk %s:%u: waiting for %s: %s",
		    kd_dev_name(dev), s->file, s->line, s->argv[0],
		    strerror(-err));
		return err;
	}
	if (n == (ssize_t)sizeof(child_errno)) {
		ERR(ctx, "%s: quirk %s:%u: cannot execute %s: %s",
		    kd_dev_name(dev), s->file, s->line, s->argv[0],
		    strerror(child_errno));
		return child_errno > 0 ? -child_errno : -EIO;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		INFO(ctx, "%s: quirk %s:%u: %s succeeded", kd_dev_name(dev),
		     s->file, s->line, s->argv[0]);
		return 0;
	}
	if (WIFEXITED(status))
		ERR(ctx, "%s: quirk %s:%u: %s exited with status %d",
		    kd_dev_name(dev), s->file, s->line, s->argv[0],
		    WEXITSTATUS(status));
	else
		ERR(ctx, "%s: quirk %s:%u: %s killed by signal %d",
		    kd_dev_name(dev), s->file, s->line, s->argv[0],
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -EIO;
}
