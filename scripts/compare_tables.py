#!/usr/bin/python3
"""Compares two output tables row by row, the way SPEC 2 states results must agree across
backends, threads and shards: integer and text columns identical, floating columns within
1e-4 relative. Exit 1 on any difference.

Usage: compare_tables.py [--table site_counts|detections|scenes] [--ignore COL,...] A B

A and B are CSV files (`run --csv`) or GeoPackages (.gpkg: the table read with sqlite3, its
geometry compared byte for byte). Rows are keyed: site_counts by (site, scene, class),
detections by (site, scene, class, n-th of the pair in the exported order), scenes by scene.
run_id and fid are never compared; --ignore names more columns (e.g. the scenes' path,
which differs between a local and a remote run of one archive).
"""
import argparse
import csv
import sqlite3
import sys

FLOATS = {"valid_fraction", "changed_area_m2", "changed_fraction", "shift_x_px", "shift_y_px",
          "area_m2", "length_m", "width_m", "orientation_deg", "mean_change",
          "cloud_cover", "clear_percent", "gsd", "view_angle", "sun_elevation"}
IGNORE = {"run_id", "fid"}
KEYS = {
    "site_counts": ("site_id", "scene_id", "class"),
    "detections": ("site_id", "scene_id", "class"),
    "scenes": ("scene_id",),
}


def rows_of(path, table):
    if path.endswith(".gpkg"):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        con.row_factory = sqlite3.Row
        order = ", ".join(KEYS[table]) + ", fid"
        out = []
        for r in con.execute(f'SELECT * FROM "{table}" ORDER BY {order}'):
            out.append({k: ("" if r[k] is None else
                            r[k].hex() if isinstance(r[k], bytes) else str(r[k]))
                        for k in r.keys()})
        con.close()
        return out
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load(path, table):
    keyed, seen = {}, {}
    for r in rows_of(path, table):
        key = tuple(r[k] for k in KEYS[table])
        if table == "detections":  # the n-th detection of its pair
            seen[key] = seen.get(key, 0) + 1
            key += (seen[key],)
        keyed[key] = r
    return keyed


def same_number(va, vb):
    try:
        x, y = float(va), float(vb)
    except ValueError:
        return va == vb
    return abs(x - y) <= 1e-4 * max(1.0, abs(x))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--table", choices=sorted(KEYS), default="site_counts")
    ap.add_argument("--ignore", default="", help="more columns not compared, comma-separated")
    args = ap.parse_args()
    ignore = IGNORE | {c for c in args.ignore.split(",") if c}
    a, b = load(args.a, args.table), load(args.b, args.table)
    bad = 0
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            print("only in", "B" if key not in a else "A", key)
            bad += 1
            continue
        for col in sorted(set(a[key]) | set(b[key])):
            if col in ignore:
                continue
            va, vb = a[key].get(col, ""), b[key].get(col, "")
            if col in FLOATS and va and vb:
                if not same_number(va, vb):
                    print(f"{key} {col}: {va} vs {vb}")
                    bad += 1
            elif va != vb:
                print(f"{key} {col}: {va!r} vs {vb!r}")
                bad += 1
    print(f"{len(a)} rows vs {len(b)} rows: {bad} differences")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
