#!/usr/bin/env python3
"""Writes an lspci -xxxx style dump of a large machine for `make bench`.

64 PCIe root ports on bus 0, each with 63 PCIe endpoints below it:
64 + 64 * 63 = 4096 functions.  Every endpoint has 4096 bytes of config
space with PM, MSI, PCIe (FLR), MSI-X and AER; a third of them are left
dirty (Bus Master on, MSI-X enabled) as a crashed kernel would.

`gen-dump.py --flat N` writes N endpoints instead, 64-byte headers (lspci
-x), 8 functions per device, buses and domains filled in order, with no
parent= annotations: the scale case of `make bench` (bench/scale.sh), where
every look-up by address and every parent search must stay O(log n).

`gen-dump.py --sriov N` writes N SR-IOV VFs without physfn= annotations
(a plain lspci dump): one PF at BB:00.0 per bus, whose SR-IOV capability
(First VF Offset 1, VF Stride 1) places up to 255 VFs at BB:00.1-BB:1f.7;
the VFs read ffff as their IDs, so the probe must find each one's PF
(bench/sriov.sh: once per dump, not once per VF).
"""
import struct
import sys


def put(c, off, fmt, v):
    struct.pack_into("<" + fmt, c, off, v)


def endpoint(dirty):
    c = bytearray(4096)
    put(c, 0x00, "H", 0x8086)
    put(c, 0x02, "H", 0x10d3)
    put(c, 0x04, "H", 0x0406 if dirty else 0x0400)
    put(c, 0x06, "H", 0x0010)
    put(c, 0x08, "I", 0x02000000)
    put(c, 0x2c, "I", 0xa01f8086)
    c[0x34] = 0x40
    c[0x40:0x42] = bytes([0x01, 0x50])          # PM
    c[0x50:0x52] = bytes([0x05, 0x60])          # MSI
    c[0x60:0x62] = bytes([0x10, 0xa0])          # PCIe
    put(c, 0x62, "H", 0x0002)                   # endpoint
    put(c, 0x64, "I", 0x10000000)               # DevCap FLR
    put(c, 0x6c, "I", 0x00100000)               # LnkCap DLLLARC
    put(c, 0x72, "H", 0x2011)                   # 2.5GT/s x1, DLL active
    c[0xa0:0xa2] = bytes([0x11, 0x00])          # MSI-X
    put(c, 0xa2, "H", 0x8004 if dirty else 0x0004)
    put(c, 0x100, "I", 0x00010001)              # AER, end of list
    return c


def root_port(secondary):
    c = bytearray(256)
    put(c, 0x00, "H", 0x8086)
    put(c, 0x02, "H", 0x3b42)
    put(c, 0x04, "H", 0x0407)
    put(c, 0x06, "H", 0x0010)
    put(c, 0x08, "I", 0x06040000)
    c[0x0e] = 0x81
    c[0x18:0x1b] = bytes([0, secondary, secondary])
    c[0x34] = 0x40
    c[0x40:0x42] = bytes([0x10, 0x00])
    put(c, 0x42, "H", 0x0142)                   # root port, slot
    return c


def emit(out, addr, cfg, annotations=()):
    out.write(f"{addr} bench function\n")
    for a in annotations:
        out.write(f"#@ {a}\n")
    for off in range(0, len(cfg), 16):
        row = " ".join(f"{b:02x}" for b in cfg[off:off + 16])
        out.write(f"{off:02x}: {row}\n")
    out.write("\n")


def flat(out, count):
    hdr = bytearray(64)
    for i in range(count):
        put(hdr, 0x00, "H", 0x8086)
        put(hdr, 0x02, "H", 0x10d3)
        put(hdr, 0x04, "H", 0x0406 if i % 3 == 0 else 0x0400)
        put(hdr, 0x08, "I", 0x02000000)
        dom, rest = divmod(i, 65536)
        bus, rest = divmod(rest, 256)
        dev, fn = divmod(rest, 8)
        hdr[0x0e] = 0x80
        emit(out, f"{dom:04x}:{bus:02x}:{dev:02x}.{fn}", hdr)


def sriov(out, count):
    vf = bytearray(64)
    put(vf, 0x00, "I", 0xffffffff)
    put(vf, 0x08, "I", 0x02000000)
    bus = 0
    while count > 0:
        n = min(count, 255)
        dom, b = divmod(bus, 256)
        pf = bytearray(0x140)
        put(pf, 0x00, "H", 0x8086)
        put(pf, 0x02, "H", 0x10fb)
        put(pf, 0x08, "I", 0x02000000)
        pf[0x0e] = 0x80
        put(pf, 0x100, "I", 0x00010010)             # SR-IOV, end of list
        put(pf, 0x110, "H", n)                      # NumVFs
        put(pf, 0x114, "H", 1)                      # First VF Offset
        put(pf, 0x116, "H", 1)                      # VF Stride
        put(pf, 0x11a, "H", 0x10ed)                 # VF Device ID
        emit(out, f"{dom:04x}:{b:02x}:00.0", pf)
        for i in range(1, n + 1):
            emit(out, f"{dom:04x}:{b:02x}:{i >> 3:02x}.{i & 7}", vf)
        count -= n
        bus += 1


def main():
    out = sys.stdout
    if len(sys.argv) == 3 and sys.argv[1] == "--sriov":
        sriov(out, int(sys.argv[2]))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--flat":
        flat(out, int(sys.argv[2]))
        return
    n = 0
    for port in range(64):
        dev, fn = divmod(port, 2)
        bus = port + 1
        rp = f"0000:00:{dev:02x}.{fn}"
        emit(out, rp, root_port(bus), ["driver=pcieport", "builtin=1"])
        n += 1
        for i in range(63):
            d, f = divmod(i, 2)
            emit(out, f"0000:{bus:02x}:{d:02x}.{f}", endpoint(i % 3 == 0),
                 [f"parent={rp}", "reset_method=flr bus"])
            n += 1
    assert n == 4096


if __name__ == "__main__":
    main()
