#!/bin/sh
# Fake module loader for the CLI tests (KDSAFE_TEST_LOADER): MODULE ADDRESS
# SYSROOT.  Behaviour per device from $SYSROOT/behaviour ("ADDRESS WORD"):
#   works   bind the driver (a "driver" symlink) and bring a net link up
#   dies    kill kdsafe (the machine dying while the driver loads) unless
#           the kernel's reset ran this cycle (its "reset" file written;
#           emptied here for the next cycle)
#   fails   the load fails
#   flaky   works on odd calls, fails on even ones
#   fifo    binds, but the link's operstate is a FIFO (nothing writes it)
#   escape  binds, but operstate is a link out of the sysroot
set -u
mod=$1 addr=$2 root=$3
dev=$(readlink -f "$root/sys/bus/pci/devices/$addr")
word=$(awk -v a="$addr" '$1 == a { print $2 }' "$root/behaviour")
bind() {
	mkdir -p "$root/sys/bus/pci/drivers/$mod" "$dev/net/eth0"
	echo up > "$dev/net/eth0/operstate"
	ln -sfn "$root/sys/bus/pci/drivers/$mod" "$dev/driver"
}
case "$word" in
works) bind ;;
dies)
	if [ -s "$dev/reset" ]; then : > "$dev/reset"; bind; exit 0; fi
	kill -9 "$PPID"; sleep 5; exit 1 ;;
flaky)
	n=$(cat "$root/flaky.$addr" 2>/dev/null || echo 0)
	n=$((n + 1)); echo "$n" > "$root/flaky.$addr"
	[ $((n % 2)) -eq 1 ] || exit 1
	bind ;;
fifo) bind; rm "$dev/net/eth0/operstate"
	mkfifo "$dev/net/eth0/operstate" ;;
escape) bind; ln -sfn /proc/self/status "$dev/net/eth0/operstate" ;;
*) exit 1 ;;
esac
