"""Parsing of the guest's raw facts, and the comparisons the scenarios assert.

Every field kdsafe's JSON is read through is named in the accessors below (docs/json-schema.md):
when a field moves, change it here only.
"""
import json
import re


# --- kdsafe probe --json (docs/json-schema.md) ---
def probe_functions(text):
    """{address: function} from `kdsafe probe --json` output."""
    doc = json.loads(text[text.index("{"):])
    return {f["address"]: f for f in doc["functions"]}


def j_flr(f): return bool(f["reset"]["flr"])
def j_af_flr(f): return bool(f["reset"].get("af_flr"))
def j_pm_nsr(f): return bool(f["reset"].get("pm_no_soft_reset"))
def j_kernel_methods(f): return f["reset"].get("kernel_methods")
def j_bme(f): return bool(f["state"]["command"]["bus_master"])
def j_msi(f): return None if f["state"].get("msi") is None else bool(f["state"]["msi"]["enable"])
def j_msix(f): return None if f["state"].get("msix") is None else bool(f["state"]["msix"]["enable"])
def j_verdict(f): return f.get("verdict")


# --- witnesses (guest/lib.sh witness): "w ADDR kind=.. cmd=0x.. vstatus=.. cc=.. ..." ---
def witnesses(text):
    out = {}
    for line in (text or "").splitlines():
        if line.startswith("w "):
            parts = line.split()
            w = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
            out[parts[1]] = w
    return out


def num(w, key):
    v = w.get(key)
    return int(v, 16) if v else None


def bme(w):
    return bool(num(w, "cmd") & 4)


def engine(w):
    """True: the device's engine runs (virtio status, NVMe CC.EN/CSTS.RDY, e1000e RCTL/TCTL.EN);
    False: stopped; None: no register witness (memory decoding off, all-ones read, other kind)."""
    if w.get("mmio") == "off":
        return None
    vals = {k: num(w, k) for k in ("vstatus", "cc", "csts", "rctl", "tctl") if w.get(k)}
    if not vals or 0xffffffff in vals.values() or vals.get("vstatus") == 0xff:
        return None
    k = w["kind"]
    if k == "virtio":
        return vals["vstatus"] != 0
    if k == "nvme":
        return bool(vals["cc"] & 1 or vals["csts"] & 1)
    if k == "e1000e":
        return bool(vals["rctl"] & 2 or vals["tctl"] & 2)   # RCTL.EN, TCTL.EN: bit 1 of each
    return None


# --- lspci -D -vvv -n ---
def lspci(text):
    out, cur, label = {}, None, ""
    for line in (text or "").splitlines():
        m = re.match(r"\s+(\w+):", line)   # continuation lines keep the label above them
        label = m.group(1) if m else label
        m = re.match(r"([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) ", line)
        if m:
            cur = out.setdefault(m.group(1), {"flr": False, "af_flr": False, "nsr": None,
                                             "msi": None, "msix": None, "bme": None})
            continue
        if cur is None:
            continue
        if re.search(r"^\s+Control:.*BusMaster[+-]", line):
            cur["bme"] = "BusMaster+" in line
        if label == "DevCap" and "FLReset+" in line:
            cur["flr"] = True
        if label == "AFCap" and "FLR+" in line:
            cur["af_flr"] = True
        if "NoSoftRst" in line:
            cur["nsr"] = "NoSoftRst+" in line
        m = re.search(r"\] (MSI|MSI-X): Enable([+-])", line)
        if m:
            cur["msi" if m.group(1) == "MSI" else "msix"] = m.group(2) == "+"
    return out


def reset_methods(text):
    """{address: [methods] or None} from "rm ADDR m1 m2" lines (None: no reset_method file)."""
    out = {}
    for line in (text or "").splitlines():
        p = line.split()
        if p and p[0] == "rm":
            out[p[1]] = None if p[2:] == ["-"] else p[2:]
    return out


def probe_agrees(probe_text, lspci_text, rm_text):
    """Failures where `kdsafe probe --json` disagrees with lspci -vvv or the kernel's reset_method."""
    fails = []
    try:
        funcs = probe_functions(probe_text)
    except (ValueError, KeyError, TypeError) as e:
        return [f"probe --json unreadable: {e!r}"]
    lp, rm = lspci(lspci_text), reset_methods(rm_text)
    if set(funcs) != set(lp):
        fails.append(f"functions differ: kdsafe {sorted(funcs)} lspci {sorted(lp)}")
    for a in sorted(set(funcs) & set(lp)):
        f, l = funcs[a], lp[a]
        pairs = [("FLReset", j_flr(f), l["flr"]), ("AF FLR", j_af_flr(f), l["af_flr"]),
                 ("BusMaster", j_bme(f), l["bme"]), ("MSI Enable", j_msi(f), l["msi"]),
                 ("MSI-X Enable", j_msix(f), l["msix"]),
                 ("reset_method", j_kernel_methods(f), rm.get(a))]
        if l["nsr"] is not None:
            pairs.append(("NoSoftRst", j_pm_nsr(f), l["nsr"]))
        for what, mine, theirs in pairs:
            if mine != theirs:
                fails.append(f"{a} {what}: kdsafe {mine} vs kernel/lspci {theirs}")
    return fails
