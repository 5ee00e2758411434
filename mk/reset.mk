# kdsafe reset: CLI tests on fake sysfs trees (make check) and the
# parallel-reset benchmark on the simulator (make bench).
CHECK_EXTRA += check-reset-cli
BENCH_EXTRA += bench-reset

.PHONY: check-reset-cli bench-reset
check-reset-cli: $(T)/kdsafe
	KDSAFE=$(CURDIR)/$(T)/kdsafe tests/cli/reset/run.sh

$(B)/bench/reset-bench: bench/reset-bench.c tests/unit/support/sim.c \
		$(B)/libkdsafe.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -Itests/unit -o $@ bench/reset-bench.c \
		tests/unit/support/sim.c $(B)/libkdsafe.a $(PKG_LIBS)

bench-reset: $(B)/bench/reset-bench
	$(B)/bench/reset-bench
