#!/usr/bin/python3
"""Bad-input corpus for `sitewatch run` (issue 12, item 5; SPEC 5).

    make_corpus.py BINARY DIR      build every case under DIR, write DIR/cases.json

Every case starts from one synthesised base archive (`sitewatch synth --dates 4 --scale 0.05
--start 2023-10-01 --all-assets`, DIR/base: 4 Planet items, 4 sites, 16 pairs). A case that
changes scenes, catalog or config gets its own folder DIR/cases/ID with a copy of what it
changes; the rest is read from the base. The table CASES below gives, per case, the command
and its exact expected behaviour; tests/bad_inputs/run_corpus.py runs them.

Fields of a case (placeholders {BASE}, {CASE}, {OUT} are the base archive, the case's folder
and the case's empty output folder; {STD} expands to
`run --scenes S --sites F --config C --out O -q` with S, F, C the base's and O {OUT}/o.gpkg
unless the case gives `scenes`, `sites`, `config`, `out`; `quiet: False` drops the -q):
  args          the command line after the binary (a list; {STD} is spliced)
  exit          the expected exit code (or a list of them; "killed by SIGTERM": died of it)
  contains      substrings the combined stdout/stderr must hold (the file and the cause)
  timeout       seconds before the run counts as hung and is killed (default 60)
  gpkg          'none': nothing at all is written to {OUT}; 'intact': {OUT}/o.gpkg exists;
                'any': either (every GeoPackage left is checked with PRAGMA integrity_check)
  rows          distinct scene_ids in site_counts (the other scenes still processed)
  status        {'done': n, 'failed': n, 'skipped': n} counted in the scenes table
  unchanged     a file that must keep its bytes (a foreign --out with --resume)
  user          'nobody': run as uid 65534 (file permissions mean nothing to root)
  fsize         RLIMIT_FSIZE in bytes for the run (ulimit -f: a full disk while writing)
  signal        'SIGTERM' / 'SIGINT': sent 0.1 s after the run has planned its pairs, or at
                its first log line with signal_when 'start'; signal_count 2 sends it twice
  then          follow-up commands (same fields), e.g. --resume after a signal
  sql           [[query, value], ...]: each query on {OUT}/o.gpkg returns that single value
  same_as_clean site_counts and detections equal those of an uninterrupted run of the base
  known_failure the bug this case shows today: the case must fail (and is reported as XFAIL);
                if it passes, the runner fails so that the list stays honest
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

STD = "{STD}"
CASES = []
BUILDERS = {}


def case(cid, area, **kw):
    """Register a case; used as a decorator of its builder (or called with build=None)."""
    entry = {"id": cid, "area": area, "args": kw.pop("args", [STD]), "exit": kw.pop("exit", 0)}
    entry.update(kw)
    CASES.append(entry)

    def deco(fn):
        BUILDERS[cid] = fn
        return fn

    return deco


class Base:
    """The synthesised archive and the names of its four items (S1..S4 by time)."""

    def __init__(self, root):
        self.root = root
        self.scenes = os.path.join(root, "scenes")
        data = []
        for d, _, files in os.walk(self.scenes):
            for f in files:
                if "_AnalyticMS" in f and f.endswith(".tif"):
                    data.append(os.path.join(d, f))
        data.sort(key=os.path.basename)
        assert len(data) == 4, data
        self.data = data
        self.ids = [os.path.basename(p)[:23] for p in data]
        self.folder = os.path.dirname(data[0])

    def rel(self, path):
        return os.path.relpath(path, self.scenes)

    def udm2(self, i):
        d = os.path.dirname(self.data[i])
        return [os.path.join(d, f) for f in sorted(os.listdir(d))
                if f.startswith(self.ids[i]) and "udm2" in f][0]

    def meta(self, i):
        return os.path.join(os.path.dirname(self.data[i]), self.ids[i] + "_metadata.json")


class Case:
    def __init__(self, base, root):
        self.base = base
        self.dir = root
        os.makedirs(root, exist_ok=True)

    def p(self, *parts):
        return os.path.join(self.dir, *parts)

    # scenes ------------------------------------------------------------------------------
    def copy_scenes(self, name="scenes"):
        dst = self.p(name)
        shutil.copytree(self.base.scenes, dst, symlinks=True)
        return dst

    def s(self, base_path, name="scenes"):
        """The case's copy of a file of the base's scenes folder."""
        return os.path.join(self.dir, name, self.base.rel(base_path))

    def read(self, i):
        ds = gdal.Open(self.base.data[i])
        return ds.ReadAsArray(), ds.GetGeoTransform(), ds.GetProjection()

    def write_tif(self, path, arr, gdal_type, gt=None, wkt=None, options=(), md=None,
                  names=None):
        arr = np.asarray(arr)
        if arr.ndim == 2:
            arr = arr[None]
        n, h, w = arr.shape
        if os.path.lexists(path):
            os.remove(path)
        ds = gdal.GetDriverByName("GTiff").Create(path, w, h, n, gdal_type, list(options))
        if gt is not None:
            ds.SetGeoTransform(gt)
        if wkt:
            ds.SetProjection(wkt)
        if md:
            ds.SetMetadata(md)
        for b in range(n):
            ds.GetRasterBand(b + 1).WriteArray(arr[b])
            if names:
                ds.GetRasterBand(b + 1).SetDescription(names[b])
        ds = None

    def replace_data(self, i, arr, gdal_type, gt=None, wkt=None, options=()):
        _, g, w = self.read(i)
        self.write_tif(self.s(self.base.data[i]), arr, gdal_type, g if gt is None else gt,
                       w if wkt is None else wkt, options)

    def generic(self, folder, stem, arr=None, gdal_type=gdal.GDT_UInt16, gt="same", wkt="same",
                acquired="2023-10-03T01:00:00Z", md=None):
        """A generic (non-Planet) GeoTIFF made of S1's pixels, with a sidecar {stem}.json."""
        a, g, w = self.read(0)
        d = self.p("scenes", folder)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, stem + ".tif")
        self.write_tif(path, a if arr is None else arr, gdal_type, g if gt == "same" else gt,
                       w if wkt == "same" else wkt, md=md, names=["blue", "green", "red", "nir"])
        if acquired is not None:
            with open(os.path.join(d, stem + ".json"), "w") as f:
                json.dump({"acquired": acquired}, f)
        return path

    def write(self, path, data):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.remove(path)
        with open(path, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)

    # catalog and config ------------------------------------------------------------------
    def sites(self):
        with open(os.path.join(self.base.root, "sites.geojson")) as f:
            return json.load(f)

    def write_sites(self, fc, name="sites.geojson"):
        self.write(self.p(name), json.dumps(fc, indent=1))

    def config_text(self):
        with open(os.path.join(self.base.root, "config.toml")) as f:
            return f.read()

    def write_config(self, text, name="config.toml"):
        self.write(self.p(name), text)


# ===========================================================================================
# Scenes
# ===========================================================================================

def _float_scene(value):
    def build(c):
        c.copy_scenes()
        a, _, _ = c.read(0)
        c.replace_data(0, np.full(a.shape, value, np.float32), gdal.GDT_Float32)
    return build


# Non-finite pixels are invalid (docs/SCENES.md): the scene is seen, no site observable.
_S1_ROWS = "SELECT COUNT(*) FROM site_counts WHERE scene_id = '{S1_ID}' AND "
_S1_UNOBSERVED = [[_S1_ROWS + "observable", 0], [_S1_ROWS + "count IS NOT NULL", 0]]
for _cid, _v in (("float32_all_nan", np.nan), ("float32_all_posinf", np.inf),
                 ("float32_all_neginf", -np.inf)):
    case(_cid, "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact", rows=4,
         status={"done": 4}, sql=_S1_UNOBSERVED)(_float_scene(_v))


@case("truncated_tiff", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=3,
      status={"done": 3, "failed": 1},
      contains=["1 scene failed", "{S1}: truncated (its last block ends at byte"])
def _(c):
    p = c.s(c.base.data[0])
    c.copy_scenes()
    size = os.path.getsize(p)
    with open(p, "r+b") as f:
        f.truncate(size // 2)


@case("zero_byte_data_file", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=3,
      status={"done": 3, "failed": 1}, contains=["1 scene failed", "{S1}: cannot open as a raster"])
def _(c):
    c.copy_scenes()
    c.write(c.s(c.base.data[0]), b"")


@case("wrong_magic", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=3,
      status={"done": 3, "failed": 1}, contains=["1 scene failed", "{S1}: cannot open as a raster"])
def _(c):
    c.copy_scenes()
    c.write(c.s(c.base.data[0]), b"GIF89a" + os.urandom(4000))


@case("generic_without_crs", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=4,
      status={"done": 4, "failed": 1},
      contains=["nocrs.tif: not georeferenced (no coordinate reference system)"])
def _(c):
    c.copy_scenes()
    c.generic("generic", "nocrs", wkt=None)


@case("generic_without_geotransform", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact",
      rows=4, status={"done": 4, "failed": 1}, contains=["nogt.tif: not georeferenced (no geotransform)"])
def _(c):
    c.copy_scenes()
    c.generic("generic", "nogt", gt=None)


# A rotated geotransform is a valid georeference; GDAL's warper follows it.
@case("generic_rotated_geotransform", "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact",
      rows=5, status={"done": 5})
def _(c):
    c.copy_scenes()
    _, g, _ = c.read(0)
    c.generic("generic", "rotated", gt=(g[0], g[1], 0.5, g[3], 0.5, g[5]))


def _bands(n, gdal_type=gdal.GDT_UInt16, dtype=np.uint16):
    def build(c):
        c.copy_scenes()
        a, _, _ = c.read(0)
        arr = np.stack([a[k % a.shape[0]] for k in range(n)]).astype(dtype)
        c.replace_data(0, arr, gdal_type)
    return build


for _n in (1, 5, 16):
    case(f"planet_{_n}_bands", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=3,
         status={"done": 3, "failed": 1},
         contains=["{S1}", f"wrong band count {_n}, expected 4 or 8"])(_bands(_n))


# Other pixel types of a 4-band scene: read and converted like UInt16.
case("planet_int8", "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact", rows=4,
     status={"done": 4})(lambda c: (c.copy_scenes(), c.replace_data(
         0, (c.read(0)[0] // 256).astype(np.uint8), gdal.GDT_Byte,
         options=["PIXELTYPE=SIGNEDBYTE", "PHOTOMETRIC=MINISBLACK", "ALPHA=NO"])))
case("planet_float64", "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact", rows=4,
     status={"done": 4})(_bands(4, gdal.GDT_Float64, np.float64))


# Complex pixels have no reflectance: the scene fails with its type named.
@case("planet_complex", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=3,
      status={"done": 3, "failed": 1}, contains=["{S1}", "CFloat32"])
def _(c):
    c.copy_scenes()
    a, _, _ = c.read(0)
    c.replace_data(0, a.astype(np.complex64), gdal.GDT_CFloat32)


def _tiny_tiff_huge_header(path, origin, epsg=32652, size=200000, tile=1024):
    """A GeoTIFF whose header says size x size x 4 UInt16 pixels in tiles that lie past the
    end of a ~80 KB file."""
    nt = ((size + tile - 1) // tile) ** 2
    entries = []  # (tag, type, count, value bytes)

    def short(tag, *v):
        entries.append((tag, 3, len(v), struct.pack("<%dH" % len(v), *v)))

    def long_(tag, *v):
        entries.append((tag, 4, len(v), struct.pack("<%dI" % len(v), *v)))

    def double(tag, *v):
        entries.append((tag, 12, len(v), struct.pack("<%dd" % len(v), *v)))

    long_(256, size)
    long_(257, size)
    short(258, 16, 16, 16, 16)
    short(259, 1)
    short(262, 1)
    short(277, 4)
    short(284, 1)
    short(322, tile)
    short(323, tile)
    long_(324, *([4_000_000_000] * nt))  # offsets beyond the end of the file
    long_(325, *([tile * tile * 8] * nt))
    short(338, 0, 0, 0)  # extra samples: unspecified
    short(339, 1, 1, 1, 1)
    double(33550, 3.0, 3.0, 0.0)
    double(33922, 0.0, 0.0, 0.0, origin[0], origin[1], 0.0)
    short(34735, 1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, epsg)
    entries.sort()
    ifd_off = 8
    ifd_len = 2 + 12 * len(entries) + 4
    data_off = ifd_off + ifd_len
    ifd = struct.pack("<H", len(entries))
    blob = b""
    for tag, typ, count, val in entries:
        if len(val) <= 4:
            ifd += struct.pack("<HHI", tag, typ, count) + val.ljust(4, b"\0")
        else:
            if (data_off + len(blob)) % 2:
                blob += b"\0"
            ifd += struct.pack("<HHII", tag, typ, count, data_off + len(blob))
            blob += val
    ifd += struct.pack("<I", 0)
    with open(path, "wb") as f:
        f.write(b"II*\0" + struct.pack("<I", ifd_off) + ifd + blob)


@case("huge_header_tiny_file", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=3,
      status={"done": 3, "failed": 1}, contains=["{S1}: truncated"], timeout=60)
def _(c):
    c.copy_scenes()
    _, g, _ = c.read(0)
    p = c.s(c.base.data[0])
    os.remove(p)
    _tiny_tiff_huge_header(p, (g[0] - 300000, g[3] + 300000))


# A UDM2 must have 8 bands (docs/SCENES.md, mask_source).
@case("udm2_7_bands", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=3,
      status={"done": 3, "failed": 1}, contains=["{S1_UDM2}: wrong band count 7 for a UDM2, expected 8"])
def _(c):
    c.copy_scenes()
    ds = gdal.Open(c.base.udm2(0))
    a = ds.ReadAsArray()
    c.write_tif(c.s(c.base.udm2(0)), a[:7], gdal.GDT_Byte, ds.GetGeoTransform(), ds.GetProjection())


# A UDM2 on another grid than its scene (half the size, twice the pixel): warped like the
# scene, it masks the same ground.
@case("udm2_other_size", "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact", rows=4,
      status={"done": 4})
def _(c):
    c.copy_scenes()
    ds = gdal.Open(c.base.udm2(0))
    a = ds.ReadAsArray()[:, ::2, ::2]
    g = list(ds.GetGeoTransform())
    g[1] *= 2
    g[5] *= 2
    c.write_tif(c.s(c.base.udm2(0)), a, gdal.GDT_Byte, g, ds.GetProjection())


def _meta(text):
    def build(c):
        c.copy_scenes()
        c.write(c.s(c.base.meta(0)), text)
    return build


case("metadata_not_json", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=3,
     status={"done": 3, "failed": 1}, contains=["{S1_META}: bad JSON"])(
         _meta("this is not JSON {\n"))
case("metadata_json_array", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=3,
     status={"done": 3, "failed": 1}, contains=["{S1_META}: not a Planet item"])(
         _meta("[1, 2, 3]\n"))


def _acquired(value):
    def build(c):
        c.copy_scenes()
        with open(c.base.meta(0)) as f:
            m = json.load(f)
        m["properties"]["acquired"] = value
        c.write(c.s(c.base.meta(0)), json.dumps(m))
    return build


case("acquired_not_rfc3339", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=3,
     status={"done": 3, "failed": 1}, contains=['{S1_META}: bad "acquired" time "2023/10/02 01:27"'])(
         _acquired("2023/10/02 01:27"))
case("acquired_30_february", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=3,
     status={"done": 3, "failed": 1}, contains=['{S1_META}: bad "acquired" time "2023-02-30T01:27:10Z"'])(
         _acquired("2023-02-30T01:27:10Z"))
case("acquired_number", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=3,
     status={"done": 3, "failed": 1}, contains=['{S1_META}: bad "acquired" time 1696210030'])(
         _acquired(1696210030))
# A far-future time is a time: the scene is used, last in time order.
case("acquired_far_future", "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact", rows=4,
     status={"done": 4})(_acquired("9999-12-31T23:59:59Z"))


@case("metadata_of_another_item", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact",
      rows=3, status={"done": 3, "failed": 1},
      contains=["{S2_META}", "a metadata JSON of another item"])
def _(c):
    c.copy_scenes()
    shutil.copyfile(c.base.meta(0), c.s(c.base.meta(1)))


@case("duplicate_generic_scene_ids", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact",
      rows=5, status={"done": 5, "failed": 1},
      contains=["y/dup.tif: duplicate scene id dup (also", "rename one of them"])
def _(c):
    c.copy_scenes()
    c.generic("x", "dup")
    c.generic("y", "dup")


# One Planet item in two folders: the first path is used, the other ignored (no failure).
@case("planet_item_in_two_folders", "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact",
      rows=4, status={"done": 4})
def _(c):
    c.copy_scenes()
    os.makedirs(c.p("scenes", "copy"))
    for src in (c.base.data[0], c.base.udm2(0), c.base.meta(0)):
        shutil.copy(src, c.p("scenes", "copy"))


# A .zip that is not a zip: named in a warning, the other scenes processed.
@case("zip_that_is_not_a_zip", "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact", rows=4,
      status={"done": 4}, contains=["order.zip: cannot list directory", "(skipped)"], quiet=False)
def _(c):
    c.copy_scenes()
    c.write(c.p("scenes", "order.zip"), b"this is not a zip file\n" * 20)


@case("scenes_empty_directory", "scenes", scenes="{CASE}/empty", exit=2, gpkg="none",
      contains=["{CASE}/empty", "no raster found"])
def _(c):
    os.makedirs(c.p("empty"))


@case("scenes_empty_zip", "scenes", scenes="{CASE}/empty.zip", exit=2, gpkg="none",
      contains=["empty.zip", "no raster found"])
def _(c):
    zipfile.ZipFile(c.p("empty.zip"), "w").close()


@case("list_file_naming_missing_files", "scenes", scenes="{CASE}/list.txt", exit=3,
      gpkg="intact", rows=4, status={"done": 4, "failed": 1},
      contains=["missing_3B_AnalyticMS_SR.tif", "no such file (listed in", "list.txt"])
def _(c):
    lines = ["# four scenes and one that is not there", ""]
    lines += [p for p in c.base.data]
    lines += ["  " + os.path.join(c.base.folder, "20231020_010101_00_1057_3B_AnalyticMS_SR.tif"
                                  ).replace("20231020_010101_00_1057_3B_AnalyticMS_SR",
                                            "missing_3B_AnalyticMS_SR") + "\r"]
    c.write(c.p("list.txt"), "\n".join(lines) + "\n")


@case("path_with_spaces_and_unicode", "scenes", scenes="{CASE}/scènes été 東京/a b", exit=0,
      gpkg="intact", rows=4, status={"done": 4})
def _(c):
    os.makedirs(c.p("scènes été 東京"))
    shutil.copytree(c.base.scenes, c.p("scènes été 東京", "a b"))


@case("dangling_symlink_data_file", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact",
      rows=4, status={"done": 4, "failed": 1},
      contains=["1 scene failed", "nowhere.tif, which does not exist"])
def _(c):
    c.copy_scenes()
    os.symlink(c.p("nowhere.tif"),
               os.path.join(c.p("scenes"), "20231004_011502_55_24a1_3B_AnalyticMS_SR.tif"))


@case("two_symlink_loops", "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact", rows=4,
      status={"done": 4}, contains=["a directory already searched"], quiet=False)
def _(c):
    c.copy_scenes()
    os.makedirs(c.p("scenes", "b"))
    os.symlink(".", c.p("scenes", "loop"))
    os.symlink("..", c.p("scenes", "b", "up"))


# A scene the process may not read (run as nobody: root reads anything).
@case("permission_denied_on_a_scene", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact",
      rows=3, status={"done": 3, "failed": 1}, contains=["{S1}", "ermission denied"],
      user="nobody")
def _(c):
    c.copy_scenes()
    os.chmod(c.s(c.base.data[0]), 0)


# A named pipe that looks like a scene: opening it would block forever.
@case("fifo_named_like_a_scene", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact",
      rows=4, status={"done": 4, "failed": 1},
      contains=["20231004_011502_55_24a1_3B_AnalyticMS_SR.tif", "not a regular file"],
      timeout=20)
def _(c):
    c.copy_scenes()
    os.mkfifo(os.path.join(c.p("scenes"), "20231004_011502_55_24a1_3B_AnalyticMS_SR.tif"))


@case("generic_without_time", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=4,
      status={"done": 4, "failed": 1}, contains=["notime.tif: no acquisition time"])
def _(c):
    c.copy_scenes()
    c.generic("generic", "notime", acquired=None)


@case("generic_sidecar_not_json", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact",
      rows=4, status={"done": 4, "failed": 1}, contains=["badside.json: bad JSON"])
def _(c):
    c.copy_scenes()
    c.generic("generic", "badside")
    c.write(c.p("scenes", "generic", "badside.json"), '{"acquired": ')


# A scene 2000 km from every site: skipped with the reason, not failed.
@case("scene_overlapping_no_site", "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact",
      rows=4, status={"done": 4, "skipped": 1},
      contains=["1 scene skipped", "faraway: does not overlap any site"])
def _(c):
    c.copy_scenes()
    _, g, _ = c.read(0)
    c.generic("generic", "faraway", gt=(g[0] - 2_000_000, g[1], 0, g[3], 0, g[5]))


@case("macos_resource_forks_ignored", "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact",
      rows=4, status={"done": 4})
def _(c):
    c.copy_scenes()
    c.write(os.path.join(c.p("scenes"), "._" + os.path.basename(c.base.data[0])),
            b"\0\5\26\7" + os.urandom(2000))


@case("every_scene_truncated", "scenes", scenes="{CASE}/scenes", exit=3, gpkg="intact", rows=0,
      status={"failed": 4}, contains=["4 scenes failed", ": truncated"])
def _(c):
    c.copy_scenes()
    for p in c.base.data:
        q = c.s(p)
        with open(q, "r+b") as f:
            f.truncate(os.path.getsize(q) // 3)


# A scene of nodata only (all zeros): seen, no site observable.
@case("scene_all_nodata", "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact", rows=4,
      status={"done": 4}, sql=_S1_UNOBSERVED)
def _(c):
    c.copy_scenes()
    a, _, _ = c.read(0)
    c.replace_data(0, np.zeros_like(a), gdal.GDT_UInt16, options=[])


# A generic scene in geographic coordinates (EPSG:4326) is warped like any other.
@case("generic_in_lon_lat", "scenes", scenes="{CASE}/scenes", exit=0, gpkg="intact", rows=5,
      status={"done": 5})
def _(c):
    c.copy_scenes()
    src = c.generic("tmp", "utm")
    d = c.p("scenes", "generic")
    os.makedirs(d)
    gdal.Warp(os.path.join(d, "lonlat.tif"), src, dstSRS="EPSG:4326")
    shutil.move(src.replace(".tif", ".json"), os.path.join(d, "lonlat.json"))
    shutil.rmtree(c.p("scenes", "tmp"))


@case("list_file_naming_itself", "scenes", scenes="{CASE}/list.txt", exit=2, gpkg="none",
      contains=["list.txt: no raster found"])
def _(c):
    c.write(c.p("list.txt"), "list.txt\n")


# ===========================================================================================
# Catalog
# ===========================================================================================

def _sites(edit, text=None):
    def build(c):
        if text is not None:
            c.write(c.p("sites.geojson"), text)
            return
        fc = c.sites()
        edit(fc)
        c.write_sites(fc)
    return build


def _cat(cid, exit, contains, edit=None, text=None, **kw):
    kw.setdefault("gpkg", "none" if exit == 2 else "intact")
    case(cid, "catalog", sites="{CASE}/sites.geojson", exit=exit,
         contains=["sites.geojson"] + contains, **kw)(_sites(edit, text))


def _set(i, **props):
    def edit(fc):
        fc["features"][i]["properties"].update(props)
    return edit


def _geom(i, geom):
    def edit(fc):
        fc["features"][i]["geometry"] = geom
    return edit


def _ring(lon0, lat0, lon1, lat1):
    return {"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1],
                                                [lon0, lat1], [lon0, lat0]]]}


_cat("catalog_not_geojson", 2, ["cannot open as a vector data source"], text="site_id,class\nx,railcar\n")
_cat("catalog_empty_feature_collection", 2, ["layer 'sites' has no features"],
     text='{"type": "FeatureCollection", "features": []}')
case("catalog_missing_file", "catalog", sites="{CASE}/nosuch/sites.geojson", exit=2, gpkg="none",
     contains=["nosuch/sites.geojson: no such file"])(lambda c: None)


def _del_site_id(fc):
    del fc["features"][0]["properties"]["site_id"]


_cat("catalog_missing_site_id", 2, ["feature 0: site_id is missing"], edit=_del_site_id)
_cat("catalog_empty_site_id", 2, ["feature 0: site_id is empty"], edit=_set(0, site_id=""))
_cat("catalog_site_id_with_slash", 2, ["feature 0", "site_id 'a/b' contains a slash"],
     edit=_set(0, site_id="a/b"))


def _dup_grids(fc):
    fc["features"][0]["properties"]["grid_gsd_m"] = 3
    fc["features"][1]["properties"]["grid_gsd_m"] = 5


_cat("catalog_same_site_two_grids", 2,
     ["site 'tumangang_rail': zones disagree on grid_gsd_m (3 in feature 0, 5 in feature 1)"],
     edit=_dup_grids)
_cat("catalog_unknown_class", 2, ["feature 0", "'shipp' is not a class of the config"],
     edit=_set(0, **{"class": "shipp"}))
_cat("catalog_missing_class", 2, ["feature 0 (site_id 'tumangang_rail'): class is missing"],
     edit=lambda fc: fc["features"][0]["properties"].pop("class"))
_cat("catalog_point_geometry", 2, ["feature 0", "geometry is a Point, expected a Polygon or MultiPolygon"],
     edit=_geom(0, {"type": "Point", "coordinates": [130.595, 42.419]}))
_cat("catalog_null_geometry", 2, ["feature 0", "has no geometry"], edit=_geom(0, None))


def _bowtie(fc):
    (x0, y0), (x1, y1) = fc["features"][1]["geometry"]["coordinates"][0][0:3:2]
    fc["features"][1]["geometry"] = {"type": "Polygon", "coordinates": [[
        [x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]}


# Repaired with MakeValid and a warning (docs/CONFIG.md), the run goes on.
_cat("catalog_self_intersecting_polygon", 0, ["feature 1: invalid geometry", "repaired"],
     edit=_bowtie, rows=4,
     status={"done": 4}, quiet=False)
_cat("catalog_polygon_across_antimeridian", 2, ["site 'tumangang_rail'", "the limit is 1073741824 pixels"],
     edit=_geom(0, {"type": "Polygon", "coordinates": [[[179.9, 42.0], [-179.9, 42.0],
                                                         [-179.9, 42.1], [179.9, 42.1],
                                                         [179.9, 42.0]]]}))
_cat("catalog_huge_polygon", 2, ["tumangang_rail", "the limit is 1073741824 pixels"],
     edit=_geom(0, _ring(120.0, 30.0, 140.0, 50.0)))
_cat("catalog_grid_gsd_zero", 2, ["feature 0", "grid_gsd_m '0' is not a positive number"], edit=_set(0, grid_gsd_m=0))
_cat("catalog_grid_gsd_negative", 2, ["feature 0", "grid_gsd_m '-3' is not a positive number"], edit=_set(0, grid_gsd_m=-3))
_cat("catalog_grid_gsd_text", 2, ["feature 0", "grid_gsd_m 'three' is not a positive number"],
     edit=_set(0, grid_gsd_m="three"))
_cat("catalog_grid_crs_invalid", 2, ["feature 0", "grid_crs 'EPSG:999999' is not a coordinate reference system"],
     edit=_set(0, grid_crs="EPSG:999999"))
_cat("catalog_grid_crs_geographic", 2, ["feature 0", "grid_crs 'EPSG:4326' is not a projected CRS"],
     edit=_set(0, grid_crs="EPSG:4326"))


# A Shapefile without .prj is taken as longitude/latitude: projected coordinates are reported.
@case("catalog_shapefile_without_prj_in_metres", "catalog", sites="{CASE}/sites.shp", exit=2,
      gpkg="none", contains=["sites.shp", "not longitude/latitude"])
def _(c):
    src = gdal.OpenEx(os.path.join(c.base.root, "sites.geojson"))
    gdal.VectorTranslate(c.p("sites.shp"), src, format="ESRI Shapefile", dstSRS="EPSG:32652")
    os.remove(c.p("sites.prj"))


# Two layers and none has a site_id field: which one is the catalog?
@case("catalog_two_layers_without_site_id", "catalog", sites="{CASE}/sites.gpkg", exit=2,
      gpkg="none", contains=["sites.gpkg", "site_id"])
def _(c):
    ds = gdal.GetDriverByName("GPKG").Create(c.p("sites.gpkg"), 0, 0, 0, gdal.GDT_Unknown)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    for name in ("a", "b"):
        ds.CreateLayer(name, srs, 3)  # wkbPolygon
    ds = None


# ===========================================================================================
# Config
# ===========================================================================================

def _conf(cid, exit, contains, text=None, edit=None, **kw):
    def build(c):
        body = text if text is not None else edit(c.config_text())
        c.write_config(body)
    kw.setdefault("gpkg", "none" if exit == 2 else "intact")
    case(cid, "config", config="{CASE}/config.toml", exit=exit,
         contains=(["config.toml"] if exit else []) + contains, **kw)(build)


def _sub(old, new):
    def edit(t):
        assert old in t, old
        return t.replace(old, new, 1)
    return edit


_conf("config_unknown_key", 2, ["unknown key 'change.tresh'", "did you mean 'change.threshold'"],
      edit=_sub('threshold = "kmad"', 'tresh = "kmad"'))
_conf("config_key_in_wrong_table", 2, ["search_radius_px", "coregistration.search_radius_px"],
      edit=lambda t: "search_radius_px = 4\n" + t)
_conf("config_wrong_type", 2, ["'reference.window' is a string (\"seven\"), expected an integer"],
      edit=_sub("window = 7", 'window = "seven"'))
_conf("config_float_for_integer", 2, ["'reference.window' is a float (7.5), expected an integer"],
      edit=_sub("window = 7", "window = 7.5"))
_conf("config_out_of_range", 2, ["'reference.window' = 32 is out of range (allowed: 1..31)"],
      edit=_sub("window = 7", "window = 32"))
_conf("config_negative_gsd", 2, ["'gsd_m' = -3 is out of range (allowed: > 0)"], edit=_sub("gsd_m = 3.0", "gsd_m = -3.0"))
_conf("config_nan", 2, ["'change.k' = nan is out of range"], edit=_sub("k = 4.0", "k = nan"))
_conf("config_bad_enum", 2, ["'reference.strategy' = \"mean\" is not allowed"],
      edit=_sub('strategy = "median"', 'strategy = "mean"'))
_conf("config_two_problems_at_once", 2, ["'reference.window' = 0 is out of range", "'change.k' = -1 is out of range"],
      edit=lambda t: _sub("k = 4.0", "k = -1")(_sub("window = 7", "window = 0")(t)))
# An empty file is every default (built-in classes railcar, ship, container_stack).
_conf("config_empty_file", 0, [], text="", rows=4, status={"done": 4})
_conf("config_binary_file", 2, ["config.toml:1:1: TOML syntax error"], text=None,
      edit=lambda t: "\x00\x01\x02\xff\xfe garbage \x00 = = [[\n")
_conf("config_duplicate_key", 2, ["config.toml:15:10: TOML syntax error", "'window'"],
      edit=_sub("window = 7", "window = 7\nwindow = 9"))
_conf("config_class_name_not_allowed", 2, ['class name "Big-Ship" is not allowed'],
      edit=lambda t: t + '\n[classes.Big-Ship]\nlength_m = 100\n')
_conf("config_class_table_misspelt", 2, ["unknown key 'clases' (did you mean 'classes'?)"],
      edit=lambda t: t + '\n[clases.ship]\nlength_m = 100\n')
_conf("config_fixed_without_date", 2, ["'reference.strategy' = \"fixed\" needs 'reference.date'"],
      edit=_sub('strategy = "median"', 'strategy = "fixed"'))
_conf("config_inf", 2, ["'change.k' = inf is out of range"], edit=_sub("k = 4.0", "k = inf"))
_conf("config_integer_overflow", 2, ["config.toml:14:30: TOML syntax error", "not representable in 64 bits"],
      edit=_sub("window = 7", "window = 99999999999999999999"))
_conf("config_band_weights_all_zero", 2, ["bands"],
      edit=_sub("[bands]", "[bands]\nred = 0.0\nnir = 0.0\n"))
_conf("config_negative_band_weight", 2, ["bands.red"],
      edit=_sub("[bands]", "[bands]\nred = -1.0\n"))
# A band name that no scene can have (docs/CONFIG.md: the names of SPEC 1.1).
_conf("config_band_name_unknown", 2, ["bands.swir", "is not a band name"],
      edit=_sub("[bands]", "[bands]\nswir = 1.0\n"))
# A class the catalog does not use is harmless.
_conf("config_unused_class_section", 0, [], rows=4, status={"done": 4},
      edit=lambda t: t + "\n[classes.barge]\nlength_m = 50.0\n")
case("config_missing_file", "config", config="{CASE}/nosuch.toml", exit=2, gpkg="none",
     contains=["nosuch.toml: cannot open the config file"])(lambda c: None)
case("config_is_a_folder", "config", config="{CASE}", exit=2, gpkg="none",
     contains=["{CASE}", "is a folder"])(lambda c: None)


# ===========================================================================================
# Output
# ===========================================================================================

case("out_in_missing_folder", "output", out="{OUT}/missing/o.gpkg", args=[STD], exit=2,
     gpkg="none", contains=["missing does not exist"])(lambda c: None)
case("out_is_a_folder", "output", out="{OUT}", args=[STD], exit=2, gpkg="none",
     contains=["is a folder"])(lambda c: None)


@case("out_in_read_only_folder", "output", out="{CASE}/ro/o.gpkg", args=[STD], exit=2,
      gpkg="none", contains=["folder {CASE}/ro is not writable"], user="nobody")
def _(c):
    os.makedirs(c.p("ro"))
    os.chmod(c.p("ro"), 0o555)


# /proc takes no new files, not even root's.
case("out_in_unwritable_folder", "output",
     out="/proc/sitewatch-corpus.gpkg", args=[STD], exit=2, gpkg="none",
     contains=["/proc"])(lambda c: None)

# ulimit -f (RLIMIT_FSIZE): a full disk while the output is created, at its first pages (16 KiB)
# and while its layers are added (130 KiB). Exit 153 (SIGXFSZ, SPEC 3) naming the file and the
# failed write, no file left, and the same command again (no limit) succeeds.
case("fsize_limit_at_output_creation", "output", exit=153, fsize=16 * 1024, gpkg="none",
     contains=["o.gpkg", "disk I/O error", "stopped by SIGXFSZ"],
     then=[{"exit": 0, "gpkg": "intact", "same_as_clean": True}])(lambda c: None)
case("fsize_limit_while_layers_are_added", "output", exit=153, fsize=130 * 1024, gpkg="none",
     contains=["o.gpkg", "disk I/O error", "stopped by SIGXFSZ"],
     then=[{"exit": 0, "gpkg": "intact", "same_as_clean": True}])(lambda c: None)
# ... and while the pairs are committed (204 KiB; the new file with its layers, indexes and
# column descriptions is about 196 KiB, the finished one 212 KiB): exit 153 naming the file and
# the failed commit and how to finish; --resume then finishes with the tables of an
# uninterrupted run.
case("fsize_limit_during_run", "output", exit=153, fsize=204 * 1024,
     contains=["o.gpkg", "cannot commit", "disk I/O error", "with --resume to finish"],
     gpkg="intact",
     then=[{"args": [STD, "--resume"], "exit": 0, "gpkg": "intact",
            "same_as_clean": True}])(lambda c: None)


@case("resume_on_foreign_gpkg", "output", out="{CASE}/other.gpkg", args=[STD, "--resume"],
      exit=2, contains=["other.gpkg: --resume: not a sitewatch output", "nothing was changed"], unchanged="{CASE}/other.gpkg",
      gpkg="none")
def _(c):
    ds = gdal.GetDriverByName("GPKG").Create(c.p("other.gpkg"), 0, 0, 0, gdal.GDT_Unknown)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    ds.CreateLayer("roads", srs, 2)  # wkbLineString
    ds = None


@case("resume_on_text_file", "output", out="{CASE}/text.gpkg", args=[STD, "--resume"],
      exit=2, contains=["text.gpkg: --resume: cannot open as a GeoPackage"], unchanged="{CASE}/text.gpkg", gpkg="none")
def _(c):
    c.write(c.p("text.gpkg"), "not a GeoPackage\n")


@case("out_exists_without_resume_or_overwrite", "output",
      out="{CASE}/prev.gpkg", args=[STD], exit=2, contains=["prev.gpkg: output exists; use --resume"],
      unchanged="{CASE}/prev.gpkg", gpkg="none")
def _(c):
    c.write(c.p("prev.gpkg"), "an earlier output\n")


# --resume with another config than the output's: refused, file unchanged.
case("resume_with_another_config", "output", exit=0, gpkg="intact",
     then=[{"config": "{CASE}/config.toml", "args": [STD, "--resume"], "exit": 2,
            "contains": ["o.gpkg: --resume refused: the output was made with a different config"],
            "gpkg": "intact", "rows": 4, "status": {"done": 4}}])(
    lambda c: c.write_config(c.config_text().replace("k = 4.0", "k = 5.0")))


# --resume on an output that does not exist yet starts it.
case("resume_on_missing_output", "output", args=[STD, "--resume"], exit=0, gpkg="intact", rows=4,
     status={"done": 4})(lambda c: None)


# --csv / --rasters naming a file: checked like --out, before any work.
for _opt in ("csv", "rasters"):
    case(f"{_opt}_folder_is_a_file", "output", args=[STD, f"--{_opt}", "{CASE}/afile"], exit=2,
         gpkg="none", contains=[f"--{_opt}", "afile", "is a file"])(
        lambda c: c.write(c.p("afile"), "a file\n"))


# ===========================================================================================
# CLI
# ===========================================================================================

def _cli(cid, args, exit, contains, **kw):
    kw.setdefault("gpkg", "none" if exit == 2 else "intact")
    case(cid, "cli", args=args, exit=exit, contains=contains, **kw)(lambda c: None)


_cli("cli_no_arguments", [], 2, ["Subcommands:", "run ", "config "])
_cli("cli_unknown_command", ["frobnicate"], 2, ["unknown command 'frobnicate'", "Subcommands:"])
_cli("cli_unknown_option", [STD, "--frob"], 2, ["not expected: --frob"])
_cli("cli_missing_sites", ["run", "--scenes", "{BASE}/scenes", "--out", "{OUT}/o.gpkg"], 2,
     ["--sites is required"])
_cli("cli_missing_out", ["run", "--scenes", "{BASE}/scenes", "--sites", "{BASE}/sites.geojson"],
     2, ["--out is required"])
_cli("cli_shard_3_of_2", [STD, "--shard", "3/2"], 2, ["--shard 3/2: expected I/N with 0 <= I < N"])
_cli("cli_shard_text", [STD, "--shard", "a/b"], 2, ["--shard a/b: expected I/N"])
_cli("cli_shard_0_of_0", [STD, "--shard", "0/0"], 2, ["--shard 0/0: expected I/N"])
_cli("cli_device_bogus", [STD, "--device", "bogus"], 2,
     ["--device bogus: expected auto, cpu, serial, cuda"])
_cli("cli_device_cuda_99", [STD, "--device", "cuda:99"], 2, ["cuda:99"])
_cli("cli_resume_and_overwrite", [STD, "--resume", "--overwrite"], 2,
     ["--resume and --overwrite exclude each other"])
_cli("cli_scenes_does_not_exist", [STD], 2, ["nosuch: no such file or directory"],
     scenes="{BASE}/nosuch")
_cli("cli_threads_100000", [STD, "--threads", "100000"], 0,
     ["--threads 100000 is more than the"], rows=4, quiet=False)
_cli("cli_threads_negative", [STD, "--threads", "-1"], 2, ["--threads must be >= 0"])
_cli("cli_threads_text", [STD, "--threads", "many"], 2, ["--threads = many"])
for _b in ("1K", "50M"):
    _cli(f"cli_memory_budget_{_b}", [STD, "--memory-budget", _b], 2,
         ["--memory-budget", "less than this run needs at the least"])
_cli("cli_memory_budget_text", [STD, "--memory-budget", "lots"], 2, ["'lots' is not a size"])


# ===========================================================================================
# Signals
# ===========================================================================================

for _sig, _code in (("SIGTERM", 143), ("SIGINT", 130), ("SIGXFSZ", 153)):
    case(f"signal_{_sig.lower()}_then_resume", "signals", args=[STD, "--threads", "1"],
         signal=_sig, exit=_code, quiet=False, gpkg="any",
         contains=[f"stopped by {_sig}", "--resume to finish"],
         then=[{"args": [STD, "--resume"], "exit": 0, "gpkg": "intact",
                "same_as_clean": True}])(lambda c: None)


# The signal at once (while the scenes are indexed), and twice (the second ends it at once).
case("signal_sigterm_while_indexing_then_resume", "signals", args=[STD, "--threads", "1"],
     signal="SIGTERM", signal_when="start", exit=143, quiet=False, gpkg="any",
     contains=["stopped by SIGTERM"],
     then=[{"args": [STD, "--resume"], "exit": 0, "gpkg": "intact",
            "same_as_clean": True}])(lambda c: None)
case("signal_sigterm_twice_then_resume", "signals", args=[STD, "--threads", "1"],
     signal="SIGTERM", signal_count=2, exit=[143, "killed by SIGTERM"], quiet=False, gpkg="any",
     then=[{"args": [STD, "--resume"], "exit": 0, "gpkg": "intact",
            "same_as_clean": True}])(lambda c: None)


# ===========================================================================================

def synth(binary, base):
    if os.path.exists(os.path.join(base, "sites.geojson")):
        return
    subprocess.run([binary, "synth", "--out", base, "--dates", "4", "--scale", "0.05",
                    "--start", "2023-10-01", "--all-assets", "-q"], check=True)


def build(binary, root, only=None):
    """Build the corpus under root; return the resolved case list."""
    os.makedirs(root, exist_ok=True)
    base_root = os.path.join(root, "base")
    synth(binary, base_root)
    base = Base(base_root)
    names = {"S1": os.path.basename(base.data[0]), "S1_UDM2": os.path.basename(base.udm2(0)),
             "S1_META": os.path.basename(base.meta(0)), "S1_ID": base.ids[0],
             "S2_META": os.path.basename(base.meta(1)),
             "BASE": base_root}
    ids = [c["id"] for c in CASES]
    dups = {i for i in ids if ids.count(i) > 1}
    assert not dups, dups
    out = []
    for c in CASES:
        if only and c["id"] not in only:
            continue
        cdir = os.path.join(root, "cases", c["id"])
        if os.path.exists(cdir):
            subprocess.run(["chmod", "-R", "u+rwX", cdir], check=False)
            shutil.rmtree(cdir)
        builder = BUILDERS.get(c["id"])
        os.makedirs(cdir)
        if builder:
            builder(Case(base, cdir))
        d = dict(c)
        d["dir"] = cdir
        d["names"] = dict(names, CASE=cdir)
        out.append(d)
    with open(os.path.join(root, "cases.json"), "w") as f:
        json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    cases = build(sys.argv[1], sys.argv[2])
    print(f"{len(cases)} cases under {sys.argv[2]}/cases, table in {sys.argv[2]}/cases.json")
