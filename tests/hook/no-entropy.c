/*
 * LD_PRELOAD shim for tests/hook/run.sh: a kdump capture kernel before its
 * crng is initialised, where getrandom() without GRND_NONBLOCK, glibc's
 * arc4random() (getrandom with flags 0 inside) and a read of /dev/urandom
 * (urandom_read_iter() runs try_to_generate_entropy() until the crng is
 * ready) all wait for it.  Here they abort instead, so any use shows;
 * GRND_NONBLOCK answers EAGAIN, as the kernel does before the crng is ready.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/types.h>

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
