// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The default health check of a device whose driver was just loaded
 * (docs/campaign.md): the driver bound and no new error for every class;
 * network: link up and, where configured, a ping; mass storage: the first
 * sector of its block device reads.  Polled on the ctx clock, bounded.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "campaign/campaign.h"

#define POLL_NS 100000000ull /* 100 ms between looks */
#define ERROR_REASONS (KD_REASON_STATUS_ERRORS | KD_REASON_DEVSTA_ERRORS | \
		       KD_REASON_AER_UNCOR)

/* Whether the access layer refused a file of the tree for what it is (a
 * FIFO, a device, a directory, a link out of the sysroot): that does not
 * go away by waiting, unlike a file not there yet or a disk not ready. */
static bool refused(ssize_t err)
{
	return err == -EXDEV || err == -EINVAL || err == -EISDIR;
}

/* why for such a refusal of path: -EIO, the check fails now. */
static int fail_refused(const char *path, ssize_t err, char *why, size_t len)
{
	snprintf(why, len, "%s: refused (%s): health unknown", path,
		 err == -EXDEV ? "it leads outside the sysroot" :
		 "not a regular file");
	return -EIO;
}

/* A sysfs attribute of the interface (SYSROOT-prefixed path) through the
 * access layer: beneath the sysroot, a regular file only, never blocking,
 * at most len-1 bytes.  0, -EAGAIN (not there, unreadable: look again),
 * or -EIO with why when it is refused. */
static int read_attr(struct kd_ctx *ctx, const char *path, char *buf,
		     size_t len, char *why, size_t wlen)
{
	const char *root = kd_ctx_sysroot(ctx);
	size_t n = strlen(root);
	ssize_t got;

	if (strncmp(path, root, n) != 0 || path[n] != '/')
		got = -EXDEV;
	else
		got = kd_ctx_read_small(ctx, path + n, buf, len);
	if (refused(got))
		return fail_refused(path, got, why, wlen);
	return got < 0 ? -EAGAIN : 0;
}

/* The first entry of DIR/sub (net/eth0, block/sda): 0 or -ENOENT */
static int first_entry(const char *dir, const char *sub, char *name,
		       size_t len)
{
	char path[4200];
	struct dirent *e;
	DIR *d;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(name, len, "%s", e->d_name);
		err = 0;
		break;
	}
	closedir(d);
	return err;
}

/* DEVDIR/sub/NAME, or one level down (a virtio device's virtioN/net,
 * virtioN/block): links (driver, subsystem, ...) are not followed. */
static int entry_below(const char *devdir, const char *sub, char *name,
		       size_t len, char *where, size_t wlen)
{
	char child[4200];
	struct dirent *e;
	DIR *d;
	int err;

	if (first_entry(devdir, sub, name, len) == 0) {
		snprintf(where, wlen, "%s/%s/%s", devdir, sub, name);
		return 0;
	}
	d = opendir(devdir);
	if (!d)
		return -ENOENT;
	err = -ENOENT;
	while (err < 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		snprintf(child, sizeof(child), "%s/%s", devdir, e->d_name);
		err = first_entry(child, sub, name, len);
		if (err == 0)
			snprintf(where, wlen, "%s/%s/%s", child, sub, name);
	}
	closedir(d);
	return err;
}

/* nvmeXnY, or the path device nvmeXcZnY of a multipath namespace, whose
 * block device is the head nvmeXnY (drivers/nvme/host/multipath.c) */
static bool nvme_disk(const char *entry, char *disk, size_t len)
{
	unsigned s, c, n;
	int used = 0;

	if (sscanf(entry, "nvme%uc%un%u%n", &s, &c, &n, &used) == 3 &&
	    entry[used] == '\0')
		return snprintf(disk, len, "nvme%un%u", s, n) > 0;
	if (sscanf(entry, "nvme%un%u%n", &s, &n, &used) == 2 &&
	    entry[used] == '\0')
		return snprintf(disk, len, "nvme%un%u", s, n) > 0;
	return false;
}

int kd_health_net_name(const char *devdir, char *ifname, size_t len,
		       char *ifdir, size_t dlen)
{
	return entry_below(devdir, "net", ifname, len, ifdir, dlen);
}

int kd_health_block_name(const char *devdir, char *disk, size_t len)
{
	char ctrl[256], sub[4400];
	struct dirent *e;
	DIR *d;
	bool found = false;

	if (entry_below(devdir, "block", disk, len, sub, sizeof(sub)) == 0)
		return 0;
	if (first_entry(devdir, "nvme", ctrl, sizeof(ctrl)) < 0)
		return -ENOENT;
	snprintf(sub, sizeof(sub), "%s/nvme/%s", devdir, ctrl);
	d = opendir(sub);
	if (!d)
		return -ENOENT;
	while (!found && (e = readdir(d)))
		found = nvme_disk(e->d_name, disk, len);
	closedir(d);
	return found ? 0 : -ENOENT;
}

int kd_health_link_up(struct kd_ctx *ctx, const char *devdir,
		      const struct kd_health_opts *ho,
		      const struct kd_campaign_ops *ops, char *why, size_t len)
{
	static const struct { const char *name, *up; } attrs[] = {
		{ "operstate", "up" }, { "carrier", "1" },
	};
	char ifname[256], ifdir[4400], path[4600], v[64];
	int err;

	if (kd_health_net_name(devdir, ifname, sizeof(ifname), ifdir,
			       sizeof(ifdir)) < 0) {
		snprintf(why, len, "no network interface");
		return -EAGAIN;
	}
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", ifdir, attrs[i].name);
		err = read_attr(ctx, path, v, sizeof(v), why, len);
		if (err == -EIO)
			return err;
		if (err == 0 && strcmp(v, attrs[i].up) == 0)
			goto up;
	}
	snprintf(why, len, "%s: link down", ifname);
	return -EAGAIN;
up:
	if (ho && ho->ping && ops && ops->run) {
		char *argv[] = { "ping", "-c", "1", "-W", "2", "-I", ifname,
				 (char *)ho->ping, NULL };

		if (ops->run(ops->data, ctx, argv) < 0) {
			snprintf(why, len, "%s: no answer from %s", ifname,
				 ho->ping);
			return -EAGAIN;
		}
	}
	return 0;
}

int kd_health_first_sector(struct kd_ctx *ctx, const char *devdir,
			   char *why, size_t len)
{
	char name[256], dev[300], path[4400], sector[512];
	ssize_t n;

	if (kd_health_block_name(devdir, name, sizeof(name)) < 0) {
		snprintf(why, len, "no block device");
		return -EAGAIN;
	}
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	if (kd_ctx_path(ctx, path, sizeof(path), "%s", dev) < 0)
		return -ENAMETOOLONG;
	n = kd_ctx_read_head(ctx, dev, sector, sizeof(sector));
	if (refused(n))
		return fail_refused(path, n, why, len);
	if (n < 0) {
		snprintf(why, len, "%s: %s", path, strerror((int)-n));
		return -EAGAIN;
	}
	if (n != (ssize_t)sizeof(sector)) {
		snprintf(why, len, "%s: the first sector does not read", name);
		return -EAGAIN;
	}
	return 0;
}

static int check_once(struct kd_ctx *ctx, struct kd_dev *dev,
		      const struct kd_probe_info *before,
		      const struct kd_health_opts *ho,
		      const struct kd_campaign_ops *ops, char *why, size_t len)
{
	struct kd_probe_info now;
	char drv[KD_NAME_MAX], devdir[4096];
	unsigned fresh;
	uint8_t base;

	if (kd_dev_link_read(dev, "driver", drv, sizeof(drv)) < 0) {
		snprintf(why, len, "no driver bound");
		return -EAGAIN;
	}
	kd_dev_refresh(dev);
	kd_probe_identify(NULL, dev, &now);
	fresh = now.reasons & ERROR_REASONS & ~(before ? before->reasons : 0);
	base = (uint8_t)(now.class_code >> 16);
	kd_probe_info_clear(&now);
	if (fresh) {
		for (unsigned b = 0; b < KD_REASON_COUNT; b++)
			if (fresh & (1u << b)) {
				snprintf(why, len, "%s: new error: %s", drv,
					 kd_reason_word(1u << b));
				break;
			}
		return -EIO; /* an error does not go away by waiting */
	}
	if (strcmp(kd_ctx_backend_name(ctx), "linux-sysfs") != 0 ||
	    kd_dev_sysfs_path(dev, devdir, sizeof(devdir)) < 0)
		return 0; /* no sysfs: the driver bound is all we can see */
	if (base == 0x02)
		return kd_health_link_up(ctx, devdir, ho, ops, why, len);
	if (base == 0x01)
		return kd_health_first_sector(ctx, devdir, why, len);
	return 0;
}

int kd_campaign_health(struct kd_ctx *ctx, struct kd_dev *dev,
		       const struct kd_probe_info *before,
		       const struct kd_health_opts *ho,
		       const struct kd_campaign_ops *ops, uint64_t timeout_ns,
		       char *why, size_t len)
{
	uint64_t start = kd_now_ns(ctx);
	int err;

	for (;;) {
		err = check_once(ctx, dev, before, ho, ops, why, len);
		if (err != -EAGAIN)
			return err < 0 ? -EIO : 0;
		if (kd_now_ns(ctx) - start >= timeout_ns)
			return -EIO;
		kd_sleep_ns(ctx, POLL_NS);
	}
}
