// SPDX-License-Identifier: GPL-2.0-or-later
#include "commands.h"

const struct kd_command kd_commands[] = {
	{ "probe", "list PCI functions, their reset methods and live state",
	  kd_cmd_probe },
	{ "quirks", "check, list and match the quirks database", kd_cmd_quirks },
	{ "reset", "reset functions a crashed kernel left live", kd_cmd_reset },
	{ "test", "crash-cycle campaigns: plan, next, step, status, audit",
	  kd_cmd_test },
	{ "whitelist", "merge campaign journals into verdicts", kd_cmd_whitelist },
	{ "hook", "the kdump initramfs entry point (kdsafe.conf)",
	  kd_cmd_hook },
	{ "snapshot", "save this machine's PCI state for offline replay",
	  kd_cmd_snapshot },
	{ NULL, NULL, NULL },
};
