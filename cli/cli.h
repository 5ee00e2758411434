/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kdsafe command line: global options, subcommands, exit codes. */
#ifndef KDSAFE_CLI_H
#define KDSAFE_CLI_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>

#include "access/access.h"

/* Exit codes shared by every subcommand (docs/man/kdsafe.8). */
enum {
	KD_EXIT_OK = 0,
	KD_EXIT_DIRTY = 1,   /* a function is (still) not clean */
	KD_EXIT_USAGE = 2,   /* bad command line */
	KD_EXIT_PARTIAL = 3, /* some input could not be read or used */
	KD_EXIT_FATAL = 4,   /* nothing could be done (no tree, no dump) */
};

struct kd_cli {
	const char *sysroot;
	const char *dump_path;
	int verbosity;          /* -q: -1, default 0, -v...: more */
	struct json_object *errors; /* every ERR logged, for --json */
	int n_errors;
	int kmsg_fd;            /* -1, or also log to /dev/kmsg */
	pthread_mutex_t log_lock; /* reset logs from worker threads */
};

/* Creates the context from the global options, logging into cli. */
int kd_cli_ctx(struct kd_cli *cli, struct kd_ctx **out);
/* Also log to SYSROOT/dev/kmsg (a capture kernel's console); a failure
 * to open it is a warning. */
void kd_cli_open_kmsg(struct kd_cli *cli, struct kd_ctx *ctx);
/* One line to /dev/kmsg when it is open. */
void kd_cli_kmsg(struct kd_cli *cli, int prio, const char *msg);
/* Records an error for the JSON "errors" array (and prints it). */
void kd_cli_error(struct kd_cli *cli, const char *address, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));

struct kd_command {
	const char *name;
	const char *summary;
	int (*run)(struct kd_cli *cli, int argc, char **argv);
};

int kd_cmd_probe(struct kd_cli *cli, int argc, char **argv);
int kd_cmd_quirks(struct kd_cli *cli, int argc, char **argv);
int kd_cmd_reset(struct kd_cli *cli, int argc, char **argv);
int kd_cmd_whitelist(struct kd_cli *cli, int argc, char **argv);

#endif
