# The CPU work of a reset run (issue #11: TCG multiplies it ~30x in the
# capture kernel): instructions of reset --all --json against probe --json
# on the same tree, config opens and bytes read (make bench, printed).
BENCH_EXTRA += bench-reset-cpu

.PHONY: bench-reset-cpu
bench-reset-cpu: $(B)/kdsafe
	KDSAFE=$(CURDIR)/$(B)/kdsafe bench/reset-cpu.sh
