#!/usr/bin/python3
"""Runs sitewatch on synthetic archives of several seeds and prints, per seed and reference
strategy, each class's summed absolute count error against the summed true count, and the
anomalies flagged: how a method holds across archives it was not tuned on (docs/TESTING.md).

Usage: seed_sweep.py BIN [--synth BIN2] [--scenario tumen|tumen-hard|quiet] [--seeds 1-6]
                     [--strategies median,archive] [--dates 36] [--scale 0.05]
                     [--drop KEY ...] [--set KEY=VALUE ...] [--work DIR]

BIN runs the archives; BIN2 (default BIN) writes them, so that an older build can be
compared on the very same archives. --drop KEY removes the config line `KEY = ...` (a key an
older build does not know); --set KEY=VALUE replaces the value of the line `KEY = ...`.
Archives are kept under --work (default /tmp/sitewatch-sweep) and reused.
Prints one line per seed and strategy, then the totals per strategy.
"""
import argparse
import os
import re
import subprocess
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_truth  # noqa: E402  (scripts/compare_truth.py: loading and matching rows)


def seeds_of(text):
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def score(truth_csv, counts_csv):
    """Per class summed |error|, summed truth and rows compared (compare_truth.py's
    matching), and the rows flagged as anomalies."""
    truth, got = compare_truth.load(truth_csv), compare_truth.load(counts_csv)
    stats = compare_truth.class_stats(truth, got)
    err = {c: int(s["abs_err"]) for c, s in stats.items() if s["compared"]}
    total = {c: int(s["truth_sum"]) for c, s in stats.items() if s["compared"]}
    rows = {c: int(s["compared"]) for c, s in stats.items() if s["compared"]}
    flags = [f"{k[0]}/{k[2]}@{k[1][:8]}" for k, g in got.items() if g.get("anomaly") == "true"]
    return err, total, rows, flags


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bin")
    ap.add_argument("--synth")
    ap.add_argument("--scenario", default="tumen-hard")
    ap.add_argument("--seeds", default="1-6")
    ap.add_argument("--strategies", default="median,archive")
    ap.add_argument("--dates", type=int, default=36)
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--drop", action="append", default=[])
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--work", default="/tmp/sitewatch-sweep")
    a = ap.parse_args()
    synth = a.synth or a.bin
    totals = defaultdict(lambda: [defaultdict(int), defaultdict(int), 0])
    for seed in seeds_of(a.seeds):
        archive = os.path.join(a.work, f"{a.scenario}-{seed}-{a.dates}-{a.scale}")
        if not os.path.exists(os.path.join(archive, "truth.csv")):
            subprocess.run([synth, "synth", "--out", archive, "--scenario", a.scenario, "--seed",
                            str(seed), "--dates", str(a.dates), "--scale", str(a.scale), "-q"],
                           check=True)
        with open(os.path.join(archive, "config.toml")) as f:
            base = f.read()
        for key in a.drop:
            base = re.sub(rf"(?m)^{re.escape(key)} = .*\n", "", base)
        for kv in a.set:
            key, _, value = kv.partition("=")
            base = re.sub(rf"(?m)^{re.escape(key)} = [^#\n]*", f"{key} = {value} ", base)
        for strategy in a.strategies.split(","):
            cfg = re.sub(r'(?m)^strategy = "[a-z]+"', f'strategy = "{strategy}"', base)
            run = os.path.join(a.work, f"run-{os.getpid()}")
            os.makedirs(run, exist_ok=True)
            with open(os.path.join(run, "config.toml"), "w") as f:
                f.write(cfg)
            subprocess.run([a.bin, "run", "--scenes", os.path.join(archive, "scenes"), "--sites",
                            os.path.join(archive, "sites.geojson"), "--config",
                            os.path.join(run, "config.toml"), "--out", os.path.join(run, "out.gpkg"),
                            "--csv", os.path.join(run, "csv"), "--overwrite", "-q"], check=False)
            err, total, rows, flags = score(os.path.join(archive, "truth.csv"),
                                            os.path.join(run, "csv", "site_counts.csv"))
            t = totals[strategy]
            for c in err:
                t[0][c] += err[c]
                t[1][c] += total[c]
            t[2] += len(flags)
            cells = "; ".join(f"{c} {err[c]}/{total[c]} ({rows[c]} rows)" for c in sorted(err))
            print(f"{a.scenario} seed {seed} {strategy:8} | {cells} | anomalies {len(flags)}: "
                  + " ".join(flags), flush=True)
    for strategy, (err, total, nflags) in totals.items():
        cells = "; ".join(f"{c} {err[c]}/{total[c]}" for c in sorted(err))
        print(f"{a.scenario} total  {strategy:8} | {cells} | anomalies {nflags}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
