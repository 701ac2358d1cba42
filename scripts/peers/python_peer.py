#!/usr/bin/python3
"""The peer a researcher would write in Python: sitewatch's method, step by step, with GDAL
(warp onto the site grid), numpy (co-registration, normalisation, change, thresholds,
reference) and OpenCV (morphology, connectedComponentsWithStats). Written vectorised, with
GDAL's own threading on. It follows docs/ALGORITHMS.md so that its counts can be compared
row by row with sitewatch's (scripts/compare-peers.sh).

Usage: python_peer.py --scenes DIR --sites FILE --config FILE --out site_counts.csv
                      [--threads N] [--read-only]

--read-only: only the reads (the warps onto the site grids), no rows written: the peer's
own decode bound, which compare-peers.sh prints next to its full time.

Writes the site_counts columns of SPEC 4 (run_id is "python-peer").
"""
import argparse
import csv
import json
import math
import os
import re
import sys
import tomllib
import warnings
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
# a pixel where no reference member is valid has a NaN median: expected, masked after
warnings.filterwarnings("ignore", message="All-NaN slice encountered")

PLANET = re.compile(r"^(\d{8}_\d{6}(?:_\d{2})?_[0-9a-f]{4})_(.+)\.(tif|json)$")
NAMES4 = ["blue", "green", "red", "nir"]
NAMES8 = ["coastal_blue", "blue", "green_i", "green", "yellow", "red", "rededge", "nir"]


# ---- inputs ---------------------------------------------------------------------------
def asset_rank(kind):
    """Preference among data assets of one item: SR, 8 bands, harmonized, clip."""
    return (("SR" in kind) * 8 + ("8b" in kind) * 4 + ("harmonized" in kind) * 2 +
            ("clip" in kind))


def index_scenes(root):
    items = {}
    for d, _, files in os.walk(root):
        for f in files:
            m = PLANET.match(f)
            if not m:
                continue
            sid, kind = m.group(1), m.group(2)
            it = items.setdefault(sid, {})
            p = os.path.join(d, f)
            if kind == "metadata":
                it["meta"] = p
            elif kind.startswith("3B_udm2"):
                it["udm2_" + ("clip" if "clip" in kind else "full")] = p
            elif kind.startswith("3B_AnalyticMS"):
                if "data" not in it or asset_rank(kind) > asset_rank(it["kind"]):
                    it["data"], it["kind"] = p, kind
    scenes = []
    for sid, it in items.items():
        if "data" not in it:
            continue
        clip = "clip" in it["kind"]
        udm2 = it.get("udm2_clip" if clip else "udm2_full") or it.get("udm2_full") or it.get("udm2_clip")
        acquired, footprint = None, None
        if "meta" in it:
            with open(it["meta"]) as f:
                meta = json.load(f)
            acquired = meta["properties"]["acquired"]
            footprint = ogr.CreateGeometryFromJson(json.dumps(meta["geometry"]))
        if acquired is None:
            acquired = f"{sid[0:4]}-{sid[4:6]}-{sid[6:8]}T{sid[9:11]}:{sid[11:13]}:{sid[13:15]}Z"
        acquired = acquired[:19] + "Z"
        ds = gdal.Open(it["data"])
        if footprint is None:
            gt, w, h = ds.GetGeoTransform(), ds.RasterXSize, ds.RasterYSize
            srs = osr.SpatialReference(wkt=ds.GetProjection())
            srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
            wgs = osr.SpatialReference()
            wgs.ImportFromEPSG(4326)
            wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
            ring = ogr.Geometry(ogr.wkbLinearRing)
            for px, py in [(0, 0), (w, 0), (w, h), (0, h), (0, 0)]:
                ring.AddPoint_2D(gt[0] + px * gt[1], gt[3] + py * gt[5])
            footprint = ogr.Geometry(ogr.wkbPolygon)
            footprint.AddGeometry(ring)
            footprint.Segmentize(abs(gt[1]) * max(w, h) / 20)
            footprint.Transform(osr.CoordinateTransformation(srs, wgs))
        nb = ds.RasterCount
        names = NAMES4 if nb == 4 else NAMES8
        bands = [names.index(n) + 1 for n in ["blue", "green", "red", "nir"]]
        scenes.append(dict(id=sid, path=it["data"], udm2=udm2, acquired=acquired,
                           footprint=footprint, bands=bands))
    scenes.sort(key=lambda s: (s["acquired"], s["id"]))
    return scenes


def load_sites(path, margin, gsd):
    ds = ogr.Open(path)
    lyr = ds.GetLayer(0)
    src = lyr.GetSpatialRef()
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    if src is None:
        src = wgs
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    sites = {}
    for f in lyr:
        g = f.GetGeometryRef().Clone()
        g.Transform(osr.CoordinateTransformation(src, wgs))
        sites.setdefault(f.GetField("site_id"), []).append((f.GetField("class"), g))
    out = []
    for sid in sorted(sites):
        zones = sites[sid]
        union = zones[0][1].Clone()
        for _, g in zones[1:]:
            union = union.Union(g)
        c = union.Centroid()
        zone = min(60, max(1, int(math.floor((c.GetX() + 180.0) / 6.0)) + 1))
        utm = osr.SpatialReference()
        utm.ImportFromEPSG((32600 if c.GetY() >= 0 else 32700) + zone)
        utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        ct = osr.CoordinateTransformation(wgs, utm)
        grid_zones, env = [], None
        for cls, g in zones:
            gg = g.Clone()
            gg.Transform(ct)
            grid_zones.append((cls, gg))
            e = gg.GetEnvelope()
            env = e if env is None else (min(env[0], e[0]), max(env[1], e[1]), min(env[2], e[2]), max(env[3], e[3]))
        x0 = math.floor((env[0] - margin) / gsd) * gsd
        x1 = math.ceil((env[1] + margin) / gsd) * gsd
        y0 = math.ceil((env[3] + margin) / gsd) * gsd
        y1 = math.floor((env[2] - margin) / gsd) * gsd
        out.append(dict(id=sid, union=union, srs=utm, x0=x0, y0=y0, gsd=gsd,
                        w=int(round((x1 - x0) / gsd)), h=int(round((y0 - y1) / gsd)),
                        zones=grid_zones))
    return out


def rasterize(site, geoms):
    drv = gdal.GetDriverByName("MEM")
    ds = drv.Create("", site["w"], site["h"], 1, gdal.GDT_Byte)
    ds.SetGeoTransform((site["x0"], site["gsd"], 0, site["y0"], 0, -site["gsd"]))
    ds.SetProjection(site["srs"].ExportToWkt())
    mem = ogr.GetDriverByName("Memory").CreateDataSource("")
    lyr = mem.CreateLayer("z", site["srs"], ogr.wkbPolygon)
    for g in geoms:
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    gdal.RasterizeLayer(ds, [1], lyr, burn_values=[1])
    return ds.ReadAsArray().astype(bool)


def warp(site, scene):
    bounds = (site["x0"], site["y0"] - site["h"] * site["gsd"], site["x0"] + site["w"] * site["gsd"], site["y0"])
    vrt = gdal.Translate("", scene["path"], format="VRT", bandList=scene["bands"])
    opts = dict(format="MEM", outputBounds=bounds, width=site["w"], height=site["h"],
                dstSRS=site["srs"].ExportToWkt(), resampleAlg="bilinear", srcNodata=0,
                dstAlpha=True, outputType=gdal.GDT_Float32,
                warpOptions=["UNIFIED_SRC_NODATA=YES", "INIT_DEST=0"], multithread=True)
    d = gdal.Warp("", vrt, **opts).ReadAsArray()
    data, alpha = d[:4].astype(np.float32), d[4]
    udm2 = None
    if scene["udm2"]:
        u = gdal.Warp("", scene["udm2"], format="MEM", outputBounds=bounds, width=site["w"],
                      height=site["h"], dstSRS=site["srs"].ExportToWkt(), resampleAlg="near",
                      warpOptions=["INIT_DEST=0"])
        udm2 = u.ReadAsArray()
    return data, alpha, udm2


# ---- statistics as sitewatch takes them: integer histograms ---------------------------
def auto_hist(values, bins):
    v = values[values >= 0]
    top = float(v.max()) if v.size else 0.0
    bw = max(np.float32(top) / np.float32(bins - 1), np.float32(1e-6))
    idx = np.minimum((v / bw).astype(np.int64), bins - 1) if v.size else np.zeros(0, np.int64)
    return np.bincount(idx, minlength=bins), float(bw)


def hist_quantile(h, bw, q, limit=None):
    h = h[:limit] if limit else h
    total = h.sum()
    if total == 0:
        return -1.0
    cum = np.cumsum(h)
    b = int(np.searchsorted(cum, q * total, side="left"))
    while b < len(cum) and cum[b] == 0:
        b += 1
    return (b + 0.5) * bw


def median_mad(h, bw, k, iters):
    limit, med, mad = len(h), -1.0, -1.0
    for it in range(iters + 1):
        if h[:limit].sum() == 0:
            break
        med = hist_quantile(h, bw, 0.5, limit)
        centres = (np.arange(limit) + 0.5) * bw
        dev = np.minimum((np.abs(centres - med) / bw).astype(np.int64), len(h) - 1)
        dh = np.bincount(dev, weights=h[:limit], minlength=len(h))
        mad = hist_quantile(dh, bw, 0.5) - 0.5 * bw
        if it == iters:
            break
        t = med + k * 1.4826 * mad
        nxt = min(len(h), int(t / bw) + 1)
        if nxt >= limit:
            break
        limit = nxt
    return med, mad


# ---- the steps ------------------------------------------------------------------------
def brightness(bands, valid):
    return np.where(valid, bands.mean(axis=0), 0).astype(np.float32)


def sobel(img, valid):
    h, w = img.shape
    ok = np.zeros_like(valid)
    v = valid.astype(np.uint8)
    m = cv2.erode(v, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    ok = m.astype(bool)
    ok[0, :] = ok[-1, :] = ok[:, 0] = ok[:, -1] = False
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REPLICATE)
    return np.where(ok, np.abs(gx) + np.abs(gy), -1).astype(np.float32)


def integer_shift(rg, sg, radius):
    h, w = rg.shape
    stride = 2 if h * w >= 8000 else 1
    lat = np.zeros_like(rg, dtype=bool)
    lat[::stride, ::stride] = True
    scores = {}

    def candidate(dx, dy):
        if abs(dx) > radius or abs(dy) > radius or (dx, dy) in scores:
            return
        ys, ye = max(0, -dy), min(h, h - dy)
        xs, xe = max(0, -dx), min(w, w - dx)
        a = rg[ys:ye, xs:xe]
        b = sg[ys + dy:ye + dy, xs + dx:xe + dx]
        m = (a >= 0) & (b >= 0) & lat[ys:ye, xs:xe]
        n = m.sum()
        scores[(dx, dy)] = None
        if n < 200:
            return
        a, b = a[m].astype(np.float64), b[m].astype(np.float64)
        va = (a * a).sum() - a.sum() ** 2 / n
        vb = (b * b).sum() - b.sum() ** 2 / n
        cov = (a * b).sum() - a.sum() * b.sum() / n
        scores[(dx, dy)] = cov / math.sqrt(va * vb) if va > 0 and vb > 0 else 0.0

    def best():
        valid = [(s_, (dy, dx)) for (dx, dy), s_ in scores.items() if s_ is not None]
        if not valid:
            return None
        top = max(s_ for s_, _ in valid)  # ties: the earliest in (dy, dx) order
        dy, dx = min(k for s_, k in valid if s_ == top)
        return dx, dy

    # coarse to fine, as sitewatch: a step-2 grid of shifts, then 3x3 hill climbing
    for dy in range(-radius, radius + 1, 2):
        for dx in range(-radius, radius + 1, 2):
            candidate(dx, dy)
    for _ in range(2 * radius):
        b0 = best()
        if b0 is None:
            break
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                candidate(b0[0] + dx, b0[1] + dy)
        if best() == b0:
            break
    best = best()
    return best


def bilinear(img, ok, xs, ys):
    """Samples img at (xs, ys) where the four pixels are inside and ok; returns values, mask."""
    h, w = img.shape
    x0, y0 = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
    wx, wy = (xs - x0).astype(np.float32), (ys - y0).astype(np.float32)
    inside = (x0 >= 0) & (y0 >= 0) & (x0 + 1 < w) & (y0 + 1 < h)
    x0c, y0c = np.clip(x0, 0, w - 2), np.clip(y0, 0, h - 2)
    good = inside & ok[y0c, x0c] & ok[y0c, x0c + 1] & ok[y0c + 1, x0c] & ok[y0c + 1, x0c + 1]
    v = ((1 - wx) * (1 - wy) * img[y0c, x0c] + wx * (1 - wy) * img[y0c, x0c + 1] +
         (1 - wx) * wy * img[y0c + 1, x0c] + wx * wy * img[y0c + 1, x0c + 1])
    return v, good


def refine_shift(sb, svalid, rb, rvalid, dx, dy):
    h, w = sb.shape
    ok = svalid.copy()
    ok[1:-1, 1:-1] &= svalid[1:-1, :-2] & svalid[1:-1, 2:] & svalid[:-2, 1:-1] & svalid[2:, 1:-1]
    ok[0, :] = ok[-1, :] = ok[:, 0] = ok[:, -1] = False
    gx = np.zeros_like(sb)
    gy = np.zeros_like(sb)
    gx[:, 1:-1] = 0.5 * (sb[:, 2:] - sb[:, :-2])
    gy[1:-1, :] = 0.5 * (sb[2:, :] - sb[:-2, :])
    gx[~ok] = 0
    gy[~ok] = 0
    sel = rvalid.copy()
    if h * w >= 8000:  # the normal equations over a stride-2 lattice, as sitewatch
        lat = np.zeros_like(sel)
        lat[::2, ::2] = True
        sel &= lat
    yy, xx = np.nonzero(sel)
    ref = rb[yy, xx].astype(np.float64)
    x0, y0 = dx, dy
    a, b, cut = 1.0, 0.0, -1.0
    for it in range(6):
        s0, good = bilinear(sb, ok, xx + dx, yy + dy)
        sgx, _ = bilinear(gx, ok, xx + dx, yy + dy)
        sgy, _ = bilinear(gy, ok, xx + dx, yy + dy)
        r = a * s0.astype(np.float64) + b - ref
        m = good if cut < 0 else good & (np.abs(r) <= cut)
        if m.sum() < 200:
            break
        J = np.stack([a * sgx[m], a * sgy[m], s0[m].astype(np.float64), np.ones(m.sum())], axis=1)
        rr = r[m]
        try:
            delta = np.linalg.solve(J.T @ J, -(J.T @ rr))
        except np.linalg.LinAlgError:
            break
        dx += delta[0]
        dy += delta[1]
        a += delta[2]
        b += delta[3]
        if abs(dx - x0) > 1.5 or abs(dy - y0) > 1.5 or not a > 0:
            return x0, y0
        if it == 2:
            cut = 3.0 * math.sqrt((rr * rr).sum() / m.sum())
        if it >= 3 and abs(delta[0]) < 1e-3 and abs(delta[1]) < 1e-3:
            break
    return dx, dy


def resample(bands, valid, dx, dy):
    h, w = valid.shape
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.zeros_like(bands)
    ok = None
    for k in range(bands.shape[0]):
        v, good = bilinear(bands[k], valid, (xx + dx).ravel(), (yy + dy).ravel())
        out[k] = np.where(good, v, 0).reshape(h, w)
        ok = good.reshape(h, w)
    return out, ok


def normalise(bands, valid, ref, rvalid):
    nb, h, w = bands.shape
    cov = valid & rvalid
    if h * w >= 8000:
        lat = np.zeros_like(cov)
        lat[::2, ::2] = True
        cov = cov & lat
    X = np.concatenate([bands[:, cov].T.astype(np.float64), np.ones((cov.sum(), 1))], axis=1)
    Y = ref[:, cov].T.astype(np.float64)
    inl = np.ones(len(X), bool)
    coef = None
    for p in range(3):
        if inl.sum() < 20 * (nb + 1):
            break
        c, *_ = np.linalg.lstsq(X[inl], Y[inl], rcond=None)
        coef = c.astype(np.float32)
        if p == 2:
            break
        res = np.abs(Y - X @ coef.astype(np.float64))
        top = max(np.float32(res.max()) / np.float32(8191), np.float32(1e-6))
        cuts = []
        for k in range(nb):
            idx = np.minimum((res[:, k] / top).astype(np.int64), 8191)
            hk = np.bincount(idx, minlength=8192)
            mad = hist_quantile(hk, top, 0.5)
            cuts.append(max(3 * 1.4826 * mad, 3 * top))
        inl = (res <= np.array(cuts)).all(axis=1)
    if coef is None:
        return bands
    flat = bands.reshape(nb, -1).T.astype(np.float32)
    mapped = (flat @ coef[:nb] + coef[nb]).T.reshape(nb, h, w)
    return np.where(valid, mapped, bands).astype(np.float32)


def tolerance(ref, rvalid, tol_px):
    nb, h, w = ref.shape
    out = np.zeros_like(ref)
    hx = np.zeros((h, w), bool)
    hy = np.zeros((h, w), bool)
    hx[:, 1:-1] = rvalid[:, 1:-1] & rvalid[:, :-2] & rvalid[:, 2:]
    hy[1:-1, :] = rvalid[1:-1, :] & rvalid[:-2, :] & rvalid[2:, :]
    for k in range(nb):
        g = np.zeros((h, w), np.float32)
        dxg = np.zeros((h, w), np.float32)
        dyg = np.zeros((h, w), np.float32)
        dxg[:, 1:-1] = np.abs(ref[k][:, 2:] - ref[k][:, :-2]) * 0.5
        dyg[1:-1, :] = np.abs(ref[k][2:, :] - ref[k][:-2, :]) * 0.5
        g = np.where(hx, dxg, 0) + np.where(hy, dyg, 0)
        m = cv2.dilate(g.astype(np.float32), np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
        out[k] = np.float32(tol_px) * m
    return out


def tophat_evidence(b, domain, r, polarity, k):
    se = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    ev = np.zeros(b.shape, bool)
    for white in ([True, False] if polarity == "any" else [polarity == "brighter"]):
        if white:
            # outside the domain kills the square
            er = cv2.erode(np.where(domain, b, np.float32(-3e38)).astype(np.float32), se,
                           borderType=cv2.BORDER_CONSTANT, borderValue=-3e38)
            op = cv2.dilate(er, se, borderType=cv2.BORDER_CONSTANT, borderValue=-3e38)
            th = np.where(domain & (op > -1e38), np.maximum(b - op, 0), -1)
        else:
            di = cv2.dilate(np.where(domain, b, np.float32(3e38)).astype(np.float32), se,
                            borderType=cv2.BORDER_CONSTANT, borderValue=3e38)
            cl = cv2.erode(di, se, borderType=cv2.BORDER_CONSTANT, borderValue=3e38)
            th = np.where(domain & (cl < 1e38), np.maximum(cl - b, 0), -1)
        th = th.astype(np.float32)
        h, bw = auto_hist(th.ravel(), 32768)
        q10, q25 = hist_quantile(h, bw, 0.10), hist_quantile(h, bw, 0.25)
        t = 1e300 if q10 < 0 else None
        if t is None:
            sigma = max((q25 - q10) / 0.6071, bw)
            t = q25 + 0.6745 * sigma + k * sigma
        ev |= th > max(t, 100.0)
    return ev


def morph(mask, r, erosion):
    if r <= 0:
        return mask
    se = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    f = cv2.erode if erosion else cv2.dilate
    return f(mask.astype(np.uint8), se, borderType=cv2.BORDER_CONSTANT, borderValue=1 if erosion else 0).astype(bool)


def count_objects(mask, cls, gsd, split_len):
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    if n <= 1:
        return 0, 0
    yy, xx = np.nonzero(lab)
    l = lab[yy, xx]
    x, y = xx.astype(np.float64), yy.astype(np.float64)
    area = np.bincount(l, minlength=n)[1:].astype(np.float64)
    sx, sy = np.bincount(l, x, n)[1:], np.bincount(l, y, n)[1:]
    sxx, syy, sxy = np.bincount(l, x * x, n)[1:], np.bincount(l, y * y, n)[1:], np.bincount(l, x * y, n)[1:]
    cx, cy = sx / area, sy / area
    vxx = sxx / area - cx * cx + 1 / 12
    vyy = syy / area - cy * cy + 1 / 12
    vxy = sxy / area - cx * cy
    half = 0.5 * (vxx + vyy)
    disc = np.sqrt(0.25 * (vxx - vyy) ** 2 + vxy ** 2)
    length = np.sqrt(12 * (half + disc))
    width = np.sqrt(12 * np.maximum(half - disc, 0))
    px = gsd * gsd
    keep = (area >= cls["min_area_m2"] / px) & (area <= cls["max_area_m2"] / px)
    keep &= width >= 0.5 * cls["width_m"] / gsd
    keep &= area >= 0.35 * length * width
    est = np.ones(len(area))
    if split_len > 0:
        est = np.maximum(1, np.floor(length / split_len + 0.5))
    return int(est[keep].sum()), int(keep.sum())


def robust_z(history, value, window, min_history):
    h = history[-window:] if window > 0 else []
    if len(h) < min_history or not h:
        return None
    med = float(np.median(h))
    mad = float(np.median(np.abs(np.array(h) - med)))
    return (value - med) / max(1.4826 * mad, 1.0)


# ---- one site ------------------------------------------------------------------------
def read_site(site, scenes):
    """The reads of run_site and nothing else (--read-only)."""
    for sc in scenes:
        if sc["footprint"].Intersects(site["union"]):
            warp(site, sc)
    return []


def run_site(site, scenes, cfg):
    gsd = site["gsd"]
    classes = sorted({c for c, _ in site["zones"]})
    zones = {c: rasterize(site, [g for cc, g in site["zones"] if cc == c]) for c in classes}
    ref_cfg, ch_cfg = cfg.get("reference", {}), cfg.get("change", {})
    window, min_scenes = ref_cfg.get("window", 7), ref_cfg.get("min_scenes", 3)
    k = ch_cfg.get("k", 4.0)
    tol_px = ch_cfg.get("edge_tolerance_px", 0.5)
    radius = cfg.get("coregistration", {}).get("search_radius_px", 4)
    min_valid = cfg.get("min_valid_fraction", 0.5)
    an = cfg.get("anomaly", {})
    members, ids, shifts, recentred = [], [], [], 0
    ref = rvalid = rtol = None
    history, rows = {}, []
    site_area = site["union"]
    for sc in scenes:
        if not sc["footprint"].Intersects(site_area):
            continue
        bands, alpha, udm2 = warp(site, sc)
        valid = alpha >= 128
        if udm2 is not None:
            valid &= (udm2[0] == 1) & (udm2[1:6].sum(axis=0) == 0) & ((udm2[7] & 1) == 0)
        gvf = valid.mean()
        observable_site = gvf >= min_valid
        has_shift, sx, sy = False, None, None
        if members and gvf > 0:
            has_shift, sx, sy = True, 0.0, 0.0
            if radius > 0:
                sb, rb = brightness(bands, valid), brightness(ref, rvalid)
                best = integer_shift(sobel(rb, rvalid), sobel(sb, valid), radius)
                if best is not None:
                    sx, sy = refine_shift(sb, valid, rb, rvalid, float(best[0]), float(best[1]))
                    if sx != 0 or sy != 0:
                        bands, valid = resample(bands, valid, sx, sy)
        bright = brightness(bands, valid)
        if members and gvf > 0:
            bands = normalise(bands, valid, ref, rvalid)
        ready = len(members) >= min_scenes
        change = np.zeros(valid.shape, bool)
        if ready:
            cov = valid & rvalid
            d = bands - ref
            raw = np.sqrt((d * d).sum(axis=0))
            shr = np.sign(d) * np.maximum(np.abs(d) - rtol, 0)
            mag = np.where(cov, np.sqrt((shr * shr).sum(axis=0)), -1).astype(np.float32)
            diff = np.where(cov, shr.mean(axis=0), 0)
            raw = np.where(cov, raw, -1).astype(np.float32)
            h, bw = auto_hist(raw.ravel(), 32768)
            med, mad = median_mad(h, bw, k, 3)
            thr = med + k * 1.4826 * mad if med >= 0 else np.inf
            change = mag > thr
        for c in classes:
            z = zones[c]
            zpx = int(z.sum())
            vpx = int((z & valid).sum())
            obs = zpx > 0 and vpx / zpx >= min_valid
            row = dict(site_id=site["id"], scene_id=sc["id"], acquired=sc["acquired"], **{"class": c},
                       observable="true" if obs else "false", count="", components="",
                       valid_fraction=vpx / zpx if zpx else 0.0, changed_area_m2="",
                       changed_fraction="", shift_x_px="" if not has_shift else sx,
                       shift_y_px="" if not has_shift else sy, reference="", anomaly="",
                       run_id="python-peer")
            value = None
            if obs and ready:
                cpx = int((z & valid & change).sum())
                row["changed_area_m2"] = cpx * gsd * gsd
                row["changed_fraction"] = cpx / vpx if vpx else 0.0
            if obs and c != "change":
                cl = cfg["classes"][c]
                local = cl.get("background", "reference") == "local"
                if local or ready:
                    inside = z & valid
                    if local:
                        r = max(1, int(math.ceil(cl.get("width_m", 3.2) / gsd)))
                        ev = tophat_evidence(bright, inside, r, cl.get("polarity", "any"), k)
                    else:
                        pol = cl.get("polarity", "any")
                        ev = change & (diff > 0 if pol == "brighter" else diff < 0 if pol == "darker" else True)
                    ev &= inside
                    o, cr = cl.get("open_px", 0), cl.get("close_px", 1)
                    ev = morph(morph(ev, o, True), o, False)
                    ev = morph(morph(ev, cr, False), cr, True) & inside
                    split = cl.get("length_m", 14.6) / gsd if cl.get("split", "length") == "length" else 0
                    cnt, comps = count_objects(ev, cl, gsd, split)
                    row["count"], row["components"] = cnt, comps
                    value = cnt
            elif obs and ready:
                value = row["changed_area_m2"]
            if value is not None:
                hh = history.setdefault(c, [])
                z_ = robust_z(hh, value, an.get("window", 20), an.get("min_history", 5))
                if z_ is not None:
                    row["anomaly"] = "true" if abs(z_) > an.get("z", 4.0) else "false"
                hh.append(value)
            rows.append(row)
        if observable_site:
            members.append((bands.copy(), valid.copy()))
            ids.append(sc["id"])
            shifts.append((sx or 0.0, sy or 0.0))
            if len(members) > window:
                members.pop(0)
                ids.pop(0)
                shifts.pop(0)
            n = len(members)
            if (n == min_scenes or n == window) and n >= 3 and recentred < n:
                recentred = n
                mx = sum(s[0] for s in shifts) / n
                my = sum(s[1] for s in shifts) / n
                if abs(mx) >= 0.05 or abs(my) >= 0.05:
                    members = [resample(b, v, -mx, -my) for b, v in members]
                    shifts = [(a - mx, b - my) for a, b in shifts]
            stack = np.stack([np.where(v, b, np.nan) for b, v in members])
            ref = np.nanmedian(stack, axis=0).astype(np.float32)  # all-NaN: no member valid
            rvalid = np.stack([v for _, v in members]).any(axis=0)
            ref = np.where(rvalid, ref, 0).astype(np.float32)
            rtol = tolerance(ref, rvalid, tol_px)
    return rows


COLUMNS = ["site_id", "scene_id", "acquired", "class", "observable", "count", "components",
           "valid_fraction", "changed_area_m2", "changed_fraction", "shift_x_px", "shift_y_px",
           "reference", "anomaly", "run_id"]


def write_site_counts(path, results):
    """The rows of every site (a list per site), as site_counts.csv."""
    with open(path, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=COLUMNS)
        wr.writeheader()
        for rows in results:
            for r in rows:
                wr.writerow(r)


def peer_arguments(description):
    """The arguments every peer takes (the OTB peer adds its own)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--scenes", required=True)
    ap.add_argument("--sites", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    return ap


def load_job(a):
    """The config, the site grids and the scene index named by peer_arguments."""
    with open(a.config, "rb") as f:
        cfg = tomllib.load(f)
    sites = load_sites(a.sites, cfg.get("grid_margin_m", 60.0), cfg.get("gsd_m", 3.0))
    return cfg, sites, index_scenes(a.scenes)


def main():
    ap = peer_arguments(__doc__.splitlines()[0])
    ap.add_argument("--read-only", action="store_true",
                    help="only warp every scene onto every site grid; write nothing")
    a = ap.parse_args()
    gdal.SetConfigOption("GDAL_NUM_THREADS", str(a.threads))
    cv2.setNumThreads(a.threads)
    cfg, sites, scenes = load_job(a)
    with ThreadPoolExecutor(max_workers=a.threads) as pool:
        if a.read_only:
            list(pool.map(lambda s: read_site(s, scenes), sites))
            return 0
        results = list(pool.map(lambda s: run_site(s, scenes, cfg), sites))
    write_site_counts(a.out, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
