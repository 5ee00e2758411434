/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the whitelist's own files only. */
#ifndef KDSAFE_WHITELIST_INTERNAL_H
#define KDSAFE_WHITELIST_INTERNAL_H

#include "whitelist/whitelist.h"

/* Judges every device and sorts them by ids, driver, kernel. */
void kd_wl_judge_all(struct kd_wl_device **devs, size_t n);

#endif
