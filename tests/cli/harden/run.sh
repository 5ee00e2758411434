#!/usr/bin/env bash
# Hardening of the access layer (issue #9), on fake trees (tests/cli/reset/
# tree.py): a FIFO in place of a file the tree is read through never blocks
# (every run is under `timeout 10`; 124 is a hang) and is refused naming the
# file; writes never leave --sysroot (device links, `sys -> /sys`, dev/kmsg);
# an unreadable config says why.  Run by make check (mk/harden.mk).
set -u
: "${KDSAFE:?path to the kdsafe test binary}"
here=$(cd "$(dirname "$0")" && pwd)
tree_py=$here/../reset/tree.py
work=$(mktemp -d /tmp/kdsafe-harden-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # the EACCES case runs as nobody
passed=0 failed=0 skipped=0
ep=sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
skip() { skipped=$((skipped + 1)); echo "SKIP $1: $2"; }
expect() { # NAME CONDITION-STATUS MESSAGE
	if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi
}
fresh() { rm -rf "$work/root"; python3 "$tree_py" "$work/root"; }
# kd ARGS...: kdsafe on the tree under a 10 s timeout; $out $err $rc
kd() {
	timeout 10 "$KDSAFE" --sysroot "$work/root" "$@" \
		>"$work/stdout" 2>"$work/stderr" </dev/null
	rc=$?
	out=$(cat "$work/stdout")
	err=$(cat "$work/stderr")
}
tree_sum() { (cd "$1" && find . -printf '%y %m %p -> %l\n' | sort &&
	find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }

# --- a FIFO in place of a file: refused by name, never blocks --------------
fresh
rm "$work/root/$ep/config" && mkfifo "$work/root/$ep/config"
kd probe
[ $rc = 3 ] && [[ $err == *"0000:01:00.0/config: refusing it: a FIFO, not a regular file"* ]] &&
	[[ $err == *"0000:01:00.0: cannot read config space"* ]]
expect fifo-config-probe $? "rc=$rc err=$err"

fresh
rm "$work/root/$ep/reset_method" && mkfifo "$work/root/$ep/reset_method"
kd probe
[ $rc = 3 ] && [[ $err == *"0000:01:00.0/reset_method: refusing it: a FIFO"* ]]
expect fifo-reset-method-probe $? "rc=$rc err=$err"

fresh
rm "$work/root/$ep/reset" && mkfifo "$work/root/$ep/reset"
kd reset -m kernel:flr 01:00.0
[ $rc = 1 ] && [[ $err == *"0000:01:00.0/reset: refusing it: a FIFO"* ]]
expect fifo-reset-write $? "rc=$rc out=$out err=$err"

fresh
mkdir -p "$work/root/proc/sys/kernel"
mkfifo "$work/root/proc/sys/kernel/osrelease"
kd probe
[ $rc = 3 ] && [[ $err == *"proc/sys/kernel/osrelease: refusing it: a FIFO"* ]]
expect fifo-osrelease $? "rc=$rc err=$err"

fresh
rm "$work/root/dev/kmsg" && mkfifo "$work/root/dev/kmsg"
kd reset --kmsg --dry-run --all
[ $rc != 124 ] && [[ $err == *"dev/kmsg: refusing it: a FIFO, not a regular file or character device"* ]] &&
	[[ $out == *"0000:01:00.0"* ]]
expect fifo-kmsg $? "rc=$rc err=$err"

# --- writes never leave the sysroot ----------------------------------------
# a device link leading into another tree: that tree stays byte-identical
fresh
python3 "$tree_py" "$work/victim"
before=$(tree_sum "$work/victim")
link=$work/root/sys/bus/pci/devices/0000:01:00.0
rm "$link" && ln -s "../../../../../victim/$ep" "$link"
kd reset -m kernel:flr 01:00.0
[ $rc != 0 ] && [ $rc != 124 ] &&
	[[ $err == *"sys/bus/pci/devices/0000:01:00.0/"*"resolves outside the sysroot"* ]]
expect escaping-device-link-refused $? "rc=$rc out=$out err=$err"
kd reset -m flr 01:00.0
[ $rc != 0 ] && [ "$before" = "$(tree_sum "$work/victim")" ]
expect escaping-device-link-victim-untouched $? "rc=$rc err=$err"

# sys -> /sys is the real /sys: refused in the test build before anything.
# A function no machine has, so even a broken guard could write nothing.
if [ "$(stat -f -c %T /sys 2>/dev/null)" = sysfs ]; then
	mkdir -p "$work/linked" && ln -sfn /sys "$work/linked/sys"
	timeout 10 "$KDSAFE" --sysroot "$work/linked" reset -m flr \
		fffe:ff:1f.7 >"$work/stdout" 2>"$work/stderr"
	rc=$? err=$(cat "$work/stderr")
	[ $rc = 4 ] && [[ $err == *"this is a test build: writes to the real /sys are compiled out"* ]]
	expect sys-link-to-real-sys-refused $? "rc=$rc err=$err"
else
	skip sys-link-to-real-sys-refused "/sys is not a sysfs mount here"
fi

# dev/kmsg leading out of the tree is never appended to, even in a dry run
fresh
: >"$work/victim-kmsg"
rm "$work/root/dev/kmsg" && ln -s ../../victim-kmsg "$work/root/dev/kmsg"
kd reset --kmsg --dry-run --all
[ $rc != 124 ] && [ ! -s "$work/victim-kmsg" ] &&
	[[ $err == *"dev/kmsg: refusing it: resolves outside the sysroot"* ]]
expect kmsg-link-escaping-refused $? "rc=$rc err=$err kmsg=$(head -c 200 "$work/victim-kmsg")"
ln -sfn "$work/victim-kmsg" "$work/root/dev/kmsg" # absolute, too
kd reset --kmsg --dry-run --all
[ ! -s "$work/victim-kmsg" ] && [[ $err == *"dev/kmsg: refusing it"* ]]
expect kmsg-absolute-link-refused $? "rc=$rc err=$err"

# --- an unreadable config says why and where -------------------------------
fresh
chmod -R a+rX "$work/root"
chmod 000 "$work/root/$ep/config"
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$KDSAFE" --sysroot "$work/root" probe >"$work/stdout" \
		2>"$work/stderr"
	rc=$? err=$(cat "$work/stderr")
	[ $rc = 3 ] && [[ $err == *"0000:01:00.0/config: Permission denied"* ]] &&
		[[ $err == *"0000:01:00.0: cannot read config space: Permission denied"* ]]
	expect config-eacces-names-reason $? "rc=$rc err=$err"
elif [ "$(id -u)" != 0 ]; then
	kd probe
	[ $rc = 3 ] && [[ $err == *"0000:01:00.0/config: Permission denied"* ]]
	expect config-eacces-names-reason $? "rc=$rc err=$err"
else
	skip config-eacces-names-reason "no setpriv to drop root"
fi

# --- sysfs "reset" is write-only: looking for it is not an error ----------
fresh
chmod -R a+rX "$work/root"
chmod 0200 "$work/root/$ep/reset"
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$KDSAFE" --sysroot "$work/root" reset --dry-run --method kernel \
		01:00.0 >"$work/stdout" 2>"$work/stderr"
	rc=$? err=$(cat "$work/stderr") out=$(cat "$work/stdout")
	[ $rc = 0 ] && [[ $err != *"Permission denied"* ]] &&
		[[ $out == *"0000:01:00.0"*planned* ]]
	expect write-only-reset-not-an-error $? "rc=$rc out=$out err=$err"
else
	skip write-only-reset-not-an-error "no setpriv to drop root"
fi

# --- a config shorter than the 64-byte header is unreadable, not dirty ----
fresh
head -c 32 "$work/root/$ep/config" >"$work/short" &&
	cp "$work/short" "$work/root/$ep/config"
kd probe 01:00.0
[ $rc = 3 ] && [[ $err == *"0000:01:00.0: config space is 32 bytes, less than the 64-byte header: unreadable"* ]] &&
	[[ $out != *"0000:01:00.0"*dirty* ]]
expect short-config-probe-unreadable $? "rc=$rc out=$out err=$err"
kd reset --json 01:00.0
python3 - "$work/stdout" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"][0]
assert r["status"] != "ok" and "cannot read config space" in r["reason"], r
assert r["operations"] == [] or not r.get("operations"), r
PY
[ $? = 0 ] && [ $rc != 0 ] && [ $rc != 124 ] &&
	[ "$(cmp -s "$work/short" "$work/root/$ep/config"; echo $?)" = 0 ]
expect short-config-reset-refused $? "rc=$rc out=$(head -c 400 "$work/stdout") err=$err"

# --- the real /sys: opens in one step ----------------------------------------
# Without a sysroot, below a /sys that is a sysfs mount, a file is opened by
# one openat2 that cannot leave the mount (RESOLVE_NO_XDEV: only sysfs, no
# FIFO or device node, can be met), no O_PATH look first: in a capture
# kernel every path walk costs.  Read-only (probe).
if ! command -v strace >/dev/null; then
	skip real-sysfs-config-one-open "no strace"
elif [ -z "$(ls /sys/bus/pci/devices 2>/dev/null)" ]; then
	skip real-sysfs-config-one-open "no PCI function in /sys here"
else
	strace -f -qq -e trace=openat,openat2 -o "$work/strace" \
		"$KDSAFE" probe >/dev/null 2>&1
	opens=$(grep -c 'devices/[^/"]*/config"' "$work/strace")
	looks=$(grep 'devices/[^/"]*/config"' "$work/strace" | grep -c 'O_PATH\|O_WRONLY\|O_RDWR')
	bounded=$(grep 'devices/[^/"]*/config"' "$work/strace" | grep -c 'RESOLVE_NO_XDEV')
	[ "$opens" -gt 0 ] && [ "$looks" = 0 ] && [ "$bounded" = "$opens" ]
	expect real-sysfs-config-one-open $? "opens=$opens looks=$looks bounded=$bounded $(grep config "$work/strace" | head -3)"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
