// SPDX-License-Identifier: GPL-2.0-or-later
/* One probe result as a JSON object; schema in docs/json-schema.md. */
#include <stdio.h>
#include <string.h>

#include "probe-output.h"
#include "access/regs.h"

/* keys are literals, each added once: no copy, no lookup */
#define ADD(o, k, v)                                                        \
	json_object_object_add_ex(o, k, v, JSON_C_OBJECT_ADD_KEY_IS_NEW |     \
				  JSON_C_OBJECT_ADD_CONSTANT_KEY)

static struct json_object *hex(unsigned v, int digits)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%0*x", digits, v);
	return json_object_new_string(buf);
}

static struct json_object *addr_json(const struct kd_addr *a)
{
	char s[KD_ADDR_STRLEN];

	return json_object_new_string(kd_addr_format(a, s));
}

static struct json_object *boolean(unsigned v)
{
	return json_object_new_boolean(v != 0);
}

static const char *pcie_type_name(int t)
{
	switch (t) {
	case PCI_EXP_TYPE_ENDPOINT: return "endpoint";
	case PCI_EXP_TYPE_LEG_END: return "legacy-endpoint";
	case PCI_EXP_TYPE_ROOT_PORT: return "root-port";
	case PCI_EXP_TYPE_UPSTREAM: return "upstream-port";
	case PCI_EXP_TYPE_DOWNSTREAM: return "downstream-port";
	case PCI_EXP_TYPE_PCI_BRIDGE: return "pcie-to-pci-bridge";
	case PCI_EXP_TYPE_PCIE_BRIDGE: return "pci-to-pcie-bridge";
	case PCI_EXP_TYPE_RC_END: return "rc-integrated-endpoint";
	case PCI_EXP_TYPE_RC_EC: return "rc-event-collector";
	}
	return "unknown";
}

static struct json_object *reset_json(const struct kd_probe_info *in)
{
	struct json_object *r = json_object_new_object();
	struct json_object *m = json_object_new_array();
	static const enum kd_reset_cap order[] = { KD_RESET_FLR,
						   KD_RESET_AF_FLR,
						   KD_RESET_PM, KD_RESET_BUS };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (in->reset_caps & order[i])
			json_object_array_add(m, json_object_new_string(
						 kd_reset_cap_name(order[i])));
	ADD(r, "methods", m);
	ADD(r, "flr", boolean(in->reset_caps & KD_RESET_FLR));
	ADD(r, "af_flr", boolean(in->reset_caps & KD_RESET_AF_FLR));
	ADD(r, "pm", boolean(in->reset_caps & KD_RESET_PM));
	ADD(r, "pm_no_soft_reset", in->pm_cap ? boolean(in->pm_no_soft_reset) :
						NULL);
	ADD(r, "bus", boolean(in->reset_caps & KD_RESET_BUS));
	ADD(r, "bus_unavailable", in->bus_reset_why_not ?
		json_object_new_string(in->bus_reset_why_not) : NULL);
	ADD(r, "hotplug_slot", boolean(in->hotplug_slot));
	ADD(r, "immediate_readiness", boolean(in->immediate_readiness));
	if (in->has_kernel_methods) {
		struct json_object *k = json_object_new_array();
		char buf[sizeof(in->kernel_methods)], *save, *tok;

		snprintf(buf, sizeof(buf), "%s", in->kernel_methods);
		for (tok = strtok_r(buf, " \t", &save); tok;
		     tok = strtok_r(NULL, " \t", &save))
			json_object_array_add(k, json_object_new_string(tok));
		ADD(r, "kernel_methods", k);
	} else {
		ADD(r, "kernel_methods", NULL);
	}
	return r;
}

static struct json_object *state_json(const struct kd_probe_info *in)
{
	struct json_object *s = json_object_new_object(), *o;
	static const char *const dstate[] = { "D0", "D1", "D2", "D3hot" };

	o = json_object_new_object();
	ADD(o, "raw", json_object_new_int(in->command));
	ADD(o, "io", boolean(in->command & PCI_COMMAND_IO));
	ADD(o, "memory", boolean(in->command & PCI_COMMAND_MEMORY));
	ADD(o, "bus_master", boolean(in->command & PCI_COMMAND_MASTER));
	ADD(o, "intx_disable", boolean(in->command & PCI_COMMAND_INTX_DISABLE));
	ADD(s, "command", o);

	o = json_object_new_object();
	ADD(o, "raw", json_object_new_int(in->status));
	ADD(o, "intx_pending", boolean(in->status & PCI_STATUS_INTERRUPT));
	ADD(o, "master_data_parity_error", boolean(in->status &
						   PCI_STATUS_PARITY));
	ADD(o, "signaled_target_abort", boolean(in->status &
						PCI_STATUS_SIG_TARGET_ABORT));
	ADD(o, "received_target_abort", boolean(in->status &
						PCI_STATUS_REC_TARGET_ABORT));
	ADD(o, "received_master_abort", boolean(in->status &
						PCI_STATUS_REC_MASTER_ABORT));
	ADD(o, "signaled_system_error", boolean(in->status &
						PCI_STATUS_SIG_SYSTEM_ERROR));
	ADD(o, "detected_parity_error", boolean(in->status &
						PCI_STATUS_DETECTED_PARITY));
	ADD(s, "status", o);

	ADD(s, "power_state", in->power_state >= 0 ?
		json_object_new_string(dstate[in->power_state]) : NULL);

	o = NULL;
	if (in->msi_cap) {
		o = json_object_new_object();
		ADD(o, "enable", boolean(in->msi_enable));
		ADD(o, "vectors_enabled",
		    json_object_new_int((int)in->msi_vectors_enabled));
		ADD(o, "vectors_max", json_object_new_int((int)in->msi_vectors_max));
	}
	ADD(s, "msi", o);

	o = NULL;
	if (in->msix_cap) {
		o = json_object_new_object();
		ADD(o, "enable", boolean(in->msix_enable));
		ADD(o, "function_mask", boolean(in->msix_masked));
		ADD(o, "table_size", json_object_new_int((int)in->msix_table_size));
	}
	ADD(s, "msix", o);

	o = NULL;
	if (in->exp_cap) {
		o = json_object_new_object();
		ADD(o, "devctl", json_object_new_int(in->devctl));
		ADD(o, "devsta", json_object_new_int(in->devsta));
		ADD(o, "transactions_pending",
		    boolean(in->devsta & PCI_EXP_DEVSTA_TRPND));
		ADD(o, "correctable_error", boolean(in->devsta &
						    PCI_EXP_DEVSTA_CED));
		ADD(o, "nonfatal_error", boolean(in->devsta &
						 PCI_EXP_DEVSTA_NFED));
		ADD(o, "fatal_error", boolean(in->devsta & PCI_EXP_DEVSTA_FED));
		ADD(o, "unsupported_request", boolean(in->devsta &
						      PCI_EXP_DEVSTA_URD));
	}
	ADD(s, "pcie", o);

	o = NULL;
	if (in->aer_cap) {
		o = json_object_new_object();
		ADD(o, "uncorrectable_status", json_object_new_int64(in->aer_uncor));
		ADD(o, "correctable_status", json_object_new_int64(in->aer_cor));
	}
	ADD(s, "aer", o);

	o = NULL;
	if (in->has_link) {
		o = json_object_new_object();
		ADD(o, "speed", json_object_new_string(
					kd_link_speed_name(in->link_speed)));
		ADD(o, "width", json_object_new_int((int)in->link_width));
		ADD(o, "dll_active", boolean(in->link_dll_active));
		ADD(o, "dll_active_reporting", boolean(in->link_dll_reporting));
		ADD(o, "training", boolean(in->link_training));
	}
	ADD(s, "link", o);
	return s;
}

struct json_object *kd_probe_to_json(const struct kd_probe_info *in)
{
	struct json_object *o = json_object_new_object(), *a, *d = NULL;

	ADD(o, "address", addr_json(&in->addr));
	ADD(o, "vendor", hex(in->vendor, 4));
	ADD(o, "device", hex(in->device, 4));
	ADD(o, "config_size", json_object_new_int((int)in->config_len));
	if (in->dead) {
		ADD(o, "verdict", json_object_new_string(
					  kd_verdict_name(in->verdict)));
	} else {
		ADD(o, "subsystem_vendor", hex(in->subsys_vendor, 4));
		ADD(o, "subsystem_device", hex(in->subsys_device, 4));
		ADD(o, "class", hex(in->class_code, 6));
		ADD(o, "revision", hex(in->revision, 2));
		ADD(o, "header_type", json_object_new_int(in->header_type));
		ADD(o, "multifunction", boolean(in->multifunction));
		ADD(o, "pcie_type", in->pcie_type >= 0 ?
			json_object_new_string(pcie_type_name(in->pcie_type)) :
			NULL);
	}
	ADD(o, "parent", in->has_parent ? addr_json(&in->parent) : NULL);
	a = json_object_new_array();
	for (unsigned i = 0; i < in->n_siblings; i++)
		json_object_array_add(a, addr_json(&in->siblings[i]));
	ADD(o, "siblings", a);
	if (in->dead)
		goto reasons;
	ADD(o, "physfn", in->is_vf ? addr_json(&in->physfn) : NULL);
	if (in->bound) {
		d = json_object_new_object();
		ADD(d, "name", json_object_new_string(in->driver));
		ADD(d, "builtin", boolean(in->driver_builtin));
	}
	ADD(o, "driver", d);
	ADD(o, "modalias", json_object_new_string(in->modalias));
	a = json_object_new_array();
	for (unsigned i = 0; i < in->n_modules; i++)
		json_object_array_add(a, json_object_new_string(in->modules[i]));
	ADD(o, "modules", a);
	ADD(o, "reset", reset_json(in));
	ADD(o, "state", state_json(in));
	ADD(o, "verdict", json_object_new_string(kd_verdict_name(in->verdict)));
reasons:
	a = json_object_new_array();
	for (unsigned bit = 1; bit < 1u << KD_REASON_COUNT; bit <<= 1) {
		struct json_object *r;

		if (!(in->reasons & bit))
			continue;
		r = json_object_new_object();
		ADD(r, "id", json_object_new_string(kd_reason_word(bit)));
		ADD(r, "text", json_object_new_string(kd_reason_text(bit)));
		json_object_array_add(a, r);
	}
	ADD(o, "reasons", a);
	return o;
}
