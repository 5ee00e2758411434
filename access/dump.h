/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reader for `lspci -x/-xxx/-xxxx` text dumps, with kdsafe annotations.
 *
 * libpci has a dump backend, but it treats any malformed line as fatal and
 * names no file; we must report FILE:LINE and keep the other devices.
 *
 *   0000:03:00.0 Ethernet controller: Intel ...    <- device header
 *   #@ driver=e1000e                               <- kdsafe annotation
 *   00: 86 80 d3 10 06 04 10 00 00 00 00 02 10 00 00 00
 *   ...
 *
 * Lines starting with "#@" carry KEY=VALUE annotations for the current
 * device (see docs/fixture-format.md); other "#" lines and blank lines are
 * ignored.  A device with a malformed line is dropped with an error naming
 * FILE:LINE; the others are still delivered.
 */
#ifndef KDSAFE_DUMP_H
#define KDSAFE_DUMP_H

#include <stdio.h>

#include "access.h"

#define KD_DUMP_MAX_ANNOT 16
#define KD_DUMP_ANNOT_BYTES 2048

struct kd_dump_annot {
	const char *key;   /* point into annot_buf */
	const char *value;
};

struct kd_dump_func {
	struct kd_addr addr;
	unsigned line;          /* line of the device header */
	size_t len;             /* bytes of config space given */
	uint8_t cfg[KD_CFG_SPACE_EXP_SIZE];
	unsigned n_annot;
	struct kd_dump_annot annot[KD_DUMP_MAX_ANNOT];
	/* "key\0value\0key\0value\0..." */
	size_t annot_used;
	char annot_buf[KD_DUMP_ANNOT_BYTES];
};

/* Value of annotation key, or NULL. */
const char *kd_dump_annot(const struct kd_dump_func *f, const char *key);

/* Called for every well-formed device; non-zero stops the parse. */
typedef int (*kd_dump_fn)(const struct kd_dump_func *f, void *data);

/* Test hook: the line reader (getline), so a test can make it fail. */
extern ssize_t (*kd_dump_getline)(char **line, size_t *cap, FILE *f);

/*
 * Parses path ("-" is stdin).  Returns the number of malformed lines found
 * (each logged as "FILE:LINE: ..."), or -errno if the file cannot be read
 * to its end (a line that cannot be allocated is -ENOMEM, logged with its
 * FILE:LINE, never taken for the end of the dump).
 */
int kd_dump_parse(struct kd_ctx *ctx, const char *path, kd_dump_fn fn,
		  void *data);

#endif
