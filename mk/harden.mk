# Access-layer hardening (issue #9): bounded opens, writes confined to the
# sysroot, bad values reported (make check); probe scale (make bench).
CHECK_EXTRA += check-harden-cli
BENCH_EXTRA += bench-scale

.PHONY: check-harden-cli bench-scale
check-harden-cli: $(T)/kdsafe
	KDSAFE=$(CURDIR)/$(T)/kdsafe tests/cli/harden/run.sh

bench-scale: $(B)/kdsafe
	KDSAFE=$(CURDIR)/$(B)/kdsafe bench/scale.sh
