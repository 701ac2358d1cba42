#!/usr/bin/python3
"""Compares two site_counts.csv files row by row (keyed by site, scene, class), the way
SPEC 2 states results must agree across backends, threads and shards: integer and text
columns identical, floating columns within 1e-4 relative. Exit 1 on any difference.

Usage: compare_tables.py A.csv B.csv
"""
import csv
import sys

FLOATS = {"valid_fraction", "changed_area_m2", "changed_fraction", "shift_x_px", "shift_y_px"}
IGNORE = {"run_id"}


def load(path):
    with open(path, newline="") as f:
        return {(r["site_id"], r["scene_id"], r["class"]): r for r in csv.DictReader(f)}


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    bad = 0
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            print("only in", "B" if key not in a else "A", key)
            bad += 1
            continue
        for col, va in a[key].items():
            if col in IGNORE:
                continue
            vb = b[key].get(col, "")
            if col in FLOATS and va and vb:
                x, y = float(va), float(vb)
                if abs(x - y) > 1e-4 * max(1.0, abs(x)):
                    print(f"{key} {col}: {va} vs {vb}")
                    bad += 1
            elif va != vb:
                print(f"{key} {col}: {va!r} vs {vb!r}")
                bad += 1
    print(f"{len(a)} rows vs {len(b)} rows: {bad} differences")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
