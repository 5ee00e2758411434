// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Config space, attributes, links and BARs of SYSROOT/sys/bus/pci.  Not
 * through libpci: its scan is fatal on the first odd directory entry or
 * missing attribute file (a bad entry must only be skipped), its error
 * callback may not return, and its reads open the path again each time.
 * Config space is read as its linux-sysfs method reads it (pread).
 *
 * Every file of the tree is opened through kd_open_tree() (open.h): beneath
 * the sysroot, of the expected type, without blocking.  Config reads pread
 * that checked fd, kept per function (config_fds), as libpci's sysfs
 * method would; config writes pwrite a checked fd of their own.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "open.h"

/*
 * Open `config` files, kept across reads: a reset run reads the same
 * function's config space several times, and each open is an openat2(2),
 * an fstat and a second open.  A few, reused round-robin, so a probe of
 * 4096 functions holds no more fds than a reset of a handful.
 */
#define CONFIG_FDS 32

struct config_fd {
	struct kd_addr a;
	int fd;      /* -1: free */
	int wfd;     /* opened for writing on the first write, else -1 */
	off_t size;  /* what the kernel exposes: 64, 256 or 4096 */
};

struct sysfs_state {
	pthread_mutex_t config_lock; /* config_fds */
	struct config_fd config_fds[CONFIG_FDS];
	unsigned config_next;
	char bus_path[PATH_MAX]; /* SYSROOT/sys/bus/pci */
	char sysroot[PATH_MAX];
	int devices_fd; /* SYSROOT/sys/bus/pci/devices: short path walks */
	bool real;
};

static int sysfs_init(struct kd_ctx *ctx, void *data, void **state)
{
	struct sysfs_state *st = calloc(1, sizeof(*st));
	char path[PATH_MAX + 16];
	int err = 0;
	struct stat sb = { 0 };

	(void)data;
	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->config_lock, NULL);
	for (size_t i = 0; i < CONFIG_FDS; i++)
		st->config_fds[i].fd = st->config_fds[i].wfd = -1;
	snprintf(st->sysroot, sizeof(st->sysroot), "%s", kd_ctx_sysroot(ctx));
	if (kd_ctx_path(ctx, st->bus_path, sizeof(st->bus_path),
			KD_SYSFS_PCI) < 0) {
		free(st);
		return -ENAMETOOLONG;
	}
	if (stat(st->bus_path, &sb) < 0)
		err = -errno;
	else if (!S_ISDIR(sb.st_mode))
		err = -ENOTDIR;
	if (err < 0) {
		ERR(ctx, "%s: %s (is --sysroot right?)", st->bus_path,
		    strerror(-err));
		free(st);
		return err;
	}
	snprintf(path, sizeof(path), "%s/devices", st->bus_path);
	st->devices_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->devices_fd < 0) {
		err = -errno;
		ERR(ctx, "%s: %s", path, strerror(errno));
		free(st);
		return err;
	}
	/* real means "on a sysfs mount", wherever the sysroot's links lead:
	 * a tree whose sys is a link to /sys is the real /sys */
	st->real = kd_fd_on_sysfs(st->devices_fd);
	*state = st;
	return 0;
}

static void sysfs_cleanup(struct kd_ctx *ctx, void *state)
{
	struct sysfs_state *st = state;

	(void)ctx;
	for (size_t i = 0; i < CONFIG_FDS; i++) {
		if (st->config_fds[i].fd >= 0)
			close(st->config_fds[i].fd);
		if (st->config_fds[i].wfd >= 0)
			close(st->config_fds[i].wfd);
	}
	pthread_mutex_destroy(&st->config_lock);
	close(st->devices_fd);
	free(st);
}

/* "/sys/bus/pci/devices/X/name" below the sysroot, for kd_open_tree() */
static int tree_path(const struct kd_addr *a, const char *name, char *buf,
		     size_t len)
{
	char n[KD_ADDR_STRLEN];
	int r = snprintf(buf, len, KD_SYSFS_PCI "/devices/%s/%s",
			 kd_addr_format(a, n), name);

	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

/* Opens a file of the device, bounded (open.h); -ENODEV when the function
 * has none.  Errors other than a missing file are logged with the path. */
static int open_dev_file(struct kd_ctx *ctx, struct sysfs_state *st,
			 const struct kd_addr *a, const char *name, int flags)
{
	char path[PATH_MAX];
	int fd;

	if (tree_path(a, name, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	fd = kd_open_tree(ctx, path, flags, KD_OPEN_REG);
	if (fd < 0 && fd != -ENOENT && fd != -EXDEV && fd != -EINVAL &&
	    fd != -EISDIR && fd != -EPERM)
		ERR(ctx, "%s%s: %s", st->sysroot, path, strerror(-fd));
	return fd;
}

/* "DDDD:BB:DD.F/name" relative to devices_fd */
static int rel_path(const struct kd_addr *a, const char *name, char *buf,
		    size_t len)
{
	char n[KD_ADDR_STRLEN];
	int r = snprintf(buf, len, "%s%s%s", kd_addr_format(a, n),
			 name ? "/" : "", name ? name : "");

	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

static int sysfs_enumerate(struct kd_ctx *ctx, void *state, kd_enum_fn fn,
			   void *data, int *bad)
{
	struct sysfs_state *st = state;
	char path[PATH_MAX + 16];
	struct dirent *e;
	int err = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/devices", st->bus_path);
	dir = opendir(path);
	if (!dir) {
		err = -errno;
		ERR(ctx, "%s: %s", path, strerror(errno));
		return err;
	}
	while (err == 0 && (e = readdir(dir))) {
		struct kd_addr a;
		char canon[KD_ADDR_STRLEN];

		if (e->d_name[0] == '.')
			continue;
		if (kd_addr_parse(e->d_name, &a) < 0 ||
		    strcmp(kd_addr_format(&a, canon), e->d_name) != 0) {
			ERR(ctx, "%s/%s: not a PCI function address, skipped",
			    path, e->d_name);
			(*bad)++;
			continue;
		}
		err = fn(&a, data);
	}
	closedir(dir);
	return err;
}

/* The function's open `config` (under config_lock), opened bounded
 * (open.h) and sized on first use: a slot, or -errno. */
static int config_slot(struct kd_ctx *ctx, struct sysfs_state *st,
		       const struct kd_addr *a, struct config_fd **out)
{
	struct config_fd *c;
	struct stat sb;
	int fd;

	for (size_t i = 0; i < CONFIG_FDS; i++) {
		c = &st->config_fds[i];
		if (c->fd >= 0 && kd_addr_eq(&c->a, a)) {
			*out = c;
			return 0;
		}
	}
	fd = open_dev_file(ctx, st, a, "config", O_RDONLY);
	if (fd < 0)
		return fd == -ENOENT ? -ENODEV : fd;
	if (fstat(fd, &sb) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	c = &st->config_fds[st->config_next++ % CONFIG_FDS];
	if (c->fd >= 0)
		close(c->fd);
	if (c->wfd >= 0)
		close(c->wfd);
	c->a = *a;
	c->fd = fd;
	c->wfd = -1;
	c->size = sb.st_size;
	*out = c;
	return 0;
}

static void config_slot_drop(struct config_fd *c)
{
	close(c->fd);
	if (c->wfd >= 0)
		close(c->wfd);
	c->fd = c->wfd = -1;
}

/* pread as libpci's sysfs method does (pci_read_block): a short or failed
 * read is -EIO, a function that went away -ENODEV. */
static ssize_t config_pread(struct kd_ctx *ctx, struct sysfs_state *st,
			    const struct kd_addr *a, unsigned pos, void *buf,
			    size_t len, bool *stale)
{
	struct config_fd *c = NULL;
	ssize_t n;
	int err = config_slot(ctx, st, a, &c);

	*stale = false;
	if (err < 0)
		return err;
	if ((off_t)pos >= c->size)
		return 0;
	if (len > (size_t)(c->size - pos))
		len = (size_t)(c->size - pos);
	n = pread(c->fd, buf, len, (off_t)pos);
	if (n == (ssize_t)len)
		return n;
	/* removed (kernfs answers ENODEV) or replaced: open it again */
	err = n < 0 && errno == ENODEV ? -ENODEV : -EIO;
	config_slot_drop(c);
	*stale = true;
	return err;
}

static ssize_t sysfs_config_read(struct kd_ctx *ctx, void *state,
				 const struct kd_addr *a, unsigned pos,
				 void *buf, size_t len)
{
	struct sysfs_state *st = state;
	bool stale;
	ssize_t n;

	pthread_mutex_lock(&st->config_lock);
	n = config_pread(ctx, st, a, pos, buf, len, &stale);
	if (stale) /* once more through a fresh open: it may be back */
		n = config_pread(ctx, st, a, pos, buf, len, &stale);
	pthread_mutex_unlock(&st->config_lock);
	return n;
}

static ssize_t sysfs_config_size(struct kd_ctx *ctx, void *state,
				 const struct kd_addr *a)
{
	struct sysfs_state *st = state;
	struct config_fd *c = NULL;
	ssize_t n;

	pthread_mutex_lock(&st->config_lock);
	n = config_slot(ctx, st, a, &c);
	if (n == 0)
		n = (ssize_t)c->size;
	pthread_mutex_unlock(&st->config_lock);
	return n;
}

/*
 * pwrite through the slot's write fd, opened on the first write with
 * every check of open_dev_file() (beneath the sysroot, a regular file,
 * not the real /sys unless allowed) and kept with the read fd: a reset
 * writes the same function's config space again and again, and each
 * open was two path walks and six more system calls.  A write that
 * fails drops the slot (the function may have gone: ENODEV).
 */
static int config_pwrite(struct kd_ctx *ctx, struct sysfs_state *st,
			 const struct kd_addr *a, unsigned pos,
			 const void *buf, size_t len)
{
	struct config_fd *c = NULL;
	bool cached;
	ssize_t n;
	int err;

again:
	err = config_slot(ctx, st, a, &c);
	if (err < 0)
		return err;
	cached = c->wfd >= 0;
	if (c->wfd < 0) {
		c->wfd = open_dev_file(ctx, st, a, "config", O_WRONLY);
		if (c->wfd < 0) {
			err = c->wfd == -ENOENT ? -ENODEV : c->wfd;
			c->wfd = -1;
			return err;
		}
	}
	/* sysfs config takes pwrite (pci_write_config) */
	n = pwrite(c->wfd, buf, len, (off_t)pos);
	if (n == (ssize_t)len)
		return 0;
	err = n < 0 ? -errno : -EIO;
	config_slot_drop(c);
	if (cached) /* removed, or replaced since: open it again, once */
		goto again;
	return err;
}

static int sysfs_config_write(struct kd_ctx *ctx, void *state,
			      const struct kd_addr *a, unsigned pos,
			      const void *buf, size_t len)
{
	struct sysfs_state *st = state;
	int err;

	pthread_mutex_lock(&st->config_lock);
	err = config_pwrite(ctx, st, a, pos, buf, len);
	pthread_mutex_unlock(&st->config_lock);
	return err;
}

static ssize_t sysfs_attr_read(struct kd_ctx *ctx, void *state,
			       const struct kd_addr *a, const char *name,
			       char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (len == 0)
		return -EINVAL;
	fd = open_dev_file(ctx, state, a, name, O_RDONLY);
	if (fd < 0)
		return fd;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return n;
}

/* O_PATH: neither permission to read nor a blocking open is needed */
static int sysfs_attr_exists(struct kd_ctx *ctx, void *state,
			     const struct kd_addr *a, const char *name)
{
	char path[PATH_MAX];

	(void)state;
	if (tree_path(a, name, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	return kd_tree_exists(ctx, path, KD_OPEN_REG);
}

static int sysfs_attr_write(struct kd_ctx *ctx, void *state,
			    const struct kd_addr *a, const char *name,
			    const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, err = 0;

	/* no O_CREAT: a missing attribute is an error, never a new file */
	fd = open_dev_file(ctx, state, a, name, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return fd;
	n = write(fd, value, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) < 0 && err == 0)
		err = -errno;
	return err;
}

/* The target of a link in a device directory (name NULL: devices/X). */
static int read_target(struct sysfs_state *st, const struct kd_addr *a,
		       const char *name, char target[PATH_MAX])
{
	char path[PATH_MAX];
	ssize_t n;

	if (rel_path(a, name, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	n = readlinkat(st->devices_fd, path, target, PATH_MAX - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	return 0;
}

static ssize_t sysfs_link_read(struct kd_ctx *ctx, void *state,
			       const struct kd_addr *a, const char *name,
			       char *buf, size_t len)
{
	char target[PATH_MAX];
	const char *base;
	size_t n;
	int err;

	(void)ctx;
	err = read_target(state, a, name, target);
	if (err < 0)
		return err;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	n = strlen(base);
	if (n >= len)
		return -EOVERFLOW;
	memcpy(buf, base, n + 1);
	return (ssize_t)n;
}

/* devices/X links to .../pci0000:00/0000:00:1c.0/X: the component before
 * the last names the parent.  One readlink, not a realpath walk. */
static int sysfs_parent(struct kd_ctx *ctx, void *state,
			const struct kd_addr *a, struct kd_addr *parent)
{
	char target[PATH_MAX], *slash;
	int err;

	(void)ctx;
	err = read_target(state, a, NULL, target);
	if (err < 0)
		return err;
	slash = strrchr(target, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	slash = strrchr(target, '/');
	if (kd_addr_parse(slash ? slash + 1 : target, parent) < 0)
		return -ENOENT; /* pci0000:00: a root bus */
	return 0;
}

static int sysfs_driver(struct kd_ctx *ctx, void *state,
			const struct kd_addr *a, char *name, size_t len,
			bool *builtin)
{
	struct sysfs_state *st = state;
	char module[NAME_MAX + 1], path[PATH_MAX];
	ssize_t n;

	n = sysfs_link_read(ctx, state, a, "driver", name, len);
	if (n < 0)
		return (int)n;
	/* a loadable module has /sys/module/NAME/initstate; built-in not */
	*builtin = true;
	if (sysfs_link_read(ctx, state, a, "driver/module", module,
			    sizeof(module)) >= 0 &&
	    snprintf(path, sizeof(path), "%s/sys/module/%s/initstate",
		     st->sysroot, module) < (int)sizeof(path) &&
	    access(path, F_OK) == 0)
		*builtin = false;
	return 0;
}

static int bar_map(struct kd_ctx *ctx, struct sysfs_state *st,
		   const struct kd_addr *a, int bar,
		   uint64_t off, unsigned width, bool write, void **map,
		   size_t *maplen, volatile void **reg)
{
	char name[16];
	long page = sysconf(_SC_PAGESIZE);
	uint64_t base = off & ~(uint64_t)(page - 1);
	struct stat sb;
	int fd;

	if (bar < 0 || bar > 5 || (width != 1 && width != 2 && width != 4 &&
				   width != 8) || off % width)
		return -EINVAL;
	snprintf(name, sizeof(name), "resource%d", bar);
	fd = open_dev_file(ctx, st, a, name, write ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return fd;
	if (fstat(fd, &sb) < 0 || off + width > (uint64_t)sb.st_size) {
		close(fd);
		return -ERANGE;
	}
	*maplen = (size_t)(off - base) + width;
	*map = mmap(NULL, *maplen, write ? PROT_READ | PROT_WRITE : PROT_READ,
		    MAP_SHARED, fd, (off_t)base);
	close(fd);
	if (*map == MAP_FAILED)
		return -errno;
	*reg = (volatile uint8_t *)*map + (off - base);
	return 0;
}

static int sysfs_bar_read(struct kd_ctx *ctx, void *state,
			  const struct kd_addr *a, int bar, uint64_t off,
			  unsigned width, uint64_t *val)
{
	volatile void *reg;
	size_t maplen;
	void *map;
	int err;

	err = bar_map(ctx, state, a, bar, off, width, false, &map, &maplen,
		      &reg);
	if (err < 0)
		return err;
	switch (width) {
	case 1: *val = *(volatile uint8_t *)reg; break;
	case 2: *val = *(volatile uint16_t *)reg; break;
	case 4: *val = *(volatile uint32_t *)reg; break;
	default: *val = *(volatile uint64_t *)reg; break;
	}
	munmap(map, maplen);
	return 0;
}

static int sysfs_bar_write(struct kd_ctx *ctx, void *state,
			   const struct kd_addr *a, int bar, uint64_t off,
			   unsigned width, uint64_t val)
{
	volatile void *reg;
	size_t maplen;
	void *map;
	int err;

	err = bar_map(ctx, state, a, bar, off, width, true, &map, &maplen,
		      &reg);
	if (err < 0)
		return err;
	switch (width) {
	case 1: *(volatile uint8_t *)reg = (uint8_t)val; break;
	case 2: *(volatile uint16_t *)reg = (uint16_t)val; break;
	case 4: *(volatile uint32_t *)reg = (uint32_t)val; break;
	default: *(volatile uint64_t *)reg = val; break;
	}
	munmap(map, maplen);
	return 0;
}

static bool sysfs_is_real(struct kd_ctx *ctx, void *state)
{
	(void)ctx;
	return ((struct sysfs_state *)state)->real;
}

const struct kd_backend kd_backend_sysfs = {
	.name = "linux-sysfs",
	.init = sysfs_init,
	.cleanup = sysfs_cleanup,
	.enumerate = sysfs_enumerate,
	.config_read = sysfs_config_read,
	.config_size = sysfs_config_size,
	.config_write = sysfs_config_write,
	.attr_read = sysfs_attr_read,
	.attr_exists = sysfs_attr_exists,
	.attr_write = sysfs_attr_write,
	.link_read = sysfs_link_read,
	.parent = sysfs_parent,
	.driver = sysfs_driver,
	.bar_read = sysfs_bar_read,
	.bar_write = sysfs_bar_write,
	.is_real_system = sysfs_is_real,
};
