# Scenarios: scn_<name>_<role>, role = first | capture | kexeced (see init).  What each proves
# is in docs/lab.md; the host asserts on the sections they send (tests/vm/checks.py).
# snd_hda_codec_generic first: the codec probe asks for it (hda-duplex has no vendor driver).
ALL_DRIVERS="virtio_pci virtio_net virtio_blk e1000e nvme e1000 8139cp xhci_pci usbhid hid_generic
usb_storage sd_mod snd_hda_codec_generic snd_hda_intel"

# The facts every kernel reports when it starts: witnesses, the kernel's view, lspci, kdsafe.
observe() {
	section witness witness_all
	section reset_method reset_methods
	section lspci lspci -D -vvv -n
	has_kdsafe && section probe kdsafe probe --json
	return 0
}

# Load drivers, make them work (disk reads, pings), load the capture kernel.
busy_first() {
	load_drivers $ALL_DRIVERS
	net_up
	wait_usb
	section sriov-first sriov_on
	section health-first health
	section load-capture load_capture
}

# probe vs kernel: kdsafe probe agrees with reset_method and lspci -vvv, no driver bound.
scn_probe_first() { state_open; state_log "probe first"; observe; }

# each reset method on each unbound device: the kernel's reset first (baseline), then kdsafe's.
scn_methods_first() {
	local a m
	state_open; state_log "methods first"
	section witness witness_all
	section reset_method reset_methods
	for a in $(targets); do
		for m in $(cat $SYS/$a/reset_method 2>/dev/null); do
			dirty $a
			say "@@ begin $role kernel:$m@$a"
			witness $a >&3
			kernel_reset $a $m >&3 2>&1; say "rc=$?"
			witness $a >&3
			say "@@ end $role kernel:$m@$a rc=0"
		done
	done
	has_reset || return 0
	scope switch $(cmdarg kdsafe.switch | tr , " ")
	scope mf $(cmdarg kdsafe.mf | tr , " ")
	for a in $(targets); do
		# virtio: the device's own reset, on virtio devices only
		for m in flr af-flr pm bus $([ "$(kind $a)" = virtio ] && echo virtio); do
			dirty $a
			say "@@ begin $role kdsafe:$m@$a"
			witness $a >&3
			kdsafe reset --allow-real-sysfs --json --method $m $a >&3 2>&1; say "rc=$?"
			witness $a >&3
			say "@@ end $role kdsafe:$m@$a rc=0"
		done
	done
}

# scope NAME A B: dirty A and B, kdsafe's bus reset requested for A; witnesses of both around it.
scope() {
	local n=$1 a=$2 b=$3
	dirty $a; dirty $b
	section "scope-before:$n" eval "witness $a; witness $b"
	section "scope-reset:$n" kdsafe reset --allow-real-sysfs --json --method bus $a
	section "scope-after:$n" eval "witness $a; witness $b"
}

# crash cycle: crash with busy drivers; the capture kernel records what it inherited, resets
# (once kdsafe reset exists), then loads the drivers and checks they work.
scn_crash_first() { state_open; state_log "crash first"; busy_first && { report_close; echo c > /proc/sysrq-trigger; }; }
scn_crash_capture() {
	observe
	if has_reset; then
		# the markers bound, in the console, the window where no pciehp removal may show
		echo "kdsafe-vm: reset-all begin" > /dev/kmsg
		section reset-all kdsafe reset --allow-real-sysfs --json --all
		sleep 2   # pciehp handles a link/presence change from its IRQ thread: give it time
		echo "kdsafe-vm: reset-all end" > /dev/kmsg
		section witness-after-reset witness_all
		section lspci-after-reset lspci -D -vvv -n
	fi
	state_open; state_log "crash capture: drivers"
	load_drivers $ALL_DRIVERS
	net_up
	wait_usb
	section health health
	section witness-end witness_all
	state_log "crash capture: done"
}

# e1000e under traffic: the host sends UDP bursts to the NIC (hostfwd 127.0.0.1) from "@@ traffic"
# until QEMU exits.  kdsafe.mode = none | kernel-bus | kdsafe decides the reset before the driver.
E1000E() { for a in $(targets); do [ "$(kind $a)" = e1000e ] && echo $a && return; done; }
scn_traffic_first() {
	local n
	state_open
	n=$(( $(state_read | grep -c '^traffic first') + 1 ))   # the state disk counts the cycles
	state_log "traffic first cycle=$n mode=$(cmdarg kdsafe.mode)"
	say "@@ cycle $n"
	load_drivers e1000e
	net_up
	section health-first health
	section load-capture load_capture || return 1
	say "@@ traffic"
	sleep 2
	report_close; echo c > /proc/sysrq-trigger
}
scn_traffic_capture() {
	local a=$(E1000E) mode=$(cmdarg kdsafe.mode)
	section witness witness $a
	sleep 1
	section witness-later witness $a   # RX head moving: DMA into the old kernel's memory
	case $mode in
	kernel-bus) section reset kernel_reset $a bus ;;
	kdsafe) section reset kdsafe reset --allow-real-sysfs --json --method auto $a ;;
	esac
	section witness-after-reset witness $a
	state_open; state_log "traffic capture mode=$mode: loading e1000e"
	load_drivers e1000e
	net_up
	section health health
	state_log "traffic capture mode=$mode: done"
}

# clean kexec: what a kernel inherits after `kexec -e` (device_shutdown ran).
scn_kexec_first() {
	local initrd
	state_open; state_log "kexec first"
	load_drivers $ALL_DRIVERS
	net_up
	wait_usb
	section health-first health
	# the audit's binding map goes to the next kernel in an extra archive after its initramfs
	# (the kernel unpacks concatenated archives): no disk, so no driver binds before the audit
	mkdir -p /audit   # audit --before does not create it (plan does)
	has_kdsafe && section audit-before kdsafe test audit --before --results /audit &&
		(cd / && find audit | cpio -o -H newc 2>/dev/null | gzip -1 | cat /boot/initrd.img - \
			> /tmp/initrd-audit.img) && initrd=/tmp/initrd-audit.img
	section load-kexec kexec -l /boot/vmlinuz --initrd=${initrd:-/boot/initrd.img} \
		--append="$KAPPEND $(kdsafe_args) kdsafe.kexeced=1" || return 1
	report_close; kexec -e
}
# raw Command register of every function (setpci, not kdsafe): what the audit is checked against
commands() { for d in $SYS/*; do echo "cmd ${d##*/} $(setpci -s ${d##*/} COMMAND)"; done; }
scn_kexec_kexeced() {
	observe
	section commands commands
	has_kdsafe && section audit kdsafe test audit --results /audit --json
	return 0
}
