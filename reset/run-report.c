// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a stopped or refused run tells: which functions were restored
 * after an interruption, and the refusal of every function when the
 * quirk database is incomplete.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access/regs.h"
#include "guard.h"

struct seen {
	struct kd_addr a[256];
	bool bad[256];     /* a config write to it failed */
	bool pending[256]; /* disabled, Command not written back since */
	size_t n;
};

static size_t see(struct seen *s, const struct kd_addr *a)
{
	for (size_t i = 0; i < s->n; i++)
		if (kd_addr_eq(&s->a[i], a))
			return i;
	if (s->n == sizeof(s->a) / sizeof(s->a[0]))
		return s->n - 1; /* more than 256: the last one stands in */
	s->a[s->n] = *a;
	return s->n++;
}

/* One operation: pci_dev_save_and_disable() opens a function, the
 * restore of its Command (an if-changed write at 0x04) closes it. */
static void see_op(struct seen *s, const struct kd_reset_op *op)
{
	size_t i = see(s, &op->addr);

	if (op->kind != KD_OP_CFG_WRITE)
		return;
	if (op->result < 0)
		s->bad[i] = true;
	if (op->pos == PCI_COMMAND && !op->if_changed && op->why &&
	    strncmp(op->why, "disable:", 8) == 0)
		s->pending[i] = true;
	else if (op->pos == PCI_COMMAND && op->result == 0)
		s->pending[i] = false;
}

static void list(const struct seen *s, bool bad, const char *title,
		 char *buf, size_t len)
{
	size_t used = strlen(buf), count = 0;
	char name[KD_ADDR_STRLEN];

	for (size_t i = 0; i < s->n; i++) {
		if (s->bad[i] != bad)
			continue;
		if (count++ == 0 && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s:",
						 used ? "\n" : "", title);
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, " %s",
						 kd_addr_format(&s->a[i], name));
	}
}

size_t kd_run_restore_report(const struct kd_reset_result *res, size_t n,
			     char *buf, size_t len)
{
	static struct seen s; /* large; only the CLI's main thread calls */
	size_t not_restored = 0;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < n; i++) {
		const struct kd_reset_result *r = &res[i];

		if (r->n_ops == 0)
			continue; /* never touched */
		for (size_t k = 0; k < r->n_ops; k++)
			see_op(&s, &r->ops[k]);
		for (size_t k = 0; k < r->n_also; k++)
			see(&s, &r->also[k]);
	}
	for (size_t i = 0; i < s.n; i++)
		s.bad[i] |= s.pending[i];
	if (len)
		buf[0] = '\0';
	list(&s, false, "restored", buf, len);
	list(&s, true, "not restored (check them)", buf, len);
	for (size_t i = 0; i < s.n; i++)
		not_restored += s.bad[i];
	if (len && !buf[0])
		snprintf(buf, len, "restored: none was touched");
	return not_restored;
}

void kd_run_refuse_all(const struct kd_addr *addrs, size_t n,
		       enum kd_reset_method m, const char *reason,
		       struct kd_reset_result *res)
{
	for (size_t i = 0; i < n; i++) {
		struct kd_reset_result *r = &res[i];

		r->addr = addrs[i];
		kd_addr_format(&r->addr, r->name);
		r->requested = m;
		r->used = m;
		r->status = KD_RS_REFUSED;
		r->err = -EACCES;
		snprintf(r->reason, sizeof(r->reason), "%s", reason);
	}
}
