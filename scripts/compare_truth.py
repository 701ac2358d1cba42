#!/usr/bin/python3
"""Compares a sitewatch site_counts.csv with a synth truth.csv.

Usage: compare_truth.py truth.csv site_counts.csv [--json]

Per class: rows matched, observability agreement, and on rows where both say observable
and sitewatch gave a count: exact matches, mean absolute error, relative error (sum of
absolute errors over the sum of true counts). Then every row flagged as an anomaly, with
its true count.
"""
import csv
import json
import sys
from collections import defaultdict


def load(path):
    with open(path, newline="") as f:
        return {(r["site_id"], r["scene_id"], r["class"]): r for r in csv.DictReader(f)}


def class_stats(truth, got):
    """Per class: truth_rows, missing, obs_agree, and over the rows both call observable
    with a count: compared, exact, abs_err, truth_sum, within_10pct (loaded rows)."""
    stats = defaultdict(lambda: defaultdict(float))
    for key, t in truth.items():
        cls = key[2]
        s = stats[cls]
        g = got.get(key)
        s["truth_rows"] += 1
        if g is None:
            s["missing"] += 1
            continue
        s["obs_agree"] += (t["observable"] == g["observable"])
        if t["observable"] == "true" and g["observable"] == "true" and g["count"] != "" and t["count"] != "":
            tc, gc = int(t["count"]), int(g["count"])
            s["compared"] += 1
            s["exact"] += tc == gc
            s["abs_err"] += abs(gc - tc)
            s["truth_sum"] += tc
            s["within_10pct"] += abs(gc - tc) <= max(1, 0.1 * tc)
    return stats


def main():
    truth, got = load(sys.argv[1]), load(sys.argv[2])
    stats = class_stats(truth, got)
    out = {}
    for cls, s in sorted(stats.items()):
        n = s["compared"]
        out[cls] = {
            "truth_rows": int(s["truth_rows"]),
            "missing_rows": int(s["missing"]),
            "observable_agreement": s["obs_agree"] / max(1, s["truth_rows"] - s["missing"]),
            "compared": int(n),
            "exact": s["exact"] / n if n else None,
            "within_10pct_or_1": s["within_10pct"] / n if n else None,
            "mae": s["abs_err"] / n if n else None,
            "relative_error": s["abs_err"] / s["truth_sum"] if s["truth_sum"] else None,
        }
    flagged = [(k, g, truth.get(k)) for k, g in sorted(got.items()) if g.get("anomaly") == "true"]
    if "--json" in sys.argv:
        out["anomalies"] = [{"site_id": k[0], "scene_id": k[1], "class": k[2], "count": g["count"],
                             "truth": t["count"] if t else None} for k, g, t in flagged]
        print(json.dumps(out, indent=1))
    else:
        print(f"{'class':16} {'rows':>5} {'obs.agree':>9} {'compared':>8} {'exact':>6} {'±10%/1':>7} {'MAE':>6} {'rel.err':>7}")
        for cls, o in out.items():
            f = lambda v, p="{:.2f}": "-" if v is None else p.format(v)
            print(f"{cls:16} {o['truth_rows']:5d} {f(o['observable_agreement']):>9} {o['compared']:8d} "
                  f"{f(o['exact']):>6} {f(o['within_10pct_or_1']):>7} {f(o['mae']):>6} {f(o['relative_error']):>7}")
        print(f"anomalies flagged: {len(flagged)}")
        for k, g, t in flagged:
            value = g["count"] if g["count"] != "" else f"{float(g['changed_area_m2'] or 0):.0f} m2 changed"
            print(f"  {k[0]:16} {g['acquired'][:10]} {k[2]:16} {value:>18}  (truth {t['count'] if t and t['count'] else '-'})")


if __name__ == "__main__":
    main()
