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
	"$@" >&3 2>&1
	rc=$?
	say "@@ end $role $name rc=$rc"
	return $rc
}

# --- config space through the kernel's sysfs file, values in decimal ---
cfgb() { od -An -tu1 -j $(($2)) -N1 "$SYS/$1/config" | tr -d ' '; }
cfgw() { echo $(( $(cfgb $1 $2) | $(cfgb $1 $(($2 + 1))) << 8 )); }
cfgd() { echo $(( $(cfgw $1 $2) | $(cfgw $1 $(($2 + 2))) << 16 )); }
hex() { printf '0x%x' "$1"; }
bar_addr() { sed -n "$(($2 + 1))p" "$SYS/$1/resource" | cut -d' ' -f1; }
# Physical address of the virtio common configuration (vendor capability, cfg_type 1).
virtio_common() {
	local a=$1 p
	p=$(cfgb $a 0x34)
	while [ "$p" -ne 0 ]; do
		if [ "$(cfgb $a $p)" -eq 9 ] && [ "$(cfgb $a $((p + 3)))" -eq 1 ]; then
			echo $(( $(bar_addr $a $(cfgb $a $((p + 4)))) + $(cfgd $a $((p + 8))) ))
			return 0
		fi
		p=$(cfgb $a $((p + 1)))
	done
	return 1
}
mmio() { local a=$1; shift; devmem $((a)) "$@"; }   # [WIDTH [VALUE]]; iomem=relaxed lets it
# read a BAR that a driver owns (the kernel has IO_STRICT_DEVMEM=y)

kind() {
	case "$(cat $SYS/$1/vendor):$(cat $SYS/$1/device):$(cat $SYS/$1/class)" in
	0x1af4:*) echo virtio ;;
	0x8086:0x10d3:*) echo e1000e ;;
	*:*:0x010802) echo nvme ;;
	*) echo other ;;
	esac
}
# Functions under test: the endpoints whose registers we know how to read.
targets() { for d in $SYS/*; do a=${d##*/}; [ "$(kind $a)" != other ] && echo $a; done; }

# witness ADDR: one line of raw register facts, read without kdsafe.
witness() {
	local a=$1 k cmd b0 line
	k=$(kind $a)
	cmd=$(cfgw $a 4)
	line="w $a kind=$k id=$(cat $SYS/$a/vendor):$(cat $SYS/$a/device) cmd=$(hex $cmd)"
	line="$line driver=$(basename "$(readlink $SYS/$a/driver 2>/dev/null)" 2>/dev/null)"
	if [ $((cmd & 2)) -eq 0 ]; then echo "$line mmio=off"; return; fi
	b0=$(bar_addr $a 0)
	case $k in
	virtio) line="$line vstatus=$(mmio $(( $(virtio_common $a) + 20 )) 8)" ;;
	nvme) line="$line cc=$(mmio $((b0 + 0x14))) csts=$(mmio $((b0 + 0x1c))) aqa=$(mmio $((b0 + 0x24)))" ;;
	e1000e) line="$line rctl=$(mmio $((b0 + 0x100))) tctl=$(mmio $((b0 + 0x400))) rdh=$(mmio $((b0 + 0x2810)))" ;;
	esac
	echo "$line"
}
witness_all() { for a in $(targets); do witness $a; done; }
reset_methods() { for d in $SYS/*; do echo "rm ${d##*/} $(cat $d/reset_method 2>/dev/null || echo -)"; done; }

# dirty ADDR: put state a reset must clear (Bus Master, virtio status, NVMe CC.EN, e1000e RX/TX).
dirty() {
	local a=$1 b0 cc
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
	e1000e) mmio $((b0 + 0x100)) 32 $(( $(mmio $((b0 + 0x100))) | 2 ))
		mmio $((b0 + 0x400)) 32 $(( $(mmio $((b0 + 0x400))) | 2 )) ;;
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
# health: link and ping per NIC, first sector of each test disk.
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
	for d in virtio_blk:vda nvme:nvme0n1; do   # the disks whose driver is loaded
		[ -d /sys/module/${d%:*} ] || continue
		d=${d#*:}
		wait_for /dev/$d 50
		echo "disk $d $(dd if=/dev/$d bs=512 count=1 2>/dev/null | head -c 16 | tr -c 'A-Za-z0-9-' '.')"
	done
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
