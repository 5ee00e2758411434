#!/bin/sh
# kdsafe quirks CLI tests: the real binary on the shipped quirks.d and on
# fixtures.  KDSAFE: the binary.  Run from the top of the tree.
set -u
K=${KDSAFE:?set KDSAFE to the kdsafe binary}
F=tests/quirks/fixtures
T=$(mktemp -d /tmp/kdsafe-qcli-XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect STATUS DESCRIPTION -- COMMAND...: runs it, output in $T/out, $T/err
expect() {
	want=$1; what=$2; shift 3
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else
		bad "$what: exit $got, wanted $want"; cat "$T/err" >&2; fi
}
has() { # FILE TEXT
	if grep -qF -- "$2" "$1"; then ok; else
		bad "'$2' not in $1:"; cat "$1" >&2; fi
}

# the shipped database is clean, with at least 25 entries
expect 0 "check quirks.d" -- $K quirks check quirks.d/*.conf
n=$(sed -n 's/.* \([0-9][0-9]*\) entries.*/\1/p' "$T/out")
if [ "${n:-0}" -ge 25 ]; then ok; else bad "only ${n:-0} shipped entries"; fi
has "$T/out" "0 rejected, 0 errors"

# every shipped entry names the kernel quirk it mirrors
for f in quirks.d/*.conf; do
	sections=$(grep -c '^\[' "$f")
	mirrored=$(awk '/^# Kernel: /{k=1} /^\[/{if (k) n++; k=0} END{print n+0}' "$f")
	if [ "$sections" -eq "$mirrored" ]; then ok; else
		bad "$f: $sections entries, $mirrored with a '# Kernel:' comment"; fi
done

# lint: gcc-style messages, non-zero exit, other files still read
expect 1 "check bad file" -- $K quirks check $F/bad.conf $F/good.conf
has "$T/err" "$F/bad.conf:3:16: error: unknown reset method 'reboot'"
has "$T/err" "$F/bad.conf:4:21: error: duration needs a unit"
has "$T/err" "$F/bad.conf:5:11: error: offset 0x45 is not aligned"
has "$T/out" "2 files read, 1 entry, 1 rejected, 3 errors"

# a missing file is an error with its name
expect 1 "check missing" -- $K quirks check $T/nope.conf
has "$T/err" "$T/nope.conf: error: cannot open"

# directories under --sysroot, /etc overriding /usr/lib by name
mkdir -p "$T/root/usr/lib/kdsafe/quirks.d" "$T/root/etc/kdsafe/quirks.d"
chmod -R 0755 "$T/root"
cp $F/good.conf "$T/root/usr/lib/kdsafe/quirks.d/50-test.conf"
printf '[8086:10ed]\navoid = bus\n' > "$T/root/etc/kdsafe/quirks.d/50-test.conf"
cp $F/bad.conf "$T/root/etc/kdsafe/quirks.d/60-bad.conf"
expect 3 "list with a rejected file" -- $K --sysroot "$T/root" quirks list
has "$T/out" "etc/kdsafe/quirks.d/50-test.conf:1: [8086:10ed]"
has "$T/out" "1 entry from 1 file, 1 rejected"
has "$T/err" "60-bad.conf:3:16: error"

# insecure files are refused with a clear message, unless allowed
chmod 0666 "$T/root/etc/kdsafe/quirks.d/50-test.conf"
expect 1 "check insecure" -- $K --sysroot "$T/root" quirks check
has "$T/err" "50-test.conf: error: refused:"
has "$T/err" "--allow-insecure-quirks"
rm "$T/root/etc/kdsafe/quirks.d/60-bad.conf"
expect 0 "check insecure allowed" -- \
	$K --sysroot "$T/root" quirks --allow-insecure-quirks check

# match against an lspci -x dump: entries, plan, resolved capability
mkdir "$T/q" && chmod 0755 "$T/q" && cp $F/good.conf "$T/q/"
expect 0 "match dump" -- $K --dump $F/82599vf.dump quirks --no-default-dirs \
	--quirks-dir "$T/q" --allow-insecure-quirks match 03:00.0
has "$T/out" "0000:03:00.0 8086:10ed (subsystem 1028:1f60, class 020000, rev 01)"
has "$T/out" "$T/q/good.conf:2 [8086:10ed rev=0x01] test entry"
has "$T/out" "methods: flr, bus"
has "$T/out" "delay-after-reset: 100ms"
has "$T/out" "write 0x0 mask 0x100 to config 0x048.W (CAP_EXP+0x8)"
has "$T/out" "blacklist: ixgbevf"
# by vendor:device, and the shipped database through --quirks-dir
expect 0 "match shipped" -- $K --dump $F/82599vf.dump quirks --no-default-dirs \
	--quirks-dir quirks.d --allow-insecure-quirks match 8086:10ed
has "$T/out" "methods: kernel:device_specific, flr"
expect 3 "match nothing" -- $K --dump $F/82599vf.dump quirks --no-default-dirs \
	match 05:00.0

# --json: the same plan and list as documents (docs/quirks.md)
expect 0 "match json" -- $K --dump $F/82599vf.dump quirks --no-default-dirs \
	--quirks-dir "$T/q" --allow-insecure-quirks --json match 03:00.0
if python3 - "$T/out" "$T/q/good.conf" <<'PY'; then ok; else bad "match json"; fi
import json, sys
d = json.load(open(sys.argv[1]))
p = d["devices"][0]
assert p["address"] == "0000:03:00.0", p
assert p["entries"][0]["source"] == sys.argv[2] + ":2", p
assert p["methods"] == ["flr", "bus"] and p["avoid"] == ["pm"], p
assert p["delay_after_reset_ns"] == 100000000 and p["timeout_ns"] is None
assert p["pre"][0]["step"].startswith("write 0x0 mask 0x100"), p
assert p["blacklist"] == ["ixgbevf"] and d["errors"] == [], d
PY
expect 0 "list json" -- $K quirks --no-default-dirs --quirks-dir quirks.d \
	--allow-insecure-quirks --json list
if python3 - "$T/out" <<'PY'; then ok; else bad "list json"; fi
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["entries"]) >= 25 and d["rejected"] == 0, d
assert all(e["source"].startswith("quirks.d/") for e in d["entries"])
PY

# the kernel's reset quirks are all shipped, each with the method it avoids
if python3 - quirks.d/*.conf <<'PY'; then ok; else bad "kernel reset quirks shipped"; fi
import re, sys
have, cur = {}, None
for f in sys.argv[1:]:
    for line in open(f):
        m = re.match(r"\[([0-9a-f]{4}:[0-9a-f*]{1,4})", line)
        if m:
            cur = have.setdefault(m.group(1), set())
        m = re.match(r"avoid\s*=\s*(.*)", line)
        if m and cur is not None:
            cur.update(m.group(1).replace(",", " ").split())
want = {"bus": ["17cb:1103", "17cb:1107", "17cb:0308", "1b21:1164",
                "10de:22ce", "10de:22d0", "177d:a100", "168c:0030"],
        "flr": ["1022:1502", "1022:17f0", "14c3:7925", "14c3:0616"],
        "pm": ["15b3:cb84", "15b3:cf6c", "15b3:cf70", "15b3:cf80"]}
missing = [(m, i) for m, ids in want.items() for i in ids
           if m not in have.get(i, ())]
assert not missing, missing
PY

# usage
for sub in "" check list match; do
	expect 0 "help $sub" -- $K quirks $sub --help
	has "$T/out" "Usage: kdsafe"
done
expect 2 "unknown subcommand" -- $K quirks frobnicate
expect 2 "match without device" -- $K quirks match
expect 2 "bad option" -- $K quirks --bogus list

echo "quirks CLI: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
