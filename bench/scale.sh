#!/usr/bin/env bash
# make bench: kdsafe probe --dump on 10,000 and 100,000 functions (bench/
# gen-dump.py --flat); ten times the functions must cost at most 12 times
# the time (issue #9.7: it was 133 s against 1.2 s, quadratic look-ups).
set -euo pipefail
: "${KDSAFE:?path to the kdsafe binary}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kdsafe-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT
runs=${BENCH_RUNS:-3}

# best of N runs of CPU time (user + system, ms): wall time on a shared
# machine measures the neighbours
best_ms() {
	local best=999999999 ms
	for _ in $(seq "$runs"); do
		/usr/bin/time -o "$work/time" -f '%U %S' "$@" >/dev/null 2>&1 || true
		ms=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$work/time")
		(( ms < best )) && best=$ms
	done
	echo "$best"
}

for n in 10000 100000; do
	python3 "$here/gen-dump.py" --flat "$n" >"$work/$n.dump"
done
small=$(best_ms "$KDSAFE" --dump "$work/10000.dump" probe --json --no-modules)
large=$(best_ms "$KDSAFE" --dump "$work/100000.dump" probe --json --no-modules)
ratio=$(awk -v a="$large" -v b="$small" 'BEGIN { printf "%.1f", (b ? a / b : 0) }')
echo "scale benchmark: kdsafe --dump probe --json, CPU time, best of $runs runs"
echo "  10,000 functions:          $small ms"
echo "  100,000 functions:         $large ms, ratio $ratio (target <= 12)"
awk -v r="$ratio" 'BEGIN { exit !(r <= 12) }' ||
	{ echo "scale benchmark: ratio $ratio above 12" >&2; exit 1; }
