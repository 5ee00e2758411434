/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kdsafe command line: global options, subcommands, exit codes. */
#ifndef KDSAFE_CLI_H
#define KDSAFE_CLI_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "access/access.h"

/* Exit codes shared by every subcommand (docs/man/kdsafe.8). */
enum {
	KD_EXIT_OK = 0,
	KD_EXIT_DIRTY = 1,   /* a function is (still) not clean */
	KD_EXIT_USAGE = 2,   /* bad command line */
	KD_EXIT_PARTIAL = 3, /* some input could not be read or used */
	KD_EXIT_FATAL = 4,   /* nothing could be done (no tree, no dump) */
	KD_EXIT_INTERRUPTED = 5, /* reset: signal; every touched function
				  * restored */
	KD_EXIT_UNRESTORED = 6,  /* reset: signal; some function could not
				  * be restored */
};

/* What one `kdsafe reset` run did, for its caller in the same process
 * (kdsafe hook's last line): filled by kd_cmd_reset. */
struct kd_run_stats {
	bool valid;             /* a reset run reported */
	uint64_t elapsed_ns;    /* from entering kd_cmd_reset to its end */
	uint64_t prepare_ns;    /* before the run: context, quirks, lock */
	uint64_t topology_ns, plan_ns, resets_ns; /* kd_reset_timing's */
	unsigned reset, failed; /* ok or planned; everything else */
	uint64_t longest_wait_ns; /* the largest kd_reset_waited_ns() */
	char longest_address[KD_ADDR_STRLEN]; /* "" when no wait */
	const char *longest_method;
};

struct kd_probe_info;

/*
 * A caller's choice among the functions `reset --all` finds
 * (kd_probe_reset_candidate()): kdsafe hook's kdsafe.conf.  want() for
 * each candidate, with the identify the reset plans from; chosen() once,
 * with how many.  Not a dry run, the domain expected to wait longest may
 * already be resetting: want() for the others and chosen() are then
 * called from the thread that chooses them while it waits.
 */
struct kd_cli_select {
	bool (*want)(void *data, struct kd_ctx *ctx,
		     const struct kd_probe_info *in);
	void (*chosen)(void *data, struct kd_ctx *ctx, size_t n);
	void *data;
};

struct kd_cli {
	const char *sysroot;
	const char *dump_path;
	int verbosity;          /* -q: -1, default 0, -v...: more */
	struct json_object *errors; /* every ERR logged, for --json */
	int n_errors;
	struct kd_kmsg kmsg;    /* also log to /dev/kmsg when open */
	struct kd_ctx *kmsg_ctx; /* asked for, opened by its first line */
	pthread_mutex_t log_lock; /* reset logs from worker threads;
				   * recursive: a reopen of kmsg may log */
	uint64_t start_ns;      /* kd_cli_now_ns() when the command began */
	struct kd_run_stats stats; /* the last reset run's */
	const struct kd_cli_select *select; /* reset --all: NULL, every one */
};

/* CLOCK_MONOTONIC in ns: the wall time a command takes */
uint64_t kd_cli_now_ns(void);
/* How long ago this process was started (exec, the dynamic loader and
 * all): /proc/self/stat's starttime against CLOCK_BOOTTIME read before
 * it, in clock ticks (USER_HZ, 10 ms) and so up to one tick long; 0 if
 * unknown. */
uint64_t kd_cli_since_exec_ns(void);

/* Creates the context from the global options, logging into cli. */
int kd_cli_ctx(struct kd_cli *cli, struct kd_ctx **out);
/* The same; no_devices: the sysroot and the log only (no PCI tree read),
 * for bounded reads of the tree (kd_ctx_read_small()) */
int kd_cli_ctx_opts(struct kd_cli *cli, bool no_devices, struct kd_ctx **out);
/* Also log to SYSROOT/dev/kmsg (a capture kernel's console), opened by
 * the first line logged (once: asking again keeps the first context's);
 * a failure to open it is a warning then. */
void kd_cli_open_kmsg(struct kd_cli *cli, struct kd_ctx *ctx);
/* Stop logging to /dev/kmsg. */
void kd_cli_close_kmsg(struct kd_cli *cli);
/* One line to /dev/kmsg when it is open. */
void kd_cli_kmsg(struct kd_cli *cli, int prio, const char *msg);
/* Records an error for the JSON "errors" array (and prints it). */
void kd_cli_error(struct kd_cli *cli, const char *address, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));

/* ---- global options (cli/main.c), also accepted after the command ---- */
enum { KD_OPT_SYSROOT = 0x1000, KD_OPT_DUMP, KD_OPT_QUIET = 'q' };
#define KD_CLI_GLOBAL_OPTIONS                                               \
	{ "sysroot", required_argument, NULL, KD_OPT_SYSROOT },           \
	{ "dump", required_argument, NULL, KD_OPT_DUMP },                 \
	{ "quiet", no_argument, NULL, KD_OPT_QUIET }
#define KD_CLI_GLOBAL_SHORT "q"
/* getopt's c, when it is a global option, applied to cli: 1; 0 when c is
 * not one; -1 (message printed) when it contradicts one given before. */
int kd_cli_global_option(struct kd_cli *cli, int c, const char *arg);

/* ---- output shared by every command (cli/output.c) -------------------- */
/* Exit status after flushing and closing stdout: ret, or KD_EXIT_FATAL
 * with "kdsafe: error: stdout: ..." when the output was not written. */
int kd_cli_close_stdout(int ret);
/* s with control characters and bytes that are not UTF-8 as \xNN, for
 * text output; in buf (KD_SAFE_LEN), truncated if need be. */
#define KD_SAFE_LEN 4200
const char *kd_text_safe(const char *s, char *buf, size_t len);

/*
 * Every JSON document: {"version": 1, "tool", "source", HEAD members...,
 * "LIST": [ one item per line ], TAIL members..., "errors": [...]}; bytes
 * that are not UTF-8 become \ufffd.  Streamed: memory stays flat.
 */
struct kd_json_doc {
	const char *list;
	bool begun, first;
};
#define KD_JSON_DOC(list_key) { .list = (list_key) }
/* Start collecting errors for the document (before anything can fail). */
void kd_json_want_errors(struct kd_cli *cli);
/* Header; ctx NULL: "source": null.  Takes head (may be NULL). */
void kd_json_begin(struct kd_cli *cli, struct kd_json_doc *doc,
		   struct kd_ctx *ctx, struct json_object *head);
/* One list item; takes it. */
void kd_json_item(struct kd_json_doc *doc, struct json_object *item);
/* An item's text, made earlier (another thread, off the critical path):
 * kd_json_text() takes the item and returns malloc'd text, or NULL. */
char *kd_json_text(struct json_object *item);
void kd_json_item_text(struct kd_json_doc *doc, const char *text);
/* The rest (begins the document first if need be); takes tail. */
void kd_json_end(struct kd_cli *cli, struct kd_json_doc *doc,
		 struct json_object *tail);

struct kd_command {
	const char *name;
	const char *summary;
	int (*run)(struct kd_cli *cli, int argc, char **argv);
	/* parses JSON from other machines and never runs in a capture
	 * kernel: json-c's seeded string hash (main.c: run_command()) */
	bool foreign_json;
};

int kd_cmd_probe(struct kd_cli *cli, int argc, char **argv);
int kd_cmd_quirks(struct kd_cli *cli, int argc, char **argv);
int kd_cmd_reset(struct kd_cli *cli, int argc, char **argv);
int kd_cmd_test(struct kd_cli *cli, int argc, char **argv);
int kd_cmd_whitelist(struct kd_cli *cli, int argc, char **argv);
int kd_cmd_hook(struct kd_cli *cli, int argc, char **argv);
int kd_cmd_snapshot(struct kd_cli *cli, int argc, char **argv);

#endif
