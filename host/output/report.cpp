#include "host/output/report.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include <cpl_string.h>
#include <cpl_vsi.h>
#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include "build_info.hpp"
#include "host/common/error.hpp"
#include "host/config/config.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/scene.hpp"
#include "host/io/scene_reader.hpp"
#include "host/io/scene_time.hpp"
#include "host/io/sites.hpp"
#include "host/output/report_parts.hpp"

namespace sw {
namespace {

using report::point;

struct detection_shape {
  std::string cls;
  std::string wkt;  // lon/lat
};

struct scene_meta {
  std::string path, acquired;
  std::int64_t t = 0;
};

using class_series = std::map<std::string, std::vector<point>>;  // by class
using series_map = std::map<std::string, class_series>;          // by site
using detection_map =
    std::map<std::pair<std::string, std::string>, std::vector<detection_shape>>;  // site, scene

// What the page is built from, read once from the results.
struct report_tables {
  std::string run_line;
  site_catalog catalog;
  std::map<std::string, scene_meta> scenes;  // by scene id
  series_map series;                         // each series in time order
  detection_map dets;
  std::int64_t t0 = 0, t1 = 1;  // the time axis every chart shares (padded)
};

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

bool has_value(const point& p) {
  return p.observable && p.value.has_value();
}

std::string date_of(const point& p) {
  return p.acquired.substr(0, 10);
}

std::string value_text(const std::string& cls, double v) {
  return cls == "change" ? fmt::format("{:.0f} m² changed", v)
                         : fmt::format("{:g} {}", v, report::class_noun(cls, v));
}

// The counted classes first (alphabetically), then `change`: what the site is watched for
// leads its charts.
std::vector<std::pair<const std::string*, const std::vector<point>*>> charts_order(
    const class_series& classes) {
  std::vector<std::pair<const std::string*, const std::vector<point>*>> out;
  for (const auto& [cls, pts] : classes)
    if (cls != "change") out.emplace_back(&cls, &pts);
  for (const auto& [cls, pts] : classes)
    if (cls == "change") out.emplace_back(&cls, &pts);
  return out;
}

// ---- charts: inline SVG, one per site and class ---------------------------------------------

// The size of a chart: the small multiples of the first screen, or the site's own chart.
struct chart_box {
  double w, h, left, right, top, bottom;
  int y_ticks, x_ticks;
};
constexpr chart_box small_box{290, 92, 30, 8, 16, 16, 4, 4};
constexpr chart_box large_box{760, 180, 50, 14, 18, 24, 6, 9};

struct chart_frame {
  chart_box b;
  report::axis y;
  std::int64_t t0, t1;
  double X(std::int64_t t) const {
    return b.left + (b.w - b.left - b.right) * double(t - t0) / double(t1 - t0);
  }
  double Y(double v) const {
    return b.top + (b.h - b.top - b.bottom) * (1.0 - (v - y.lo) / (y.hi - y.lo));
  }
  double base() const { return b.h - b.bottom; }
};

chart_frame frame_for(const std::string& cls, const std::vector<point>& pts, const report_tables& t,
                      const chart_box& b) {
  double vmax = 0;
  for (const auto& p : pts)
    if (has_value(p)) vmax = std::max(vmax, *p.value);
  // counts are whole numbers: integer ticks; changed areas in m² need none
  return {b, report::nice_axis(0, vmax, b.y_ticks, cls != "change"), t.t0, t.t1};
}

// Frame, horizontal grid lines with the value ticks, the dated ticks below, the label.
std::string axes_svg(const chart_frame& f, const std::string& label) {
  const chart_box& b = f.b;
  std::string s = fmt::format("<rect x='{}' y='{}' width='{}' height='{}' class='frame'/>", b.left,
                              b.top, b.w - b.left - b.right, b.h - b.top - b.bottom);
  for (const double v : f.y.ticks) {
    const double y = f.Y(v);
    s += fmt::format("<line x1='{}' x2='{}' y1='{:.1f}' y2='{:.1f}' class='grid'/>", b.left,
                     b.w - b.right, y, y);
    s += fmt::format("<text x='{}' y='{:.1f}' class='axis' text-anchor='end'>{}</text>", b.left - 3,
                     y + 3.5, report::tick_label(v, f.y.step));
  }
  for (const auto& tick : report::date_ticks(f.t0, f.t1, b.x_ticks)) {
    const double x = f.X(tick.t);
    s += fmt::format("<line x1='{0:.1f}' x2='{0:.1f}' y1='{1}' y2='{2}' class='xtick'/>", x,
                     f.base(), f.base() + 4);
    s += fmt::format("<text x='{:.1f}' y='{}' class='axis' text-anchor='middle'>{}</text>", x,
                     b.h - 3, html_escape(tick.label));
  }
  return s + fmt::format("<text x='{}' y='{}' class='label'>{}</text>", b.left, b.top - 4,
                         html_escape(label));
}

// What the test reads back (tests/report/browser_test.py): site, class, scene, date, and
// for a plotted point its value, exactly as in site_counts.
std::string data_attrs(const std::string& site, const std::string& cls, const point& p) {
  std::string a =
      fmt::format(" data-site='{}' data-class='{}' data-scene='{}' data-date='{}'",
                  html_escape(site), html_escape(cls), html_escape(p.scene_id), date_of(p));
  if (has_value(p)) a += fmt::format(" data-value='{}'", *p.value);
  return a + fmt::format(" data-observable='{}'", p.observable ? 1 : 0);
}

// Anomaly bands behind, a line per run of dates with a value (never across a gap), a grey
// triangle on the baseline for each unobservable date, a hollow circle for an observable
// date without a count (no reference yet), a dot per value, red for anomalies.
std::string marks_svg(const chart_frame& f, const std::string& site, const std::string& cls,
                      const std::vector<point>& pts, bool small) {
  std::string s;
  for (const auto& p : pts)
    if (p.anomaly && has_value(p))
      s += fmt::format("<rect x='{:.1f}' y='{}' width='6' height='{}' class='anomband'/>",
                       f.X(p.t) - 3, f.b.top, f.base() - f.b.top);
  for (const auto& r : report::value_runs(pts)) {
    if (r.end - r.begin < 2) continue;
    std::string line, scenes;
    for (std::size_t i = r.begin; i < r.end; ++i) {
      line += fmt::format("{:.1f},{:.1f} ", f.X(pts[i].t), f.Y(*pts[i].value));
      scenes += (i > r.begin ? " " : "") + html_escape(pts[i].scene_id);
    }
    s += fmt::format(
        "<polyline class='series' points='{}' data-site='{}' data-class='{}' data-scenes='{}'/>",
        line, html_escape(site), html_escape(cls), scenes);
  }
  const double dot = small ? 2.2 : 3;
  for (const auto& p : pts) {
    const double x = f.X(p.t);
    const std::string attrs = data_attrs(site, cls, p);
    const std::string tip = date_of(p) + " " + p.scene_id;
    if (!p.observable) {
      s += fmt::format(
          "<path d='M{:.1f},{:.1f}l3.5,0l-3.5,-6z' class='gap'{}><title>{}: not observable "
          "(cloud or no data)</title></path>",
          x - 1.75, f.base(), attrs, html_escape(tip));
    } else if (!p.value) {
      s += fmt::format(
          "<circle cx='{:.1f}' cy='{:.1f}' r='{}' class='novalue'{}><title>{}: no value (no "
          "reference yet)</title></circle>",
          x, f.base() - dot, dot, attrs, html_escape(tip));
    } else {
      s += fmt::format(
          "<circle cx='{:.1f}' cy='{:.1f}' r='{}' class='{}'{}><title>{}: {}{}</title></circle>", x,
          f.Y(*p.value), p.anomaly ? dot * 1.7 : dot, p.anomaly ? "anomaly" : "point", attrs,
          html_escape(tip), html_escape(value_text(cls, *p.value)), p.anomaly ? " (anomaly)" : "");
    }
  }
  return s;
}

std::string chart_label(const std::string& cls) {
  return cls == "change" ? "changed area (m²)" : report::class_noun(cls, 2);
}

std::string chart_svg(const std::string& site, const std::string& cls,
                      const std::vector<point>& pts, const report_tables& t, bool small) {
  const chart_frame f = frame_for(cls, pts, t, small ? small_box : large_box);
  return fmt::format(
             "<svg viewBox='0 0 {0} {1}' width='{2}' class='chart{3}' data-site='{4}' "
             "data-class='{5}'>",
             f.b.w, f.b.h, small ? "100%" : fmt::format("{}", f.b.w), small ? " small" : "",
             html_escape(site), html_escape(cls)) +
         axes_svg(f, chart_label(cls)) + marks_svg(f, site, cls, pts, small) + "</svg>";
}

// ---- chips: the site's window of a scene as an RGB image with its detections --------------

std::string base64_png(GDALDataset* rgb) {
  const std::string name = fmt::format("/vsimem/sw_chip_{}.png", static_cast<const void*>(rgb));
  auto* png = GetGDALDriverManager()->GetDriverByName("PNG");
  SW_EXPECTS(png != nullptr, "GDAL PNG driver missing");
  gdal_dataset_ptr out(png->CreateCopy(name.c_str(), rgb, FALSE, nullptr, nullptr, nullptr));
  out.reset();
  vsi_l_offset len = 0;
  GByte* data = VSIGetMemFileBuffer(name.c_str(), &len, FALSE);
  std::string b64;
  if (data != nullptr) {
    char* enc = CPLBase64Encode(static_cast<int>(len), data);
    b64 = enc;
    CPLFree(enc);
  }
  VSIUnlink(name.c_str());
  return b64;
}

// 2-98% stretch per band over the valid pixels. Null when the scene cannot be read; `why`
// says why.
gdal_dataset_ptr rgb_chip(const site& s, const std::string& scene_path, std::string& why) {
  scene_info info = describe_scene(scene_path, "", "");
  if (!info.error.empty()) {
    why = info.error;
    return nullptr;
  }
  std::vector<int> bands;
  for (const char* want : {"red", "green", "blue"}) {
    const auto it = std::find(info.band_names.begin(), info.band_names.end(), want);
    if (it != info.band_names.end()) bands.push_back(info.data_bands[it - info.band_names.begin()]);
  }
  if (bands.size() != 3)
    bands = {info.data_bands.front(), info.data_bands.front(), info.data_bands.front()};
  warped_scene w;
  try {
    w = read_onto_grid(info, s.grid, bands);
  } catch (const std::exception& e) {
    why = e.what();
    return nullptr;
  }
  const int gw = s.grid.width, gh = s.grid.height;
  const std::size_t n = static_cast<std::size_t>(gw) * gh;
  auto* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  gdal_dataset_ptr rgb(mem->Create("", gw, gh, 3, GDT_Byte, nullptr));
  for (int b = 0; b < 3; ++b) {
    std::vector<float> vals;
    for (std::size_t i = 0; i < n; ++i)
      if (w.alpha[i] >= 128) vals.push_back(w.data[b * n + i]);
    float lo = 0, hi = 1;
    if (!vals.empty()) {
      std::sort(vals.begin(), vals.end());
      lo = vals[vals.size() * 2 / 100];
      hi = std::max(lo + 1.0f, vals[vals.size() * 98 / 100]);
    }
    std::vector<GByte> px(n);
    for (std::size_t i = 0; i < n; ++i)
      px[i] = w.alpha[i] < 128 ? 0
                               : static_cast<GByte>(std::clamp(
                                     (w.data[b * n + i] - lo) / (hi - lo) * 255.0f, 0.0f, 255.0f));
    if (rgb->GetRasterBand(b + 1)->RasterIO(GF_Write, 0, 0, gw, gh, px.data(), gw, gh, GDT_Byte, 0,
                                            0) != CE_None) {
      why = "cannot make the chip: " + gdal_last_error();
      return nullptr;
    }
  }
  return rgb;
}

// The detections' boxes (lon/lat) as SVG polygons in grid pixels.
std::string detections_svg(const site& s, const std::vector<detection_shape>& dets) {
  const OGRSpatialReference wgs = lonlat_srs();
  const OGRSpatialReference grid = srs_from_wkt(s.grid.crs_wkt, "site " + s.id);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&wgs, &grid));
  std::string overlay;
  for (const auto& d : dets) {
    OGRGeometry* g = nullptr;
    if (OGRGeometryFactory::createFromWkt(d.wkt.c_str(), nullptr, &g) != OGRERR_NONE || !g)
      continue;
    std::unique_ptr<OGRGeometry> own(g);
    if (g->transform(ct.get()) != OGRERR_NONE) continue;
    const auto* poly = dynamic_cast<const OGRPolygon*>(g);
    if (!poly || !poly->getExteriorRing()) continue;
    std::string pts;
    for (const auto& p : *poly->getExteriorRing())
      pts += fmt::format("{:.2f},{:.2f} ", (p.getX() - s.grid.x0) / s.grid.gsd,
                         (s.grid.y0 - p.getY()) / s.grid.gsd);
    overlay += fmt::format("<polygon points='{}' class='det'><title>{}</title></polygon>", pts,
                           html_escape(d.cls));
  }
  return overlay;
}

// One chip as a figure: the image (at most 280 px wide, two pairs to a row, pixels kept square and
// sharp), the detections over it, the caption (HTML) under it; a note when the scene cannot be
// read.
std::string chip_figure(const site& s, const std::string& scene_path,
                        const std::vector<detection_shape>& dets, const std::string& caption,
                        const std::string& css_class) {
  std::string why;
  gdal_dataset_ptr rgb = rgb_chip(s, scene_path, why);
  if (!rgb)
    return fmt::format(
        "<figure class='{}'><p class='note'>{}</p><figcaption>{}</figcaption>"
        "</figure>",
        css_class, html_escape(scene_path + ": " + why), caption);
  const int gw = s.grid.width, gh = s.grid.height;
  const double scale = std::clamp(280.0 / gw, 1.0, 3.0);
  const double dw = std::round(gw * scale), dh = std::round(gh * scale);
  return fmt::format(
      "<figure class='{}'><div class='chipbox'><img src='data:image/png;base64,{}' width='{}' "
      "height='{}' alt=''/><svg viewBox='0 0 {} {}' width='{}' height='{}'>{}</svg></div>"
      "<figcaption>{}</figcaption></figure>",
      css_class, base64_png(rgb.get()), dw, dh, gw, gh, dw, dh, detections_svg(s, dets), caption);
}

// ---- reading the results --------------------------------------------------------------------

gdal_dataset_ptr open_results(const std::string& results) {
  gdal_dataset_ptr ds(GDALDataset::Open(results.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  if (!ds) throw input_error(fmt::format("{}: cannot open: {}", results, gdal_last_error()));
  for (const char* name : {"site_counts", "detections", "scenes", "sites", "runs"})
    if (!ds->GetLayerByName(name))
      throw input_error(fmt::format("{}: no layer '{}': not a sitewatch output", results, name));
  return ds;
}

// The last run wins: its config holds the site grids and the classes.
std::string read_last_run(GDALDataset* ds, std::string& run_line) {
  std::string config_text;
  OGRLayer* runs = ds->GetLayerByName("runs");
  runs->ResetReading();
  for (auto& f : *runs) {
    config_text = f->GetFieldAsString("config");
    run_line = fmt::format("run {} started {}, sitewatch {} (git {}), device {}",
                           f->GetFieldAsString("run_id"), field_text(*f, "started"),
                           f->GetFieldAsString("version"), f->GetFieldAsString("git"),
                           f->GetFieldAsString("device"));
    // the host and threads, in outputs made since issue 13
    if (const int h = f->GetFieldIndex("host"); h >= 0 && f->IsFieldSetAndNotNull(h))
      run_line += fmt::format(" on {}, {} threads", f->GetFieldAsString(h),
                              f->GetFieldAsInteger("threads"));
  }
  return config_text;
}

// Through a GeoJSON in memory, so that the catalog gets load_sites' grids and checks.
site_catalog read_catalog(GDALDataset* ds, const config& cfg) {
  const std::string vsi = "/vsimem/sw_report_sites.geojson";
  {
    auto* gj = GetGDALDriverManager()->GetDriverByName("GeoJSON");
    gdal_dataset_ptr tmp(gj->Create(vsi.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    tmp->CopyLayer(ds->GetLayerByName("sites"), "sites");
  }
  site_catalog catalog = load_sites(vsi, cfg);
  VSIUnlink(vsi.c_str());
  return catalog;
}

std::map<std::string, scene_meta> read_scenes(GDALDataset* ds) {
  std::map<std::string, scene_meta> scenes;
  OGRLayer* layer = ds->GetLayerByName("scenes");
  layer->ResetReading();
  for (auto& f : *layer) {
    scene_meta m;
    m.path = f->GetFieldAsString("path");
    m.acquired = field_text(*f, "acquired");
    m.t = parse_rfc3339(m.acquired).value_or(0);
    scenes[f->GetFieldAsString("scene_id")] = m;
  }
  return scenes;
}

series_map read_series(GDALDataset* ds) {
  series_map series;
  OGRLayer* counts = ds->GetLayerByName("site_counts");
  counts->ResetReading();
  for (auto& f : *counts) {
    point p;
    p.scene_id = f->GetFieldAsString("scene_id");
    p.acquired = field_text(*f, "acquired");
    p.t = parse_rfc3339(p.acquired).value_or(0);
    p.observable = f->GetFieldAsInteger("observable") != 0;
    const std::string cls = f->GetFieldAsString("class");
    const char* value_field = cls == "change" ? "changed_area_m2" : "count";
    if (f->IsFieldSetAndNotNull(f->GetFieldIndex(value_field)))
      p.value = f->GetFieldAsDouble(value_field);
    p.anomaly =
        f->IsFieldSetAndNotNull(f->GetFieldIndex("anomaly")) && f->GetFieldAsInteger("anomaly");
    p.reference = field_text(*f, "reference");
    series[f->GetFieldAsString("site_id")][cls].push_back(p);
  }
  // in time order whatever order the rows were committed in
  for (auto& [site_id, classes] : series)
    for (auto& [cls, pts] : classes)
      std::sort(pts.begin(), pts.end(), [](const point& a, const point& b) {
        return std::tie(a.t, a.scene_id) < std::tie(b.t, b.scene_id);
      });
  return series;
}

detection_map read_detections(GDALDataset* ds) {
  detection_map dets;
  OGRLayer* det = ds->GetLayerByName("detections");
  det->ResetReading();
  for (auto& f : *det) {
    const OGRGeometry* g = f->GetGeometryRef();
    if (!g) continue;
    dets[{f->GetFieldAsString("site_id"), f->GetFieldAsString("scene_id")}].push_back(
        {f->GetFieldAsString("class"), g->exportToWkt()});
  }
  return dets;
}

// Every chart spans the dates of the whole output, padded by 2% (at least a day) each side,
// so that the small multiples line up.
void set_time_axis(report_tables& t) {
  bool any = false;
  for (const auto& [site_id, classes] : t.series)
    for (const auto& [cls, pts] : classes)
      for (const auto& p : pts) {
        t.t0 = any ? std::min(t.t0, p.t) : p.t;
        t.t1 = any ? std::max(t.t1, p.t) : p.t;
        any = true;
      }
  const std::int64_t pad = std::max<std::int64_t>(86400, (t.t1 - t.t0) / 50);
  t.t0 -= pad;
  t.t1 += pad;
}

report_tables load_tables(const std::string& results) {
  gdal_dataset_ptr ds = open_results(results);
  report_tables t;
  const std::string config_text = read_last_run(ds.get(), t.run_line);
  const config cfg = parse_config(config_text, results + " (runs.config)");
  t.catalog = read_catalog(ds.get(), cfg);
  t.scenes = read_scenes(ds.get());
  t.series = read_series(ds.get());
  t.dets = read_detections(ds.get());
  set_time_axis(t);
  return t;
}

// ---- the page -------------------------------------------------------------------------------

const char* const page_head =
    R"(<!doctype html><html><head><meta charset='utf-8'><title>sitewatch report</title>
<style>
body{font-family:system-ui,sans-serif;margin:20px 28px;color:#222;max-width:1220px}
h1{font-size:21px;margin:0 0 2px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ccc}
h3{font-size:14px;margin:0 0 2px}.meta{font-size:12px;color:#666;margin:0 0 10px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
ul.sentences{margin:4px 0 8px;padding:0;list-style:none;font-size:15px}
.sentences li{border-left:4px solid #d62728;padding:2px 8px;margin:3px 0;background:#fff5f5}
.sentences a{color:#222;text-decoration:none}.calm{font-size:15px;color:#2a6a2a}
details{font-size:13px;margin:2px 0 6px}
.legend{font-size:12px;color:#555;margin:4px 0 8px}.legend svg{vertical-align:middle}
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:10px}
.card{border:1px solid #ddd;border-radius:4px;padding:6px 8px}.card h3 a{color:#1a4f8a}
.card .name{font-weight:normal;color:#666}.cardnote{font-size:11px;color:#666;margin:2px 0 0}
.chart{display:block}.chart .frame{fill:#fcfcfc;stroke:#ccc}.grid{stroke:#ececec}
.xtick{stroke:#999}.axis{font-size:10px;fill:#555}.label{font-size:11px;fill:#333;font-weight:600}
.series{fill:none;stroke:#3366aa;stroke-width:1.5}.point{fill:#3366aa}.anomaly{fill:#d62728}
.anomband{fill:#d62728;fill-opacity:.13}.gap{fill:#aaa}.novalue{fill:none;stroke:#999}
.chippair{display:inline-flex;gap:6px;margin:6px 14px 6px 0;vertical-align:top}
.chipbox{position:relative;display:inline-block}
.chipbox svg{position:absolute;left:0;top:0}.det{fill:none;stroke:#ffdd00;stroke-width:0.6}
figure{margin:0;max-width:280px}figcaption{font-size:12px;color:#333}.sid{color:#777;font-size:11px}
.ref figcaption{color:#555}.tag{color:#fff;background:#d62728;border-radius:3px;padding:0 3px;font-size:11px}
.note{color:#a00;font-size:12px}img{image-rendering:pixelated;display:block}
</style></head><body>)";

// One anomaly sentence per flagged row, in time order (then by site), each linking to its
// site's section; `lead`: among the headlines of the first screen (report::headlines).
struct sentence {
  std::int64_t t;
  std::string site, html;
  bool lead = false;
};

std::vector<sentence> anomaly_sentences(const series_map& series, std::size_t headline_count) {
  std::vector<sentence> out;
  std::vector<std::string> groups;
  std::vector<double> departures;
  for (const auto& [site_id, classes] : series)
    for (const auto& [cls, pts] : classes)
      for (std::size_t i = 0; i < pts.size(); ++i) {
        const point& p = pts[i];
        if (!p.anomaly || !has_value(p)) continue;
        const auto h = report::history_before(pts, i);
        const std::string text = report::anomaly_sentence(site_id, cls, p, h);
        out.push_back({p.t, site_id,
                       fmt::format("<li class='sentence' data-site='{0}' data-class='{1}' "
                                   "data-scene='{2}'><a href='#site-{0}'>{3}</a></li>",
                                   html_escape(site_id), html_escape(cls), html_escape(p.scene_id),
                                   html_escape(text))});
        groups.push_back(site_id + "/" + cls);
        departures.push_back(report::departure(*p.value, h));
      }
  for (const std::size_t i : report::headlines(groups, departures, headline_count))
    out[i].lead = true;
  std::stable_sort(out.begin(), out.end(), [](const sentence& a, const sentence& b) {
    return std::tie(a.t, a.site) < std::tie(b.t, b.site);
  });
  return out;
}

const char* const legend_html =
    "<div class='legend'>"
    "<svg width='34' height='12'><polyline points='2,9 12,4 22,7' class='series'/>"
    "<circle cx='12' cy='4' r='2.5' class='point'/><circle cx='28' cy='6' r='4' "
    "class='anomaly'/></svg> value, <b style='color:#d62728'>anomaly</b>; "
    "<svg width='10' height='10'><path d='M1.5,9l7,0l-3.5,-7z' class='gap'/></svg> not "
    "observable (cloud or no data): the line stops there, it never joins across; "
    "<svg width='10' height='10'><circle cx='5' cy='5' r='3' class='novalue'/></svg> "
    "observable, no count yet (no reference). History: the site's earlier observable dates of "
    "that class, flagged ones left out. Click a site for its scenes.</div>";

// The first screen: what stands out (up to six sentences, every site's anomalies taking
// turns, in time order), then a small chart per site and class.
std::string story_html(const report_tables& t, const std::vector<const site*>& sites) {
  constexpr std::size_t shown = 6;  // the rest fold away under "N more anomalies"
  const auto sentences = anomaly_sentences(t.series, shown);
  std::string html = "<section id='story'>";
  if (sentences.empty())
    html += "<p class='calm'>No anomalies: every count is within its site's own history.</p>";
  std::string lead, more;
  for (const auto& s : sentences) (s.lead ? lead : more) += s.html;
  if (!lead.empty()) html += "<ul class='sentences'>" + lead + "</ul>";
  if (!more.empty())
    html += fmt::format(
        "<details><summary>{} more anomalies</summary><ul class='sentences'>{}</ul></details>",
        sentences.size() - shown, more);
  html += legend_html;
  html += "<div class='multiples'>";
  for (const site* s : sites) {
    html += fmt::format(
        "<div class='card' data-site='{0}'><h3><a href='#site-{0}'>{0}</a> <span "
        "class='name'>{1}</span></h3>",
        html_escape(s->id), html_escape(s->name));
    const auto it = t.series.find(s->id);
    if (it == t.series.end()) {
      html += "<p class='cardnote'>No scene saw this site.</p></div>";
      continue;
    }
    int dates = 0, observable = 0;
    for (const auto& [cls, pts] : charts_order(it->second)) {
      html += chart_svg(s->id, *cls, *pts, t, true);
      dates = std::max(dates, static_cast<int>(pts->size()));
      observable = std::max(
          observable, static_cast<int>(std::count_if(pts->begin(), pts->end(),
                                                     [](const point& p) { return p.observable; })));
    }
    html += fmt::format("<p class='cardnote'>{} dates, {} observable</p></div>", dates, observable);
  }
  return html + "</div></section>";
}

// The summary table, and the anomalies table after it when there are any.
std::string summary_html(const series_map& series) {
  std::string html =
      "<h2>Summary</h2><table><tr><th>site</th><th>class</th><th>scenes</th><th>observable</th>"
      "<th>median</th><th>max</th><th>anomalies</th></tr>";
  std::string anomalies;
  for (const auto& [site_id, classes] : series)
    for (const auto& [cls, pts] : classes) {
      std::vector<double> v;
      int obs = 0, an = 0;
      for (const auto& p : pts) {
        obs += p.observable;
        if (has_value(p)) v.push_back(*p.value);
        if (p.anomaly) {
          ++an;
          anomalies +=
              fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:g}</td></tr>",
                          html_escape(site_id), html_escape(cls), date_of(p),
                          html_escape(p.scene_id), p.value.value_or(0));
        }
      }
      std::sort(v.begin(), v.end());
      html += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
          html_escape(site_id), html_escape(cls), pts.size(), obs,
          v.empty() ? std::string("") : fmt::format("{:g}", v[v.size() / 2]),
          v.empty() ? std::string("") : fmt::format("{:g}", v.back()), an);
    }
  html += "</table>";
  if (!anomalies.empty())
    html +=
        "<h2>Anomalies</h2><table><tr><th>site</th><th>class</th><th>date</th><th>scene</th>"
        "<th>value</th></tr>" +
        anomalies + "</table>";
  return html;
}

// Anomalous scenes first, then the largest counts; change areas only count when anomalous.
std::vector<std::string> choose_chip_scenes(const class_series& classes, int chips) {
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& [cls, pts] : classes)
    for (const auto& p : pts)
      if (has_value(p) && (p.anomaly || cls != "change"))
        ranked.emplace_back((p.anomaly ? 1e12 : 0.0) + *p.value, p.scene_id);
  std::sort(ranked.rbegin(), ranked.rend());
  std::vector<std::string> chosen;
  for (const auto& [score, id] : ranked)
    if (std::find(chosen.begin(), chosen.end(), id) == chosen.end() &&
        static_cast<int>(chosen.size()) < chips)
      chosen.push_back(id);
  return chosen;
}

std::string scene_date(const report_tables& t, const std::string& id) {
  const auto it = t.scenes.find(id);
  return it == t.scenes.end() ? std::string("?") : it->second.acquired.substr(0, 10);
}

// "median of 3 scenes: 2023-09-12, 2023-09-20, 2023-09-28"; long lists by their ends.
std::string reference_text(const report::reference& ref, const report_tables& t) {
  if (ref.ids.empty()) return ref.kind;
  std::vector<std::string> dates;
  for (const auto& id : ref.ids) dates.push_back(scene_date(t, id));
  std::sort(dates.begin(), dates.end());
  std::string list;
  if (dates.size() <= 5)
    for (std::size_t i = 0; i < dates.size(); ++i) list += (i ? ", " : "") + dates[i];
  else
    list = dates.front() + " … " + dates.back();
  if (ref.ids.size() == 1) return fmt::format("{} scene of {}", ref.kind, list);
  return fmt::format("{} of {} scenes: {}", ref.kind, ref.ids.size(), list);
}

// A scene's chip beside its reference's: the scene captioned with its date, every class's
// value at the site and the reference; the reference (its only member, or for a pooled
// reference its most recent member) with its date.
std::string chip_pair_html(const site& s, const std::string& id, const report_tables& t) {
  const auto& classes = t.series.at(s.id);
  std::string values, ref_text;
  for (const auto& [cls, pts] : classes)
    for (const auto& p : pts) {
      if (p.scene_id != id) continue;
      if (ref_text.empty()) ref_text = p.reference;
      values += " · " + (has_value(p) ? html_escape(value_text(cls, *p.value))
                                      : html_escape(report::class_noun(cls, 2)) + " n/a");
      if (p.anomaly) values += " <span class='tag'>anomaly</span>";
    }
  const report::reference ref = report::parse_reference(ref_text);
  const auto meta = t.scenes.find(id);
  const std::string path = meta == t.scenes.end() ? std::string() : meta->second.path;
  const auto d = t.dets.find({s.id, id});
  const std::string caption = fmt::format(
      "<b>{}</b>{}<br>reference: {}<br><span class='sid'>scene {}</span>", scene_date(t, id),
      values, ref_text.empty() ? "none yet" : html_escape(reference_text(ref, t)), html_escape(id));
  std::string html =
      "<div class='chippair'>" +
      chip_figure(s, path, d == t.dets.end() ? std::vector<detection_shape>{} : d->second, caption,
                  "scene");
  std::map<std::string, std::int64_t> member_t;
  for (const auto& m : ref.ids)
    if (const auto it = t.scenes.find(m); it != t.scenes.end()) member_t[m] = it->second.t;
  const std::string ref_id = report::reference_chip_scene(ref, member_t);
  if (!ref_id.empty()) {
    const auto rm = t.scenes.find(ref_id);
    const std::string which =
        ref.ids.size() == 1 ? "reference" : "reference, its most recent member";
    html += chip_figure(s, rm == t.scenes.end() ? std::string() : rm->second.path, {},
                        fmt::format("<b>{}</b> · {}<br><span class='sid'>scene {}</span>",
                                    scene_date(t, ref_id), which, html_escape(ref_id)),
                        "ref");
  }
  return html + "</div>";
}

std::string site_section_html(const site& s, const report_tables& t, int chips) {
  std::string html =
      fmt::format("<section class='site' id='site-{}'><h2>{}</h2>", html_escape(s.id),
                  html_escape(s.id + (s.name.empty() ? "" : " — " + s.name)));
  const auto it = t.series.find(s.id);
  if (it == t.series.end()) return html + "<p>No scene saw this site.</p></section>";
  for (const auto& [cls, pts] : charts_order(it->second))
    html += chart_svg(s.id, *cls, *pts, t, false);
  for (const auto& id : choose_chip_scenes(it->second, chips)) html += chip_pair_html(s, id, t);
  return html + "</section>";
}

std::string page_html(const report_options& opt, const report_tables& t) {
  std::vector<const site*> sites;
  for (const auto& s : t.catalog.sites) sites.push_back(&s);
  std::string html = page_head;
  html += "<h1>sitewatch report</h1><p class='meta'>" + html_escape(opt.results) + " · " +
          html_escape(t.run_line) + "</p>";
  html += story_html(t, sites);
  html += summary_html(t.series);
  for (const site* s : sites) html += site_section_html(*s, t, opt.chips);
  html += "<p class='axis'>sitewatch " + std::string(build::version) + "</p></body></html>\n";
  return html;
}

// Through a .part file, so that a failed write leaves no half page under the real name.
void write_file_atomically(const std::string& out, const std::string& text) {
  const std::string tmp = out + ".part";
  {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    if (!f) throw error(fmt::format("{}: cannot write", out));
  }
  std::rename(tmp.c_str(), out.c_str());
}

}  // namespace

void write_report(const report_options& opt) {
  gdal_init();
  const report_tables tables = load_tables(opt.results);
  write_file_atomically(opt.out, page_html(opt, tables));
}

}  // namespace sw
