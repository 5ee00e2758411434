# kdsafe — make, make check, make bench, make install (see README.md)
VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= gcc

PKGS := libpci libkmod json-c inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lpci -lkmod -ljson-c -linih) -lpthread

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
	-Wno-format-nonliteral
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DKDSAFE_VERSION='"$(VERSION)"' \
	-I. $(PKG_CFLAGS) $(WARN) -g
CFLAGS ?= -O2

# one idea per folder; data flows access -> probe -> quirks -> reset ->
# campaign -> whitelist -> cli
LIB_DIRS := access probe quirks reset campaign whitelist
LIB_SRCS := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
CLI_SRCS := $(sort $(wildcard cli/*.c))
HDRS := $(wildcard */*.h)

# release build
B := build
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

.PHONY: all check check-unit check-cli analyze bench install clean fuzz
all: $(B)/kdsafe

$(B)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libkdsafe.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/kdsafe: $(CLI_OBJS) $(B)/libkdsafe.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(T)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(BASE_CFLAGS) $(T_CFLAGS) -c -o $@ $<

$(T)/libkdsafe.a: $(T_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(T)/kdsafe: $(T_CLI_OBJS) $(T)/libkdsafe.a
	$(CC) $(T_CFLAGS) -o $@ $^ $(PKG_LIBS)

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

install: $(B)/kdsafe
	install -D -m 0755 $(B)/kdsafe $(DESTDIR)$(PREFIX)/sbin/kdsafe
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 docs/man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)/usr/lib/kdsafe/quirks.d
	if ls quirks.d/*.conf >/dev/null 2>&1; then \
		install -m 0644 quirks.d/*.conf $(DESTDIR)/usr/lib/kdsafe/quirks.d/; fi

clean:
	rm -rf $(B) $(T)

-include tests/vm/vm.mk
