#!/usr/bin/python3
"""The HTML report in a real browser (issue 14, item 3).

Synthesises a small archive, runs sitewatch on it (site_counts also as CSV), writes the
report and opens it in Debian's headless Chromium:

- the screenshot of the first screen (1280 x 900) is not blank: a real share of non-white
  pixels, many distinct colours, the charts' blue (and the anomalies' red, when there are
  any) on it;
- the DOM has every site (its card on the first screen and its section), an anomaly
  sentence for every flagged row, and the story before the first table;
- the numbers in the charts equal the table's: every plotted point's data-value equals
  site_counts' count (changed_area_m2 for `change`) for its site, scene and class, every
  observable row with a value is plotted (small multiple and site chart), every
  unobservable row is a gap mark and never a value, and every line joins only dates that
  follow each other in the series and both have a value (never across a gap);
- the page makes no network request: Chromium's net log (--log-net-log) has no request
  and no name resolution made for the page (Chromium's own background requests, which it
  makes even with --disable-background-networking, are told apart by their initiator), and
  the HTML refers to no remote resource. A copy of the page with one remote image in it
  must fail that check, so the check is known to see requests.

Chromium is installed by `scripts/setup.sh --browser` when it is missing; where it cannot
be (no root, no network), the test prints one line `browser test skipped: ...` and exits 77
(ctest: skipped).

Usage: browser_test.py SITEWATCH [--source DIR] [--keep DIR] [-v]
"""
import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser

SKIP = 77
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WINDOW = (1280, 900)
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print(f"FAIL: {what}")
    return ok


def skip(why):
    print(f"browser test skipped: {why}")
    sys.exit(SKIP)


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def ensure_chromium(source):
    """Chromium, installed through scripts/setup.sh --browser when missing."""
    found = find_chromium()
    if found:
        return found
    start = time.monotonic()
    r = subprocess.run([os.path.join(source, "scripts", "setup.sh"), "--browser"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True)
    found = find_chromium()
    if not found:
        last = (r.stderr.strip() or r.stdout.strip() or "no output").splitlines()[-1]
        skip(f"chromium is not installed and scripts/setup.sh --browser could not install it "
             f"(exit {r.returncode}: {last})")
    print(f"chromium installed by scripts/setup.sh --browser in {time.monotonic() - start:.0f} s")
    return found


def chromium(browser, profile, url, *extra, timeout=120):
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-default-apps", "--mute-audio",
            f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
            *extra, url]
    return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)


def sitewatch(binary, *args):
    r = subprocess.run([binary, *args], capture_output=True, text=True)
    if r.returncode not in (0, 3):
        sys.exit(f"sitewatch {' '.join(args)}: exit {r.returncode}\n{r.stdout}{r.stderr}")


# ---- the page's data, read back from the DOM ------------------------------------------------

class page_reader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.points = []      # (site, class, scene, value) of every plotted value
        self.lines = []       # (site, class, [scene, ...]) of every polyline
        self.gaps = []        # (site, class, scene) of every unobservable mark
        self.sentences = []   # (site, class, scene, text)
        self.cards, self.sections = set(), set()
        self.order = []       # first positions: 'story', 'table'
        self.text = []
        self._sentence = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class", "") or ""
        key = (a.get("data-site"), a.get("data-class"), a.get("data-scene"))
        if tag == "polyline" and "data-scenes" in a:
            self.lines.append((a.get("data-site"), a.get("data-class"), a["data-scenes"].split()))
        if "data-value" in a:
            self.points.append((*key, float(a["data-value"])))
        elif a.get("data-observable") == "0":
            self.gaps.append(key)
        if tag == "li" and "sentence" in cls.split():
            self._sentence = [*key, ""]
        if tag == "div" and cls == "card":
            self.cards.add(a.get("data-site"))
        if tag == "section" and (a.get("id") or "").startswith("site-"):
            self.sections.add(a["id"][5:])
        if tag == "section" and a.get("id") == "story":
            self.order.append("story")
        if tag == "table":
            self.order.append("table")

    def handle_endtag(self, tag):
        if tag == "li" and self._sentence is not None:
            self.sentences.append(tuple(self._sentence))
            self._sentence = None

    def handle_data(self, data):
        self.text.append(data)
        if self._sentence is not None:
            self._sentence[3] += data


def read_site_counts(path):
    """(site, scene, class) -> (observable, value or None, anomaly, acquired)."""
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            field = "changed_area_m2" if r["class"] == "change" else "count"
            value = float(r[field]) if r[field] != "" else None
            rows[(r["site_id"], r["scene_id"], r["class"])] = (
                r["observable"] == "true", value, r["anomaly"] == "true", r["acquired"])
    return rows


def check_lines(page, rows):
    """Every line joins dates that follow each other in the series and both have a value:
    none crosses an unobservable date (or one without a count)."""
    series = {}
    for (site, scene, cls), (_, _, _, acquired) in rows.items():
        series.setdefault((site, cls), []).append((acquired, scene))
    order = {k: {scene: i for i, (_, scene) in enumerate(sorted(v))} for k, v in series.items()}
    bad = []
    for site, cls, scenes in page.lines:
        idx = [order.get((site, cls), {}).get(s) for s in scenes]
        vals = [rows.get((site, s, cls), (False, None))[:2] for s in scenes]
        if (len(scenes) < 2 or None in idx or any(not o or v is None for o, v in vals)
                or any(b - a != 1 for a, b in zip(idx, idx[1:]))):
            bad.append((site, cls, scenes[:4]))
    check(not bad, f"{len(bad)} lines join across a gap or a row without a value, e.g. {bad[:2]}")
    joined = sum(len(s) - 1 for *_, s in page.lines)
    print(f"lines: {len(page.lines)} lines, {joined} joins checked")


def check_numbers(page, rows):
    plotted = {}
    for site, cls, scene, value in page.points:
        plotted.setdefault((site, scene, cls), []).append(value)
    wrong = []
    for key, values in plotted.items():
        row = rows.get(key)
        for v in values:
            if row is None or not row[0] or row[1] is None or abs(v - row[1]) > 1e-9 * max(1, abs(row[1])):
                wrong.append((key, v, row))
    check(not wrong, f"{len(wrong)} plotted values differ from site_counts, e.g. {wrong[:3]}")
    missing = [k for k, (obs, v, *_) in rows.items() if obs and v is not None
               and len(plotted.get(k, [])) < 2]
    check(not missing, f"{len(missing)} observable rows with a value not plotted in both the "
          f"small multiple and the site chart, e.g. {missing[:3]}")
    gaps = {(s, sc, c) for s, c, sc in page.gaps}
    unobservable = {k for k, (obs, *_) in rows.items() if not obs}
    check(unobservable <= gaps, f"{len(unobservable - gaps)} unobservable rows without a gap mark")
    check(not (unobservable & set(plotted)), "an unobservable row is plotted as a value")
    print(f"charts: {len(page.points)} plotted values ({len(plotted)} rows) and "
          f"{len(unobservable)} unobservable rows compared with site_counts")
    return len(unobservable)


def check_dom(dom, rows):
    page = page_reader()
    page.feed(dom)
    sites = sorted({k[0] for k in rows})
    text = " ".join(page.text)
    for s in sites:
        check(s in page.cards, f"site {s}: no card on the first screen")
        check(s in page.sections, f"site {s}: no section")
        check(s in text, f"site {s}: not in the page's text")
    anomalies = sorted(k for k, (_, v, a, _) in rows.items() if a)
    said = {(s, sc, c): t for s, c, sc, t in page.sentences}
    for site, scene, cls in anomalies:
        t = said.get((site, scene, cls))
        if check(t is not None, f"anomaly {site} {scene} {cls}: no sentence"):
            check(t.startswith(f"{site}: ") and "history median" in t,
                  f"anomaly sentence reads oddly: {t!r}")
    check(page.order[:1] == ["story"], f"the story is not first: {page.order[:3]}")
    print(f"DOM: {len(sites)} sites, {len(page.sentences)} anomaly sentences "
          f"({'; '.join(t for *_, t in page.sentences[:2])})")
    check_numbers(page, rows)
    check_lines(page, rows)
    return len(anomalies)


# ---- the screenshot --------------------------------------------------------------------------

def check_screenshot(png, anomalies):
    from osgeo import gdal
    import numpy as np
    gdal.UseExceptions()
    ds = gdal.Open(png)
    check((ds.RasterXSize, ds.RasterYSize) == WINDOW,
          f"screenshot is {ds.RasterXSize} x {ds.RasterYSize}, not {WINDOW[0]} x {WINDOW[1]}")
    rgb = np.dstack([ds.GetRasterBand(b + 1).ReadAsArray() for b in range(3)]).astype(np.int32)
    non_white = float(np.mean(rgb.min(axis=2) < 235))
    colours = len(np.unique(rgb[..., 0] * 65536 + rgb[..., 1] * 256 + rgb[..., 2]))

    def near(c, tol=40):
        return int(np.sum(np.abs(rgb - np.array(c)).sum(axis=2) < tol))
    blue, red = near((0x33, 0x66, 0xaa)), near((0xd6, 0x27, 0x28))
    print(f"screenshot: {non_white:.1%} non-white, {colours} colours, {blue} series-blue and "
          f"{red} anomaly-red pixels")
    check(non_white > 0.03, f"screenshot nearly blank ({non_white:.1%} non-white pixels)")
    check(colours >= 64, f"screenshot has only {colours} colours")
    check(blue >= 200, "no chart lines or points on the first screen")
    if anomalies:
        check(red >= 20, "anomalies but no red on the first screen")


# ---- no network ------------------------------------------------------------------------------

def network_requests(net_log):
    """What the page asked the network for, from Chromium's net log: the URL of every request
    and the host of every name resolution made on the page's behalf. Chromium's own
    background requests (update checks, accounts; some are made even with
    --disable-background-networking) are told apart: their initiator is "not an origin" and
    their isolation key does not name the file:// page. file: and data: URLs never reach the
    network stack, so they are not in the log."""
    text = open(net_log).read()
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # a log cut short: close it as Chromium's docs say
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    remote = set()
    for ev in log.get("events", []):
        params = ev.get("params") or {}
        kind = types.get(ev.get("type"), "")
        if kind == "URL_REQUEST_START_JOB" and "url" in params:
            mine = (params.get("initiator", "not an origin") != "not an origin"
                    or "file://" in params.get("network_isolation_key", ""))
            if mine and not re.match(r"(file|data|blob|about|chrome):", params["url"]):
                remote.add(params["url"])
        if kind == "HOST_RESOLVER_MANAGER_REQUEST" and "host" in params:
            if "file://" in params.get("network_anonymization_key", ""):
                remote.add(params["host"])
    return remote


def check_no_network(browser, profile, work, url, html):
    log = os.path.join(work, "net.json")
    r = chromium(browser, profile, url, f"--log-net-log={log}", "--dump-dom")
    remote = network_requests(log)
    check(not remote, f"the page makes network requests: {sorted(remote)[:5]}")
    static = re.findall(r"""(?:src|href)\s*=\s*['"]?\s*(?:https?:|//)|url\(\s*['"]?(?:https?:|//)""", html)
    check(not static, f"the page refers to remote resources: {static[:3]}")
    # the check sees requests: a copy with one remote image fails it
    canary = os.path.join(work, "canary.html")
    with open(canary, "w") as f:
        f.write(html.replace("</body>", "<img src='http://127.0.0.1:9/canary.png'></body>"))
    clog = os.path.join(work, "canary-net.json")
    chromium(browser, profile, "file://" + canary, f"--log-net-log={clog}", "--dump-dom")
    seen = network_requests(clog)
    check(any("127.0.0.1:9" in u for u in seen),
          f"the net log check missed a remote image (saw {sorted(seen)[:5]})")
    print(f"network: no request from the page (a remote image in a copy is seen: "
          f"{sorted(seen)[:1]})")
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sitewatch")
    ap.add_argument("--source", default=SOURCE)
    ap.add_argument("--keep", help="work in this directory and keep it")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    start = time.monotonic()
    browser = ensure_chromium(args.source)
    work = args.keep or tempfile.mkdtemp(prefix="sitewatch-browser-")
    os.makedirs(work, exist_ok=True)
    try:
        t = time.monotonic()
        archive, results = os.path.join(work, "archive"), os.path.join(work, "r.gpkg")
        # 12 dates, every ~4 days: the 73-car day near 5 October is the last one
        sitewatch(args.sitewatch, "synth", "--out", archive, "--dates", "12", "--scale", "0.05",
                  "--start", "2023-08-22", "-q")
        sitewatch(args.sitewatch, "run", "--scenes", os.path.join(archive, "scenes"), "--sites",
                  os.path.join(archive, "sites.geojson"), "--config",
                  os.path.join(archive, "config.toml"), "--out", results, "--csv",
                  os.path.join(work, "csv"), "--overwrite", "-q")
        report = os.path.join(work, "report.html")
        sitewatch(args.sitewatch, "report", results, "--out", report, "--chips", "2")
        print(f"synth + run + report: {time.monotonic() - t:.1f} s")
        html = open(report, encoding="utf-8").read()
        rows = read_site_counts(os.path.join(work, "csv", "site_counts.csv"))
        profile = os.path.join(work, "profile")
        url = "file://" + os.path.abspath(report)

        t = time.monotonic()
        png = os.path.join(work, "shot.png")
        r = chromium(browser, profile, url, f"--screenshot={png}")
        if not check(os.path.exists(png), f"no screenshot: {r.stderr[-500:]}"):
            return 1
        dom = check_no_network(browser, profile, work, url, html)
        print(f"chromium (3 runs): {time.monotonic() - t:.1f} s")
        anomalies = check_dom(dom, rows)
        check_screenshot(png, anomalies)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"browser test: {len(failures)} failures, {time.monotonic() - start:.1f} s in all")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
