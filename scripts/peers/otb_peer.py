#!/usr/bin/python3
"""The Orfeo ToolBox peer: the closest chain of OTB applications (Debian's otb-bin) to
sitewatch's job, driven per (site, scene) from Python. Scene discovery, site grids and zone
masks reuse python_peer.py (GDAL); every raster operation is an otbcli application:

  Superimpose (scene, linear; UDM2, nearest) onto the site grid
  BandMath (valid mask; brightness; change magnitude against the previous observable scene
            after mean matching; the polarity and zone masks)
  ComputeImagesStatistics (means for the matching; mean and standard deviation for the
            thresholds: OTB has no median/MAD statistics)
  GrayScaleMorphologicalOperation (opening / closing: the local-background top-hat)
  BinaryMorphologicalOperation (the class's opening / closing)
  ConnectedComponentSegmentation (8-connected objects, minimum size) -> a vector file whose
            features are counted

What OTB has no application for, the chain leaves out and says so: co-registration (its
FineRegistration computes dense disparity, not a shift), a median reference (the previous
observable scene serves), robust normalisation and thresholds (means are matched; the
change threshold is mean + 3 std; local objects need a fixed contrast of 300), shape
filters and the split of trains by length (components are counted).

Usage: otb_peer.py --scenes DIR --sites FILE --config FILE --out site_counts.csv
                   [--threads N] [--work DIR]
"""
import math
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from osgeo import gdal, ogr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import python_peer as pp  # noqa: E402  (shared inputs: scenes, sites, zone masks)

gdal.UseExceptions()

# Thresholds where OTB lacks sitewatch's robust statistics (see the module docstring):
LOCAL_CONTRAST = 300.0  # top-hat contrast of local-background objects, reflectance x10000
CHANGE_K = 3.0          # change magnitude above mean + CHANGE_K * standard deviation


def otb(app, *args):
    subprocess.run(["otbcli_" + app, *map(str, args)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def stats(path):
    """Mean and standard deviation of band 1 over pixels that are not 0 (OTB's -bv), as
    ComputeImagesStatistics prints them."""
    done = subprocess.run(["otbcli_ComputeImagesStatistics", "-il", path, "-bv", "0"],
                          capture_output=True, text=True)
    if done.returncode != 0:  # every pixel is 0 (nothing co-valid)
        return 0.0, 0.0
    out = done.stdout
    def value(key):
        for line in out.splitlines():
            if line.startswith(key + ":"):
                return float(line.split("[")[1].split(",")[0].split("]")[0])
        return 0.0
    return value("out.mean"), value("out.std")


def grid_image(site, path):
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(path, site["w"], site["h"], 1, gdal.GDT_Byte)
    ds.SetGeoTransform((site["x0"], site["gsd"], 0, site["y0"], 0, -site["gsd"]))
    ds.SetProjection(site["srs"].ExportToWkt())
    ds = None


def save_mask(site, mask, path):
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(path, site["w"], site["h"], 1, gdal.GDT_Byte)
    ds.SetGeoTransform((site["x0"], site["gsd"], 0, site["y0"], 0, -site["gsd"]))
    ds.SetProjection(site["srs"].ExportToWkt())
    ds.GetRasterBand(1).WriteArray(mask.astype(np.uint8))
    ds = None


def count_features(path):
    ds = ogr.Open(path)
    if ds is None:
        return 0
    return sum(ds.GetLayer(i).GetFeatureCount() for i in range(ds.GetLayerCount()))


def components(mask_tif, work, tag, minsize):
    out = os.path.join(work, tag + ".shp")
    try:
        # foreground pixels (mask b1 > 0) joined where neighbours are equal
        otb("ConnectedComponentSegmentation", "-in", mask_tif, "-out", out, "-mask", "b1 > 0",
            "-expr", "distance < 0.5", "-minsize", max(1, minsize))
    except subprocess.CalledProcessError:
        return 0  # OTB fails on an image without any object
    return count_features(out)


def run_site(site, scenes, cfg, work_root):
    work = tempfile.mkdtemp(dir=work_root, prefix=site["id"] + "-")
    gsd = site["gsd"]
    grid = os.path.join(work, "grid.tif")
    grid_image(site, grid)
    classes = sorted({c for c, _ in site["zones"]})
    zone_tifs = {}
    for c in classes:
        z = pp.rasterize(site, [g for cc, g in site["zones"] if cc == c])
        zone_tifs[c] = (os.path.join(work, f"zone_{c}.tif"), z)
        save_mask(site, z, zone_tifs[c][0])
    min_valid = cfg.get("min_valid_fraction", 0.5)
    prev = None  # (bands tif, brightness tif) of the previous observable scene
    rows = []
    for n, sc in enumerate(scenes):
        if not sc["footprint"].Intersects(site["union"]):
            continue
        t = os.path.join(work, f"s{n}")
        b = sc["bands"]
        otb("Superimpose", "-inr", grid, "-inm", sc["path"], "-interpolator", "linear",
            "-out", t + "_all.tif", "float")
        expr_valid = f"im1b{b[0]} > 0"
        inputs = ["-il", t + "_all.tif"]
        if sc["udm2"]:
            otb("Superimpose", "-inr", grid, "-inm", sc["udm2"], "-interpolator", "nn",
                "-out", t + "_udm2.tif", "uint8")
            inputs += [t + "_udm2.tif"]
            expr_valid += (" && im2b1 == 1 && im2b2 + im2b3 + im2b4 + im2b5 + im2b6 == 0"
                           " && rint(im2b8 / 2 - 0.25) * 2 == im2b8")
        otb("BandMath", *inputs, "-exp", f"({expr_valid}) ? 1 : 0", "-out", t + "_valid.tif", "uint8")
        otb("BandMath", "-il", t + "_all.tif", "-exp",
            f"(im1b{b[0]} + im1b{b[1]} + im1b{b[2]} + im1b{b[3]}) / 4", "-out", t + "_bright.tif",
            "float")
        valid = gdal.Open(t + "_valid.tif").ReadAsArray().astype(bool)
        observable_site = valid.mean() >= min_valid
        change_tif = None
        if prev is not None:
            # mean matching per band, then the change magnitude, thresholded at mean + k std
            gains = []
            for band, pband in zip(b, prev[3]):
                otb("BandMath", "-il", t + "_all.tif", t + "_valid.tif", prev[2], "-exp",
                    f"(im2b1 && im3b1) ? im1b{band} : 0", "-out", t + f"_m{band}.tif", "float")
                ms, _ = stats(t + f"_m{band}.tif")
                otb("BandMath", "-il", prev[0], t + "_valid.tif", prev[2], "-exp",
                    f"(im2b1 && im3b1) ? im1b{pband} : 0", "-out", t + f"_r{band}.tif", "float")
                mr, _ = stats(t + f"_r{band}.tif")
                gains.append(mr / ms if ms > 0 else 1.0)
            terms = " + ".join(f"({g:.6f} * im1b{band} - im2b{pband}) * ({g:.6f} * im1b{band} - im2b{pband})"
                               for g, band, pband in zip(gains, b, prev[3]))
            otb("BandMath", "-il", t + "_all.tif", prev[0], t + "_valid.tif", prev[2], "-exp",
                f"(im3b1 && im4b1) ? sqrt({terms}) + 0.001 : 0", "-out", t + "_mag.tif", "float")
            mean, std = stats(t + "_mag.tif")
            change_tif = t + "_change.tif"
            otb("BandMath", "-il", t + "_mag.tif", "-exp",
                f"im1b1 > {mean + CHANGE_K * std} ? 1 : 0", "-out", change_tif, "uint8")
        for c in classes:
            ztif, z = zone_tifs[c]
            zpx, vpx = int(z.sum()), int((z & valid).sum())
            obs = zpx > 0 and vpx / zpx >= min_valid
            row = dict(site_id=site["id"], scene_id=sc["id"], acquired=sc["acquired"], **{"class": c},
                       observable="true" if obs else "false", count="", components="",
                       valid_fraction=vpx / zpx if zpx else 0.0, changed_area_m2="",
                       changed_fraction="", shift_x_px="", shift_y_px="", reference="",
                       anomaly="", run_id="otb-peer")
            if obs and change_tif:
                ch = gdal.Open(change_tif).ReadAsArray().astype(bool)
                cpx = int((ch & z & valid).sum())
                row["changed_area_m2"] = cpx * gsd * gsd
                row["changed_fraction"] = cpx / vpx if vpx else 0.0
            if obs and c != "change":
                cl = cfg["classes"][c]
                local = cl.get("background", "reference") == "local"
                minsize = int(math.ceil(cl.get("min_area_m2", 25) / (gsd * gsd)))
                mask_tif = t + f"_{c}_mask.tif"
                if local:
                    r = max(1, int(math.ceil(cl.get("width_m", 3.2) / gsd)))
                    white = cl.get("polarity", "any") != "darker"
                    otb("GrayScaleMorphologicalOperation", "-in", t + "_bright.tif", "-out",
                        t + f"_{c}_morph.tif", "float", "-structype", "box", "-xradius", r,
                        "-yradius", r, "-filter", "opening" if white else "closing")
                    expr = "im1b1 - im2b1" if white else "im2b1 - im1b1"
                    otb("BandMath", "-il", t + "_bright.tif", t + f"_{c}_morph.tif", ztif,
                        t + "_valid.tif", "-exp", f"(im3b1 && im4b1) ? max({expr}, 0) + 0.001 : 0",
                        "-out", t + f"_{c}_tophat.tif", "float")
                    # OTB offers mean and standard deviation, not robust statistics: on a
                    # half-full depot mean + k std lies above every stack, so the chain
                    # uses a fixed contrast, as an OTB user would
                    otb("BandMath", "-il", t + f"_{c}_tophat.tif", "-exp",
                        f"im1b1 > {LOCAL_CONTRAST} ? 1 : 0", "-out", mask_tif, "uint8")
                elif change_tif:
                    pol = cl.get("polarity", "any")
                    cond = {"darker": "im2b1 < im3b1", "brighter": "im2b1 > im3b1"}.get(pol, "1")
                    otb("BandMath", "-il", change_tif, t + "_bright.tif", prev[1], ztif, t + "_valid.tif",
                        "-exp", f"(im1b1 && im4b1 && im5b1 && {cond}) ? 1 : 0", "-out", mask_tif, "uint8")
                else:
                    mask_tif = None
                if mask_tif:
                    for radius, op in ((cl.get("open_px", 0), "opening"), (cl.get("close_px", 1), "closing")):
                        if radius > 0:
                            otb("BinaryMorphologicalOperation", "-in", mask_tif, "-out", mask_tif + ".m.tif",
                                "uint8", "-structype", "box", "-xradius", radius, "-yradius", radius,
                                "-filter", op, "-foreval", 1, "-backval", 0)
                            shutil.move(mask_tif + ".m.tif", mask_tif)
                    cnt = components(mask_tif, work, f"{n}_{c}", minsize)
                    row["count"], row["components"] = cnt, cnt
            rows.append(row)
        if observable_site:
            prev = (t + "_all.tif", t + "_bright.tif", t + "_valid.tif", b)
    return rows


def main():
    ap = pp.peer_arguments(__doc__.splitlines()[0])
    ap.add_argument("--work", default=None, help="keep intermediate rasters here")
    a = ap.parse_args()
    os.environ["OTB_MAX_RAM_HINT"] = "256"
    os.environ["ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS"] = "1"  # sites run side by side instead
    cfg, sites, scenes = pp.load_job(a)
    work_root = a.work or tempfile.mkdtemp(prefix="otb-peer-")
    os.makedirs(work_root, exist_ok=True)
    try:
        with ThreadPoolExecutor(max_workers=a.threads) as pool:
            results = list(pool.map(lambda s: run_site(s, scenes, cfg, work_root), sites))
    finally:
        if a.work is None:
            shutil.rmtree(work_root, ignore_errors=True)
    pp.write_site_counts(a.out, results)


if __name__ == "__main__":
    sys.exit(main())
