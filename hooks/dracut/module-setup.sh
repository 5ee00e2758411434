#!/bin/bash
# dracut module "kdsafe" (docs/install.md): kdsafe resets the PCI functions
# a crashed kernel left live, in the kdump initramfs, before udev loads
# drivers.  Only included when asked: kdump-utils' /etc/kdump.conf
# `dracut_args --add kdsafe`, or dracut --add kdsafe.
# shellcheck disable=SC2154 # moddir, dracutsysrootdir: set by dracut

# only with --add kdsafe (255), and only when kdsafe is installed
check() {
	require_binaries @SBINDIR@/kdsafe || return 1
	return 255
}

depends() {
	return 0
}

install() {
	# inst_binary brings the libraries it links (libpci, json-c, inih);
	# libkmod it opens when it looks a module up (probe, snapshot,
	# campaign steps)
	inst_binary @SBINDIR@/kdsafe
	inst_libdir_file "libkmod.so.2"
	inst_dir @LIBDIR@/kdsafe/quirks.d
	inst_dir @SYSCONFDIR@/kdsafe/quirks.d
	inst_multiple -o "$dracutsysrootdir"@LIBDIR@/kdsafe/quirks.d/*.conf \
		"$dracutsysrootdir"@SYSCONFDIR@/kdsafe/quirks.d/*.conf \
		@SYSCONFDIR@/kdsafe/kdsafe.conf
	# pre-udev: before udev loads any driver
	inst_hook pre-udev 10 "$moddir/kdsafe-pre-udev.sh"
}
