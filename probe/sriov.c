// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * VF -> PF map from the PFs' SR-IOV capabilities, for functions seen
 * without a physfn link (a dump).  Built once per topology: every function
 * is opened once, and each PF's VF Routing IDs, an arithmetic progression
 * (SR-IOV 1.1 §3.3.10-11, the kernel's pci_iov_virtfn_bus/devfn()), are
 * matched against the functions present in that RID range only.  This
 * replaced a search that opened every function before each VF: a dump of
 * n VFs cost O(n^2) opens (bench/sriov.sh).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "sriov.h"
#include "access/regs.h"

struct kd_topo_pfs {
	pthread_mutex_t lock;
	bool built;
	struct kd_vf_origin *pf;   /* one per PF that places VFs */
	uint32_t *owner;           /* per topo node: index in pf + 1, or 0 */
};

int kd_topo_pfs_new(size_t n, struct kd_topo_pfs **out)
{
	struct kd_topo_pfs *pfs = calloc(1, sizeof(*pfs));

	if (!pfs)
		return -ENOMEM;
	/* sized with the topology, filled on first use */
	pfs->owner = calloc(n ? n : 1, sizeof(*pfs->owner));
	pfs->pf = calloc(n ? n : 1, sizeof(*pfs->pf));
	if (!pfs->owner || !pfs->pf) {
		free(pfs->owner);
		free(pfs->pf);
		free(pfs);
		return -ENOMEM;
	}
	pthread_mutex_init(&pfs->lock, NULL);
	*out = pfs;
	return 0;
}

void kd_topo_pfs_free(struct kd_topo_pfs *pfs)
{
	if (!pfs)
		return;
	pthread_mutex_destroy(&pfs->lock);
	free(pfs->pf);
	free(pfs->owner);
	free(pfs);
}

static unsigned rid_of(const struct kd_addr *a)
{
	return (unsigned)(a->bus << 8 | a->dev << 3 | a->fn);
}

/* First topo index at or after (domain, rid). */
static size_t lower_bound(const struct kd_topo *t, uint32_t domain,
			  unsigned rid)
{
	struct kd_addr k = { .domain = domain, .bus = (uint8_t)(rid >> 8),
			     .dev = (rid >> 3) & 0x1f, .fn = rid & 7 };
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (kd_addr_cmp(&t->v[mid].addr, &k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Claims, for PF number idx, every unclaimed function at one of its VF
 * RIDs: pf + offset + n * stride, n < num_vfs, within the 16-bit RID. */
static void claim_vfs(const struct kd_topo *t, uint32_t *owner,
		      size_t pf_node, uint32_t idx, unsigned offset,
		      unsigned stride, unsigned num_vfs)
{
	const struct kd_addr *pf = &t->v[pf_node].addr;
	unsigned first = rid_of(pf) + offset;
	unsigned last = first + (num_vfs - 1) * stride;

	if (first > 0xffff)
		return;
	if (last > 0xffff)
		last = 0xffff;
	for (size_t i = lower_bound(t, pf->domain, first);
	     i < t->n && t->v[i].addr.domain == pf->domain &&
	     rid_of(&t->v[i].addr) <= last; i++) {
		unsigned d = rid_of(&t->v[i].addr) - first;

		if (i == pf_node || owner[i] ||
		    (stride ? d % stride != 0 : d != 0))
			continue;
		owner[i] = idx + 1;
	}
}

static void build(const struct kd_topo *t, struct kd_ctx *ctx,
		  struct kd_topo_pfs *pfs)
{
	uint32_t n_pf = 0;

	/* address order, so the first PF to place a VF keeps it */
	for (size_t i = 0; i < t->n; i++) {
		struct kd_dev *dev;
		unsigned cap, num_vfs;

		if (kd_dev_open(ctx, &t->v[i].addr, &dev) < 0)
			continue;
		cap = kd_ecap_find(dev, PCI_EXT_CAP_ID_SRIOV);
		num_vfs = cap ? kd_cfg_read16(dev, cap + PCI_SRIOV_NUM_VF) : 0;
		if (num_vfs) {
			pfs->pf[n_pf] = (struct kd_vf_origin){
				.physfn = t->v[i].addr,
				.vendor = kd_cfg_read16(dev, PCI_VENDOR_ID),
				.device = kd_cfg_read16(dev, cap +
							PCI_SRIOV_VF_DID) };
			claim_vfs(t, pfs->owner, i, n_pf,
				  kd_cfg_read16(dev, cap + PCI_SRIOV_VF_OFFSET),
				  kd_cfg_read16(dev, cap + PCI_SRIOV_VF_STRIDE),
				  num_vfs);
			n_pf++;
		}
		kd_dev_free(dev);
	}
}

bool kd_topo_vf_origin(const struct kd_topo *topo, struct kd_dev *dev,
		       const struct kd_addr *a, struct kd_vf_origin *out)
{
	struct kd_topo_pfs *pfs = topo->pfs;
	const struct kd_topo_node *nd = kd_topo_find(topo, a);
	bool found = false;

	if (!pfs || !nd)
		return false;
	pthread_mutex_lock(&pfs->lock);
	if (!pfs->built) {
		build(topo, kd_dev_ctx(dev), pfs);
		pfs->built = true;
	}
	if (pfs->owner[nd - topo->v]) {
		*out = pfs->pf[pfs->owner[nd - topo->v] - 1];
		found = true;
	}
	pthread_mutex_unlock(&pfs->lock);
	return found;
}
