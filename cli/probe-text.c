// SPDX-License-Identifier: GPL-2.0-or-later
/* The probe table (one line per function) and its -v detail. */
#include <string.h>

#include "probe-output.h"
#include "access/regs.h"

static void methods_string(const struct kd_probe_info *in, char *buf,
			   size_t len)
{
	static const enum kd_reset_cap order[] = { KD_RESET_FLR,
						   KD_RESET_AF_FLR,
						   KD_RESET_PM, KD_RESET_BUS };
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(in->reset_caps & order[i]))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 used ? "," : "",
					 kd_reset_cap_name(order[i]));
		if (used >= len)
			break;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void reasons_string(const struct kd_probe_info *in, char *buf,
			   size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned bit = 1; bit < 1u << KD_REASON_COUNT; bit <<= 1) {
		if (!(in->reasons & bit))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 used ? "," : "", kd_reason_word(bit));
		if (used >= len)
			break;
	}
}

void kd_probe_print_header(FILE *f)
{
	fprintf(f, "%-13s %-9s %-6s %-12s %-15s %-10s %s\n", "ADDRESS", "ID",
		"CLASS", "DRIVER", "RESET", "VERDICT", "REASONS");
}

void kd_probe_print_line(FILE *f, const struct kd_probe_info *in)
{
	char addr[KD_ADDR_STRLEN], methods[64], reasons[256];

	methods_string(in, methods, sizeof(methods));
	reasons_string(in, reasons, sizeof(reasons));
	fprintf(f, "%-13s %04x:%04x %04x   %-12s %-15s ",
		kd_addr_format(&in->addr, addr), in->vendor, in->device,
		(unsigned)(in->class_code >> 8), in->bound ? in->driver : "-",
		methods);
	if (reasons[0])
		fprintf(f, "%-10s %s\n", kd_verdict_name(in->verdict), reasons);
	else
		fprintf(f, "%s\n", kd_verdict_name(in->verdict));
}

static const char *pm(bool v)
{
	return v ? "+" : "-";
}

void kd_probe_print_detail(FILE *f, const struct kd_probe_info *in)
{
	char a[KD_ADDR_STRLEN], methods[64];

	kd_probe_print_line(f, in);
	if (in->dead)
		goto reasons;
	fprintf(f, "\tSubsystem %04x:%04x, revision %02x, header type %u%s, "
		   "config %zu bytes\n", in->subsys_vendor, in->subsys_device,
		in->revision, in->header_type,
		in->multifunction ? " (multi-function)" : "", in->config_len);
	fprintf(f, "\tParent %s", in->has_parent ?
		kd_addr_format(&in->parent, a) : "(root bus)");
	for (unsigned i = 0; i < in->n_siblings; i++)
		fprintf(f, "%s%s", i ? " " : "; shares its bus with ",
			kd_addr_format(&in->siblings[i], a));
	fputc('\n', f);
	if (in->is_vf)
		fprintf(f, "\tSR-IOV VF of %s\n",
			kd_addr_format(&in->physfn, a));
	fprintf(f, "\tDriver %s%s; modules:", in->bound ? in->driver : "none",
		in->bound && in->driver_builtin ? " (built in)" : "");
	for (unsigned i = 0; i < in->n_modules; i++)
		fprintf(f, " %s", in->modules[i]);
	fputc('\n', f);
	methods_string(in, methods, sizeof(methods));
	fprintf(f, "\tReset: %s; FLR%s AF-FLR%s PM%s NoSoftRst%s Bus%s%s%s%s "
		   "Hotplug%s ImmReady%s; kernel: %s\n", methods,
		pm(in->reset_caps & KD_RESET_FLR),
		pm(in->reset_caps & KD_RESET_AF_FLR),
		pm(in->reset_caps & KD_RESET_PM), pm(in->pm_no_soft_reset),
		pm(in->reset_caps & KD_RESET_BUS),
		in->bus_reset_why_not ? " (" : "",
		in->bus_reset_why_not ? in->bus_reset_why_not : "",
		in->bus_reset_why_not ? ")" : "", pm(in->hotplug_slot),
		pm(in->immediate_readiness),
		in->has_kernel_methods ? (in->kernel_methods[0] ?
					  in->kernel_methods : "(none)") :
					 "(no reset_method)");
	fprintf(f, "\tCommand %04x: I/O%s Mem%s BusMaster%s DisINTx%s; "
		   "Status %04x: INTx%s\n", in->command,
		pm(in->command & PCI_COMMAND_IO),
		pm(in->command & PCI_COMMAND_MEMORY),
		pm(in->command & PCI_COMMAND_MASTER),
		pm(in->command & PCI_COMMAND_INTX_DISABLE), in->status,
		pm(in->status & PCI_STATUS_INTERRUPT));
	if (in->power_state >= 0)
		fprintf(f, "\tPower state D%d%s\n", in->power_state,
			in->power_state == 3 ? "hot" : "");
	if (in->msi_cap)
		fprintf(f, "\tMSI: Enable%s Count=%u/%u\n", pm(in->msi_enable),
			in->msi_vectors_enabled, in->msi_vectors_max);
	if (in->msix_cap)
		fprintf(f, "\tMSI-X: Enable%s Count=%u Masked%s\n",
			pm(in->msix_enable), in->msix_table_size,
			pm(in->msix_masked));
	if (in->exp_cap)
		fprintf(f, "\tDevSta %04x: TransPend%s CorrErr%s NonFatalErr%s "
			   "FatalErr%s UnsupReq%s\n", in->devsta,
			pm(in->devsta & PCI_EXP_DEVSTA_TRPND),
			pm(in->devsta & PCI_EXP_DEVSTA_CED),
			pm(in->devsta & PCI_EXP_DEVSTA_NFED),
			pm(in->devsta & PCI_EXP_DEVSTA_FED),
			pm(in->devsta & PCI_EXP_DEVSTA_URD));
	if (in->aer_cap)
		fprintf(f, "\tAER: UESta %08x CESta %08x\n", in->aer_uncor,
			in->aer_cor);
	if (in->has_link)
		fprintf(f, "\tLink: Speed %s, Width x%u, DLActive%s, Train%s\n",
			kd_link_speed_name(in->link_speed), in->link_width,
			pm(in->link_dll_active), pm(in->link_training));
reasons:
	for (unsigned bit = 1; bit < 1u << KD_REASON_COUNT; bit <<= 1)
		if (in->reasons & bit)
			fprintf(f, "\t! %s\n", kd_reason_text(bit));
	fputc('\n', f);
}
