# SR-IOV VFs in a dump find their PF once per topology (probe/sriov.c):
# make bench checks that ten times the VFs cost at most 12 times the time.
BENCH_EXTRA += bench-sriov

.PHONY: bench-sriov
bench-sriov: $(B)/kdsafe
	KDSAFE=$(CURDIR)/$(B)/kdsafe bench/sriov.sh
