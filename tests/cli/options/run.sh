#!/usr/bin/env bash
# CLI tests of what every command shares (cli/main.c, cli/common.c): global
# options before or after the command, the one duration parser behind
# --timeout, -J for --json and -j for --jobs, write errors on stdout (a full
# disk, a closed pipe) and names that are not UTF-8 in text and JSON.  Trees
# from tests/cli/reset/tree.py.  Run by make check (mk/cli-options.mk).
set -u
: "${KDSAFE:?path to the kdsafe test binary}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kdsafe-options-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
root=$work/root
devs=$root/sys/bus/pci/devices

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
expect() { # NAME CONDITION-STATUS MESSAGE
	if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi
}
# k ARGS...: runs kdsafe; stdout/stderr in $out/$err, status in $rc
k() {
	"$KDSAFE" "$@" >"$work/stdout" 2>"$work/stderr"
	rc=$?
	out=$(cat "$work/stdout")
	err=$(cat "$work/stderr")
}
# valid_json FILE: parses as JSON from strictly decoded UTF-8
valid_json() {
	python3 -c 'import json, sys
json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))' "$1"
}
python3 "$here/../reset/tree.py" "$root"

# --- global options after the command --------------------------------------
k --sysroot "$root" probe
before=$out
k probe --sysroot "$root"
[ $rc = 0 ] && [ "$out" = "$before" ] && [ -n "$out" ]
expect probe-sysroot-after $? "rc=$rc err=$err"

k --sysroot "$root" reset --dry-run --all
before=$out
k reset --dry-run --all --sysroot "$root"
[ $rc = 0 ] && [ "$out" = "$before" ] && [[ $out == *planned* ]]
expect reset-sysroot-after $? "rc=$rc err=$err"

k quirks --no-default-dirs list --sysroot "$root"
[ $rc = 0 ] && [[ $out == *"0 entries"* ]]
expect quirks-sysroot-after $? "rc=$rc out=$out err=$err"

k --sysroot "$root" probe --sysroot "$work/other"
[ $rc = 2 ] && [[ $err == *"$root"* ]] && [[ $err == *"$work/other"* ]]
expect sysroot-twice-differs $? "rc=$rc err=$err"

k --sysroot "$root" probe --sysroot "$root"
[ $rc = 0 ]
expect sysroot-twice-same $? "rc=$rc err=$err"

k --sysroot "$root" probe --dump /dev/null
[ $rc = 2 ] && [[ $err == *"exclude each other"* ]]
expect sysroot-then-dump-after $? "rc=$rc err=$err"

k probe --dump /dev/null -q
[ $rc = 0 ]
expect dump-and-quiet-after $? "rc=$rc err=$err"

# --- --timeout: the shared duration parser -----------------------------------
for t in nan NaN inf -inf infinity -1 1e400 0x10 '' 5h 601s 1.5ns 0; do
	k --sysroot "$root" reset --dry-run -t "$t" 02:00.0
	[ $rc = 2 ] && [[ $err == *"bad --timeout '$t': "* ]]
	expect "timeout-refused[$t]" $? "rc=$rc err=$err"
done
k --sysroot "$root" reset --dry-run -t nan 02:00.0
[[ $err == *"expected a duration such as 250ms"* ]]
expect timeout-nan-message $? "err=$err"
k --sysroot "$root" reset --dry-run -t 1e400 02:00.0
[[ $err == *"no exponents"* ]]
expect timeout-exponent-message $? "err=$err"
k --sysroot "$root" reset --dry-run -t -1 02:00.0
[[ $err == *"must not be negative"* ]]
expect timeout-negative-message $? "err=$err"
for t in 60 60s 1.5s 500ms 250us 600s; do
	k --sysroot "$root" reset --dry-run -t "$t" 02:00.0
	[ $rc = 0 ]
	expect "timeout-accepted[$t]" $? "rc=$rc err=$err"
done

# --- -J is --json everywhere, -j is --jobs -----------------------------------
k --sysroot "$root" probe -J
[ $rc = 0 ] && valid_json "$work/stdout"
expect probe-J $? "rc=$rc err=$err"
k --sysroot "$root" reset --dry-run -J 02:00.0
[ $rc = 0 ] && valid_json "$work/stdout"
expect reset-J $? "rc=$rc err=$err"
k --sysroot "$root" quirks --no-default-dirs -J list
[ $rc = 0 ] && valid_json "$work/stdout"
expect quirks-J $? "rc=$rc err=$err"
k --sysroot "$root" reset --dry-run -j 2 02:00.0
[ $rc = 0 ] && [[ $out == *planned* ]]
expect reset-j-is-jobs $? "rc=$rc err=$err"
k --sysroot "$root" probe -j
[ $rc = 2 ]
expect probe-j-is-not-json $? "rc=$rc out=$out"

# --- the one JSON envelope ---------------------------------------------------
envelope='import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1 and d["tool"].startswith("kdsafe "), d
assert "source" in d and isinstance(d["errors"], list), d'
for cmd in "probe" "reset --dry-run 02:00.0" "quirks --no-default-dirs list" \
	"quirks --no-default-dirs match 02:00.0"; do
	# shellcheck disable=SC2086
	k --sysroot "$root" $cmd --json
	python3 -c "$envelope" "$work/stdout"
	expect "json-envelope[$cmd]" $? "rc=$rc $(head -c 300 "$work/stdout")"
done

# --- write errors on stdout --------------------------------------------------
if [ -w /dev/full ]; then
	for cmd in "probe" "probe --json" "reset --dry-run --all" \
		"reset --dry-run --json 02:00.0" "quirks --no-default-dirs list" \
		"quirks --no-default-dirs check" "probe --help"; do
		# shellcheck disable=SC2086
		"$KDSAFE" --sysroot "$root" $cmd >/dev/full 2>"$work/stderr"
		rc=$?
		err=$(cat "$work/stderr")
		[ $rc = 4 ] && [[ $err == *"kdsafe: error: stdout: No space left on device"* ]]
		expect "full-stdout[$cmd]" $? "rc=$rc err=$err"
	done
	"$KDSAFE" --version >/dev/full 2>"$work/stderr"
	rc=$?
	[ $rc = 4 ]
	expect full-stdout-version $? "rc=$rc"
fi
# a closed pipe is not an error worth a message when SIGPIPE is ignored? it
# is: the output is lost all the same.
(trap '' PIPE; "$KDSAFE" --sysroot "$root" probe -v 2>"$work/stderr" | true)
rc=${PIPESTATUS[0]}
expect closed-pipe-no-crash "$([ -z "$(grep -E 'Sanitizer|runtime error' "$work/stderr")" ]; echo $?)" \
	"$(cat "$work/stderr")"

# --- names that are not UTF-8 ------------------------------------------------
bad=$work/bad
python3 "$here/../reset/tree.py" "$bad"
mkdir "$bad/sys/bus/pci/devices/$(printf 'odd\xff\xfe\x1b[31m')"
k --sysroot "$bad" probe --json
[ $rc = 3 ] && valid_json "$work/stdout" &&
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert any("odd\ufffd\ufffd\x1b[31m" in e["message"] for e in d["errors"]), d["errors"]' \
	"$work/stdout"
expect non-utf8-device-json $? "rc=$rc $(head -c 400 "$work/stdout")"
k --sysroot "$bad" probe
[ $rc = 3 ] && [[ $err == *'odd\xff\xfe\x1b[31m: not a PCI function address'* ]]
expect non-utf8-device-text $? "rc=$rc err=$err"

mkdir -p "$work/q"
printf '[1af4:1041]\nmethods = flr\n' >"$work/q/$(printf 'q\xe9\x80.conf')"
printf '[8086:*]\nmethods = bogus\n' >"$work/q/$(printf 'r\xff.conf')"
k --sysroot "$root" quirks --no-default-dirs --allow-insecure-quirks \
	--quirks-dir "$work/q" list --json
valid_json "$work/stdout" && [[ $out == *'q\ufffd\ufffd.conf:1'* ]]
expect non-utf8-quirk-file-json $? "rc=$rc $out $err"
k --sysroot "$root" quirks --no-default-dirs --allow-insecure-quirks \
	--quirks-dir "$work/q" list
[[ $out == *'q\xe9\x80.conf:1: [1af4:1041]'* ]] && [[ $err == *'r\xff.conf:2:'* ]]
expect non-utf8-quirk-file-text $? "rc=$rc $out $err"
# valid UTF-8 passes untouched
printf '[1af4:1041]\nmethods = flr\n' >"$work/q/$(printf 'caf\xc3\xa9.conf')"
k --sysroot "$root" quirks --no-default-dirs --allow-insecure-quirks \
	--quirks-dir "$work/q" list --json
[[ $out == *"café.conf:1"* ]]
expect utf8-quirk-file-json-untouched $? "$out"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
