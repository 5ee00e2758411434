// SPDX-License-Identifier: GPL-2.0-or-later
#include "commands.h"

/* name, summary, run, foreign_json (cli.h) */
const struct kd_command kd_commands[] = {
	{ "probe", "list PCI functions, their reset methods and live state",
	  kd_cmd_probe, false },
	{ "quirks", "check, list and match the quirks database", kd_cmd_quirks,
	  false },
	{ "reset", "reset functions a crashed kernel left live", kd_cmd_reset,
	  false },
	{ "test", "crash-cycle campaigns: plan, next, step, status, audit",
	  kd_cmd_test, false },
	{ "whitelist", "merge campaign journals into verdicts", kd_cmd_whitelist,
	  true },
	{ "hook", "the kdump initramfs entry point (kdsafe.conf)",
	  kd_cmd_hook, false },
	{ "snapshot", "save this machine's PCI state for offline replay",
	  kd_cmd_snapshot, false },
	{ NULL, NULL, NULL, false },
};
