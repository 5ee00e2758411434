/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Quirk scripts must not outlive kdsafe, nor the run's time budget:
 *  - kdsafe becomes a child subreaper (PR_SET_CHILD_SUBREAPER), so a
 *    script's descendant that leaves its process group or session
 *    (setsid, double fork) is reparented to kdsafe, not to init;
 *  - kd_proc_kill_descendants() kills and reaps every one of them (at the
 *    end of a run, after a signal);
 *  - the stop hook: the reset run registers whether it must stop and the
 *    time it has left; a running script is killed (its process group)
 *    when the run must stop, and never runs past the time left.
 */
#ifndef KDSAFE_QUIRKS_PROCS_H
#define KDSAFE_QUIRKS_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kd_quirk_stop {
	bool (*stopping)(void *data);
	uint64_t (*left_ns)(void *data); /* UINT64_MAX: no bound */
	void *data;
};

/* Registers (NULL: removes) the stop hook; set before threads start. */
void kd_quirk_set_stop(const struct kd_quirk_stop *s);
bool kd_quirk_stopping(void);
/* min(ns, the time the run has left) */
uint64_t kd_quirk_clamp_ns(uint64_t ns);

/* 0 or -errno */
int kd_proc_become_subreaper(void);
/* Field number field (3 or more, as proc(5) counts) of /proc/PID/stat
 * ("self" for this process) read into buf: where it starts in buf, or
 * NULL. */
const char *kd_proc_stat_field(const char *pid, unsigned field, char *buf,
			       size_t len);
/* SIGKILLs and reaps every descendant (found through /proc/PID/stat's
 * parent field); returns how many were killed. */
size_t kd_proc_kill_descendants(void);

#endif
