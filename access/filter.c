// SPDX-License-Identifier: GPL-2.0-or-later
/* Device arguments in the syntax lspci and setpci users know, parsed by
 * libpci's own filter parser. */
#include <errno.h>
#include <pci/pci.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"

/* lspci tells -s from -d by option, we by shape: an ID has no dot and
 * 4-digit (or empty) fields around its colon: "8086:10d3", "8086:", ":10d3" */
static bool looks_like_id(const char *arg)
{
	const char *colon = strchr(arg, ':');
	size_t first, second;

	if (!colon || strchr(arg, '.'))
		return false;
	first = (size_t)(colon - arg);
	second = strcspn(colon + 1, ":");
	return (first == 0 || first == 4) && (second == 0 || second == 4);
}

int kd_filter_parse(const char *arg, struct kd_filter *f)
{
	struct pci_filter pf;
	char *copy = strdup(arg), *err;
	bool is_id;

	if (!copy)
		return -ENOMEM;
	pci_filter_init(NULL, &pf);
	is_id = looks_like_id(arg);
	err = is_id ? pci_filter_parse_id(&pf, copy) :
		      pci_filter_parse_slot(&pf, copy);
	free(copy);
	if (err)
		return -EINVAL;
	f->domain = pf.domain;
	f->bus = pf.bus;
	f->dev = pf.slot;
	f->fn = pf.func;
	f->vendor = pf.vendor;
	f->device = pf.device;
	f->class_code = pf.device_class;
	return 0;
}

bool kd_filter_match(const struct kd_filter *f, const struct kd_addr *a,
		     uint16_t vendor, uint16_t device, uint32_t class_code)
{
	return (f->domain < 0 || (uint32_t)f->domain == a->domain) &&
	       (f->bus < 0 || f->bus == a->bus) &&
	       (f->dev < 0 || f->dev == a->dev) &&
	       (f->fn < 0 || f->fn == a->fn) &&
	       (f->vendor < 0 || f->vendor == vendor) &&
	       (f->device < 0 || f->device == device) &&
	       (f->class_code < 0 ||
		(uint32_t)f->class_code == class_code >> 8);
}
