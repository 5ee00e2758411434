#!/usr/bin/env python3
"""make bench: kdsafe in the kdump initramfs, from the last lab run (make check-vm, distro).

- Time the hook adds to the capture boot (its own `kdsafe: done in X s` line, from entering
  `kdsafe hook` to its last line) as a ratio to the longest reset wait it had to take (the
  waits the PCIe spec and the kernel mandate, `longest reset wait Y s`): target <= 1.2.
  Also from the process's start (`since exec Z s`: exec and the dynamic loader too, in
  clock ticks, so up to 10 ms long), what the boot pays for it.
- Bytes kdsafe adds to each compressed kdump initramfs: the image with kdsafe minus the same
  image built without it (libraries already there, like libkmod, count once): target <= 600 KiB.
Usage: distro.py BENCH_JSON (tests/vm/run.py writes it)."""
import json
import os
import statistics
import sys
import time

TIME_TARGET, SIZE_TARGET = 1.2, 600 * 1024


def main(path):
    try:
        with open(path) as f:
            b = json.load(f)
    except FileNotFoundError:
        print(f"kdump initramfs benchmark: no lab run on record ({path}): "
              "make check-vm (its distro scenario) measures it")
        return 0
    age = (time.time() - os.path.getmtime(path)) / 3600
    print(f"kdump initramfs benchmark: from the lab run of {time.ctime(os.path.getmtime(path))} "
          f"({age:.1f} h ago)")
    for gen, s in sorted(b.get("sizes", {}).items()):
        add = s["with"] - s["without"]
        print(f"  {gen:7} image: {s['with'] / 1024:.0f} KiB, without kdsafe {s['without'] / 1024:.0f} KiB:"
              f" kdsafe adds {add / 1024:.0f} KiB, {add / SIZE_TARGET:.2f} of 600 KiB")
    hooks = b.get("hook", [])
    if not hooks:
        print("  hook time: no cycle recorded a `kdsafe: done in` line")
        return 0
    ratios, exec_ratios = [], []
    for h in hooks:
        wait = h["longest_wait_s"]
        r = h["elapsed_s"] / wait if wait else float("inf")
        ratios.append(r)
        line = (f"  {h['gen']:7} cycle {h['cycle']}: hook {h['elapsed_s']:.3f} s, longest reset wait "
                f"{wait:.3f} s: ratio {r:.2f} (target <= {TIME_TARGET})")
        if h.get("since_exec_s"):
            e = h["since_exec_s"] / wait if wait else float("inf")
            exec_ratios.append(e)
            line += f"; since exec {h['since_exec_s']:.3f} s: {e:.2f}"
        print(line)
    print(f"  hook time ratio: median {statistics.median(ratios):.2f}, worst {max(ratios):.2f} "
          f"over {len(ratios)} cycles (target <= {TIME_TARGET})")
    if exec_ratios:
        print(f"  from the process's start: median {statistics.median(exec_ratios):.2f}, worst "
              f"{max(exec_ratios):.2f} over {len(exec_ratios)} cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
