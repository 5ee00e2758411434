/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KDSAFE_COMMANDS_H
#define KDSAFE_COMMANDS_H

#include "cli.h"

/* NULL-terminated; one line per subcommand in commands.c */
extern const struct kd_command kd_commands[];

#endif
