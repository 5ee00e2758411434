#!/usr/bin/env bash
# kdsafe CLI tests (make check-cli), kmod/util-linux style: every fixture
# machine (tests/fixtures/*.dump) is built into a fresh tree with mkfixture,
# the real binary runs on it, and its output is diffed with tests/cli/expected/
# (stdout, then "--- stderr" and "--- exit N"; the temporary directory shows
# as @WORK@).  KDSAFE_UPDATE_EXPECTED=1 rewrites the expected files: review
# them with git diff.  Also: lspci as an oracle (oracle.py), bad input, exit
# codes, the operation lists of reset --dry-run, and that neither probe nor
# a dry run writes to the tree.
set -u
: "${KDSAFE:?path to the kdsafe test binary}" "${TOOLS:?dir of built tools}"
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$(cd "$here/../fixtures" && pwd)
expected=$here/expected
known=$here/oracle-known.txt
update=${KDSAFE_UPDATE_EXPECTED:-0}
work=$(mktemp -d /tmp/kdsafe-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/out" "$expected"
passed=0 failed=0 xfailed=0

# Tests that fail because of a known kdsafe bug, " name name ": they count
# as XFAIL until fixed, then as a failure (XPASS) until removed from here.
KNOWN_BUGS=" "

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() {
	local name=$1; shift
	if [[ $KNOWN_BUGS == *" $name "* ]]; then
		xfailed=$((xfailed + 1)); echo "XFAIL $name (known bug)"
	else
		failed=$((failed + 1)); echo "FAIL $name"
	fi
	[ $# -gt 0 ] && printf '     %s\n' "$@"
	return 0
}
ok() { # NAME: pass, unless NAME is a known bug that now works
	if [[ $KNOWN_BUGS == *" $1 "* ]]; then
		failed=$((failed + 1)); echo "FAIL $1: XPASS, remove it from KNOWN_BUGS"
	else
		pass "$1"
	fi
}

# run NAME CMD...: runs CMD into $work/out/NAME; sets $rc.  Paths and the
# version are replaced by @WORK@, @FIXTURES@, @VERSION@; with sort_err=1 the
# stderr lines are sorted (readdir order is the file system's).
run() {
	local out=$work/out/$1; shift
	"$@" >"$out.stdout" 2>"$out.stderr"
	rc=$?
	{
		cat "$out.stdout"
		if [ -s "$out.stderr" ]; then
			echo "--- stderr"
			if [ "${sort_err:-0}" = 1 ]; then LC_ALL=C sort "$out.stderr"
			else cat "$out.stderr"; fi
		fi
		echo "--- exit $rc"
	} | sed -e "s|$work|@WORK@|g" -e "s|$fixtures|@FIXTURES@|g" \
		-e 's|"kdsafe [0-9][^"]*"|"kdsafe @VERSION@"|' >"$out"
}

# expect NAME [EXIT]: the last run's output equals expected/NAME, its exit
# status is EXIT (when given), and no sanitizer spoke.
expect() {
	local name=$1 want=${2:-} got=$work/out/$1
	if grep -qE 'Sanitizer|runtime error:' "$got"; then
		fail "$name" "sanitizer report:" "$(grep -m3 -E 'Sanitizer|runtime error:' "$got")"
		return
	fi
	if [ -n "$want" ] && [ "$rc" != "$want" ]; then
		fail "$name" "exit $rc, want $want"
		return
	fi
	if [ "$update" = 1 ]; then
		cp "$got" "$expected/$name"
	fi
	if diff -u "$expected/$name" "$got" >"$work/diff" 2>&1; then
		ok "$name"
	else
		fail "$name" "output differs from tests/cli/expected/$name:"
		sed 's/^/     /' "$work/diff" | head -n 60
	fi
}

# tree_sum DIR: every entry's type, mode, link target and file checksum
tree_sum() {
	(cd "$1" && find . -printf '%y %m %p -> %l\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 sha256sum)
}

# check NAME COND...: pass when the command COND... succeeds
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else fail "$name" "failed: $*"; fi
}

has() { grep -qF -- "$2" "$work/out/$1"; }
# in_fixtures CMD...: CMD run from tests/fixtures (short paths in messages)
in_fixtures() { (cd "$fixtures" && "$@"); }

# ---- every fixture machine ----------------------------------------------
for dump in "$fixtures"/*.dump; do
	name=$(basename "$dump" .dump)
	[[ $name == malformed* ]] && continue
	tree=$work/$name
	run "$name.mkfixture" "$TOOLS/mkfixture" "$dump" "$tree"
	expect "$name.mkfixture" 0
	[ -d "$tree/sys/bus/pci/devices" ] || continue
	before=$(tree_sum "$tree")

	run "$name.probe" "$KDSAFE" --sysroot "$tree" probe
	expect "$name.probe" 0
	run "$name.probe-v" "$KDSAFE" --sysroot "$tree" probe -v
	expect "$name.probe-v" 0
	run "$name.probe-json" "$KDSAFE" --sysroot "$tree" probe --json
	expect "$name.probe-json" 0
	cp "$work/out/$name.probe-json.stdout" "$work/$name.json"
	# a dump carries no module index: --no-modules keeps it hermetic
	run "$name.dump-probe-v" in_fixtures "$KDSAFE" --dump "$name.dump" \
		probe -v --no-modules
	expect "$name.dump-probe-v" 0

	# the dump backend and the tree built from the same dump agree
	"$KDSAFE" --sysroot "$tree" probe --json --no-modules 2>&1 |
		grep -v '"source"' >"$work/a.json"
	"$KDSAFE" --dump - probe --json --no-modules <"$dump" 2>&1 |
		grep -v '"source"' >"$work/b.json"
	check "$name.dump-equals-tree" diff -u "$work/a.json" "$work/b.json"

	# lspci reads the same tree: it must list every function and agree
	if lspci -A linux-sysfs -O "sysfs.path=$tree/sys/bus/pci" -D -PP -nn -vvv \
		>"$work/$name.lspci" 2>"$work/lspci.err"; then
		check "$name.oracle-lspci" python3 "$here/oracle.py" "$name" \
			"$work/$name.lspci" "$work/$name.json" "$known" "$tree"
	else
		fail "$name.oracle-lspci" "lspci failed on the tree:" \
			"$(head -n 3 "$work/lspci.err")"
	fi

	# the operations a reset of every dirty function would perform, in order
	run "$name.reset-dry-run" "$KDSAFE" --sysroot "$tree" reset --dry-run --all
	expect "$name.reset-dry-run"

	check "$name.probe-never-writes" [ "$before" = "$(tree_sum "$tree")" ]
done

# ---- selection and exit codes (on the desktop tree) ----------------------
tree=$work/desktop
run select-id "$KDSAFE" --sysroot "$tree" probe 144d: 01:00.0
expect select-id 0
run select-none "$KDSAFE" --sysroot "$tree" probe 09:00.0
expect select-none 3
run select-bad "$KDSAFE" --sysroot "$tree" probe zzzz
expect select-bad 2
run fail-dirty "$KDSAFE" --sysroot "$tree" probe --fail-dirty
check fail-dirty [ "$rc" = 1 ]
run fail-dirty-clean "$KDSAFE" --sysroot "$tree" probe --fail-dirty 01:00.0
check fail-dirty-clean [ "$rc" = 0 ]
run usage-both "$KDSAFE" --sysroot "$tree" --dump "$fixtures/desktop.dump" probe
expect usage-both 2
run usage-option "$KDSAFE" --sysroot "$tree" probe --bogus
check usage-option [ "$rc" = 2 ]
run usage-command "$KDSAFE" --sysroot "$tree" bogus
expect usage-command 2
run usage-none "$KDSAFE"
check usage-none [ "$rc" = 2 ]
run mkfixture-usage "$TOOLS/mkfixture"
check mkfixture-usage [ "$rc" = 2 ]
run help "$KDSAFE" probe --help
check help [ "$rc" = 0 ]
check help-exit-codes has help "4 no device tree"

# without a usable libkmod.so.2 (here one the loader rejects) probe still
# answers, its module lookup off, and the warning says what the loader said
mkdir -p "$work/badkmod"
echo "not a library" >"$work/badkmod/libkmod.so.2"
run no-libkmod env LD_LIBRARY_PATH="$work/badkmod" "$KDSAFE" \
	--sysroot "$tree" probe --json 00:17.0
check no-libkmod-exit [ "$rc" = 0 ]
check no-libkmod-no-modules has no-libkmod '"modules": [ ]'
check no-libkmod-why has no-libkmod \
	"cannot open libkmod.so.2: @WORK@/badkmod/libkmod.so.2: "

# ---- bad input ------------------------------------------------------------
run malformed-dump in_fixtures "$KDSAFE" --dump malformed.dump probe
expect malformed-dump 3
run malformed-dump-json in_fixtures "$KDSAFE" --dump malformed.dump probe \
	--json --no-modules
expect malformed-dump-json 3
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
	"$work/out/malformed-dump-json.stdout" 2>/dev/null
check malformed-dump-json-parses [ $? = 0 ]

run malformed-mkfixture in_fixtures "$TOOLS/mkfixture" malformed.dump \
	"$work/malformed"
expect malformed-mkfixture 1
run malformed-tree "$KDSAFE" --sysroot "$work/malformed" probe
expect malformed-tree 0

# annotations mkfixture must refuse: errors, the rest built, nothing
# written outside OUTDIR
mkdir "$work/ma"
run malformed-annotations in_fixtures "$TOOLS/mkfixture" \
	malformed-annotations.dump "$work/ma/out"
expect malformed-annotations 1
check malformed-annotations-confined [ "$(ls -A "$work/ma")" = out ]
run malformed-annotations-tree "$KDSAFE" --sysroot "$work/ma/out" probe -v
expect malformed-annotations-tree 0

run missing-sysroot "$KDSAFE" --sysroot "$work/nonexistent" probe
expect missing-sysroot 4
run missing-sysroot-json "$KDSAFE" --sysroot "$work/nonexistent" probe --json
expect missing-sysroot-json 4
mkdir "$work/empty"
run sysroot-without-sys "$KDSAFE" --sysroot "$work/empty" probe
expect sysroot-without-sys 4
run sysroot-is-a-file "$KDSAFE" --sysroot "$fixtures/desktop.dump" probe
expect sysroot-is-a-file 4
mkdir -p "$work/pci-file/sys/bus" && : >"$work/pci-file/sys/bus/pci"
run sysfs-pci-is-a-file "$KDSAFE" --sysroot "$work/pci-file" probe
expect sysfs-pci-is-a-file 4
run missing-dump "$KDSAFE" --dump "$work/nonexistent.dump" probe
expect missing-dump 4
run dump-is-a-directory "$KDSAFE" --dump "$work/empty" probe
expect dump-is-a-directory 4
run empty-dump "$KDSAFE" --dump /dev/null probe
expect empty-dump 0
mkdir -p "$work/empty-tree/sys/bus/pci/devices"
run empty-tree "$KDSAFE" --sysroot "$work/empty-tree" probe
expect empty-tree 0

# a broken copy of the desktop tree: unreadable configs, odd entries
bad=$work/broken
"$TOOLS/mkfixture" "$fixtures/desktop.dump" "$bad" 2>/dev/null
devs=$bad/sys/bus/pci/devices
rm "$devs/0000:01:00.0/config" && mkdir "$devs/0000:01:00.0/config"
rm "$devs/0000:02:00.0/config" && ln -s nowhere "$devs/0000:02:00.0/config"
: >"$devs/0000:00:1f.4/config"
mkdir "$devs/garbage"
touch "$devs/00:1f.4" "$devs/0000:00:1F.4" "$devs/0000:00:1f.8" \
	"$devs/0000:00:1f"
before=$(tree_sum "$bad")
sort_err=1 run broken-tree "$KDSAFE" --sysroot "$bad" probe
expect broken-tree 3
# JSON: the functions and the (sorted) errors array, one per line
summary='import json, sys
d = json.load(sys.stdin)
for f in d["functions"]: print(f["address"], f["verdict"])
for e in sorted(d["errors"], key=lambda e: e["message"]): print(e)'
json_summary() { "$@" 2>/dev/null | python3 -c "$summary"; return "${PIPESTATUS[0]}"; }
run broken-tree-json json_summary "$KDSAFE" --sysroot "$bad" probe --json
expect broken-tree-json 3
check broken-tree-never-writes [ "$before" = "$(tree_sum "$bad")" ]

check hardening timeout 600 "$here/hardening/run.sh" # lock, signals, quirks fail closed
check quirk-scripts "$here/scripts/run.sh" # run steps, tests/cli/scripts

# nothing above made a sanitizer speak (the test binary aborts when one does)
reports=
for f in "$work"/out/*; do
	n=$(basename "$f"); n=${n%.stdout}; n=${n%.stderr}
	[[ $KNOWN_BUGS == *" $n "* ]] && continue
	grep -qE 'Sanitizer|runtime error:' "$f" && reports+=" $n"
done
check no-sanitizer-reports [ -z "$reports" ]

if [ "$xfailed" -gt 0 ]; then
	echo "$xfailed known bugs (XFAIL)"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
