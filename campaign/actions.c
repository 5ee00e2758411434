// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The real external actions of a campaign: run kexec-tools, crash through
 * sysrq, load a module through libkmod.  They refuse unless the caller
 * allowed acting on this machine (--allow-real-sysfs), and always in the
 * test build (KDSAFE_NO_REAL_WRITES): tests inject their own.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "campaign/campaign.h"
#include "probe/kmod.h"

static bool allowed(struct kd_ctx *ctx, void *data, const char *what)
{
#ifdef KDSAFE_NO_REAL_WRITES
	(void)data;
	ERR(ctx, "%s refused: this is the test build", what);
	return false;
#else
	if (!data) {
		ERR(ctx, "%s refused: acting on this machine needs "
			 "--allow-real-sysfs", what);
		return false;
	}
	return true;
#endif
}

static int real_run(void *data, struct kd_ctx *ctx, char *const argv[])
{
	int status;
	pid_t pid;

	if (!allowed(ctx, data, argv[0]))
		return -EPERM;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		ERR(ctx, "%s failed (status %d)", argv[0],
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -EIO;
	}
	return 0;
}

/* Documentation/admin-guide/sysrq.rst: 'c' crashes the system (a NULL
 * dereference), which a loaded crash kernel then catches. */
static int real_crash(void *data, struct kd_ctx *ctx)
{
	char path[4096];
	int fd, err = 0;

	if (!allowed(ctx, data, "crash"))
		return -EPERM;
	if (kd_ctx_path(ctx, path, sizeof(path), "/proc/sysrq-trigger") < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "c", 1) != 1)
		err = -errno;
	if (fd >= 0)
		close(fd);
	ERR(ctx, "%s: the crash did not happen: %s", path,
	    strerror(err ? -err : EIO));
	return err ? err : -EIO;
}

static int real_load(void *data, struct kd_ctx *ctx, const char *module,
		     const char *address)
{
	const struct kd_kmod *km;
	const char *why = NULL;
	struct kmod_ctx *k;
	struct kmod_module *m = NULL;
	int err;

	if (!allowed(ctx, data, "loading a module"))
		return -EPERM;
	if (kd_ctx_sysroot(ctx)[0]) {
		ERR(ctx, "%s: modules load only without --sysroot", address);
		return -EPERM;
	}
	km = kd_kmod(&why);
	if (!km) {
		ERR(ctx, "%s: loading %s: %s", address, module, why);
		return -ELIBACC;
	}
	k = km->new_ctx(NULL, NULL);
	if (!k)
		return -ENOMEM;
	err = km->module_new_from_name(k, module, &m);
	if (err == 0)
		err = km->module_probe_insert_module(m, 0, NULL, NULL, NULL,
						     NULL);
	if (err > 0)
		err = -EPERM; /* blacklisted or refused by a kmod config */
	if (err < 0)
		ERR(ctx, "%s: loading %s failed: %s", address, module,
		    strerror(-err));
	if (m)
		km->module_unref(m);
	km->unref(k);
	return err;
}

void kd_campaign_real_ops(struct kd_campaign_ops *ops, bool allow_real)
{
	static int token;

	memset(ops, 0, sizeof(*ops));
	ops->run = real_run;
	ops->crash = real_crash;
	ops->load = real_load;
	ops->data = allow_real ? &token : NULL;
}
