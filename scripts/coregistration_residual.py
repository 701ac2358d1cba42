#!/usr/bin/python3
"""Co-registration accuracy on a synthetic archive with known misregistration.

Usage: coregistration_residual.py ARCHIVE_DIR results.gpkg [--scale 0.05]

For every (site, scene) with a shift in site_counts, the true displacement of the picture at
the site's centre is computed from scenes_truth.csv (shift dx, dy plus, for tumen-hard, the
rotation and scale about the raster centre, docs/SYNTH.md) and compared with the shift
sitewatch reported. sitewatch measures shifts against its reference frame (the mean position
of the first members, docs/ALGORITHMS.md), so the comparison is up to one constant offset per
site (the median difference). Prints per site the RMS and the largest residual in pixels.
"""
import csv
import math
import sqlite3
import sys

from osgeo import ogr, osr

CENTRE = (631635.0, 4697649.0)  # the synthetic scene centre, EPSG:32652 (docs/SYNTH.md)
PIXEL = 3.0


def main():
    archive, gpkg = sys.argv[1], sys.argv[2]
    scale = float(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 0.05
    full_w, full_h = round(10800 * scale), round(6500 * scale)
    truth = {r["scene_id"]: r for r in csv.DictReader(open(f"{archive}/scenes_truth.csv"))}
    # site centres (bounding box of the zones) in EPSG:32652
    wgs = osr.SpatialReference(); wgs.ImportFromEPSG(4326); wgs.SetAxisMappingStrategy(0)
    utm = osr.SpatialReference(); utm.ImportFromEPSG(32652); utm.SetAxisMappingStrategy(0)
    tr = osr.CoordinateTransformation(wgs, utm)
    ds = ogr.Open(f"{archive}/sites.geojson")
    boxes = {}
    for f in ds.GetLayer():
        g = f.GetGeometryRef().Clone(); g.Transform(tr)
        x0, x1, y0, y1 = g.GetEnvelope()
        b = boxes.get(f.GetField("site_id"), [x0, x1, y0, y1])
        boxes[f.GetField("site_id")] = [min(b[0], x0), max(b[1], x1), min(b[2], y0), max(b[3], y1)]
    centre = {s: ((b[0] + b[1]) / 2, (b[2] + b[3]) / 2) for s, b in boxes.items()}
    rows = sqlite3.connect(gpkg).execute(
        "SELECT DISTINCT site_id, scene_id, shift_x_px, shift_y_px FROM site_counts "
        "WHERE shift_x_px IS NOT NULL AND observable = 1").fetchall()
    per_site = {}
    for site, scene, sx, sy in rows:
        t = truth[scene]
        rot = math.radians(float(t.get("rotation_deg") or 0)); sc = float(t.get("scale") or 1)
        cx = CENTRE[0] + int(t["raster_shift_col"]) * PIXEL
        cy = CENTRE[1] - int(t["raster_shift_row"]) * PIXEL
        u, v = centre[site][0] - cx, centre[site][1] - cy
        # where the site's centre is drawn, in metres east/north of where it belongs
        ex = sc * (math.cos(rot) * u - math.sin(rot) * v) - u
        ey = sc * (math.sin(rot) * u + math.cos(rot) * v) - v
        dx = float(t["dx_px"]) + ex / PIXEL  # columns: east
        dy = float(t["dy_px"]) - ey / PIXEL  # rows: south
        per_site.setdefault(site, []).append((sx - dx, sy - dy))
    print(f"{'site':16} {'scenes':>6} {'rms px':>7} {'max px':>7}")
    for site, d in sorted(per_site.items()):
        mx = sorted(a for a, _ in d)[len(d) // 2]
        my = sorted(b for _, b in d)[len(d) // 2]
        r = [math.hypot(a - mx, b - my) for a, b in d]
        print(f"{site:16} {len(d):6d} {math.sqrt(sum(x * x for x in r) / len(r)):7.3f} {max(r):7.3f}")


if __name__ == "__main__":
    main()
