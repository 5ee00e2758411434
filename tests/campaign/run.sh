#!/usr/bin/env bash
# kdsafe test CLI tests (make check-campaign): a whole campaign on the fake
# tree of tests/cli/reset/tree.py with the test build's injected actions
# (KDSAFE_TEST_ACTIONS records kexec and the crash, KDSAFE_TEST_LOADER
# binds, fails, or kills kdsafe mid-load), then kdsafe whitelist over the
# journal.  Nothing is kexec'd, crashed or loaded.
set -u
: "${KDSAFE:?path to the kdsafe test binary}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kdsafe-campaign.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "PASS $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; printf '     %s\n' "$@"; }
check() { # NAME CONDITION-COMMAND...
	local name=$1; shift
	if "$@"; then ok "$name"; else bad "$name" "$*"; fi
}

root=$work/root res=$work/results
python3 "$here/../cli/reset/tree.py" "$root"
mkdir -p "$root/sys/kernel" "$root/etc" "$root/proc"
echo 0123456789abcdef > "$root/etc/machine-id"
cat > "$root/behaviour" <<B
0000:01:00.1 dies
0000:00:1f.0 flaky
B
export KDSAFE_TEST_ACTIONS=$work/actions KDSAFE_TEST_LOADER=$here/loader.sh
K() { "$KDSAFE" "$@" --sysroot "$root"; }

# plan: e1000e 01:00.1 (dies unless the kernel reset it), smbus 00:1f.0
# (flaky), nvme 02:00.0 (the results device; no module: always fails); no
# kernel:bus for 01:00.x, which shares its bus (pci_parent_bus_reset())
K test plan --results "$res" --repeat 2 --target 02:00.0 01:00.1 00:1f.0 \
	02:00.0 > "$work/plan.out" 2>&1
check plan-exit [ $? -eq 0 ]
check plan-cycles grep -q "3 devices, 16 cycles (repeat 2)" "$work/plan.out"
check plan-target grep -q "results device 0000:02:00.0: loads first" \
	"$work/plan.out"
check plan-cycle-groups grep -q "cycle 4: flr (repeat 1), 2 devices" \
	"$work/plan.out"
K test plan --results "$res" --repeat 0 > /dev/null 2>&1
check plan-bad-repeat [ $? -eq 2 ]

K test status --results "$res" > "$work/status.out" 2>&1
check status-fresh grep -q "cycles: 0 done, 16 left of 16" "$work/status.out"

# next refuses without crash memory, records nothing
K test next --results "$res" --kernel vmlinuz --initrd initrd --crash \
	> "$work/next.out" 2>&1
check next-refuses [ $? -eq 4 ]
check next-refuses-why grep -q "no crash kernel can be loaded" "$work/next.out"
check next-refuses-no-kexec [ ! -e "$work/actions" ]
check next-refuses-no-intent [ ! -s "$res/journal.jsonl" ]
# a FIFO in its place is refused at once, never waited on
mkfifo "$root/sys/kernel/kexec_crash_size"
timeout 10 "$KDSAFE" test next --results "$res" --kernel vmlinuz --initrd initrd \
	--sysroot "$root" > "$work/next-fifo.out" 2>&1
check next-fifo-refused [ $? -eq 4 ]
rm "$root/sys/kernel/kexec_crash_size"
echo 268435456 > "$root/sys/kernel/kexec_crash_size"

# the campaign: next + step for every cycle; 02:00.0 dies when unreset
for c in $(seq 1 16); do
	K test next --results "$res" --kernel vmlinuz --initrd initrd \
		--append "irqpoll" --crash > /dev/null 2>&1 || bad "next-$c"
	echo "ro kdsafe.step=$res:$c" > "$root/proc/cmdline"
	K test step --lava --health-timeout 1 > "$work/step-$c.out" 2>&1
done
check next-kexec grep -q "^run kexec -p vmlinuz --initrd=initrd --append=irqpoll kdsafe.step=$res:1$" "$work/actions"
check next-crash [ "$(grep -c '^crash$' "$work/actions")" -eq 16 ]
check step-lava grep -q "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=0000_02_00.0_none_r1 RESULT=fail>" "$work/step-1.out"
check step-died-no-summary [ "$(grep -c '^cycle' "$work/step-1.out")" -eq 0 ]
check step-kernel-summary grep -q "^cycle 6: 2 devices, 1 passed, 1 failed, 0 recovered" "$work/step-6.out"
check step-recovered grep -q '"cycle":1,.*"address":"0000:01:00.1".*"outcome":"died-loading".*"recovered":true' "$res/journal.jsonl"
check step-load-intent grep -q '"note":"loading e1000e for 0000:01:00.1"' "$res/journal.jsonl"
K test next --results "$res" --kernel vmlinuz --initrd initrd \
	> "$work/next-last.out" 2>&1
check next-finished grep -q "plan finished" "$work/next-last.out"
K test status --results "$res" > "$work/status.out" 2>&1
check status-finished grep -q "plan finished" "$work/status.out"
check status-died grep -q "died-loading" "$work/status.out"
K test status --results "$res" --json > "$work/status.json" 2>&1
check status-json python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['done'] == 16 and d['finished']" "$work/status.json"

# the whitelist over the journal
"$KDSAFE" whitelist --format csv "$res" > "$work/wl.csv" 2>&1
check wl-e1000e grep -q "^8086:10d3,.*,safe-with,kernel," "$work/wl.csv"
check wl-nvme grep -q "^1b36:0010,.*,unsafe," "$work/wl.csv"
check wl-smbus grep -q "^8086:a323,.*,inconsistent," "$work/wl.csv"

# audit on a fresh machine: the binding map before, live devices named after
root=$work/root2
python3 "$here/../cli/reset/tree.py" "$root"
K test audit --results "$res" --before > /dev/null 2>&1
check audit-before [ -s "$res/audit-before.json" ]
K test audit --results "$work/fresh-audit" --before > /dev/null 2>&1
check audit-before-creates-dir [ -s "$work/fresh-audit/audit-before.json" ]
# the kexec'd kernel: no driver bound yet
rm -f "$root"/sys/bus/pci/devices/*/driver
K test audit --results "$res" > "$work/audit.out" 2>&1
check audit-exit [ $? -eq 1 ]
check audit-names grep -q "^0000:01:00.1 e1000e .*live.*bus-master" \
	"$work/audit.out"

rm -f "$root/proc/cmdline"
K test step > "$work/nostep.out" 2>&1
check step-no-arg [ $? -eq 2 ]
K test bogus > /dev/null 2>&1
check bad-subcommand [ $? -eq 2 ]

# health reads go through the access layer: a FIFO, or a link out of the
# sysroot, in place of the NIC's operstate is refused at once (no wait for
# the health timeout, no hang), named, and the device's health fails
for word in fifo escape; do
	root=$work/root-$word res=$work/res-$word
	python3 "$here/../cli/reset/tree.py" "$root"
	mkdir -p "$root/sys/kernel" "$root/etc" "$root/proc"
	echo 0123456789abcdef > "$root/etc/machine-id"
	echo 268435456 > "$root/sys/kernel/kexec_crash_size"
	echo "0000:01:00.1 $word" > "$root/behaviour"
	K test plan --results "$res" 01:00.1 > /dev/null 2>&1
	K test next --results "$res" --kernel vmlinuz --initrd initrd \
		--crash > /dev/null 2>&1
	echo "ro kdsafe.step=$res:1" > "$root/proc/cmdline"
	timeout 10 "$KDSAFE" test step --health-timeout 8 --sysroot "$root" \
		> "$work/health-$word.out" 2>&1
	check "health-$word-fails" [ $? -eq 1 ]
	op="$root/sys/bus/pci/devices/0000:01:00.1/net/eth0/operstate"
	check "health-$word-named" grep -q "^kdsafe: error: $op: refusing it" \
		"$work/health-$word.out"
	check "health-$word-outcome" grep -q \
		"\"outcome\":\"fail\",\"reason\":\"e1000e: $op: refused (.*): health unknown\"" \
		"$res/journal.jsonl"
done

echo "campaign CLI: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
