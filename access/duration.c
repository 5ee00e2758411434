// SPDX-License-Identifier: GPL-2.0-or-later
/* The one duration parser (access/duration.h). */
#include <stdbool.h>
#include <string.h>

#include "duration.h"

#define TOO_LONG "duration too long (at most " KD_DURATION_MAX_TEXT ")"
#define EXPECTED "expected a duration such as 250ms (a number, then ns, " \
		 "us, ms or s)"

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", KD_NS_PER_S },
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits from s[*i] on into *v; false when they exceed the maximum. */
static bool digits(const char *s, size_t len, size_t *i, uint64_t *v,
		   unsigned *n)
{
	for (*v = 0, *n = 0; *i < len && is_digit(s[*i]); (*i)++, (*n)++) {
		if (*v > KD_DURATION_MAX_NS)
			return false;
		*v = *v * 10 + (uint64_t)(s[*i] - '0');
	}
	return true;
}

static uint64_t unit_of(const char *s, size_t len)
{
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		if (strlen(units[u].name) == len &&
		    memcmp(units[u].name, s, len) == 0)
			return units[u].ns;
	return 0;
}

/* What is wrong with a text that does not start with a digit. */
static const char *bad_start(const char *s, size_t len)
{
	if (len == 0)
		return "empty duration";
	if (s[0] == '-')
		return "duration must not be negative";
	if (s[0] == '.')
		return "expected a digit before the '.'";
	return EXPECTED;
}

const char *kd_duration_parse(const char *s, size_t len, uint64_t bare_unit_ns,
			      uint64_t *ns)
{
	uint64_t whole, frac = 0, unit, scale = 1, v;
	unsigned nw, nf = 0;
	size_t i = 0;

	if (len == 0 || !is_digit(s[0]))
		return bad_start(s, len);
	if (!digits(s, len, &i, &whole, &nw))
		return TOO_LONG;
	if (i < len && s[i] == '.') {
		i++;
		if (!digits(s, len, &i, &frac, &nf) || nf > 9)
			return "more than 9 digits after the '.'";
		if (nf == 0)
			return "expected a digit after the '.'";
		for (unsigned k = 0; k < nf; k++)
			scale *= 10;
	}
	if (i == len) {
		if (!bare_unit_ns && (whole || frac))
			return "duration needs a unit (ns, us, ms or s)";
		unit = bare_unit_ns ? bare_unit_ns : 1;
	} else if (s[i] == 'e' || s[i] == 'E') {
		return "no exponents in a duration: write 250ms, not 2.5e-1s";
	} else if (!(unit = unit_of(s + i, len - i))) {
		return "unknown duration unit (use ns, us, ms or s)";
	}
	if (whole > KD_DURATION_MAX_NS / unit)
		return TOO_LONG;
	if (frac * unit % scale)
		return "duration finer than a nanosecond";
	v = whole * unit + frac * unit / scale;
	if (v > KD_DURATION_MAX_NS)
		return TOO_LONG;
	*ns = v;
	return NULL;
}
