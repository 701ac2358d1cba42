#!/usr/bin/python3
"""How far can a filter on sitewatch's ship candidates go on ../shared/data/sentinel2-ports?

Usage: ports_separability.py DATA_DIR (--gpkg results.gpkg | --sitewatch BIN [--config F])

Runs (or reads) a sitewatch run on the ports, labels every detection true or false with the
README's matching rule (scripts/score_ports.py), measures per detection what a single image
offers to tell a ship from a pier, a quay edge or glint, and reports the best F1 that a
filter on those measures could reach:
  - the candidates' own figures (what the filter starts from; a filter only removes);
  - per measure, the best single threshold chosen on all three ports (in sample: an upper
    bound) and chosen on two ports then applied to the third (leave one port out: what it
    would give on a port it was not chosen on);
  - a logistic regression on all measures, leave one port out.
The measures: length, width, area (the detection's), the fraction of its outline and of a
ring 2-4 px out that is water (Otsu on log NIR over the scene), whether the water continues
beyond its two ends along its axis, its mean brightness (four bands), its contrast against
the water of the ring, (red - blue) / (red + blue), nir / red and NDWI inside it.
Needs only GDAL's Python bindings and numpy. Exit 77 when DATA_DIR does not exist.
"""
import csv
import math
import os
import sys
import tempfile

import numpy as np
from osgeo import gdal, ogr, osr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from score_ports import results, score  # noqa: E402

MEASURES = ["length_m", "width_m", "area_m2", "outline_water", "ring_water", "ends_on_water",
            "brightness", "contrast", "red_blue", "nir_red", "ndwi"]


def otsu(values, bins=256):
    hist, edges = np.histogram(values, bins)
    centre = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    m0 = np.cumsum(hist * centre)
    w1 = w0[-1] - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = w0 * w1 * (m0 / w0 - (m0[-1] - m0) / w1) ** 2
    return centre[np.nanargmax(between[:-1])]


def dilate(mask, r):
    """Square dilation by r px (numpy only)."""
    out = mask.copy()
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            out |= np.roll(np.roll(mask, dy, 0), dx, 1)
    return out


def features(data, gpkg):
    """Per detection: (site, index in the site's rows, measures dict)."""
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    source = ogr.Open(gpkg)  # kept: the layer dies with its data source
    layer = source.GetLayerByName("detections")
    per_site = {}
    for f in layer:
        per_site.setdefault(f.GetField("site_id"), []).append(
            (f.GetGeometryRef().Clone(), {k: f.GetField(k) for k in ("length_m", "width_m", "area_m2",
                                                                       "orientation_deg")}))
    rows = []
    for site, dets in sorted(per_site.items()):
        scene = [s for s in os.listdir(f"{data}/scenes") if s.startswith(f"S2_{site}_") and s.endswith(".tif")]
        ds = gdal.Open(f"{data}/scenes/{scene[0]}")
        img = ds.ReadAsArray().astype(np.float64)  # blue, green, red, nir
        gt = ds.GetGeoTransform()
        srs = osr.SpatialReference()
        srs.ImportFromWkt(ds.GetProjection())
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        valid = img[3] > 0
        lnir = np.log(np.maximum(img[3], 1))
        water = (lnir < otsu(lnir[valid])) & valid
        # All detections burnt into one label raster (value = index + 1).
        mem = gdal.GetDriverByName("MEM").Create("", ds.RasterXSize, ds.RasterYSize, 1, gdal.GDT_Int32)
        mem.SetGeoTransform(gt)
        mem.SetProjection(ds.GetProjection())
        vds = ogr.GetDriverByName("Memory").CreateDataSource("")
        vl = vds.CreateLayer("d", srs, ogr.wkbPolygon)
        vl.CreateField(ogr.FieldDefn("id", ogr.OFTInteger))
        for i, (g, _) in enumerate(dets):
            g.AssignSpatialReference(wgs)
            g.TransformTo(srs)
            feat = ogr.Feature(vl.GetLayerDefn())
            feat.SetGeometry(g)
            feat.SetField("id", i + 1)
            vl.CreateFeature(feat)
        gdal.RasterizeLayer(mem, [1], vl, options=["ATTRIBUTE=id", "ALL_TOUCHED=FALSE"])
        labels = mem.ReadAsArray()
        for i, (g, at) in enumerate(dets):
            ys, xs = np.nonzero(labels == i + 1)
            if len(xs) == 0:  # thinner than a pixel centre: take the centroid's pixel
                c = g.Centroid()
                xs = np.array([int((c.GetX() - gt[0]) / gt[1])])
                ys = np.array([int((c.GetY() - gt[3]) / gt[5])])
            y0, y1 = max(ys.min() - 6, 0), min(ys.max() + 7, labels.shape[0])
            x0, x1 = max(xs.min() - 6, 0), min(xs.max() + 7, labels.shape[1])
            m = np.zeros((y1 - y0, x1 - x0), bool)
            m[ys - y0, xs - x0] = True
            w = water[y0:y1, x0:x1]
            outline = dilate(m, 1) & ~m
            ring = dilate(m, 4) & ~dilate(m, 2)
            inside = img[:, y0:y1, x0:x1][:, m].mean(1)
            ring_w = ring & w
            water_mean = img[:, y0:y1, x0:x1][:, ring_w].mean(1) if ring_w.any() else np.zeros(4)
            ang = math.radians(at["orientation_deg"] or 0.0)
            half = (at["length_m"] or 0.0) / abs(gt[1]) / 2
            cx, cy = xs.mean(), ys.mean()
            ends = 0
            for s in (-1, 1):
                on_water = False
                for d in (half + 1.5, half + 3):
                    ex, ey = int(round(cx + s * d * math.cos(ang))), int(round(cy - s * d * math.sin(ang)))
                    inside_img = 0 <= ey < water.shape[0] and 0 <= ex < water.shape[1]
                    on_water |= (not inside_img) or bool(water[ey, ex])
                ends += on_water
            b, gr, r, n = inside
            rows.append((site, i, {
                "length_m": at["length_m"], "width_m": at["width_m"], "area_m2": at["area_m2"],
                "outline_water": float(w[outline].mean()), "ring_water": float(w[ring].mean()),
                "ends_on_water": ends, "brightness": float(inside.mean()),
                "contrast": float(inside.mean() - water_mean.mean()),
                "red_blue": float((r - b) / max(r + b, 1)), "nir_red": float(n / max(r, 1)),
                "ndwi": float((gr - n) / max(gr + n, 1))}))
    return rows


def several_per_component(data, gpkg):
    """(vessels, components): in-zone vessel centres lying in detections that hold two or more."""
    centres = {}
    for r in csv.DictReader(open(f"{data}/truth/vessels.csv")):
        if r["in_zone"] == "1":
            p = ogr.Geometry(ogr.wkbPoint)
            p.AddPoint_2D(float(r["lon"]), float(r["lat"]))
            centres.setdefault(r["site_id"], []).append(p)
    source = ogr.Open(gpkg)
    vessels = components = 0
    for f in source.GetLayerByName("detections"):
        g = f.GetGeometryRef()  # x = longitude, as score_ports reads it
        n = sum(g.Contains(p) for p in centres.get(f.GetField("site_id"), []))
        if n >= 2:
            vessels += n
            components += 1
    return vessels, components


def f1_of(tp, fp, n_truth):
    return 2 * tp / max(1, 2 * tp + fp + (n_truth - tp))


def best_threshold(v, y, n_truth):
    """(F1, threshold, sign): keep v * sign >= threshold * sign."""
    best = (f1_of(int(y.sum()), int((1 - y).sum()), n_truth), -math.inf, 1)
    for t in np.unique(v):
        for s in (1, -1):
            keep = v * s >= t * s
            f = f1_of(int((keep & (y == 1)).sum()), int((keep & (y == 0)).sum()), n_truth)
            if f > best[0]:
                best = (f, t, s)
    return best


def logistic(x, y, ridge=1.0, rounds=50):
    """Ridge-regularised logistic regression by Newton's method (IRLS); returns weights."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    wt = np.zeros(xb.shape[1])
    for _ in range(rounds):
        p = 1 / (1 + np.exp(-xb @ wt))
        grad = xb.T @ (p - y) + ridge * np.r_[wt[:-1], 0]
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + ridge * np.diag(np.r_[np.ones(len(wt) - 1), 0])
        wt -= np.linalg.solve(hess, grad)
    return wt


def main():
    data = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        gpkg = results(data, tmp, "ports_separability")
        s = score(data, gpkg)
        rows = features(data, gpkg)
        several = several_per_component(data, gpkg)
    truth = {site: p["truth"] for site, p in s["ports"].items()}
    matched = {site: set(v) for site, v in s["matched"].items()}
    sites = np.array([r[0] for r in rows])
    y = np.array([1 if r[1] in matched.get(r[0], ()) else 0 for r in rows])
    x = np.array([[r[2][k] for k in MEASURES] for r in rows], dtype=float)
    n_all = sum(truth.values())
    print(f"candidates {len(rows)}: {int(y.sum())} true, {int((1 - y).sum())} false, "
          f"{n_all} vessels; F1 {f1_of(int(y.sum()), int((1 - y).sum()), n_all):.2f}, "
          f"recall {y.sum() / n_all:.2f} (no filter can raise it)")
    print(f"{several[0]} vessels lie in {several[1]} detections that hold two or more of them "
          f"(each such detection matches one)")
    print(f"{'measure':14} {'median true':>12} {'median false':>13} {'F1 in sample':>13} {'F1 one port out':>16}"
          "  (thresholds chosen without each port)")
    for k, name in enumerate(MEASURES):
        v = x[:, k]
        f_in = best_threshold(v, y, n_all)[0]
        tp = fp = 0
        chosen = []
        for site in truth:
            train = sites != site
            _, t, sgn = best_threshold(v[train], y[train], n_all - truth[site])
            chosen.append(f"{'>=' if sgn > 0 else '<='} {t:.4g}")
            keep = (sites == site) & (v * sgn >= t * sgn)
            tp += int((keep & (y == 1)).sum())
            fp += int((keep & (y == 0)).sum())
        print(f"{name:14} {np.median(v[y == 1]):12.2f} {np.median(v[y == 0]):13.2f} {f_in:13.2f} "
              f"{f1_of(tp, fp, n_all):16.2f}  {', '.join(chosen)}")
    tp = fp = 0
    for site in truth:
        train = sites != site
        mu, sd = x[train].mean(0), x[train].std(0) + 1e-9
        wt = logistic((x[train] - mu) / sd, y[train])
        p = 1 / (1 + np.exp(-np.hstack([(x[~train] - mu) / sd, np.ones((int((~train).sum()), 1))]) @ wt))
        keep = p > 0.5
        tp += int((keep & (y[~train] == 1)).sum())
        fp += int((keep & (y[~train] == 0)).sum())
    print(f"logistic regression on all {len(MEASURES)} measures, one port out: "
          f"{tp} true, {fp} false kept, F1 {f1_of(tp, fp, n_all):.2f}")


if __name__ == "__main__":
    main()
