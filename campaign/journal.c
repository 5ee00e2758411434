// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The journal writer: one record, one write(), one fsync().  A record is
 * either whole on disk or cut back off it (docs/journal.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "campaign/journal.h"

struct kd_journal {
	struct kd_ctx *ctx;
	struct kd_journal_io io;
	char *path;
	int fd;
	off_t length; /* the file ends after the last whole record */
	int error;    /* sticky: an append failed, refuse the rest */
};

static ssize_t real_write(void *data, int fd, const void *buf, size_t len)
{
	(void)data;
	return write(fd, buf, len);
}

static int real_fsync(void *data, int fd)
{
	(void)data;
	return fsync(fd);
}

static int real_ftruncate(void *data, int fd, off_t len)
{
	(void)data;
	return ftruncate(fd, len);
}

static const struct kd_journal_io real_io = {
	real_write, real_fsync, real_ftruncate, NULL,
};

/* A new file's directory entry is only durable once the directory is
 * fsynced (fsync(2): "Calling fsync() does not necessarily ensure that the
 * entry in the directory containing the file has also reached disk"). */
static int fsync_parent(struct kd_journal *j)
{
	char dir[PATH_MAX];
	int fd, ret = 0;

	if (strlen(j->path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, j->path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (j->io.fsync(j->io.data, fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Writes buf whole at the end of the file and fsyncs it, or cuts the file
 * back to j->length.  0 or -errno. */
static int write_whole(struct kd_journal *j, const char *buf, size_t len)
{
	ssize_t n = j->io.write(j->io.data, j->fd, buf, len);
	int err;

	if (n == (ssize_t)len) {
		if (j->io.fsync(j->io.data, j->fd) == 0) {
			j->length += (off_t)len;
			return 0;
		}
		err = errno ? errno : EIO;
	} else {
		/* a short write without errno is a full disk */
		err = n < 0 && errno ? errno : ENOSPC;
	}
	if (j->io.ftruncate(j->io.data, j->fd, j->length) < 0 ||
	    j->io.fsync(j->io.data, j->fd) < 0)
		ERR(j->ctx, "%s: cannot cut a partial record back off: %s",
		    j->path, strerror(errno));
	return -err;
}

/* A crash mid-write cannot tear a record (one write), but a file copied or
 * truncated by other means can end without its newline: end that line so
 * the next record stands on its own; the reader reports the torn one. */
static int seal_torn_tail(struct kd_journal *j)
{
	char last;

	if (j->length == 0)
		return 0;
	if (pread(j->fd, &last, 1, j->length - 1) != 1)
		return -errno;
	if (last == '\n')
		return 0;
	WARN(j->ctx, "%s: torn last record, sealed with a newline", j->path);
	return write_whole(j, "\n", 1);
}

int kd_journal_open(struct kd_ctx *ctx, const char *path,
		    const struct kd_journal_io *io, struct kd_journal **out)
{
	struct kd_journal *j = calloc(1, sizeof(*j));
	bool created = false;
	struct stat st;
	int ret;

	*out = NULL;
	if (!j)
		return -ENOMEM;
	j->ctx = ctx;
	j->io = io ? *io : real_io;
	j->path = strdup(path);
	j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC,
		     0644);
	if (j->fd >= 0)
		created = true;
	else if (errno == EEXIST)
		j->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (!j->path || j->fd < 0) {
		ret = j->path ? -errno : -ENOMEM;
		goto fail;
	}
	if (fstat(j->fd, &st) < 0) {
		ret = -errno;
		goto fail;
	}
	j->length = st.st_size;
	ret = created ? fsync_parent(j) : seal_torn_tail(j);
	if (ret < 0)
		goto fail;
	*out = j;
	return 0;
fail:
	ERR(ctx, "%s: cannot open the journal: %s", path, strerror(-ret));
	kd_journal_close(j);
	return ret;
}

int kd_journal_append(struct kd_journal *j, struct json_object *rec)
{
	const char *text;
	size_t len;
	char *line;
	int ret;

	if (j->error)
		return j->error;
	text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	if (len > KD_JOURNAL_LINE_MAX) {
		/* no reader would take it back: stop, as for a failed write */
		j->error = -E2BIG;
		ERR(j->ctx, "%s: cannot record a record of %zu bytes, over "
			    "the %d a journal line may hold; stopping",
		    j->path, len, KD_JOURNAL_LINE_MAX);
		return j->error;
	}
	line = malloc(len + 1); /* the whole line, newline included, first */
	if (!line)
		return -ENOMEM;
	memcpy(line, text, len);
	line[len] = '\n';
	ret = write_whole(j, line, len + 1);
	free(line);
	if (ret < 0) {
		j->error = ret;
		ERR(j->ctx, "%s: cannot record (%s); stopping: nothing more is "
			    "done unrecorded", j->path, strerror(-ret));
	}
	return ret;
}

int kd_journal_close(struct kd_journal *j)
{
	int ret = 0;

	if (!j)
		return 0;
	if (j->fd >= 0 && close(j->fd) < 0)
		ret = -errno;
	free(j->path);
	free(j);
	return ret;
}
