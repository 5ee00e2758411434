# Guest helpers (busybox ash).  The guest only collects raw facts and sends them to the host on
# /dev/ttyS1 (QEMU's second UART, -serial file:...); every assertion is made by the host (checks.py).
# Report protocol, one line each:  "@@ begin ROLE NAME" ... "@@ end ROLE NAME rc=N", "@@ KEY ...".
SYS=/sys/bus/pci/devices

cmdarg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p" | tail -n1; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
report_open() { stty -F /dev/ttyS1 raw -echo 2>/dev/null; exec 3>/dev/ttyS1; }
say() { echo "$*" >&3; }
# Closing the last fd of a tty waits until its output left the UART (closing_wait): call it
# before crashing, kexec -e or power-off, else the report ends mid-line.
report_close() { exec 3>&-; sync; }
log() { echo "kdsafe-vm[$role]: $*" > /dev/console; }
# section NAME CMD...: run CMD with its output framed on the report channel.
section() {
	local name=$1 rc; shift
	say "@@ begin $role $name"
	# stderr after stdout: a log line must not land inside the JSON
	# kdsafe streams (stdout is block-buffered, stderr is not)
	"$@" >&3 2>/tmp/section.err
	rc=$?
	cat /tmp/section.err >&3
	say "@@ end $role $name rc=$rc"
	say "@@ t $name $(uptime_s)"   # when it ended: docs/lab.md's timings
	return $rc
}

# --- config space (cfg_facts below) and BAR registers through devmem ---
hex() { printf '0x%x' "$1"; }
bar_addr() { sed -n "$(($2 + 1))p" "$SYS/$1/resource" | cut -d' ' -f1; }
# cfg_facts ADDR: one pass over the function's config space (one od, one awk: forks are slow under
# TCG) printing shell assignments: CMD, BAR0, VBAR/VOFF (virtio common configuration: vendor
# capability with cfg_type 1, virtio 1.x §4.1.4.3), SRIOV_CTRL/NUMVFS (SR-IOV extended capability
# 0x10: Control +8, NumVFs +0x10, PCIe r6.0 §9.3.3).  Both walks are bounded like the kernel's
# (__pci_find_next_cap_ttl: PCI_FIND_CAP_TTL 48 steps; pci_find_next_ext_capability:
# (4096 - 256) / 8 steps), so a looping capability list cannot hang the guest.
CAP_TTL=48
ECAP_TTL=480
cfg_facts() {
	od -An -tu1 -v "$SYS/$1/config" | awk -v cap_ttl=$CAP_TTL -v ecap_ttl=$ECAP_TTL '
	{ for (i = 1; i <= NF; i++) b[n++] = $i }
	function w(o) { return b[o] + b[o + 1] * 256 }
	function d(o) { return w(o) + w(o + 2) * 65536 }
	END {
		printf "CMD=%d BAR0=%.0f", w(4), d(16)
		p = b[52]; k = 0
		while (p >= 64 && k < cap_ttl) {
			p -= p % 4
			if (b[p] == 9 && b[p + 3] == 1 && !v) { v = 1; printf " VBAR=%d VOFF=%.0f", b[p + 4], d(p + 8) }
			p = b[p + 1]; k++
		}
		p = 256; k = 0
		while (n > 256 && p >= 256 && k < ecap_ttl) {
			h = d(p)
			if (h == 0 || h == 4294967295) break
			if (h % 65536 == 16) { printf " SRIOV_CTRL=%d NUMVFS=%d", w(p + 8), w(p + 16); break }
			p = int(h / 1048576) % 4096; p -= p % 4; k++
		}
		print ""
	}'
}
# Physical address of the virtio common configuration.
virtio_common() {
	local CMD BAR0 VBAR VOFF SRIOV_CTRL NUMVFS
	eval "$(cfg_facts $1)"
	[ -n "$VBAR" ] && echo $(( $(bar_addr $1 $VBAR) + VOFF ))
}
mmio() { local a=$1; shift; devmem $((a)) "$@"; }   # [WIDTH [VALUE]]; iomem=relaxed lets it
# read a BAR that a driver owns (the kernel has IO_STRICT_DEVMEM=y)

kind() {
	case "$(cat $SYS/$1/vendor):$(cat $SYS/$1/device):$(cat $SYS/$1/class)" in
	0x1af4:*) echo virtio ;;
	0x8086:0x10d3:*) echo e1000e ;;
	0x8086:0x100e:*) echo e1000 ;;
	0x10ec:0x8139:*) echo rtl8139 ;;
	*:*:0x010802) echo nvme ;;
	*:*:0x0c0330) echo xhci ;;
	*:*:0x040300) echo hda ;;
	*) echo other ;;
	esac
}
# Functions under test: the endpoints whose registers we know how to read.
targets() { for d in $SYS/*; do a=${d##*/}; [ "$(kind $a)" != other ] && echo $a; done; }

# Register addresses (BAR physical address + offset) of each kind.  e1000/e1000e: RCTL 0x100,
# TCTL 0x400, RDH 0x2810 (both datasheets); rtl8139: ChipCmd 0x37 (RE bit 3, TE bit 2) in the
# memory BAR 1; xHCI 1.2 §5.4: USBCMD/USBSTS at CAPLENGTH + 0/4; HDA 1.0a §3.3: GCTL 0x08,
# CORBCTL 0x4c, RIRBCTL 0x5c.
xhci_op() { local b0=$(bar_addr $1 0); echo $((b0 + $(mmio $b0 8))); }

# witness ADDR: one line of raw register facts, read without kdsafe.
witness() {
	local a=$1 k cmd b0 line op CMD BAR0 VBAR VOFF SRIOV_CTRL NUMVFS
	k=$(kind $a)
	eval "$(cfg_facts $a)"
	cmd=$CMD
	line="w $a kind=$k id=$(cat $SYS/$a/vendor):$(cat $SYS/$a/device) cmd=$(hex $cmd)"
	line="$line bar0=$(hex $BAR0) driver=$(basename "$(readlink $SYS/$a/driver 2>/dev/null)" 2>/dev/null)"
	[ -n "$SRIOV_CTRL" ] && line="$line sriov_ctrl=$(hex $SRIOV_CTRL) numvfs=$NUMVFS"
	if [ $((cmd & 2)) -eq 0 ]; then echo "$line mmio=off"; return; fi
	b0=$(bar_addr $a 0)
	case $k in
	virtio) line="$line vstatus=$(mmio $(( $(bar_addr $a $VBAR) + VOFF + 20 )) 8)" ;;
	nvme) line="$line cc=$(mmio $((b0 + 0x14))) csts=$(mmio $((b0 + 0x1c))) aqa=$(mmio $((b0 + 0x24)))" ;;
	e1000e|e1000) line="$line rctl=$(mmio $((b0 + 0x100))) tctl=$(mmio $((b0 + 0x400))) rdh=$(mmio $((b0 + 0x2810)))" ;;
	rtl8139) line="$line chipcmd=$(mmio $(( $(bar_addr $a 1) + 0x37 )) 8)" ;;
	xhci) op=$(xhci_op $a); line="$line usbcmd=$(mmio $op) usbsts=$(mmio $((op + 4)))" ;;
	hda) line="$line gctl=$(mmio $((b0 + 8))) corbctl=$(mmio $((b0 + 0x4c)) 8) rirbctl=$(mmio $((b0 + 0x5c)) 8)" ;;
	esac
	echo "$line"
}
witness_all() { for a in $(targets); do witness $a; done; }
reset_methods() { for d in $SYS/*; do echo "rm ${d##*/} $(cat $d/reset_method 2>/dev/null || echo -)"; done; }

# dirty ADDR: put state a reset must clear (Bus Master, virtio status, NVMe CC.EN, NIC RX/TX,
# xHCI USBCMD.R/S, HDA out of reset with CORB/RIRB DMA on).
dirty() {
	local a=$1 b0 cc op
	setpci -s $a COMMAND=0x6:0x6
	b0=$(bar_addr $a 0)
	case $(kind $a) in
	virtio) [ $(($(mmio $(( $(virtio_common $a) + 20 )) 8))) -eq 0 ] &&
		mmio $(( $(virtio_common $a) + 20 )) 8 3 ;;   # ACKNOWLEDGE|DRIVER
	nvme) cc=$(mmio $((b0 + 0x14)))
		if [ $((cc & 1)) -eq 1 ]; then echo $cc > /tmp/cc.$a   # SeaBIOS left it enabled
		elif [ -e /tmp/cc.$a ] && [ $(($(mmio $((b0 + 0x24))))) -ne 0 ]; then
			mmio $((b0 + 0x14)) 32 $(cat /tmp/cc.$a)   # re-enable on the admin queue that survived
		fi ;;
	e1000e|e1000) mmio $((b0 + 0x100)) 32 $(( $(mmio $((b0 + 0x100))) | 2 ))
		mmio $((b0 + 0x400)) 32 $(( $(mmio $((b0 + 0x400))) | 2 )) ;;
	rtl8139) mmio $(( $(bar_addr $a 1) + 0x37 )) 8 0x0c ;;
	xhci) op=$(xhci_op $a); mmio $op 32 $(( $(mmio $op) | 1 )) ;;
	hda) mmio $((b0 + 8)) 32 1; sleep 0.01
		mmio $((b0 + 0x4c)) 8 2; mmio $((b0 + 0x5c)) 8 2 ;;
	esac
}

# kernel_reset ADDR METHOD: the kernel's own reset through sysfs, as a baseline.
kernel_reset() {
	local rc
	echo $2 > $SYS/$1/reset_method && echo 1 > $SYS/$1/reset
	rc=$?
	echo default > $SYS/$1/reset_method
	return $rc
}

# --- drivers and health ---
load_drivers() { for m in "$@"; do modprobe $m || log "modprobe $m failed"; done; }
wait_for() { local i=0; while [ ! -e "$1" ] && [ $i -lt ${2:-100} ]; do sleep 0.1; i=$((i + 1)); done; [ -e "$1" ]; }
# NICs get MAC 52:54:00:12:34:NN from the host; their user netdev uses 10.0.NN.0/24 (vm.py).
net_up() {
	local n mac sub i
	for n in /sys/class/net/*; do
		[ -e $n/device ] || continue
		mac=$(cat $n/address); sub=$((0x${mac##*:}))
		ip link set ${n##*/} up
		ip addr add 10.0.$sub.15/24 dev ${n##*/} 2>/dev/null
	done
}
# health: link and ping per NIC, first sector of each test disk, USB devices, HDA codecs.
health() {
	local n mac sub i c d p
	for n in /sys/class/net/*; do
		[ -e $n/device ] || continue
		mac=$(cat $n/address); sub=$((0x${mac##*:}))
		i=0; while [ "$(cat $n/carrier 2>/dev/null)" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		c=$(cat $n/carrier 2>/dev/null)
		p=fail   # up to 3 tries: the first may go while the link still settles
		for i in 1 2 3; do ping -c1 -W2 -I ${n##*/} 10.0.$sub.2 >/dev/null 2>&1 && p=ok && break; done
		d=$(readlink -f $n/device); case ${d##*/} in virtio*) d=${d%/*} ;; esac
		echo "nic ${d##*/} if=${n##*/} carrier=$c ping=$p"
	done
	# test disks: virtio-blk, NVMe namespaces, the USB disk (sd* not on the state disk's ATA)
	for d in $(disks); do
		echo "disk $d $(dd if=/dev/$d bs=512 count=1 2>/dev/null | head -c 16 | tr -c 'A-Za-z0-9-' '.')"
	done
	for d in /sys/bus/usb/devices/*; do
		[ -e $d/product ] && echo "usb ${d##*/} product=$(tr ' ' _ < $d/product)"
	done
	for c in /proc/asound/card*/codec#*; do
		[ -e "$c" ] && echo "hda $c $(sed -n 's/^Codec: //p' "$c" | tr ' ' _)"
	done
	return 0
}
# The test disks whose driver is loaded; a USB disk and NVMe namespaces appear a while after the
# driver (wait up to 5 s for the ones whose controller exists).
disks() {
	local i=0
	while [ $i -lt 50 ]; do
		{ [ ! -d /sys/module/usb_storage ] || ls /sys/block | grep -q '^sd[b-z]'; } &&
			{ [ ! -d /sys/module/nvme ] || [ $(ls /sys/block | grep -c '^nvme') -ge $(ls /sys/class/nvme 2>/dev/null | wc -l) ]; } && break
		sleep 0.1; i=$((i + 1))
	done
	for d in /sys/block/vd* /sys/block/nvme* /sys/block/sd*; do
		[ -e $d ] || continue
		case $(readlink -f $d) in */ata*) continue ;; esac   # the state disk
		case ${d##*/} in nvme*c*) continue ;; esac   # a multipath path node (nvme-subsys): no /dev node
		echo ${d##*/}
	done
}
# usb_enumerated: seconds until the xHCI's keyboard and disk show up (max 10 s).
wait_usb() { local i=0; while [ $(ls /sys/bus/usb/devices | grep -c -- '-') -lt 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; }
# SR-IOV on every PF that has it: VFs without driver probing (sriov_drivers_autoprobe 0: a QEMU
# 7.2 VF controller stays offline until the PF's Virtualization Management command brings it up).
sriov_on() {
	local d
	for d in $SYS/*; do
		[ -e $d/sriov_totalvfs ] || continue
		echo 0 > $d/sriov_drivers_autoprobe
		echo $(cat $d/sriov_totalvfs) > $d/sriov_numvfs
		echo "sriov ${d##*/} rc=$? numvfs=$(cat $d/sriov_numvfs) total=$(cat $d/sriov_totalvfs)"
		ls -d $d/virtfn* 2>/dev/null | while read -r v; do echo "vf ${d##*/} $(basename $(readlink -f $v))"; done
	done
	return 0
}

# --- state disk on q35's AHCI (not under test): a text log that survives QEMU restarts ---
STATE=/dev/sda
state_open() { load_drivers ahci sd_mod; wait_for $STATE 100; }
state_read() { dd if=$STATE bs=65536 count=1 2>/dev/null | tr -d '\000'; }
state_log() {
	{ state_read; echo "$*"; } > /tmp/state
	dd if=/tmp/state of=$STATE conv=notrunc,fsync 2>/dev/null
}

# --- kexec ---
KAPPEND="console=ttyS0 iomem=relaxed panic=-1"
kdsafe_args() { tr ' ' '\n' < /proc/cmdline | grep '^kdsafe\.' | tr '\n' ' '; }
load_capture() {
	kexec -p /boot/vmlinuz --initrd=/boot/initrd.img \
		--append="$KAPPEND irqpoll nr_cpus=1 reset_devices $(kdsafe_args)"
}
has_reset() { [ "$(cmdarg kdsafe.reset)" = 1 ]; }
has_kdsafe() { command -v kdsafe >/dev/null; }
