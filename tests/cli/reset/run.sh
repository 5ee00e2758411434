#!/usr/bin/env bash
# CLI tests of `kdsafe reset` on a fake sysfs tree (tree.py): the kernel
# method's writes to reset_method and reset and their restore, the config
# bytes left behind, refusals, dry run (tree and --dump), bad input, JSON,
# --kmsg.  Each test gets a fresh tree.  Run by make check (mk/reset.mk).
set -u
: "${KDSAFE:?path to the kdsafe test binary}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kdsafe-reset-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
dev=sys/devices/pci0000:00

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
fresh() { rm -rf "$work/root"; python3 "$here/tree.py" "$work/root"; }
# kd ARGS...: runs kdsafe on the tree; stdout/stderr in $out/$err, $rc
kd() {
	"$KDSAFE" --sysroot "$work/root" "$@" >"$work/stdout" 2>"$work/stderr"
	rc=$?
	out=$(cat "$work/stdout")
	err=$(cat "$work/stderr")
}
# cfg16 PATH OFFSET: a little-endian word of a config file
cfg16() { od -An -tu2 -j "$2" -N2 "$work/root/$dev/$1/config" | tr -d ' '; }
# the run lock (docs/reset.md) is the one file a refused run leaves
tree_sum() { (cd "$work/root" && find . -type f ! -path ./run/kdsafe.lock -exec md5sum {} + | sort); }
expect() { # NAME CONDITION-STATUS MESSAGE
	if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi
}

ep=0000:00:1c.0/0000:01:00.0

# --- the kernel method -----------------------------------------------------
fresh
kd reset -m kernel:flr 01:00.0
[ $rc = 0 ] && [ "$(cat "$work/root/$dev/$ep/reset")" = 1 ] &&
	[ "$(cat "$work/root/$dev/$ep/reset_method")" = "flr pm bus" ]
expect kernel-flr-writes-and-restores $? "rc=$rc out=$out err=$err"
# Command was 0x0006: Bus Master cleared after the kernel's restore
[ "$(cfg16 $ep 4)" = 2 ]
expect kernel-clears-bus-master $? "command=$(cfg16 $ep 4)"

fresh
kd reset --json -m kernel:flr 01:00.0
python3 - "$work/stdout" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"][0]
ops = [(o["op"], o.get("attribute"), o.get("value")) for o in r["operations"]]
assert ops == [("sysfs-write", "reset_method", "flr"),
               ("sysfs-write", "reset", "1"),
               ("sysfs-write", "reset_method", "flr pm bus"),
               ("config-write", None, 2)], ops
assert r["operations"][3]["offset"] == 4 and r["operations"][3]["width"] == 2
assert r["status"] == "ok" and r["method"] == "kernel:flr"
assert r["before"]["bus_master"] and not r["after"]["bus_master"]
assert d["summary"]["ok"] == 1 and d["summary"]["exit_status"] == 0
assert d["dry_run"] is False and d["errors"] == []
EOF
expect kernel-flr-json-operations $? "$(head -c 600 "$work/stdout")"

# wait accounting (docs/reset.md): the sysfs reset write's duration, each
# result's waited_ms (sum of sleeps, polls, reset writes), the summary's
# elapsed and longest wait; a dry run counts its planned sleeps
python3 - "$work/stdout" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
r, s = d["results"][0], d["summary"]
w = [o for o in r["operations"] if o.get("attribute") == "reset"][0]
assert w["duration_ms"] >= 0 and r["waited_ms"] == w["duration_ms"], r
assert s["longest_wait_ms"] == r["waited_ms"], s
assert s["elapsed_ms"] >= s["longest_wait_ms"] and s["elapsed_ms"] > 0, s
assert s["longest_wait_method"] in ("kernel:flr", None), s
EOF
expect json-waited-kernel $? "$(head -c 600 "$work/stdout")"
# the timeline (docs/reset.md): when each function's turn came, when its
# reset started after open/identify/policy, each operation's at_ms from its turn
python3 - "$work/stdout" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"][0]
# began_ms from the resets' start (after the plan): at once for the only one
assert 0 <= r["began_ms"] < 50, r["began_ms"]
assert 0 < r["reset_started_ms"] <= r["operations"][0]["at_ms"], r
ats = [o["at_ms"] for o in r["operations"]]
assert ats == sorted(ats) and ats[-1] <= r["reset_started_ms"] + r["duration_ms"], ats
s = d["summary"]
assert min(s["prepare_ms"], s["topology_ms"], s["resets_ms"]) > 0, s
assert s["prepare_ms"] + s["topology_ms"] + s["resets_ms"] <= s["elapsed_ms"], s
assert s["resets_ms"] >= r["began_ms"] + r["reset_started_ms"] + r["duration_ms"], s
EOF
expect json-timeline $? "$(head -c 600 "$work/stdout")"
# a function whose turn never came (no such function): no time, not 0.0,
# which reads as "the first one's turn, its reset at once"
fresh
kd reset --json 01:00.0 05:00.0
python3 - "$work/stdout" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][1]
assert r["address"] == "0000:05:00.0" and r["status"] == "failed", r
assert r["began_ms"] is None and r["reset_started_ms"] is None, r
EOF
expect json-timeline-never-began $? "$(head -c 600 "$work/stdout")"
fresh
kd reset --dry-run --json -m flr 01:00.0 02:00.0
python3 - "$work/stdout" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
rs, s = d["results"], d["summary"]
for r in rs:
    sleeps = sum(o["ms"] for o in r["operations"] if o["op"] == "sleep")
    assert r["waited_ms"] == sleeps and sleeps >= 100, r
top = max(rs, key=lambda r: r["waited_ms"])
assert s["longest_wait_ms"] == top["waited_ms"], s
assert s["longest_wait_address"] == top["address"], s
assert s["longest_wait_method"] == "flr", s
EOF
expect json-waited-dry-run-sleeps $? "rc=$rc $(head -c 600 "$work/stdout") $err"

fresh
kd reset -m kernel 01:00.0
[ $rc = 0 ] && [ "$(cat "$work/root/$dev/$ep/reset_method")" = "flr pm bus" ] &&
	[ "$(cat "$work/root/$dev/$ep/reset")" = 1 ]
expect kernel-plain-leaves-reset-method $? "rc=$rc $err"

fresh
kd reset -m kernel:bus 0000:02:00.0
[ $rc = 1 ] && [[ $out == *'offers "flr pm", not bus'* ]] &&
	[ ! -s "$work/root/$dev/0000:00:1d.0/0000:02:00.0/reset" ]
expect kernel-method-not-offered $? "rc=$rc out=$out"

# --- direct config writes land in the config file -------------------------
fresh
kd reset -m flr 02:00.0
[ $rc = 0 ] && [ "$(cfg16 0000:00:1d.0/0000:02:00.0 4)" = 2 ] &&
	[ "$(cfg16 0000:00:1d.0/0000:02:00.0 $((0x68)))" = $((0x2810)) ]
expect flr-restores-devctl-without-bme $? "rc=$rc $out $err"

# --- safety --------------------------------------------------------------
fresh
before=$(tree_sum)
kd reset -m flr 01:00.1
[ $rc = 1 ] && [[ $out == *"driver e1000e is bound"* ]] &&
	[ "$before" = "$(tree_sum)" ]
expect bound-device-refused-untouched $? "rc=$rc $out"

fresh
before=$(tree_sum)
kd reset -m bus 01:00.0
[ $rc = 1 ] && [[ $out == *"0000:01:00.1 below the same bridge has driver e1000e"* ]] &&
	[ "$before" = "$(tree_sum)" ]
expect bus-reset-bound-sibling-refused $? "rc=$rc $out"

fresh
before=$(tree_sum)
kd reset -m bus 00:1f.0 --force
[ $rc = 1 ] && [[ $out == *"root bus"* ]] && [ "$before" = "$(tree_sum)" ]
expect bus-reset-root-bus-refused $? "rc=$rc $out"

fresh
before=$(tree_sum)
kd reset --dry-run 01:00.0 02:00.0
[ $rc = 0 ] && [ "$before" = "$(tree_sum)" ] &&
	[[ $out == *'sysfs-write reset "1"'* ]] &&
	[[ $out == *"config-write 0x004 w2 0x0002"* ]]
expect dry-run-touches-nothing $? "rc=$rc $out"

fresh
before=$(tree_sum)
kd reset --dry-run -m bus --force 01:00.0
[ $rc = 0 ] && [ "$before" = "$(tree_sum)" ] &&
	[[ $out == *"config-write 0x03e w2 0x0040"* ]] &&
	[[ $out == *"sleep 2 ms"* ]] && [[ $out == *"sleep 100 ms"* ]]
expect dry-run-bus-plan $? "rc=$rc $out"

python3 "$here/tree.py" --dump "$work/machine.dump"
"$KDSAFE" --dump "$work/machine.dump" reset -n -m flr 01:00.0 \
	>"$work/stdout" 2>"$work/stderr"
rc=$?
out=$(cat "$work/stdout")
[ $rc = 0 ] && [[ $out == *"config-write 0x068 w2 0xa810"* ]] &&
	[[ $out == *"sleep 100 ms"* ]]
expect dry-run-from-dump $? "rc=$rc $out $(cat "$work/stderr")"

"$KDSAFE" --dump "$work/machine.dump" reset -m flr 01:00.0 \
	>"$work/stdout" 2>"$work/stderr"
rc=$?
[ $rc = 2 ] && grep -q "read-only" "$work/stderr"
expect dump-is-read-only $? "rc=$rc"

# --- bad input -------------------------------------------------------------
fresh
kd reset -m reboot 01:00.0
[ $rc = 2 ] && [[ $err == *"unknown method 'reboot'"* ]]
expect unknown-method $? "rc=$rc $err"

fresh
kd reset -m flr 01:00 zz:zz.9 02:00.0
[ $rc = 2 ] && [[ $err == *"01:00: not a PCI function address"* ]] &&
	[[ $err == *"zz:zz.9: not a PCI function address"* ]] &&
	[[ $out == *"0000:02:00.0  ok"* ]]
expect malformed-address-others-handled $? "rc=$rc $out $err"

fresh
kd reset -m flr 07:00.0 02:00.0
[ $rc = 3 ] && [[ $out == *"0000:07:00.0"*"no such PCI function"* ]] &&
	[[ $out == *"0000:02:00.0  ok"* ]]
expect missing-device-others-handled $? "rc=$rc $out"

fresh
kd reset -m af-flr 02:00.0
[ $rc = 1 ] && [[ $out == *"refused"*"Advanced Features"* ]]
expect unsupported-method-refused $? "rc=$rc $out"

fresh
kd reset --timeout forever 02:00.0
[ $rc = 2 ]
expect bad-timeout $? "rc=$rc"

fresh
kd reset
[ $rc = 2 ]
expect no-device $? "rc=$rc"

# the test build refuses the real /sys before touching anything
"$KDSAFE" reset -m flr 00:00.0 >"$work/stdout" 2>"$work/stderr"
rc=$?
[ $rc = 4 ] && grep -q "compiled out" "$work/stderr"
expect real-sysfs-refused $? "rc=$rc $(cat "$work/stderr")"

# --- --all, --kmsg -----------------------------------------------------------
fresh
kd reset --all --kmsg
[ $rc = 0 ] && [[ $out == *"0000:01:00.0  ok"* ]] &&
	[[ $out == *"0000:02:00.0  ok"* ]] && [[ $out != *"01:00.1"* ]] &&
	[[ $out != *"00:00.2"* ]] &&
	grep -q "<5>kdsafe: 0000:01:00.0: ok via kernel" "$work/root/dev/kmsg"
expect all-dirty-unbound-and-kmsg $? "rc=$rc $out $err"

# a function the kernel owns without a driver: refused unless --force
fresh
kd reset 00:00.2
[ $rc = 1 ] && [[ $out == *"refused"* ]] && [[ $out == *"IOMMU"* ]] &&
	[ "$(cfg16 0000:00:00.2 4)" = 1030 ]
expect kernel-owned-refused $? "rc=$rc $out $err"

# --- quirks from a directory not owned as root wants -----------------------
fresh
mkdir -p "$work/q"
printf '[1af4:1041]\nmethods = flr\npre = wait 7ms\n' >"$work/q/50-test.conf"
chmod 0666 "$work/q/50-test.conf"
kd reset --dry-run --quirks-dir "$work/q" 01:00.0
[[ $err == *"50-test.conf"* ]] && [[ $out != *"wait 7ms"* ]]
expect insecure-quirks-refused $? "rc=$rc $out $err"
kd reset --dry-run --quirks-dir "$work/q" --allow-insecure-quirks 01:00.0
[ $rc = 0 ] && [[ $out == *"sleep 7 ms"*"quirk pre step"* ]] &&
	[[ $out == *"planned  flr"* ]]
expect insecure-quirks-allowed $? "rc=$rc $out $err"

# --- quirk steps are the executor's recorded operations (issue #8) --------
fresh
mkdir -p "$work/sq"
printf '[1af4:1041]\npre = cfg CAP_EXP+8.W=8000:8000\n      mmio BAR0+100.L=1\n      poll cfg COMMAND.W=0:4 timeout=50ms\n' \
	>"$work/sq/50-steps.conf"
before=$(tree_sum)
kd reset --dry-run --json -m flr --quirks-dir "$work/sq" \
	--allow-insecure-quirks 01:00.0
python3 - "$work/stdout" <<'EOF2'
import json, sys
ops = json.load(open(sys.argv[1]))["results"][0]["operations"]
got = [(o["op"], o.get("bar"), o.get("offset"), o.get("width"),
        o.get("value"), o.get("mask"), o["why"]) for o in ops[:3]]
assert got == [
    ("config-write", None, 0x68, 2, 0x8000, 0x8000, "quirk pre step"),
    ("bar-write", 0, 0x100, 4, 1, None, "quirk pre step"),
    ("poll", None, 4, 2, 0, 4, "quirk pre step")], got
EOF2
[ $? = 0 ] && [ "$before" = "$(tree_sum)" ]
expect quirk-steps-dry-run-json-ops $? "rc=$rc $(head -c 800 "$work/stdout")"

# --- one identify path: a VF's quirk (issue #8) ---------------------------
# 03:10.0 is a VF of 8086:10fb reading ffff:ffff; its IDs are the PF's
# vendor and the SR-IOV VF Device ID 10ed, for quirks match and reset alike
vf_quirks() {
	mkdir -p "$work/vq"
	printf '[8086:10ed]\nname = vf quirk\navoid = flr\n' \
		>"$work/vq/50-vf.conf"
}
vfq="--quirks-dir $work/vq --allow-insecure-quirks"
rm -rf "$work/root"; python3 "$here/tree.py" --sriov "$work/root"; vf_quirks
kd quirks match $vfq 03:10.0
[ $rc = 0 ] && [[ $out == *"8086:10ed"* ]] && [[ $out == *"vf quirk"* ]] &&
	[[ $out == *"avoid: flr"* ]]
expect vf-quirks-match-applies $? "rc=$rc $out $err"
before=$(tree_sum)
kd reset --dry-run $vfq -m flr 03:10.0
[ $rc = 1 ] && [[ $out == *"refused"*"quirk vf quirk forbids flr"* ]] &&
	[ "$before" = "$(tree_sum)" ]
expect vf-reset-honours-quirk-avoid $? "rc=$rc $out $err"
kd reset --dry-run --json $vfq 03:10.0
python3 - "$work/stdout" <<'EOF2'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
assert r["status"] == "planned" and r["method"] == "pm", r
EOF2
expect vf-reset-auto-skips-avoided $? "rc=$rc $(head -c 600 "$work/stdout")"
python3 "$here/tree.py" --sriov --dump "$work/vf.dump"
"$KDSAFE" --dump "$work/vf.dump" reset -n $vfq -m flr 03:10.0 \
	>"$work/stdout" 2>"$work/stderr"
rc=$?
out=$(cat "$work/stdout")
[ $rc = 1 ] && [[ $out == *"quirk vf quirk forbids flr"* ]]
expect vf-from-dump-honours-quirk $? "rc=$rc $out $(cat "$work/stderr")"

# --- --all: the longest wait's domain first, the rest chosen in its wait ----
# (tree.py --conv: 03:01.0 behind the PCIe-to-PCI bridge, bus reset 1.1 s)
for jobs in 0 1; do
	rm -rf "$work/root"; python3 "$here/tree.py" --conv "$work/root"
	j=; [ $jobs = 1 ] && j="--jobs 1"
	kd reset --all --json $j
	python3 - "$work/stdout" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
res, s = d["results"], d["summary"]
# reported in address order, every one reset once
assert [r["address"] for r in res] == ["0000:01:00.0", "0000:02:00.0",
                                       "0000:03:01.0"], res
assert all(r["status"] == "ok" for r in res), res
assert s["requested"] == 3 and s["ok"] == 3, s
# the conventional bus's domain started first; the others were chosen
# while it ran, after it began
lead = next(r for r in res if r["address"] == "0000:03:01.0")
assert all(lead["began_ms"] <= r["began_ms"] for r in res), res
assert s["choose_rest_ms"] > 0, s
EOF2
	expect all-chooses-rest-in-longest-wait-jobs$jobs $? "rc=$rc $(head -c 600 "$work/stdout") $err"
done
# no function can be expected to wait longer than a bus reset below a
# conventional bridge: the scan stops at 03:01.0, which is chosen before
# the functions listed after it (10:00.x, --many 8) are even read
if command -v strace >/dev/null; then
	rm -rf "$work/root"; python3 "$here/tree.py" --many 8 --conv "$work/root"
	# LeakSanitizer cannot run under ptrace
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=openat,openat2 \
		-o "$work/strace" "$KDSAFE" --sysroot "$work/root" reset --all \
		>"$work/stdout" 2>&1
	rc=$?
	# its first sysfs read, the whole identify that chose it, comes
	# before its domain can start, after the scan stopped
	lead=$(grep -n '0000:03:01.0/reset_method' "$work/strace" | head -1 | cut -d: -f1)
	later=$(grep -n '0000:10:00.0/config' "$work/strace" | head -1 | cut -d: -f1)
	# and the root bus's functions (no bus reset there) after it too
	rootbus=$(grep -n '0000:00:1f.0/config' "$work/strace" | head -1 | cut -d: -f1)
	[ $rc = 0 ] && [ -n "$lead" ] && [ -n "$later" ] && [ "$lead" -lt "$later" ] &&
		[ -n "$rootbus" ] && [ "$lead" -lt "$rootbus" ] &&
		grep -q "summary: 11 requested, 11 ok" "$work/stdout"
	expect all-scan-stops-at-the-longest-wait $? "rc=$rc lead=$lead later=$later rootbus=$rootbus $(tail -2 "$work/stdout")"
else
	echo "SKIP all-scan-stops-at-the-longest-wait: no strace"
fi
# every candidate read before the scan stopped is in the first domain:
# what is not read yet (10:00.x) is still chosen while it waits
rm -rf "$work/root"; python3 "$here/tree.py" --many 2 --quiet --conv "$work/root"
kd reset --all --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["summary"]; assert [r["address"] for r in d["results"]] == ["0000:03:01.0", "0000:10:00.0", "0000:10:00.1"] and s["ok"] == 3 and s["choose_rest_ms"] > 0, d' \
	"$work/stdout"
expect all-rest-unread-chosen-in-wait $? "rc=$rc $(head -c 600 "$work/stdout") $err"
# a dry run waits for nothing: everything is chosen before the plan
rm -rf "$work/root"; python3 "$here/tree.py" --conv "$work/root"
kd reset --all --json --dry-run
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["summary"]; assert s["requested"] == 3 and s["planned"] == 3 and s["choose_rest_ms"] == 0, s' \
	"$work/stdout"
expect all-dry-run-chooses-first $? "rc=$rc $(head -c 600 "$work/stdout") $err"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
