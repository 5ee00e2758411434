// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SIGTERM, SIGINT and SIGHUP during a reset: the handler only records the
 * signal (async-signal-safe: one sig_atomic_t store).  The runner checks
 * it between operations and stops starting resets; the guard's clock cuts
 * every wait that is not mandated short, so the reset in flight reaches
 * its restore quickly.  No SA_RESTART: a blocking nanosleep or waitpid in
 * the thread that took the signal returns EINTR at once.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "guard.h"

static volatile sig_atomic_t caught;
static const int watched[] = { SIGTERM, SIGINT, SIGHUP };
static struct sigaction saved[3];
static bool installed;

static void on_signal(int signo)
{
	if (!caught)
		caught = signo;
}

int kd_run_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: sleeps and waits return EINTR */
	for (size_t i = 0; i < 3; i++) {
		if (sigaction(watched[i], &sa, &saved[i]) < 0) {
			int err = -errno;

			while (i--)
				sigaction(watched[i], &saved[i], NULL);
			return err;
		}
	}
	installed = true;
	return 0;
}

void kd_run_signals_restore(void)
{
	if (!installed)
		return;
	for (size_t i = 0; i < 3; i++)
		sigaction(watched[i], &saved[i], NULL);
	installed = false;
}

int kd_run_signal_caught(void)
{
	return caught;
}

void kd_run_signal_raise(int signo)
{
	on_signal(signo);
}

void kd_run_signal_clear(void)
{
	caught = 0;
}
