# kdsafe — make, make check, make bench, make install (see README.md)
VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
# the GNU names (make install; docs/install.md)
prefix ?= $(PREFIX)
exec_prefix ?= $(prefix)
sbindir ?= $(exec_prefix)/sbin
libdir ?= $(exec_prefix)/lib
datadir ?= $(prefix)/share
mandir ?= $(datadir)/man
sysconfdir ?= /etc
bashcompdir ?= $(datadir)/bash-completion/completions
dracutmoddir ?= $(libdir)/dracut/modules.d
initramfsdir ?= $(datadir)/initramfs-tools
CC ?= gcc

PKGS := libpci libkmod json-c inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libkmod is opened on first use (probe/kmod.c): its headers, not its library
PKG_LIBS := $(shell pkg-config --libs $(filter-out libkmod,$(PKGS)) 2>/dev/null || echo -lpci -ljson-c -linih) -ldl -lpthread

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
	-Wno-format-nonliteral
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DKDSAFE_VERSION='"$(VERSION)"' \
	-I. $(PKG_CFLAGS) $(WARN) -g
CFLAGS ?= -O2

# one idea per folder; data flows access -> probe -> quirks -> reset ->
# config -> campaign -> whitelist -> cli
LIB_DIRS := access probe quirks reset config campaign whitelist
LIB_SRCS := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
CLI_SRCS := $(sort $(wildcard cli/*.c))
HDRS := $(wildcard */*.h)

# release build: the built-in paths follow the install directories (the
# test build keeps the defaults in quirks/quirks.h and config/conf.h, so
# its tests do not depend on PREFIX)
B := build
PATH_DEFS := -DKD_QUIRKS_LIB_DIR='"$(libdir)/kdsafe/quirks.d"' \
	-DKD_QUIRKS_ETC_DIR='"$(sysconfdir)/kdsafe/quirks.d"' \
	-DKD_CONF_PATH='"$(sysconfdir)/kdsafe/kdsafe.conf"'
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/%.o)

# test build: ASan+UBSan, real-/sys writes compiled out
T := build-test
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
T_CFLAGS := -O1 $(SAN) -DKDSAFE_NO_REAL_WRITES
T_LIB_OBJS := $(LIB_SRCS:%.c=$(T)/%.o)
T_CLI_OBJS := $(CLI_SRCS:%.c=$(T)/%.o)

UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
UNIT_SUPPORT := $(sort $(wildcard tests/unit/support/*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(T)/tests/%)
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(T)/tools/%)

# per-topic fragments (mk/*.mk) may add to CHECK_EXTRA, BENCH_EXTRA and
# define their own targets
.DEFAULT_GOAL := all
CHECK_EXTRA :=
BENCH_EXTRA :=
-include $(sort $(wildcard mk/*.mk))

.PHONY: all check check-unit check-cli analyze bench install uninstall clean fuzz
all: $(B)/kdsafe

# rebuilt when the install directories change (make; make install PREFIX=/usr)
$(B)/paths.stamp: FORCE
	@mkdir -p $(B)
	@echo "$(libdir) $(sysconfdir)" | cmp -s - $@ || \
		echo "$(libdir) $(sysconfdir)" >$@
.PHONY: FORCE
FORCE:

$(B)/%.o: %.c $(HDRS) $(B)/paths.stamp
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(BASE_CFLAGS) $(PATH_DEFS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libkdsafe.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/kdsafe: $(CLI_OBJS) $(B)/libkdsafe.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(T)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(T_CFLAGS) -c -o $@ $<

$(T)/libkdsafe.a: $(T_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(T)/kdsafe: $(T_CLI_OBJS) $(T)/libkdsafe.a
	$(CC) $(T_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(T)/tests/%: tests/unit/%.c $(UNIT_SUPPORT) $(T)/libkdsafe.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(T_CFLAGS) -Itests/unit -Itests/unit/support -o $@ $< $(UNIT_SUPPORT) \
		$(T)/libkdsafe.a $(PKG_LIBS) -lcmocka

$(T)/tools/%: tests/tools/%.c $(T)/libkdsafe.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(T_CFLAGS) -o $@ $< $(T)/libkdsafe.a $(PKG_LIBS)

check: analyze check-unit check-cli $(CHECK_EXTRA)
	@echo "make check: all passed"

# quirk scripts in tests must pass the script checks: a directory whose
# parents are all root-owned and not group/world-writable
TEST_TMP = $(shell tests/safe-tmpdir.sh $(CURDIR)/$(T)/tmp)

check-unit: $(UNIT_BINS)
	@set -e; export KDSAFE_TEST_TMPDIR=$(TEST_TMP); \
		for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

check-cli: $(T)/kdsafe $(TOOL_BINS)
	KDSAFE=$(CURDIR)/$(T)/kdsafe TOOLS=$(CURDIR)/$(T)/tools \
		KDSAFE_TEST_TMPDIR=$(TEST_TMP) tests/cli/run-all.sh

# gcc's static analyzer over every C file, warnings are errors
analyze:
	@mkdir -p $(B)/analyze
	@set -e; for f in $(LIB_SRCS) $(CLI_SRCS); do \
		$(CC) $(BASE_CFLAGS) -O0 -fanalyzer -c -o /dev/null $$f; done
	@echo "analyze: no warnings from gcc -fanalyzer"

bench: $(B)/kdsafe $(T)/tools/mkfixture $(BENCH_EXTRA)
	KDSAFE=$(CURDIR)/$(B)/kdsafe TOOLS=$(CURDIR)/$(T)/tools bench/probe.sh

HOOK_SED = sed -e 's|@SBINDIR@|$(sbindir)|g' -e 's|@LIBDIR@|$(libdir)|g' \
	-e 's|@SYSCONFDIR@|$(sysconfdir)|g'

# make install [DESTDIR=...] [PREFIX=/usr] [sysconfdir=/etc] (docs/install.md)
# The binary goes into every kdump initramfs, whose generators copy it as
# it is (mkinitramfs' copy_exec, dracut without --strip): stripped, it adds
# a third of the bytes.  INSTALL_STRIP= keeps the symbols (packagers).
# A cross build strips with its own binutils (the host's strip cannot read
# the target's ELF): CROSS_COMPILE, else the prefix of CC's last word when
# it ends in -gcc or -cc (aarch64-linux-gnu-gcc: aarch64-linux-gnu-strip).
INSTALL_STRIP ?= -s --strip-program=$(STRIP)
CC_CROSS_PREFIX = $(patsubst %-gcc,%-,$(patsubst %-cc,%-,$(filter %-gcc %-cc,$(notdir $(lastword $(CC))))))
STRIP ?= $(or $(CROSS_COMPILE),$(CC_CROSS_PREFIX))strip
install: $(B)/kdsafe
	install -D -m 0755 $(INSTALL_STRIP) $(B)/kdsafe $(DESTDIR)$(sbindir)/kdsafe
	install -d $(DESTDIR)$(mandir)/man8 $(DESTDIR)$(mandir)/man5
	install -m 0644 docs/man/*.8 $(DESTDIR)$(mandir)/man8/
	install -m 0644 docs/man/*.5 $(DESTDIR)$(mandir)/man5/
	install -d $(DESTDIR)$(libdir)/kdsafe/quirks.d
	if ls quirks.d/*.conf >/dev/null 2>&1; then \
		install -m 0644 quirks.d/*.conf $(DESTDIR)$(libdir)/kdsafe/quirks.d/; fi
	install -d $(DESTDIR)$(sysconfdir)/kdsafe/quirks.d
	@# the administrator's file is never overwritten
	if [ ! -e $(DESTDIR)$(sysconfdir)/kdsafe/kdsafe.conf ]; then \
		install -m 0644 config/kdsafe.conf \
			$(DESTDIR)$(sysconfdir)/kdsafe/kdsafe.conf; fi
	install -D -m 0644 completion/kdsafe.bash $(DESTDIR)$(bashcompdir)/kdsafe
	@# the initramfs hooks, with the install directories filled in
	install -d $(DESTDIR)$(dracutmoddir)/90kdsafe \
		$(DESTDIR)$(initramfsdir)/hooks \
		$(DESTDIR)$(initramfsdir)/scripts/init-top
	for f in hooks/dracut/*; do \
		$(HOOK_SED) $$f >$(DESTDIR)$(dracutmoddir)/90kdsafe/$${f##*/} && \
		chmod 0755 $(DESTDIR)$(dracutmoddir)/90kdsafe/$${f##*/}; done
	$(HOOK_SED) hooks/initramfs-tools/hook >$(DESTDIR)$(initramfsdir)/hooks/kdsafe
	$(HOOK_SED) hooks/initramfs-tools/init-top \
		>$(DESTDIR)$(initramfsdir)/scripts/init-top/kdsafe
	chmod 0755 $(DESTDIR)$(initramfsdir)/hooks/kdsafe \
		$(DESTDIR)$(initramfsdir)/scripts/init-top/kdsafe

uninstall:
	rm -f $(DESTDIR)$(sbindir)/kdsafe $(DESTDIR)$(bashcompdir)/kdsafe
	for f in docs/man/*.8 docs/man/*.5; do \
		rm -f $(DESTDIR)$(mandir)/man$${f##*.}/$${f##*/}; done
	for f in quirks.d/*.conf; do \
		rm -f $(DESTDIR)$(libdir)/kdsafe/quirks.d/$${f##*/}; done
	-rmdir $(DESTDIR)$(libdir)/kdsafe/quirks.d $(DESTDIR)$(libdir)/kdsafe
	@# an edited kdsafe.conf stays (like a package's conffile); ours goes
	if cmp -s config/kdsafe.conf $(DESTDIR)$(sysconfdir)/kdsafe/kdsafe.conf; \
		then rm -f $(DESTDIR)$(sysconfdir)/kdsafe/kdsafe.conf; fi
	-rmdir $(DESTDIR)$(sysconfdir)/kdsafe/quirks.d $(DESTDIR)$(sysconfdir)/kdsafe
	rm -f $(DESTDIR)$(initramfsdir)/hooks/kdsafe \
		$(DESTDIR)$(initramfsdir)/scripts/init-top/kdsafe
	for f in hooks/dracut/*; do \
		rm -f $(DESTDIR)$(dracutmoddir)/90kdsafe/$${f##*/}; done
	-rmdir $(DESTDIR)$(dracutmoddir)/90kdsafe

clean:
	rm -rf $(B) $(T)

-include tests/vm/vm.mk
