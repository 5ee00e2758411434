// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A journal file a line at a time through one fixed buffer: read() in
 * chunks, lines cut with memchr().  A line longer than KD_JOURNAL_LINE_MAX
 * is passed over up to its newline without being kept (only counted), so
 * a file of any shape is read in KD_LINES_CHUNK bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign/journal.h"

/* a whole line of the longest allowed always fits, with room to read */
_Static_assert(KD_LINES_CHUNK > 2 * KD_JOURNAL_LINE_MAX,
	       "the chunk holds a line at its cap and reads on");

int kd_lines_init(struct kd_lines *l)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->buf = malloc(KD_LINES_CHUNK + 1);
	return l->buf ? 0 : -ENOMEM;
}

void kd_lines_start(struct kd_lines *l, int fd)
{
	l->fd = fd;
	l->start = l->have = 0;
	l->skipped = 0;
	l->skipping = false;
}

void kd_lines_free(struct kd_lines *l)
{
	free(l->buf);
	l->buf = NULL;
}

/* The line at start, n bytes long, ended (its newline or the file end). */
static int give(struct kd_lines *l, size_t n, bool torn,
		struct kd_line *out)
{
	out->text = l->buf + l->start;
	out->text[n] = '\0';
	out->len = n;
	out->torn = torn;
	out->too_long = l->skipping || n > KD_JOURNAL_LINE_MAX;
	out->bytes = l->skipped + n;
	if (torn)
		l->start = l->have = 0; /* the file ends here */
	else
		l->start += n + 1;
	l->skipping = false;
	l->skipped = 0;
	return 1;
}

int kd_lines_next(struct kd_lines *l, struct kd_line *out)
{
	size_t rest;
	ssize_t got;
	char *nl;

	for (;;) {
		rest = l->have - l->start;
		nl = memchr(l->buf + l->start, '\n', rest);
		if (nl)
			return give(l, (size_t)(nl - (l->buf + l->start)),
				    false, out);
		if (l->skipping || rest > KD_JOURNAL_LINE_MAX) {
			/* too long already: count it, keep none of it */
			l->skipping = true;
			l->skipped += rest;
			rest = 0;
		} else if (l->start > 0) {
			memmove(l->buf, l->buf + l->start, rest);
		}
		l->start = 0;
		l->have = rest;
		got = read(l->fd, l->buf + l->have, KD_LINES_CHUNK - l->have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -EIO;
		if (got == 0) {
			if (l->have == 0 && !l->skipping)
				return 0;
			return give(l, l->have, true, out);
		}
		l->have += (size_t)got;
	}
}
