/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which PF's SR-IOV capability places a VF at an address: the map a dump
 * (no physfn links) needs, built once per topology on first use.
 */
#ifndef KDSAFE_SRIOV_H
#define KDSAFE_SRIOV_H

#include "probe.h"

/* The map's storage for n functions, allocated with the topology
 * (kd_topo_load): 0 or -ENOMEM. */
int kd_topo_pfs_new(size_t n, struct kd_topo_pfs **out);
void kd_topo_pfs_free(struct kd_topo_pfs *pfs);

struct kd_vf_origin {
	struct kd_addr physfn;
	uint16_t vendor;    /* the PF's Vendor ID */
	uint16_t device;    /* its SR-IOV VF Device ID */
};

/*
 * The first PF (address order) whose SR-IOV capability (NumVFs, First VF
 * Offset, VF Stride; SR-IOV 1.1 §3.3.10-11) places a VF at a: true with
 * *out filled.  The first call opens every function once (through
 * dev's context) and builds the map; later calls are a binary search.
 * Safe from concurrent reset workers.
 */
bool kd_topo_vf_origin(const struct kd_topo *topo, struct kd_dev *dev,
		       const struct kd_addr *a, struct kd_vf_origin *out);

#endif
