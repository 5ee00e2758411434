#!/bin/bash
# Build kdump capture initramfs images the way users do (issue #11): Debian 12's mkinitramfs
# (initramfs-tools, as kdump-tools runs it) and dracut (dracut-core) for the lab's kernel, in a
# `debootstrap --variant=minbase bookworm` chroot cached under the lab cache, with kdsafe put in
# by `make install DESTDIR=ROOT PREFIX=/usr` (its own build directory: build/ stays the lab's).
# Usage: distro-initrd.sh KERNEL_TREE CACHE OUTDIR
# Writes OUTDIR/itools.img and OUTDIR/dracut.img; prints the seconds each step took.
# Needs debootstrap and Debian's apt mirror (deb.debian.org) the first time; root (chroot).
set -euo pipefail
tree=$1 cache=$2 out=$3
src=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "distro-initrd: $*" >&2; exit 1; }
kver=$(ls "$tree/lib/modules")
root=$cache/distro/root
t() { local what=$1 t0=$(date +%s); shift; "$@"; echo "distro-initrd: $what $(( $(date +%s) - t0 ))s" >&2; }
if [ ! -e "$root/.done" ]; then
	command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install debootstrap"
	rm -rf "$root"
	t debootstrap debootstrap --variant=minbase \
		--include=initramfs-tools,dracut-core,busybox,cpio,libpci3,libkmod2,libjson-c5,libinih1 \
		bookworm "$root" http://deb.debian.org/debian >/dev/null
	touch "$root/.done"
fi
rm -rf "$root/lib/modules/$kver"
mkdir -p "$root/lib/modules" && cp -a "$tree/lib/modules/$kver" "$root/lib/modules/"
cp "$tree/boot/config-$kver" "$root/boot/"
t "make install" make -s -C "$src" -j2 install B="$cache/distro/build" DESTDIR="$root" PREFIX=/usr >/dev/null
mkdir -p "$out"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
trap 'umount "$root/proc"' EXIT
# kdump-tools' way (shared/kdump-integration.md): a copy of /etc/initramfs-tools as
# /var/lib/kdump/initramfs-tools, mkinitramfs -d; MODULES=most (dep would read this host)
rm -rf "$root/var/lib/kdump/initramfs-tools" && mkdir -p "$root/var/lib/kdump"
cp -a "$root/etc/initramfs-tools" "$root/var/lib/kdump/initramfs-tools"
sed -i 's/^MODULES=.*/MODULES=most/' "$root/var/lib/kdump/initramfs-tools/initramfs.conf"
t mkinitramfs chroot "$root" mkinitramfs -d /var/lib/kdump/initramfs-tools -o /boot/kdump-itools.img "$kver"
# e1000e, as a kdump initramfs that dumps over that NIC would carry it (dracut has no network
# driver without its network module)
t dracut chroot "$root" dracut -q --no-hostonly --add kdsafe --add-drivers e1000e --force /boot/kdump-dracut.img "$kver"
cp "$root/boot/kdump-itools.img" "$out/itools.img"
cp "$root/boot/kdump-dracut.img" "$out/dracut.img"
# what each image holds, for the host's checks
chroot "$root" lsinitramfs /boot/kdump-itools.img > "$out/itools.list"
chroot "$root" lsinitrd /boot/kdump-dracut.img > "$out/dracut.list" 2>/dev/null
rm -rf "$root/tmp/unp" && chroot "$root" unmkinitramfs /boot/kdump-itools.img /tmp/unp
cp "$root/tmp/unp/scripts/init-top/ORDER" "$out/itools.ORDER" 2>/dev/null ||
	cp "$root/tmp/unp/main/scripts/init-top/ORDER" "$out/itools.ORDER"
