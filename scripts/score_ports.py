#!/usr/bin/python3
"""Scores ship detections on ../shared/data/sentinel2-ports with its README's rule.

Usage: score_ports.py DATA_DIR (--gpkg results.gpkg | --sitewatch BIN [--config F])
                      [--json] [--min-f1 X] [--max-mae Y]

A detection (its oriented box's centroid) matches an unmatched in-zone vessel when it lies in
the vessel's box grown by 20 m (pairs taken nearest first); per port |count - truth|, and
precision, recall, F1 over all ports, with recall on free-floating and alongside vessels.
With --sitewatch, runs `BIN run` on the data (config: --config, else the data's config.toml)
into a temporary folder first. --min-f1 / --max-mae: exit 1 when F1 is lower or the count
MAE per port higher. Exit 77 (a skipped test for ctest) when DATA_DIR does not exist.
"""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

from osgeo import ogr, osr


def arg(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def utm_transform(lon, lat):
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    zone = int((lon + 180) // 6) + 1
    utm = osr.SpatialReference()
    utm.ImportFromEPSG((32600 if lat >= 0 else 32700) + zone)
    utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return osr.CoordinateTransformation(wgs, utm)


def score(data, gpkg):
    vessels = {}
    for r in csv.DictReader(open(f"{data}/truth/vessels.csv")):
        if r["in_zone"] == "1":
            vessels.setdefault(r["site_id"], []).append(r)
    truth = {r["site_id"]: int(r["truth_count"]) for r in csv.DictReader(open(f"{data}/truth/counts.csv"))}
    ds = ogr.Open(gpkg)
    dets = {}
    for f in ds.GetLayerByName("detections"):
        c = f.GetGeometryRef().Centroid()
        dets.setdefault(f.GetField("site_id"), []).append((c.GetX(), c.GetY()))
    counts = {f.GetField("site_id"): f.GetField("count") for f in ds.GetLayerByName("site_counts")}
    out = {"ports": {}, "matched": {}}
    tp_all = fp_all = fn_all = 0
    free = [0, 0]
    along = [0, 0]
    for site in sorted(truth):
        vs = vessels.get(site, [])
        tr = utm_transform(float(vs[0]["lon"]), float(vs[0]["lat"]))
        boxes = []
        for v in vs:
            xs, ys = [], []
            for lon in (v["bbox_lon0"], v["bbox_lon1"]):
                for lat in (v["bbox_lat0"], v["bbox_lat1"]):
                    x, y, _ = tr.TransformPoint(float(lon), float(lat))
                    xs.append(x)
                    ys.append(y)
            cx, cy, _ = tr.TransformPoint(float(v["lon"]), float(v["lat"]))
            boxes.append((min(xs) - 20, min(ys) - 20, max(xs) + 20, max(ys) + 20, cx, cy, v["alongside"] == "1"))
        pts = [tr.TransformPoint(x, y)[:2] for x, y in dets.get(site, [])]
        pairs = sorted((math.hypot(x - b[4], y - b[5]), i, j)
                       for i, (x, y) in enumerate(pts) for j, b in enumerate(boxes)
                       if b[0] <= x <= b[2] and b[1] <= y <= b[3])
        used_d, used_v = set(), set()
        for _, i, j in pairs:
            if i not in used_d and j not in used_v:
                used_d.add(i)
                used_v.add(j)
        tp = len(used_v)
        out["matched"][site] = sorted(used_d)  # indices of the site's detections, in table order
        fp, fn = len(pts) - tp, len(boxes) - tp
        for j, b in enumerate(boxes):
            (along if b[6] else free)[1] += 1
            (along if b[6] else free)[0] += j in used_v
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        count = counts.get(site) or 0
        out["ports"][site] = {"truth": truth[site], "count": count,
                              "count_error": abs(count - truth[site]) / truth[site],
                              "precision": tp / max(1, len(pts)), "recall": tp / max(1, len(boxes)),
                              "f1": 2 * tp / max(1, 2 * tp + fp + fn)}
    out["mae"] = sum(abs(p["count"] - p["truth"]) for p in out["ports"].values()) / len(out["ports"])
    out["precision"] = tp_all / max(1, tp_all + fp_all)
    out["recall"] = tp_all / max(1, tp_all + fn_all)
    out["f1"] = 2 * tp_all / max(1, 2 * tp_all + fp_all + fn_all)
    out["recall_free"] = free[0] / max(1, free[1])
    out["recall_alongside"] = along[0] / max(1, along[1])
    return out


def results(data, tmp, tool):
    """The results to score: --gpkg, else `--sitewatch BIN run` on DATA (config: --config, else
    the data's config.toml) into the folder tmp. Exits 77 (skipped) when DATA does not exist."""
    if not os.path.isdir(data):
        print(f"{tool}: no {data}: skipped")
        sys.exit(77)
    gpkg = arg("--gpkg")
    if gpkg is None:
        gpkg = os.path.join(tmp, "ports.gpkg")
        subprocess.run([arg("--sitewatch"), "run", "--scenes", f"{data}/scenes", "--sites",
                        f"{data}/sites.geojson", "--config", arg("--config", f"{data}/config.toml"),
                        "--out", gpkg, "--quiet"], check=True)
    return gpkg


def main():
    data = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        s = score(data, results(data, tmp, "score_ports"))
    if "--json" in sys.argv:
        print(json.dumps(s, indent=1))
    else:
        for site, p in s["ports"].items():
            print(f"{site:12} truth {p['truth']:3d}  counted {p['count']:4d}  count error "
                  f"{100 * p['count_error']:4.0f}%  P {p['precision']:.2f} R {p['recall']:.2f} F1 {p['f1']:.2f}")
        print(f"all ports: count MAE {s['mae']:.1f}  P {s['precision']:.2f} R {s['recall']:.2f} "
              f"F1 {s['f1']:.2f}  recall free-floating {s['recall_free']:.2f} alongside {s['recall_alongside']:.2f}")
    bad = []
    if arg("--min-f1") and s["f1"] < float(arg("--min-f1")):
        bad.append(f"F1 {s['f1']:.3f} < {arg('--min-f1')}")
    if arg("--max-mae") and s["mae"] > float(arg("--max-mae")):
        bad.append(f"count MAE {s['mae']:.1f} > {arg('--max-mae')}")
    if bad:
        print("score_ports: " + "; ".join(bad))
        sys.exit(1)


if __name__ == "__main__":
    main()
