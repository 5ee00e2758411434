// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Values inside quirk files: hex numbers (setpci style), section headers
 * (device matches) and steps; durations are access/duration.c's.  Pure
 * functions over strings; the error texts they return are reported by
 * parse.c with file:line:col.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access/duration.h"
#include "access/regs.h"
#include "internal.h"

/* ---- numbers ---------------------------------------------------------- */

/* Hex digits with an optional 0x, as setpci: 0 or -EINVAL / -ERANGE. */
int qparse_hex(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -EINVAL;
		if (v > (UINT64_MAX >> 4))
			return -ERANGE;
		v = v << 4 | (uint64_t)d;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* ---- device match ------------------------------------------------------ */

/* "VVVV" or "*" into *out (-1 for any). */
static int parse_id16(const char *s, size_t len, int *out)
{
	uint64_t v;

	if (len == 1 && s[0] == '*') {
		*out = -1;
		return 0;
	}
	if (len > 6 || qparse_hex(s, len, 0xffff, &v) < 0)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_pair(const char *s, size_t len, int *a, int *b)
{
	const char *colon = memchr(s, ':', len);

	if (!colon)
		return -EINVAL;
	if (parse_id16(s, (size_t)(colon - s), a) < 0 ||
	    parse_id16(colon + 1, len - (size_t)(colon - s) - 1, b) < 0)
		return -EINVAL;
	return 0;
}

static bool has_prefix(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && memcmp(s, p, n) == 0;
}

/* Register names are case-insensitive, as setpci's. */
static bool has_prefix_ci(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && strncasecmp(s, p, n) == 0;
}

#define MSG(...) (snprintf(msgbuf, msglen, __VA_ARGS__), msgbuf)

const char *qparse_match(const char *text, struct kd_quirk_matchspec *m,
			 size_t *err_off, char *msgbuf, size_t msglen)
{
	bool id = false, subsys = false, cls = false, rev = false;
	size_t pos = 0;

	memset(m, 0, sizeof(*m));
	m->vendor = m->device = m->subsys_vendor = m->subsys_device = -1;
	m->device_mask = 0xffff;
	for (;;) {
		const char *t;
		size_t len;

		while (text[pos] == ' ' || text[pos] == '\t')
			pos++;
		if (!text[pos])
			break;
		t = text + pos;
		len = strcspn(t, " \t");
		*err_off = pos;
		pos += len;
		if (has_prefix(t, len, "subsys=")) {
			if (subsys)
				return "subsys= given twice";
			subsys = true;
			if (parse_pair(t + 7, len - 7, &m->subsys_vendor,
				       &m->subsys_device) < 0)
				return "expected subsys=VVVV:DDDD (hex or *)";
		} else if (has_prefix(t, len, "class=")) {
			const char *slash = memchr(t, '/', len);
			size_t vlen = slash ? (size_t)(slash - t) - 6 : len - 6;
			uint64_t v, mask = 0xffffff;

			if (cls)
				return "class= given twice";
			cls = true;
			if (qparse_hex(t + 6, vlen, 0xffffff, &v) < 0 ||
			    (slash && qparse_hex(slash + 1,
						 len - (size_t)(slash - t) - 1,
						 0xffffff, &mask) < 0))
				return "expected class=0xCCSSPP[/0xMASK] "
				       "(24-bit hex)";
			if (mask == 0)
				return "class mask is zero (drop class= to "
				       "match any class)";
			if (v & ~mask)
				return MSG("class 0x%06llx has bits outside "
					   "mask 0x%06llx",
					   (unsigned long long)v,
					   (unsigned long long)mask);
			m->class_value = (uint32_t)v;
			m->class_mask = (uint32_t)mask;
		} else if (has_prefix(t, len, "rev=")) {
			const char *dash = memchr(t, '-', len);
			size_t vlen = dash ? (size_t)(dash - t) - 4 : len - 4;
			uint64_t lo, hi;

			if (rev)
				return "rev= given twice";
			rev = true;
			if (qparse_hex(t + 4, vlen, 0xff, &lo) < 0)
				return "expected rev=0xNN or rev=0xNN-0xMM";
			hi = lo;
			if (dash && qparse_hex(dash + 1,
					       len - (size_t)(dash - t) - 1,
					       0xff, &hi) < 0)
				return "expected rev=0xNN or rev=0xNN-0xMM";
			if (lo > hi)
				return "revision range is empty (low > high)";
			m->has_rev = true;
			m->rev_lo = (uint8_t)lo;
			m->rev_hi = (uint8_t)hi;
		} else if (memchr(t, ':', len) && !memchr(t, '=', len)) {
			if (id)
				return "more than one vendor:device (one "
				       "section per device)";
			const char *slash = memchr(t, '/', len);
			uint64_t mask = 0xffff;

			id = true;
			if (slash && qparse_hex(slash + 1,
					       len - (size_t)(slash - t) - 1,
					       0xffff, &mask) < 0)
				return "expected VVVV:DDDD/MMMM (hex device "
				       "mask)";
			if (parse_pair(t, slash ? (size_t)(slash - t) : len,
				       &m->vendor, &m->device) < 0)
				return "expected VVVV:DDDD (hex or *)";
			if (slash && m->device < 0)
				return "a device mask needs a device ID";
			if (slash && mask == 0)
				return "device mask is zero (use VVVV:*)";
			if (m->device >= 0 && (m->device & ~(int)mask))
				return "device ID has bits outside its mask";
			m->device_mask = (uint16_t)mask;
			if (m->vendor < 0 && m->device >= 0)
				return "a device ID needs a vendor ID (*:DDDD "
				       "matches nothing useful)";
		} else {
			return MSG("unknown match '%.*s' (expected VVVV:DDDD, "
				   "subsys=, class= or rev=)",
				   (int)(len > 40 ? 40 : len), t);
		}
	}
	*err_off = 0;
	if (!id && !subsys && !cls && !rev)
		return "empty device match (use [*:*] to match every device)";
	return NULL;
}

unsigned qmatch_specificity(const struct kd_quirk_matchspec *m)
{
	unsigned s = 0;

	s += m->vendor >= 0 ? 4 : 0;
	s += m->device >= 0 ? (m->device_mask == 0xffff ? 8 : 6) : 0;
	s += m->subsys_vendor >= 0 ? 2 : 0;
	s += m->subsys_device >= 0 ? 2 : 0;
	s += m->class_mask ? (m->class_mask == 0xffffff ? 2 : 1) : 0;
	s += m->has_rev ? 1 : 0;
	return s;
}

bool qmatch(const struct kd_quirk_matchspec *m, const struct kd_quirk_id *id)
{
	if (m->vendor >= 0 && m->vendor != id->vendor)
		return false;
	if (m->device >= 0 && m->device != (id->device & m->device_mask))
		return false;
	if (m->subsys_vendor >= 0 && m->subsys_vendor != id->subsys_vendor)
		return false;
	if (m->subsys_device >= 0 && m->subsys_device != id->subsys_device)
		return false;
	if ((id->class_code & m->class_mask) != m->class_value)
		return false;
	if (m->has_rev && (id->revision < m->rev_lo || id->revision > m->rev_hi))
		return false;
	return true;
}

/* ---- registers ---------------------------------------------------------- */

struct named { const char *name; uint16_t val; unsigned width; };

/* Capability names as setpci spells them, the IDs under the kernel's
 * names (access/regs.h) */
#define C(setpci, kernel) { #setpci, PCI_CAP_ID_##kernel, 0 }
static const struct named cap_names[] = {
	C(PM, PM), C(AGP, AGP), C(VPD, VPD), C(SLOTID, SLOTID), C(MSI, MSI),
	C(CHSWP, CHSWP), C(PCIX, PCIX), C(HT, HT), C(VNDR, VNDR), C(DBG, DBG),
	C(CCRC, CCRC), C(HOTPLUG, SHPC), C(SSVID, SSVID), C(AGP3, AGP3),
	C(SECURE, SECDEV), C(EXP, EXP), C(MSIX, MSIX), C(SATA, SATA),
	C(AF, AF), C(EA, EA),
};
#undef C

#define E(setpci, kernel) { #setpci, PCI_EXT_CAP_ID_##kernel, 0 }
static const struct named ecap_names[] = {
	E(AER, ERR), E(VC, VC), E(DSN, DSN), E(PB, PWR), E(RCLINK, RCLD),
	E(RCILINK, RCILC), E(RCEC, RCEC), E(MFVC, MFVC), E(VC2, VC9),
	E(RBCB, RCRB), E(VNDR, VNDR), E(ACS, ACS), E(ARI, ARI), E(ATS, ATS),
	E(SRIOV, SRIOV), E(MRIOV, MRIOV), E(MCAST, MCAST), E(PRI, PRI),
	E(REBAR, REBAR), E(DPA, DPA), E(TPH, TPH), E(LTR, LTR),
	E(SECPCI, SECPCI), E(PMUX, PMUX), E(PASID, PASID), E(LNR, LNR),
	E(DPC, DPC), E(L1PM, L1SS), E(PTM, PTM), E(DVSEC, DVSEC), E(DLF, DLF),
	E(16GT, PL_16GT),
};
#undef E

/* Header registers setpci knows by name, with their natural width. */
static const struct named reg_names[] = {
#define R(name, width) { #name, PCI_##name, width }
	R(VENDOR_ID, 2), R(DEVICE_ID, 2), R(COMMAND, 2), R(STATUS, 2),
	{ "REVISION", PCI_REVISION_ID, 1 }, R(CLASS_PROG, 1),
	R(CLASS_DEVICE, 2), R(CACHE_LINE_SIZE, 1), R(LATENCY_TIMER, 1),
	R(HEADER_TYPE, 1), R(BIST, 1), R(BASE_ADDRESS_0, 4),
	R(BASE_ADDRESS_1, 4), R(BASE_ADDRESS_2, 4), R(BASE_ADDRESS_3, 4),
	R(BASE_ADDRESS_4, 4), R(BASE_ADDRESS_5, 4), R(CARDBUS_CIS, 4),
	R(SUBSYSTEM_VENDOR_ID, 2), R(SUBSYSTEM_ID, 2), R(ROM_ADDRESS, 4),
	{ "CAPABILITIES", PCI_CAPABILITY_LIST, 1 }, R(INTERRUPT_LINE, 1),
	R(INTERRUPT_PIN, 1), R(MIN_GNT, 1), R(MAX_LAT, 1),
	R(PRIMARY_BUS, 1), R(SECONDARY_BUS, 1), R(SUBORDINATE_BUS, 1),
	R(SEC_LATENCY_TIMER, 1), R(IO_BASE, 1), R(IO_LIMIT, 1),
	R(SEC_STATUS, 2), R(MEMORY_BASE, 2), R(MEMORY_LIMIT, 2),
	R(PREF_MEMORY_BASE, 2), R(PREF_MEMORY_LIMIT, 2),
	R(PREF_BASE_UPPER32, 4), R(PREF_LIMIT_UPPER32, 4),
	R(IO_BASE_UPPER16, 2), R(IO_LIMIT_UPPER16, 2),
	{ "BRIDGE_ROM_ADDRESS", PCI_ROM_ADDRESS1, 4 }, R(BRIDGE_CONTROL, 2),
#undef R
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct named *lookup(const struct named *t, size_t n,
				  const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len &&
		    strncasecmp(t[i].name, s, len) == 0)
			return &t[i];
	return NULL;
}

const char *qcap_name(enum kd_quirk_reg_base base, uint16_t id)
{
	const struct named *t = base == KD_REG_CAP ? cap_names : ecap_names;
	size_t n = base == KD_REG_CAP ? N(cap_names) : N(ecap_names);

	for (size_t i = 0; i < n; i++)
		if (t[i].val == id)
			return t[i].name;
	return NULL;
}

static unsigned width_of(char c)
{
	switch (c) {
	case 'B': case 'b': return 1;
	case 'W': case 'w': return 2;
	case 'L': case 'l': return 4;
	case 'Q': case 'q': return 8;
	default: return 0;
	}
}

/*
 * "REG[.W]=VALUE[:MASK]" with REG one of: hex offset, a header register
 * name, CAP_xxx[+off], ECAP_xxx[+off], CAPnn[+off], ECAPnnnn[+off] (config)
 * or BARn+off (MMIO).  The base is chosen by the text; the caller checks it
 * is the kind it wants.
 */
static const char *parse_access(const char *t, size_t len,
				struct kd_quirk_step *s, size_t *err_off,
				char *msgbuf, size_t msglen)
{
	const char *eq = memchr(t, '=', len), *plus, *dot, *colon, *vend;
	const struct named *nm;
	struct kd_quirk_reg *r = &s->reg;
	size_t tlen, blen;
	uint64_t v, maxv;

	if (!eq)
		return "expected REGISTER.WIDTH=VALUE[:MASK]";
	tlen = (size_t)(eq - t);
	/* width suffix: the last '.' of the target */
	dot = NULL;
	for (size_t i = tlen; i > 0; i--)
		if (t[i - 1] == '.') {
			dot = t + i - 1;
			break;
		}
	r->width = 0;
	if (dot) {
		if (t + tlen - dot != 2 || !width_of(dot[1])) {
			*err_off = (size_t)(dot - t);
			return "width must be .B, .W, .L (or .Q for MMIO)";
		}
		r->width = width_of(dot[1]);
		tlen = (size_t)(dot - t);
	}
	plus = memchr(t, '+', tlen);
	blen = plus ? (size_t)(plus - t) : tlen;
	r->off = 0;
	r->cap_id = 0;
	r->bar = -1;
	if (blen == 0)
		return "missing register";
	if (has_prefix_ci(t, blen, "BAR") && blen == 4 && t[3] >= '0' &&
	    t[3] <= '5') {
		r->base = KD_REG_BAR;
		r->bar = t[3] - '0';
		if (!plus)
			return "expected BARn+OFFSET";
	} else if (has_prefix_ci(t, blen, "CAP_") ||
		   has_prefix_ci(t, blen, "ECAP_")) {
		bool ext = t[0] == 'E' || t[0] == 'e';
		size_t skip = ext ? 5 : 4;

		nm = ext ?
			lookup(ecap_names, N(ecap_names), t + skip,
			       blen - skip) :
			lookup(cap_names, N(cap_names), t + skip, blen - skip);

		if (!nm)
			return MSG("unknown capability '%.*s'",
				   (int)(blen > 30 ? 30 : blen), t);
		r->base = ext ? KD_REG_ECAP : KD_REG_CAP;
		r->cap_id = nm->val;
	} else if ((nm = lookup(reg_names, N(reg_names), t, blen))) {
		r->base = KD_REG_ABS;
		r->off = nm->val;
		if (!r->width)
			r->width = nm->width;
	} else if ((has_prefix_ci(t, blen, "CAP") && blen > 3) ||
		   (has_prefix_ci(t, blen, "ECAP") && blen > 4)) {
		bool ext = t[0] == 'E' || t[0] == 'e';
		size_t skip = ext ? 4 : 3;

		if (qparse_hex(t + skip, blen - skip, ext ? 0xffff : 0xff,
			       &v) < 0)
			return MSG("unknown register '%.*s'",
				   (int)(blen > 30 ? 30 : blen), t);
		r->base = ext ? KD_REG_ECAP : KD_REG_CAP;
		r->cap_id = (uint16_t)v;
	} else if (qparse_hex(t, blen, 0xfff, &v) == 0) {
		r->base = KD_REG_ABS;
		r->off = v;
	} else {
		return MSG("unknown register '%.*s' (hex offset, header name, "
			   "CAP_xxx+N, ECAP_xxx+N)",
			   (int)(blen > 30 ? 30 : blen), t);
	}
	if (plus) {
		*err_off = (size_t)(plus - t) + 1;
		if (qparse_hex(plus + 1, tlen - blen - 1,
			       r->base == KD_REG_BAR ? 0xffffffffffull : 0xfff,
			       &v) < 0)
			return "expected a hex offset after '+'";
		r->off += v;
	}
	*err_off = 0;
	if (!r->width)
		return "missing width: add .B, .W or .L (as setpci)";
	if (r->width == 8 && r->base != KD_REG_BAR)
		return "config space accesses are .B, .W or .L";
	if (r->off % r->width)
		return MSG("offset 0x%llx is not aligned to the width (%u)",
			   (unsigned long long)r->off, r->width);
	if (r->base == KD_REG_ABS && r->off + r->width > 4096)
		return "offset beyond config space (4096 bytes)";
	if (r->base == KD_REG_CAP && r->off + r->width > 256 - 0x40)
		return "offset beyond the capability's config space";
	if (r->base == KD_REG_ECAP && r->off + r->width > 4096 - 256)
		return "offset beyond extended config space";

	/* VALUE[:MASK] up to the end of the token */
	*err_off = (size_t)(eq - t) + 1;
	vend = t + len;
	colon = memchr(eq + 1, ':', (size_t)(vend - eq - 1));
	maxv = r->width == 8 ? UINT64_MAX : (1ull << (8 * r->width)) - 1;
	if (qparse_hex(eq + 1, (size_t)((colon ? colon : vend) - eq - 1), maxv,
		       &s->value) < 0)
		return MSG("expected a hex value of at most %u bytes",
			   r->width);
	s->mask = maxv;
	if (colon) {
		*err_off = (size_t)(colon - t) + 1;
		if (qparse_hex(colon + 1, (size_t)(vend - colon - 1), maxv,
			       &s->mask) < 0)
			return MSG("expected a hex mask of at most %u bytes",
				   r->width);
		if (s->mask == 0)
			return "mask is zero: nothing would change";
		if (s->value & ~s->mask)
			return "value has bits outside the mask";
	}
	*err_off = 0;
	return NULL;
}

static const char *next_tok(const char *text, size_t *pos, size_t *len)
{
	const char *t;

	while (text[*pos] == ' ' || text[*pos] == '\t')
		(*pos)++;
	if (!text[*pos])
		return NULL;
	t = text + *pos;
	*len = strcspn(t, " \t");
	*pos += *len;
	return t;
}

static const char *add_arg(struct qpool *pool, struct kd_quirk_step *s,
			   size_t *n, size_t *cap, const char *t, size_t len)
{
	char **v = qpool_grow(pool, s->argv, *n, cap, sizeof(*v));
	char *d = qpool_strndup(pool, t, len);

	if (!v || !d)
		return "out of memory";
	s->argv = v;
	s->argv[(*n)++] = d;
	return NULL;
}

/* The tokens of one step and where the parser is in them. */
struct steptok {
	struct qpool *pool;
	const char *text;
	size_t pos, len;
	size_t *err_off;
	char *msgbuf;
	size_t msglen;
};

static const char *tok_next(struct steptok *k)
{
	return next_tok(k->text, &k->pos, &k->len);
}

static bool tok_is(const char *t, size_t len, const char *word)
{
	return t && strlen(word) == len && memcmp(t, word, len) == 0;
}

/* "wait DURATION" */
static const char *parse_wait(struct steptok *k, struct kd_quirk_step *s)
{
	const char *t = tok_next(k), *e;

	s->kind = KD_STEP_WAIT;
	if (!t)
		return "expected: wait DURATION";
	*k->err_off = (size_t)(t - k->text);
	e = kd_duration_parse(t, k->len, 0, &s->timeout_ns);
	if (e)
		return e;
	if (s->timeout_ns == 0)
		return "wait of zero does nothing";
	return NULL;
}

/* The REG.W=VALUE[:MASK] token after cfg/mmio, of the kind mmio says. */
static const char *parse_target(struct steptok *k, struct kd_quirk_step *s,
				bool mmio, const char *missing,
				const char *wrong_kind)
{
	const char *t = tok_next(k), *e;
	size_t sub = 0;

	if (!t)
		return missing;
	*k->err_off = (size_t)(t - k->text);
	e = parse_access(t, k->len, s, &sub, k->msgbuf, k->msglen);
	if (e) {
		*k->err_off += sub;
		return e;
	}
	if (mmio != (s->reg.base == KD_REG_BAR))
		return wrong_kind;
	return NULL;
}

/* "cfg REG.W=VALUE[:MASK]" or "mmio BARn+OFF.W=VALUE[:MASK]" */
static const char *parse_write(struct steptok *k, struct kd_quirk_step *s,
			       bool mmio)
{
	s->kind = mmio ? KD_STEP_MMIO : KD_STEP_CFG;
	return parse_target(k, s, mmio,
			    mmio ? "expected: mmio BARn+OFF.W=VALUE[:MASK]" :
				   "expected: cfg REG.W=VALUE[:MASK]",
			    mmio ? "mmio needs BARn+OFFSET" :
				   "cfg takes a config register (use mmio for "
				   "BARn+OFFSET)");
}

/* A small decimal number (bit positions): 0, or -EINVAL. */
static int qparse_dec(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 2)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * "(REG.W[HI:LO][+ADD])*DURATION": a poll bound read from the device,
 * ((REG >> LO) & field) + ADD units (ADD hex, as every number in steps).
 * The largest bound it can give must be within the 600 s limit.
 */
static const char *parse_bound(struct steptok *k, const char *t, size_t len,
			       struct kd_quirk_step *s)
{
	const char *close = memchr(t, ')', len), *br, *e;
	struct kd_quirk_step tmp;
	struct kd_quirk_bound *b = &s->bound;
	char reg[64];
	size_t sub = 0, rlen;
	uint64_t hi, lo;

	if (!close || close + 1 >= t + len || close[1] != '*')
		return "expected timeout=(REG.W[HI:LO][+ADD])*DURATION";
	br = memchr(t, '[', (size_t)(close - t));
	if (!br)
		return "expected a bit field [HI:LO] after the register";
	rlen = (size_t)(br - t - 1);
	if (rlen + 3 > sizeof(reg))
		return "register too long";
	/* the register as a write target, to share its parser */
	snprintf(reg, sizeof(reg), "%.*s=0", (int)rlen, t + 1);
	memset(&tmp, 0, sizeof(tmp));
	e = parse_access(reg, strlen(reg), &tmp, &sub, k->msgbuf, k->msglen);
	if (e)
		return e;
	b->reg = tmp.reg;
	{
		const char *colon = memchr(br, ':', (size_t)(close - br));
		const char *rb = memchr(br, ']', (size_t)(close - br));

		if (!colon || !rb || colon > rb ||
		    qparse_dec(br + 1, (size_t)(colon - br - 1), 63, &hi) < 0 ||
		    qparse_dec(colon + 1, (size_t)(rb - colon - 1), 63, &lo) < 0)
			return "expected a bit field [HI:LO] (decimal bits)";
		if (lo > hi || hi >= 8u * b->reg.width || hi - lo >= 16)
			return "bit field outside the register or wider than "
			       "16 bits";
		b->hi = (unsigned)hi;
		b->lo = (unsigned)lo;
		b->add = 0;
		if (rb + 1 < close) {
			if (rb[1] != '+' ||
			    qparse_hex(rb + 2, (size_t)(close - rb - 2), 0xffff,
				       &b->add) < 0)
				return "expected +ADD (hex) or ')' after the "
				       "bit field";
		}
	}
	e = kd_duration_parse(close + 2, (size_t)(t + len - close - 2), 0,
			      &b->unit_ns);
	if (e)
		return e;
	if (!b->unit_ns)
		return "the bound's unit must be non-zero";
	b->set = true;
	s->timeout_ns = kd_quirk_bound_ns(b, UINT64_MAX);
	if (s->timeout_ns > 600ull * KD_NS_PER_S)
		return "the largest bound this gives is over 600s";
	(void)k;
	return NULL;
}

/* The timeout= and interval= tokens ending a poll step. */
static const char *parse_poll_bounds(struct steptok *k,
				     struct kd_quirk_step *s)
{
	const char *t, *e;

	s->interval_ns = 1000000;
	while ((t = tok_next(k))) {
		uint64_t *dst;
		size_t skip;

		*k->err_off = (size_t)(t - k->text);
		if (has_prefix(t, k->len, "timeout=(")) {
			e = parse_bound(k, t + 8, k->len - 8, s);
			if (e)
				return e;
			continue;
		}
		if (has_prefix(t, k->len, "timeout=")) {
			dst = &s->timeout_ns;
			skip = 8;
		} else if (has_prefix(t, k->len, "interval=")) {
			dst = &s->interval_ns;
			skip = 9;
		} else {
			return "expected timeout=DURATION or interval=DURATION";
		}
		*k->err_off += skip;
		e = kd_duration_parse(t + skip, k->len - skip, 0, dst);
		if (e)
			return e;
	}
	*k->err_off = 0;
	if (!s->timeout_ns)
		return "poll needs timeout=DURATION (non-zero)";
	if (!s->interval_ns)
		return "poll interval must be non-zero";
	if (s->interval_ns > s->timeout_ns)
		return "poll interval is longer than its timeout";
	return NULL;
}

/* "poll cfg|mmio REG.W=VALUE[:MASK] timeout=D [interval=D]" */
static const char *parse_poll(struct steptok *k, struct kd_quirk_step *s)
{
	const char *t = tok_next(k), *e;
	bool mmio;

	if (!tok_is(t, k->len, "cfg") && !tok_is(t, k->len, "mmio")) {
		*k->err_off = t ? (size_t)(t - k->text) : 0;
		return "expected: poll cfg|mmio REG.W=VALUE[:MASK] "
		       "timeout=DURATION [interval=DURATION]";
	}
	mmio = k->len == 4;
	s->kind = mmio ? KD_STEP_POLL_MMIO : KD_STEP_POLL_CFG;
	e = parse_target(k, s, mmio,
			 "expected REG.W=VALUE[:MASK] after poll cfg|mmio",
			 mmio ? "poll mmio needs BARn+OFFSET" :
				"poll cfg takes a config register");
	return e ? e : parse_poll_bounds(k, s);
}

/* "check cfg|mmio REG.W=VALUE[:MASK]": read once; a mismatch means the
 * device-specific reset is not available (reset_hinic_vf_dev()'s
 * firmware capability, pcie_reset_flr()'s DevCap.FLR probe) */
static const char *parse_check(struct steptok *k, struct kd_quirk_step *s)
{
	const char *t = tok_next(k);
	bool mmio;

	if (!tok_is(t, k->len, "cfg") && !tok_is(t, k->len, "mmio")) {
		*k->err_off = t ? (size_t)(t - k->text) : 0;
		return "expected: check cfg|mmio REG.W=VALUE[:MASK]";
	}
	mmio = k->len == 4;
	s->kind = KD_STEP_CHECK;
	return parse_target(k, s, mmio,
			    "expected REG.W=VALUE[:MASK] after check cfg|mmio",
			    mmio ? "check mmio needs BARn+OFFSET" :
				   "check cfg takes a config register");
}

/* "run [timeout=DURATION] /PATH [ARG...]": the rest of the line is its */
static const char *parse_run(struct steptok *k, struct kd_quirk_step *s)
{
	const char *t, *e;
	size_t n = 0, cap = 0;

	s->kind = KD_STEP_RUN;
	s->timeout_ns = 10ull * KD_NS_PER_S;
	while ((t = tok_next(k)) && has_prefix(t, k->len, "timeout=")) {
		*k->err_off = (size_t)(t - k->text) + 8;
		e = kd_duration_parse(t + 8, k->len - 8, 0, &s->timeout_ns);
		if (e)
			return e;
		if (!s->timeout_ns)
			return "script timeout must be non-zero";
	}
	if (!t) {
		*k->err_off = 0;
		return "expected: run [timeout=DURATION] /PATH [ARG...]";
	}
	*k->err_off = (size_t)(t - k->text);
	if (t[0] != '/')
		return "script path must be absolute";
	do {
		e = add_arg(k->pool, s, &n, &cap, t, k->len);
		if (e)
			return e;
	} while ((t = tok_next(k)));
	*k->err_off = 0;
	return NULL;
}

const char *qparse_step(struct qpool *pool, const char *text,
			struct kd_quirk_step *s, size_t *err_off,
			char *msgbuf, size_t msglen)
{
	struct steptok k = { .pool = pool, .text = text, .err_off = err_off,
			     .msgbuf = msgbuf, .msglen = msglen };
	const char *t = tok_next(&k), *e;
	size_t len = k.len;

	memset(s, 0, sizeof(*s));
	*err_off = 0;
	if (!t)
		return "empty step";
	if (tok_is(t, len, "wait"))
		e = parse_wait(&k, s);
	else if (tok_is(t, len, "cfg") || tok_is(t, len, "mmio"))
		e = parse_write(&k, s, len == 4);
	else if (tok_is(t, len, "poll"))
		e = parse_poll(&k, s);
	else if (tok_is(t, len, "run"))
		return parse_run(&k, s);
	else if (tok_is(t, len, "flr"))
		e = (s->kind = KD_STEP_FLR, NULL);
	else if (tok_is(t, len, "check"))
		e = parse_check(&k, s);
	else
		return MSG("unknown step '%.*s' (cfg, mmio, poll, wait, run, "
			   "flr, check)", (int)(len > 30 ? 30 : len), t);
	if (e)
		return e;
	t = tok_next(&k);
	if (t) {
		*err_off = (size_t)(t - text);
		return "unexpected text after the step";
	}
	return NULL;
}
