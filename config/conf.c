// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdsafe.conf and its kernel command line overrides (conf.h).  One setter
 * for both sources, so a key means the same in the file and as
 * kdsafe.KEY=VALUE; every problem is a warning with its place, and the key
 * keeps the value it had.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/duration.h"
#include "conf.h"

void kd_conf_defaults(struct kd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->enabled = true;
	c->all = true;
	snprintf(c->devices_text, sizeof(c->devices_text), "all");
	c->method = KD_RM_AUTO;
	c->timeout_total_ns = KD_CONF_DEFAULT_TOTAL_NS;
	c->kmsg = true;
	snprintf(c->results_dir, sizeof(c->results_dir), "%s",
		 KD_CONF_DEFAULT_RESULTS);
}

/* Where a setting came from: "FILE:LINE" or "/proc/cmdline". */
struct place {
	struct kd_ctx *ctx;
	struct kd_conf *c;
	const char *file;
	unsigned line;
	FILE *f;
	bool cmdline;
};

__attribute__((format(printf, 2, 3)))
static void problem(struct place *p, const char *fmt, ...)
{
	char msg[512];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	p->c->problems++;
	if (!p->ctx)
		return; /* a first, quiet look (kdsafe hook: is it off?) */
	if (p->cmdline)
		WARN(p->ctx, "%s: %s", p->file, msg);
	else
		WARN(p->ctx, "%s:%u: %s", p->file, p->line, msg);
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Splits v on blanks and commas into words; calls fn for each: false
 * stops.  A copy: v is not changed. */
static bool each_word(const char *v, bool (*fn)(void *, const char *),
		      void *data)
{
	char buf[512], *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", v) >= (int)sizeof(buf))
		return false;
	for (char *w = strtok_r(buf, " \t,", &save); w;
	     w = strtok_r(NULL, " \t,", &save))
		if (!fn(data, w))
			return false;
	return true;
}

struct list_parse {
	struct kd_conf tmp;
	const char *bad;
	char bad_buf[64];
};

static bool add_device(void *data, const char *w)
{
	struct list_parse *l = data;

	if (l->tmp.n_devices == KD_CONF_MAX_LIST ||
	    kd_filter_parse(w, &l->tmp.devices[l->tmp.n_devices]) < 0) {
		snprintf(l->bad_buf, sizeof(l->bad_buf), "%s", w);
		l->bad = l->bad_buf;
		return false;
	}
	l->tmp.n_devices++;
	return true;
}

/* "0c", "0c03" or "0c0330" (hex: base class, subclass, prog-if) */
static bool add_class(void *data, const char *w)
{
	struct list_parse *l = data;
	size_t n = strlen(w);
	char *end;
	unsigned long v;

	if (w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) {
		w += 2;
		n -= 2;
	}
	v = strtoul(w, &end, 16);
	if ((n != 2 && n != 4 && n != 6) || *end || !isxdigit((unsigned char)w[0]) ||
	    l->tmp.n_exclude == KD_CONF_MAX_LIST) {
		snprintf(l->bad_buf, sizeof(l->bad_buf), "%s", w);
		l->bad = l->bad_buf;
		return false;
	}
	l->tmp.exclude[l->tmp.n_exclude].code = (uint32_t)(v << (4 * (6 - n)));
	l->tmp.exclude[l->tmp.n_exclude++].digits = (unsigned)n;
	return true;
}

static void set_devices(struct place *p, const char *v)
{
	struct list_parse l = { .tmp = { .n_devices = 0 } };

	if (strcmp(v, "all") == 0 || strcmp(v, "*") == 0) {
		p->c->all = true;
		p->c->n_devices = 0;
		snprintf(p->c->devices_text, sizeof(p->c->devices_text), "all");
		return;
	}
	if (!each_word(v, add_device, &l) || l.tmp.n_devices == 0) {
		problem(p, "bad devices '%s'%s%s%s (want: all, or addresses "
			"[[DDDD:]BB:]DD[.F] and ids VVVV:DDDD, at most %d): "
			"keeping '%s'", v, l.bad ? ": '" : "",
			l.bad ? l.bad : "", l.bad ? "'" : "", KD_CONF_MAX_LIST,
			p->c->devices_text);
		return;
	}
	p->c->all = false;
	p->c->n_devices = l.tmp.n_devices;
	memcpy(p->c->devices, l.tmp.devices,
	       l.tmp.n_devices * sizeof(l.tmp.devices[0]));
	snprintf(p->c->devices_text, sizeof(p->c->devices_text), "%s", v);
}

static void set_exclude(struct place *p, const char *v)
{
	struct list_parse l = { .tmp = { .n_exclude = 0 } };

	if (!each_word(v, add_class, &l)) {
		problem(p, "bad exclude_classes '%s'%s%s%s (want hex classes: "
			"0c, 0c03 or 0c0330, at most %d): keeping '%s'", v,
			l.bad ? ": '" : "", l.bad ? l.bad : "",
			l.bad ? "'" : "", KD_CONF_MAX_LIST, p->c->exclude_text);
		return;
	}
	p->c->n_exclude = l.tmp.n_exclude;
	memcpy(p->c->exclude, l.tmp.exclude,
	       l.tmp.n_exclude * sizeof(l.tmp.exclude[0]));
	snprintf(p->c->exclude_text, sizeof(p->c->exclude_text), "%s", v);
}

static void set_jobs(struct place *p, const char *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 0 || n > 4096) {
		problem(p, "bad jobs '%s' (0: all at once, 1..4096): keeping "
			"%u", v, p->c->jobs);
		return;
	}
	p->c->jobs = (unsigned)n;
}

static void set_total(struct place *p, const char *v)
{
	uint64_t ns;
	const char *e = kd_duration_parse(v, strlen(v), KD_NS_PER_S, &ns);

	if (!e && ns == 0)
		e = "a budget of zero allows no reset at all";
	if (e) {
		problem(p, "bad timeout_total '%s': %s: keeping %llus", v, e,
			(unsigned long long)(p->c->timeout_total_ns /
					     KD_NS_PER_S));
		return;
	}
	p->c->timeout_total_ns = ns;
}

/* whether path has a ".." component (it could climb out of the sysroot) */
static bool has_dotdot(const char *path)
{
	for (const char *s = path; (s = strstr(s, "..")); s += 2)
		if ((s == path || s[-1] == '/') && (s[2] == '/' || !s[2]))
			return true;
	return false;
}

static void set_string(struct place *p, const char *key, const char *v,
		       char *dst, size_t len, bool absolute)
{
	if (strlen(v) >= len ||
	    (absolute && v[0] && (v[0] != '/' || has_dotdot(v)))) {
		problem(p, "bad %s '%s' (%s): keeping '%s'", key, v,
			absolute ? "an absolute path without '..', or empty "
				   "for none" : "too long", dst);
		return;
	}
	snprintf(dst, len, "%s", v);
}

static void set_bool(struct place *p, const char *key, const char *v,
		     bool *dst)
{
	if (!parse_bool(v, dst))
		problem(p, "bad %s '%s' (want yes/no, 1/0, true/false, "
			"on/off): keeping %s", key, v, *dst ? "yes" : "no");
}

/* One key = value from either source. */
static void set_key(struct place *p, const char *key, const char *v)
{
	struct kd_conf *c = p->c;

	if (strcmp(key, "enabled") == 0)
		set_bool(p, key, v, &c->enabled);
	else if (strcmp(key, "devices") == 0)
		set_devices(p, v);
	else if (strcmp(key, "exclude_classes") == 0)
		set_exclude(p, v);
	else if (strcmp(key, "method") == 0) {
		if (kd_reset_method_parse(v, &c->method) < 0)
			problem(p, "bad method '%s' (auto, kernel, kernel:flr, "
				"kernel:pm, kernel:bus, flr, af-flr, pm, bus, "
				"virtio, quiesce): keeping %s", v,
				kd_reset_method_name(c->method));
	} else if (strcmp(key, "dry_run") == 0)
		set_bool(p, key, v, &c->dry_run);
	else if (strcmp(key, "jobs") == 0)
		set_jobs(p, v);
	else if (strcmp(key, "timeout_total") == 0)
		set_total(p, v);
	else if (strcmp(key, "kmsg") == 0)
		set_bool(p, key, v, &c->kmsg);
	else if (strcmp(key, "results_dir") == 0)
		set_string(p, key, v, c->results_dir, sizeof(c->results_dir),
			   true);
	else if (p->cmdline && strcmp(key, "force") == 0)
		set_bool(p, key, v, &c->force);
	else if (p->cmdline && strcmp(key, "step") == 0)
		set_string(p, key, v, c->step, sizeof(c->step), false);
	else
		problem(p, "unknown key '%s' (ignored)", key);
}

/* ---- the file ------------------------------------------------------------ */

/* inih's reader: counts lines for the messages. */
static char *reader(char *buf, int size, void *data)
{
	struct place *p = data;
	char *r = fgets(buf, size, p->f);

	if (r)
		p->line++;
	return r;
}

static int handler(void *data, const char *section, const char *name,
		   const char *value)
{
	struct place *p = data;

	if (section[0] && strcmp(section, "hook") != 0) {
		problem(p, "unknown section [%s]: '%s' ignored", section, name);
		return 1;
	}
	set_key(p, name, value);
	return 1;
}

int kd_conf_load(struct kd_ctx *ctx, const char *path, struct kd_conf *c)
{
	struct place p = { .ctx = ctx, .c = c, .file = path };
	struct stat st;
	int ret, fd;

	/* never blocking: a FIFO in its place would hold up the boot */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		c->problems++;
		WARN(ctx, "%s: not a regular file: using the defaults", path);
		return 0;
	}
	p.f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!p.f) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (e == ENOENT) {
			DBG(ctx, "%s: not there, using the defaults", path);
			return 0;
		}
		c->problems++;
		WARN(ctx, "%s: %s: using the defaults", path, strerror(e));
		return e == ENOMEM ? -ENOMEM : 0;
	}
	ret = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.f);
	if (ret == -2)
		return -ENOMEM;
	if (ret > 0) {
		p.line = (unsigned)ret;
		problem(&p, "syntax error (want KEY = VALUE or [hook]): line "
			"ignored");
	}
	return 0;
}

/* ---- the kernel command line --------------------------------------------- */

/* The next word of a kernel command line into buf ("..." quoting as the
 * kernel's next_arg()); the rest, or NULL at the end. */
static const char *next_word(const char *s, char *buf, size_t len)
{
	size_t n = 0;
	bool quoted = false;

	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s)
		return NULL;
	for (; *s && (quoted || !isspace((unsigned char)*s)); s++) {
		if (*s == '"') {
			quoted = !quoted;
			continue;
		}
		if (n + 1 < len)
			buf[n++] = *s;
	}
	buf[n] = '\0';
	return s;
}

void kd_conf_cmdline(struct kd_ctx *ctx, const char *cmdline,
		     const char *source, struct kd_conf *c)
{
	struct place p = { .ctx = ctx, .c = c, .file = source,
			   .cmdline = true };
	char w[600];

	while ((cmdline = next_word(cmdline, w, sizeof(w)))) {
		char *eq = strchr(w, '=');

		if (strncmp(w, "kdsafe", 6) != 0)
			continue;
		if (strcmp(w, "kdsafe") == 0 || (eq && eq == w + 6)) {
			set_bool(&p, "kdsafe", eq ? eq + 1 : "", &c->enabled);
			continue;
		}
		if (w[6] != '.')
			continue; /* kdsafefoo: someone else's */
		if (!eq) {
			problem(&p, "'%s' without a value (kdsafe.KEY=VALUE)",
				w);
			continue;
		}
		*eq = '\0';
		/* the kernel treats - and _ in parameter names alike */
		for (char *k = w + 7; *k; k++)
			if (*k == '-')
				*k = '_';
		set_key(&p, w + 7, eq + 1);
	}
}

/* ---- using it ------------------------------------------------------------ */

bool kd_conf_selects(const struct kd_conf *c, const struct kd_addr *a,
		     uint16_t vendor, uint16_t device, uint32_t class_code)
{
	bool picked = c->all;

	for (size_t i = 0; i < c->n_exclude; i++) {
		unsigned shift = 4 * (6 - c->exclude[i].digits);

		if ((class_code >> shift) == (c->exclude[i].code >> shift))
			return false;
	}
	for (size_t i = 0; !picked && i < c->n_devices; i++)
		picked = kd_filter_match(&c->devices[i], a, vendor, device,
					 class_code);
	return picked;
}

void kd_conf_print(const struct kd_conf *c, FILE *f)
{
	fprintf(f, "enabled = %s\n", c->enabled ? "yes" : "no");
	fprintf(f, "devices = %s\n", c->devices_text);
	fprintf(f, "exclude_classes = %s\n", c->exclude_text);
	fprintf(f, "method = %s\n", kd_reset_method_name(c->method));
	fprintf(f, "dry_run = %s\n", c->dry_run ? "yes" : "no");
	fprintf(f, "jobs = %u\n", c->jobs);
	fprintf(f, "timeout_total = %llums\n",
		(unsigned long long)(c->timeout_total_ns / 1000000ull));
	fprintf(f, "kmsg = %s\n", c->kmsg ? "yes" : "no");
	fprintf(f, "results_dir = %s\n", c->results_dir);
	fprintf(f, "force = %s\n", c->force ? "yes" : "no");
	fprintf(f, "step = %s\n", c->step);
}
