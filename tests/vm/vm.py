"""The lab machine: a QEMU q35 guest (TCG), its devices, one boot, and the guest's report.

Reports come through the guest's second UART (-serial file:..., guest /dev/ttyS1) in the
protocol of guest/lib.sh: "@@ begin ROLE NAME" ... "@@ end ROLE NAME rc=N" and "@@ ..." markers.
"""
import os
import re
import socket
import subprocess
import time

# Devices under test.  addr: where SeaBIOS numbers it on this topology; kernel_rm: the kernel's
# reset_method file; effective: the methods that really reset it (lab notes, "Kernel reset_method").
# To add a device: add a row here, run `make check-vm`, fix addr from the witness section.
DEVICES = [
    dict(name="virtio-net@pcie.0", addr="0000:00:03.0", kernel_rm=None, effective=[],
         qemu="virtio-net-pci,netdev=n1,mac=52:54:00:12:34:01,bus=pcie.0,addr=0x3,romfile="),
    dict(name="virtio-net@pci-bridge", addr="0000:01:01.0", kernel_rm=["bus"], effective=["bus"],
         qemu="virtio-net-pci,netdev=n4,mac=52:54:00:12:34:04,bus=pb,addr=0x1,romfile="),
    dict(name="virtio-net@root-port", addr="0000:02:00.0", kernel_rm=["flr", "pm", "bus"],
         effective=["flr", "bus"], qemu="virtio-net-pci,netdev=n2,mac=52:54:00:12:34:02,bus=rp1,romfile="),
    dict(name="virtio-blk@root-port", addr="0000:03:00.0", kernel_rm=["flr", "pm", "bus"],
         effective=["flr", "bus"], qemu="virtio-blk-pci,drive=vblk,bus=rp2"),
    dict(name="e1000e@root-port", addr="0000:04:00.0", kernel_rm=["pm", "bus"], effective=["bus"],
         qemu="e1000e,netdev=n3,mac=52:54:00:12:34:03,bus=rp3,romfile="),
    dict(name="nvme@root-port", addr="0000:05:00.0", kernel_rm=["flr", "bus"], effective=["flr", "bus"],
         qemu="nvme,drive=nvm,serial=kdsafe0,bus=rp4"),
]
E1000E_NET = 3          # netdev n3 / 10.0.3.0/24: the NIC that gets traffic
DISKS = {"vblk": "KDSAFE-VBLK-DISK", "nvme": "KDSAFE-NVME-DISK"}   # first sector of each test disk


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

    def qemu_args(self, append, tag):
        nets = []
        for n in (1, 2, 3, 4):
            fwd = f",hostfwd=udp:127.0.0.1:{self.port}-10.0.{n}.15:9" if n == E1000E_NET else ""
            nets += ["-netdev", f"user,id=n{n},restrict=on,net=10.0.{n}.0/24{fwd}"]
        ports = []
        for i in (1, 2, 3, 4):
            ports += ["-device", f"pcie-root-port,id=rp{i},bus=pcie.0,chassis={i},addr=0x{0x0f + i:x}"]
        return [
            "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "1024", "-smp", "2",
            "-nographic", "-no-reboot", "-monitor", "none",
            # Native hotplug on the root ports, else bus reset fails with ENOTTY (lab notes).
            "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
            "-kernel", self.vmlinuz, "-initrd", self.initrd, "-append", append,
            "-serial", f"file:{self.dir}/{tag}.console", "-serial", f"file:{self.dir}/{tag}.report",
            "-drive", f"if=none,id=state,file={self.state},format=raw",
            "-device", "ide-hd,drive=state,bus=ide.0",
            "-drive", f"if=none,id=vblk,file={self.dir}/vblk.img,format=raw",
            "-drive", f"if=none,id=nvm,file={self.dir}/nvme.img,format=raw",
            *nets, *ports, "-device", "pcie-pci-bridge,id=pb,bus=pcie.0,addr=0x5",
            *[a for d in DEVICES for a in ("-device", d["qemu"])],
        ]

    def boot(self, scn, tag, timeout, args="", on_marker=None):
        """One QEMU run: start, wait for power-off, QEMU abort or timeout; parse the report."""
        append = f"console=ttyS0 crashkernel=256M iomem=relaxed panic=-1 kdsafe.scn={scn} {args}"
        rep = f"{self.dir}/{tag}.report"
        for f in (rep, f"{self.dir}/{tag}.console"):
            if os.path.exists(f):
                os.unlink(f)
        t0 = time.monotonic()
        p = subprocess.Popen(self.qemu_args(append.strip(), tag), stdin=subprocess.DEVNULL,
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
