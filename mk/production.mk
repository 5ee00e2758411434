# In production (issue #11): make install / uninstall into a DESTDIR,
# kdsafe hook and kdsafe.conf on fake trees, the initramfs scripts against
# a fake root, kdsafe snapshot replayed offline (make check).
CHECK_EXTRA += check-hook check-install check-snapshot check-initramfs

.PHONY: check-hook check-install check-snapshot check-initramfs
check-hook: $(T)/kdsafe
	KDSAFE=$(CURDIR)/$(T)/kdsafe tests/hook/run.sh

check-install: $(B)/kdsafe
	MAKE="$(MAKE)" SRC=$(CURDIR) tests/hook/install.sh

check-snapshot: $(T)/kdsafe $(T)/tools/mkfixture
	KDSAFE=$(CURDIR)/$(T)/kdsafe TOOLS=$(CURDIR)/$(T)/tools tests/snapshot/run.sh

check-initramfs: $(T)/kdsafe
	KDSAFE=$(CURDIR)/$(T)/kdsafe tests/hook/initramfs.sh

# the capture-initramfs numbers of the last lab run (make check-vm, distro scenario)
BENCH_EXTRA += bench-distro
.PHONY: bench-distro
bench-distro:
	python3 bench/distro.py $(KDSAFE_VM_CACHE)/run/distro/bench.json
