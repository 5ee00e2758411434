// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access.h"

static int parse_hex(const char **s, unsigned max_digits, unsigned long *out)
{
	unsigned long v = 0;
	unsigned n = 0;
	const char *p = *s;

	for (; n < max_digits; n++, p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		v = v * 16 + (unsigned long)d;
	}
	if (n == 0)
		return -EINVAL;
	*s = p;
	*out = v;
	return 0;
}

int kd_addr_parse(const char *s, struct kd_addr *out)
{
	unsigned long f[4], fn;
	const char *p = s;
	int n = 0;

	if (!s)
		return -EINVAL;
	/* up to three colon-separated fields, then ".fn" */
	for (;;) {
		if (n == 3 || parse_hex(&p, 8, &f[n]) < 0)
			return -EINVAL;
		n++;
		if (*p == ':') {
			p++;
			continue;
		}
		break;
	}
	if (*p != '.' || n < 2)
		return -EINVAL;
	p++;
	if (*p < '0' || *p > '7' || p[1] != '\0')
		return -EINVAL;
	fn = (unsigned long)(*p - '0');
	if (n == 2) {
		f[2] = f[1];
		f[1] = f[0];
		f[0] = 0;
	}
	if (f[1] > 0xff || f[2] > 0x1f)
		return -EINVAL;
	out->domain = (uint32_t)f[0];
	out->bus = (uint8_t)f[1];
	out->dev = (uint8_t)f[2];
	out->fn = (uint8_t)fn;
	return 0;
}

const char *kd_addr_format(const struct kd_addr *a, char buf[KD_ADDR_STRLEN])
{
	snprintf(buf, KD_ADDR_STRLEN, "%04x:%02x:%02x.%u", a->domain, a->bus,
		 a->dev, a->fn);
	return buf;
}

int kd_addr_cmp(const struct kd_addr *a, const struct kd_addr *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->fn != b->fn)
		return a->fn < b->fn ? -1 : 1;
	return 0;
}

bool kd_addr_eq(const struct kd_addr *a, const struct kd_addr *b)
{
	return kd_addr_cmp(a, b) == 0;
}
