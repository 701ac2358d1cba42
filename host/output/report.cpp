#include "host/output/report.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
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

namespace sw {
namespace {

struct count_point {
  std::string scene_id, acquired;
  std::int64_t t = 0;
  bool observable = false;
  std::optional<double> value;  // count, or changed area for "change"
  bool anomaly = false;
};

struct detection_shape {
  std::string cls;
  std::string wkt;  // lon/lat
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
      default:
        o += c;
    }
  }
  return o;
}

// One time series as an inline SVG: observable values joined by a line, unobservable dates
// as grey ticks at the bottom, anomalies in red; hover shows date and value.
std::string chart_svg(const std::vector<count_point>& pts, const std::string& label) {
  const double w = 760, h = 170, left = 50, right = 10, top = 12, bottom = 24;
  std::int64_t t0 = 0, t1 = 1;
  double vmax = 1;
  bool any = false;
  for (const auto& p : pts) {
    if (!any) t0 = t1 = p.t;
    any = true;
    t0 = std::min(t0, p.t);
    t1 = std::max(t1, p.t);
    if (p.value) vmax = std::max(vmax, *p.value);
  }
  if (t1 == t0) t1 = t0 + 1;
  vmax *= 1.1;
  auto X = [&](std::int64_t t) {
    return left + (w - left - right) * double(t - t0) / double(t1 - t0);
  };
  auto Y = [&](double v) { return top + (h - top - bottom) * (1.0 - v / vmax); };
  std::string s = fmt::format(
      "<svg viewBox='0 0 {} {}' width='{}' height='{}' class='chart'><rect x='{}' y='{}' "
      "width='{}' height='{}' class='frame'/>",
      w, h, w, h, left, top, w - left - right, h - top - bottom);
  for (int k = 0; k <= 4; ++k) {
    const double v = vmax * k / 4.0;
    s += fmt::format("<text x='{}' y='{}' class='axis' text-anchor='end'>{:.0f}</text>", left - 4,
                     Y(v) + 4, v);
  }
  s += fmt::format("<text x='{}' y='{}' class='axis'>{}</text>", left, h - 6,
                   html_escape(pts.empty() ? "" : pts.front().acquired.substr(0, 10)));
  s += fmt::format("<text x='{}' y='{}' class='axis' text-anchor='end'>{}</text>", w - right, h - 6,
                   html_escape(pts.empty() ? "" : pts.back().acquired.substr(0, 10)));
  s += fmt::format("<text x='{}' y='{}' class='label'>{}</text>", left + 6, top + 14,
                   html_escape(label));
  std::string line;
  for (const auto& p : pts)
    if (p.observable && p.value) line += fmt::format("{:.1f},{:.1f} ", X(p.t), Y(*p.value));
  if (!line.empty()) s += "<polyline class='series' points='" + line + "'/>";
  for (const auto& p : pts) {
    const std::string tip = html_escape(p.acquired.substr(0, 10) + " " + p.scene_id);
    if (!p.observable) {
      s += fmt::format(
          "<line x1='{0:.1f}' x2='{0:.1f}' y1='{1:.1f}' y2='{2:.1f}' class='cloud'>"
          "<title>{3}: not observable</title></line>",
          X(p.t), h - bottom, h - bottom - 6, tip);
    } else if (p.value) {
      s += fmt::format(
          "<circle cx='{:.1f}' cy='{:.1f}' r='{}' class='{}'><title>{}: {:g}{}</title>"
          "</circle>",
          X(p.t), Y(*p.value), p.anomaly ? 5 : 3, p.anomaly ? "anomaly" : "point", tip, *p.value,
          p.anomaly ? " (anomaly)" : "");
    }
  }
  return s + "</svg>";
}

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

// The site's window of a scene as an RGB chip (2-98% stretch per band over valid pixels),
// with the detections drawn over it. Empty when the scene cannot be read.
std::string chip_html(const site& s, const std::string& scene_path, const std::string& title,
                      const std::vector<detection_shape>& dets) {
  scene_info info = describe_scene(scene_path, "", "");
  if (!info.error.empty())
    return "<p class='note'>" + html_escape(title + ": " + info.error) + "</p>";
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
    return "<p class='note'>" + html_escape(title + ": " + e.what()) + "</p>";
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
                                            0) != CE_None)
      return "";
  }
  // detections: lon/lat -> grid pixels
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
  return fmt::format(
      "<figure><div class='chipbox'><img src='data:image/png;base64,{}' width='{}' "
      "height='{}'/><svg viewBox='0 0 {} {}' width='{}' height='{}'>{}</svg></div>"
      "<figcaption>{}</figcaption></figure>",
      base64_png(rgb.get()), gw * 3, gh * 3, gw, gh, gw * 3, gh * 3, overlay, html_escape(title));
}

using series_map =
    std::map<std::string, std::map<std::string, std::vector<count_point>>>;  // site, class
using detection_map =
    std::map<std::pair<std::string, std::string>, std::vector<detection_shape>>;  // site, scene

// What the page is built from, read once from the results.
struct report_tables {
  std::string run_line;
  site_catalog catalog;
  std::map<std::string, std::string> scene_path;  // by scene id
  series_map series;
  detection_map dets;
};

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

std::map<std::string, std::string> read_scene_paths(GDALDataset* ds) {
  std::map<std::string, std::string> scene_path;
  OGRLayer* scenes = ds->GetLayerByName("scenes");
  scenes->ResetReading();
  for (auto& f : *scenes) scene_path[f->GetFieldAsString("scene_id")] = f->GetFieldAsString("path");
  return scene_path;
}

series_map read_series(GDALDataset* ds) {
  series_map series;
  OGRLayer* counts = ds->GetLayerByName("site_counts");
  counts->ResetReading();
  for (auto& f : *counts) {
    count_point p;
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
    series[f->GetFieldAsString("site_id")][cls].push_back(p);
  }
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

report_tables load_tables(const std::string& results) {
  gdal_dataset_ptr ds = open_results(results);
  report_tables t;
  const std::string config_text = read_last_run(ds.get(), t.run_line);
  const config cfg = parse_config(config_text, results + " (runs.config)");
  t.catalog = read_catalog(ds.get(), cfg);
  t.scene_path = read_scene_paths(ds.get());
  t.series = read_series(ds.get());
  t.dets = read_detections(ds.get());
  return t;
}

const char* const page_head =
    R"(<!doctype html><html><head><meta charset='utf-8'><title>sitewatch report</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.chart .frame{fill:#fafafa;stroke:#ccc}.axis{font-size:10px;fill:#666}.label{font-size:12px;fill:#333}
.series{fill:none;stroke:#3366aa;stroke-width:1.5}.point{fill:#3366aa}.anomaly{fill:#d62728}
.cloud{stroke:#aaa;stroke-width:1.5}.chipbox{position:relative;display:inline-block}
.chipbox svg{position:absolute;left:0;top:0}.det{fill:none;stroke:#ffdd00;stroke-width:0.6}
figure{display:inline-block;margin:6px}figcaption{font-size:12px;color:#444}.note{color:#a00;font-size:12px}
img{image-rendering:pixelated}
</style></head><body>)";

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
        if (p.value && p.observable) v.push_back(*p.value);
        if (p.anomaly) {
          ++an;
          anomalies +=
              fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:g}</td></tr>",
                          html_escape(site_id), html_escape(cls), p.acquired.substr(0, 10),
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
std::vector<std::string> choose_chip_scenes(
    const std::map<std::string, std::vector<count_point>>& classes, int chips) {
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& [cls, pts] : classes)
    for (const auto& p : pts)
      if (p.observable && p.value && (p.anomaly || cls != "change"))
        ranked.emplace_back((p.anomaly ? 1e12 : 0.0) + *p.value, p.scene_id);
  std::sort(ranked.rbegin(), ranked.rend());
  std::vector<std::string> chosen;
  for (const auto& [score, id] : ranked)
    if (std::find(chosen.begin(), chosen.end(), id) == chosen.end() &&
        static_cast<int>(chosen.size()) < chips)
      chosen.push_back(id);
  return chosen;
}

std::string site_section_html(const site& s, const report_tables& t, int chips) {
  std::string html = "<h2>" + html_escape(s.id + (s.name.empty() ? "" : " — " + s.name)) + "</h2>";
  const auto it = t.series.find(s.id);
  if (it == t.series.end()) return html + "<p>No scene saw this site.</p>";
  for (const auto& [cls, pts] : it->second)
    html += chart_svg(pts, cls == "change" ? "changed area (m²)" : cls + " count");
  for (const auto& id : choose_chip_scenes(it->second, chips)) {
    const auto path = t.scene_path.find(id);
    const auto d = t.dets.find({s.id, id});
    html += chip_html(s, path == t.scene_path.end() ? std::string() : path->second, id,
                      d == t.dets.end() ? std::vector<detection_shape>{} : d->second);
  }
  return html;
}

std::string page_html(const report_options& opt, const report_tables& t) {
  std::string html = page_head;
  html += "<h1>sitewatch report</h1><p>" + html_escape(opt.results) + "<br>" +
          html_escape(t.run_line) + "</p>";
  html += summary_html(t.series);
  for (const auto& s : t.catalog.sites) html += site_section_html(s, t, opt.chips);
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
