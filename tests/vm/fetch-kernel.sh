#!/bin/bash
# Fetch the Debian kernel that linux-image-amd64 depends on and unpack it into a cache dir.
# Usage: fetch-kernel.sh CACHE   -> prints the unpacked tree (CACHE/kernel/<pkg>) on stdout.
# The tree holds boot/vmlinuz-<kver> and lib/modules/<kver> with a modules.dep made by depmod.
set -euo pipefail
cache=${1:?usage: fetch-kernel.sh CACHE}
die() { echo "fetch-kernel: $*" >&2; exit 1; }

resolve() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
pkg=$(resolve || true)
if [ -z "$pkg" ]; then
	# A fresh machine has no package lists yet (lab: 'apt-get update' once first).
	apt-get update -qq >&2 || die "apt-get update failed"
	pkg=$(resolve || true)
fi
[ -n "$pkg" ] || die "cannot resolve the image package of linux-image-amd64 (apt-cache depends)"

tree=$cache/kernel/$pkg
if [ ! -e "$tree/.done" ]; then
	rm -rf "$tree" "$cache/dl"
	mkdir -p "$tree" "$cache/dl"
	(cd "$cache/dl" && apt-get download -q "$pkg" >&2) || die "apt-get download $pkg failed"
	dpkg -x "$cache"/dl/"$pkg"_*.deb "$tree" || die "dpkg -x failed"
	kver=$(ls "$tree/lib/modules")
	depmod -b "$tree" "$kver" || die "depmod failed"   # the package ships no modules.dep
	rm -rf "$cache/dl"
	touch "$tree/.done"
fi
echo "$tree"
