# make fuzz: libFuzzer runs, one target after the other (not part of make
# check; the corpora and regressions are replayed there by
# tests/unit/test-quirks-fuzz.c and test-dump-fuzz.c):
#   fuzz-quirks  the quirk file parser (tests/fuzz/fuzz-quirks.c)
#   fuzz-dump    the lspci dump backend            \
#   fuzz-probe   + kd_probe of every function       } tests/fuzz/fuzz-dump.c
#   fuzz-reset   + a dry run of every reset method /
# FUZZ_TIME=seconds per target (default 60), FUZZ_CC=clang-14.  Crashes are
# written to build-test/fuzz/crashes/; copy each to tests/fuzz/regress
# (quirks) or tests/fuzz/dump-regress (dumps) with its fix.
FUZZ_CC ?= clang-14
FUZZ_TIME ?= 60
FUZZ_DIR := $(T)/fuzz
FUZZ_SRCS := $(sort $(wildcard access/*.c probe/*.c quirks/*.c))
FUZZ_RESET_SRCS := $(sort $(wildcard access/*.c probe/*.c quirks/*.c \
	reset/*.c))
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -DKDSAFE_VERSION='"$(VERSION)"' \
	-DKDSAFE_NO_REAL_WRITES -I. $(PKG_CFLAGS) -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_DUMP_TARGETS := fuzz-dump fuzz-probe fuzz-reset
FUZZ_TARGETS := fuzz-quirks $(FUZZ_DUMP_TARGETS)

.PHONY: fuzz fuzz-build $(FUZZ_TARGETS)

$(FUZZ_DIR)/fuzz-quirks: tests/fuzz/fuzz-quirks.c $(FUZZ_SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRCS) $(PKG_LIBS)

$(FUZZ_DIR)/fuzz-dump: STAGE := 1
$(FUZZ_DIR)/fuzz-probe: STAGE := 2
$(FUZZ_DIR)/fuzz-reset: STAGE := 3
$(addprefix $(FUZZ_DIR)/,$(FUZZ_DUMP_TARGETS)): tests/fuzz/fuzz-dump.c \
		$(FUZZ_RESET_SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -DKD_FUZZ_STAGE=$(STAGE) \
		-DKD_FUZZ_QUIRKS_DIR='"$(CURDIR)/quirks.d"' \
		-o $@ $< $(FUZZ_RESET_SRCS) $(PKG_LIBS)

fuzz-build: $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))

fuzz-quirks: $(FUZZ_DIR)/fuzz-quirks
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/crashes
	cp tests/fuzz/corpus/* quirks.d/*.conf $(FUZZ_DIR)/corpus/
	$< -max_total_time=$(FUZZ_TIME) -timeout=10 -max_len=4096 \
		-dict=tests/fuzz/quirks.dict \
		-artifact_prefix=$(CURDIR)/$(FUZZ_DIR)/crashes/ \
		$(FUZZ_DIR)/corpus
	@echo "fuzz-quirks: no crash in $(FUZZ_TIME)s (corpus: $(FUZZ_DIR)/corpus)"

# one corpus per target, seeded from the fixtures and the regressions
$(FUZZ_DUMP_TARGETS): fuzz-%: $(FUZZ_DIR)/fuzz-%
	@mkdir -p $(FUZZ_DIR)/corpus-$* $(FUZZ_DIR)/crashes
	tests/fuzz/seed-dumps.py $(FUZZ_DIR)/corpus-$* tests/fixtures/*.dump
	cp tests/fuzz/dump-regress/*.dump $(FUZZ_DIR)/corpus-$*/ 2>/dev/null || true
	$< -max_total_time=$(FUZZ_TIME) -timeout=10 -max_len=16384 \
		-rss_limit_mb=1024 -dict=tests/fuzz/dump.dict \
		-artifact_prefix=$(CURDIR)/$(FUZZ_DIR)/crashes/$*- \
		$(FUZZ_DIR)/corpus-$* 2>&1 | tee $(FUZZ_DIR)/$*.log | \
		grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|ERROR|SUMMARY|Done'
	@! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|^SUMMARY' \
		$(FUZZ_DIR)/$*.log
	@echo "fuzz-$*: no crash in $(FUZZ_TIME)s (corpus: $(FUZZ_DIR)/corpus-$*)"

# sequential: each run has the machine to itself
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do $(MAKE) --no-print-directory $$t; done
