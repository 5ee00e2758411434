// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The first kernel's side of a crash cycle: recover the last cycle, write
 * the next cycle's intent (fsynced), load the capture kernel with the
 * step on its command line (kexec -p), and with --crash trigger the crash.
 * Also: finding the step on the kernel command line (kdsafe.step=).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign/campaign.h"

/* Documentation/ABI/testing/sysfs-kernel-kexec-kdump: kexec_crash_size is
 * the memory reserved by crashkernel=, 0 when none (no capture kernel can
 * be loaded); kexec_crash_loaded is 1 once one is. */
static int crash_memory(struct kd_ctx *ctx)
{
	static const char path[] = "/sys/kernel/kexec_crash_size";
	char buf[64];
	ssize_t n = kd_ctx_read_small(ctx, path, buf, sizeof(buf));

	if (n <= 0 || strtoull(buf, NULL, 0) == 0) {
		ERR(ctx, "no crash kernel can be loaded: %s%s %s (boot with "
			 "crashkernel=)", kd_ctx_sysroot(ctx), path,
		    n <= 0 ? "is missing or unreadable" : "is 0");
		return -ENOEXEC;
	}
	return 0;
}

static int write_intent(struct kd_ctx *ctx, const char *path,
			const struct kd_plan *p, const struct kd_plan_cycle *c)
{
	struct kd_journal_device *devs = calloc(c->n + 1, sizeof(*devs));
	char machine[128], kernel[128];
	struct kd_journal_cycle jc;
	struct kd_journal *j = NULL;
	struct json_object *rec;
	int err;

	if (!devs)
		return -ENOMEM;
	kd_campaign_identity(ctx, machine, sizeof(machine), kernel,
			     sizeof(kernel));
	jc = (struct kd_journal_cycle){ .machine = machine, .kernel = kernel,
					.cycle = c->cycle,
					.repeat = c->repeat,
					.variant = c->variant };
	for (size_t i = 0; i < c->n; i++)
		kd_plan_journal_device(&p->devices[c->devs[i]], &devs[i]);
	rec = kd_journal_intent_cycle(&jc, devs, c->n);
	err = rec ? kd_journal_open(ctx, path, NULL, &j) : -ENOMEM;
	if (!err)
		err = kd_journal_append(j, rec);
	if (j) {
		int cerr = kd_journal_close(j);

		err = err ? err : cerr;
	}
	json_object_put(rec);
	free(devs);
	return err;
}

int kd_campaign_next(struct kd_ctx *ctx, const char *dir,
		     const struct kd_next_opts *o,
		     const struct kd_campaign_ops *ops, unsigned *cycle)
{
	struct kd_campaign_progress pr;
	const struct kd_plan_cycle *c;
	char path[4096], append[PATH_MAX + 4200], initrd[4200];
	char absdir[PATH_MAX];
	struct kd_plan p;
	int err, n;

	*cycle = 0;
	if (!o->kernel || !o->initrd) {
		ERR(ctx, "the capture kernel needs --kernel and --initrd");
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, KD_JOURNAL_FILE);
	err = kd_plan_load(ctx, dir, &p);
	if (err < 0)
		return err;
	if (access(path, F_OK) == 0)
		err = kd_journal_recover(ctx, path, NULL, NULL);
	if (!err)
		err = kd_campaign_progress(ctx, dir, &p, &pr);
	if (err < 0)
		goto out;
	json_object_put(pr.last);
	c = kd_plan_cycle(&p, pr.next);
	if (!c) {
		NOTICE(ctx, "%s: plan finished", dir);
		goto out;
	}
	err = crash_memory(ctx);
	if (err < 0)
		goto out;
	/* absolute: the capture kernel's working directory is not ours */
	if (!realpath(dir, absdir)) {
		err = -errno;
		ERR(ctx, "%s: %s", dir, strerror(errno));
		goto out;
	}
	n = snprintf(append, sizeof(append), "%s%s" KD_STEP_ARG "%s:%u",
		     o->append ? o->append : "", o->append ? " " : "", absdir,
		     c->cycle);
	if (n < 0 || (size_t)n >= sizeof(append)) {
		err = -ENAMETOOLONG;
		ERR(ctx, "the capture kernel's command line is too long");
		goto out;
	}
	snprintf(initrd, sizeof(initrd), "--initrd=%s", o->initrd);
	/* the intent is on disk before anything can crash */
	err = write_intent(ctx, path, &p, c);
	if (err < 0)
		goto out;
	*cycle = c->cycle;
	{
		char app[sizeof(append) + 16];
		char *argv[] = { "kexec", "-p", (char *)o->kernel, initrd, app,
				 NULL };

		snprintf(app, sizeof(app), "--append=%s", append);
		err = ops->run(ops->data, ctx, argv);
	}
	if (err < 0) {
		ERR(ctx, "cycle %u: the capture kernel was not loaded; the "
			 "next run recovers the cycle as a hang", c->cycle);
		goto out;
	}
	if (o->crash)
		err = ops->crash(ops->data, ctx);
out:
	kd_plan_clear(&p);
	return err;
}

int kd_campaign_step_arg(struct kd_ctx *ctx, const char *cmdline, char *dir,
			 size_t len, unsigned *cycle)
{
	char buf[4096];
	const char *p, *colon, *end;
	unsigned long n_cycle;
	char *e = NULL;

	if (!cmdline) {
		kd_ctx_read_small(ctx, "/proc/cmdline", buf, sizeof(buf));
		cmdline = buf;
	}
	for (p = cmdline; (p = strstr(p, KD_STEP_ARG)); p++)
		if (p == cmdline || p[-1] == ' ')
			break;
	if (!p)
		return 0;
	p += strlen(KD_STEP_ARG);
	end = p + strcspn(p, " \n");
	for (colon = end; colon > p && *colon != ':'; colon--)
		;
	if (colon == p || (size_t)(colon - p) >= len) {
		ERR(ctx, "malformed %s on the kernel command line",
		    KD_STEP_ARG);
		return -EINVAL;
	}
	if (*p != '/') {
		ERR(ctx, "malformed %s: DIR is not an absolute path",
		    KD_STEP_ARG);
		return -EINVAL;
	}
	errno = 0;
	n_cycle = isdigit((unsigned char)colon[1]) ?
		  strtoul(colon + 1, &e, 10) : 0;
	if (n_cycle == 0 || errno || e != end || n_cycle > UINT_MAX) {
		ERR(ctx, "malformed %s: no cycle (1..%u) after ':'",
		    KD_STEP_ARG, UINT_MAX);
		return -EINVAL;
	}
	*cycle = (unsigned)n_cycle;
	memcpy(dir, p, (size_t)(colon - p));
	dir[colon - p] = '\0';
	return 1;
}
