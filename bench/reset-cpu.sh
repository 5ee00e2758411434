#!/usr/bin/env bash
# make bench: the CPU work of a reset run, as the capture kernel pays it
# (issue #11: under TCG every instruction costs ~30x and one vCPU
# serialises the workers).  On tests/cli/reset/tree.py --many 11 (13
# functions to reset): instructions of `reset --all --json` as a ratio to
# `probe --json` of the same tree, counted by valgrind in this invocation;
# and, with strace, the opens of `config` and bytes read from it per reset
# function.  Printed, not asserted.
set -euo pipefail
: "${KDSAFE:?path to the kdsafe binary}"
here=$(cd "$(dirname "$0")" && pwd)
tree_py="$here/../tests/cli/reset/tree.py"
work=$(mktemp -d /tmp/kdsafe-reset-cpu.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! command -v valgrind >/dev/null; then
	echo "reset-cpu: valgrind not installed, skipped"
	exit 0
fi

fresh() { # a new tree each run: a reset changes the fake tree
	rm -rf "$work/tree"
	python3 "$tree_py" --many 11 "$work/tree" >/dev/null
}

# instructions of one run (valgrind --tool=callgrind)
instr() {
	fresh
	valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		"$KDSAFE" --sysroot "$work/tree" "$@" >/dev/null 2>"$work/vg" ||
		true
	sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$work/vg" | tail -n 1
}

reset_i=$(instr reset --all --json)
probe_i=$(instr probe --json)
n=$(fresh; "$KDSAFE" --sysroot "$work/tree" reset --all --json |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"]))')
awk -v r="$reset_i" -v p="$probe_i" -v n="$n" 'BEGIN {
	printf "reset-cpu: reset --all --json %d functions: %d instructions, " \
	       "probe --json %d: reset/probe %.2f\n", n, r, p, r / p }'

if command -v strace >/dev/null; then
	fresh
	strace -f -qq -o "$work/st" -e trace=openat,openat2,pread64,read \
		"$KDSAFE" --sysroot "$work/tree" reset --all --json >/dev/null
	# openat2 twice per checked open (O_PATH look, then the open)
	awk -v n="$n" '
		/config"/ && /openat2?\(/ && !/O_PATH/ && !/= -1/ {
			opens++
			match($0, /= [0-9]+$/)
			fd[$1 " " substr($0, RSTART + 2)] = 1
		}
		/pread64\(/ {
			split($0, a, /[(,]/)
			if (($1 " " a[2] + 0) in fd) {
				match($0, /= [0-9]+$/)
				bytes += substr($0, RSTART + 2)
			}
		}
		END { printf "reset-cpu: config opens %d, bytes read %d, per " \
		      "reset function %.1f opens, %d bytes\n", opens, bytes,
		      opens / n, bytes / n }' "$work/st"
fi
