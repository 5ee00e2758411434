/*
 * LD_PRELOAD shim for tests/hook/run.sh: a kdump capture kernel before its
 * crng is initialised, where getrandom() without GRND_NONBLOCK, glibc's
 * arc4random() (getrandom with flags 0 inside) and a read of /dev/urandom
 * (urandom_read_iter() runs try_to_generate_entropy() until the crng is
 * ready) all wait for it.  Here they abort instead, so any use shows;
 * GRND_NONBLOCK answers EAGAIN, as the kernel does before the crng is ready.
 * A seccomp filter catches the getrandom system call itself, however it is
 * made (glibc's getentropy() and arc4random() call it internally, not
 * through getrandom(); syscall(SYS_getrandom)); the opens of the random
 * devices are caught at every exported entry (open, openat, fopen and their
 * 64 variants), not glibc's internal ones, which kdsafe cannot reach.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* getrandom(2) with GRND_NONBLOCK: EAGAIN; GRND_INSECURE never waits:
 * allowed; any other flags would wait: the process is killed (SIGSYS) */
__attribute__((constructor)) static void no_entropy_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* flags: the low 32 bits of args[2] (x86-64, arm64: LE) */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, GRND_NONBLOCK, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAGAIN),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x4 /* GRND_INSECURE */, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
		abort(); /* a shim that cannot watch must not pass */
}

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	(void)buf;
	(void)len;
	if (!(flags & GRND_NONBLOCK))
		abort();
	errno = EAGAIN;
	return -1;
}

uint32_t arc4random(void)
{
	abort();
}

void arc4random_buf(void *buf, size_t len)
{
	(void)buf;
	(void)len;
	abort();
}

uint32_t arc4random_uniform(uint32_t upper)
{
	(void)upper;
	abort();
}

static int entropy_path(const char *path)
{
	return path && (strcmp(path, "/dev/urandom") == 0 ||
			strcmp(path, "/dev/random") == 0);
}

static int open_next(const char *name, const char *path, int flags,
		     va_list ap)
{
	int (*next)(const char *, int, ...) =
		(int (*)(const char *, int, ...))dlsym(RTLD_NEXT, name);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;

	if (entropy_path(path))
		abort();
	return next(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = open_next("open", path, flags, ap);
	va_end(ap);
	return fd;
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = open_next("open64", path, flags, ap);
	va_end(ap);
	return fd;
}

static int openat_next(const char *name, int dir, const char *path, int flags,
		       va_list ap)
{
	int (*next)(int, const char *, int, ...) =
		(int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, name);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;

	if (entropy_path(path))
		abort();
	return next(dir, path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = openat_next("openat", dir, path, flags, ap);
	va_end(ap);
	return fd;
}

int openat64(int dir, const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = openat_next("openat64", dir, path, flags, ap);
	va_end(ap);
	return fd;
}

static FILE *fopen_next(const char *name, const char *path, const char *mode)
{
	FILE *(*next)(const char *, const char *) =
		(FILE * (*)(const char *, const char *))dlsym(RTLD_NEXT, name);

	if (entropy_path(path))
		abort();
	return next(path, mode);
}

FILE *fopen(const char *path, const char *mode)
{
	return fopen_next("fopen", path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	return fopen_next("fopen64", path, mode);
}
