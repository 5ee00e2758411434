#!/usr/bin/env python3
"""Writes the journals tests/whitelist/run.sh merges (checked in; rerun
after a schema change): two machines, one device per verdict.

  8086:10d3 e1000e   works only after FLR (none hangs, pm is a no-op)
  8086:2922 ahci     dies loading without a reset; FLR fails; bus works
  1af4:1041 virtio   safe without a fix
  10ec:8168 r8169    fails whatever is done          -> unsafe
  14e4:1657 tg3      none passed twice, failed once   -> inconsistent
  1b36:000d xhci     listed in the intents only       -> untested
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DEVS = {
    "e1000e": ("0000:00:02.0", "8086", "10d3", "8086", "0000", "020000"),
    "ahci": ("0000:00:1f.2", "8086", "2922", "1af4", "1100", "010601"),
    "virtio-pci": ("0000:00:03.0", "1af4", "1041", "1af4", "1100", "020000"),
    "r8169": ("0000:00:04.0", "10ec", "8168", "10ec", "8168", "020000"),
    "tg3": ("0000:00:05.0", "14e4", "1657", "103c", "22be", "020000"),
    "xhci_hcd": ("0000:00:06.0", "1b36", "000d", "1af4", "1100", "0c0330"),
}
# variant -> driver -> outcomes per repeat
PLAN = {
    "none": {"e1000e": ["hang"] * 3, "ahci": ["died-loading"] * 3,
             "virtio-pci": ["pass"] * 3, "r8169": ["fail"] * 3,
             "tg3": ["pass", "fail", "pass"]},
    "pm": {"e1000e": ["reset-ineffective"] * 3},
    "flr": {"e1000e": ["pass"] * 3, "ahci": ["reset-failed"] * 3,
            "r8169": ["fail"] * 3},
    "bus": {"e1000e": ["pass"] * 3, "ahci": ["pass"] * 3,
            "r8169": ["hang"] * 3},
}


def dev(drv):
    a, v, d, sv, sd, c = DEVS[drv]
    return {"address": a, "vendor": v, "device": d, "subsys_vendor": sv,
            "subsys_device": sd, "class": c, "driver": drv}


def head(kind, machine, cycle, repeat, variant):
    return {"schema": 1, "kind": kind, "time": 1700000000 + cycle * 60,
            "machine": machine, "kernel": "6.1.0-13-amd64", "cycle": cycle,
            "repeat": repeat, "variant": variant}


def journal(machine, repeats):
    lines, cycle = [], 0
    for variant, per in PLAN.items():
        for r in repeats:
            cycle += 1
            rec = head("intent", machine, cycle, r, variant)
            rec["step"] = "cycle"
            drivers = list(per) + (["xhci_hcd"] if variant == "none" else [])
            rec["devices"] = [dev(x) for x in drivers]
            lines.append(rec)
            for drv in per:
                o = head("outcome", machine, cycle, r, variant)
                o.update(dev(drv))
                o.update({"outcome": per[drv][r - 1], "reason": None,
                          "timings": {"fix_ms": 10, "load_ms": 300,
                                      "health_ms": 2000},
                          "state_before": {"bus_master": True},
                          "state_after": {"bus_master": False}})
                lines.append(o)
            if variant == "none":   # xhci never reached
                o = head("outcome", machine, cycle, r, variant)
                o.update(dev("xhci_hcd"))
                o.update({"outcome": "not-reached", "reason": None,
                          "recovered": True})
                lines.append(o)
    return "".join(json.dumps(x, separators=(",", ":")) + "\n" for x in lines)


def main():
    fx = os.path.join(HERE, "fixtures")
    with open(os.path.join(fx, "lab", "m1.jsonl"), "w") as f:
        f.write(journal("machine-1", [1, 2]))
    with open(os.path.join(fx, "lab", "m2", "journal.jsonl"), "w") as f:
        f.write(journal("machine-2", [3]))
    with open(os.path.join(fx, "lab", "m2", "notes.txt"), "w") as f:
        f.write("not a journal: ignored by the directory walk\n")
    good = journal("machine-3", [1]).splitlines(keepends=True)
    with open(os.path.join(fx, "malformed.jsonl"), "w") as f:
        f.write(good[0])
        f.write("{\"schema\":1,\"kind\":\"outcome\"}\n")
        f.write(good[1])
        f.write("this is not json\n")
        f.write(good[2][:40])          # torn: no newline


main()
