#!/usr/bin/env python3
"""Builds a small fake sysfs tree (plain files, symlinks) for the CLI tests
of `kdsafe reset`, or the same machine as an annotated lspci -x dump.

    tree.py DIR        -> DIR/sys/bus/pci/devices/... , DIR/dev/kmsg
    tree.py --dump F   -> F (docs/fixture-format.md)

The machine: root port 00:1c.0 with 01:00.0 (FLR, reset_method "flr pm
bus", Bus Master on) and 01:00.1 (bound to e1000e); root port 00:1d.0 with
02:00.0 (reset_method "flr pm", no reset_method write needed); 00:1f.0 on
the root bus bound to i801_smbus; the AMD IOMMU 00:00.2 (class 08:06, MSI
on, no driver: the kernel's).  Writes to `reset` and `reset_method` land
in plain files: the tests read them back.

With --sriov the machine also has root port 00:1e.0 with the PF 03:00.0
(8086:10fb, bound to ixgbe, SR-IOV capability: one VF, VF Device ID 10ed)
and its VF 03:10.0, whose config IDs read ffff (SR-IOV 1.1 §3.4.1.1): the
tree gives it a physfn link and the kernel's vendor/device files, the dump
neither (kdsafe finds the PF through its SR-IOV capability).

With --conv it also has a PCIe-to-PCI bridge 00:1e.0 (1b36:000e, QEMU's
pcie-pci-bridge) over bus 03 with 03:01.0, a conventional RTL8139
(10ec:8139: no PCIe, no PM, Bus Master on): its only reset is the bus
reset, whose 1.1 s wait (PCI 3.0 §4.3.2) is the longest of the machine.

With --quiet the machine's own functions are clean (Command 0): only what
--conv and --many add is dirty.

With --many N it also has N more dirty unbound functions like 01:00.0,
eight functions to a root port: 00:02.0 over bus 10 (10:00.0-7), 00:03.0
over bus 11 ... (the hook's /dev/kmsg rate limit, its timing).
"""
import os
import sys

def cfg_endpoint(vendor, device, cls, cmd, flr=True, msi=False):
    c = bytearray(4096)
    c[0:2] = vendor.to_bytes(2, "little")
    c[2:4] = device.to_bytes(2, "little")
    c[4:6] = cmd.to_bytes(2, "little")
    c[6:8] = (0x0010).to_bytes(2, "little")          # capabilities list
    c[8:12] = (cls << 8 | 1).to_bytes(4, "little")
    c[0x0e] = 0x80                                   # multi-function
    c[0x10:0x14] = (0xfe000000).to_bytes(4, "little")
    c[0x2c:0x30] = (vendor | 0x1100 << 16).to_bytes(4, "little")
    c[0x34] = 0x40
    c[0x3c] = 11
    c[0x3d] = 1
    # PM at 0x40 -> MSI at 0x48 -> PCIe at 0x60
    c[0x40:0x48] = bytes([0x01, 0x48, 0x03, 0x00, 0, 0, 0, 0])
    c[0x48] = 0x05
    c[0x49] = 0x60
    c[0x4a:0x4c] = (0x0180 | (1 if msi else 0)).to_bytes(2, "little")
    c[0x60] = 0x10
    c[0x61] = 0x00
    c[0x62:0x64] = (0x0002).to_bytes(2, "little")    # endpoint, v2
    c[0x64:0x68] = ((1 << 28) if flr else 0).to_bytes(4, "little")
    c[0x68:0x6a] = (0x2810).to_bytes(2, "little")
    c[0x6c:0x70] = (0x00400c41).to_bytes(4, "little")
    c[0x72:0x74] = (0x1041).to_bytes(2, "little")
    return c

def cfg_sriov_pf():
    c = cfg_endpoint(0x8086, 0x10fb, 0x020000, 0x0406)
    # SR-IOV extended capability at 0x100 (pci_regs.h PCI_SRIOV_*)
    c[0x100:0x104] = (0x00010010).to_bytes(4, "little")
    c[0x108:0x10a] = (0x0009).to_bytes(2, "little")  # VF Enable, MSE
    c[0x10c:0x10e] = (1).to_bytes(2, "little")       # InitialVFs
    c[0x10e:0x110] = (1).to_bytes(2, "little")       # TotalVFs
    c[0x110:0x112] = (1).to_bytes(2, "little")       # NumVFs
    c[0x114:0x116] = (0x80).to_bytes(2, "little")    # First VF Offset
    c[0x116:0x118] = (2).to_bytes(2, "little")       # VF Stride
    c[0x11a:0x11c] = (0x10ed).to_bytes(2, "little")  # VF Device ID
    return c

def cfg_sriov_vf():
    c = cfg_endpoint(0x8086, 0x10ed, 0x020000, 0x0006)
    c[0:4] = b"\xff\xff\xff\xff"                     # VF IDs read ffff
    return c

def cfg_root_port(secondary):
    c = bytearray(4096)
    c[0:4] = (0x000c1b36).to_bytes(4, "little")
    c[4:6] = (0x0406).to_bytes(2, "little")
    c[6:8] = (0x0010).to_bytes(2, "little")
    c[8:12] = (0x060400 << 8).to_bytes(4, "little")
    c[0x0e] = 0x01
    c[0x18:0x1b] = bytes([0, secondary, secondary])
    c[0x34] = 0x40
    c[0x40] = 0x10
    c[0x42:0x44] = (0x0042).to_bytes(2, "little")    # root port
    c[0x4c:0x50] = (0x00100012).to_bytes(4, "little")  # 5 GT/s, DLLLARC
    c[0x52:0x54] = (0x2012).to_bytes(2, "little")    # DLL active
    return c

MACHINE = [
    # addr, parent, config, driver, reset_method
    # AMD IOMMU: the kernel's, MSI on, never a driver (not for --all)
    ("0000:00:00.2", None, cfg_endpoint(0x1022, 0x1481, 0x080600, 0x0406,
                                        flr=False, msi=True), None, None),
    ("0000:00:1c.0", None, cfg_root_port(1), "pcieport", None),
    ("0000:00:1d.0", None, cfg_root_port(2), "pcieport", None),
    ("0000:00:1f.0", None, cfg_endpoint(0x8086, 0xa323, 0x0c0500, 0x0107,
                                        flr=False), "i801_smbus", None),
    ("0000:01:00.0", "0000:00:1c.0",
     cfg_endpoint(0x1af4, 0x1041, 0x020000, 0x0006), None, "flr pm bus"),
    ("0000:01:00.1", "0000:00:1c.0",
     cfg_endpoint(0x8086, 0x10d3, 0x020000, 0x0406), "e1000e", "pm bus"),
    ("0000:02:00.0", "0000:00:1d.0",
     cfg_endpoint(0x1b36, 0x0010, 0x010802, 0x0006), None, "flr pm"),
]

SRIOV = [
    ("0000:00:1e.0", None, cfg_root_port(3), "pcieport", None),
    ("0000:03:00.0", "0000:00:1e.0", cfg_sriov_pf(), "ixgbe", None),
    ("0000:03:10.0", "0000:00:1e.0", cfg_sriov_vf(), None, None),
]
def cfg_pcie_pci_bridge(secondary):
    c = cfg_root_port(secondary)
    c[2:4] = (0x000e).to_bytes(2, "little")
    c[0x42:0x44] = (0x0072).to_bytes(2, "little")    # PCIe-to-PCI bridge
    return c

def cfg_conventional(vendor, device, cls, cmd):
    c = bytearray(256)
    c[0:2] = vendor.to_bytes(2, "little")
    c[2:4] = device.to_bytes(2, "little")
    c[4:6] = cmd.to_bytes(2, "little")
    c[8:12] = (cls << 8 | 0x20).to_bytes(4, "little")
    c[0x10:0x14] = (0x0000d001).to_bytes(4, "little")  # I/O BAR
    c[0x3c] = 10
    c[0x3d] = 1
    return c

CONV = [
    ("0000:00:1e.0", None, cfg_pcie_pci_bridge(3), None, None),
    ("0000:03:01.0", "0000:00:1e.0",
     cfg_conventional(0x10ec, 0x8139, 0x020000, 0x0007), None, "bus"),
]

VF_IDS = {"0000:03:10.0": ("0000:03:00.0", 0x8086, 0x10ed)}

def build_tree(root):
    devices = os.path.join(root, "sys/devices/pci0000:00")
    bus = os.path.join(root, "sys/bus/pci/devices")
    drivers = os.path.join(root, "sys/bus/pci/drivers")
    os.makedirs(bus)
    os.makedirs(os.path.join(root, "dev"))
    open(os.path.join(root, "dev/kmsg"), "w").close()
    path = {}
    for addr, parent, cfg, driver, methods in MACHINE:
        d = os.path.join(path[parent] if parent else devices, addr)
        path[addr] = d
        os.makedirs(d)
        with open(os.path.join(d, "config"), "wb") as f:
            f.write(cfg)
        if methods:
            with open(os.path.join(d, "reset_method"), "w") as f:
                f.write(methods + "\n")
            open(os.path.join(d, "reset"), "w").close()
        if driver:
            os.makedirs(os.path.join(drivers, driver), exist_ok=True)
            os.symlink(os.path.relpath(os.path.join(drivers, driver), d),
                       os.path.join(d, "driver"))
        if addr in VF_IDS:
            pf, vendor, device = VF_IDS[addr]
            os.symlink(os.path.relpath(path[pf], d),
                       os.path.join(d, "physfn"))
            for name, v in (("vendor", vendor), ("device", device)):
                with open(os.path.join(d, name), "w") as f:
                    f.write("0x%04x\n" % v)
        os.symlink(os.path.relpath(d, bus), os.path.join(bus, addr))

def write_dump(out):
    with open(out, "w") as f:
        f.write("# kdsafe reset CLI test machine (tests/cli/reset/tree.py)\n")
        for addr, parent, cfg, driver, methods in MACHINE:
            f.write("\n%s Device\n" % addr)
            if driver:
                f.write("#@ driver=%s\n" % driver)
            if parent:
                f.write("#@ parent=%s\n" % parent)
            if methods:
                f.write("#@ reset_method=%s\n" % methods)
            for off in range(0, 4096, 16):
                f.write("%03x: %s\n" % (off, " ".join(
                    "%02x" % b for b in cfg[off:off + 16])))

def add_many(n):
    for i in range(n):
        rp = "0000:00:%02x.0" % (2 + i // 8)
        if i % 8 == 0:
            MACHINE.append((rp, None, cfg_root_port(0x10 + i // 8),
                            "pcieport", None))
        MACHINE.append(("0000:%02x:00.%d" % (0x10 + i // 8, i % 8), rp,
                        cfg_endpoint(0x1af4, 0x1041, 0x020000, 0x0006),
                        None, "flr pm bus"))

if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--many":
        add_many(int(sys.argv[2]))
        del sys.argv[1:3]
    if len(sys.argv) > 1 and sys.argv[1] == "--quiet":
        for i, (addr, parent, cfg, driver, methods) in enumerate(MACHINE):
            if addr in ("0000:01:00.0", "0000:01:00.1", "0000:02:00.0",
                        "0000:00:1f.0"):
                cfg[4:6] = b"\0\0"
        del sys.argv[1]
    if len(sys.argv) > 1 and sys.argv[1] == "--conv":
        MACHINE += CONV
        del sys.argv[1]
    if len(sys.argv) > 1 and sys.argv[1] == "--sriov":
        MACHINE += SRIOV
        del sys.argv[1]
    if len(sys.argv) == 3 and sys.argv[1] == "--dump":
        write_dump(sys.argv[2])
    elif len(sys.argv) == 2:
        build_tree(sys.argv[1])
    else:
        sys.exit("usage: tree.py [--many N] [--quiet] [--conv] [--sriov] DIR | tree.py [--sriov] --dump FILE")
