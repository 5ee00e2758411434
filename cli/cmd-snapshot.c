// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdsafe snapshot OUTDIR [--tar FILE]: the machine's PCI state as a tree
 * that `kdsafe --sysroot OUTDIR probe -v` and `reset --dry-run --all`
 * replay offline with the same answers (kdsafe-snapshot(8)).  Every
 * function's attributes from an allowlist (config space, ids, class,
 * reset_method...), the presence of its reset file, its driver and
 * module links, the device links as the kernel made them (relative, so
 * the bridge topology of sys/devices/pci* is mirrored), the module index
 * of the running kernel, its release, version and command line, and the
 * kernel's PCI log lines.  It only reads below the sysroot and only
 * writes below OUTDIR, which may not be inside the sysroot's sys, proc or
 * dev.  Nothing beyond what `lspci -xxxx` shows: BARs, ROMs and VPD are
 * never read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

/* Attributes copied byte for byte (probe, reset and lspci read these). */
static const char *const dev_attrs[] = {
	"config", "vendor", "device", "subsystem_vendor", "subsystem_device",
	"class", "revision", "irq", "resource", "reset_method", "enable",
	"modalias", "numa_node", "power_state", "d3cold_allowed",
	"current_link_speed", "current_link_width", "max_link_speed",
	"max_link_width", "driver_override", "sriov_totalvfs", "sriov_numvfs",
	"sriov_offset", "sriov_stride", "sriov_vf_device",
};
/* Links kept as the kernel wrote them. */
static const char *const dev_links[] = { "driver", "physfn" };

#define SNAP_FILE_MAX (64u << 20)   /* a module index file */
#define SNAP_LOG_MAX (4u << 20)     /* kernel log read */
#define SNAP_LOG_RECORDS 200000u

struct snap {
	struct kd_cli *cli;
	char src[PATH_MAX];             /* the sysroot, "" for / */
	char out[PATH_MAX];
	const char *tar;
	unsigned functions, problems;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kdsafe [--sysroot DIR] snapshot OUTDIR [--tar FILE]\n\n"
		"Write this machine's PCI state (config space, reset_method, "
		"ids, class,\ndriver and module links, bridge topology, kernel "
		"release, command line,\nPCI log lines) as a tree that kdsafe "
		"--sysroot OUTDIR probe / reset\n--dry-run replay offline.  "
		"Read-only; OUTDIR must be new or empty.\n\n"
		"Options:\n"
		"      --tar FILE  also pack OUTDIR into FILE (tar -czf)\n"
		"  -h, --help      this text\n\n"
		"Exit status: 0 written, 2 usage, 3 some part could not be "
		"read (the rest\nwas written), 4 nothing written.\n"
		"See kdsafe-snapshot(8).\n");
}

/* snprintf for paths: false, and buf "", when it does not fit (a path
 * that long then fails to open, and is reported there) */
__attribute__((format(printf, 3, 4)))
static bool pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(buf, len, fmt, args);
	va_end(args);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return false;
	}
	return true;
}

__attribute__((format(printf, 2, 3)))
static void problem(struct snap *s, const char *fmt, ...)
{
	char msg[PATH_MAX + 200];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	s->problems++;
	kd_cli_error(s->cli, NULL, "%s", msg);
}

/* ---- writing below OUTDIR ------------------------------------------------ */

/*
 * OUT/rel's directory, made one level at a time (mkdir -p) and opened
 * without following a link: a link the snapshot itself wrote (a tree's
 * driver or module link) is never a way out of OUTDIR.  An fd or -errno.
 */
static int out_dir(struct snap *s, const char *rel)
{
	char buf[PATH_MAX], *save = NULL;
	int dfd = open(s->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	if (!pathf(buf, sizeof(buf), "%s", rel)) {
		close(dfd);
		return -ENAMETOOLONG;
	}
	for (char *c = strtok_r(buf, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		int next;

		if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0) {
			close(dfd);
			return -EXDEV; /* resolve() left none: not ours */
		}
		if (mkdirat(dfd, c, 0755) < 0 && errno != EEXIST) {
			next = -errno;
		} else {
			next = openat(dfd, c, O_RDONLY | O_DIRECTORY |
				      O_NOFOLLOW | O_CLOEXEC);
			if (next < 0)
				next = -errno;
		}
		close(dfd);
		if (next < 0)
			return next;
		dfd = next;
	}
	return dfd;
}

/* OUT/rel's directories, mkdir -p */
static int mkdirs(struct snap *s, const char *rel)
{
	int dfd = out_dir(s, rel);

	if (dfd < 0)
		return dfd;
	close(dfd);
	return 0;
}

/* The directory of OUT/rel (made) and rel's last name into *base */
static int out_parent(struct snap *s, const char *rel, char *dir,
		      size_t len, const char **base)
{
	char *slash;

	if (!pathf(dir, len, "%s", rel))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash) {
		*base = rel;
		return out_dir(s, "");
	}
	*slash = '\0';
	*base = rel + (slash - dir) + 1;
	return out_dir(s, dir);
}

/* OUT/rel already written (a file or link), not following links */
static bool out_exists(struct snap *s, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	return pathf(p, sizeof(p), "%s/%s", s->out, rel) &&
	       fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int write_out(struct snap *s, const char *rel, const void *buf,
		     size_t len, mode_t mode)
{
	char dir[PATH_MAX];
	const char *base;
	int dfd = out_parent(s, rel, dir, sizeof(dir), &base), fd, err = 0;

	if (dfd < 0)
		return dfd;
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode);
	if (fd < 0)
		err = -errno;
	close(dfd);
	if (fd < 0)
		return err;
	if (len && write(fd, buf, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

static int link_out(struct snap *s, const char *rel, const char *target)
{
	char dir[PATH_MAX];
	const char *base;
	int dfd = out_parent(s, rel, dir, sizeof(dir), &base), err = 0;

	if (dfd < 0)
		return dfd;
	if (symlinkat(target, dfd, base) < 0 && errno != EEXIST)
		err = -errno;
	close(dfd);
	return err;
}

/* ---- reading below the sysroot ------------------------------------------- */

/* Up to max bytes of SRC/rel (never blocking: sysfs, proc): a malloc'd
 * buffer and *len, or NULL with errno set. */
static char *read_src(struct snap *s, const char *rel, size_t max,
		      size_t *len, mode_t *mode)
{
	char p[PATH_MAX];
	struct stat st;
	char *buf;
	size_t n = 0, cap = 4096;
	ssize_t r;
	int fd;

	if (!pathf(p, sizeof(p), "%s/%s", s->src, rel)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	/* sysfs attributes are never links: one that is could lead to a
	 * BAR's resource file (an I/O BAR reads through read()) */
	fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY |
		  (strncmp(rel, "sys/", 4) == 0 ? O_NOFOLLOW : 0));
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	if (mode)
		*mode = st.st_mode & 0777;
	buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			char *nb = cap < max ? realloc(buf, cap * 2) : NULL;

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, (cap < max ? cap : max) - n);
		if (r <= 0) {
			if (r < 0) {
				int e = errno;

				free(buf);
				buf = NULL;
				errno = e;
			}
			break;
		}
		n += (size_t)r;
		if (n >= max)
			break;
	}
	close(fd);
	*len = n;
	return buf;
}

static int copy_file(struct snap *s, const char *rel, size_t max,
		     bool quiet_missing)
{
	size_t len;
	mode_t mode = 0644;
	char *buf = read_src(s, rel, max, &len, &mode);
	int err;

	if (!buf) {
		if (errno == ENOENT && quiet_missing)
			return 0;
		problem(s, "%s/%s: %s", s->src, rel, strerror(errno));
		return -errno;
	}
	err = write_out(s, rel, buf, len, mode & 0644 ? mode & 0644 : 0600);
	free(buf);
	if (err < 0)
		problem(s, "%s/%s: %s", s->out, rel, strerror(-err));
	return err;
}

/* readlink of SRC/rel into buf: length or -errno */
static ssize_t read_link(struct snap *s, const char *rel, char *buf,
			 size_t len)
{
	char p[PATH_MAX];
	ssize_t n;

	if (!pathf(p, sizeof(p), "%s/%s", s->src, rel))
		return -ENAMETOOLONG;
	n = readlink(p, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* dir + "/" + link, "..": resolved textually; the result must stay below
 * sys/ (out, "sys/..."): 0, or -EXDEV when it would leave it. */
static int resolve(const char *dir, const char *link, char *out, size_t len)
{
	char tmp[PATH_MAX * 2], *parts[256], *save = NULL;
	size_t n = 0, o = 0;

	if (link[0] == '/')
		return -EXDEV;
	pathf(tmp, sizeof(tmp), "%s/%s", dir, link);
	for (char *t = strtok_r(tmp, "/", &save); t; t = strtok_r(NULL, "/",
								   &save)) {
		if (strcmp(t, ".") == 0)
			continue;
		if (strcmp(t, "..") == 0) {
			if (n == 0)
				return -EXDEV;
			n--;
			continue;
		}
		if (n == 256)
			return -ENAMETOOLONG;
		parts[n++] = t;
	}
	if (n < 2 || strcmp(parts[0], "sys") != 0)
		return -EXDEV;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int r = snprintf(out + o, len - o, "%s%s", i ? "/" : "",
				 parts[i]);

		if (r < 0 || (size_t)r >= len - o)
			return -ENAMETOOLONG;
		o += (size_t)r;
	}
	return 0;
}

/* ---- one function -------------------------------------------------------- */

/* The driver link target (sys/bus/pci/drivers/NAME): its module link and
 * the module's initstate (built-in or not). */
static void copy_driver(struct snap *s, const char *drv)
{
	char rel[PATH_MAX], target[PATH_MAX], mod[PATH_MAX];

	if (mkdirs(s, drv) < 0)
		return;
	pathf(rel, sizeof(rel), "%s/module", drv);
	if (read_link(s, rel, target, sizeof(target)) < 0 ||
	    resolve(drv, target, mod, sizeof(mod)) < 0)
		return; /* built in without a module link */
	if (link_out(s, rel, target) < 0 || mkdirs(s, mod) < 0)
		problem(s, "%s/%s: cannot write", s->out, rel);
	pathf(rel, sizeof(rel), "%s/initstate", mod);
	if (!out_exists(s, rel)) /* once, for every function it drives */
		copy_file(s, rel, 64, true);
}

static void copy_function(struct snap *s, const char *name)
{
	char rel[PATH_MAX], target[PATH_MAX], dev[PATH_MAX], to[PATH_MAX];
	char back[PATH_MAX];

	pathf(rel, sizeof(rel), "sys/bus/pci/devices/%s", name);
	if (read_link(s, rel, target, sizeof(target)) < 0 ||
	    resolve("sys/bus/pci/devices", target, dev, sizeof(dev)) < 0) {
		problem(s, "%s/%s: not a link into sys/devices: skipped",
			s->src, rel);
		return;
	}
	if (mkdirs(s, dev) < 0 || link_out(s, rel, target) < 0) {
		problem(s, "%s/%s: cannot write", s->out, dev);
		return;
	}
	s->functions++;
	for (size_t i = 0; i < sizeof(dev_attrs) / sizeof(dev_attrs[0]); i++) {
		pathf(rel, sizeof(rel), "%s/%s", dev, dev_attrs[i]);
		copy_file(s, rel, strcmp(dev_attrs[i], "config") ? 65536 :
				  KD_CFG_SPACE_EXP_SIZE, true);
	}
	/* reset is write-only: only whether the kernel offers it counts */
	pathf(rel, sizeof(rel), "%s/%s/reset", s->src, dev);
	if (access(rel, F_OK) == 0) {
		pathf(rel, sizeof(rel), "%s/reset", dev);
		if (write_out(s, rel, "", 0, 0200) < 0)
			problem(s, "%s/%s: cannot write", s->out, rel);
	}
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++) {
		pathf(rel, sizeof(rel), "%s/%s", dev, dev_links[i]);
		if (read_link(s, rel, target, sizeof(target)) < 0 ||
		    resolve(dev, target, to, sizeof(to)) < 0)
			continue;
		if (link_out(s, rel, target) < 0)
			problem(s, "%s/%s: cannot write", s->out, rel);
		if (strcmp(dev_links[i], "driver") == 0) {
			copy_driver(s, to);
			/* the driver's own link back, as the kernel has it */
			pathf(rel, sizeof(rel), "%s/%s", to, name);
			if (read_link(s, rel, target, sizeof(target)) >= 0 &&
			    resolve(to, target, back, sizeof(back)) == 0)
				link_out(s, rel, target);
		}
	}
}

static int for_each_entry(struct snap *s, const char *rel,
			  void (*fn)(struct snap *, const char *, void *),
			  void *data)
{
	char p[PATH_MAX], **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	pathf(p, sizeof(p), "%s/%s", s->src, rel);
	d = opendir(p);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) *
					    sizeof(*names));

			if (!nn)
				break;
			names = nn;
		}
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		fn(s, names[i], data);
		free(names[i]);
	}
	free(names);
	return 0;
}

static void function_cb(struct snap *s, const char *name, void *data)
{
	(void)data;
	copy_function(s, name);
}

static void slot_cb(struct snap *s, const char *name, void *data)
{
	char rel[PATH_MAX];

	(void)data;
	pathf(rel, sizeof(rel), "sys/bus/pci/slots/%s/address", name);
	copy_file(s, rel, 256, true);
}

/* files of a directory (module indexes, modprobe.d), not recursing */
static void file_cb(struct snap *s, const char *name, void *data)
{
	const char *dir = data;
	char rel[PATH_MAX], p[PATH_MAX];
	struct stat st;

	pathf(rel, sizeof(rel), "%s/%s", dir, name);
	pathf(p, sizeof(p), "%s/%s", s->src, rel);
	if (stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
	    (strncmp(name, "modules.", 8) == 0 ||
	     (strlen(name) > 5 && strcmp(name + strlen(name) - 5, ".conf") == 0)))
		copy_file(s, rel, SNAP_FILE_MAX, true);
}

/* ---- the kernel ---------------------------------------------------------- */

static bool pci_line(const char *l, size_t n)
{
	static const char *const words[] = { "pci", "aer", "dmar", "iommu",
					     "kdsafe" };

	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		for (size_t i = 0; i + strlen(words[w]) <= n; i++)
			if (strncasecmp(l + i, words[w], strlen(words[w])) == 0)
				return true;
	return false;
}

/* The kernel's PCI lines: SRC/dev/kmsg read without blocking (one record
 * per read; EAGAIN at the end), else SRC/var/log/kern.log, bounded. */
static void copy_kernel_log(struct snap *s)
{
	char p[PATH_MAX], rec[8192];
	char *out = malloc(SNAP_LOG_MAX);
	size_t o = 0, total = 0;
	const char *from = "dev/kmsg";
	int fd;

	if (!out)
		return;
	pathf(p, sizeof(p), "%s/dev/kmsg", s->src);
	fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		from = "var/log/kern.log";
		pathf(p, sizeof(p), "%s/%s", s->src, from);
		fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	}
	if (fd >= 0) {
		struct stat st;
		bool is_chr = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode);
		size_t carry = 0;

		for (unsigned n = 0; n < SNAP_LOG_RECORDS &&
		     total < SNAP_LOG_MAX; n++) {
			ssize_t r = read(fd, rec + carry, sizeof(rec) - 1 - carry);
			char *l, *nl;

			if (r < 0 && errno == EPIPE)
				continue; /* records overwritten: go on */
			if (r <= 0)
				break;
			total += (size_t)r;
			r += (ssize_t)carry;
			rec[r] = '\0';
			for (l = rec; (nl = memchr(l, '\n', (size_t)(rec + r - l)));
			     l = nl + 1)
				if (pci_line(l, (size_t)(nl - l) + 1) &&
				    o + (size_t)(nl - l) + 1 < SNAP_LOG_MAX) {
					memcpy(out + o, l, (size_t)(nl - l) + 1);
					o += (size_t)(nl - l) + 1;
				}
			/* kmsg: whole records; a file: keep the partial line */
			carry = is_chr ? 0 : (size_t)(rec + r - l);
			if (carry == sizeof(rec) - 1)
				carry = 0;
			memmove(rec, l, carry);
		}
		close(fd);
	} else {
		from = "none";
	}
	if (write_out(s, "kernel/pci-log.txt", out, o, 0644) < 0)
		problem(s, "%s/kernel/pci-log.txt: cannot write", s->out);
	free(out);
	pathf(p, sizeof(p), "kernel log: %s, %zu bytes read\n", from, total);
	write_out(s, "kernel/pci-log.source", p, strlen(p), 0644);
}

static void copy_kernel(struct snap *s)
{
	size_t len = 0;
	char *rel_buf = read_src(s, "proc/sys/kernel/osrelease", 256, &len,
				 NULL);
	char dir[PATH_MAX];

	copy_file(s, "proc/sys/kernel/osrelease", 256, true);
	copy_file(s, "proc/version", 4096, true);
	copy_file(s, "proc/cmdline", 4096, true);
	if (rel_buf) {
		rel_buf[len < 256 ? len : 255] = '\0';
		rel_buf[strcspn(rel_buf, "\n")] = '\0';
		if (rel_buf[0] && !strchr(rel_buf, '/')) {
			pathf(dir, sizeof(dir), "lib/modules/%s", rel_buf);
			for_each_entry(s, dir, file_cb, dir);
		}
		free(rel_buf);
	}
	/* the modprobe.d directories libkmod reads (probe/modules.c) */
	static const char *const conf[] = { "etc/modprobe.d", "run/modprobe.d",
					    "usr/local/lib/modprobe.d",
					    "lib/modprobe.d" };
	for (size_t i = 0; i < 4; i++)
		for_each_entry(s, conf[i], file_cb, (void *)conf[i]);
	copy_kernel_log(s);
}

/* ---- where to write ------------------------------------------------------ */

/* OUTDIR: not inside SRC/sys, proc or dev; new or empty.  0 or exit. */
static int check_outdir(struct snap *s, const char *arg)
{
	static const char *const inner[] = { "sys", "proc", "dev" };
	char real[PATH_MAX], top[PATH_MAX + 8], rsrc[PATH_MAX];
	DIR *d;

	if (mkdir(arg, 0755) < 0 && errno != EEXIST) {
		kd_cli_error(s->cli, NULL, "%s: %s", arg, strerror(errno));
		return KD_EXIT_FATAL;
	}
	if (!realpath(arg, real)) {
		kd_cli_error(s->cli, NULL, "%s: %s", arg, strerror(errno));
		return KD_EXIT_FATAL;
	}
	if (!realpath(s->src[0] ? s->src : "/", rsrc)) {
		kd_cli_error(s->cli, NULL, "%s: %s", s->src, strerror(errno));
		return KD_EXIT_FATAL;
	}
	for (size_t i = 0; i < 3; i++) {
		char rtop[PATH_MAX];
		size_t n;

		pathf(top, sizeof(top), "%s/%s", strcmp(rsrc, "/") ? rsrc :
			 "", inner[i]);
		if (!realpath(top, rtop))
			continue;
		n = strlen(rtop);
		if (strncmp(real, rtop, n) == 0 &&
		    (real[n] == '\0' || real[n] == '/')) {
			kd_cli_error(s->cli, NULL, "%s: inside %s: a snapshot "
				     "never writes there", arg, rtop);
			return KD_EXIT_USAGE;
		}
	}
	d = opendir(real);
	if (d) {
		struct dirent *e;
		bool empty = true;

		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				empty = false;
		closedir(d);
		if (!empty) {
			kd_cli_error(s->cli, NULL, "%s: not empty: a snapshot "
				     "goes into a new or empty directory", arg);
			return KD_EXIT_USAGE;
		}
	}
	snprintf(s->out, sizeof(s->out), "%s", real);
	return KD_EXIT_OK;
}

static int pack(struct snap *s)
{
	char *argv[] = { "tar", "-C", s->out, "-czf", (char *)s->tar, ".",
			 NULL };
	pid_t pid;
	int status, err;

	err = posix_spawnp(&pid, "tar", NULL, NULL, argv, environ);
	if (err) {
		problem(s, "tar: %s: %s not written", strerror(err), s->tar);
		return -err;
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		problem(s, "tar failed: %s not written completely", s->tar);
		return -EIO;
	}
	return 0;
}

int kd_cmd_snapshot(struct kd_cli *cli, int argc, char **argv)
{
	enum { O_TAR = 256 };
	static const struct option opts[] = {
		KD_CLI_GLOBAL_OPTIONS,
		{ "tar", required_argument, NULL, O_TAR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct snap s = { .cli = cli };
	char info[PATH_MAX + 200];
	int c, ret;
	bool packed;

	while ((c = getopt_long(argc, argv, "h" KD_CLI_GLOBAL_SHORT, opts,
				NULL)) != -1) {
		if (c == O_TAR) {
			s.tar = optarg;
		} else if (c == 'h') {
			usage(stdout);
			return KD_EXIT_OK;
		} else if (kd_cli_global_option(cli, c, optarg) != 1) {
			usage(stderr);
			return KD_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || cli->dump_path) {
		fprintf(stderr, "kdsafe snapshot: one OUTDIR%s\n",
			cli->dump_path ? ", and not from --dump" : "");
		return KD_EXIT_USAGE;
	}
	snprintf(s.src, sizeof(s.src), "%s", cli->sysroot &&
		 strcmp(cli->sysroot, "/") ? cli->sysroot : "");
	ret = check_outdir(&s, argv[optind]);
	if (ret != KD_EXIT_OK)
		return ret;
	if (for_each_entry(&s, "sys/bus/pci/devices", function_cb, NULL) < 0) {
		kd_cli_error(cli, NULL, "%s/sys/bus/pci/devices: %s", s.src,
			     strerror(errno));
		return KD_EXIT_FATAL;
	}
	mkdirs(&s, "sys/bus/pci/devices");
	for_each_entry(&s, "sys/bus/pci/slots", slot_cb, NULL);
	copy_kernel(&s);
	snprintf(info, sizeof(info), "kdsafe %s snapshot of %s at %lld: %u "
		 "functions, %u problems\n", KDSAFE_VERSION,
		 s.src[0] ? s.src : "/", (long long)time(NULL), s.functions,
		 s.problems);
	write_out(&s, "kdsafe-snapshot.txt", info, strlen(info), 0644);
	packed = s.tar && pack(&s) == 0;
	printf("%s: %u functions%s%s\n", s.out, s.functions,
	       packed ? ", packed into " : "", packed ? s.tar : "");
	return s.problems ? KD_EXIT_PARTIAL : KD_EXIT_OK;
}
