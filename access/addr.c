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

static char *put_hex(char *p, unsigned long v, int min_digits)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[8];
	int n = 0;

	do {
		tmp[n++] = digits[v & 0xf];
		v >>= 4;
	} while (v && n < 8);
	while (n < min_digits)
		tmp[n++] = '0';
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* By hand, not snprintf: probe prints every sibling of every function. */
const char *kd_addr_format(const struct kd_addr *a, char buf[KD_ADDR_STRLEN])
{
	char *p = put_hex(buf, a->domain, 4);

	*p++ = ':';
	p = put_hex(p, a->bus, 2);
	*p++ = ':';
	p = put_hex(p, a->dev, 2);
	*p++ = '.';
	*p++ = (char)('0' + (a->fn & 7));
	*p = '\0';
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
