#!/usr/bin/env python3
"""Seed corpus for the dump fuzzers (make fuzz): every device block of the
given dumps as its own seed, every bus (a bridge and what sits below it, a
PF and its VFs) as one, and every dump smaller than MAX as a whole; blocks lose their trailing
all-zero lines so that most seeds fit.

    seed-dumps.py OUTDIR tests/fixtures/*.dump
"""
import os
import re
import sys

MAX = 16384
HEADER = re.compile(r"^[0-9a-fA-F]+:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]\b|"
                    r"^[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]\b")


def blocks(text):
    cur = []
    for line in text.splitlines(keepends=True):
        if HEADER.match(line):
            if cur:
                yield "".join(cur)
            cur = [line]
        elif cur:
            cur.append(line)
    if cur:
        yield "".join(cur)


ZERO = re.compile(r"^[0-9a-fA-F]+:( 00)+\s*$")


def trim(block):
    """The block without its trailing all-zero data lines (past 0x40):
    small seeds with the same capabilities."""
    lines = block.splitlines(keepends=True)
    tail = []
    while lines and (not lines[-1].strip() or lines[-1].startswith("#")):
        tail.insert(0, lines.pop())
    while len(lines) > 5 and ZERO.match(lines[-1]):
        lines.pop()
    lines += tail
    return "".join(lines)


def bus_of(block):
    addr = block.split(None, 1)[0]
    parts = addr.split(":")
    return ":".join(parts[:-1])


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0

    def emit(name, text):
        nonlocal n
        if len(text) > MAX:
            return
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
        n += 1

    for path in sys.argv[2:]:
        base = os.path.basename(path).rsplit(".", 1)[0]
        text = open(path).read()
        emit(base + ".whole", text)
        bl = [trim(b) for b in blocks(text)]
        emit(base + ".trimmed", "".join(bl))
        buses = {}
        for i, b in enumerate(bl):
            emit(f"{base}.{i:03d}", b)
            buses.setdefault(bus_of(b), []).append(b)
        # a bus with the bridge above it (its secondary bus is this bus)
        for i, (bus, members) in enumerate(sorted(buses.items())):
            emit(f"{base}.bus{i:03d}", "".join(members))
            if i:
                emit(f"{base}.pair{i:03d}",
                     "".join(buses[sorted(buses)[i - 1]][:2] + members[:3]))
    print(f"seed-dumps: {n} seeds in {out}")


main()
