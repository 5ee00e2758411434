#!/usr/bin/env bash
# make bench: kdsafe probe --json against lspci -vvv on the same 4096-function
# tree, in one invocation, printed as ratios; plus peak RSS and the size of
# what a capture initramfs must carry.  Targets (issue #2): time ratio <= 0.5,
# peak RSS <= 8 MiB, stripped binary + non-libc libraries <= 1 MiB.
set -euo pipefail
: "${KDSAFE:?path to the kdsafe binary}" "${TOOLS:?dir of test tools}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kdsafe-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
runs=${BENCH_RUNS:-5}

python3 "$here/gen-dump.py" > "$work/machine.dump"
"$TOOLS/mkfixture" "$work/machine.dump" "$work/tree" >/dev/null
n=$(ls "$work/tree/sys/bus/pci/devices" | wc -l)

# best of N wall-clock runs, in ms; peak RSS (KiB) of the last run
best_ms() {
	local best=999999999 t0 t1 ms
	for _ in $(seq "$runs"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		t1=$(date +%s%N)
		ms=$(( (t1 - t0) / 1000000 ))
		(( ms < best )) && best=$ms
	done
	echo "$best"
}
rss_kib() {
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}

lspci_cmd=(lspci -A linux-sysfs -O "sysfs.path=$work/tree/sys/bus/pci" -vvv)
kd_cmd=("$KDSAFE" --sysroot "$work/tree" probe --json)
kd_nomod=("$KDSAFE" --sysroot "$work/tree" probe --json --no-modules)

lspci_ms=$(best_ms "${lspci_cmd[@]}")
kd_ms=$(best_ms "${kd_cmd[@]}")
kd_rss=$(rss_kib "${kd_cmd[@]}")
kd_nomod_rss=$(rss_kib "${kd_nomod[@]}")

strip -o "$work/kdsafe.stripped" "$KDSAFE"
bin=$(stat -c %s "$work/kdsafe.stripped")
libs=0 libs_direct=0
while read -r lib; do
	sz=$(stat -L -c %s "$lib")
	libs=$((libs + sz))
	case "$(basename "$lib")" in
	libpci.so*|libkmod.so*|libjson-c.so*|libinih.so*)
		libs_direct=$((libs_direct + sz)) ;;
	esac
done < <(ldd "$KDSAFE" | awk '/=> \// { print $3 }' |
	 grep -v -E '/(libc|ld-linux[^/]*|libm|libpthread)\.so')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b ? a / b : 0) }'; }
kib() { awk -v b="$1" 'BEGIN { printf "%.0f KiB", b / 1024 }'; }
echo "probe benchmark: $n functions, best of $runs runs"
echo "  lspci -vvv:                $lspci_ms ms (baseline)"
echo "  kdsafe probe --json:       $kd_ms ms, ratio $(ratio "$kd_ms" "$lspci_ms") (target <= 0.50)"
echo "  kdsafe peak RSS:           $kd_rss KiB, $(ratio "$kd_rss" 8192) of 8 MiB;" \
     "without module lookup $kd_nomod_rss KiB"
echo "  stripped binary:           $(kib "$bin")"
echo "  + its own libraries:       $(kib $((bin + libs_direct))) (libpci, libkmod, json-c, inih), $(ratio $((bin + libs_direct)) 1048576) of 1 MiB"
echo "  + all non-libc libraries:  $(kib $((bin + libs))) (with libkmod's libcrypto, zstd, lzma; libpci's udev, z)"
