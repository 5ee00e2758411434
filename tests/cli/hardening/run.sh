#!/usr/bin/env bash
# Run guarantees of `kdsafe reset` (docs/reset.md, "Run guarantees"), on
# the fake sysfs tree of tests/cli/reset/tree.py: one run at a time (the
# lock), signals mid-reset end with every touched function restored, quirk
# scripts' daemonized grandchildren die with kdsafe, a refused quirk file
# or directory fails closed.  Every kdsafe runs under `timeout`.
set -u
: "${KDSAFE:?path to the kdsafe test binary}"
here=$(cd "$(dirname "$0")" && pwd)
tree=$here/../reset/tree.py
work=$(mktemp -d "${KDSAFE_TEST_TMPDIR:-/tmp}/kdsafe-harden.XXXXXX")
bgpid=
cleanup() { [ -n "$bgpid" ] && kill -KILL "$bgpid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
passed=0 failed=0
dev=sys/devices/pci0000:00
ep1=0000:00:1c.0/0000:01:00.0
ep2=0000:00:1c.0/0000:01:00.1
ep3=0000:00:1d.0/0000:02:00.0

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
expect() { if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi; }
kd() { # ARGS...: kdsafe on the tree, 30 s at most; $rc $out $err
	timeout -s KILL 30 "$KDSAFE" --sysroot "$work/root" "$@" \
		>"$work/stdout" 2>"$work/stderr"
	rc=$?
	out=$(cat "$work/stdout")
	err=$(cat "$work/stderr")
}
kd_bg() { # ARGS...: the same in the background; bgpid
	timeout -s KILL 30 "$KDSAFE" --sysroot "$work/root" "$@" \
		>"$work/bg.stdout" 2>"$work/bg.stderr" &
	bgpid=$!
}
bg_wait() { wait "$bgpid"; bgrc=$?; bgpid=; bgerr=$(cat "$work/bg.stderr"); }
cfg() { od -An -tx1 -v -j "$2" -N"$3" "$work/root/$dev/$1/config" | tr -d ' \n'; }
cfg16() { od -An -tu2 -j "$2" -N2 "$work/root/$dev/$1/config" | tr -d ' '; }
poke() { # PATH OFFSET HEXBYTES
	printf "$(echo "$3" | sed 's/../\\x&/g')" |
		dd of="$work/root/$dev/$1/config" bs=1 seek="$2" conv=notrunc \
		status=none
}
until_cmd() { # PATH VALUE: wait (10 s at most) for Command == VALUE
	for _ in $(seq 1000); do
		[ "$(cfg16 "$1" 4)" = "$2" ] && return 0
		sleep 0.01
	done
	return 1
}
# fresh: the tree, 01:00.1 unbound (a bus reset then needs no --force),
# 00:1c.0 a 8 GT/s port without DLL Link Active reporting: its bus reset
# settles 1100 ms after Secondary Bus Reset (pcie_wait_for_link_delay);
# 02:00.0 with Transactions Pending: its FLR first polls 100+200+400 ms
fresh() {
	rm -rf "$work/root"
	python3 "$tree" "$work/root"
	rm "$work/root/$dev/$ep2/driver"
	poke 0000:00:1c.0 $((0x4c)) 13000000
	poke "$ep3" $((0x6a)) 2000
}
# header bytes but Command (written back with Bus Master off: unbound)
hdr() { echo "$(cfg "$1" 0 4)$(cfg "$1" 6 58)"; }

# --- the run lock --------------------------------------------------------
fresh
mkdir -m 0755 "$work/q"
printf '[1af4:1041]\npre = wait 3s\n' >"$work/q/50-slow.conf"
kd_bg reset -m flr --quirks-dir "$work/q" 01:00.0
for _ in $(seq 500); do
	[ -s "$work/root/run/kdsafe.lock" ] && break; sleep 0.01
done
kd reset -m flr --no-quirks 01:00.0
holder=$bgpid
[ $rc = 4 ] && [[ $err == *"another kdsafe reset (pid "*") holds"* ]] &&
	[ "$(cat "$work/root/run/kdsafe.lock")" != "" ]
expect second-run-refused-while-locked $? "rc=$rc err=$err"
kd reset -n -m flr --no-quirks 01:00.0
expect dry-run-needs-no-lock $rc "rc=$rc err=$err"
kd reset -m flr --no-quirks --wait-lock=20s 01:00.0
bg_wait
[ $rc = 0 ] && [ $bgrc = 0 ]
expect wait-lock-waits-for-the-holder $? "rc=$rc bgrc=$bgrc err=$err $bgerr"
[ ! -L "$work/root/run/kdsafe.lock" ] && [ -f "$work/root/run/kdsafe.lock" ]
expect lock-file-beneath-sysroot $? "$(ls -la "$work/root/run")"
: "$holder"
fresh
mkdir -p "$work/root/run"
ln -s "$work/elsewhere" "$work/root/run/kdsafe.lock"
kd reset -m flr --no-quirks 01:00.0
[ $rc = 4 ] && [ ! -e "$work/elsewhere" ]
expect symlinked-lock-refused $? "rc=$rc err=$err"

# --- signals mid-reset ---------------------------------------------------
for sig in TERM INT HUP; do
	# FLR of one function: the signal lands in the pending poll, after
	# Command was cleared; the FLR completes and the restore runs
	fresh
	before=$(hdr "$ep3")
	kd_bg reset -m flr --no-quirks 02:00.0
	until_cmd "$ep3" 1024 && kill -s $sig "$bgpid"
	bg_wait
	[ $bgrc = 5 ] && [ "$(cfg16 "$ep3" 4)" = 2 ] &&
		[ "$(hdr "$ep3")" = "$before" ] &&
		[[ $bgerr == *"interrupted by signal"*"restored: 0000:02:00.0"* ]]
	expect "sig$sig-mid-flr-restores" $? "rc=$bgrc cmd=$(cfg16 "$ep3" 4) $bgerr"

	# bus reset with an unrequested sibling: the signal lands while
	# both are disabled; the settle completes, both are restored
	fresh
	b1=$(hdr "$ep1") b2=$(hdr "$ep2") bc=$(cfg 0000:00:1c.0 0 64)
	kd_bg reset -m bus --no-quirks 01:00.0
	until_cmd "$ep2" 1024 && kill -s $sig "$bgpid"
	bg_wait
	[ $bgrc = 5 ] && [ "$(cfg16 "$ep1" 4)" = 2 ] &&
		[ "$(cfg16 "$ep2" 4)" = $((0x402)) ] &&
		[ "$(hdr "$ep1")" = "$b1" ] && [ "$(hdr "$ep2")" = "$b2" ] &&
		[ "$(cfg 0000:00:1c.0 0 64)" = "$bc" ] &&
		[[ $bgerr == *"restored:"*"0000:01:00.0"* ]] &&
		[[ $bgerr == *"restored:"*"0000:01:00.1"* ]]
	expect "sig$sig-mid-bus-reset-restores-sibling" $? \
		"rc=$bgrc cmd=$(cfg16 "$ep1" 4),$(cfg16 "$ep2" 4) $bgerr"
done

# --- quirk scripts do not outlive kdsafe ----------------------------------
fresh
mkdir -m 0755 "$work/s"
cat >"$work/s/escape.sh" <<EOS
#!/bin/sh
setsid sleep 300 </dev/null >/dev/null 2>&1 &
echo \$! >"$work/grandchild"
exit 0
EOS
chmod 0755 "$work/s/escape.sh"
printf '[1af4:1041]\npre = run %s\n' "$work/s/escape.sh" >"$work/s/50-run.conf"
kd reset -m flr --quirks-dir "$work/s" 01:00.0
gc=$(cat "$work/grandchild" 2>/dev/null)
[ -n "$gc" ] && ! kill -0 "$gc" 2>/dev/null
expect setsid-grandchild-killed $? "rc=$rc grandchild=$gc $err"
[ -n "$gc" ] && kill -KILL "$gc" 2>/dev/null

# --- a refused quirk file or directory fails closed -----------------------
fresh
qd=$work/root/usr/lib/kdsafe/quirks.d
mkdir -p "$qd"
printf '[1af4:1041]\navoid = bus\n' >"$qd/10-no-bus.conf"
chmod 0644 "$qd/10-no-bus.conf"
chmod 0775 "$qd"
kd reset -n -m bus 01:00.0
[ $rc = 1 ] && [[ $out == *refused* ]] && [[ $out == *"$qd"*"group-writable"* ]]
expect group-writable-dir-refuses-reset $? "rc=$rc out=$out"
kd quirks list
[ $rc != 0 ] && [[ $err == *"$qd"*"group-writable"* ]]
expect group-writable-dir-fails-quirks-list $? "rc=$rc err=$err"
kd quirks match 01:00.0
[ $rc != 0 ]
expect group-writable-dir-fails-quirks-match $? "rc=$rc err=$err"
chmod 0755 "$qd"; chmod 0664 "$qd/10-no-bus.conf"
kd reset -n -m bus 01:00.0
[ $rc = 1 ] && [[ $out == *"10-no-bus.conf"*"group-writable"* ]]
expect group-writable-file-refuses-reset $? "rc=$rc out=$out"
kd reset -n -m bus --allow-insecure-quirks 01:00.0
[ $rc = 1 ] && [[ $out == *"forbids bus"* ]]
expect allow-insecure-reads-the-file $? "rc=$rc out=$out"
chmod 0644 "$qd/10-no-bus.conf"
kd reset -n -m bus 01:00.0
[ $rc = 1 ] && [[ $out == *"forbids bus"* ]]
expect secure-quirk-applies $? "rc=$rc out=$out"
kd reset --allow-insecure-quirks --allow-real-sysfs -n 01:00.0
[ $rc = 2 ] && [[ $err == *"refused together with --allow-real-sysfs"* ]]
expect insecure-with-real-sysfs-refused $? "rc=$rc err=$err"

echo "hardening: $passed passed, $failed failed"
[ "$failed" = 0 ]
