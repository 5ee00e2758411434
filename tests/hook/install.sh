#!/usr/bin/env bash
# make install / make uninstall into a DESTDIR (mk/production.mk): the
# files land where the GNU directory variables say, the binary's built-in
# quirk directory follows libdir, an edited kdsafe.conf survives both a
# reinstall and uninstall, and uninstall leaves no file of ours.
set -u
: "${MAKE:=make}" "${SRC:?the source tree}"
work=$(mktemp -d /tmp/kdsafe-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
expect() { if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi; }
D=$work/dest
files() { (cd "$D" && find . ! -type d | LC_ALL=C sort); }

# the expected list, from the source tree
{
	echo ./etc/kdsafe/kdsafe.conf
	for f in "$SRC"/docs/man/*.[58]; do
		n=${f##*/}; echo "./usr/local/share/man/man${n##*.}/$n"; done
	for f in "$SRC"/quirks.d/*.conf; do
		echo "./usr/local/lib/kdsafe/quirks.d/${f##*/}"; done
	[ -d "$SRC/hooks/dracut" ] && for f in "$SRC"/hooks/dracut/*; do
		echo "./usr/local/lib/dracut/modules.d/90kdsafe/${f##*/}"; done
	[ -d "$SRC/hooks/initramfs-tools" ] && {
		echo ./usr/local/share/initramfs-tools/hooks/kdsafe
		echo ./usr/local/share/initramfs-tools/scripts/init-top/kdsafe; }
	echo ./usr/local/sbin/kdsafe
	echo ./usr/local/share/bash-completion/completions/kdsafe
} 2>/dev/null | LC_ALL=C sort >"$work/want"

$MAKE -s -C "$SRC" install DESTDIR="$D" >"$work/log" 2>&1
expect install-runs $? "$(tail -n 5 "$work/log")"
files >"$work/got"
diff -u "$work/want" "$work/got" >"$work/diff"
expect install-file-list $? "$(cat "$work/diff")"
[ -x "$D/usr/local/sbin/kdsafe" ] &&
	[ "$(stat -c %a "$D/etc/kdsafe/kdsafe.conf")" = 644 ] &&
	cmp -s "$SRC/config/kdsafe.conf" "$D/etc/kdsafe/kdsafe.conf"
expect install-modes $? "$(ls -l "$D/usr/local/sbin" "$D/etc/kdsafe")"

# it goes into every kdump initramfs, whose tools copy it as it is: no
# debug information by default; INSTALL_STRIP= keeps it (for packagers)
has_debug() { readelf -S "$1" 2>/dev/null | grep -q '\.debug_info'; }
! has_debug "$D/usr/local/sbin/kdsafe"
expect install-strips $? "$(readelf -S "$D/usr/local/sbin/kdsafe" | grep debug)"
$MAKE -s -C "$SRC" install DESTDIR="$work/keep" INSTALL_STRIP= >"$work/log" 2>&1 &&
	has_debug "$work/keep/usr/local/sbin/kdsafe"
expect install-strip-off-keeps-debug $? "$(tail -n 3 "$work/log")"
rm -rf "$work/keep"

# a cross build strips with its own binutils (the host's strip cannot read
# an aarch64 ELF): STRIP follows CC's prefix, or CROSS_COMPILE; a given
# STRIP wins.  make -n: nothing is built or installed.
strip_prog() { $MAKE -s -n -C "$SRC" install DESTDIR="$work/n" "$@" 2>&1 |
	sed -n 's/.*--strip-program=\([^ ]*\) .*/\1/p' | head -n 1; }
s1=$(strip_prog CC=aarch64-linux-gnu-gcc) s2=$(strip_prog CC="ccache /usr/bin/riscv64-linux-gnu-cc")
s3=$(strip_prog CROSS_COMPILE=arm-linux-gnueabihf-) s4=$(strip_prog CC=aarch64-linux-gnu-gcc STRIP=my-strip)
s5=$(strip_prog CC=gcc) s6=$(strip_prog)
[ "$s1" = aarch64-linux-gnu-strip ] && [ "$s2" = riscv64-linux-gnu-strip ] &&
	[ "$s3" = arm-linux-gnueabihf-strip ] && [ "$s4" = my-strip ] &&
	[ "$s5" = strip ] && [ "$s6" = strip ]
expect install-strip-cross $? "got: $s1 $s2 $s3 $s4 $s5 $s6"

# the installed binary reads the quirks where they were installed, below
# its sysroot: $D/usr/local/lib/kdsafe/quirks.d
mkdir -p "$D/sys/bus/pci/devices"
"$D/usr/local/sbin/kdsafe" --sysroot "$D" quirks list >"$work/q" 2>&1
n=$(ls "$SRC"/quirks.d/*.conf | wc -l)
grep -q "usr/local/lib/kdsafe/quirks.d/" "$work/q"
expect quirk-dir-follows-libdir $? "$(head -n 5 "$work/q")"
rm -rf "$D/sys"

# an edited configuration is kept by install and by uninstall
echo "method = pm" >>"$D/etc/kdsafe/kdsafe.conf"
$MAKE -s -C "$SRC" install DESTDIR="$D" >"$work/log" 2>&1
grep -q "^method = pm" "$D/etc/kdsafe/kdsafe.conf"
expect install-keeps-edited-conf $? "$(tail -n 3 "$D/etc/kdsafe/kdsafe.conf")"
$MAKE -s -C "$SRC" uninstall DESTDIR="$D" >"$work/log" 2>&1
expect uninstall-runs $? "$(tail -n 5 "$work/log")"
[ "$(files)" = "./etc/kdsafe/kdsafe.conf" ]
expect uninstall-keeps-edited-conf $? "$(files)"
rm "$D/etc/kdsafe/kdsafe.conf"
$MAKE -s -C "$SRC" install DESTDIR="$D" >"$work/log" 2>&1
$MAKE -s -C "$SRC" uninstall DESTDIR="$D" >"$work/log" 2>&1
[ -z "$(files)" ] && [ ! -e "$D/etc/kdsafe" ] && [ ! -e "$D/usr/local/lib/kdsafe" ]
expect uninstall-leaves-nothing $? "$(files; find "$D" -path '*kdsafe*')"

echo "install: $passed passed, $failed failed"
[ "$failed" = 0 ]
