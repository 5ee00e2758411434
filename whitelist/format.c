// SPDX-License-Identifier: GPL-2.0-or-later
/* The whitelist as a table, JSON (json-c), CSV (RFC 4180) or Markdown. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "whitelist/internal.h"

#define EVIDENCE_MAX 2048

int kd_wl_format_parse(const char *name, enum kd_wl_format *out)
{
	static const char *const names[] = {
		[KD_WL_TABLE] = "table", [KD_WL_JSON] = "json",
		[KD_WL_CSV] = "csv", [KD_WL_MARKDOWN] = "markdown",
		[KD_WL_HTML] = "html",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum kd_wl_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

struct row {
	char id[10], subsys[10], verdict[256], evidence[EVIDENCE_MAX];
	const char *driver, *kernel;
};

static void row_of(const struct kd_wl_device *d, struct row *r)
{
	snprintf(r->id, sizeof(r->id), "%04x:%04x", d->vendor, d->device);
	snprintf(r->subsys, sizeof(r->subsys), "%04x:%04x", d->subsys_vendor,
		 d->subsys_device);
	r->driver = d->driver[0] ? d->driver : "-";
	r->kernel = d->kernel;
	kd_wl_verdict_text(d, r->verdict, sizeof(r->verdict));
	kd_wl_evidence(d, r->evidence, sizeof(r->evidence));
}

static int max_int(int a, size_t b)
{
	return (size_t)a > b ? a : (int)b;
}

static void write_table(FILE *f, struct kd_wl_device *const *devs, size_t n)
{
	int w_drv = 6, w_krn = 6, w_ver = 7;
	struct row r;

	for (size_t i = 0; i < n; i++) {
		row_of(devs[i], &r);
		w_drv = max_int(w_drv, strlen(r.driver));
		w_krn = max_int(w_krn, strlen(r.kernel));
		w_ver = max_int(w_ver, strlen(r.verdict));
	}
	fprintf(f, "%-9s  %-9s  %-*s  %-*s  %-*s  %s\n", "DEVICE", "SUBSYSTEM",
		w_drv, "DRIVER", w_krn, "KERNEL", w_ver, "VERDICT", "EVIDENCE");
	for (size_t i = 0; i < n; i++) {
		row_of(devs[i], &r);
		fprintf(f, "%-9s  %-9s  %-*s  %-*s  %-*s  %s\n", r.id, r.subsys,
			w_drv, r.driver, w_krn, r.kernel, w_ver, r.verdict,
			r.evidence);
	}
}

static void csv_field(FILE *f, const char *s, const char *end)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputs(end, f);
}

static void write_csv(FILE *f, struct kd_wl_device *const *devs, size_t n)
{
	struct row r;

	fputs("device,subsystem,driver,kernel,verdict,fix,evidence\r\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct kd_wl_device *d = devs[i];

		row_of(d, &r);
		csv_field(f, r.id, ",");
		csv_field(f, r.subsys, ",");
		csv_field(f, d->driver, ",");
		csv_field(f, r.kernel, ",");
		csv_field(f, kd_wl_verdict_name(d->verdict), ",");
		csv_field(f, d->verdict == KD_WL_SAFE_WITH ? d->fix->variant :
			  d->verdict == KD_WL_INCONSISTENT ? r.verdict +
			  strlen("inconsistent: ") : "", ",");
		csv_field(f, r.evidence, "\r\n");
	}
}

static void md_cell(FILE *f, const char *s)
{
	fputs(" ", f);
	for (; *s; s++) {
		if (*s == '|' || *s == '\\' || *s == '*' || *s == '_')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputs(" |", f);
}

static void write_markdown(FILE *f, struct kd_wl_device *const *devs,
			   size_t n)
{
	struct row r;

	fputs("| Device | Subsystem | Driver | Kernel | Verdict | Evidence |\n"
	      "|---|---|---|---|---|---|\n", f);
	for (size_t i = 0; i < n; i++) {
		row_of(devs[i], &r);
		fputs("|", f);
		md_cell(f, r.id);
		md_cell(f, r.subsys);
		md_cell(f, r.driver);
		md_cell(f, r.kernel);
		md_cell(f, r.verdict);
		md_cell(f, r.evidence);
		fputs("\n", f);
	}
}

static struct json_object *jhex(unsigned v, int width)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%0*x", width, v);
	return json_object_new_string(buf);
}

static struct json_object *device_json(const struct kd_wl_device *d)
{
	struct json_object *o = json_object_new_object();
	struct json_object *vars = json_object_new_array(), *mixed = NULL;
	char ev[EVIDENCE_MAX];

	json_object_object_add(o, "vendor", jhex(d->vendor, 4));
	json_object_object_add(o, "device", jhex(d->device, 4));
	json_object_object_add(o, "subsys_vendor", jhex(d->subsys_vendor, 4));
	json_object_object_add(o, "subsys_device", jhex(d->subsys_device, 4));
	json_object_object_add(o, "class", jhex(d->class_code, 6));
	json_object_object_add(o, "driver", d->driver[0] ?
				   json_object_new_string(d->driver) : NULL);
	json_object_object_add(o, "kernel", json_object_new_string(d->kernel));
	json_object_object_add(o, "verdict",
			       json_object_new_string(
				       kd_wl_verdict_name(d->verdict)));
	json_object_object_add(o, "fix", d->verdict == KD_WL_SAFE_WITH ?
				   json_object_new_string(d->fix->variant) :
				   NULL);
	for (size_t i = 0; i < d->n_cells; i++) {
		const struct kd_wl_cell *c = &d->cells[i];
		struct json_object *v = json_object_new_object();
		struct json_object *counts = json_object_new_object();
		enum kd_wl_state s = kd_wl_cell_state(c);

		if (s == KD_WL_CELL_MIXED) {
			if (!mixed)
				mixed = json_object_new_array();
			json_object_array_add(mixed,
					      json_object_new_string(c->variant));
		}
		json_object_object_add(v, "variant",
				       json_object_new_string(c->variant));
		json_object_object_add(v, "state", json_object_new_string(
					       kd_wl_state_name(s)));
		for (int k = 0; k < KD_OUTCOME_COUNT; k++)
			if (c->n[k])
				json_object_object_add(counts,
					kd_outcome_name((enum kd_outcome)k),
					json_object_new_int64((int64_t)c->n[k]));
		json_object_object_add(v, "outcomes", counts);
		json_object_array_add(vars, v);
	}
	json_object_object_add(o, "inconsistent", mixed ? mixed :
				   json_object_new_array());
	json_object_object_add(o, "variants", vars);
	json_object_object_add(o, "evidence", json_object_new_string(
				       kd_wl_evidence(d, ev, sizeof(ev))));
	return o;
}

static int write_json(FILE *f, struct kd_wl_device *const *devs, size_t n,
		      const struct kd_wl_inputs *in)
{
	struct json_object *top = json_object_new_object(), *list, *inputs;

	if (!top)
		return -ENOMEM;
	json_object_object_add(top, "version", json_object_new_int(1));
	inputs = json_object_new_object();
	json_object_object_add(inputs, "files",
			       json_object_new_int64((int64_t)in->files));
	json_object_object_add(inputs, "unreadable",
			       json_object_new_int64((int64_t)in->unreadable));
	json_object_object_add(inputs, "records",
			       json_object_new_int64((int64_t)in->st.records));
	json_object_object_add(inputs, "malformed",
			       json_object_new_int64((int64_t)in->st.malformed));
	json_object_object_add(inputs, "torn",
			       json_object_new_int64((int64_t)in->st.torn));
	json_object_object_add(top, "inputs", inputs);
	list = json_object_new_array_ext((int)n);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, device_json(devs[i]));
	json_object_object_add(top, "devices", list);
	fputs(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
					     JSON_C_TO_STRING_SPACED |
					     JSON_C_TO_STRING_NOSLASHESCAPE), f);
	fputc('\n', f);
	json_object_put(top);
	return 0;
}

int kd_wl_write(FILE *f, enum kd_wl_format fmt,
		struct kd_wl_device *const *devs, size_t n,
		const struct kd_wl_inputs *in)
{
	switch (fmt) {
	case KD_WL_TABLE: write_table(f, devs, n); return 0;
	case KD_WL_CSV: write_csv(f, devs, n); return 0;
	case KD_WL_MARKDOWN: write_markdown(f, devs, n); return 0;
	case KD_WL_JSON: return write_json(f, devs, n, in);
	case KD_WL_HTML: return kd_wl_write_html(f, devs, n, in);
	}
	return -EINVAL;
}
