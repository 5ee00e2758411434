#!/bin/bash
# dracut module "kdsafe-lab" of the lab's kdump images: the dump stand-in (standin.sh) as a
# pre-mount hook, after udev has loaded the drivers.  Only with --add kdsafe-lab.
# shellcheck disable=SC2154 # moddir: set by dracut
check() {
	return 255
}

depends() {
	return 0
}

install() {
	inst_multiple busybox
	inst_hook pre-mount 99 "$moddir/kdsafe-lab.sh"
}
