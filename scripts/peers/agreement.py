#!/usr/bin/python3
"""Agreement of two site_counts CSVs on what matters to an analyst: per row (site, scene,
class), observable and count. Prints one line: rows compared, rows that differ, the sum of
|count difference|, and rows only in one of them.

Usage: agreement.py reference.csv other.csv [--json]
"""
import csv
import json
import sys


def load(path):
    with open(path, newline="") as f:
        return {(r["site_id"], r["scene_id"], r["class"]): r for r in csv.DictReader(f)}


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    common = sorted(set(a) & set(b))
    differ, total_abs = 0, 0
    examples = []
    for k in common:
        ra, rb = a[k], b[k]
        same = ra["observable"] == rb["observable"] and ra["count"] == rb["count"]
        if not same:
            differ += 1
            if ra["count"] and rb["count"]:
                total_abs += abs(int(ra["count"]) - int(rb["count"]))
            if len(examples) < 5:
                examples.append(f"{k}: {ra['observable']}/{ra['count']} vs {rb['observable']}/{rb['count']}")
    out = {"rows": len(common), "differ": differ,
           "identical_fraction": (len(common) - differ) / len(common) if common else None,
           "sum_abs_count_difference": total_abs,
           "only_in_first": len(set(a) - set(b)), "only_in_second": len(set(b) - set(a)),
           "examples": examples}
    if "--json" in sys.argv:
        print(json.dumps(out))
    else:
        print(f"{out['rows']} rows, {differ} differ ({100 * (1 - out['identical_fraction']):.2f}%), "
              f"sum |count diff| {total_abs}, only in first {out['only_in_first']}, "
              f"only in second {out['only_in_second']}")
        for e in examples:
            print("  ", e)


if __name__ == "__main__":
    main()
