#!/bin/bash
# Build kdump capture initramfs images the way users do (issue #11): Debian 12's mkinitramfs
# (initramfs-tools, as kdump-tools runs it) and dracut (dracut-core) for the lab's kernel, in a
# `debootstrap --variant=minbase bookworm` chroot cached under the lab cache, with kdsafe put in
# by `make install B=build-distro DESTDIR=ROOT PREFIX=/usr` (build/ stays the lab's).
# Each image also carries the lab's dump stand-in (distro/standin.sh), and the same images
# without kdsafe are built once (cached) to measure the bytes kdsafe adds.
# Usage: distro-initrd.sh KERNEL_TREE CACHE OUTDIR
# Writes OUTDIR/{itools,dracut}.img, OUTDIR/sizes (GEN BYTES_WITH BYTES_WITHOUT) and the image
# listings; prints the seconds each step took.
# Needs debootstrap and Debian's apt mirror the first time; root (chroot).
set -euo pipefail
tree=$1 cache=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
die() { echo "distro-initrd: $*" >&2; exit 1; }
kver=$(ls "$tree/lib/modules")
root=$cache/distro/root
t() { local what=$1 t0=$(date +%s); shift; "$@"; echo "distro-initrd: $what $(( $(date +%s) - t0 ))s" >&2; }
# the mirror this host's apt uses (CI's may not be deb.debian.org)
mirror() {
	local u
	u=$(sed -n 's/^URIs: *\(\S*debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
	[ -n "$u" ] || u=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
	echo "${u:-http://deb.debian.org/debian}"
}
if [ ! -e "$root/.done" ]; then
	command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install debootstrap"
	rm -rf "$root"
	t debootstrap debootstrap --variant=minbase \
		--include=initramfs-tools,dracut-core,busybox,cpio,libpci3,libkmod2,libjson-c5,libinih1 \
		bookworm "$root" "$(mirror)" >/dev/null
	touch "$root/.done"
fi
rm -rf "$root/lib/modules/$kver"
mkdir -p "$root/lib/modules" && cp -a "$tree/lib/modules/$kver" "$root/lib/modules/"
cp "$tree/boot/config-$kver" "$root/boot/"
mkdir -p "$out"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
trap 'umount "$root/proc"' EXIT

# kdump-tools' way (shared/kdump-integration.md): a copy of /etc/initramfs-tools as
# /var/lib/kdump/initramfs-tools, mkinitramfs -d; MODULES=most (dep would read this host)
kd=/var/lib/kdump/initramfs-tools
rm -rf "$root$kd" && mkdir -p "$root/var/lib/kdump"
cp -a "$root/etc/initramfs-tools" "$root$kd"
sed -i 's/^MODULES=.*/MODULES=most/' "$root$kd/initramfs.conf"
# the lab's dump stand-in, for both generators
cat "$here/distro/itools-premount" "$here/distro/standin.sh" > "$root$kd/scripts/init-premount/kdsafe-lab"
chmod 0755 "$root$kd/scripts/init-premount/kdsafe-lab"
lab=$root/usr/lib/dracut/modules.d/99kdsafe-lab
mkdir -p "$lab"
install -m 0755 "$here/distro/dracut/module-setup.sh" "$lab/module-setup.sh"
install -m 0644 "$here/distro/standin.sh" "$lab/kdsafe-lab.sh"

# dracut --add-drivers e1000e, as a kdump initramfs that dumps over that NIC would carry it
# (without its network module dracut has no NIC driver)
mk_itools() { chroot "$root" mkinitramfs -d $kd -o "/boot/$1" "$kver"; }
mk_dracut() { chroot "$root" dracut -q --no-hostonly --add "$2" --add-drivers e1000e --force "/boot/$1" "$kver"; }

# without kdsafe, once per chroot, kernel and stand-in (the bytes kdsafe adds: with - without)
key="$kver $(cat "$here/distro/standin.sh" "$here/distro/itools-premount" \
	"$here/distro/dracut/module-setup.sh" | sha256sum | cut -c1-16)"
if [ "$(cat "$cache/distro/without.key" 2>/dev/null)" != "$key" ]; then
	make -s -C "$src" uninstall DESTDIR="$root" PREFIX=/usr >/dev/null
	t "mkinitramfs without kdsafe" mk_itools kdump-itools-without.img
	t "dracut without kdsafe" mk_dracut kdump-dracut-without.img kdsafe-lab
	echo "$key" > "$cache/distro/without.key"
fi
t "make install" make -s -C "$src" -j2 install B=build-distro DESTDIR="$root" PREFIX=/usr >/dev/null
t mkinitramfs mk_itools kdump-itools.img
t dracut mk_dracut kdump-dracut.img "kdsafe kdsafe-lab"
: > "$out/sizes"
for gen in itools dracut; do
	cp "$root/boot/kdump-$gen.img" "$out/$gen.img"
	echo "$gen $(stat -c %s "$root/boot/kdump-$gen.img") $(stat -c %s "$root/boot/kdump-$gen-without.img")" >> "$out/sizes"
done
# what each image holds, for the host's checks
chroot "$root" lsinitramfs /boot/kdump-itools.img > "$out/itools.list"
chroot "$root" lsinitrd /boot/kdump-dracut.img > "$out/dracut.list" 2>/dev/null
rm -rf "$root/tmp/unp" && chroot "$root" unmkinitramfs /boot/kdump-itools.img /tmp/unp
cp "$root/tmp/unp/scripts/init-top/ORDER" "$out/itools.ORDER" 2>/dev/null ||
	cp "$root/tmp/unp/main/scripts/init-top/ORDER" "$out/itools.ORDER"
