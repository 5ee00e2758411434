/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to quirks/: the database layout shared by its files. */
#ifndef KDSAFE_QUIRKS_INTERNAL_H
#define KDSAFE_QUIRKS_INTERNAL_H

#include "quirks.h"

/* Largest quirk file read. */
#define KD_QUIRK_MAX_FILE (1u << 20)

/*
 * Everything a database holds lives in one pool freed at once: entries,
 * steps, strings and the arrays pointing to them.  Simpler ownership, and
 * gcc 12's -fanalyzer loses track of heap pointers stored at variable
 * array indexes (false leak reports), which a pool never does.
 */
struct qchunk;
struct qpool {
	struct qchunk *head;
};

void *qpool_alloc(struct qpool *p, size_t size); /* zeroed, or NULL */
char *qpool_strndup(struct qpool *p, const char *s, size_t len);
void qpool_free(struct qpool *p);
/* old (n elements in use, *cap allocated) or a larger copy with room for
 * two more, zero-filled past n; NULL when out of memory. */
void *qpool_grow(struct qpool *p, void *old, size_t n, size_t *cap,
		 size_t elem);

struct qstrv {
	size_t n, cap;
	char **v; /* NULL-terminated */
};

struct qstepv {
	size_t n, cap;
	struct kd_quirk_step **v;
};

struct kd_quirk_matchspec {
	int vendor, device, subsys_vendor, subsys_device; /* -1: any */
	uint16_t device_mask; /* VVVV:DDDD/MMMM */
	uint32_t class_value, class_mask;                 /* mask 0: any */
	bool has_rev;
	uint8_t rev_lo, rev_hi;
};

enum qfield {
	QF_NAME, QF_METHODS, QF_AVOID, QF_DELAY, QF_TIMEOUT, QF_PRE, QF_POST,
	QF_RUN, QF_BLACKLIST, QF_OPTIONS, QF_CMDLINE, QF_D3HOT, QF_RESET,
	QF_COUNT
};

struct kd_quirk_entry {
	const char *file;
	unsigned line;
	size_t order; /* load order across the database */
	char *match_text;
	struct kd_quirk_matchspec m;
	unsigned specificity;
	unsigned seen[QF_COUNT]; /* line a field was first set, 0 if not */
	char *name;
	struct qstrv methods, avoid, blacklist, options, cmdline;
	uint64_t delay_ns, timeout_ns;
	uint64_t d3hot_ns; /* d3hot-delay: the device's D3hot<->D0 wait */
	struct qstepv pre, post, reset;
};

struct qdiagv {
	size_t n, cap;
	struct kd_quirk_diag *v;
};

struct kd_quirks {
	struct kd_ctx *ctx;
	struct qpool pool;
	bool allow_insecure;
	struct qstrv files;    /* every file name seen (owned) */
	size_t n_loaded, n_rejected;
	size_t n_entries, cap_entries;
	struct kd_quirk_entry **entries;
	struct qdiagv diags;
	size_t n_errors;
};

int qstrv_push(struct qpool *p, struct qstrv *sv, const char *s,
	       size_t len);
/* Interns a file name in the database: stable pointer or NULL. */
const char *quirks_intern_file(struct kd_quirks *db, const char *name);
/* Records (and logs) a diagnostic: 0 or -ENOMEM. */
int quirks_diag(struct kd_quirks *db, enum kd_quirk_diag_level level,
		const char *file, unsigned line, unsigned col, const char *fmt,
		...) __attribute__((format(printf, 6, 7)));

/* Parsing helpers (parse-values.c). */
int qparse_hex(const char *s, size_t len, uint64_t max, uint64_t *out);
/* One step ("cfg CAP_EXP+8.W=8000:8000", ...) into *out; on error returns
 * the message and sets *err_off to its offset in text. */
const char *qparse_step(struct qpool *pool, const char *text,
			struct kd_quirk_step *out, size_t *err_off,
			char *msgbuf, size_t msglen);
/* A section header body "8086:10ed subsys=..." */
const char *qparse_match(const char *text, struct kd_quirk_matchspec *m,
			 size_t *err_off, char *msgbuf, size_t msglen);
unsigned qmatch_specificity(const struct kd_quirk_matchspec *m);
bool qmatch(const struct kd_quirk_matchspec *m, const struct kd_quirk_id *id);
/* Name of a capability id for describing steps. */
const char *qcap_name(enum kd_quirk_reg_base base, uint16_t id);

#endif
