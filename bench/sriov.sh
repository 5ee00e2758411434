#!/usr/bin/env bash
# make bench: kdsafe --dump probe (text) of SR-IOV VFs without physfn= (bench/
# gen-dump.py --sriov N), 10,000 and 100,000 of them: ten times the VFs must
# cost at most 12 times the time.  Each VF's PF is found from the PFs'
# SR-IOV capabilities; that search once opened every function before each
# VF (quadratic, probe/sriov.c now builds the map once).
set -euo pipefail
: "${KDSAFE:?path to the kdsafe binary}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kdsafe-sriov.XXXXXX)
trap 'rm -rf "$work"' EXIT
runs=${BENCH_RUNS:-3}
small_n=${SRIOV_SMALL:-10000}
large_n=$((small_n * 10))

# best of N runs of CPU time (user + system, ms)
best_ms() {
	local best=999999999 ms
	for _ in $(seq "$runs"); do
		/usr/bin/time -o "$work/time" -f '%U %S' "$@" >/dev/null 2>&1 || true
		ms=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$work/time")
		(( ms < best )) && best=$ms
	done
	echo "$best"
}

for n in "$small_n" "$large_n"; do
	python3 "$here/gen-dump.py" --sriov "$n" >"$work/$n.dump"
done
# each VF found its PF (the VF Device ID 10ed shows): else this proves nothing
"$KDSAFE" --dump "$work/$small_n.dump" probe --no-modules >"$work/out.txt" || true
grep -q ' 8086:10ed ' "$work/out.txt" ||
	{ echo "sriov benchmark: no VF found its PF" >&2; exit 1; }
small=$(best_ms "$KDSAFE" --dump "$work/$small_n.dump" probe --no-modules)
large=$(best_ms "$KDSAFE" --dump "$work/$large_n.dump" probe --no-modules)
ratio=$(awk -v a="$large" -v b="$small" 'BEGIN { printf "%.1f", (b ? a / b : 0) }')
echo "sriov benchmark: kdsafe --dump probe of VFs without physfn, CPU time, best of $runs runs"
echo "  $small_n VFs:               $small ms"
echo "  $large_n VFs:              $large ms, ratio $ratio (target <= 12)"
awk -v r="$ratio" 'BEGIN { exit !(r <= 12) }' ||
	{ echo "sriov benchmark: ratio $ratio above 12" >&2; exit 1; }
