# make check-vm: boot a QEMU q35 guest (TCG) through crash/kexec scenarios; see docs/lab.md.
# Needs qemu-system-x86, kexec-tools, busybox-static, pciutils, and the Debian kernel package
# (fetched with apt-get download into the cache).  A missing piece fails; nothing is skipped.
KDSAFE_VM_CACHE ?= $(CURDIR)/.cache/vm
KDSAFE_VM_CYCLES ?= 3
KDSAFE_VM_SCENARIOS ?=
KDSAFE_VM_BIN ?= build/kdsafe

.PHONY: check-vm
check-vm: $(KDSAFE_VM_BIN)
	python3 tests/vm/run.py --cache $(KDSAFE_VM_CACHE) --kdsafe $(KDSAFE_VM_BIN) \
		--cycles $(KDSAFE_VM_CYCLES) $(KDSAFE_VM_SCENARIOS)
