#!/usr/bin/env python3
"""Checks a `kdsafe whitelist --format html` page with html.parser: the
matrix has one row per device and one column per variant, each cell the
expected "passes/runs" text and colour class, the colours are defined,
and the legend names every colour.

usage: check-html.py PAGE 'DEVICE DRIVER VARIANT TEXT CLASS'...
"""
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.style, self.cell = [], "", None
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append((a.get("class"), []))
        elif tag == "tr":
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self.cell = [a.get("class"), ""]
            self.tables[-1][1][-1].append(self.cell)
        elif tag == "style":
            self.in_style = True

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
        if tag in ("td", "th"):
            self.cell = None

    def handle_data(self, data):
        if self.in_style:
            self.style += data
        elif self.cell is not None:
            self.cell[1] += data


def main():
    page = Page()
    with open(sys.argv[1], encoding="utf-8") as f:
        page.feed(f.read())
    tables = dict(page.tables)
    errors = []
    legend = [c for row in tables["legend"] for c in row if c[0]]
    for cls, colour in (("pass", "green"), ("fail", "red"),
                        ("mixed", "amber"), ("untested", "grey")):
        if not any(c[0] == cls for c in legend):
            errors.append(f"legend lacks {cls} ({colour})")
        if f".{cls}{{background:" not in page.style:
            errors.append(f"no colour for .{cls}")
    rows = tables["matrix"]
    header = [c[1] for c in rows[0]]
    for want in sys.argv[2:]:
        dev, drv, variant, text, cls = want.split()
        col = header.index(variant)
        row = [r for r in rows[1:] if r[0][1] == dev and r[2][1] == drv]
        if len(row) != 1:
            errors.append(f"{dev} {drv}: {len(row)} rows")
            continue
        got = row[0][col]
        if got[1] != text or got[0] != cls:
            errors.append(f"{dev} {drv} {variant}: {got[1]!r} class "
                          f"{got[0]}, wanted {text!r} class {cls}")
    for e in errors:
        print("check-html:", e, file=sys.stderr)
    sys.exit(1 if errors else 0)


main()
