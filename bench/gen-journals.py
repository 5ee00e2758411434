#!/usr/bin/env python3
"""Campaign journals for the whitelist benchmark: RECORDS records (default
1,000,000) from MACHINES machines (default 1,000), one file per machine
under DIR, in the schema of docs/journal.md.  Each machine has 12 of 400
device models; each cycle writes a cycle intent, then per device a load
intent and its outcome (reasons on failures, recovered hang/died-loading,
state objects), as kdsafe test does.  Deterministic (seeded).

usage: gen-journals.py DIR [RECORDS [MACHINES]]
"""
import json
import os
import random
import sys

VARIANTS = ["none", "quiesce", "flr", "pm", "bus", "kernel"]
OUTCOMES = ["pass"] * 8 + ["fail", "hang", "reset-ineffective",
                           "died-loading", "not-reached"]
REASONS = {"fail": "driver probe returned -110 (ETIMEDOUT)",
           "hang": "the cycle never finished: recovered at the next boot",
           "died-loading": "loading the driver killed the capture kernel",
           "not-reached": "the machine died on another device first",
           "reset-ineffective": "bus master still set after the reset"}
CLASSES = ["020000", "010802", "0c0330", "010601", "020700", "030000"]


def main():
    out = sys.argv[1]
    records = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    machines = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    rng = random.Random(10)
    models = [("%04x" % rng.randrange(0x1000, 0xffff),
               "%04x" % rng.randrange(0x1000, 0xffff),
               "%04x" % rng.randrange(0x1000, 0xffff),
               "%04x" % rng.randrange(0x0000, 0xffff),
               rng.choice(["e1000e", "igb", "ahci", "nvme", "xhci_hcd",
                           "mlx5_core", "i40e", "virtio-pci"]),
               rng.choice(CLASSES))
              for _ in range(400)]
    kernels = ["6.1.0-13-amd64", "6.6.15-amd64", "6.12.9-amd64"]
    os.makedirs(out, exist_ok=True)
    per_machine = records // machines
    for m in range(machines):
        mid = "%032x" % rng.getrandbits(128)
        kernel = kernels[m % len(kernels)]
        devs = [(f"0000:{i + 1:02x}:00.0",) + models[rng.randrange(400)]
                for i in range(12)]
        lines, cycle = [], 0
        while len(lines) < per_machine:
            cycle += 1
            variant = VARIANTS[(cycle - 1) % len(VARIANTS)]
            head = (f'{{"schema":1,"kind":"%s","time":{1700000000 + cycle},'
                    f'"machine":"{mid}","kernel":"{kernel}",'
                    f'"cycle":{cycle},"repeat":{(cycle - 1) // 6 % 3 + 1},'
                    f'"variant":"{variant}"')
            dev_objs = []
            for a, v, d, sv, sd, drv, cls in devs:
                dev_objs.append((a, drv,
                    f'"address":"{a}","vendor":"{v}","device":"{d}",'
                    f'"subsys_vendor":"{sv}","subsys_device":"{sd}",'
                    f'"class":"{cls}","driver":"{drv}"'))
            lines.append(head % "intent" + ',"step":"cycle","devices":[' +
                         ",".join("{" + x[2] + "}" for x in dev_objs) + "]}")
            for a, drv, obj in dev_objs:
                lines.append(
                    head % "intent" + f',"step":"load","module":"{drv}",' +
                    obj + f',"note":"loading {drv} for {a}"}}')
                o = rng.choice(OUTCOMES)
                reason = ('"%s"' % REASONS[o]) if o in REASONS else "null"
                cmd = rng.choice(["0x0406", "0x0402", "0x0000"])
                lines.append(
                    head % "outcome" + "," + obj +
                    f',"outcome":"{o}","reason":{reason},"timings":'
                    f'{{"fix_ms":{rng.randrange(200)},"load_ms":'
                    f'{rng.randrange(900)},"health_ms":{rng.randrange(3000)}}},'
                    f'"state_before":{{"command":"{cmd}","bus_master":true}},'
                    '"state_after":{"command":"0x0000","bus_master":false}' +
                    (',"recovered":true' if o in ("hang", "died-loading",
                                                  "not-reached") else "") +
                    "}")
        with open(os.path.join(out, f"machine-{m:04d}.jsonl"), "w") as f:
            f.write("\n".join(lines[:per_machine]) + "\n")


main()
