#!/usr/bin/env bash
# make bench: kdsafe whitelist over 1,000,000 generated records from 1,000
# machines (bench/gen-journals.py), against a baseline that only reads the
# same bytes (cat | wc -l) in the same run.  Targets (issue #10): <= 2 s and
# <= 64 MiB peak RSS.  Reports; does not fail on a missed target.
# BENCH_RECORDS, BENCH_MACHINES override the size (the journals are cached
# in build/bench/ for that size).
set -euo pipefail
: "${KDSAFE:?path to the kdsafe binary}"
here=$(cd "$(dirname "$0")" && pwd)
records=${BENCH_RECORDS:-1000000}
machines=${BENCH_MACHINES:-1000}
data=${BENCH_DIR:-build/bench/journals-$records-$machines}

if [ ! -f "$data/.complete" ] || [ "$here/gen-journals.py" -nt "$data/.complete" ]; then
	rm -rf "$data"
	python3 "$here/gen-journals.py" "$data" "$records" "$machines"
	touch "$data/.complete"
fi
bytes=$(cat "$data"/*.jsonl | wc -c)

# seconds (wall) and peak RSS (KiB) of one run
measure() {
	/usr/bin/time -f '%e %M' -o "$data/.time" "$@" >/dev/null 2>&1 || true
	cat "$data/.time"
}
read -r base_s base_kib < <(measure sh -c "cat '$data'/*.jsonl | wc -l")
read -r kd_s kd_kib < <(measure "$KDSAFE" whitelist --format json "$data")
devices=$("$KDSAFE" whitelist --format csv "$data" 2>/dev/null | tail -n +2 | wc -l)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b ? "ok" : "MISSED") }'; }
echo "whitelist benchmark: $records records from $machines machines," \
     "$((bytes / 1048576)) MiB, $devices device keys"
echo "  cat | wc -l (baseline):   ${base_s} s"
echo "  kdsafe whitelist:         ${kd_s} s, ratio $(ratio "$kd_s" "$base_s")" \
     "to the baseline (target <= 2 s: $(verdict "$kd_s" 2))"
echo "  kdsafe peak RSS:          ${kd_kib} KiB (target <= 65536:" \
     "$(verdict "$kd_kib" 65536))"
