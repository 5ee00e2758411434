// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --emit-quirks: a quirks.d file (docs/quirks.md) with one entry per
 * safe-with device, whose `methods` prefers the fix that always worked and
 * whose `avoid` lists the methods that always failed or did nothing; each
 * entry carries its evidence as comments.
 */
#include <errno.h>
#include <string.h>

#include "whitelist/internal.h"

#define WRAP 76

/* Variants that are reset methods of docs/quirks.md. */
static bool is_method(const char *v)
{
	static const char *const names[] = {
		"quiesce", "virtio", "flr", "af-flr", "pm", "bus", "kernel",
		"kernel:device_specific", "kernel:acpi", "kernel:flr",
		"kernel:af_flr", "kernel:pm", "kernel:bus", "kernel:cxl_bus",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i]) == 0)
			return true;
	return false;
}

static bool same_ids(const struct kd_wl_device *a,
		     const struct kd_wl_device *b)
{
	return a->vendor == b->vendor && a->device == b->device &&
	       a->subsys_vendor == b->subsys_vendor &&
	       a->subsys_device == b->subsys_device;
}

/* "# text", wrapped at word boundaries, continuation lines indented.
 * text carries a journal's strings: a control character (a newline
 * would end the comment and start an entry of its own) is written as a
 * space. */
static void comment(FILE *f, const char *raw)
{
	const char *prefix = "# ";
	char buf[4096], *text = buf;

	snprintf(buf, sizeof(buf), "%s", raw);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	while (*text == ' ')
		text++;
	while (*text) {
		size_t len = strlen(text), cut = len;

		if (len > WRAP) {
			cut = WRAP;
			while (cut > 20 && text[cut] != ' ')
				cut--;
		}
		fprintf(f, "%s%.*s\n", prefix, (int)cut, text);
		text += cut;
		while (*text == ' ')
			text++;
		prefix = "#   ";
	}
}

static void evidence(FILE *f, const struct kd_wl_device *d)
{
	char line[2560], verdict[256], ev[2048];

	snprintf(line, sizeof(line), "%s on %s: %s; %s",
		 d->driver[0] ? d->driver : "no driver", d->kernel,
		 kd_wl_verdict_text(d, verdict, sizeof(verdict)),
		 kd_wl_evidence(d, ev, sizeof(ev)));
	comment(f, line);
}

/* Methods that failed or did nothing on d, except any the fix needs
 * (avoiding flr also avoids kernel:flr, avoiding kernel every kernel:*). */
static void avoid_line(FILE *f, const struct kd_wl_device *d,
		       const char *fix)
{
	bool kernel_fix = strncmp(fix, "kernel", 6) == 0;
	const char *sep = "avoid = ";

	for (size_t i = 0; i < d->n_cells; i++) {
		const struct kd_wl_cell *c = &d->cells[i];
		enum kd_wl_state s = kd_wl_cell_state(c);

		if ((s != KD_WL_CELL_FAIL && s != KD_WL_CELL_NOOP) ||
		    !is_method(c->variant) || strcmp(c->variant, fix) == 0)
			continue;
		if (kernel_fix && strcmp(c->variant, "quiesce") != 0 &&
		    strcmp(c->variant, "virtio") != 0)
			continue;
		fprintf(f, "%s%s", sep, c->variant);
		sep = ", ";
	}
	if (strcmp(sep, ", ") == 0)
		fputc('\n', f);
}

/* One entry for the devices [0, n) that share their ids. */
static bool emit_group(FILE *f, struct kd_wl_device *const *g, size_t n)
{
	const struct kd_wl_device *chosen = NULL;
	const struct kd_wl_device *d = g[0];

	for (size_t i = 0; i < n; i++)
		if (g[i]->verdict == KD_WL_SAFE_WITH &&
		    is_method(g[i]->fix->variant) &&
		    (!chosen || g[i]->fix->rank > chosen->fix->rank))
			chosen = g[i];
	if (!chosen)
		return false;
	fputc('\n', f);
	comment(f, "Evidence from kdsafe whitelist:");
	for (size_t i = 0; i < n; i++)
		evidence(f, g[i]);
	if (n > 1)
		comment(f, "With several drivers or kernels, the most invasive "
			   "of their fixes is chosen.");
	fprintf(f, "[%04x:%04x subsys=%04x:%04x]\n", d->vendor, d->device,
		d->subsys_vendor, d->subsys_device);
	fprintf(f, "name = kdsafe whitelist: safe with %s\n",
		chosen->fix->variant);
	fprintf(f, "methods = %s\n", chosen->fix->variant);
	avoid_line(f, chosen, chosen->fix->variant);
	return true;
}

int kd_wl_write_quirks(FILE *f, struct kd_wl_device *const *devs, size_t n,
		       unsigned *n_entries)
{
	unsigned entries = 0;

	fputs("# kdsafe quirks written by `kdsafe whitelist --emit-quirks`:\n"
	      "# for each device that was safe only with a fix, that fix.\n"
	      "# Format: docs/quirks.md.\n", f);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && same_ids(devs[i], devs[j]))
			j++;
		entries += emit_group(f, devs + i, j - i);
		i = j;
	}
	if (n_entries)
		*n_entries = entries;
	return 0;
}
