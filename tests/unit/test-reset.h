/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by tests/unit/test-reset*.c: a sim world and a one-call reset. */
#ifndef KDSAFE_TEST_RESET_H
#define KDSAFE_TEST_RESET_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "access/regs.h"
#include "reset/reset.h"
#include "support/sim.h"

#define MSN(x) ((uint64_t)(x) * 1000000ull)

struct world {
	struct kd_sim *sim;
	struct kd_ctx *ctx;
	struct kd_reset_result res[16];
	size_t n;
};

static inline struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->sim = kd_sim_new();
	return w;
}

static inline void world_free(struct world *w)
{
	for (size_t i = 0; i < w->n; i++)
		kd_reset_result_clear(&w->res[i]);
	kd_ctx_unref(w->ctx);
	kd_sim_free(w->sim);
	free(w);
}

/* a live endpoint with PM, MSI and PCIe (FLR as given) below a root port
 * (created at 2.5 GT/s when missing; rp NULL: on the root bus) */
static inline struct kd_sim_fn *endpoint(struct world *w, const char *rp,
					 const char *bdf, uint16_t vendor,
					 uint16_t device, bool flr)
{
	struct kd_sim_fn *f;

	if (rp && !kd_sim_find(w->sim, rp))
		kd_sim_add_bridge(w->sim, rp, NULL, 1, true);
	f = kd_sim_add(w->sim, bdf, rp, vendor, device, 0x020000);
	kd_sim_cap_pm(f, false);
	kd_sim_cap_msi(f);
	kd_sim_cap_exp(f, PCI_EXP_TYPE_ENDPOINT, flr);
	kd_sim_set_live(f);
	return f;
}

/* an FLR-capable live endpoint below a 5 GT/s root port */
static inline struct kd_sim_fn *flr_endpoint(struct world *w, const char *rp,
					     const char *bdf)
{
	struct kd_sim_fn *f;

	if (!kd_sim_find(w->sim, rp))
		kd_sim_add_bridge(w->sim, rp, NULL, 2, true);
	f = kd_sim_add(w->sim, bdf, rp, 0x1234, 0x0001, 0x020000);
	kd_sim_cap_pm(f, false);
	kd_sim_cap_msi(f);
	kd_sim_cap_exp(f, PCI_EXP_TYPE_ENDPOINT, true);
	kd_sim_set_live(f);
	return f;
}

/* a live FLR-capable virtio-net (modern common configuration in BAR4)
 * below a 5 GT/s root port */
static inline struct kd_sim_fn *virtio_endpoint(struct world *w,
						const char *rp,
						const char *bdf)
{
	struct kd_sim_fn *f;

	if (!kd_sim_find(w->sim, rp))
		kd_sim_add_bridge(w->sim, rp, NULL, 2, true);
	f = kd_sim_add(w->sim, bdf, rp, 0x1af4, 0x1041, 0x020000);
	kd_sim_cap_exp(f, PCI_EXP_TYPE_ENDPOINT, true);
	kd_sim_make_virtio(f);
	kd_sim_set_live(f);
	return f;
}

/* Full config-space reads of fn (kd_dev_open, kd_dev_refresh), not
 * polls; fn must be traced (kd_sim_trace_reads). */
static inline size_t full_reads(struct world *w, struct kd_sim_fn *fn)
{
	size_t n = 0;

	for (size_t i = 0; i < kd_sim_n_events(w->sim); i++) {
		const struct kd_sim_event *e = kd_sim_event(w->sim, i);

		n += e->kind == KD_SIM_EV_CFG_READ &&
		     kd_addr_eq(&e->addr, kd_sim_fn_addr(fn)) &&
		     e->pos == 0 && e->width > 4;
	}
	return n;
}

/* Runs a reset of the given addresses ("01:00.0", ...; NULL-terminated). */
static inline int run_reset(struct world *w, struct kd_reset_opts *o, ...)
{
	struct kd_addr addrs[16];
	const char *s;
	va_list ap;
	int err;

	if (!w->ctx)
		assert_int_equal(kd_sim_ctx(w->sim, &w->ctx), 0);
	for (size_t i = 0; i < w->n; i++)
		kd_reset_result_clear(&w->res[i]);
	w->n = 0;
	va_start(ap, o);
	while ((s = va_arg(ap, const char *)) && w->n < 16) {
		if (kd_addr_parse(s, &addrs[w->n]) < 0)
			fail_msg("bad test address %s", s);
		w->n++;
	}
	va_end(ap);
	memset(w->res, 0, sizeof(w->res));
	kd_sim_clear_log(w->sim);
	err = kd_reset_run(w->ctx, o, addrs, w->n, w->res);
	return err;
}

static inline const struct kd_addr *A(const struct kd_sim_fn *f)
{
	return kd_sim_fn_addr(f);
}

#endif
