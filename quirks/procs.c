// SPDX-License-Identifier: GPL-2.0-or-later
/* Keeping quirk scripts' process trees inside kdsafe's life (procs.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procs.h"

static struct kd_quirk_stop stop;

void kd_quirk_set_stop(const struct kd_quirk_stop *s)
{
	if (s)
		stop = *s;
	else
		memset(&stop, 0, sizeof(stop));
}

bool kd_quirk_stopping(void)
{
	return stop.stopping && stop.stopping(stop.data);
}

uint64_t kd_quirk_clamp_ns(uint64_t ns)
{
	uint64_t left = stop.left_ns ? stop.left_ns(stop.data) : UINT64_MAX;

	return ns < left ? ns : left;
}

int kd_proc_become_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -errno : 0;
}

const char *kd_proc_stat_field(const char *pid, unsigned field, char *buf,
			       size_t len)
{
	char path[64], *p;
	ssize_t n;
	int fd;

	if (field < 3 || len < 2)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold spaces and parentheses */
	p = strrchr(buf, ')');
	for (unsigned f = 2; p && f < field; f++)
		p = strchr(p + 1, ' ');
	return p && p[1] ? p + 1 : NULL;
}

/* The parent of pid, or -1 (also for a zombie) */
static long parent_of(const char *pid)
{
	char buf[512];
	const char *state = kd_proc_stat_field(pid, 3, buf, sizeof(buf));

	if (!state || state[0] == 'Z' || state[1] != ' ')
		return -1; /* a zombie is only reaped */
	return strtol(state + 2, NULL, 10);
}

/* One pass: kills and reaps the current children; how many. */
static size_t kill_children(long self)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		long pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (parent_of(de->d_name) != self)
			continue;
		pid = strtol(de->d_name, NULL, 10);
		/* its process group first: a script's helpers with it */
		kill(-(pid_t)pid, SIGKILL);
		kill((pid_t)pid, SIGKILL);
		n++;
	}
	closedir(d);
	/* reap: orphans of what died are reparented to us (subreaper) */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return n;
}

size_t kd_proc_kill_descendants(void)
{
	long self = (long)getpid();
	size_t total = 0;

	/* no child at all: no descendant either (an orphan of a quirk script
	 * is reparented to this subreaper, a child).  The usual case, and the
	 * scan reads /proc/PID/stat of every process on the machine. */
	if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
		return 0;

	for (unsigned round = 0; round < 64; round++) {
		size_t n = kill_children(self);

		if (n == 0)
			break;
		total += n;
		/* let the killed ones die and their orphans reparent */
		for (unsigned i = 0; i < 50; i++) {
			struct timespec ts = { 0, 2000000 };

			if (waitpid(-1, NULL, WNOHANG) <= 0)
				nanosleep(&ts, NULL);
		}
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return total;
}
