# quirks: CLI tests of the real binary (shipped quirks.d included) in
# make check; a libFuzzer run of the quirk parser in make fuzz (not part
# of make check).  FUZZ_TIME=seconds, FUZZ_CC=clang.
CHECK_EXTRA += check-quirks

.PHONY: check-quirks fuzz

check-quirks: $(T)/kdsafe
	KDSAFE=$(CURDIR)/$(T)/kdsafe tests/quirks/run.sh

FUZZ_CC ?= clang-14
FUZZ_TIME ?= 60
FUZZ_SRCS := $(sort $(wildcard access/*.c probe/*.c quirks/*.c))
FUZZ_DIR := $(T)/fuzz

$(FUZZ_DIR)/fuzz-quirks: tests/fuzz/fuzz-quirks.c $(FUZZ_SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -DKDSAFE_VERSION='"$(VERSION)"' \
		-DKDSAFE_NO_REAL_WRITES -I. $(PKG_CFLAGS) -g -O1 \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ $< $(FUZZ_SRCS) $(PKG_LIBS)

fuzz: $(FUZZ_DIR)/fuzz-quirks
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/crashes
	cp tests/fuzz/corpus/* quirks.d/*.conf $(FUZZ_DIR)/corpus/
	$< -max_total_time=$(FUZZ_TIME) -timeout=10 -max_len=4096 \
		-dict=tests/fuzz/quirks.dict \
		-artifact_prefix=$(CURDIR)/$(FUZZ_DIR)/crashes/ \
		$(FUZZ_DIR)/corpus
	@echo "fuzz: no crash in $(FUZZ_TIME)s (corpus: $(FUZZ_DIR)/corpus)"
