// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Performing quirk steps on a device: config and MMIO writes (read-modify-
 * write under a mask), polls and waits on the context clock, and external
 * programs run with fork/execve, a clean environment and a timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

const char *kd_quirk_phase_name(enum kd_quirk_phase phase)
{
	return phase == KD_QUIRK_POST ? "post" : "pre";
}

const char *kd_quirk_format_ns(uint64_t ns, char *buf, size_t len)
{
	static const struct { const char *unit; uint64_t div; } u[] = {
		{ "s", 1000000000 }, { "ms", 1000000 }, { "us", 1000 },
		{ "ns", 1 },
	};

	if (ns == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	for (size_t i = 0; i < 4; i++)
		if (ns % u[i].div == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", ns / u[i].div,
				 u[i].unit);
			break;
		}
	return buf;
}

static const char width_char[] = { 0, 'B', 'W', 0, 'L', 0, 0, 0, 'Q' };

/* The config offset a register names on dev: 0 or -ENODEV. */
static int resolve(const struct kd_dev *dev, const struct kd_quirk_reg *r,
		   unsigned *pos)
{
	unsigned base = 0;

	if (r->base == KD_REG_CAP)
		base = kd_cap_find(dev, (uint8_t)r->cap_id);
	else if (r->base == KD_REG_ECAP)
		base = kd_ecap_find(dev, r->cap_id);
	if ((r->base == KD_REG_CAP || r->base == KD_REG_ECAP) && !base)
		return -ENODEV;
	*pos = base + (unsigned)r->off;
	return 0;
}

static void reg_text(const struct kd_quirk_reg *r, const struct kd_dev *dev,
		     char *buf, size_t len)
{
	const char *cap = NULL;
	unsigned pos;

	if (r->base == KD_REG_BAR) {
		snprintf(buf, len, "BAR%d+0x%" PRIx64 ".%c", r->bar, r->off,
			 width_char[r->width]);
		return;
	}
	if (r->base == KD_REG_ABS) {
		snprintf(buf, len, "config 0x%03" PRIx64 ".%c", r->off,
			 width_char[r->width]);
		return;
	}
	cap = qcap_name(r->base, r->cap_id);
	if (dev && resolve(dev, r, &pos) == 0)
		snprintf(buf, len, "config 0x%03x.%c (%s%s%s+0x%" PRIx64 ")",
			 pos, width_char[r->width],
			 r->base == KD_REG_ECAP ? "ECAP" : "CAP",
			 cap ? "_" : "", cap ? cap : "", r->off);
	else if (cap)
		snprintf(buf, len, "config %s_%s+0x%" PRIx64 ".%c%s",
			 r->base == KD_REG_ECAP ? "ECAP" : "CAP", cap, r->off,
			 width_char[r->width],
			 dev ? " (capability absent)" : "");
	else
		snprintf(buf, len, "config %s0x%x+0x%" PRIx64 ".%c%s",
			 r->base == KD_REG_ECAP ? "ECAP" : "CAP", r->cap_id,
			 r->off, width_char[r->width],
			 dev ? " (capability absent)" : "");
}

static uint64_t full_mask(unsigned width)
{
	return width == 8 ? UINT64_MAX : (1ull << (8 * width)) - 1;
}

int kd_quirk_step_describe(const struct kd_quirk_step *s,
			   const struct kd_dev *dev, char *buf, size_t len)
{
	char reg[96], d1[32], d2[32], mask[48] = "";
	int n;

	if (s->kind <= KD_STEP_POLL_MMIO) {
		reg_text(&s->reg, dev, reg, sizeof(reg));
		if (s->mask != full_mask(s->reg.width))
			snprintf(mask, sizeof(mask), " mask 0x%" PRIx64,
				 s->mask);
	}
	switch (s->kind) {
	case KD_STEP_CFG:
	case KD_STEP_MMIO:
		return snprintf(buf, len, "write 0x%" PRIx64 "%s to %s",
				s->value, mask, reg);
	case KD_STEP_POLL_CFG:
	case KD_STEP_POLL_MMIO:
		return snprintf(buf, len,
				"poll %s until 0x%" PRIx64 "%s, every %s, "
				"timeout %s", reg, s->value, mask,
				kd_quirk_format_ns(s->interval_ns, d1,
						   sizeof(d1)),
				kd_quirk_format_ns(s->timeout_ns, d2,
						   sizeof(d2)));
	case KD_STEP_WAIT:
		return snprintf(buf, len, "wait %s",
				kd_quirk_format_ns(s->timeout_ns, d1,
						   sizeof(d1)));
	case KD_STEP_RUN:
		n = snprintf(buf, len, "run %s", s->argv[0]);
		for (size_t i = 1; s->argv[i] && n >= 0 && (size_t)n < len;
		     i++)
			n += snprintf(buf + n, len - (size_t)n, " %s",
				      s->argv[i]);
		if (n >= 0 && (size_t)n < len)
			n += snprintf(buf + n, len - (size_t)n,
				      " (timeout %s)",
				      kd_quirk_format_ns(s->timeout_ns, d1,
							 sizeof(d1)));
		return n;
	}
	return snprintf(buf, len, "?");
}

/* ---- access ------------------------------------------------------------ */

static int read_reg(struct kd_dev *dev, const struct kd_quirk_reg *r,
		    unsigned pos, uint64_t *val)
{
	uint32_t v32;
	int err;

	if (r->base == KD_REG_BAR)
		return kd_bar_read(dev, r->bar, r->off, r->width, val);
	err = kd_cfg_read_live(dev, pos, r->width, &v32);
	*val = v32;
	return err;
}

static int do_write(struct kd_dev *dev, const struct kd_quirk_step *s,
		    unsigned pos)
{
	struct kd_ctx *ctx = kd_dev_ctx(dev);
	const struct kd_quirk_reg *r = &s->reg;
	uint64_t val = s->value, old = 0;
	int err;

	if (s->mask != full_mask(r->width)) {
		err = read_reg(dev, r, pos, &old);
		if (err < 0) {
			ERR(ctx, "%s: quirk %s:%u: cannot read before masked "
				 "write: %s", kd_dev_name(dev), s->file,
			    s->line, strerror(-err));
			return err;
		}
		val = (old & ~s->mask) | (s->value & s->mask);
	}
	if (r->base == KD_REG_BAR)
		err = kd_bar_write(dev, r->bar, r->off, r->width, val);
	else
		err = kd_cfg_write(dev, pos, r->width, (uint32_t)val);
	if (err < 0)
		ERR(ctx, "%s: quirk %s:%u: write failed: %s", kd_dev_name(dev),
		    s->file, s->line, strerror(-err));
	return err;
}

static int do_poll(struct kd_dev *dev, const struct kd_quirk_step *s,
		   unsigned pos)
{
	struct kd_ctx *ctx = kd_dev_ctx(dev);
	uint64_t deadline = kd_now_ns(ctx) + s->timeout_ns, val = 0;
	int err;

	for (;;) {
		err = read_reg(dev, &s->reg, pos, &val);
		if (err < 0) {
			ERR(ctx, "%s: quirk %s:%u: poll read failed: %s",
			    kd_dev_name(dev), s->file, s->line,
			    strerror(-err));
			return err;
		}
		if ((val & s->mask) == s->value)
			return 0;
		if (kd_now_ns(ctx) >= deadline)
			break;
		kd_sleep_ns(ctx, s->interval_ns);
	}
	ERR(ctx, "%s: quirk %s:%u: poll timed out (last 0x%" PRIx64
		 ", wanted 0x%" PRIx64 " under mask 0x%" PRIx64 ")",
	    kd_dev_name(dev), s->file, s->line, val, s->value, s->mask);
	return -ETIMEDOUT;
}

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
		     const struct kd_quirk_exec_opts *opts, struct envbuf *e)
{
	struct kd_ctx *ctx = kd_dev_ctx(dev);
	struct kd_quirk_id id;
	char path[PATH_MAX], num[16];
	const char *sysfs = opts ? opts->sysfs_path : NULL;
	int err = 0;

	if (!sysfs) {
		if (kd_dev_sysfs_path(dev, path, sizeof(path)) < 0)
			path[0] = '\0';
		sysfs = path;
	}
	kd_quirk_id_from_dev(dev, &id);
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

static int run_script(struct kd_dev *dev, const struct kd_quirk_step *s,
		      enum kd_quirk_phase phase,
		      const struct kd_quirk_exec_opts *opts)
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
	err = check_script(dev, s, opts && opts->allow_insecure);
	if (err < 0)
		return err;
	err = build_env(dev, phase, opts, &env);
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

/* ---- the executor ------------------------------------------------------ */

int kd_quirk_run_steps(struct kd_dev *dev, const struct kd_quirk_steps *steps,
		       enum kd_quirk_phase phase,
		       const struct kd_quirk_exec_opts *opts)
{
	struct kd_ctx *ctx = kd_dev_ctx(dev);
	bool dry = opts && opts->dry_run;

	for (size_t i = 0; steps && i < steps->n; i++) {
		const struct kd_quirk_step *s = steps->v[i];
		char text[512];
		unsigned pos = 0;
		int err = 0;

		kd_quirk_step_describe(s, dev, text, sizeof(text));
		if (dry) {
			char line[640];

			snprintf(line, sizeof(line), "%s: %s: would %s (%s:%u)",
				 kd_dev_name(dev), kd_quirk_phase_name(phase),
				 text, s->file, s->line);
			if (opts->describe)
				opts->describe(opts->describe_data, line);
			else
				INFO(ctx, "%s", line);
			continue;
		}
		INFO(ctx, "%s: %s: %s (%s:%u)", kd_dev_name(dev),
		     kd_quirk_phase_name(phase), text, s->file, s->line);
		if (s->kind <= KD_STEP_POLL_MMIO &&
		    resolve(dev, &s->reg, &pos) < 0) {
			ERR(ctx, "%s: quirk %s:%u: the device has no such "
				 "capability: %s", kd_dev_name(dev), s->file,
			    s->line, s->text);
			return -ENODEV;
		}
		if (s->kind <= KD_STEP_POLL_MMIO && s->reg.base != KD_REG_BAR &&
		    (pos % s->reg.width ||
		     pos + s->reg.width > KD_CFG_SPACE_EXP_SIZE)) {
			ERR(ctx, "%s: quirk %s:%u: bad config offset 0x%x",
			    kd_dev_name(dev), s->file, s->line, pos);
			return -EINVAL;
		}
		switch (s->kind) {
		case KD_STEP_CFG:
		case KD_STEP_MMIO:
			err = do_write(dev, s, pos);
			break;
		case KD_STEP_POLL_CFG:
		case KD_STEP_POLL_MMIO:
			err = do_poll(dev, s, pos);
			break;
		case KD_STEP_WAIT:
			kd_sleep_ns(ctx, s->timeout_ns);
			break;
		case KD_STEP_RUN:
			err = run_script(dev, s, phase, opts);
			break;
		}
		if (err < 0)
			return err;
	}
	return 0;
}
