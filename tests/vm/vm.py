"""The lab machine: a QEMU q35 guest (TCG), its devices, one boot, and the guest's report.

Reports come through the guest's second UART (-serial file:..., guest /dev/ttyS1) in the
protocol of guest/lib.sh: "@@ begin ROLE NAME" ... "@@ end ROLE NAME rc=N" and "@@ ..." markers.
"""
import os
import re
import socket
import subprocess
import time

# Devices under test (live: the capture kernel inherits it running, default True).  addr: where SeaBIOS numbers it on this topology; kernel_rm: the kernel's
# reset_method file; effective: the methods that really reset it (lab notes, "Kernel reset_method").
# To add a device: add a row here, run `make check-vm`, fix addr from the witness section.
DEVICES = [
    dict(name="virtio-net@pcie.0", addr="0000:00:03.0", kernel_rm=None, effective=[],
         qemu="virtio-net-pci,netdev=n1,mac=52:54:00:12:34:01,bus=pcie.0,addr=0x3,romfile="),
    # the kernel lists bus but its reset returns an error since e1000/rtl8139 share the bus
    # (pci_parent_bus_reset: only for a function alone on its bus); kdsafe's bus reset works
    dict(name="virtio-net@pci-bridge", addr="0000:01:01.0", kernel_rm=["bus"], effective=[],
         qemu="virtio-net-pci,netdev=n4,mac=52:54:00:12:34:04,bus=pb,addr=0x1,romfile="),
    dict(name="virtio-net@root-port", addr="0000:02:00.0", kernel_rm=["flr", "pm", "bus"],
         effective=["flr", "bus"], qemu="virtio-net-pci,netdev=n2,mac=52:54:00:12:34:02,bus=rp1,romfile="),
    dict(name="virtio-blk@root-port", addr="0000:03:00.0", kernel_rm=["flr", "pm", "bus"],
         effective=["flr", "bus"], qemu="virtio-blk-pci,drive=vblk,bus=rp2"),
    dict(name="e1000e@root-port", addr="0000:04:00.0", kernel_rm=["pm", "bus"], effective=["bus"],
         qemu="e1000e,netdev=n3,mac=52:54:00:12:34:03,bus=rp3,romfile="),
    dict(name="nvme@root-port", addr="0000:05:00.0", kernel_rm=["flr", "bus"], effective=["flr", "bus"],
         qemu="nvme,drive=nvm,serial=kdsafe0,bus=rp4"),
    # conventional PCI NICs behind the pcie-pci-bridge: only the bridge's bus reset reaches them
    dict(name="e1000@pci-bridge", addr="0000:01:02.0", kernel_rm=None, effective=[],
         qemu="e1000,netdev=n8,mac=52:54:00:12:34:08,bus=pb,addr=0x2,romfile="),
    dict(name="rtl8139@pci-bridge", addr="0000:01:03.0", kernel_rm=None, effective=[],
         qemu="rtl8139,netdev=n9,mac=52:54:00:12:34:09,bus=pb,addr=0x3,romfile="),
    # a PCIe switch behind rp5: x3130 upstream, two hot-plug downstream ports (SWITCH)
    dict(name="virtio-net@switch-dp1", addr="0000:08:00.0", kernel_rm=["flr", "pm", "bus"],
         effective=["flr", "bus"], qemu="virtio-net-pci,netdev=n5,mac=52:54:00:12:34:05,bus=dp1,romfile="),
    dict(name="virtio-net@switch-dp2", addr="0000:09:00.0", kernel_rm=["flr", "pm", "bus"],
         effective=["flr", "bus"], qemu="virtio-net-pci,netdev=n6,mac=52:54:00:12:34:06,bus=dp2,romfile="),
    # qemu-xhci (a USB keyboard and a USB disk on it) behind rp6, a native hot-plug root port
    # live=False: the capture kernel stops it itself at enumeration, before /init (the USB
    # early hand-off quirk, drivers/usb/host/pci-quirks.c quirk_usb_early_handoff): measured
    # R/S 0, HCHalted 1, Bus Master off; kdsafe reset --all then leaves it alone (clean)
    dict(name="xhci@hotplug-rp", addr="0000:0a:00.0", kernel_rm=["bus"], effective=["bus"],
         live=False, qemu="qemu-xhci,id=xhci,bus=rp6"),
    # a multi-function slot behind rp7: ich9-intel-hda (hda-duplex codec) + virtio-net (MULTIFUNCTION)
    # the kernel lists bus for fn 0 but refuses it ("Unsupported reset method 'bus'"); fn 1 has
    # no bus at all (not alone on its bus); kdsafe's bus reset hits both (scope check)
    dict(name="hda@mf-slot.0", addr="0000:0b:00.0", kernel_rm=["bus"], effective=[],
         qemu="ich9-intel-hda,id=hda,bus=rp7,addr=0x0.0,multifunction=on"),
    dict(name="virtio-net@mf-slot.1", addr="0000:0b:00.1", kernel_rm=["flr", "pm"],
         effective=["flr"], qemu="virtio-net-pci,netdev=n7,mac=52:54:00:12:34:07,bus=rp7,addr=0x0.1,romfile="),
    # NVMe with SR-IOV (QEMU 7.2: needs an nvme-subsys) behind rp8; VFs: docs/lab.md
    dict(name="nvme-sriov@root-port", addr="0000:0c:00.0", kernel_rm=["flr", "bus"], effective=["flr", "bus"],
         qemu="nvme,id=nvsr,serial=kdsafe1,subsys=nsub,sriov_max_vfs=2,sriov_vq_flexible=4,"
              "sriov_vi_flexible=2,bus=rp8"),
]
# Bus-reset scope (scenario methods): a bus reset for SWITCH[0] must not touch SWITCH[1]; one for
# MULTIFUNCTION[0] hits (and restores) both functions of the slot.
# bridge: the port whose Secondary Bus Reset kdsafe must use (xio3130 dp1, root port rp7).
SWITCH = dict(devices=("virtio-net@switch-dp1", "virtio-net@switch-dp2"), bridge="0000:07:00.0")
MULTIFUNCTION = dict(devices=("hda@mf-slot.0", "virtio-net@mf-slot.1"), bridge="0000:00:16.0")
# Native hot-plug ports (pciehp binds to all of them, no pcie_ports=native needed) whose slots the
# crash scenario watches around kdsafe's resets: the hot-plug root port and the switch's ports.
HOTPLUG_PORTS = {"rp6": "0000:00:15.0", "dp1": "0000:07:00.0", "dp2": "0000:07:01.0"}
NETS = range(1, 10)     # netdev nN, MAC 52:54:00:12:34:0N, 10.0.N.0/24
E1000E_NET = 3          # netdev n3 / 10.0.3.0/24: the NIC that gets traffic
# first sector of each test disk (usb: the usb-storage disk on the xHCI; nvme2: the SR-IOV PF's)
DISKS = {"vblk": "KDSAFE-VBLK-DISK", "nvme": "KDSAFE-NVME-DISK", "usb": "KDSAFE-USB-DISK-",
         "nvme2": "KDSAFE-NVME2-DSK"}
# Root ports (slot, hot-plug) on pcie.0: rp1-4 as before; rp5 the switch, rp6 hot-plug, rp7 the
# multi-function slot, rp8 the SR-IOV NVMe.  QEMU 7.2 ports are native hot-plug by default
# (hotplug=on); every slot-carrying port needs its own (chassis, slot) pair.
ROOT_PORTS = range(1, 9)


def by_name(name):
    return next(d for d in DEVICES if d["name"] == name)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, workdir, vmlinuz, initrd):
        self.dir, self.vmlinuz, self.initrd = workdir, vmlinuz, initrd
        self.state = os.path.join(workdir, "state.img")
        self.port = free_udp_port()

    def make_disks(self):
        """Fresh test disks and state disk (the state disk then survives every boot of the run)."""
        for name, magic in [("state", "")] + list(DISKS.items()):
            with open(os.path.join(self.dir, name + ".img"), "wb") as f:
                f.write(magic.encode())
                f.truncate(1 << 20 if name == "state" else 16 << 20)

    def qemu_args(self, append, tag, state=None):
        nets = []
        for n in NETS:
            fwd = f",hostfwd=udp:127.0.0.1:{self.port}-10.0.{n}.15:9" if n == E1000E_NET else ""
            nets += ["-netdev", f"user,id=n{n},restrict=on,net=10.0.{n}.0/24{fwd}"]
        ports = []
        for i in ROOT_PORTS:
            ports += ["-device", f"pcie-root-port,id=rp{i},bus=pcie.0,chassis={i},slot={i},"
                                 f"hotplug=on,addr=0x{0x0f + i:x}"]
        ports += ["-device", "x3130-upstream,id=up1,bus=rp5",
                  "-device", "xio3130-downstream,id=dp1,bus=up1,addr=0x0,chassis=20,slot=1,hotplug=on",
                  "-device", "xio3130-downstream,id=dp2,bus=up1,addr=0x1,chassis=20,slot=2,hotplug=on"]
        return [
            "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "1024", "-smp", "2",
            "-nographic", "-no-reboot", "-monitor", "none",
            # Native hotplug on the root ports, else bus reset fails with ENOTTY (lab notes).
            "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
            "-kernel", self.vmlinuz, "-initrd", self.initrd, "-append", append,
            "-serial", f"file:{self.dir}/{tag}.console", "-serial", f"file:{self.dir}/{tag}.report",
            "-drive", f"if=none,id=state,file={state or self.state},format=raw",
            "-device", "ide-hd,drive=state,bus=ide.0",
            "-drive", f"if=none,id=vblk,file={self.dir}/vblk.img,format=raw",
            "-drive", f"if=none,id=nvm,file={self.dir}/nvme.img,format=raw",
            "-drive", f"if=none,id=usb,file={self.dir}/usb.img,format=raw",
            "-drive", f"if=none,id=nvme2,file={self.dir}/nvme2.img,format=raw",
            "-audiodev", "none,id=snd0", "-device", "nvme-subsys,id=nsub",
            *nets, *ports, "-device", "pcie-pci-bridge,id=pb,bus=pcie.0,addr=0x5",
            *[a for d in DEVICES for a in ("-device", d["qemu"])],
            # behind the devices above: USB keyboard and disk, HDA codec, the SR-IOV PF's namespace
            "-device", "usb-kbd,bus=xhci.0", "-device", "usb-storage,drive=usb,bus=xhci.0",
            "-device", "hda-duplex,bus=hda.0,audiodev=snd0",
            "-device", "nvme-ns,drive=nvme2,bus=nvsr,nsid=1",
        ]

    def boot(self, scn, tag, timeout, args="", on_marker=None, state=None):
        """One QEMU run: start, wait for power-off, QEMU abort or timeout; parse the report.
        state: another image as the state disk (the campaign's ext2 results disk)."""
        append = f"console=ttyS0 crashkernel=256M iomem=relaxed panic=-1 kdsafe.scn={scn} {args}"
        rep = f"{self.dir}/{tag}.report"
        for f in (rep, f"{self.dir}/{tag}.console"):
            if os.path.exists(f):
                os.unlink(f)
        t0 = time.monotonic()
        p = subprocess.Popen(self.qemu_args(append.strip(), tag, state), stdin=subprocess.DEVNULL,
                             stdout=open(f"{self.dir}/{tag}.qemu", "w"), stderr=subprocess.STDOUT)
        seen = set()
        while p.poll() is None and time.monotonic() - t0 < timeout:
            time.sleep(0.2)
            if on_marker:
                for m in markers(read(rep)):
                    if m not in seen:
                        seen.add(m)
                        on_marker(m)
        if p.poll() is None:
            p.kill()
            p.wait()
            status = "timeout"
        elif p.returncode in (-6, 134):    # SIGABRT: an assertion inside QEMU (lab notes)
            status = "abort"
        else:
            status = "exit0" if p.returncode == 0 else f"exit{p.returncode}"
        if on_marker:
            on_marker(None)
        return Boot(tag, status, time.monotonic() - t0, read(rep))

    def state_log(self):
        with open(self.state, "rb") as f:
            return f.read(65536).rstrip(b"\0").decode(errors="replace")


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace").replace("\r", "")
    except FileNotFoundError:
        return ""


def markers(text):
    return [l[3:] for l in text.splitlines() if l.startswith("@@ ") and
            not l.startswith(("@@ begin ", "@@ end "))]


class Boot:
    """Result of one QEMU run: status, wall time, and the report's sections by (role, name)."""

    def __init__(self, tag, status, wall, text):
        self.tag, self.status, self.wall, self.text = tag, status, wall, text
        self.sections, self.rcs, cur, buf = {}, {}, None, []
        for line in text.splitlines():
            m = re.match(r"@@ (begin|end) (\S+) (\S+)(?: rc=(\d+))?$", line)
            if m and m.group(1) == "begin":
                cur, buf = (m.group(2), m.group(3)), []
            elif m and cur == (m.group(2), m.group(3)):
                self.sections[cur] = "\n".join(buf)
                self.rcs[cur] = int(m.group(4) or 0)
                cur = None
            elif cur:
                buf.append(line)
        self.done = {m.split()[1].split("=")[1]: m for m in markers(text) if m.startswith("done ")}

    def get(self, role, name):
        return self.sections.get((role, name))

    def finished(self, role):
        """The guest script of this role ran to its end with rc=0."""
        return "rc=0 " in self.done.get(role, "") + " "
