#!/bin/sh
# kdsafe whitelist CLI tests: the test-build binary on the journals of
# tests/whitelist/fixtures (tests/whitelist/make-fixtures.py).  KDSAFE: the
# binary.  Run from the top of the tree.
set -u
K=${KDSAFE:?set KDSAFE to the kdsafe binary}
D=tests/whitelist
F=$D/fixtures
T=$(mktemp -d /tmp/kdsafe-wl-XXXXXX)
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
same() { # EXPECTED GOT
	if cmp -s "$1" "$2"; then ok; else
		bad "$2 differs from $1:"; diff -u "$1" "$2" >&2; fi
}

# every format, byte for byte; the directory walk finds lab/m2/*.jsonl
for fmt in table json csv markdown html; do
	expect 0 "format $fmt" -- $K whitelist --format $fmt $F/lab
	same $D/expected/lab.$fmt "$T/out"
done
expect 0 "--json" -- $K whitelist --json $F/lab
same $D/expected/lab.json "$T/out"

# every verdict, with its evidence
expect 0 "table" -- $K whitelist $F/lab/m1.jsonl $F/lab/m2
has "$T/out" "8086:10d3  8086:0000  e1000e      6.1.0-13-amd64  safe-with flr"
has "$T/out" "failed: none 0/3 (3 hang); no-op: pm 0/3 (3 reset-ineffective)"
has "$T/out" "safe-with bus       worked: bus 3/3; failed: none 0/3 (3 died-loading)"
has "$T/out" "virtio-pci  6.1.0-13-amd64  safe  "
has "$T/out" "r8169       6.1.0-13-amd64  unsafe"
has "$T/out" "inconsistent: none  flaky: none 2/3 (1 fail)"
has "$T/out" "xhci_hcd    6.1.0-13-amd64  untested"

# the HTML matrix: cells, colours, legend
expect 0 "html" -- $K whitelist --format html $F/lab
if python3 $D/check-html.py "$T/out" \
	"8086:10d3 e1000e none 0/3 fail" "8086:10d3 e1000e flr 3/3 pass" \
	"8086:10d3 e1000e pm 0/3 fail" "14e4:1657 tg3 none 2/3 mixed" \
	"1b36:000d xhci_hcd none – untested" "1af4:1041 virtio-pci bus – untested"
then ok; else bad "html matrix"; fi

# emitted quirks pass quirks check and choose each safe-with fix
expect 0 "emit quirks" -- $K whitelist --emit-quirks "$T/90-wl.conf" $F/lab
has "$T/err" "90-wl.conf: 2 quirk entries"
expect 0 "quirks check" -- $K quirks --allow-insecure-quirks check "$T/90-wl.conf"
has "$T/out" "1 file read, 2 entries, 0 rejected, 0 errors"
has "$T/90-wl.conf" "[8086:10d3 subsys=8086:0000]"
has "$T/90-wl.conf" "methods = flr"
has "$T/90-wl.conf" "avoid = pm"
has "$T/90-wl.conf" "[8086:2922 subsys=1af4:1100]"
has "$T/90-wl.conf" "methods = bus"
has "$T/90-wl.conf" "# ahci on 6.1.0-13-amd64: safe-with bus; worked: bus 3/3;"

# a journal's strings with newlines (valid JSON "\n") stay inside the
# emitted comments: no entry of their own makes it into the quirks file
python3 - "$T/inj.jsonl" <<'PY'
import json, sys
rec = {"schema": 1, "kind": "outcome", "time": 1, "machine": "m",
       "kernel": "k\n[8086:dead]\nmethods = bus\n#", "cycle": 1,
       "repeat": 1, "address": "0000:00:02.0", "vendor": "8086",
       "device": "10d3", "subsys_vendor": "8086", "subsys_device": "0000",
       "class": "020000", "driver": "e1000e\r\n[8086:beef]\nname = x"}
with open(sys.argv[1], "w") as f:
    for variant, outcome in (("none", "fail"), ("flr", "pass")):
        f.write(json.dumps(dict(rec, variant=variant, outcome=outcome)) + "\n")
PY
expect 0 "emit quirks, hostile strings" -- $K whitelist --emit-quirks "$T/inj.conf" "$T/inj.jsonl"
if grep -v '^#' "$T/inj.conf" | grep -q 'dead\|beef\|name = x'; then
	bad "journal strings escaped the comments:"; cat "$T/inj.conf" >&2
else ok; fi
expect 0 "quirks check, hostile strings" -- $K quirks --allow-insecure-quirks check "$T/inj.conf"
has "$T/out" "1 entry, 0 rejected"

# malformed records: skipped with FILE:LINE, counted, exit 3 (partial)
expect 3 "malformed" -- $K whitelist --format json $F/lab $F/malformed.jsonl
has "$T/err" "$F/malformed.jsonl:2: missing \"machine\""
has "$T/err" "$F/malformed.jsonl:4: "
has "$T/err" "$F/malformed.jsonl:5: torn record"
has "$T/err" "input was partial: 3 malformed lines (1 torn)"
has "$T/out" '"malformed": 3'
has "$T/out" '"torn": 1'

# a 1 MiB line between two records: passed over (line cap, 256 KiB),
# counted malformed with its place, both records merged
{ sed -n 1p $F/lab/m1.jsonl; head -c 1048576 /dev/zero | tr '\0' x; echo
  sed -n 2p $F/lab/m1.jsonl; } >"$T/long.jsonl"
expect 3 "long line" -- $K whitelist --format json "$T/long.jsonl"
has "$T/err" "$T/long.jsonl:2: line longer than 262144 bytes"
has "$T/out" '"records": 2'
has "$T/out" '"malformed": 1'

# unreadable input: partial when some was read, fatal when none was
expect 3 "one missing file" -- $K whitelist $F/lab "$T/nope.jsonl"
has "$T/err" "$T/nope.jsonl: cannot read"
expect 4 "nothing readable" -- $K whitelist "$T/nope.jsonl"
mkdir "$T/empty"
expect 4 "empty directory" -- $K whitelist "$T/empty"

# usage
expect 2 "no argument" -- $K whitelist
expect 2 "bad format" -- $K whitelist --format xml $F/lab
has "$T/err" "unknown format 'xml'"
expect 0 "help" -- $K whitelist --help
has "$T/out" "--emit-quirks FILE"
if [ -w /dev/full ]; then
	expect 4 "write error" -- sh -c "$K whitelist $F/lab >/dev/full"
	has "$T/err" "stdout: No space left on device"
fi

# a journal from another machine is not kdsafe's own document: records whose
# thousands of keys all collide under json-c's unseeded (perl-like) hash took
# ~0.7 s each (quadratic probing); with the seeded hash well under 0.1 s.
# 4 records of 16807 keys (7 two-byte blocks with h*33+c = 2399, 5 deep).
python3 - "$T/flood.jsonl" <<'PY'
import itertools, sys
blocks = [bytes([a, 2399 - 33 * a]) for a in range(65, 72)]
keys = (b"".join(t) for t in itertools.product(blocks, repeat=5))
rec = b"{" + b",".join(b'"' + k + b'":0' for k in keys) + b"}\n"
assert len(rec) < 262144
open(sys.argv[1], "wb").write(rec * 4)
PY
start=$(date +%s%N)
$K whitelist "$T/flood.jsonl" >/dev/null 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$ms" -lt 2000 ]; then ok; else
	bad "4 hash-flooding records took $ms ms (limit 2000)"; fi

echo "whitelist CLI: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
