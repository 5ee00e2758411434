# Issue #10 in the lab: a `kdsafe test` campaign across real crash cycles, and the clean-kexec
# audit.  What each proves is in docs/lab.md ("campaign", "kexec"); the host asserts.
#
# The results (plan.json, journal.jsonl) live on an ext4 file system the host made on the state
# disk (AHCI, not under test): it survives every QEMU restart, and the host reads it with debugfs.
RES=/state/kdsafe
# ext4 wants a crc32c driver (metadata checksums), which it does not load itself
results_mount() {
	state_open && modprobe crc32c_generic && modprobe ext4 && mkdir -p /state && mount -t ext4 $STATE /state
}

# plan_keep FILE VARIANT...: keep only the cycles of plan.json (kdsafe's pretty JSON) whose
# variant is named, renumbered 1..n (kd_plan_load wants cycle i+1 at index i): the lab's plan
# is kdsafe's own, cut to the variants that fit the CI budget.
plan_keep() {
	local f=$1; shift
	awk -v keep=" $* " '
	!in_c { print; if ($0 ~ /"cycles":\[ *$/) in_c = 1; next }
	/^    \{/ { obj = ""; grab = 1 }
	grab { obj = obj $0 "\n"; if ($0 ~ /^    \},? *$/) { grab = 0
		if (match(obj, /"variant":"[^"]*"/)) v = substr(obj, RSTART + 11, RLENGTH - 12)
		if (index(keep, " " v " ")) { n++; sub(/"cycle":[0-9]+/, "\"cycle\":" n, obj)
			sub(/\},? *\n$/, "}", obj); kept = kept (n > 1 ? ",\n" : "") obj } }
		next }
	{ if (kept != "") { print kept; kept = "" } print }' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
}

# links_up: bring every NIC's link up as its driver binds, as a kdump initramfs that dumps over
# the network would (the step's network health wants operstate up or carrier 1, and nothing
# else in this initramfs opens an interface).  Runs in the background during the step.
links_up() {
	local n
	while :; do
		for n in /sys/class/net/*; do
			[ -e $n/device ] && [ "$(cat $n/operstate)" = down ] && ip link set ${n##*/} up
		done
		sleep 0.2
	done
}

# First kernel of every cycle: drivers busy, plan once, then `kdsafe test next --crash` (the
# cycle intent, kexec -p with kdsafe.step=RES:N, the crash) with the e1000e under traffic.
scn_campaign_first() {
	local rc
	results_mount || { say "@@ error results disk"; return 1; }
	load_drivers virtio_pci virtio_blk nvme e1000e
	net_up
	section health-first health
	if [ ! -e $RES/plan.json ]; then
		section plan kdsafe test plan --results $RES --repeat 1 \
			--target $(cmdarg kdsafe.target) $(cmdarg kdsafe.devs | tr , ' ') || return 1
		plan_keep $RES/plan.json $(cmdarg kdsafe.variants | tr , ' ')
		sync
		section plan-kept cat $RES/plan.json
	fi
	section status kdsafe test status --results $RES
	say "@@ traffic"
	sleep 2
	report_close
	kdsafe test next --allow-real-sysfs --results $RES --kernel /boot/vmlinuz \
		--initrd /boot/initrd.img --crash \
		--append "$KAPPEND irqpoll nr_cpus=1 reset_devices $(kdsafe_args)" > /dev/console 2>&1
	rc=$?
	report_open   # only reached without a crash: the plan finished, or next refused
	say "@@ next rc=$rc"
	umount /state
	return $rc
}

# Capture kernel: the step itself, before any driver but the results disk's.
scn_campaign_capture() {
	local lp rc
	results_mount || { say "@@ error results disk"; return 1; }
	links_up &
	lp=$!
	section step kdsafe test step --allow-real-sysfs
	rc=$?
	kill $lp
	umount /state
	return $rc
}

# --- distro (issue #11, opt-in): the capture initramfs built by mkinitramfs or dracut ---
# First kernel: busy e1000e (traffic), virtio-blk, nvme; kexec -p with the distribution's
# image (the host put it at /boot/initrd.img); its /init is not ours: the host reads the console.
# root=/dev/vda: the test disk has no file system, so the image's init fails to mount it and,
# with panic=1, reboots (QEMU -no-reboot exits) instead of waiting for a root device.
scn_distro_first() {
	load_drivers virtio_pci virtio_blk nvme e1000e
	net_up
	section health-first health
	section load-capture kexec -p /boot/vmlinuz --initrd=/boot/initrd.img \
		--append="console=ttyS0 panic=1 root=/dev/vda rootfstype=ext4 rootdelay=1 rd.shell=0 rd.retry=5 irqpoll nr_cpus=1 reset_devices $(cmdarg kdsafe.capture_args | tr , ' ')" ||
		return 1
	say "@@ traffic"
	sleep 2
	report_close; echo c > /proc/sysrq-trigger
}
