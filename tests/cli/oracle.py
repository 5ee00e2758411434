#!/usr/bin/env python3
"""Cross-checks kdsafe probe --json against lspci -D -PP -vvv on one tree.

    oracle.py NAME LSPCI_TEXT KDSAFE_JSON KNOWN_FILE TREE

LSPCI_TEXT is `lspci -A linux-sysfs -O sysfs.path=TREE/sys/bus/pci -D -PP
-nn -vvv`; the kdsafe modalias is also checked against TREE's modalias files
(what the kernel would show).

Prints one line per disagreement, "NAME ADDRESS FIELD: lspci X, kdsafe Y".
A line whose "NAME ADDRESS FIELD" is listed in KNOWN_FILE is a known bug
(XFAIL); a listed one that no longer happens is reported too (XPASS: remove
it from the list).  Exit 0 when everything else agrees.
"""
import json
import re
import sys

HEAD = re.compile(r"^(\S+) ")


def blocks(text):
    """{address: (parent or None, block text)} from lspci -D -PP -vvv."""
    out = {}
    for block in text.strip().split("\n\n"):
        m = HEAD.match(block)
        if not m:
            continue
        path = m.group(1).split("/")
        dom = path[0].rsplit(":", 2)[0]
        addr = path[0] if len(path) == 1 else dom + ":" + path[-1]
        parent = None
        if len(path) > 1:
            parent = path[-2] if len(path) == 2 else dom + ":" + path[-2]
        out[addr] = (parent, block)
    return out


def flag(block, pattern):
    """'+'/'-' of the first match of pattern (ending in a ([+-]) group)."""
    m = re.search(pattern, block)
    return None if not m else m.group(1) == "+"


def get(obj, *keys):
    for k in keys:
        if obj is None:
            return None
        obj = obj.get(k)
    return obj


def compare(addr, parent, block, fn, modalias, report):
    def check(field, lspci_value, ours):
        if lspci_value != ours:
            report(addr, field, lspci_value, ours)

    check("parent", parent, fn["parent"] if parent else None)
    m = re.match(r"\S+ .*\[([0-9a-f]{4})\]: .*\[([0-9a-f]{4}):([0-9a-f]{4})\]",
                 block)
    check("sysfs_modalias", modalias, fn.get("modalias", modalias))
    if "Unknown header type 7f" in block:
        check("dead", True, fn["verdict"] == "dead")
        return
    check("dead", False, fn["verdict"] == "dead")
    if fn["verdict"] == "dead":
        return
    check("ids", m and m.group(2, 3), (fn["vendor"], fn["device"]))
    check("class", m and m.group(1), fn["class"][:4])
    m = re.search(r"\n\tSubsystem: .*\[([0-9a-f]{4}):([0-9a-f]{4})\]", block)
    check("subsystem", m.group(1, 2) if m else ("0000", "0000"),
          (fn["subsystem_vendor"], fn["subsystem_device"]))
    st = fn["state"]
    check("bus_master", flag(block, r"Control:.* BusMaster([+-])"),
          st["command"]["bus_master"])
    check("intx_disable", flag(block, r"Control:.* DisINTx([+-])"),
          st["command"]["intx_disable"])
    status = re.search(r"\n\tStatus: Cap.*", block).group(0)
    for word, key in ((">TAbort", "signaled_target_abort"),
                      ("<TAbort", "received_target_abort"),
                      ("<MAbort", "received_master_abort"),
                      (">SERR", "signaled_system_error"),
                      ("<PERR", "detected_parity_error"),
                      ("INTx", "intx_pending")):
        check("status." + key, flag(status, re.escape(word) + r"([+-])"),
              st["status"][key])
    m = re.search(r"Kernel driver in use: (\S+)", block)
    check("driver", m and m.group(1), get(fn, "driver", "name"))

    if "Capabilities: <access denied>" in block:
        for cap in ("msi", "msix", "pcie", "aer", "link"):
            check(cap, None, st[cap])
        check("power_state", None, st["power_state"])
        return

    check("flr", bool(flag(block, r"DevCap:(?:.|\n)*?FLReset([+-])")),
          fn["reset"]["flr"])
    af = re.search(r"AFCap: TP([+-]) FLR([+-])", block)
    check("af_flr", bool(af and af.groups() == ("+", "+")),
          fn["reset"]["af_flr"])
    pm = re.search(r"Power Management version \d\n(?:\t\t.*\n)*?"
                   r"\t\tStatus: D(\d) NoSoftRst([+-])", block + "\n")
    check("pm_no_soft_reset", pm and pm.group(2) == "+",
          fn["reset"]["pm_no_soft_reset"])
    check("power_state", pm and ("D3hot" if pm.group(1) == "3" else
                                 "D" + pm.group(1)), st["power_state"])

    m = re.search(r"MSI: Enable([+-]) Count=(\d+)/(\d+)", block)
    check("msi", m and (m.group(1) == "+", int(m.group(2)),
                        int(m.group(3))),
          st["msi"] and (st["msi"]["enable"], st["msi"]["vectors_enabled"],
                         st["msi"]["vectors_max"]))
    m = re.search(r"MSI-X: Enable([+-]) Count=(\d+) Masked([+-])", block)
    check("msix", m and (m.group(1) == "+", int(m.group(2)),
                         m.group(3) == "+"),
          st["msix"] and (st["msix"]["enable"], st["msix"]["table_size"],
                          st["msix"]["function_mask"]))

    m = re.search(r"DevSta:\tCorrErr([+-]) NonFatalErr([+-]) FatalErr([+-]) "
                  r"UnsupReq([+-]) AuxPwr[+-] TransPend([+-])", block)
    ours = st["pcie"]
    check("devsta", m and tuple(g == "+" for g in m.groups()),
          ours and (ours["correctable_error"], ours["nonfatal_error"],
                    ours["fatal_error"], ours["unsupported_request"],
                    ours["transactions_pending"]))

    m = re.search(r"LnkSta:\tSpeed ([^ ,]+)(?: \([a-z]+\))?, Width x(\d+)"
                  r"(?:.|\n)*?DLActive([+-])", block)
    link = st["link"]
    check("link", m and (m.group(1), int(m.group(2)), m.group(3) == "+"),
          link and (link["speed"], link["width"], link["dll_active"]))

    aer = st["aer"]
    m = re.search(r"UESta:\t(.*)\n", block)
    check("aer.uncorrectable", m and "+" in m.group(1),
          aer and aer["uncorrectable_status"] != 0)
    m = re.search(r"CESta:\t(.*)\n", block)
    check("aer.correctable", m and "+" in m.group(1),
          aer and aer["correctable_status"] != 0)


def main():
    name, lspci_path, json_path, known_path, tree = sys.argv[1:6]
    with open(lspci_path) as f:
        lspci = blocks(f.read())
    with open(json_path) as f:
        ours = {fn["address"]: fn for fn in json.load(f)["functions"]}
    with open(known_path) as f:
        known = {line.strip() for line in f
                 if line.strip() and not line.startswith("#")}
    seen, bad = set(), 0

    def report(addr, field, lspci_value, ours_value):
        nonlocal bad
        key = "%s %s %s" % (name, addr, field)
        seen.add(key)
        tag = "XFAIL" if key in known else "MISMATCH"
        bad += tag == "MISMATCH"
        print("%s %s: lspci/sysfs %r, kdsafe %r" % (tag, key, lspci_value,
                                             ours_value))

    for addr in sorted(set(lspci) | set(ours)):
        if addr not in ours or addr not in lspci:
            report(addr, "listed", addr in lspci, addr in ours)
            continue
        parent, block = lspci[addr]
        with open("%s/sys/bus/pci/devices/%s/modalias" % (tree, addr)) as f:
            modalias = f.read().strip()
        compare(addr, parent, block, ours[addr], modalias, report)
    for key in sorted(k for k in known if k.startswith(name + " ")):
        if key not in seen:
            print("XPASS %s: fixed? remove it from %s" % (key, known_path))
            bad += 1
    print("%s: %d functions compared with lspci, %d unexpected mismatches"
          % (name, len(ours), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
