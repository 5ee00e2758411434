#!/usr/bin/env bash
# The initramfs scripts (hooks/) against a fake root, as KDSAFE_SYSROOT,
# with a stub kdsafe that records its calls: without /proc/vmcore nothing
# runs, with it `kdsafe --sysroot ROOT hook` runs once, kdsafe=off (0, no)
# disables, kdsafe.force=1 forces; then with the real kdsafe on the reset
# tree the init-top script resets the dirty functions.  The dracut
# module's check/install against stub dracut functions; shellcheck on
# every script.  Run by make check (mk/production.mk).
set -u
: "${KDSAFE:?path to the kdsafe test binary}"
here=$(cd "$(dirname "$0")" && pwd)
hooks=$(cd "$here/../../hooks" && pwd)
work=$(mktemp -d /tmp/kdsafe-initramfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
expect() { if [ "$2" = 0 ]; then pass "$1"; else fail "$1" "$3"; fi; }

# the scripts as make install writes them (sbindir /usr/sbin)
subst() { sed -e 's|@SBINDIR@|/usr/sbin|g' -e 's|@LIBDIR@|/usr/lib|g' \
	-e 's|@SYSCONFDIR@|/etc|g' "$1" >"$2"; chmod 0755 "$2"; }
subst "$hooks/initramfs-tools/init-top" "$work/init-top"
subst "$hooks/initramfs-tools/hook" "$work/hook"
subst "$hooks/dracut/kdsafe-pre-udev.sh" "$work/pre-udev.sh"
subst "$hooks/dracut/module-setup.sh" "$work/module-setup.sh"

root=$work/root
# fake_root CMDLINE [vmcore]: proc, scripts/functions, a stub kdsafe
fake_root() {
	rm -rf "$root"
	mkdir -p "$root/proc" "$root/scripts" "$root/usr/sbin"
	printf '%s\n' "$1" >"$root/proc/cmdline"
	[ "${2:-}" = vmcore ] && : >"$root/proc/vmcore"
	printf 'log_begin_msg() { echo "begin: $*" >>"%s/log"; }\nlog_end_msg() { echo end >>"%s/log"; }\n' \
		"$root" "$root" >"$root/scripts/functions"
	printf '#!/bin/sh\necho "$*" >>"%s/calls"\nexit 1\n' "$root" >"$root/usr/sbin/kdsafe"
	chmod 0755 "$root/usr/sbin/kdsafe"
}
run_init_top() { KDSAFE_SYSROOT=$root sh "$work/init-top"; }
run_pre_udev() { KDSAFE_SYSROOT=$root sh -c ". '$work/pre-udev.sh'"; }
calls() { cat "$root/calls" 2>/dev/null; }

for s in init_top pre_udev; do
	fake_root "root=/dev/sda1 quiet"
	run_$s
	rc=$?
	[ $rc = 0 ] && [ ! -e "$root/calls" ] && [ ! -e "$root/log" ]
	expect "$s.no-vmcore-runs-nothing" $? "rc=$rc calls=$(calls)"

	fake_root "reset_devices irqpoll" vmcore
	run_$s
	rc=$?
	# the stub fails: the script still exits 0 (never fails the boot)
	[ $rc = 0 ] && [ "$(calls)" = "--sysroot $root hook" ]
	expect "$s.vmcore-calls-hook" $? "rc=$rc calls=$(calls)"

	for off in kdsafe=off kdsafe=0 kdsafe=no; do
		fake_root "reset_devices $off irqpoll" vmcore
		run_$s
		rc=$?
		[ $rc = 0 ] && [ ! -e "$root/calls" ]
		expect "$s.$off-disables" $? "rc=$rc calls=$(calls)"
	done

	fake_root "kdsafe.force=1"
	run_$s
	[ "$(calls)" = "--sysroot $root hook" ]
	expect "$s.force-calls-hook" $? "calls=$(calls)"
done
fake_root "" vmcore
run_init_top
[ "$(head -n 1 "$root/log")" = "begin: kdsafe: resetting PCI functions the crashed kernel left live" ]
expect init-top.logs-through-functions $? "$(cat "$root/log" 2>&1)"

# prereqs: both initramfs-tools scripts answer and exit 0
[ "$(sh "$work/init-top" prereqs)" = "" ] && [ "$(sh "$work/hook" prereqs)" = "" ]
expect initramfs-tools.prereqs $? "prereqs failed"

# what the initramfs-tools hook copies, against stub hook-functions: of
# several libkmod.so.2 in ldconfig's cache (i386 listed first, as
# ldconfig may order them), the one of the ABI of the libc kdsafe links
mkdir -p "$work/bin" "$work/lib32" "$work/lib64"
: >"$work/lib32/libkmod.so.2"
: >"$work/lib64/libkmod.so.2"
tab=$(printf '\t')
cat >"$work/bin/ldconfig" <<EOF
#!/bin/sh
cat <<'LIST'
4 libs found in cache \`/etc/ld.so.cache'
${tab}libkmod.so.2 (libc6) => $work/lib32/libkmod.so.2
${tab}libkmod.so.2 (libc6,x86-64, OS ABI: Linux 3.2.0) => $work/lib64/libkmod.so.2
${tab}libc.so.6 (libc6,x86-64) => $work/lib64/libc.so.6
${tab}libc.so.6 (libc6) => $work/lib32/libc.so.6
LIST
EOF
cat >"$work/bin/ldd" <<EOF
#!/bin/sh
echo "${tab}libc.so.6 => $work/lib64/libc.so.6 (0x00007f0000000000)"
EOF
chmod 0755 "$work/bin/ldconfig" "$work/bin/ldd"
printf 'copy_exec() { echo "copy_exec $*" >>"%s/copied"; }\ncopy_file() { :; }\n' \
	"$work" >"$work/hook-functions"
sed -e "s|/usr/share/initramfs-tools/hook-functions|$work/hook-functions|" \
	"$work/hook" >"$work/hook-stubbed"
CONFDIR=/var/lib/kdump/initramfs-tools PATH="$work/bin:$PATH" sh "$work/hook-stubbed"
rc=$?
[ $rc = 0 ] && grep -qx "copy_exec $work/lib64/libkmod.so.2" "$work/copied" &&
	! grep -q lib32 "$work/copied"
expect initramfs-tools.libkmod-of-kdsafes-abi $? "rc=$rc $(cat "$work/copied" 2>&1)"

# the real kdsafe on the reset tree, through the init-top script
rm -rf "$root"
python3 "$here/../cli/reset/tree.py" "$root"
mkdir -p "$root/proc" "$root/scripts" "$root/usr/sbin"
echo "reset_devices" >"$root/proc/cmdline"
: >"$root/proc/vmcore"
printf 'log_begin_msg() { :; }\nlog_end_msg() { :; }\n' >"$root/scripts/functions"
ln -s "$KDSAFE" "$root/usr/sbin/kdsafe"
run_init_top
rc=$?
[ $rc = 0 ] && grep -q "<5>kdsafe: 0000:01:00.0: ok via" "$root/dev/kmsg"
expect init-top.real-kdsafe-resets $? "rc=$rc $(cat "$root/dev/kmsg")"
: >"$root/dev/kmsg"
echo "reset_devices kdsafe=off" >"$root/proc/cmdline"
run_pre_udev
[ ! -s "$root/dev/kmsg" ]
expect pre-udev.real-kdsafe-off $? "$(cat "$root/dev/kmsg")"

# the dracut module against stub dracut functions
out=$(bash -c '
	require_binaries() { [ "$1" = /usr/sbin/kdsafe ]; }
	inst_binary() { echo "inst_binary $*"; }
	inst_dir() { echo "inst_dir $*"; }
	inst_multiple() { echo "inst_multiple $*"; }
	inst_hook() { echo "inst_hook $*"; }
	inst_libdir_file() { echo "inst_libdir_file $*"; }
	moddir=/mod dracutsysrootdir=
	. "$1"
	check; echo "check $?"
	depends; echo "depends $?"
	install' _ "$work/module-setup.sh")
[[ $out == *"check 255"* ]] && [[ $out == *"depends 0"* ]] &&
	[[ $out == *"inst_binary /usr/sbin/kdsafe"* ]] &&
	[[ $out == *"inst_libdir_file libkmod.so.2"* ]] &&
	[[ $out == *"inst_hook pre-udev 10 /mod/kdsafe-pre-udev.sh"* ]] &&
	[[ $out == *"/etc/kdsafe/kdsafe.conf"* ]] && [[ $out == *"inst_dir /usr/lib/kdsafe/quirks.d"* ]]
expect dracut.module-setup $? "$out"

if command -v shellcheck >/dev/null; then
	shellcheck -s sh "$hooks/dracut/kdsafe-pre-udev.sh" "$hooks/initramfs-tools/hook" \
		"$hooks/initramfs-tools/init-top" >"$work/sc" 2>&1 &&
		shellcheck -s bash "$hooks/dracut/module-setup.sh" >>"$work/sc" 2>&1
	expect shellcheck $? "$(head -n 20 "$work/sc")"
else
	echo "SKIP shellcheck (not installed)"
fi

echo "initramfs: $passed passed, $failed failed"
[ "$failed" = 0 ]
