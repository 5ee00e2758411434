#!/bin/sh
# Prints a directory for tests whose quirk scripts must pass kdsafe's
# script checks: it and every directory above it root-owned and not
# group/world-writable (docs/quirks.md, Scripts).  Tries $1 (usually
# build-test/tmp), else a private directory under /run.
ok_chain() {
	d=$1
	while :; do
		set -- $(stat -c '%u %a' "$d") || return 1
		[ "$1" = 0 ] || return 1
		case $2 in *[2367]? | *[2367]) return 1 ;; esac
		[ "$d" = / ] && return 0
		d=$(dirname "$d")
	done
}
want=$1
mkdir -p "$want" 2>/dev/null && chmod 0755 "$want" 2>/dev/null
want=$(cd "$want" 2>/dev/null && pwd -P)
if [ -n "$want" ] && ok_chain "$want"; then
	echo "$want"
	exit 0
fi
mkdir -p /run/kdsafe-test && chmod 0755 /run/kdsafe-test &&
	ok_chain /run/kdsafe-test && echo /run/kdsafe-test && exit 0
echo "safe-tmpdir: no directory without group/world-writable parents" >&2
exit 1
