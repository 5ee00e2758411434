#!/usr/bin/env bash
# CLI tests of quirk scripts (`run` steps) through `kdsafe reset` on the
# fake tree of tests/cli/reset/tree.py: a good script runs with its
# environment, a script below a group-writable directory or with a
# group-writable `#!` interpreter is refused (and does not run), and
# --allow-insecure-quirks with --allow-real-sysfs is a usage error.  Run as
# root (files are chowned to another uid).  Called by tests/cli/run-all.sh.
set -u
: "${KDSAFE:?path to the kdsafe test binary}"
here=$(cd "$(dirname "$0")" && pwd)
# not under /tmp: a world-writable directory above a script refuses it
work=$(mktemp -d "${KDSAFE_TEST_TMPDIR:-$(dirname "$KDSAFE")}/kdsafe-scripts-cli.XXXXXX")
chmod 0755 "$work"
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

pass() { passed=$((passed + 1)); echo "PASS scripts/$1"; }
fail() { failed=$((failed + 1)); echo "FAIL scripts/$1: $2"; }
expect() { if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi; }
fresh() { rm -rf "$work/root"; python3 "$here/../reset/tree.py" "$work/root"; }
# kd ARGS...: kdsafe on the tree (bounded: a hang fails); $out $err $rc
kd() {
	timeout 60 "$KDSAFE" --sysroot "$work/root" "$@" \
		>"$work/stdout" 2>"$work/stderr"
	rc=$?
	out=$(cat "$work/stdout")
	err=$(cat "$work/stderr")
}
# quirk DIR PROGRAM: a quirks dir whose entry for 01:00.0 runs PROGRAM
quirk() {
	mkdir -p "$work/$1"
	printf '[1af4:1041]\npre = run timeout=5s %s\n' "$2" >"$work/$1/50-run.conf"
}
# prog PATH INTERP MODE: a script writing "ran $KDSAFE_DEVICE" to $work/ran
prog() {
	mkdir -p "$(dirname "$1")"
	printf '#!%s\necho "ran $KDSAFE_DEVICE $*" > %s/ran\n' "$2" "$work" >"$1"
	chmod "$3" "$1"
}

[ "$(id -u)" = 0 ] || { echo "SKIP scripts: needs root (chown)"; exit 0; }

# --- a good script runs, by descriptor, with its environment ---------------
fresh; rm -f "$work/ran"
prog "$work/bin/ok.sh" /bin/sh 0755
quirk q "$work/bin/ok.sh one"
kd reset -m quiesce --quirks-dir "$work/q" 01:00.0
[ $rc = 0 ] && [ "$(cat "$work/ran" 2>/dev/null)" = "ran 0000:01:00.0 one" ]
expect good-script-runs $? "rc=$rc out=$out err=$err"

# --- a group-writable directory above it: refused, named, not run ----------
fresh; rm -f "$work/ran"
mkdir -p "$work/gw" && chmod 0775 "$work/gw"
prog "$work/gw/s.sh" /bin/sh 0755
quirk q "$work/gw/s.sh"
kd reset -m quiesce --quirks-dir "$work/q" 01:00.0
[ $rc != 0 ] && [ ! -e "$work/ran" ] &&
	[[ $out$err == *"refusing script $work/gw/s.sh: directory $work/gw: group-writable"* ]]
expect group-writable-dir-refused $? "rc=$rc out=$out err=$err"

# --- another user's directory above it: refused even when insecure ---------
fresh; rm -f "$work/ran"
mkdir -p "$work/other" && chown 1000:1000 "$work/other" && chmod 0755 "$work/other"
prog "$work/other/s.sh" /bin/sh 0755
quirk q "$work/other/s.sh"
kd reset -m quiesce --quirks-dir "$work/q" --allow-insecure-quirks 01:00.0
[ $rc != 0 ] && [ ! -e "$work/ran" ] &&
	[[ $out$err == *"directory $work/other: owned by uid 1000, not root"* ]]
expect other-uid-dir-refused $? "rc=$rc out=$out err=$err"

# --- a `#!` interpreter that is group-writable: refused, not run -----------
fresh; rm -f "$work/ran"
cp /bin/sh "$work/bin/gwsh" && chmod 0775 "$work/bin/gwsh"
prog "$work/bin/gwi.sh" "$work/bin/gwsh" 0755
quirk q "$work/bin/gwi.sh"
kd reset -m quiesce --quirks-dir "$work/q" 01:00.0
[ $rc != 0 ] && [ ! -e "$work/ran" ] &&
	[[ $out$err == *"interpreter $work/bin/gwsh: group-writable"* ]]
expect group-writable-interpreter-refused $? "rc=$rc out=$out err=$err"

# --- the same script with a good interpreter runs ---------------------------
fresh; rm -f "$work/ran"
cp /bin/sh "$work/bin/goodsh" && chmod 0755 "$work/bin/goodsh"
prog "$work/bin/gi.sh" "$work/bin/goodsh" 0755
quirk q "$work/bin/gi.sh two"
kd reset -m quiesce --quirks-dir "$work/q" 01:00.0
[ $rc = 0 ] && [ "$(cat "$work/ran" 2>/dev/null)" = "ran 0000:01:00.0 two" ]
expect good-interpreter-runs $? "rc=$rc out=$out err=$err"

# --- a script runs at kdsafe's own nice value, whichever thread starts it ---
# (tree.py --conv: 03:01.0's bus reset waits 1.1 s in the calling thread;
# 01:00.0's domain is taken meanwhile by a thread the gated run made, at
# nice 19 since 8fa0055: its script must not inherit that)
rm -rf "$work/root"; python3 "$here/../reset/tree.py" --conv "$work/root"
rm -f "$work"/nice.*
mkdir -p "$work/bin" "$work/qn"
printf '#!/bin/sh\nread -r s </proc/self/stat; set -- ${s#*) }\nshift 16; echo "$1" >%s/nice.$KDSAFE_DEVICE\n' \
	"$work" >"$work/bin/nice.sh"
chmod 0755 "$work/bin/nice.sh"
printf '[10ec:8139]\nmethods = bus\n\n[1af4:1041]\npre = run timeout=5s %s\n' \
	"$work/bin/nice.sh" >"$work/qn/50-nice.conf"
own=$(nice)
kd reset --quirks-dir "$work/qn" 03:01.0 01:00.0
[ $rc = 0 ] && [ "$(cat "$work/nice.0000:01:00.0" 2>/dev/null)" = "$own" ]
expect script-runs-at-kdsafes-nice $? "rc=$rc nice=$(cat "$work/nice.0000:01:00.0" 2>/dev/null) own=$own out=$out err=$err"

# --- --allow-insecure-quirks never with --allow-real-sysfs ------------------
fresh
kd reset --allow-insecure-quirks --allow-real-sysfs --dry-run 01:00.0
[ $rc = 2 ] && [[ $err == *"--allow-insecure-quirks"*"--allow-real-sysfs"* ]]
expect insecure-with-real-sysfs-usage-error $? "rc=$rc out=$out err=$err"

echo "scripts: $passed passed, $failed failed"
[ "$failed" = 0 ]
