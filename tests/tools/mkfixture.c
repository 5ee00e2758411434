// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkfixture DUMPFILE OUTDIR: builds a fake sysfs tree (plus proc and
 * lib/modules) from an annotated `lspci -xxxx` dump, for kdsafe --sysroot
 * and for `lspci -A linux-sysfs -O sysfs.path=OUTDIR/sys/bus/pci`.
 * Format and layout: docs/fixture-format.md.
 *
 * A malformed dump line drops its device (the parser names FILE:LINE); the
 * others are still built and the exit status is 1.  Exit 2: usage.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access/access.h"
#include "access/dump.h"

#define RELEASE "6.1.0-kdsafe-fixture"
#define MODDIR "lib/modules/" RELEASE
#define MODSUB "kernel/drivers/fixture"

#if defined(__aarch64__)
#define KO_MACHINE EM_AARCH64
#else
#define KO_MACHINE EM_X86_64 /* depmod does not look at it */
#endif

struct func {
	struct kd_dump_func f; /* annot[] points into f.annot_buf */
	char dir[PATH_MAX];    /* "sys/devices/pci0000:00/.../0000:03:00.0" */
	int state;             /* 0 new, 1 resolving, 2 placed */
	uint16_t vid, did;     /* as sysfs shows them */
};

struct module {
	char name[64];
	bool builtin;
	char **aliases;
	size_t n;
};

struct fixture {
	char out[PATH_MAX];
	struct func **v; /* each allocated alone: annot[] points into it */
	size_t n, cap;
	struct module *mods;
	size_t n_mods;
	int errors;
};

static void logf_(const char *prefix, const char *fmt, va_list args)
{
	fprintf(stderr, "mkfixture: %s", prefix);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

static void __attribute__((format(printf, 2, 3)))
error(struct fixture *fx, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	logf_("error: ", fmt, args);
	va_end(args);
	fx->errors++;
}

static void __attribute__((format(printf, 1, 2))) warning(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	logf_("warning: ", fmt, args);
	va_end(args);
}

static void ctx_log(void *data, int prio, const char *file, int line,
		    const char *fn, const char *format, va_list args)
{
	(void)data, (void)file, (void)line, (void)fn;
	logf_(prio <= KD_LOG_ERR ? "error: " : "", format, args);
}

/* ---- a growing buffer (NUL bytes allowed inside) ---------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list args;
	int n;

	for (;;) {
		va_start(args, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
			      b->p ? b->cap - b->len : 0, fmt, args);
		va_end(args);
		if (n < 0)
			abort();
		if (b->p && b->len + (size_t)n < b->cap)
			break;
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	b->len += (size_t)n;
}

/* ---- config space helpers ---------------------------------------------- */

static uint8_t cfg8(const struct kd_dump_func *f, unsigned pos)
{
	return pos < f->len ? f->cfg[pos] : 0xff;
}

static uint16_t cfg16(const struct kd_dump_func *f, unsigned pos)
{
	return (uint16_t)(cfg8(f, pos) | cfg8(f, pos + 1) << 8);
}

static unsigned hdr_type(const struct kd_dump_func *f)
{
	return cfg8(f, 0x0e) & 0x7f;
}

/* The subsystem IDs the kernel shows: type 0 header, SSVID capability of a
 * bridge, 0x40 of a CardBus bridge. */
static void subsystem(const struct kd_dump_func *f, uint16_t *sv,
		      uint16_t *sd)
{
	unsigned pos = 0, ttl = 48;

	*sv = *sd = 0;
	if (hdr_type(f) == 0) {
		*sv = cfg16(f, 0x2c);
		*sd = cfg16(f, 0x2e);
	} else if (hdr_type(f) == 2) {
		*sv = cfg16(f, 0x40);
		*sd = cfg16(f, 0x42);
	} else if (hdr_type(f) == 1 && (cfg16(f, 0x06) & 0x10)) {
		pos = cfg8(f, 0x34);
		while (ttl-- && pos >= 0x40 && pos + 8 <= f->len) {
			pos &= ~3u;
			if (cfg8(f, pos) == 0x0d) {
				*sv = cfg16(f, pos + 4);
				*sd = cfg16(f, pos + 6);
				break;
			}
			pos = cfg8(f, pos + 1);
		}
	}
}

/* Offset of extended capability id, or 0. */
static unsigned ecap_find(const struct kd_dump_func *f, uint16_t id)
{
	unsigned pos = 0x100, ttl = 480;

	while (ttl-- && pos >= 0x100 && pos + 4 <= f->len) {
		uint32_t h = cfg16(f, pos) | (uint32_t)cfg16(f, pos + 2) << 16;

		if (h == 0 || h == 0xffffffff)
			break;
		if ((h & 0xffff) == id)
			return pos;
		pos = (h >> 20) & 0xffc;
	}
	return 0;
}

/* ---- files ------------------------------------------------------------- */

static int mkdirs(struct fixture *fx, const char *rel)
{
	char p[PATH_MAX * 2];
	int n = snprintf(p, sizeof(p), "%s/%s", fx->out, rel);

	if (n < 0 || (size_t)n >= sizeof(p))
		return -ENAMETOOLONG;
	for (char *s = p + strlen(fx->out) + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			error(fx, "mkdir %s: %s", p, strerror(errno));
			return -errno;
		}
		*s = c;
		if (!c)
			return 0;
	}
}

static int parent_dirs(struct fixture *fx, const char *rel)
{
	char d[PATH_MAX];
	char *slash;

	snprintf(d, sizeof(d), "%s", rel);
	slash = strrchr(d, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	return mkdirs(fx, d);
}

/* Writes OUTDIR/rel (parents created). */
static void put(struct fixture *fx, const char *rel, const void *data,
		size_t len)
{
	char p[PATH_MAX * 2];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", fx->out, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 && errno == ENOENT && parent_dirs(fx, rel) == 0)
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		error(fx, "%s: %s", p, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void __attribute__((format(printf, 3, 4)))
putf(struct fixture *fx, const char *rel, const char *fmt, ...)
{
	char buf[1024];
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	put(fx, rel, buf, n < 0 ? 0 : (size_t)n);
}

/* OUTDIR/link -> target, both relative to OUTDIR; the link's text is
 * relative from the link's directory, as sysfs makes it. */
static void link_rel(struct fixture *fx, const char *link, const char *target)
{
	char text[PATH_MAX * 2] = "", p[PATH_MAX * 2];
	size_t common = 0, i;

	for (i = 0; link[i] && link[i] == target[i]; i++)
		if (link[i] == '/')
			common = i + 1;
	for (i = common; link[i]; i++)
		if (link[i] == '/')
			strcat(text, "../");
	strncat(text, target + common, sizeof(text) - strlen(text) - 1);
	snprintf(p, sizeof(p), "%s/%s", fx->out, link);
	unlink(p);
	if (symlink(text, p) < 0 && (errno != ENOENT ||
				     parent_dirs(fx, link) < 0 ||
				     symlink(text, p) < 0))
		error(fx, "symlink %s: %s", p, strerror(errno));
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) > 56)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '_' && *s != '-')
			return false;
	return true;
}

/* ---- topology ---------------------------------------------------------- */

static struct func *find(struct fixture *fx, const struct kd_addr *a)
{
	for (size_t i = 0; i < fx->n; i++)
		if (kd_addr_eq(&fx->v[i]->f.addr, a))
			return fx->v[i];
	return NULL;
}

/* parent= if given, else the bridge whose secondary bus is ours (as the
 * dump backend decides).  *hidden: parent= names no function of the dump. */
static struct func *find_parent(struct fixture *fx, struct func *fn,
				struct kd_addr *pa, bool *hidden)
{
	const char *v = kd_dump_annot(&fn->f, "parent");
	char s[KD_ADDR_STRLEN];
	struct func *p;

	*hidden = false;
	if (v) {
		if (kd_addr_parse(v, pa) < 0) {
			error(fx, "%s: parent=%s is not an address",
			      kd_addr_format(&fn->f.addr, s), v);
			return NULL;
		}
		p = find(fx, pa);
		*hidden = !p;
		return p;
	}
	for (size_t i = 0; i < fx->n; i++) {
		p = fx->v[i];
		if (p != fn && hdr_type(&p->f) == 1 && p->f.len >= 0x1b &&
		    p->f.addr.domain == fn->f.addr.domain &&
		    p->f.cfg[0x19] == fn->f.addr.bus)
			return p;
	}
	return NULL;
}

static void place(struct fixture *fx, struct func *fn)
{
	char s[KD_ADDR_STRLEN], ps[KD_ADDR_STRLEN];
	struct kd_addr pa;
	struct func *p;
	bool hidden;

	if (fn->state == 2)
		return;
	kd_addr_format(&fn->f.addr, s);
	if (fn->state == 1) {
		error(fx, "%s: parent loop, put on its root bus", s);
		snprintf(fn->dir, sizeof(fn->dir), "sys/devices/pci%04x:%02x/%s",
			 fn->f.addr.domain, fn->f.addr.bus, s);
		fn->state = 2;
		return;
	}
	fn->state = 1;
	p = find_parent(fx, fn, &pa, &hidden);
	if (p)
		place(fx, p);
	if (fn->state == 2) /* placed by the loop breaker */
		return;
	if (p && snprintf(fn->dir, sizeof(fn->dir), "%s/%s", p->dir, s) <
			 (int)sizeof(fn->dir)) {
		/* nested under its parent */
	} else if (hidden) {
		warning("%s: parent %s is not in the dump: an empty directory",
			s, kd_addr_format(&pa, ps));
		snprintf(fn->dir, sizeof(fn->dir),
			 "sys/devices/pci%04x:%02x/%s/%s", pa.domain, pa.bus,
			 ps, s);
	} else {
		snprintf(fn->dir, sizeof(fn->dir), "sys/devices/pci%04x:%02x/%s",
			 fn->f.addr.domain, fn->f.addr.bus, s);
	}
	fn->state = 2;
}

/* ---- modules ----------------------------------------------------------- */

static void add_module(struct fixture *fx, const char *name, bool builtin,
		       const struct func *fn)
{
	struct module *m = NULL;
	char alias[64], **v;

	if (!valid_name(name)) {
		error(fx, "'%s' is not a module name", name);
		return;
	}
	for (size_t i = 0; i < fx->n_mods; i++)
		if (strcmp(fx->mods[i].name, name) == 0)
			m = &fx->mods[i];
	if (!m) {
		struct module *n = realloc(fx->mods, (fx->n_mods + 1) *
						     sizeof(*n));
		if (!n)
			abort();
		fx->mods = n;
		m = &fx->mods[fx->n_mods++];
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", name);
	}
	m->builtin |= builtin;
	snprintf(alias, sizeof(alias), "pci:v%08Xd%08Xsv*sd*bc*sc*i*",
		 fn->vid, fn->did);
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->aliases[i], alias) == 0)
			return;
	v = realloc(m->aliases, (m->n + 1) * sizeof(*v));
	if (!v || !(v[m->n] = strdup(alias)))
		abort();
	m->aliases = v;
	m->n++;
}

/* A relocatable ELF object holding only .modinfo (and an empty symbol
 * table): all depmod needs to index a module's aliases. */
static void write_ko(struct fixture *fx, const struct module *m)
{
	static const char shstr[] = "\0.modinfo\0.symtab\0.strtab\0.shstrtab";
	struct buf info = { 0 };
	char rel[PATH_MAX], *buf;
	size_t ilen, off_sym, off_str, off_shstr, off_sh, total;
	Elf64_Ehdr eh = { 0 };
	Elf64_Shdr sh[5] = { { 0 } };

	for (size_t i = 0; i < m->n; i++)
		bprintf(&info, "alias=%s%c", m->aliases[i], 0);
	bprintf(&info, "name=%s%clicense=GPL%c", m->name, 0, 0);
	ilen = info.len;
	off_sym = (64 + ilen + 7) & ~(size_t)7;
	off_str = off_sym + sizeof(Elf64_Sym);
	off_shstr = off_str + 1;
	off_sh = (off_shstr + sizeof(shstr) + 7) & ~(size_t)7;
	total = off_sh + sizeof(sh);

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_REL;
	eh.e_machine = KO_MACHINE;
	eh.e_version = EV_CURRENT;
	eh.e_shoff = off_sh;
	eh.e_ehsize = sizeof(eh);
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 5;
	eh.e_shstrndx = 4;
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS,
			      .sh_flags = SHF_ALLOC, .sh_offset = 64,
			      .sh_size = ilen, .sh_addralign = 1 };
	sh[2] = (Elf64_Shdr){ .sh_name = 10, .sh_type = SHT_SYMTAB,
			      .sh_offset = off_sym, .sh_size = sizeof(Elf64_Sym),
			      .sh_link = 3, .sh_info = 1, .sh_addralign = 8,
			      .sh_entsize = sizeof(Elf64_Sym) };
	sh[3] = (Elf64_Shdr){ .sh_name = 18, .sh_type = SHT_STRTAB,
			      .sh_offset = off_str, .sh_size = 1,
			      .sh_addralign = 1 };
	sh[4] = (Elf64_Shdr){ .sh_name = 26, .sh_type = SHT_STRTAB,
			      .sh_offset = off_shstr, .sh_size = sizeof(shstr),
			      .sh_addralign = 1 };
	buf = calloc(1, total);
	if (!buf)
		abort();
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + 64, info.p, ilen);
	free(info.p);
	memcpy(buf + off_shstr, shstr, sizeof(shstr));
	memcpy(buf + off_sh, sh, sizeof(sh));
	snprintf(rel, sizeof(rel), MODDIR "/" MODSUB "/%s.ko", m->name);
	put(fx, rel, buf, total);
	free(buf);
}

/* lib/modules/RELEASE: fake .ko files, modules.builtin*, then depmod. */
static void write_modules(struct fixture *fx)
{
	struct buf order = { 0 }, builtin = { 0 }, modinfo = { 0 };
	char base[PATH_MAX], conf[PATH_MAX + 16];
	int status;
	pid_t pid;

	bprintf(&order, "%s", "");
	bprintf(&builtin, "%s", "");
	bprintf(&modinfo, "%s", "");
	for (size_t i = 0; i < fx->n_mods; i++) {
		const struct module *m = &fx->mods[i];

		bprintf(m->builtin ? &builtin : &order, MODSUB "/%s.ko\n",
			m->name);
		if (!m->builtin)
			write_ko(fx, m);
		for (size_t j = 0; m->builtin && j < m->n; j++)
			bprintf(&modinfo, "%s.alias=%s%c", m->name,
				m->aliases[j], 0);
	}
	mkdirs(fx, MODDIR);
	mkdirs(fx, "etc/depmod.d");
	put(fx, MODDIR "/modules.order", order.p, order.len);
	put(fx, MODDIR "/modules.builtin", builtin.p, builtin.len);
	put(fx, MODDIR "/modules.builtin.modinfo", modinfo.p, modinfo.len);
	free(order.p);
	free(builtin.p);
	free(modinfo.p);

	if (!realpath(fx->out, base)) {
		error(fx, "%s: %s", fx->out, strerror(errno));
		return;
	}
	snprintf(conf, sizeof(conf), "%s/etc/depmod.d", base);
	pid = fork();
	if (pid == 0) {
		static const char *const paths[] = { "/usr/sbin/depmod",
						     "/sbin/depmod", "depmod" };

		for (size_t i = 0; i < 3; i++)
			execvp(paths[i], (char *const[]){ "depmod", "-b", base,
							  "-C", conf, RELEASE,
							  NULL });
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		error(fx, "depmod: %s", strerror(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		warning("depmod not found: no module index");
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		error(fx, "depmod -b %s %s failed", base, RELEASE);
}

/* ---- devices ----------------------------------------------------------- */

static const char *const known_keys[] = { "parent", "driver", "builtin",
					  "module", "reset_method", "physfn",
					  "slot", NULL };

static bool known(const char *key)
{
	for (size_t i = 0; known_keys[i]; i++)
		if (strcmp(key, known_keys[i]) == 0)
			return true;
	return false;
}

static void write_links(struct fixture *fx, struct func *fn, const char *s)
{
	const char *drv = kd_dump_annot(&fn->f, "driver");
	const char *bi = kd_dump_annot(&fn->f, "builtin");
	const char *pf = kd_dump_annot(&fn->f, "physfn");
	const char *slot = kd_dump_annot(&fn->f, "slot");
	char rel[PATH_MAX * 2], tgt[PATH_MAX];
	bool builtin = bi && strcmp(bi, "1") == 0;

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", s);
	link_rel(fx, rel, fn->dir);
	if (drv && !valid_name(drv)) {
		error(fx, "%s: driver=%s is not a driver name", s, drv);
	} else if (drv) {
		snprintf(tgt, sizeof(tgt), "sys/bus/pci/drivers/%s", drv);
		snprintf(rel, sizeof(rel), "%s/driver", fn->dir);
		link_rel(fx, rel, tgt);
		snprintf(rel, sizeof(rel), "%s/%s", tgt, s);
		link_rel(fx, rel, fn->dir);
		snprintf(rel, sizeof(rel), "%s/bind", tgt);
		put(fx, rel, "", 0);
		snprintf(rel, sizeof(rel), "%s/unbind", tgt);
		put(fx, rel, "", 0);
		snprintf(rel, sizeof(rel), "%s/module", tgt);
		snprintf(tgt, sizeof(tgt), "sys/module/%s", drv);
		link_rel(fx, rel, tgt);
		mkdirs(fx, tgt);
		if (!builtin) {
			snprintf(rel, sizeof(rel), "%s/initstate", tgt);
			putf(fx, rel, "live\n");
		}
		add_module(fx, drv, builtin, fn);
	}
	if (pf) {
		struct kd_addr a;
		struct func *p;
		unsigned n = 0;

		if (kd_addr_parse(pf, &a) < 0 || !(p = find(fx, &a))) {
			error(fx, "%s: physfn=%s is not a function of the dump",
			      s, pf);
		} else {
			snprintf(rel, sizeof(rel), "%s/physfn", fn->dir);
			link_rel(fx, rel, p->dir);
			/* virtfnN on the PF: this VF's rank among its VFs */
			for (size_t i = 0; fx->v[i] != fn; i++) {
				const char *opf = kd_dump_annot(&fx->v[i]->f,
								"physfn");
				struct kd_addr b;

				n += opf && kd_addr_parse(opf, &b) == 0 &&
				     kd_addr_eq(&a, &b);
			}
			snprintf(rel, sizeof(rel), "%s/virtfn%u", p->dir, n);
			link_rel(fx, rel, fn->dir);
		}
	}
	if (slot && !valid_name(slot)) {
		error(fx, "%s: slot=%s is not a slot name", s, slot);
	} else if (slot) {
		snprintf(rel, sizeof(rel), "sys/bus/pci/slots/%s/address",
			 slot);
		putf(fx, rel, "%04x:%02x:%02x\n", fn->f.addr.domain,
		     fn->f.addr.bus, fn->f.addr.dev);
	}
}

static void write_func(struct fixture *fx, struct func *fn)
{
	const struct kd_dump_func *f = &fn->f;
	char s[KD_ADDR_STRLEN], rel[PATH_MAX * 2];
	struct buf res = { 0 };
	uint16_t sv, sd, vid, did;
	struct kd_addr pa;
	struct func *pf;
	unsigned sriov;
	const char *v;

	kd_addr_format(&f->addr, s);
	subsystem(f, &sv, &sd);
	vid = cfg16(f, 0);
	did = cfg16(f, 2);
	/* a VF reads its IDs as ffff; the kernel takes them from the PF's
	 * SR-IOV capability (VF Device ID at +0x1a) */
	if ((v = kd_dump_annot(f, "physfn")) && vid == 0xffff &&
	    kd_addr_parse(v, &pa) == 0 && (pf = find(fx, &pa)) &&
	    (sriov = ecap_find(&pf->f, 0x0010))) {
		vid = cfg16(&pf->f, 0);
		did = cfg16(&pf->f, sriov + 0x1a);
	}
	fn->vid = vid;
	fn->did = did;
#define ATTR(name, ...)                                                     \
	do {                                                                \
		snprintf(rel, sizeof(rel), "%s/" name, fn->dir);           \
		putf(fx, rel, __VA_ARGS__);                                 \
	} while (0)
	snprintf(rel, sizeof(rel), "%s/config", fn->dir);
	put(fx, rel, f->cfg, f->len);
	ATTR("vendor", "0x%04x\n", vid);
	ATTR("device", "0x%04x\n", did);
	ATTR("subsystem_vendor", "0x%04x\n", sv);
	ATTR("subsystem_device", "0x%04x\n", sd);
	ATTR("class", "0x%02x%02x%02x\n", cfg8(f, 0x0b), cfg8(f, 0x0a),
	     cfg8(f, 0x09));
	ATTR("revision", "0x%02x\n", cfg8(f, 0x08));
	ATTR("irq", "%u\n", f->len > 0x3c ? f->cfg[0x3c] : 0);
	ATTR("modalias", "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n",
	     vid, did, sv, sd, cfg8(f, 0x0b), cfg8(f, 0x0a),
	     cfg8(f, 0x09));
	/* kernel resource_show(): 13 lines, 17 for a bridge; BARs unassigned */
	for (int i = 0; i < (hdr_type(f) == 1 ? 17 : 13); i++)
		bprintf(&res, "0x%016x 0x%016x 0x%016x\n", 0, 0, 0);
	snprintf(rel, sizeof(rel), "%s/resource", fn->dir);
	put(fx, rel, res.p, res.len);
	free(res.p);
	if ((v = kd_dump_annot(f, "reset_method"))) {
		ATTR("reset_method", "%s\n", v);
		ATTR("reset", "%s", "");
	}
	if ((v = kd_dump_annot(f, "module"))) {
		char buf[256], *save, *tok;

		snprintf(buf, sizeof(buf), "%s", v);
		for (tok = strtok_r(buf, ", ", &save); tok;
		     tok = strtok_r(NULL, ", ", &save))
			add_module(fx, tok, false, fn);
	}
	/* any other KEY=VALUE: a plain attribute file, as the dump backend
	 * serves annotations */
	for (unsigned i = 0; i < f->n_annot; i++) {
		if (known(f->annot[i].key))
			continue;
		if (!valid_name(f->annot[i].key) ||
		    strcmp(f->annot[i].key, "config") == 0) {
			error(fx, "%s: bad annotation key '%s'", s,
			      f->annot[i].key);
			continue;
		}
		snprintf(rel, sizeof(rel), "%s/%s", fn->dir, f->annot[i].key);
		putf(fx, rel, "%s\n", f->annot[i].value);
	}
#undef ATTR
	write_links(fx, fn, s);
}

static int collect(const struct kd_dump_func *f, void *data)
{
	struct fixture *fx = data;
	struct func *fn;

	if (find(fx, &f->addr)) {
		char s[KD_ADDR_STRLEN];

		error(fx, "%s: listed twice, first one kept",
		      kd_addr_format(&f->addr, s));
		return 0;
	}
	if (fx->n == fx->cap) {
		size_t cap = fx->cap ? fx->cap * 2 : 16;
		struct func **v = realloc(fx->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		fx->v = v;
		fx->cap = cap;
	}
	fn = calloc(1, sizeof(*fn));
	if (!fn)
		return -ENOMEM;
	fx->v[fx->n++] = fn;
	fn->f = *f;
	for (unsigned i = 0; i < f->n_annot; i++) {
		fn->f.annot[i].key = fn->f.annot_buf +
				     (f->annot[i].key - f->annot_buf);
		fn->f.annot[i].value = fn->f.annot_buf +
				       (f->annot[i].value - f->annot_buf);
	}
	return 0;
}

static void cleanup(struct fixture *fx)
{
	for (size_t i = 0; i < fx->n; i++)
		free(fx->v[i]);
	for (size_t i = 0; i < fx->n_mods; i++) {
		for (size_t j = 0; j < fx->mods[i].n; j++)
			free(fx->mods[i].aliases[j]);
		free(fx->mods[i].aliases);
	}
	free(fx->mods);
	free(fx->v);
}

int main(int argc, char **argv)
{
	struct kd_ctx_options opts = { .dump_path = "/dev/null",
				       .log_fn = ctx_log };
	struct fixture fx = { .n = 0 };
	struct kd_ctx *ctx;
	int ret;

	if (argc != 3 || argv[1][0] == '-' ||
	    strlen(argv[2]) >= sizeof(fx.out)) {
		fprintf(stderr, "Usage: mkfixture DUMPFILE OUTDIR\n"
				"Builds a fake sysfs tree under OUTDIR from an "
				"annotated lspci -xxxx dump\n(docs/fixture-"
				"format.md).  Exit 1 when some device could not "
				"be built.\n");
		return 2;
	}
	snprintf(fx.out, sizeof(fx.out), "%s", argv[2]);
	if (mkdir(fx.out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "mkfixture: %s: %s\n", fx.out, strerror(errno));
		return 1;
	}
	if (kd_ctx_new(&opts, &ctx) < 0)
		return 1;
	ret = kd_dump_parse(ctx, argv[1], collect, &fx);
	kd_ctx_unref(ctx);
	if (ret < 0) {
		cleanup(&fx);
		return 1;
	}
	fx.errors += ret;
	if (mkdirs(&fx, "sys/bus/pci/devices") == 0 &&
	    mkdirs(&fx, "sys/bus/pci/drivers") == 0 &&
	    mkdirs(&fx, "sys/bus/pci/slots") == 0 &&
	    mkdirs(&fx, "sys/module") == 0) {
		putf(&fx, "proc/sys/kernel/osrelease", "%s\n", RELEASE);
		for (size_t i = 0; i < fx.n; i++)
			place(&fx, fx.v[i]);
		for (size_t i = 0; i < fx.n; i++)
			write_func(&fx, fx.v[i]);
		write_modules(&fx);
	}
	cleanup(&fx);
	return fx.errors ? 1 : 0;
}
