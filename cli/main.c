// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "commands.h"
#include "quirks/procs.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kdsafe [--sysroot DIR | --dump FILE] [-v|-q] COMMAND "
		"[ARGS]\n\n"
		"Make PCI devices safe for a kdump capture kernel.\n\n"
		"Commands:\n");
	for (const struct kd_command *c = kd_commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f,
		"\nGlobal options (--sysroot, --dump and -q may also follow "
		"COMMAND;\nafter it, -v and -h are the command's own):\n"
		"  --sysroot DIR  read /sys and /lib/modules under DIR\n"
		"  --dump FILE    read config space from an lspci -x dump "
		"(read-only)\n"
		"  -v, --verbose  more log messages (repeat for debug)\n"
		"  -q, --quiet    errors only\n"
		"  -h, --help     this text; COMMAND --help for a command\n"
		"  -V, --version  print the version\n\n"
		"Exit status: 0 ok, 1 a function is not clean (where the "
		"command says so),\n2 usage error, 3 some input unreadable "
		"(the rest was handled), 4 nothing could be done or stdout\n"
		"could not be written.\n"
		"See kdsafe(8).\n");
}

uint64_t kd_cli_since_exec_ns(void)
{
	char buf[1024];
	unsigned long long start = 0;
	long hz = sysconf(_SC_CLK_TCK);
	struct timespec ts;
	/* now, then starttime (in clock ticks since boot): the read, a cold
	 * procfs path in a capture kernel, is not counted */
	int now = clock_gettime(CLOCK_BOOTTIME, &ts);
	const char *f = kd_proc_stat_field("self", 22, buf, sizeof(buf));

	if (now < 0 || !f || hz <= 0 || sscanf(f, "%llu", &start) != 1)
		return 0;
	start = start * 1000000000ull / (unsigned long long)hz;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec -
	       start;
}

uint64_t kd_cli_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The open kd_cli_open_kmsg() asked for, by the first line: in a capture
 * kernel each open costs on the way to the first reset, and the hook and
 * reset both ask.  Callers hold cli->log_lock; the warning comes back
 * through it with nothing to open. */
static void open_kmsg_locked(struct kd_cli *cli)
{
	struct kd_ctx *ctx = cli->kmsg_ctx;
	char path[PATH_MAX];
	int err;

	cli->kmsg_ctx = NULL;
	err = kd_kmsg_open(&cli->kmsg, ctx);
	if (err < 0 && kd_ctx_path(ctx, path, sizeof(path), "/dev/kmsg") == 0)
		WARN(ctx, "%s: %s; logging to stderr only", path,
		     strerror(-err));
	kd_ctx_unref(ctx);
}

/* callers hold cli->log_lock */
static void kmsg_locked(struct kd_cli *cli, int prio, const char *msg)
{
	char line[1100];
	int n;

	if (!kd_kmsg_is_open(&cli->kmsg) && cli->kmsg_ctx)
		open_kmsg_locked(cli);
	if (!kd_kmsg_is_open(&cli->kmsg))
		return;
	n = snprintf(line, sizeof(line), "<%d>kdsafe: %s\n", prio, msg);
	/* a failed write closes it: stderr still has the line; a reopen
	 * before the kernel's rate limit may log here again (the lock is
	 * recursive) */
	if (n > 0)
		kd_kmsg_write(&cli->kmsg, line,
			      (size_t)n < sizeof(line) ? (size_t)n :
							 sizeof(line) - 1);
}

static void error_locked(struct kd_cli *cli, const char *address,
			 const char *msg)
{
	struct json_object *e;

	char a[KD_SAFE_LEN], m[KD_SAFE_LEN];

	fprintf(stderr, "kdsafe: error: %s%s%s\n",
		address ? kd_text_safe(address, a, sizeof(a)) : "",
		address ? ": " : "", kd_text_safe(msg, m, sizeof(m)));
	cli->n_errors++;
	if (!cli->errors)
		return;
	e = json_object_new_object();
	json_object_object_add(e, "address",
			       address ? json_object_new_string(address) :
					 NULL);
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_array_add(cli->errors, e);
}

/* Every command logs through here; reset calls it from worker threads. */
static void cli_log(void *data, int prio, const char *file, int line,
		    const char *fn, const char *format, va_list args)
{
	struct kd_cli *cli = data;
	char msg[1024], safe[KD_SAFE_LEN];

	vsnprintf(msg, sizeof(msg), format, args);
	pthread_mutex_lock(&cli->log_lock);
	if (prio <= KD_LOG_ERR)
		error_locked(cli, NULL, msg);
	else if (cli->verbosity >= 2)
		fprintf(stderr, "kdsafe: %s:%d %s: %s\n", file, line, fn,
			kd_text_safe(msg, safe, sizeof(safe)));
	else
		fprintf(stderr, "kdsafe: %s%s\n",
			prio == KD_LOG_WARNING ? "warning: " : "",
			kd_text_safe(msg, safe, sizeof(safe)));
	kmsg_locked(cli, prio, msg);
	pthread_mutex_unlock(&cli->log_lock);
}

void kd_cli_error(struct kd_cli *cli, const char *address, const char *fmt,
		  ...)
{
	char msg[1024];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	pthread_mutex_lock(&cli->log_lock);
	error_locked(cli, address, msg);
	pthread_mutex_unlock(&cli->log_lock);
}

void kd_cli_kmsg(struct kd_cli *cli, int prio, const char *msg)
{
	pthread_mutex_lock(&cli->log_lock);
	kmsg_locked(cli, prio, msg);
	pthread_mutex_unlock(&cli->log_lock);
}

void kd_cli_open_kmsg(struct kd_cli *cli, struct kd_ctx *ctx)
{
	pthread_mutex_lock(&cli->log_lock);
	if (!kd_kmsg_is_open(&cli->kmsg) && !cli->kmsg_ctx)
		cli->kmsg_ctx = kd_ctx_ref(ctx);
	pthread_mutex_unlock(&cli->log_lock);
}

void kd_cli_close_kmsg(struct kd_cli *cli)
{
	pthread_mutex_lock(&cli->log_lock);
	kd_kmsg_close(&cli->kmsg);
	kd_ctx_unref(cli->kmsg_ctx);
	cli->kmsg_ctx = NULL;
	pthread_mutex_unlock(&cli->log_lock);
}

int kd_cli_ctx(struct kd_cli *cli, struct kd_ctx **out)
{
	return kd_cli_ctx_opts(cli, false, out);
}

int kd_cli_ctx_opts(struct kd_cli *cli, bool no_devices, struct kd_ctx **out)
{
	struct kd_ctx_options opts = {
		.sysroot = cli->sysroot,
		.dump_path = no_devices ? NULL : cli->dump_path,
		.no_devices = no_devices,
		.log_fn = cli_log,
		.log_data = cli,
		.log_priority = cli->verbosity < 0 ? KD_LOG_ERR :
				cli->verbosity == 0 ? KD_LOG_WARNING :
				cli->verbosity == 1 ? KD_LOG_INFO :
						      KD_LOG_DEBUG,
	};

	return kd_ctx_new(&opts, out);
}

/* A global option given twice must say the same thing. */
static int set_once(const char **slot, const char *name, const char *v)
{
	if (*slot && strcmp(*slot, v) != 0) {
		fprintf(stderr, "kdsafe: %s given twice: '%s' and '%s'\n", name,
			*slot, v);
		return -1;
	}
	*slot = v;
	return 1;
}

int kd_cli_global_option(struct kd_cli *cli, int c, const char *arg)
{
	int ret;

	switch (c) {
	case KD_OPT_SYSROOT:
		ret = set_once(&cli->sysroot, "--sysroot", arg);
		break;
	case KD_OPT_DUMP:
		ret = set_once(&cli->dump_path, "--dump", arg);
		break;
	case KD_OPT_QUIET:
		cli->verbosity = -1;
		return 1;
	default:
		return 0;
	}
	if (ret > 0 && cli->sysroot && cli->dump_path) {
		fprintf(stderr, "kdsafe: --sysroot and --dump exclude each "
				"other\n");
		return -1;
	}
	return ret;
}

static int run_command(struct kd_cli *cli, int argc, char **argv)
{
	for (const struct kd_command *cmd = kd_commands; cmd->name; cmd++) {
		if (strcmp(cmd->name, argv[0]) == 0) {
			/* json-c seeds its default string hash from
			 * getrandom(GRND_NONBLOCK), else /dev/urandom, whose
			 * read in a capture kernel whose crng is not ready yet
			 * runs try_to_generate_entropy() until it is: the QEMU
			 * lab's hook waited 1 s there (urandom_read_iter(),
			 * drivers/char/random.c).  The documents kdsafe hashes
			 * are its own: the unseeded hash.  Not for other
			 * machines' journals: keys that collide under it cost
			 * ~0.7 s a 256 KiB record (tests/whitelist/run.sh).
			 * Set before any json-c table exists. */
			if (!cmd->foreign_json)
				json_global_set_string_hash(
					JSON_C_STR_HASH_PERLLIKE);
			optind = 0; /* re-initialise getopt for the command */
			return cmd->run(cli, argc, argv);
		}
	}
	fprintf(stderr, "kdsafe: unknown command '%s' (see kdsafe --help)\n",
		argv[0]);
	return KD_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		KD_CLI_GLOBAL_OPTIONS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct kd_cli cli = { .kmsg = KD_KMSG_INIT,
			      .log_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP };
	int c, ret;

	/* '+': stop at the command name; its options are its own, and the
	 * global ones may follow it too (kd_cli_global_option()) */
	while ((c = getopt_long(argc, argv, "+vhV" KD_CLI_GLOBAL_SHORT, opts,
				NULL)) != -1) {
		switch (c) {
		case 'v': cli.verbosity++; break;
		case 'h': usage(stdout); return kd_cli_close_stdout(KD_EXIT_OK);
		case 'V': printf("kdsafe %s\n", KDSAFE_VERSION);
			return kd_cli_close_stdout(KD_EXIT_OK);
		default:
			ret = kd_cli_global_option(&cli, c, optarg);
			if (ret > 0)
				break;
			if (ret == 0)
				usage(stderr);
			return KD_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return KD_EXIT_USAGE;
	}
	ret = run_command(&cli, argc - optind, argv + optind);
	json_object_put(cli.errors);
	kd_cli_close_kmsg(&cli);
	return kd_cli_close_stdout(ret);
}
