/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The campaign journal: an append-only JSON Lines file that survives the
 * machine dying at any moment (docs/journal.md).  Each record is one line,
 * written with a single write() and fsync()ed before the append returns,
 * so the caller's next risky operation (a reset, a driver load) happens
 * only once the record that names it is on disk.  A failed or short write
 * is cut back off the file: a record is either whole or absent.
 *
 * Library code: returns 0 or -errno and logs through the ctx.
 */
#ifndef KDSAFE_CAMPAIGN_JOURNAL_H
#define KDSAFE_CAMPAIGN_JOURNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "access/access.h"

/* Version of the record schema; bump on an incompatible change.  Readers
 * accept records up to this version. */
#define KD_JOURNAL_SCHEMA 1

/* System calls the journal makes, injectable so tests can record their
 * order and make them fail (ENOSPC, EIO, short writes).  Each returns what
 * the system call returns (-1 with errno set on failure). */
struct kd_journal_io {
	ssize_t (*write)(void *data, int fd, const void *buf, size_t len);
	int (*fsync)(void *data, int fd);
	int (*ftruncate)(void *data, int fd, off_t len);
	void *data;
};

struct kd_journal;

/* Opens (creating it, and fsyncing its directory when it is new) the
 * journal at path for appending.  A torn last line left by a crash is
 * reported and sealed with a newline, so the next record starts on a line
 * of its own.  io NULL: the real system calls. */
int kd_journal_open(struct kd_ctx *ctx, const char *path,
		    const struct kd_journal_io *io, struct kd_journal **out);
/* Appends rec as one line and fsyncs it.  On any failure the file is cut
 * back to its previous length, the error is logged and returned (-ENOSPC,
 * -EIO, ...) and the journal refuses every later append: a campaign step
 * must stop rather than go on unrecorded.  A record longer than
 * KD_JOURNAL_LINE_MAX is not written: -E2BIG, and the same stop. */
int kd_journal_append(struct kd_journal *j, struct json_object *rec);
/* Closes; 0 or the close() error. NULL is fine. */
int kd_journal_close(struct kd_journal *j);

/* ---- records (docs/journal.md) ----------------------------------------- */

/* Where and when: the same for every record of one crash cycle. */
struct kd_journal_cycle {
	const char *machine;  /* /etc/machine-id */
	const char *kernel;   /* uname -r of the kernel the step ran in */
	unsigned cycle, repeat;
	const char *variant;  /* none, quiesce, flr, bus, quirk:NAME, ... */
};

/* One PCI function under test. */
struct kd_journal_device {
	const char *address;  /* 0000:03:00.0 */
	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint32_t class_code;
	const char *driver;   /* NULL: none */
};

/* The outcome of one device in one cycle. */
enum kd_outcome {
	KD_OUTCOME_PASS,
	KD_OUTCOME_FAIL,
	KD_OUTCOME_HANG,
	KD_OUTCOME_DIED_LOADING,
	KD_OUTCOME_RESET_FAILED,
	KD_OUTCOME_RESET_INEFFECTIVE,
	KD_OUTCOME_NOT_REACHED, /* the cycle died on another device first */
	KD_OUTCOME_COUNT,
};

const char *kd_outcome_name(enum kd_outcome o);
/* -EINVAL for an unknown name. */
int kd_outcome_parse(const char *name, enum kd_outcome *out);

struct kd_journal_result {
	enum kd_outcome outcome;
	const char *reason;            /* NULL or a sentence */
	int64_t fix_ms, load_ms, health_ms; /* -1: not measured */
	/* taken over by the record (NULL: none); free-form state such as
	 * {"command": "0x0406", "bus_master": true} */
	struct json_object *state_before, *state_after;
};

/* New records (NULL on allocation failure); the caller appends and puts
 * them. */
struct json_object *kd_journal_intent_cycle(const struct kd_journal_cycle *c,
					    const struct kd_journal_device *devs,
					    size_t n_devs);
/* "loading MODULE for ADDRESS", written before the module is loaded. */
struct json_object *kd_journal_intent_load(const struct kd_journal_cycle *c,
					   const struct kd_journal_device *dev,
					   const char *module);
struct json_object *kd_journal_outcome(const struct kd_journal_cycle *c,
				       const struct kd_journal_device *dev,
				       struct kd_journal_result *res);

/* ---- reading ----------------------------------------------------------- */

struct kd_journal_stats {
	unsigned long lines;     /* lines read, torn ones included */
	unsigned long records;   /* valid records handed to the callback */
	unsigned long malformed; /* skipped lines, torn ones included */
	unsigned long torn;      /* a last line without its newline */
};

/*
 * The longest journal line read, its newline not counted: 256 KiB.  The
 * longest record the writer makes is a cycle intent listing its devices
 * (kd_journal_intent_cycle()), at most 201 bytes each (a 16-character
 * address, five ids, a 63-character driver, with their keys, quotes and
 * comma) after a header of under 1 KiB: 256 KiB holds 1,290 devices, and
 * kd_journal_append() refuses a longer record rather than write a line no
 * reader takes back.  A longer line is passed over unkept (FILE:LINE:
 * KD_JOURNAL_TOO_LONG), counted malformed, and reading goes on.
 */
#define KD_JOURNAL_LINE_MAX 262144
#define KD_JOURNAL_STR_(x) #x
#define KD_JOURNAL_STR(x) KD_JOURNAL_STR_(x)
#define KD_JOURNAL_TOO_LONG \
	"line longer than " KD_JOURNAL_STR(KD_JOURNAL_LINE_MAX) " bytes"

/* Reading a file a line at a time (campaign/lines.c), in one buffer of
 * KD_LINES_CHUNK bytes whatever the file holds. */
#define KD_LINES_CHUNK (1u << 20)

struct kd_lines {
	int fd;
	char *buf;                   /* KD_LINES_CHUNK + 1 bytes */
	size_t start, have;          /* the unread lines: buf[start, have) */
	unsigned long long skipped;  /* of a too long line, passed over */
	bool skipping;
};

struct kd_line {
	char *text;                  /* its newline replaced by '\0' */
	size_t len;                  /* bytes of text kept */
	unsigned long long bytes;    /* its length, kept or not */
	bool torn;                   /* the file ended before a newline */
	bool too_long;               /* > KD_JOURNAL_LINE_MAX: text not kept */
};

/* The buffer (kept from file to file): 0 or -ENOMEM. */
int kd_lines_init(struct kd_lines *l);
void kd_lines_free(struct kd_lines *l);
/* Starts on fd, from where it stands. */
void kd_lines_start(struct kd_lines *l, int fd);
/* The next line into *out: 1, 0 at the end of the file, -EIO.  out->text
 * is valid until the next call and may be written up to out->len. */
int kd_lines_next(struct kd_lines *l, struct kd_line *out);

/* Checks a parsed line against the schema; NULL when valid, else the
 * reason ("missing \"variant\"", "schema 7 is newer than 1", ...). */
const char *kd_journal_validate(struct json_object *rec);

/* Parses one line (without its newline) and validates it: the record (the
 * caller puts it), or NULL with *why set ("incomplete JSON", "text after
 * the record", a json-c error, or kd_journal_validate()'s reason). */
struct json_object *kd_journal_parse_line(struct json_tokener *tok,
					  const char *line, size_t len,
					  const char **why);

/* Called for each valid record; rec is borrowed.  A negative return stops
 * the read and is returned. */
typedef int (*kd_journal_record_fn)(void *data, struct json_object *rec,
				    const char *file, unsigned long line);

/* Streams path line by line (never the whole file): each valid record
 * goes to fn; each malformed line is logged as "FILE:LINE: REASON" and
 * counted, a torn last line as "FILE:LINE: torn record".  Stats are added
 * to *st.  0, -errno when the file cannot be read, or fn's error. */
int kd_journal_read(struct kd_ctx *ctx, const char *path,
		    kd_journal_record_fn fn, void *data,
		    struct kd_journal_stats *st);

/* At the boot after a cycle: every cycle intent of path that lacks some
 * device's outcome gets one appended: died-loading for the device whose
 * "loading" intent is open, not-reached for the others when one is, hang
 * when none is.  *n_recovered (may be NULL) counts the outcomes appended.
 * 0 or -errno. */
int kd_journal_recover(struct kd_ctx *ctx, const char *path,
		       const struct kd_journal_io *io,
		       unsigned *n_recovered);
/* The same, leaving alone the intent of cycle (not 0) while nothing was
 * recorded after it: the step that is about to run it.  A cycle whose
 * step got further (a load intent, an outcome) is recovered. */
int kd_journal_recover_except(struct kd_ctx *ctx, const char *path,
			      const struct kd_journal_io *io, unsigned cycle,
			      unsigned *n_recovered);

#endif
