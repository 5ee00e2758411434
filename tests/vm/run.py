#!/usr/bin/env python3
"""make check-vm: boot the lab guest through each scenario and assert on independent witnesses.

Usage: run.py --cache DIR --kdsafe build/kdsafe [--cycles N] [SCENARIO...]
Scenarios: probe methods crash traffic kexec campaign (docs/lab.md says what each proves).
Logs of every boot stay in CACHE/run/ (TAG.console, TAG.report, TAG.qemu, state.img).
"""
import argparse
import difflib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import vm  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# Hang detectors, generous against the lab notes' timings (generic kernel, TCG, 2 cores):
T_ONE_BOOT = 240   # start -> /init 17-20 s with 14 devices, plus the scenario's own work
T_METHODS = 480    # methods: ~60 witnessed resets in the shell (docs/lab.md, Measured timings)
T_CYCLE = 420      # crash cycle ~2 min with 14 devices (drivers, USB, HDA), plus kdsafe reset --all
T_TRAFFIC = 120    # same cycle with e1000e only; a cycle that hangs costs this much


class Scenario:
    def __init__(self, name):
        self.name, self.fails, self.notes, self.asserts, self.wall = name, [], [], 0, 0.0

    def check(self, ok, msg):
        self.asserts += 1
        if not ok:
            self.fails.append(msg)
        return ok

    def note(self, msg):
        self.notes.append(msg)


def die(msg):
    print(f"check-vm: FAIL: {msg}", file=sys.stderr)
    sys.exit(2)


def targets(b, role):
    return checks.witnesses(b.get(role, "witness"))


def lab_addrs_present(s, b, role):
    w = targets(b, role)
    for d in vm.DEVICES:
        s.check(d["addr"] in w, f"{d['name']} not at {d['addr']} (witnesses: {sorted(w)})")


def check_probe(s, b, role, lab):
    if not lab.kdsafe:
        return s.note("probe vs kernel: not run (--no-kdsafe)")
    fails = checks.probe_agrees(b.get(role, "probe") or "", b.get(role, "lspci"),
                                b.get(role, "reset_method"))
    s.check(not fails, f"{role}: kdsafe probe vs lspci/reset_method: " + "; ".join(fails))
    return fails


def health_ok(text, disks=True):
    """Every NIC has carrier and answers ping; with disks (all drivers loaded): each test disk's
    first sector holds its magic, the xHCI enumerated its keyboard and disk, the HDA its codec."""
    text = text or ""
    lines = [l for l in text.splitlines() if l.startswith(("nic ", "disk ", "usb ", "hda "))]
    bad = [l for l in lines if l.startswith("nic ") and not ("carrier=1" in l and "ping=ok" in l)]
    if disks:
        bad += [f"disk {m} not read" for m in vm.DISKS.values() if m not in text]
        bad += [f"USB {p} not enumerated" for p in USB_PRODUCTS
                if not any(l.startswith("usb ") and p in l for l in lines)]
        if not any(l.startswith("hda ") for l in lines):
            bad.append("no HDA codec probed")
    return not bad and bool(lines), bad or ["no health lines"]


USB_PRODUCTS = ("QEMU_USB_Keyboard", "QEMU_USB_HARDDRIVE")   # usb-kbd, usb-storage's product strings


def reset_witness_pairs(text):
    """(before, after, rc) from a section written by scn_methods_first."""
    ws = [l for l in (text or "").splitlines() if l.startswith("w ")]
    rc = [l for l in (text or "").splitlines() if l.startswith("rc=")]
    if len(ws) != 2 or not rc:
        return None
    a, b = (list(checks.witnesses(x).values())[0] for x in ws)
    return a, b, int(rc[-1][3:])


# --- scenarios ---
def scn_probe(lab, s):
    b = lab.boot("probe", "probe", T_ONE_BOOT)
    s.wall = b.wall
    if not s.check(b.finished("first"), f"guest did not finish ({b.status})"):
        return
    lab_addrs_present(s, b, "first")
    f = check_probe(s, b, "first", lab)
    if lab.kdsafe and not f:
        n = len(checks.probe_functions(b.get("first", "probe")))
        s.note(f"kdsafe probe agrees with lspci -vvv and reset_method on all {n} functions")


def scn_methods(lab, s):
    args = f"{lab.reset_arg} kdsafe.switch={','.join(scope_addrs(vm.SWITCH))}" \
           f" kdsafe.mf={','.join(scope_addrs(vm.MULTIFUNCTION))}"
    b = lab.boot("methods", "methods", T_METHODS, args)
    s.wall = b.wall
    if not s.check(b.finished("first"), f"guest did not finish ({b.status})"):
        return
    rm = checks.reset_methods(b.get("first", "reset_method"))
    for d in vm.DEVICES:
        s.check(rm.get(d["addr"]) == d["kernel_rm"],
                f"{d['name']}: reset_method {rm.get(d['addr'])}, lab notes {d['kernel_rm']}")
        rows = []
        for m in d["kernel_rm"] or []:
            p = reset_witness_pairs(b.get("first", f"kernel:{m}@{d['addr']}"))
            if not s.check(p, f"{d['name']} kernel {m}: no witness pair"):
                continue
            before, after, rc = p
            s.check(checks.engine(before), f"{d['name']}: could not dirty it before kernel {m}")
            cleared = checks.engine(after) is False
            s.check(cleared == (m in d["effective"]),
                    f"{d['name']} kernel {m}: cleared={cleared}, lab notes expect "
                    f"{'cleared' if m in d['effective'] else 'no-op'} (rc={rc})")
            rows.append(f"{m}={'resets' if cleared else 'no-op'}(rc={rc})")
        s.note(f"kernel {d['name']}: {' '.join(rows) or 'no reset file'}")
        if not lab.reset:
            continue
        rows = []
        virtio = d["name"].startswith("virtio")
        for m in ("flr", "af-flr", "pm", "bus") + (("virtio",) if virtio else ()):
            p = reset_witness_pairs(b.get("first", f"kdsafe:{m}@{d['addr']}"))
            if not s.check(p, f"{d['name']} kdsafe {m}: no witness pair"):
                continue
            before, after, rc = p
            cleared = checks.engine(after) is False
            if rc == 0:   # kdsafe must never claim a reset the registers do not show
                s.check(cleared and not checks.bme(after),
                        f"{d['name']} kdsafe {m}: exit 0 but cleared={cleared} bme={checks.bme(after)}")
            if m in d["effective"]:
                s.check(rc == 0 and cleared, f"{d['name']} kdsafe {m}: kernel baseline resets, "
                                             f"kdsafe rc={rc} cleared={cleared}")
            if m == "virtio":   # every virtio device here is modern (COMMON_CFG in a memory BAR)
                s.check(rc == 0 and cleared and not checks.bme(after),
                        f"{d['name']} kdsafe virtio: rc={rc} cleared={cleared} "
                        f"bme={checks.bme(after)}")
            rows.append(f"{m}=rc{rc}/{'resets' if cleared else 'no-op'}")
        s.note(f"kdsafe {d['name']}: {' '.join(rows)}")
    if not lab.reset:
        s.note("kdsafe reset per method: not run: kdsafe reset missing")
        return
    check_scope(s, b, "switch", vm.SWITCH, shared=False)
    check_scope(s, b, "mf", vm.MULTIFUNCTION, shared=True)


def scope_addrs(group):
    return [vm.by_name(n)["addr"] for n in group["devices"]]


def check_scope(s, b, key, group, shared):
    """Bus-reset scope: kdsafe's bus reset requested for the first device of the group, both
    dirtied first.  shared=False (switch downstream ports): the bridge is the first device's own
    port, nothing else is reset, the other device keeps running untouched.  shared=True (a
    multi-function slot): the other function is in also_reset, both end stopped and restored
    (memory decoding on, BAR0 as before, registers readable)."""
    a, o = scope_addrs(group)
    tag = f"scope {key} ({group['devices'][0]})"
    before = checks.witnesses(b.get("first", f"scope-before:{key}"))
    after = checks.witnesses(b.get("first", f"scope-after:{key}"))
    rc = b.rcs.get(("first", f"scope-reset:{key}"))
    r = checks.reset_results(b.get("first", f"scope-reset:{key}") or "").get(a)
    if not s.check(r is not None, f"{tag}: no kdsafe reset --json result for {a} (rc={rc})"):
        return
    s.check(all(checks.engine(before.get(x, {})) for x in (a, o)),
            f"{tag}: could not dirty both before the reset: {before}")
    bridge, also = checks.r_bridge(r), checks.r_also(r)
    s.check(rc == 0 and checks.r_status(r) == "ok" and checks.r_method(r) == "bus",
            f"{tag}: rc={rc} status={checks.r_status(r)} method={checks.r_method(r)}")
    s.check(bridge == group["bridge"], f"{tag}: bridge {bridge}, expected {group['bridge']}")
    wa, wo = after.get(a, {}), after.get(o, {})
    s.check(checks.engine(wa) is False and not checks.bme(wa), f"{tag}: {a} not reset: {wa}")
    if shared:
        s.check(also == [o], f"{tag}: also_reset {also}, expected [{o}]")
        s.check(checks.engine(wo) is False, f"{tag}: the other function {o} not reset: {wo}")
        for x, w in ((a, wa), (o, wo)):
            s.check(bool(checks.num(w, "cmd") & 2) and w.get("bar0") == before[x].get("bar0")
                    and checks.engine(w) is not None,
                    f"{tag}: {x} not restored (memory decoding, BAR0): before {before[x]} after {w}")
    else:
        s.check(also == [], f"{tag}: also_reset {also}, expected none")
        s.check(checks.engine(wo) is True and wo.get("cmd") == before[o].get("cmd"),
                f"{tag}: the other downstream port's device {o} was touched: "
                f"before {before[o]} after {wo}")
    s.note(f"{tag}: rc={rc} bridge={bridge} also_reset={also} "
           f"after: {a} engine={checks.engine(wa)}, {o} engine={checks.engine(wo)}")


def scn_crash(lab, s):
    b = lab.boot("crash", "crash", T_CYCLE, lab.reset_arg)
    s.wall = b.wall
    ok, bad = health_ok(b.get("first", "health-first"))
    s.check(ok, f"first kernel health: {bad}")
    s.check(b.rcs.get(("first", "load-capture")) == 0, "kexec -p failed")
    if not s.check(b.finished("capture"), f"capture kernel did not finish ({b.status})"):
        return
    lab_addrs_present(s, b, "capture")
    w = targets(b, "capture")
    funcs = {}
    if not check_probe(s, b, "capture", lab) and lab.kdsafe:
        funcs = checks.probe_functions(b.get("capture", "probe"))
    for d in vm.DEVICES:
        x = w.get(d["addr"], {})
        if not x:
            continue
        dirty = checks.bme(x) and checks.engine(x)
        if d.get("live", True):
            s.check(dirty, f"{d['name']}: capture kernel did not inherit a running device "
                           f"(lab notes: all endpoints busy after a crash): {x}")
        else:   # stopped by the capture kernel itself before /init (vm.DEVICES says how)
            s.check(checks.engine(x) is False and not checks.bme(x),
                    f"{d['name']}: expected stopped by the capture kernel, inherited {x}")
        v = checks.j_verdict(funcs[d["addr"]]) if d["addr"] in funcs else None
        if funcs:
            s.check(not dirty or v == "active-dma", f"{d['name']}: running device, verdict {v}")
        s.note(f"inherited {d['name']}: bme={int(checks.bme(x))} engine={checks.engine(x)} "
               f"verdict={v}")
    check_sriov(s, b, w)
    if not lab.reset:
        s.note("reset + witnesses cleared + health: not run: kdsafe reset missing")
        ok, bad = health_ok(b.get("capture", "health"))
        s.note(f"health after drivers without reset (measured, not asserted): {'ok' if ok else bad}")
        return
    after = checks.witnesses(b.get("capture", "witness-after-reset"))
    res = checks.reset_results(b.get("capture", "reset-all") or "")
    rc_all = b.rcs.get(("capture", "reset-all"))
    s.check(rc_all == 0, f"kdsafe reset --all: exit {rc_all}")
    for d in vm.DEVICES:
        # every inherited device ends stopped with Bus Master off: a PCI reset where one works,
        # the virtio reset for the virtio-net on pcie.0 (no FLR, PM a no-op, no bridge).  kdsafe's
        # class witness, when it has one for the device, must call the reset effective.
        r, x, n = res.get(d["addr"]), after.get(d["addr"], {}), d["name"]
        if r is None and not d.get("live", True):   # clean already: --all leaves it alone
            s.check(bool(x) and checks.engine(x) is False and not checks.bme(x),
                    f"{n}: not reset by --all and not stopped: {x}")
            s.note(f"reset {n}: not selected by --all (inherited stopped) engine={checks.engine(x)}")
            continue
        if not s.check(r is not None, f"{n}: not among kdsafe reset --all's results"):
            continue
        st, wv = checks.r_status(r), checks.r_witness_verdict(r)
        s.check(st == "ok", f"{n}: kdsafe reset --all status {st} ({r.get('reason')})")
        if wv is not None:
            s.check(wv == "effective", f"{n}: kdsafe witness verdict {wv}")
        s.check(bool(x) and checks.engine(x) is False and not checks.bme(x),
                f"{n}: after kdsafe reset --all ({st}) engine={checks.engine(x)}, witness {x}")
        s.note(f"reset {n}: {st} method={checks.r_method(r)} witness={wv} "
               f"bridge={checks.r_bridge(r)} also={checks.r_also(r)} engine={checks.engine(x)} "
               f"bme={x and checks.bme(x)}")
    ok, bad = health_ok(b.get("capture", "health"))
    s.check(ok, f"health after reset and drivers: {bad}")
    end = checks.witnesses(b.get("capture", "witness-end"))
    s.check(all(d["addr"] in end for d in vm.DEVICES),
            f"devices gone after reset and drivers: {[d['name'] for d in vm.DEVICES if d['addr'] not in end]}")
    check_no_surprise_removal(s, lab, b)


def check_sriov(s, b, w):
    """The first kernel enables the SR-IOV PF's VFs (sriov_numvfs = TotalVFs); what the capture
    kernel's PF shows of them is recorded (VF Enable, NumVFs), not asserted."""
    pf = vm.by_name("nvme-sriov@root-port")["addr"]
    sr = b.get("first", "sriov-first") or ""
    vfs = [l.split()[2] for l in sr.splitlines() if l.startswith(f"vf {pf} ")]
    s.check(f"sriov {pf} rc=0 numvfs=2 " in sr + " " and len(vfs) == 2,
            f"SR-IOV: first kernel did not enable 2 VFs on {pf}: {sr!r}")
    x = w.get(pf, {})
    s.note(f"SR-IOV {pf}: first kernel VFs {vfs}; capture kernel sees sriov_ctrl="
           f"{x.get('sriov_ctrl')} numvfs={x.get('numvfs')}")


PCIEHP_REMOVAL = re.compile(r"pciehp: Slot\(\S+\): (Link Down|Card not present|Link Up|Card present)"
                            r"|pciehp.*(removal|[Ss]urprise)")


def check_no_surprise_removal(s, lab, b):
    """No pciehp link/presence event on a hot-plug port from kdsafe reset --all on (the capture
    kernel's console, its /dev/kmsg markers), and pciehp bound to the ports watched: else the
    check would prove nothing."""
    con = vm.read(f"{lab.dir}/{b.tag}.console")
    cap = con[con.rfind("Linux version"):]
    for port, addr in vm.HOTPLUG_PORTS.items():
        s.check(f"{addr}: pciehp: Slot #" in cap, f"capture kernel: pciehp not bound to {port} {addr}")
    i = cap.find("kdsafe-vm: reset-all begin")
    if not s.check(i >= 0, "capture console: no reset-all marker"):
        return
    ev = [l.strip() for l in cap[i:].splitlines() if PCIEHP_REMOVAL.search(l)]
    s.check(not ev, f"pciehp saw a link/presence change around kdsafe's resets (surprise removal): {ev}")
    s.note(f"pciehp events after reset --all: {len(ev)}")


class Traffic:
    """UDP datagrams to the e1000e's hostfwd on 127.0.0.1, from the guest's "@@ traffic" marker
    until QEMU exits (bounded by the boot's timeout): bursts of BURST datagrams GAP apart,
    BURSTS times a second (10 datagrams/s on average).

    Why bursts (QEMU 7.2 hw/net/e1000e_core.c, checked with -trace e1000e_irq_*): the capture
    kernel's PCI enumeration clears MSI-X enable while the NIC keeps receiving, so each packet
    takes the legacy INTx path, which arms the ITR throttling timer (128 us: ITR holds QEMU's
    reset value 500, the crashed MSI-X driver only ever wrote EITR).  A second interrupt update
    while that timer runs sets itr_intr_pending, which nothing clears: from then on the timer
    re-arms itself every 128 us for as long as ICR & IMS != 0 (LSC stays set, no driver reads
    ICR).  The capture kernel's e1000e enables MSI-X in probe before it masks IMS; the next
    timer tick then hits assert(!msix_enabled()) at e1000e_core.c:143 and QEMU aborts.  A
    steady 10/s stream never puts two interrupts within 128 us (0 of 15 cycles failed), one
    burst of 5 after enumeration does (every cycle, docs/lab.md).  The average rate
    stays low because the crashed kernel no longer refills the RX ring (256 descriptors): a
    fast sender fills it before the capture kernel starts, and a full ring takes no packets."""
    BURSTS, BURST, GAP = 2, 5, 50e-6   # per second; datagrams per burst; seconds between them

    def __init__(self, port):
        self.port, self.stop, self.sent, self.t = port, threading.Event(), 0, None

    def on_marker(self, m):
        if m == "traffic" and not self.t:
            self.t = threading.Thread(target=self.run, daemon=True)
            self.t.start()
        elif m is None:
            self.stop.set()
            if self.t:
                self.t.join()

    def run(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as so:
            while not self.stop.wait(1 / self.BURSTS):
                t0 = time.perf_counter()
                for k in range(self.BURST):
                    while time.perf_counter() < t0 + k * self.GAP:   # bounded: < BURST * GAP
                        pass
                    so.sendto(b"x" * 1000, ("127.0.0.1", self.port))
                    self.sent += 1


E1000E_ASSERT = "e1000e_core.c:143: e1000e_intrmgr_on_throttling_timer"
# Without a reset, one of MIN_FAIL_CYCLES or more cycles must fail.  Measured (docs/lab.md):
# 0 of 29 such cycles with the burst traffic passed, so even at the 95 % upper bound of that rate
# (rule of three: 3/29) all 3 pass with a chance below 0.11 %; the mechanism (Traffic) makes one
# burst after the capture kernel's PCI enumeration enough.  Fewer cycles: measured, not asserted.
MIN_FAIL_CYCLES = 3


def traffic_cycle(lab, mode, i, n):
    """Cycle i of this mode, n-th of the run: the guest counts it on the state disk too."""
    tr = Traffic(lab.port)
    b = lab.boot("traffic", f"traffic-{mode}-{i}", T_TRAFFIC, f"{lab.reset_arg} kdsafe.mode={mode}",
                 tr.on_marker)
    ok, _ = health_ok(b.get("capture", "health"), disks=False)
    w = next(iter(checks.witnesses(b.get("capture", "witness")).values()), {})
    later = next(iter(checks.witnesses(b.get("capture", "witness-later")).values()), {})
    if b.finished("capture") and ok:
        out = "ok"
    elif b.status == "abort":   # which assertion: QEMU's own output (lab notes: e1000e_core.c:143)
        out = "abort@143" if E1000E_ASSERT in vm.read(f"{lab.dir}/{b.tag}.qemu") else "abort"
    elif b.status == "timeout":
        out = b.status
    else:
        out = f"fail({b.status})"
    return dict(outcome=out, wall=b.wall, sent=tr.sent, traffic=tr.t is not None,
                counted=f"cycle {n}" in vm.markers(b.text),
                rx_moving=bool(w) and bool(later) and w.get("rdh") != later.get("rdh"),
                dirty=bool(w) and checks.bme(w) and checks.engine(w), b=b)


def scn_traffic(lab, s):
    mode = "kdsafe" if lab.reset else "kernel-bus"
    label = {"kdsafe": "kdsafe reset --method auto", "kernel-bus": "kernel bus reset (sysfs)"}[mode]
    res = {}
    for k, m in enumerate(("none", mode)):
        res[m] = [traffic_cycle(lab, m, i, k * lab.cycles + i + 1) for i in range(lab.cycles)]
    s.wall = sum(r["wall"] for rs in res.values() for r in rs)
    for m, rs in res.items():
        for i, r in enumerate(rs):
            s.check(r["traffic"], f"{m} cycle {i}: guest never asked for traffic ({r['outcome']})")
            s.check(r["counted"], f"{m} cycle {i}: state disk did not count it (survives restarts?)")
            # live = Bus Master and RCTL.EN on; RDH moves only while the old ring has free
            # descriptors (RDH == RDT once it fills), so its movement is noted, not asserted
            s.check(r["dirty"], f"{m} cycle {i}: capture kernel found the e1000e stopped "
                                f"(Bus Master or RCTL.EN off): {r['outcome']}")
    none, rst = res["none"], res[mode]
    s.note("e1000e RDH moving in the capture kernel: " + ", ".join(
        f"{m}{i}={'yes' if r['rx_moving'] else 'no'}" for m, rs in res.items()
        for i, r in enumerate(rs)))
    k = sum(r["outcome"] != "ok" for r in none)
    s.note(f"without reset: {k} of {len(none)} cycles failed (QEMU abort or hang): "
           f"{', '.join(r['outcome'] for r in none)}")
    if len(none) >= MIN_FAIL_CYCLES:
        s.check(any(r["outcome"] in ("abort@143", "abort", "timeout") for r in none),
                f"without reset: none of {len(none)} cycles made QEMU abort or hang "
                f"({', '.join(r['outcome'] for r in none)}): the traffic no longer reaches the "
                f"e1000e between the capture kernel's PCI enumeration and the driver (Traffic)")
    else:
        s.note(f"without reset: not asserted with fewer than {MIN_FAIL_CYCLES} cycles")
    for i, r in enumerate(rst):
        s.check(r["outcome"] == "ok", f"with {label}: cycle {i} {r['outcome']}")
    s.note(f"with {label}: {sum(r['outcome'] == 'ok' for r in rst)} of {len(rst)} cycles ok; "
           f"cycle walls " + ", ".join(f"{r['wall']:.0f}s" for rs in res.values() for r in rs))
    log = lab.state_log()
    for m, rs in res.items():
        done = log.count(f"traffic capture mode={m}: done")
        s.check(done == sum(r["outcome"] == "ok" for r in rs),
                f"state disk says {done} {m} cycles done, harness saw "
                f"{sum(r['outcome'] == 'ok' for r in rs)}")


# --- campaign (issue #10): kdsafe test plan/next/step across real crash cycles ---
CAMPAIGN_DEVICES = ("e1000e@root-port", "virtio-blk@root-port", "nvme@root-port")
CAMPAIGN_VARIANTS = ("none", "pm", "bus")   # cut from kdsafe's plan to fit the CI budget
CAMPAIGN_TARGET = "0000:00:1f.2"            # q35's AHCI: the state disk holding the results
E1000E_ID = "8086:10d3"
T_CAMPAIGN = 300   # one cycle: first kernel (drivers, plan, kexec -p) + crash + step


def campaign_disk(lab):
    """A fresh ext4 results disk (the campaign's state disk).  ext4 with its journal, not ext2:
    a crash leaves the file system mounted, and on ext2 the next kernel allocated blocks the
    crashed one had used (fsync writes the file, not the block bitmaps): the journal came back
    interleaved.  ext4 replays its journal at the next mount."""
    img = os.path.join(lab.dir, "campaign.img")
    if os.path.exists(img):
        os.unlink(img)
    with open(img, "wb") as f:
        f.truncate(32 << 20)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-L", "kdsafe", img], check=True)
    return img


def debugfs_cat(img, path, out):
    """A file of the results disk, after e2fsck replayed the journal a last crash left."""
    subprocess.run(["e2fsck", "-fy", img], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if os.path.exists(out):
        os.unlink(out)
    subprocess.run(["debugfs", "-R", f"dump -p {path} {out}", img], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return vm.read(out)


def kd_host(lab, *args):
    r = subprocess.run([lab.kdsafe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    return r.returncode, r.stdout, r.stderr


def scn_campaign(lab, s):
    img = campaign_disk(lab)
    addrs = {n: vm.by_name(n)["addr"] for n in CAMPAIGN_DEVICES}
    e1000e = addrs["e1000e@root-port"]
    args = (f"{lab.reset_arg} kdsafe.devs={','.join(addrs.values())} kdsafe.target={CAMPAIGN_TARGET}"
            f" kdsafe.variants={','.join(CAMPAIGN_VARIANTS)}")
    boots, n = [], None
    while n is None or len(boots) < n:
        tr = Traffic(lab.port)
        b = lab.boot("campaign", f"campaign-{len(boots) + 1}", T_CAMPAIGN, args, tr.on_marker,
                     state=img)
        b.traffic = tr.t is not None
        boots.append(b)
        s.wall += b.wall
        if n is None:
            plan = b.get("first", "plan-kept")
            if not s.check(plan is not None, f"no plan from the first boot ({b.status})"):
                return
            n = len(json.loads(plan)["cycles"])
            s.check(n == len(CAMPAIGN_VARIANTS), f"plan cut to {n} cycles, expected "
                                                 f"{len(CAMPAIGN_VARIANTS)}: {plan}")
            n = min(n, len(CAMPAIGN_VARIANTS))
    for i, b in enumerate(boots, 1):
        s.check(b.traffic, f"cycle {i}: the guest never asked for traffic ({b.status})")
        s.check("capture" in b.done or b.status in ("abort", "timeout"),
                f"cycle {i}: no capture kernel ({b.status}): kdsafe test next did not crash")
    s.note("cycles: " + ", ".join(f"{i}:{b.status}/{b.wall:.0f}s" for i, b in enumerate(boots, 1)))
    jtext = debugfs_cat(img, "/kdsafe/journal.jsonl", os.path.join(lab.dir, "campaign.jsonl"))
    recs = checks.journal(jtext)
    if not s.check(recs, "no journal on the results disk"):
        return
    # the abort: QEMU died in the none cycle; recovery (the next cycle's kdsafe test next) must
    # put it on the e1000e, the device whose driver was loading
    none_cycle = 1 + CAMPAIGN_VARIANTS.index("none")
    nb = boots[none_cycle - 1]
    s.check(nb.status == "abort", f"none cycle: QEMU did not abort ({nb.status}): the e1000e "
                                  f"under traffic loaded without a reset")
    e_out = checks.jr_outcomes(recs, e1000e)
    s.check(e_out.get("none") == ["died-loading"] or
            (e_out.get("none") == ["hang"] and checks.jr_last_load(recs, none_cycle) == e1000e),
            f"the abort is not attributed to the e1000e: its none outcomes {e_out.get('none')}, "
            f"last load intent of cycle {none_cycle}: {checks.jr_last_load(recs, none_cycle)}")
    s.note(f"journal: {len(recs)} records; e1000e outcomes {e_out}")
    # the whitelist, its quirks, quirks check
    wl_json = os.path.join(lab.dir, "campaign-whitelist.json")
    quirks = os.path.join(lab.dir, "campaign-quirks.conf")
    rc, out, err = kd_host(lab, "whitelist", "--format", "json", "--emit-quirks", quirks,
                           os.path.join(lab.dir, "campaign.jsonl"))
    with open(wl_json, "w") as f:
        f.write(out)
    if not s.check(rc == 0, f"kdsafe whitelist: exit {rc}: {err.strip()}"):
        return
    doc = json.loads(out)
    inp = checks.wl_inputs(doc)
    s.check(inp.get("malformed") == 0 and inp.get("torn") == 0, f"whitelist inputs: {inp}")
    devs = checks.wl_devices(doc)
    e = devs.get(E1000E_ID)
    if s.check(e is not None, f"no whitelist entry for the e1000e ({sorted(devs)})"):
        v = checks.wl_variants(e)
        s.check(checks.wl_verdict(e) != "safe", f"e1000e is `safe`: {checks.wl_evidence(e)}")
        s.check(v.get("pm", (None,))[0] in ("fail", "no-op"),
                f"e1000e pm not recorded ineffective or failing: {v.get('pm')}")
        s.check(v.get("bus", (None,))[0] == "pass", f"e1000e bus reset did not work: {v.get('bus')}")
    for name, a in addrs.items():
        d = vm.by_name(name)
        ids = next((k for k, x in devs.items() if any(
            r.get("address") == a and f"{r.get('vendor')}:{r.get('device')}" == k for r in recs)), None)
        x = devs.get(ids)
        if not s.check(x is not None, f"{name}: no whitelist entry"):
            continue
        counts = {k: sum(o.values()) for k, (_, o) in checks.wl_variants(x).items()}
        s.check(checks.wl_verdict(x) not in (None, "untested") and checks.wl_evidence(x)
                and any(counts.values()), f"{name}: verdict {checks.wl_verdict(x)} without evidence "
                                          f"({checks.wl_evidence(x)!r}, counts {counts})")
        s.note(f"whitelist {name} ({ids}): {checks.wl_verdict(x)} {checks.wl_fix(x) or ''}; "
               f"{checks.wl_evidence(x)}")
    s.check(os.path.exists(quirks) and "[8086:10d3" in vm.read(quirks),
            f"emitted quirks have no e1000e entry: {vm.read(quirks)!r}")
    rc, out, err = kd_host(lab, "quirks", "check", quirks)
    s.check(rc == 0, f"kdsafe quirks check on the emitted file: exit {rc}: {(out + err).strip()}")


# --- distro (issue #11): kdsafe in capture initramfs images built by initramfs-tools and dracut ---
# The generators and each one's crash cycles with kdsafe on (a full boot each, ~1 min): two
# for mkinitramfs (Debian's kdump-tools), one for dracut, to keep check-vm in its budget.
# KDSAFE_VM_DISTRO="itools:1" narrows them while working on the harness, and then leaves out
# the kdsafe=off and normal boots (docs/lab.md).
DISTRO_PLAN = [(g.split(":")[0], int((g.split(":") + ["1"])[1]))
               for g in os.environ.get("KDSAFE_VM_DISTRO", "itools:2,dracut:1").split(",")]
DISTRO_NARROWED = "KDSAFE_VM_DISTRO" in os.environ
HOOK_DONE = re.compile(r"kdsafe: done in ([0-9.]+) s: .*longest reset wait ([0-9.]+) s"
                       r"(?: \([^)]*\); since exec ([0-9.]+) s)?")
LAB_PING = re.compile(r"kdsafe-lab: e1000e (\S+) carrier=(\d*) ping (\d+)/3")


def distro_outer_initrd(lab, img, out):
    """The lab's first-kernel initramfs with IMG as the capture initrd (/boot/initrd.img)."""
    sh = ('set -e; d=$(mktemp -d); mkdir -p $d/boot; cp "$1" $d/boot/vmlinuz; cp "$2" $d/boot/initrd.img;'
          ' (cd $d && find . | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 |'
          ' cat "$3" - > "$4"; rm -rf $d')
    subprocess.run(["sh", "-c", sh, "sh", lab.vmlinuz, img, f"{lab.dir}/inner.cpio.gz", out], check=True)


def capture_console(lab, tag):
    con = vm.read(f"{lab.dir}/{tag}.console")
    return con[con.rfind("Linux version"):] if con.count("Linux version") > 1 else ""


def fresh_disk(path, size=16 << 20):
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def kept_results(img, dest):
    """The stand-in's tar on the raw state disk (distro/standin.sh), unpacked into DEST: the
    names of its regular files; an empty dict when the disk holds none."""
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    try:
        with tarfile.open(img, "r:") as t:
            names = [m for m in t.getmembers() if m.isfile() and "/" not in m.name
                     and not m.name.startswith(".")]
            for m in names:
                with open(os.path.join(dest, m.name), "wb") as f:
                    f.write(t.extractfile(m).read())
    except tarfile.TarError:
        return {}
    return {m.name: os.path.join(dest, m.name) for m in names}


DRIVER_BINDS = re.compile(r"e1000e: Intel\(R\) PRO/1000|virtio_blk virtio\d|nvme nvme\d: pci function")


def kd_lines(lines):
    return [i for i, l in enumerate(lines) if "kdsafe: " in l and "kdsafe-vm" not in l]


def distro_build(lab, s):
    out = os.path.join(lab.dir, "distro")
    t0 = time.monotonic()
    r = subprocess.run([f"{HERE}/distro-initrd.sh", lab.tree, lab.cache, out], stderr=subprocess.PIPE,
                       text=True)
    s.note("build: " + "; ".join(l.split(": ", 1)[-1] for l in r.stderr.splitlines()
                                 if l.startswith("distro-initrd: ")) + f"; wall {time.monotonic() - t0:.0f}s")
    if not s.check(r.returncode == 0, f"distro-initrd.sh failed: {r.stderr[-500:]}"):
        return None
    order = vm.read(f"{out}/itools.ORDER")
    k, u = order.find("/scripts/init-top/kdsafe"), order.find("/scripts/init-top/udev")
    s.check(0 <= k < u, f"initramfs-tools ORDER: kdsafe not before udev: {order!r}")
    s.check("usr/sbin/kdsafe" in vm.read(f"{out}/itools.list"), "mkinitramfs image without kdsafe")
    s.check("pre-udev/10-kdsafe" in vm.read(f"{out}/dracut.list"), "dracut image without the pre-udev hook")
    sizes = {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in vm.read(f"{out}/sizes").splitlines()}
    for gen, (w, wo) in sizes.items():
        s.note(f"{gen} image: {w} bytes, {wo} without kdsafe: kdsafe adds {(w - wo) / 1024:.0f} KiB")
    return out, sizes


def distro_capture(lab, s, out, gen, mode, cycle, bench):
    """One crash with the e1000e under traffic and GEN's image as the capture initrd."""
    outer = os.path.join(lab.dir, f"initrd-distro-{gen}.cpio.gz")
    if not os.path.exists(outer) or os.path.getmtime(outer) < os.path.getmtime(f"{out}/{gen}.img"):
        distro_outer_initrd(lab, f"{out}/{gen}.img", outer)
    first = vm.Lab(lab.dir, lab.vmlinuz, outer)
    first.port = lab.port
    tr = Traffic(lab.port)
    tag = f"distro-{gen}-{mode}{cycle}"
    state = fresh_disk(os.path.join(lab.dir, f"{tag}.state.img"))
    extra = "kdsafe.capture_args=kdsafe=off" if mode == "off" else ""
    b = first.boot("distro", tag, T_CYCLE, extra, tr.on_marker, state=state)
    s.wall += b.wall
    cap = capture_console(lab, b.tag)
    name = f"{gen} {mode} cycle {cycle}"
    if not s.check(bool(cap) and tr.t is not None, f"{name}: no capture kernel ({b.status})"):
        return
    lines = cap.splitlines()
    kd, drv = kd_lines(lines), [i for i, l in enumerate(lines) if DRIVER_BINDS.search(l)]
    ping = LAB_PING.search(cap)
    if mode == "off":
        s.check(not kd, f"{name}: kdsafe=off, kdsafe still ran: {[lines[i] for i in kd]}")
        s.note(f"{name}: QEMU {b.status}, e1000e ping {ping.group(3) + '/3' if ping else 'never ran'}"
               " (without kdsafe the e1000e under traffic aborts QEMU)")
        return
    s.check(kd and (not drv or kd[0] < drv[0]),
            f"{name}: kdsafe's /dev/kmsg lines not before the first driver (kdsafe {kd[:1]}, driver {drv[:1]})")
    for a in (vm.by_name(n)["addr"] for n in ("e1000e@root-port", "virtio-blk@root-port", "nvme@root-port")):
        s.check(any(f"kdsafe: {a}: ok via" in l for l in lines), f"{name}: kdsafe did not reset {a}: "
                + " | ".join(lines[i].strip() for i in kd))
    # traffic: the NIC under bursts since before the crash answers pings after its driver loads
    s.check(b.status == "exit0" and ping and int(ping.group(3)) >= 2,
            f"{name}: e1000e after kdsafe: QEMU {b.status}, ping {ping.group(0) if ping else 'never ran'}")
    done = HOOK_DONE.search(cap)
    if s.check(done, f"{name}: no `kdsafe: done in` line"):
        bench["hook"].append({"gen": gen, "cycle": cycle, "elapsed_s": float(done.group(1)),
                              "longest_wait_s": float(done.group(2)),
                              "since_exec_s": float(done.group(3)) if done.group(3) else None})
    s.note(f"{name} ({b.wall:.0f}s): {ping.group(0).split(': ', 1)[1] if ping else 'no ping'}; "
           + (done.group(0) if done else "") + "; " + " | ".join(lines[i].split("] ", 1)[-1] for i in kd[:3]))
    if cycle == 1:
        distro_replay(lab, s, name, state, os.path.join(lab.dir, f"{tag}.kept"))


def distro_replay(lab, s, name, state, dest):
    """`kdsafe snapshot` taken in the capture kernel, replayed here: the same `probe -v`."""
    kept = kept_results(state, dest)
    if not s.check("snap.tar" in kept and "probe.txt" in kept, f"{name}: nothing kept on the state disk "
                   f"({sorted(kept)})"):
        return
    s.check(vm.read(kept["snap.rc"]).strip() == "0", f"{name}: kdsafe snapshot exit "
            f"{vm.read(kept['snap.rc']).strip()}: {vm.read(kept.get('snap.out', '')).strip()[-300:]}")
    snap = os.path.join(dest, "snap")
    os.makedirs(snap, exist_ok=True)
    subprocess.run(["tar", "-xf", kept["snap.tar"], "-C", snap], check=False)
    top = next((os.path.dirname(os.path.join(d, "kdsafe-snapshot.txt")) for d, _, f in os.walk(snap)
                if "kdsafe-snapshot.txt" in f), None)
    if not s.check(top, f"{name}: the snapshot tarball has no kdsafe-snapshot.txt"):
        return
    rc, here, err = kd_host(lab, "--sysroot", top, "probe", "-v")
    there = vm.read(kept["probe.txt"])
    same = rc == 0 and here == there
    if not same:
        with open(dest + ".replay.diff", "w") as f:
            f.writelines(difflib.unified_diff(there.splitlines(True), here.splitlines(True),
                                              "capture kernel", "replayed on the host"))
    s.check(same, f"{name}: snapshot replay differs from the capture kernel's probe -v (exit {rc}, "
                  f"{err.strip()[:200]}; diff in {dest}.replay.diff)")
    s.note(f"{name}: snapshot from the capture kernel ({os.path.getsize(kept['snap.tar'])} bytes), "
           f"probe -v replayed on the host: {'identical' if same else 'DIFFERENT'}, {len(there.splitlines())} lines")


def distro_normal(lab, s, out, gen):
    """A normal boot of the same image (no crash, no /proc/vmcore): kdsafe says nothing and the
    e1000e works."""
    normal = vm.Lab(lab.dir, lab.vmlinuz, f"{out}/{gen}.img")
    b = normal.boot("distro", f"distro-{gen}-normal", T_ONE_BOOT, "root=/dev/vda rootfstype=ext4 rootdelay=1 rd.shell=0")
    s.wall += b.wall
    con = vm.read(f"{lab.dir}/{b.tag}.console")
    lines = con.splitlines()
    ping = LAB_PING.search(con)
    s.check("Linux version" in con and not kd_lines(lines),
            f"{gen} normal boot: kdsafe ran or no boot ({b.status}): {[lines[i] for i in kd_lines(lines)][:3]}")
    s.check(ping and int(ping.group(3)) >= 2, f"{gen} normal boot: the stand-in's ping "
            f"{ping.group(0) if ping else 'never ran'} ({b.status})")
    s.note(f"{gen} normal boot ({b.wall:.0f}s, {b.status}): no kdsafe line; "
           f"{ping.group(0).split(': ', 1)[1] if ping else 'no ping'}")


def scn_distro(lab, s):
    built = distro_build(lab, s)
    if not built:
        return
    out, sizes = built
    bench = {"sizes": {g: {"with": w, "without": wo} for g, (w, wo) in sizes.items()}, "hook": []}
    for gen, cycles in DISTRO_PLAN:
        for cycle in range(1, cycles + 1):
            distro_capture(lab, s, out, gen, "on", cycle, bench)
        if not DISTRO_NARROWED:
            distro_capture(lab, s, out, gen, "off", 1, bench)
            distro_normal(lab, s, out, gen)
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump(bench, f, indent=1)
    s.note(f"bench numbers for `make bench`: {out}/bench.json")


def scn_kexec(lab, s):
    b = lab.boot("kexec", "kexec", T_CYCLE)
    s.wall = b.wall
    ok, bad = health_ok(b.get("first", "health-first"))
    s.check(ok, f"first kernel health: {bad}")
    if not s.check(b.finished("kexeced"), f"kexec'd kernel did not finish ({b.status})"):
        return
    lab_addrs_present(s, b, "kexeced")
    check_probe(s, b, "kexeced", lab)
    for d in vm.DEVICES:
        x = targets(b, "kexeced").get(d["addr"], {})
        keys = " ".join(f"{k}={x[k]}" for k in checks.REGS if k in x)
        s.note(f"after kexec -e {d['name']}: bme={int(checks.bme(x))} {keys}" if x else d["name"])
        if x and x["kind"] == "virtio":   # lab notes: device_shutdown resets virtio, BME off
            s.check(not checks.bme(x) and checks.engine(x) is False, f"{d['name']} not quiet: {x}")
    check_audit(s, b, lab)


def check_audit(s, b, lab):
    """kdsafe test audit after the clean kexec -e: each function of the first kernel's binding map
    is `live` (with "bus-master" among what was left) exactly when the raw Command register
    (setpci) has Bus Master on and no driver is bound again, `quiet` when off; exit 1 iff a driver
    is named."""
    if not lab.kdsafe:
        return s.note("kexec audit: not run (--no-kdsafe)")
    s.check(b.rcs.get(("first", "audit-before")) == 0, "kdsafe test audit --before failed")
    rc, text = b.rcs.get(("kexeced", "audit")), b.get("kexeced", "audit") or ""
    try:
        audit = checks.audit_functions(text)
    except (ValueError, KeyError, TypeError) as e:
        return s.check(False, f"kdsafe test audit --json unreadable (rc={rc}): {e!r} {text[:200]!r}")
    raw = checks.commands(b.get("kexeced", "commands"))
    named = []
    for a, f in audit.items():
        st, left, bm = checks.a_state(f), checks.a_left(f), raw.get(a)
        if st == "bound-again" or bm is None:
            continue
        bm = bool(bm & 4)
        s.check((st == "live" and "bus-master" in left) == bm and st in ("live", "quiet"),
                f"audit {a} ({checks.a_driver(f)}): {st} {left}, raw Command Bus Master {bm}")
        if st == "live":
            named.append(f"{checks.a_driver(f)} ({a}: {', '.join(left)})")
    s.check(rc == (1 if named else 0), f"kdsafe test audit exit {rc} with {len(named)} named")
    s.check(len(audit) > 0, "audit: the binding map listed no function")
    s.note(f"kexec audit: {len(audit)} bound functions before kexec; left live: "
           f"{'; '.join(named) or 'none'}")


SCENARIOS = {"probe": scn_probe, "methods": scn_methods, "crash": scn_crash,
             "traffic": scn_traffic, "kexec": scn_kexec, "campaign": scn_campaign,
             "distro": scn_distro}
# what `make check-vm` runs without KDSAFE_VM_SCENARIOS (docs/lab.md: the CI budget)
DEFAULT = ["probe", "methods", "crash", "traffic", "kexec", "campaign", "distro"]


def prepare(a):
    if not shutil.which("qemu-system-x86_64"):
        die("qemu-system-x86_64 not found: install qemu-system-x86")
    for t in ("kexec", "lspci", "busybox"):
        if not shutil.which(t):
            die(f"{t} not found: install kexec-tools, pciutils, busybox-static")
    if a.no_kdsafe:
        kd, reset = None, False
    else:
        kd = os.path.abspath(a.kdsafe)
        if not os.access(kd, os.X_OK):
            die(f"{a.kdsafe} missing: build kdsafe first (make)")
        reset = subprocess.run([kd, "reset", "--help"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL).returncode == 0
    r = subprocess.run([f"{HERE}/fetch-kernel.sh", a.cache], stdout=subprocess.PIPE, text=True)
    if r.returncode:
        die("kernel package not available (see fetch-kernel messages above)")
    tree = r.stdout.strip().splitlines()[-1]
    work = os.path.join(a.cache, "run")
    os.makedirs(work, exist_ok=True)
    if subprocess.run([f"{HERE}/mkinitramfs.sh", tree, kd or "none", work]).returncode:
        die("initramfs build failed")
    lab = vm.Lab(work, f"{work}/vmlinuz", f"{work}/initrd.cpio.gz")
    lab.make_disks()
    lab.kdsafe, lab.reset, lab.cycles = kd, reset, a.cycles
    lab.tree, lab.cache = tree, os.path.abspath(a.cache)
    lab.reset_arg = "kdsafe.reset=1" if reset else ""
    return lab


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cache", required=True)
    p.add_argument("--kdsafe", default="build/kdsafe")
    p.add_argument("--no-kdsafe", action="store_true", help="develop the harness without the binary")
    p.add_argument("--cycles", type=int, default=3, help="e1000e traffic cycles per mode")
    p.add_argument("scenarios", nargs="*", default=DEFAULT)
    a = p.parse_args()
    bad = [x for x in a.scenarios if x not in SCENARIOS]
    if bad:
        die(f"unknown scenario {bad}; known: {' '.join(SCENARIOS)}")
    t0 = time.monotonic()
    lab = prepare(a)
    print(f"check-vm: prepared in {time.monotonic() - t0:.0f}s; kdsafe reset "
          f"{'present' if lab.reset else 'missing'}; logs in {lab.dir}", flush=True)
    done = []
    for name in a.scenarios:
        s = Scenario(name)
        SCENARIOS[name](lab, s)
        done.append(s)
        print(f"{'PASS' if not s.fails else 'FAIL'} {name:8} {s.wall:6.1f}s  "
              f"({s.asserts} checks)", flush=True)
        for n in s.notes:
            print(f"     {n}")
        for f in s.fails:
            print(f"  !! {f}")
    failed = sum(bool(s.fails) for s in done)
    print(f"check-vm: total {time.monotonic() - t0:.0f}s")
    print(f"check-vm: {len(done) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
