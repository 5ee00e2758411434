#!/bin/bash
# Build the guest initramfs.  Usage: mkinitramfs.sh KERNEL_TREE KDSAFE_BIN OUTDIR
# OUTDIR/inner.cpio.gz : busybox, kexec, lspci/setpci, kdsafe, their libs, modules, guest scripts.
#                        Serves the capture kernel and the kexec'd kernel.
# OUTDIR/initrd.cpio.gz: inner + /boot/{vmlinuz,initrd.img}, for the first kernel: `kexec -p` needs
#                        the kernel and an initramfs inside its own initramfs (lab notes, Plumbing).
# KDSAFE_BIN may be "none" (development only: run.py --no-kdsafe).
set -euo pipefail
tree=$1 kdsafe=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "mkinitramfs: $*" >&2; exit 1; }
kver=$(ls "$tree/lib/modules")
modules="virtio_pci virtio_net virtio_blk e1000e nvme ahci sd_mod e1000 8139cp xhci-pci usbhid hid-generic
	usb-storage snd-hda-codec-generic snd-hda-intel ext4 crc32c_generic"

st=$out/stage
rm -rf "$st" && mkdir -p "$st"/{bin,sbin,usr/bin,dev,proc,sys,tmp,lib/kdsafe-vm,boot}

copy_bin() {  # copy an executable and every shared library ldd names
	local src=$1 dst=$2
	install -D -m755 "$src" "$st$dst"
	ldd "$src" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$st$lib" ] || install -D -m755 "$(readlink -f "$lib")" "$st$lib"
	done || true
}
bb=$(command -v busybox) || die "no busybox: install busybox-static"
case "$(ldd "$bb" 2>&1)" in *'not a dynamic'*) ;; *) die "$bb is not static: install busybox-static" ;; esac
install -m755 "$bb" "$st/bin/busybox"
for t in kexec lspci setpci; do
	p=$(command -v $t) || die "$t not found (packages kexec-tools, pciutils)"
	copy_bin "$p" /usr/bin/$t
done
if [ "$kdsafe" != none ]; then
	[ -x "$kdsafe" ] || die "$kdsafe missing: build it first (make)"
	copy_bin "$kdsafe" /usr/bin/kdsafe
	# the shipped quirk database, where this binary looks for it: its built-in
	# directory follows the build's libdir (PREFIX=/usr/local by default, so a
	# fixed /usr/lib left a plain `make` build without quirks); root-owned
	# through cpio -R 0:0, as the loader requires
	qdir=$("$kdsafe" quirks --help | sed -n 's|.*after \(/[^ ]*/quirks\.d\) and.*|\1|p')
	[ -n "$qdir" ] || die "$kdsafe quirks --help names no built-in quirks directory"
	install -d -m755 "$st$qdir"
	install -m644 "$here"/../../quirks.d/*.conf "$st$qdir/"
fi

# Modules and everything modules.dep says they need, then a modules.dep for the staged set.
md=lib/modules/$kver
deps=$(for m in $modules; do
	line=$(grep -E "(^|/)$m\.ko(\.[a-z]+)?:" "$tree/$md/modules.dep") || die "module $m not in modules.dep"
	echo "$line" | tr -d ':' | tr ' ' '\n'
done | sort -u)
for f in $deps; do install -D -m644 "$tree/$md/$f" "$st/$md/$f"; done
cp "$tree/$md"/modules.{builtin,builtin.modinfo,order} "$st/$md/"
depmod -b "$st" "$kver"

install -m755 "$here/guest/init" "$st/init"
install -m644 "$here"/guest/*.sh "$st/lib/kdsafe-vm/"

(cd "$st" && find . | LC_ALL=C sort | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 > "$out/inner.cpio.gz"
boot=$out/boot-stage
rm -rf "$boot" && mkdir -p "$boot/boot"
cp "$tree/boot/vmlinuz-$kver" "$boot/boot/vmlinuz"
cp "$out/inner.cpio.gz" "$boot/boot/initrd.img"
# The kernel unpacks concatenated cpio archives in order.
(cd "$boot" && find . | LC_ALL=C sort | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 |
	cat "$out/inner.cpio.gz" - > "$out/initrd.cpio.gz"
cp "$tree/boot/vmlinuz-$kver" "$out/vmlinuz"
rm -rf "$st" "$boot"
