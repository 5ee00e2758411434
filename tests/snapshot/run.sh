#!/usr/bin/env bash
# kdsafe snapshot (make check-snapshot, mk/production.mk): a snapshot of
# every fixture machine (mkfixture) and of the reset tree replays offline
# with the same probe -v, probe --json and reset --dry-run --all output;
# the source tree is untouched; OUTDIR inside the sysroot's sys is refused;
# --tar packs the same tree; the kernel's PCI log lines are kept; and a
# snapshot of this machine's real /sys (read-only) probes the same.
set -u
: "${KDSAFE:?path to the kdsafe test binary}" "${TOOLS:?dir of built tools}"
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$(cd "$here/../fixtures" && pwd)
work=$(mktemp -d /tmp/kdsafe-snapshot.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
expect() { if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi; }
tree_sum() { (cd "$1" && find . -printf '%y %m %p -> %l\n' | sort &&
	find . -type f -print0 | sort -z | xargs -0 -r md5sum); }
# same NAME ORIG SNAP: the replay answers as the original does
same() {
	local name=$1 a=$2 b=$3 cmd
	for cmd in "probe -v" "probe --json" "reset --dry-run --all"; do
		"$KDSAFE" --sysroot "$a" $cmd 2>&1 | grep -v '"source"' >"$work/a"
		"$KDSAFE" --sysroot "$b" $cmd 2>&1 | grep -v '"source"' >"$work/b"
		diff -u "$work/a" "$work/b" >"$work/diff"
		expect "$name.${cmd// /}" $? "$(head -n 20 "$work/diff")"
	done
}

for dump in "$fixtures"/*.dump; do
	name=$(basename "$dump" .dump)
	[[ $name == malformed* ]] && continue
	"$TOOLS/mkfixture" "$dump" "$work/$name" >/dev/null 2>&1
	before=$(tree_sum "$work/$name")
	"$KDSAFE" --sysroot "$work/$name" snapshot "$work/$name.snap" >"$work/out" 2>&1
	expect "$name.snapshot" $? "$(cat "$work/out")"
	same "$name" "$work/$name" "$work/$name.snap"
	[ "$before" = "$(tree_sum "$work/$name")" ]
	expect "$name.source-untouched" $? "the snapshot changed the tree"
done

# the reset tree: kernel reset_method, SR-IOV VF physfn, drivers, modules
python3 "$here/../cli/reset/tree.py" --sriov "$work/rt"
mkdir -p "$work/rt/proc" "$work/rt/var/log"
echo "BOOT_IMAGE=/vmlinuz root=/dev/sda1 crashkernel=256M" >"$work/rt/proc/cmdline"
printf '%s\n' "6,1,0,-;pci 0000:01:00.0: [1af4:1041] type 00 class 0x020000" \
	"6,2,0,-;e1000e: Intel(R) PRO/1000 Network Driver" \
	"3,3,0,-;pcieport 0000:00:1c.0: AER: Corrected error received" \
	"6,4,0,-;usb 1-1: new high-speed USB device" >"$work/rt/dev/kmsg"
before=$(tree_sum "$work/rt")
"$KDSAFE" --sysroot "$work/rt" snapshot "$work/rt.snap" --tar "$work/rt.tgz" >"$work/out" 2>&1
expect reset-tree.snapshot $? "$(cat "$work/out")"
same reset-tree "$work/rt" "$work/rt.snap"
[ "$before" = "$(tree_sum "$work/rt")" ]
expect reset-tree.source-untouched $? "the snapshot changed the tree"
cmp -s "$work/rt/proc/cmdline" "$work/rt.snap/proc/cmdline"
expect reset-tree.cmdline $? "$(cat "$work/rt.snap/proc/cmdline" 2>&1)"
[ "$(cat "$work/rt.snap/kernel/pci-log.txt")" = "$(sed -n '1p;3p' "$work/rt/dev/kmsg")" ]
expect reset-tree.pci-log-lines $? "$(cat "$work/rt.snap/kernel/pci-log.txt" 2>&1)"
# the device links are relative and mirror sys/devices (bridge topology)
[ "$(readlink "$work/rt.snap/sys/bus/pci/devices/0000:01:00.0")" = \
	"$(readlink "$work/rt/sys/bus/pci/devices/0000:01:00.0")" ] &&
	[ -d "$work/rt.snap/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0" ]
expect reset-tree.topology-links $? "$(ls -l "$work/rt.snap/sys/bus/pci/devices")"
# nothing beyond lspci -xxxx: no BAR, ROM or VPD file
[ -z "$(find "$work/rt.snap" -name 'resource[0-9]*' -o -name rom -o -name vpd)" ]
expect reset-tree.no-bars $? "$(find "$work/rt.snap" -name 'resource[0-9]*')"
mkdir "$work/untar" && tar -C "$work/untar" -xzf "$work/rt.tgz"
same reset-tree.tar "$work/rt" "$work/untar"

# one module behind several functions (three ports bound to pcieport, its
# module link and initstate): written once, exit 0, replays the same
python3 "$here/../cli/reset/tree.py" --sriov "$work/shared"
mkdir -p "$work/shared/sys/module/pcieport"
echo live >"$work/shared/sys/module/pcieport/initstate"
ln -s ../../../../module/pcieport "$work/shared/sys/bus/pci/drivers/pcieport/module"
"$KDSAFE" --sysroot "$work/shared" snapshot "$work/shared.snap" >"$work/out" 2>&1
expect shared-module.snapshot $? "$(cat "$work/out")"
[ "$(cat "$work/shared.snap/sys/module/pcieport/initstate" 2>&1)" = live ]
expect shared-module.initstate $? "$(ls -lR "$work/shared.snap/sys/module" 2>&1)"
same shared-module "$work/shared" "$work/shared.snap"
# --tar without a tar program (a dracut initramfs has none): exit 3, the
# tree is still written, and nothing claims it was packed
mkdir "$work/notar-bin" && ln -s "$(command -v python3)" "$work/notar-bin/python3"
PATH="$work/notar-bin" "$KDSAFE" --sysroot "$work/rt" snapshot "$work/notar.snap" \
	--tar "$work/notar.tgz" >"$work/out" 2>&1
rc=$?
[ $rc = 3 ] && [ -e "$work/notar.snap/kdsafe-snapshot.txt" ] &&
	grep -q "not written" "$work/out" && ! grep -q "packed into" "$work/out"
expect tar-missing-not-claimed $? "rc=$rc $(cat "$work/out")"

# refusals: OUTDIR inside the sysroot's sys (or proc, dev), non-empty
before=$(tree_sum "$work/rt")
"$KDSAFE" --sysroot "$work/rt" snapshot "$work/rt/sys/bus/snap" >"$work/out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "a snapshot never writes there" "$work/out"
expect refuses-outdir-in-sys $? "rc=$rc $(cat "$work/out")"
"$KDSAFE" --sysroot "$work/rt" snapshot "$work/rt/dev" >"$work/out" 2>&1
[ $? = 2 ]
expect refuses-outdir-dev $? "$(cat "$work/out")"
"$KDSAFE" --sysroot "$work/rt" snapshot "$work/rt.snap" >"$work/out" 2>&1
[ $? = 2 ] && grep -q "not empty" "$work/out"
expect refuses-non-empty-outdir $? "$(cat "$work/out")"
# the first refusal made its OUTDIR before refusing it: only that is new
rmdir "$work/rt/sys/bus/snap" 2>/dev/null
[ "$before" = "$(tree_sum "$work/rt")" ]
expect refusals-write-nothing $? "the tree changed"
"$KDSAFE" snapshot >"$work/out" 2>&1
[ $? = 2 ]
expect usage-no-outdir $? "$(cat "$work/out")"

# a hostile tree: a function named "slots" whose driver link leads to
# sys/bus/pci, so the driver's link back lands on sys/bus/pci/slots with
# the tree's own target, "../../../../escape": the tree's slots are read
# from WORK/escape, OUTDIR (one level deeper) has it lead to WORK/o/escape,
# and slots are written after the functions, through it.  Nothing may
# land outside OUTDIR.
h=$work/hostile
mkdir -p "$h/sys/devices/pci0000:00/slots" "$h/sys/bus/pci/devices" \
	"$work/escape/1" "$work/o/escape"
printf '0x8086\n' >"$h/sys/devices/pci0000:00/slots/vendor"
ln -s ../../../devices/pci0000:00/slots "$h/sys/bus/pci/devices/slots"
ln -s ../../../bus/pci "$h/sys/devices/pci0000:00/slots/driver"
ln -s ../../../../escape "$h/sys/bus/pci/slots"
echo 0000:00:1f >"$work/escape/1/address"
"$KDSAFE" --sysroot "$h" snapshot "$work/o/h.snap" >"$work/out" 2>&1
[ -z "$(ls -A "$work/o/escape")" ] && [ ! -L "$work/o/h.snap/sys/bus/pci/slots" ]
expect hostile-links-stay-in-outdir $? "$(cat "$work/out"; ls -lR "$work/o/escape")"

# an attribute that is a link (in a real /sys none is) is not read: it
# could lead to a BAR's resource file, here one of the tree's own
h=$work/hostile2
mkdir -p "$h/sys/devices/pci0000:00/0000:00:02.0" "$h/sys/bus/pci/devices"
ln -s ../../../devices/pci0000:00/0000:00:02.0 "$h/sys/bus/pci/devices/0000:00:02.0"
printf 'BAR-BYTES' >"$h/sys/devices/pci0000:00/0000:00:02.0/resource0"
ln -s resource0 "$h/sys/devices/pci0000:00/0000:00:02.0/config"
"$KDSAFE" --sysroot "$h" snapshot "$work/h2.snap" >"$work/out" 2>&1
! grep -rq BAR-BYTES "$work/h2.snap"
expect attribute-link-not-read $? "$(cat "$work/out")"

# this machine's real /sys, read-only (lspci -xxxx reads as much)
if [ -d /sys/bus/pci/devices ]; then
	"$KDSAFE" snapshot "$work/real" >"$work/out" 2>&1
	rc=$?
	[ $rc = 0 ] || [ $rc = 3 ]
	expect real-sys.snapshot $? "rc=$rc $(head -n 5 "$work/out")"
	"$KDSAFE" probe -v 2>&1 >"$work/a"
	"$KDSAFE" --sysroot "$work/real" probe -v >"$work/b" 2>&1
	diff -u "$work/a" "$work/b" >"$work/diff"
	expect real-sys.probe-v $? "$(head -n 20 "$work/diff")"
	"$KDSAFE" reset --dry-run --all >"$work/a" 2>&1
	"$KDSAFE" --sysroot "$work/real" reset --dry-run --all >"$work/b" 2>&1
	diff -u "$work/a" "$work/b" >"$work/diff"
	expect real-sys.reset-dry-run $? "$(head -n 20 "$work/diff")"
else
	echo "SKIP real-sys (no /sys/bus/pci/devices)"
fi

echo "snapshot: $passed passed, $failed failed"
[ "$failed" = 0 ]
