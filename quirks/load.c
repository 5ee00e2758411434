// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loading quirks.d directories: systemd-style overriding by file name,
 * lexical order, and the ownership checks that keep a non-root user from
 * steering what a root tool writes to hardware.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

/* Refuses what a non-root user could have written: the reason, or NULL. */
static const char *insecure(const struct stat *st, char *buf, size_t len)
{
	if (st->st_uid != 0) {
		snprintf(buf, len, "owned by uid %u, not root",
			 (unsigned)st->st_uid);
		return buf;
	}
	if (st->st_mode & S_IWOTH)
		return "world-writable";
	if (st->st_mode & S_IWGRP)
		return "group-writable";
	return NULL;
}

int kd_quirks_add_file(struct kd_quirks *db, const char *path)
{
	const char *name = quirks_intern_file(db, path), *why;
	char *text = NULL, why_buf[64];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, err;

	if (!name)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err = -errno;
		quirks_diag(db, KD_QDIAG_ERROR, name, 0, 0, "cannot open: %s",
			    strerror(-err));
		db->n_rejected++;
		return err;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto fail_msg;
	}
	/* a link to /dev/null masks a file of the same name, as systemd */
	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
	    minor(st.st_rdev) == 3) {
		DBG(db->ctx, "%s: masked (/dev/null)", path);
		close(fd);
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		quirks_diag(db, KD_QDIAG_ERROR, name, 0, 0,
			    "not a regular file");
		goto fail;
	}
	why = insecure(&st, why_buf, sizeof(why_buf));
	if (why && !db->allow_insecure) {
		err = -EACCES;
		quirks_diag(db, KD_QDIAG_ERROR, name, 0, 0,
			    "refused: %s (quirk files must be owned by root and "
			    "not group/world-writable; --allow-insecure-quirks "
			    "overrides for tests)", why);
		goto fail;
	}
	if (st.st_size > KD_QUIRK_MAX_FILE) {
		err = -EFBIG;
		quirks_diag(db, KD_QDIAG_ERROR, name, 0, 0,
			    "larger than %u bytes", KD_QUIRK_MAX_FILE);
		goto fail;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		err = -ENOMEM;
		goto fail;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, text + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto fail_msg;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	err = kd_quirks_add_buffer(db, name, text, len);
	free(text);
	return err;

fail_msg:
	quirks_diag(db, KD_QDIAG_ERROR, name, 0, 0, "cannot read: %s",
		    strerror(-err));
fail:
	free(text);
	close(fd);
	db->n_rejected++;
	return err;
}

struct conf_file {
	const char *name; /* base name */
	const char *path;
};

struct conf_list {
	struct qpool pool;
	size_t n, cap;
	struct conf_file *v;
};

static int cmp_conf(const void *a, const void *b)
{
	return strcmp(((const struct conf_file *)a)->name,
		      ((const struct conf_file *)b)->name);
}

/* Adds dir's *.conf to the list, replacing same-named earlier ones. */
static int scan_dir(struct kd_quirks *db, const char *dir,
		    struct conf_list *l)
{
	struct dirent *de;
	struct stat st;
	char why_buf[64];
	const char *why, *dname;
	DIR *d;
	int err = 0;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			DBG(db->ctx, "quirks: no directory %s", dir);
			return 0;
		}
		err = -errno;
		dname = quirks_intern_file(db, dir);
		if (dname)
			quirks_diag(db, KD_QDIAG_ERROR, dname, 0, 0,
				    "cannot read directory: %s",
				    strerror(-err));
		db->n_rejected++; /* what it holds is unknown: fail closed */
		return err;
	}
	if (fstat(dirfd(d), &st) == 0 &&
	    (why = insecure(&st, why_buf, sizeof(why_buf))) &&
	    !db->allow_insecure) {
		dname = quirks_intern_file(db, dir);
		if (dname)
			quirks_diag(db, KD_QDIAG_ERROR, dname, 0, 0,
				    "refused directory: %s (use "
				    "--allow-insecure-quirks for tests)", why);
		db->n_rejected++; /* its files are unknown: fail closed */
		closedir(d);
		return -EACCES;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), i;
		struct conf_file *v;
		char path[PATH_MAX];
		const char *p;

		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     de->d_name) >= sizeof(path)) {
			dname = quirks_intern_file(db, dir);
			if (dname)
				quirks_diag(db, KD_QDIAG_ERROR, dname, 0, 0,
					    "%s: path too long, skipped",
					    de->d_name);
			continue;
		}
		p = qpool_strndup(&l->pool, path, sizeof(path));
		if (!p) {
			err = -ENOMEM;
			break;
		}
		for (i = 0; i < l->n; i++)
			if (strcmp(l->v[i].name, de->d_name) == 0)
				break;
		if (i < l->n) {
			DBG(db->ctx, "quirks: %s overrides %s", p, l->v[i].path);
			l->v[i].path = p;
			continue;
		}
		v = qpool_grow(&l->pool, l->v, l->n, &l->cap, sizeof(*v));
		if (!v) {
			err = -ENOMEM;
			break;
		}
		l->v = v;
		v[l->n].path = p;
		v[l->n].name = p + strlen(dir) + 1;
		l->n++;
	}
	closedir(d);
	return err;
}

int kd_quirks_load(struct kd_ctx *ctx, const struct kd_quirks_load_opts *opts,
		   struct kd_quirks **out)
{
	static const struct kd_quirks_load_opts defaults = {
		.default_dirs = true,
	};
	struct conf_list l = { .n = 0 };
	struct kd_quirks *db;
	int err;

	if (!opts)
		opts = &defaults;
	err = kd_quirks_new(ctx, &db);
	if (err < 0)
		return err;
	db->allow_insecure = opts->allow_insecure;
	if (opts->default_dirs) {
		static const char *const dirs[] = { KD_QUIRKS_LIB_DIR,
						    KD_QUIRKS_ETC_DIR };
		char path[PATH_MAX];

		for (size_t i = 0; i < 2 && err != -ENOMEM; i++) {
			err = kd_ctx_path(ctx, path, sizeof(path), "%s",
					  dirs[i]);
			if (err == 0)
				err = scan_dir(db, path, &l);
		}
	}
	for (size_t i = 0; i < opts->n_dirs && err != -ENOMEM; i++)
		err = scan_dir(db, opts->dirs[i], &l);
	if (err != -ENOMEM) {
		if (l.n)
			qsort(l.v, l.n, sizeof(*l.v), cmp_conf);
		for (size_t i = 0; i < l.n && err != -ENOMEM; i++)
			err = kd_quirks_add_file(db, l.v[i].path);
	}
	qpool_free(&l.pool);
	if (err == -ENOMEM) {
		kd_quirks_free(db);
		return err;
	}
	INFO(ctx, "quirks: %zu entries from %zu files (%zu rejected)",
	     db->n_entries, db->n_loaded, db->n_rejected);
	*out = db;
	return 0;
}

bool kd_quirks_refusal(const struct kd_quirks *db, char *buf, size_t len)
{
	if (!db || !db->n_rejected)
		return false;
	snprintf(buf, len, "%zu quirk file%s or director%s refused",
		 db->n_rejected, db->n_rejected == 1 ? "" : "s",
		 db->n_rejected == 1 ? "y" : "ies");
	for (size_t i = 0; i < db->diags.n; i++) {
		const struct kd_quirk_diag *d = &db->diags.v[i];

		if (d->level != KD_QDIAG_ERROR)
			continue;
		if (d->line)
			snprintf(buf, len, "%s:%u: %s", d->file, d->line,
				 d->msg);
		else
			snprintf(buf, len, "%s: %s", d->file, d->msg);
		break;
	}
	return true;
}
