// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The driver-shutdown audit (docs/campaign.md): before a clean kexec
 * (kexec -l / kexec -e) record which driver each function had; after it,
 * before any driver binds, name each driver whose .shutdown left its
 * device bus mastering or with MSI, MSI-X or a pending INTx armed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access/regs.h"
#include "campaign/campaign.h"

struct before {
	struct json_object *list;
	struct kd_ctx *ctx;
};

static int record_one(const struct kd_addr *a, void *data)
{
	struct before *b = data;
	struct kd_probe_info in;
	struct json_object *o;
	struct kd_dev *dev;
	char name[KD_ADDR_STRLEN], id[16];

	if (kd_dev_open(b->ctx, a, &dev) < 0)
		return 0;
	kd_probe_identify(NULL, dev, &in);
	if (in.bound && in.driver[0]) {
		o = json_object_new_object();
		json_object_object_add(o, "address", json_object_new_string(
					       kd_addr_format(a, name)));
		snprintf(id, sizeof(id), "%04x:%04x", in.vendor, in.device);
		json_object_object_add(o, "id", json_object_new_string(id));
		snprintf(id, sizeof(id), "%06x", in.class_code);
		json_object_object_add(o, "class", json_object_new_string(id));
		json_object_object_add(o, "driver",
				       json_object_new_string(in.driver));
		json_object_array_add(b->list, o);
	}
	kd_probe_info_clear(&in);
	kd_dev_free(dev);
	return 0;
}

int kd_audit_before(struct kd_ctx *ctx, const char *dir)
{
	struct before b = { .list = json_object_new_array(), .ctx = ctx };
	struct json_object *o = json_object_new_object();
	char path[4096];
	int err;

	err = kd_enumerate(ctx, record_one, &b, NULL);
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "functions", b.list);
	snprintf(path, sizeof(path), "%s/%s", dir, KD_AUDIT_FILE);
	if (!err && json_object_to_file_ext(path, o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE) < 0) {
		ERR(ctx, "%s: cannot be written", path);
		err = -EIO;
	}
	json_object_put(o);
	return err;
}

static struct json_object *audit_one(struct kd_ctx *ctx,
				     struct json_object *f)
{
	const char *addr = json_object_get_string(
		json_object_object_get(f, "address"));
	const char *drv = json_object_get_string(
		json_object_object_get(f, "driver"));
	struct json_object *o = json_object_new_object(), *why;
	struct kd_probe_info in;
	struct kd_dev *dev;
	struct kd_addr a;
	bool live;

	json_object_object_add(o, "address", json_object_new_string(addr));
	json_object_object_add(o, "driver", json_object_new_string(drv));
	if (kd_addr_parse(addr, &a) < 0 || kd_dev_open(ctx, &a, &dev) < 0) {
		json_object_object_add(o, "state", json_object_new_string(
					       "gone"));
		return o;
	}
	kd_probe_identify(NULL, dev, &in);
	why = json_object_new_array();
	if (in.command & PCI_COMMAND_MASTER)
		json_object_array_add(why, json_object_new_string(
					      "bus-master"));
	if (in.msi_enable)
		json_object_array_add(why, json_object_new_string("msi"));
	if (in.msix_enable)
		json_object_array_add(why, json_object_new_string("msix"));
	if (in.reasons & KD_REASON_INTX_PENDING)
		json_object_array_add(why, json_object_new_string("intx"));
	live = json_object_array_length(why) > 0;
	json_object_object_add(o, "bound_now", json_object_new_boolean(
				       in.bound));
	json_object_object_add(o, "state", json_object_new_string(
		in.bound ? "bound-again" : live ? "live" : "quiet"));
	json_object_object_add(o, "left", why);
	json_object_object_add(o, "verdict", json_object_new_string(
				       kd_verdict_name(in.verdict)));
	kd_probe_info_clear(&in);
	kd_dev_free(dev);
	return o;
}

int kd_audit_after(struct kd_ctx *ctx, const char *dir,
		   struct json_object **out)
{
	struct json_object *before, *list;
	char path[4096];

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, KD_AUDIT_FILE);
	before = json_object_from_file(path);
	if (!before || !json_object_object_get_ex(before, "functions",
						  &list) ||
	    !json_object_is_type(list, json_type_array)) {
		ERR(ctx, "%s: no binding map (run kdsafe test audit --before "
			 "in the first kernel)", path);
		json_object_put(before);
		return -ENOENT;
	}
	*out = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(list); i++)
		json_object_array_add(*out, audit_one(ctx,
			json_object_array_get_idx(list, i)));
	json_object_put(before);
	return 0;
}
