# kdsafe whitelist: CLI tests on fixture journals (make check) and the
# merge benchmark over 1,000,000 generated records (make bench).
CHECK_EXTRA += check-whitelist
BENCH_EXTRA += bench-whitelist

.PHONY: check-whitelist bench-whitelist
check-whitelist: $(T)/kdsafe
	KDSAFE=$(CURDIR)/$(T)/kdsafe tests/whitelist/run.sh

bench-whitelist: $(B)/kdsafe
	KDSAFE=$(CURDIR)/$(B)/kdsafe bench/whitelist.sh
