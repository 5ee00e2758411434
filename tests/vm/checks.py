"""Parsing of the guest's raw facts, and the comparisons the scenarios assert.

Every field kdsafe's JSON is read through is named in the accessors below (docs/json-schema.md):
when a field moves, change it here only.
"""
import json
import re


def first_json(text):
    """The first JSON document in text; what follows it (stderr) is ignored."""
    doc, _ = json.JSONDecoder().raw_decode(text, text.index("{"))
    return doc


# --- kdsafe probe --json (docs/json-schema.md) ---
def probe_functions(text):
    """{address: function} from `kdsafe probe --json` output."""
    doc = first_json(text)
    return {f["address"]: f for f in doc["functions"]}


def j_flr(f): return bool(f["reset"]["flr"])
def j_af_flr(f): return bool(f["reset"].get("af_flr"))
def j_pm_nsr(f): return bool(f["reset"].get("pm_no_soft_reset"))
def j_kernel_methods(f): return f["reset"].get("kernel_methods")
def j_bme(f): return bool(f["state"]["command"]["bus_master"])
def j_msi(f): return None if f["state"].get("msi") is None else bool(f["state"]["msi"]["enable"])
def j_msix(f): return None if f["state"].get("msix") is None else bool(f["state"]["msix"]["enable"])
def j_verdict(f): return f.get("verdict")


# --- kdsafe reset --json (docs/json-schema.md, docs/reset.md) ---
def reset_results(text):
    """{address: result} from `kdsafe reset --json` output; {} when unreadable."""
    try:
        doc = first_json(text)
        return {r["address"]: r for r in doc["results"]}
    except (ValueError, KeyError, TypeError):
        return {}


def r_status(r): return r.get("status")
def r_method(r): return r.get("method")
def r_bridge(r): return r.get("bridge")
def r_also(r): return list(r.get("also_reset") or [])
def r_witness_verdict(r):
    """The class witness's verdict ("effective", "no-op", ...), None when kdsafe has none."""
    w = r.get("witness")
    return w.get("verdict") if w else None


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
    vals = {k: num(w, k) for k in REGS if w.get(k)}
    if not vals or 0xffffffff in vals.values() or 0xff in (vals.get("vstatus"), vals.get("chipcmd")):
        return None
    k = w["kind"]
    if k == "virtio":
        return vals["vstatus"] != 0
    if k == "nvme":
        return bool(vals["cc"] & 1 or vals["csts"] & 1)
    if k in ("e1000e", "e1000"):
        return bool(vals["rctl"] & 2 or vals["tctl"] & 2)   # RCTL.EN, TCTL.EN: bit 1 of each
    if k == "rtl8139":
        return bool(vals["chipcmd"] & 0x0c)                 # ChipCmd RE (bit 3), TE (bit 2)
    if k == "xhci":
        return bool(vals["usbcmd"] & 1)                     # USBCMD.R/S (xHCI 1.2 §5.4.1)
    if k == "hda":   # CORBCTL.CORBRUN / RIRBCTL.DMAEN (bit 1, HDA 1.0a §3.3.21/§3.3.27)
        return bool(vals["corbctl"] & 2 or vals["rirbctl"] & 2)
    return None


# the register keys a witness line can carry (guest/lib.sh witness)
REGS = ("vstatus", "cc", "csts", "rctl", "tctl", "chipcmd", "usbcmd", "usbsts", "gctl",
        "corbctl", "rirbctl")


# --- lspci -D -vvv -n ---
def lspci(text):
    out, cur, label = {}, None, ""
    for line in (text or "").splitlines():
        m = re.match(r"\s+(\w+):", line)   # continuation lines keep the label above them
        label = m.group(1) if m else label
        m = re.match(r"([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) ", line)
        if m:
            # lspci prints FLReset only for endpoints (not switch ports): None = not shown
            cur = out.setdefault(m.group(1), {"flr": None, "express": False, "af_flr": False, "nsr": None,
                                             "msi": None, "msix": None, "bme": None})
            continue
        if cur is None:
            continue
        if re.search(r"^\s+Control:.*BusMaster[+-]", line):
            cur["bme"] = "BusMaster+" in line
        if label == "DevCap" and "FLReset" in line:
            cur["flr"] = "FLReset+" in line
        if "] Express (" in line:
            cur["express"] = True
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
        pairs = [("AF FLR", j_af_flr(f), l["af_flr"]),
                 ("BusMaster", j_bme(f), l["bme"]), ("MSI Enable", j_msi(f), l["msi"]),
                 ("MSI-X Enable", j_msix(f), l["msix"]),
                 ("reset_method", j_kernel_methods(f), rm.get(a))]
        if l["flr"] is not None or not l["express"]:   # without PCIe: no FLR
            pairs.append(("FLReset", j_flr(f), bool(l["flr"])))
        if l["nsr"] is not None:
            pairs.append(("NoSoftRst", j_pm_nsr(f), l["nsr"]))
        for what, mine, theirs in pairs:
            if mine != theirs:
                fails.append(f"{a} {what}: kdsafe {mine} vs kernel/lspci {theirs}")
    return fails


# --- the campaign journal (docs/journal.md) and kdsafe whitelist --format json (docs/whitelist.md) ---
def journal(text):
    """The journal's records, in order; a line that is no JSON is skipped (whitelist counts it)."""
    out = []
    for line in (text or "").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def jr_outcomes(recs, address):
    """{variant: [outcome, ...]} of one device's outcome records."""
    out = {}
    for r in recs:
        if r.get("kind") == "outcome" and r.get("address") == address:
            out.setdefault(r.get("variant"), []).append(r.get("outcome"))
    return out


def jr_last_load(recs, cycle):
    """The address of the last load intent ("loading X for D") of a cycle, None without one."""
    loads = [r for r in recs if r.get("kind") == "intent" and r.get("step") == "load"
             and r.get("cycle") == cycle]
    return loads[-1].get("address") if loads else None


def wl_devices(doc):
    """{"vendor:device": entry} of a whitelist JSON document."""
    return {f"{d['vendor']}:{d['device']}": d for d in doc["devices"]}


def wl_inputs(doc): return doc["inputs"]
def wl_verdict(d): return d.get("verdict")
def wl_fix(d): return d.get("fix")
def wl_evidence(d): return d.get("evidence") or ""
def wl_variants(d):
    """{variant: (state, {outcome: count})}."""
    return {v["variant"]: (v.get("state"), v.get("outcomes") or {}) for v in d.get("variants") or []}


# --- kdsafe test audit --json (docs/campaign.md): [{address, driver, state, left, ...}] ---
def audit_functions(text):
    doc, _ = json.JSONDecoder().raw_decode(text, text.index("["))
    return {f["address"]: f for f in doc}


def a_state(f): return f.get("state")
def a_driver(f): return f.get("driver")
def a_left(f): return list(f.get("left") or [])


def commands(text):
    """{address: Command register} from "cmd ADDR XXXX" lines (setpci, guest/scenarios.sh)."""
    out = {}
    for line in (text or "").splitlines():
        p = line.split()
        if len(p) == 3 and p[0] == "cmd":
            try:
                out[p[1]] = int(p[2], 16)
            except ValueError:
                pass
    return out
