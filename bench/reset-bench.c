// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * make bench (mk/reset.mk): 64 simulated FLR-capable functions, each below
 * its own root port (independent reset domains), reset with REAL sleeps:
 * all domains at once (--jobs default), 8 jobs, and serially.  Prints wall
 * times and ratios; asserts nothing (timing belongs to no test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access/regs.h"
#include "reset/reset.h"
#include "support/sim.h"

#define N 64

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double run(unsigned jobs, unsigned *ok)
{
	struct kd_reset_result *res = calloc(N, sizeof(*res));
	struct kd_reset_opts o = { .method = KD_RM_FLR, .jobs = jobs };
	struct kd_sim *sim = kd_sim_new();
	struct kd_addr addrs[N];
	struct kd_ctx *ctx;
	double t0, t1;

	if (!res)
		exit(1);
	for (int i = 0; i < N; i++) {
		char rp[16], ep[16];
		struct kd_sim_fn *f;

		snprintf(rp, sizeof(rp), "00:%02x.%d", 1 + i / 8, i % 8);
		snprintf(ep, sizeof(ep), "%02x:00.0", 1 + i);
		kd_sim_add_bridge(sim, rp, NULL, 2, true);
		f = kd_sim_add(sim, ep, rp, 0x1b36, 0x0010, 0x010802);
		kd_sim_cap_pm(f, false);
		kd_sim_cap_msi(f);
		kd_sim_cap_exp(f, PCI_EXP_TYPE_ENDPOINT, true);
		kd_sim_make_nvme(f);
		kd_sim_set_live(f);
		kd_addr_parse(ep, &addrs[i]);
	}
	if (kd_sim_ctx_real(sim, &ctx) < 0)
		exit(1);
	t0 = now_ms();
	if (kd_reset_run(ctx, &o, addrs, N, res) < 0)
		exit(1);
	t1 = now_ms();
	*ok = 0;
	for (int i = 0; i < N; i++) {
		*ok += res[i].status == KD_RS_OK;
		kd_reset_result_clear(&res[i]);
	}
	free(res);
	kd_ctx_unref(ctx);
	kd_sim_free(sim);
	return t1 - t0;
}

int main(void)
{
	unsigned ok_all, ok_8, ok_1;
	double all = run(0, &ok_all);
	double eight = run(8, &ok_8);
	double serial = run(1, &ok_1);

	printf("reset bench: %d FLR-capable functions, independent domains, "
	       "real sleeps (FLR wait 100 ms each)\n", N);
	printf("  --jobs all: %8.1f ms  %.2f x 100 ms  (%u/%d ok)\n", all,
	       all / 100.0, ok_all, N);
	printf("  --jobs 8:   %8.1f ms  %.2f x 100 ms  (%u/%d ok)\n", eight,
	       eight / 100.0, ok_8, N);
	printf("  --jobs 1:   %8.1f ms  %.2f x 100 ms  (%u/%d ok)\n", serial,
	       serial / 100.0, ok_1, N);
	printf("  serial / parallel: %.1fx (target: parallel <= 1.3 x 100 "
	       "ms, serial ~ %d x)\n", serial / all, N);
	return ok_all == N && ok_8 == N && ok_1 == N ? 0 : 1;
}
