/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Durations as people write them, one parser for the command line
 * (reset --timeout) and the quirk files (wait, timeout=, delay-after-reset):
 * a decimal number and a unit ns, us, ms or s ("250ms", "1.5s").  Digits
 * only: no sign, exponent, NaN or infinity can get in, and nothing is
 * rounded (a fraction finer than a nanosecond is refused).
 */
#ifndef KDSAFE_DURATION_H
#define KDSAFE_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Longest duration anything accepts (the kernel's own readiness bound,
 * PCIE_RESET_READY_POLL_MS, is 60 s; ten times that is plenty). */
#define KD_DURATION_MAX_NS (600ull * 1000000000ull)
#define KD_DURATION_MAX_TEXT "600s"
#define KD_NS_PER_S 1000000000ull

/*
 * The first len bytes of s into *ns.  A bare number is a count of
 * bare_unit_ns (0: it needs a unit, except 0 itself).  Returns NULL, or a
 * message saying what is wrong (*ns untouched); zero is accepted, callers
 * refuse it where it makes no sense.
 */
const char *kd_duration_parse(const char *s, size_t len, uint64_t bare_unit_ns,
			      uint64_t *ns);

#endif
