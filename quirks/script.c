// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Running a quirk's external program.  The program (and a `#!` script's
 * interpreter) is opened once, checked on its descriptor together with
 * every directory above it, and that descriptor is executed (fexecve): a
 * file renamed over the path after the check never runs.  It runs in its
 * own process group with a clean environment and no descriptor of ours,
 * and the whole group is killed on timeout.  Called only by the reset
 * executor (reset/quirk-steps.c), which records it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "internal.h"
#include "procs.h"

/* ---- scripts ----------------------------------------------------------- */

struct kd_quirk_script_test_hooks kd_quirk_script_test_hooks;

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

/* ---- opening a program so that what is checked is what runs ----------- */

/*
 * A program is opened once, by walking its path one component at a time
 * from "/" (openat with O_NOFOLLOW), and every directory on the way and the
 * file itself are checked on their open descriptors; the descriptor is
 * what gets executed (fexecve), so renaming another file over the path
 * after the check changes nothing.  Symlinks are followed by hand (at most
 * KD_SCRIPT_MAX_LINKS), their targets walked and checked the same way, as
 * merged-/usr systems have /bin -> usr/bin.
 *
 * Trusted: owned by root (or, with allow_insecure, by our effective uid)
 * and neither group- nor world-writable.  A sticky world-writable
 * directory such as /tmp is refused too: anyone may create a name in it
 * (a hard link to a root-owned program, a directory of their own).
 */
#define KD_SCRIPT_MAX_LINKS 40

struct trust {
	bool allow_insecure;
	uid_t euid;
	char why[PATH_MAX + 96]; /* why it was refused */
};

/* Refuses what another user could have written: false and t->why ("WHAT
 * PATH: reason", or the reason alone for the program itself, what NULL). */
static bool trusted(struct trust *t, const struct stat *st, const char *what,
		    const char *path)
{
	const char *bad = NULL;
	char owner[48];

	if (st->st_uid != 0 && !(t->allow_insecure && st->st_uid == t->euid)) {
		snprintf(owner, sizeof(owner), "owned by uid %u, not root",
			 (unsigned)st->st_uid);
		bad = owner;
	} else if (!S_ISLNK(st->st_mode) && (st->st_mode & S_IWOTH)) {
		bad = "world-writable";
	} else if (!S_ISLNK(st->st_mode) && (st->st_mode & S_IWGRP)) {
		bad = "group-writable";
	}
	if (bad && what)
		snprintf(t->why, sizeof(t->why), "%s %s: %s", what, path, bad);
	else if (bad)
		snprintf(t->why, sizeof(t->why), "%s", bad);
	return !bad;
}

/* "/" opened and checked: a descriptor, or -errno with t->why */
static int open_root(struct trust *t)
{
	struct stat st;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (!trusted(t, &st, "directory", "/"))
		err = -EACCES;
	if (err < 0) {
		close(fd);
		return err;
	}
	return fd;
}

/* cur: the directory's path for messages, name appended ("" for "..") */
static void path_step(char *cur, size_t len, const char *name)
{
	char *slash;

	if (!name[0]) {
		slash = strrchr(cur, '/');
		if (slash && slash != cur)
			*slash = '\0';
		else
			strcpy(cur, "/");
		return;
	}
	if (strcmp(cur, "/") != 0)
		strncat(cur, "/", len - strlen(cur) - 1);
	strncat(cur, name, len - strlen(cur) - 1);
}

/*
 * The symlink name in dfd: its target prepended to *rest (in buf; *rest
 * is empty or starts with '/').  The
 * link must be owned by a trusted user; its directory was checked.
 */
static int follow_link(struct trust *t, int dfd, const char *name,
		       const char *cur, char *buf, size_t len,
		       const char **rest)
{
	char target[PATH_MAX], joined[PATH_MAX * 2];
	struct stat st;
	ssize_t n;
	int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
	} else if (!S_ISLNK(st.st_mode)) {
		err = -ENOTDIR;
	} else if (!trusted(t, &st, "symlink", cur)) {
		err = -EACCES;
	} else {
		n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n < 0)
			err = -errno;
		else if (n == 0 || (size_t)n >= sizeof(target) - 1)
			err = -ENAMETOOLONG;
		else
			target[n] = '\0';
	}
	close(fd);
	if (err < 0)
		return err;
	if ((size_t)snprintf(joined, sizeof(joined), "%s%s", target,
			     *rest) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, joined);
	*rest = buf;
	return 0;
}

/*
 * Opens path (absolute) for execution: a descriptor >= 3 (O_RDONLY,
 * O_CLOEXEC) of a trusted, executable regular file reached through trusted
 * directories only; or -errno with t->why when something was refused.
 */
static int open_program(struct trust *t, const char *path)
{
	char buf[2][PATH_MAX], cur[PATH_MAX], name[NAME_MAX + 1];
	const char *rest = path;
	unsigned links = 0, which = 0;
	struct stat st;
	struct statvfs vfs;
	int dfd, fd = -1, err;

	t->why[0] = '\0';
	if (path[0] != '/')
		return -EINVAL;
	dfd = open_root(t);
	if (dfd < 0)
		return dfd;
	strcpy(cur, "/");
	for (;;) {
		size_t n;
		bool last;

		while (*rest == '/')
			rest++;
		n = strcspn(rest, "/");
		if (n == 0) {
			err = -EISDIR; /* the path ends in a directory */
			break;
		}
		if (n > NAME_MAX) {
			err = -ENAMETOOLONG;
			break;
		}
		memcpy(name, rest, n);
		name[n] = '\0';
		rest += n;
		last = rest[strspn(rest, "/")] == '\0';
		if (!last && strcmp(name, ".") == 0)
			continue;
		if (!last) {
			fd = openat(dfd, name, O_PATH | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC);
		} else {
			if (*rest) {
				err = -EISDIR;
				break;
			}
			fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW |
				    O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		}
		if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
			/* a symlink, perhaps: walk its target instead */
			char at[PATH_MAX];

			snprintf(at, sizeof(at), "%s", cur);
			path_step(at, sizeof(at), name);
			if (++links > KD_SCRIPT_MAX_LINKS) {
				err = -ELOOP;
				break;
			}
			err = follow_link(t, dfd, name, at, buf[which],
					  sizeof(buf[which]), &rest);
			which ^= 1;
			if (err < 0)
				break;
			if (*rest == '/') {
				/* an absolute target: start again at / */
				close(dfd);
				dfd = open_root(t);
				if (dfd < 0)
					return dfd;
				strcpy(cur, "/");
			}
			continue;
		}
		if (fd < 0) {
			err = -errno;
			break;
		}
		path_step(cur, sizeof(cur), strcmp(name, "..") ? name : "");
		if (fstat(fd, &st) < 0) {
			err = -errno;
			break;
		}
		if (!last) {
			if (!trusted(t, &st, "directory", cur)) {
				err = -EACCES;
				break;
			}
			close(dfd);
			dfd = fd;
			fd = -1;
			continue;
		}
		/* the file itself */
		if (!S_ISREG(st.st_mode)) {
			snprintf(t->why, sizeof(t->why), "not a regular file");
			err = -EACCES;
		} else if (!trusted(t, &st, NULL, cur)) {
			err = -EACCES;
		} else if (!(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
			snprintf(t->why, sizeof(t->why), "not executable");
			err = -EACCES;
		} else if (fstatvfs(fd, &vfs) == 0 &&
			   (vfs.f_flag & ST_NOEXEC)) {
			snprintf(t->why, sizeof(t->why), "on a noexec mount");
			err = -EACCES;
		} else {
			/* >= 3: the child's 0..2 are stdin/out/err */
			err = fd >= 3 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
			if (err < 0)
				err = -errno;
		}
		break;
	}
	if (fd >= 0 && fd != err)
		close(fd);
	close(dfd);
	return err;
}

/* ---- `#!`: the interpreter is opened and checked like the script -------- */

#define KD_SHEBANG_MAX 256 /* the kernel's BINPRM_BUF_SIZE */

struct program {
	int fd;           /* what is executed */
	int script_fd;    /* a `#!` script, passed as /dev/fd/N; else -1 */
	char interp[KD_SHEBANG_MAX];
	char interp_arg_buf[KD_SHEBANG_MAX];
	char *interp_arg; /* the `#!` line's optional argument, or NULL */
	char script_path[32];
	char **argv;      /* for fexecve(fd, argv, ...) */
};

static void program_close(struct program *p)
{
	if (p->fd >= 0)
		close(p->fd);
	if (p->script_fd >= 0)
		close(p->script_fd);
	free(p->argv);
	p->fd = p->script_fd = -1;
	p->argv = NULL;
}

/* The `#!` line of fd split into p->interp and p->interp_arg, as the
 * kernel does (load_script()): 1, or 0 when there is none, or -errno. */
static int read_shebang(int fd, struct program *p)
{
	char line[KD_SHEBANG_MAX], *end, *interp, *arg;
	ssize_t n;

	do
		n = pread(fd, line, sizeof(line) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	line[n] = '\0';
	if (n < 2 || line[0] != '#' || line[1] != '!')
		return 0;
	end = memchr(line, '\n', (size_t)n);
	if (!end)
		return -ENAMETOOLONG;
	*end = '\0';
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	interp = line + 2 + strspn(line + 2, " \t");
	arg = interp + strcspn(interp, " \t");
	if (*arg) {
		*arg++ = '\0';
		arg += strspn(arg, " \t");
	}
	if (!interp[0])
		return -ENOEXEC;
	strcpy(p->interp, interp);
	strcpy(p->interp_arg_buf, arg);
	p->interp_arg = arg[0] ? p->interp_arg_buf : NULL;
	return 1;
}

/*
 * Opens and checks s->argv[0] and, for a `#!` script, its interpreter;
 * builds the argv to execute.  0, or -errno after logging why.
 */
static int program_open(struct kd_dev *dev, const struct kd_quirk_step *s,
			bool allow_insecure, struct program *p)
{
	struct kd_ctx *ctx = kd_dev_ctx(dev);
	struct trust t = { .allow_insecure = allow_insecure,
			   .euid = geteuid() };
	char who[KD_SHEBANG_MAX + 16] = "";
	bool in_interp = false;
	struct program nested;
	size_t argc = 0, i = 0;
	int err, fd;

	memset(p, 0, sizeof(*p));
	p->fd = p->script_fd = -1;
	fd = open_program(&t, s->argv[0]);
	if (fd < 0) {
		err = fd;
		goto refused;
	}
	p->fd = fd;
	err = read_shebang(fd, p);
	if (err < 0)
		goto refused;
	if (err == 1) {
		in_interp = true;
		p->script_fd = p->fd;
		p->fd = -1;
		err = open_program(&t, p->interp);
		if (err < 0)
			goto refused;
		p->fd = err;
		/* no second level: the kernel's would run by path */
		err = read_shebang(p->fd, &nested);
		if (err < 0)
			goto refused;
		if (err == 1) {
			snprintf(t.why, sizeof(t.why), "itself a `#!` script");
			err = -ENOEXEC;
			goto refused;
		}
		snprintf(p->script_path, sizeof(p->script_path), "/dev/fd/%d",
			 p->script_fd);
	}
	while (s->argv[argc])
		argc++;
	p->argv = calloc(argc + 4, sizeof(*p->argv));
	if (!p->argv) {
		program_close(p);
		return -ENOMEM;
	}
	if (p->script_fd >= 0) {
		p->argv[i++] = p->interp;
		if (p->interp_arg)
			p->argv[i++] = p->interp_arg;
		p->argv[i++] = p->script_path;
		for (size_t a = 1; a < argc; a++)
			p->argv[i++] = s->argv[a];
	} else {
		for (size_t a = 0; a < argc; a++)
			p->argv[i++] = s->argv[a];
	}
	return 0;

refused:
	program_close(p);
	if (in_interp)
		snprintf(who, sizeof(who), "interpreter %s: ", p->interp);
	if (t.why[0])
		ERR(ctx, "%s: quirk %s:%u: refusing script %s: %s%s (scripts, "
			 "their interpreters and every directory above them "
			 "must be owned by root and not group/world-writable)",
		    kd_dev_name(dev), s->file, s->line, s->argv[0], who, t.why);
	else
		ERR(ctx, "%s: quirk %s:%u: script %s: %s%s", kd_dev_name(dev),
		    s->file, s->line, s->argv[0], who, strerror(-err));
	return err;
}

/* RLIMIT_NOFILE's soft limit (capped), for the close_range() fallback */
static int open_max(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur > 65536)
		return 65536;
	return (int)rl.rlim_cur;
}

/*
 * The child: its own process group (a timeout kills the whole group),
 * stdin from /dev/null, stdout to our stderr, no other descriptor of ours
 * but a `#!` script's own, then the checked descriptor is executed.
 * Async-signal-safe calls only.
 */
static _Noreturn void child_exec(const struct program *p, char **envp,
				 int err_fd, int max_fd)
{
	int e, fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	setpgid(0, 0);
	if (fd >= 0)
		dup2(fd, STDIN_FILENO);
	dup2(STDERR_FILENO, STDOUT_FILENO);
	if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) < 0)
		for (int i = 3; i < max_fd; i++) /* before Linux 5.11 */
			fcntl(i, F_SETFD, FD_CLOEXEC);
	/* the interpreter reads the script as /dev/fd/N */
	if (p->script_fd >= 0)
		fcntl(p->script_fd, F_SETFD, 0);
	fexecve(p->fd, p->argv, envp);
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int kd_quirk_run_script(struct kd_dev *dev, const struct kd_quirk_step *s,
			enum kd_quirk_phase phase, const struct kd_quirk_id *id,
			bool allow_insecure)
{
	struct kd_ctx *ctx = kd_dev_ctx(dev);
	struct envbuf env = { .n = 0 };
	struct program prog;
	int pipefd[2], status = 0, child_errno = 0, err, max_fd;
	uint64_t deadline;
	pid_t pid, w;
	ssize_t n;

	if (!kd_ctx_writes_enabled(ctx)) {
		ERR(ctx, "%s: quirk %s:%u: refusing to run %s: writes are not "
			 "enabled", kd_dev_name(dev), s->file, s->line,
		    s->argv[0]);
		return -EPERM;
	}
	err = program_open(dev, s, allow_insecure, &prog);
	if (err < 0)
		return err;
	if (kd_quirk_script_test_hooks.after_check)
		kd_quirk_script_test_hooks.after_check(
			s->argv[0], kd_quirk_script_test_hooks.data);
	err = build_env(dev, phase, id, &env);
	if (err == 0 && pipe2(pipefd, O_CLOEXEC) < 0)
		err = -errno;
	if (err < 0) {
		env_free(&env);
		program_close(&prog);
		return err;
	}
	max_fd = open_max();
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		env_free(&env);
		program_close(&prog);
		return err;
	}
	if (pid == 0)
		child_exec(&prog, env.v, pipefd[1], max_fd);
	close(pipefd[1]);
	env_free(&env);
	program_close(&prog);
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
