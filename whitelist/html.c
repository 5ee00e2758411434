// SPDX-License-Identifier: GPL-2.0-or-later
/* The whitelist as one self-contained HTML page: a matrix of devices x
 * variants, each cell the passes out of the runs, coloured, with a
 * legend. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "whitelist/internal.h"

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static int col_cmp(const void *pa, const void *pb)
{
	const struct kd_wl_cell *a = *(const struct kd_wl_cell *const *)pa;
	const struct kd_wl_cell *b = *(const struct kd_wl_cell *const *)pb;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return strcmp(a->variant, b->variant);
}

/* Every variant any device tried, by invasiveness (one cell stands for
 * its name); *out is malloc'd. */
static int columns(struct kd_wl_device *const *devs, size_t n,
		   const struct kd_wl_cell ***out, size_t *n_out)
{
	const struct kd_wl_cell **cols = NULL, **grown;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0; c < devs[i]->n_cells; c++) {
			const struct kd_wl_cell *cell = &devs[i]->cells[c];
			size_t j;

			for (j = 0; j < k; j++)
				if (strcmp(cols[j]->variant, cell->variant) == 0)
					break;
			if (j < k)
				continue;
			grown = realloc(cols, (k + 1) * sizeof(*cols));
			if (!grown) {
				free(cols);
				return -ENOMEM;
			}
			cols = grown;
			cols[k++] = cell;
		}
	}
	if (k)
		qsort(cols, k, sizeof(*cols), col_cmp);
	*out = cols;
	*n_out = k;
	return 0;
}

static const struct kd_wl_cell *find(const struct kd_wl_device *d,
				     const char *variant)
{
	for (size_t c = 0; c < d->n_cells; c++)
		if (strcmp(d->cells[c].variant, variant) == 0)
			return &d->cells[c];
	return NULL;
}

static void cell(FILE *f, const struct kd_wl_device *d, const char *variant)
{
	const struct kd_wl_cell *c = find(d, variant);
	enum kd_wl_state s = c ? kd_wl_cell_state(c) : KD_WL_CELL_UNTESTED;
	static const char *const cls[] = {
		[KD_WL_CELL_UNTESTED] = "untested", [KD_WL_CELL_PASS] = "pass",
		[KD_WL_CELL_FAIL] = "fail", [KD_WL_CELL_NOOP] = "fail",
		[KD_WL_CELL_MIXED] = "mixed",
	};

	fprintf(f, "<td class=\"%s\"", cls[s]);
	if (s == KD_WL_CELL_UNTESTED) {
		fputs(">&ndash;</td>", f);
		return;
	}
	fputs(" title=\"", f);
	for (int o = 0, first = 1; o < KD_OUTCOME_COUNT; o++) {
		if (!c->n[o])
			continue;
		fprintf(f, "%s%lu %s", first ? "" : ", ", c->n[o],
			kd_outcome_name((enum kd_outcome)o));
		first = 0;
	}
	fprintf(f, "\">%lu/%lu</td>", c->n[KD_OUTCOME_PASS],
		kd_wl_cell_tested(c));
}

static const char style[] =
	"body{font-family:sans-serif;margin:1em}"
	"table{border-collapse:collapse}"
	"th,td{border:1px solid #999;padding:2px 6px;text-align:center}"
	"td.id{text-align:left;font-family:monospace}"
	".pass{background:#8bd68b}.fail{background:#f08080}"
	".mixed{background:#ffbf00}.untested{background:#d3d3d3}"
	".legend td{width:8em}";

int kd_wl_write_html(FILE *f, struct kd_wl_device *const *devs, size_t n,
		     const struct kd_wl_inputs *in)
{
	const struct kd_wl_cell **cols;
	char verdict[256];
	size_t k;
	int ret = columns(devs, n, &cols, &k);

	if (ret < 0)
		return ret;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		   "<meta charset=\"utf-8\">\n<title>kdsafe whitelist</title>\n"
		   "<style>%s</style>\n</head>\n<body>\n"
		   "<h1>kdsafe whitelist</h1>\n"
		   "<p>%lu devices from %lu records in %lu files "
		   "(%lu malformed, %lu unreadable files).  Each cell: runs "
		   "that passed / runs of that variant.</p>\n",
		style, (unsigned long)n, in->st.records, in->files,
		in->st.malformed, in->unreadable);
	fputs("<table class=\"legend\"><tr><th>Legend</th>"
	      "<td class=\"pass\">all passed</td>"
	      "<td class=\"fail\">all failed</td>"
	      "<td class=\"mixed\">mixed</td>"
	      "<td class=\"untested\">untested</td></tr></table>\n<p></p>\n",
	      f);
	fputs("<table class=\"matrix\">\n<tr><th>Device</th><th>Subsystem</th>"
	      "<th>Driver</th><th>Kernel</th><th>Verdict</th>", f);
	for (size_t j = 0; j < k; j++) {
		fputs("<th>", f);
		esc(f, cols[j]->variant);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct kd_wl_device *d = devs[i];

		fprintf(f, "<tr><td class=\"id\">%04x:%04x</td>"
			   "<td class=\"id\">%04x:%04x</td><td>", d->vendor,
			d->device, d->subsys_vendor, d->subsys_device);
		esc(f, d->driver[0] ? d->driver : "-");
		fputs("</td><td>", f);
		esc(f, d->kernel);
		fputs("</td><td>", f);
		esc(f, kd_wl_verdict_text(d, verdict, sizeof(verdict)));
		fputs("</td>", f);
		for (size_t j = 0; j < k; j++)
			cell(f, d, cols[j]->variant);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n</body>\n</html>\n", f);
	free(cols);
	return 0;
}
