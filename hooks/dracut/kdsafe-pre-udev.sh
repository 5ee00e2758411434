#!/bin/sh
# dracut pre-udev hook (sourced by dracut's init): kdsafe hook in a kdump
# capture kernel, before udev loads drivers; a normal boot returns at once.
# KDSAFE_SYSROOT is for the tests (a fake root); empty in an initramfs.
# shellcheck disable=SC2317 # return: this file is sourced

kdsafe_pre_udev() {
	_root=${KDSAFE_SYSROOT:-}
	_cmdline=$(cat "$_root/proc/cmdline" 2>/dev/null)
	if [ ! -e "$_root/proc/vmcore" ]; then
		case " $_cmdline " in
		*" kdsafe.force=1 "*) ;;
		*) return 0 ;;
		esac
	fi
	case " $_cmdline " in
	*" kdsafe=off "* | *" kdsafe=0 "* | *" kdsafe=no "*) return 0 ;;
	esac
	# never fails the boot: kdsafe hook exits 0 and is bounded in time
	"$_root"@SBINDIR@/kdsafe ${_root:+--sysroot "$_root"} hook || :
}

kdsafe_pre_udev
