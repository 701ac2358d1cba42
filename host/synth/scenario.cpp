// Planning of the synthetic archive: layout, timeline and per-scene parameters. Every random
// choice comes from its own stream, seeded by (seed, purpose, date or month), so changing one
// aspect (say the ship schedule) does not reshuffle the others, and nothing depends on threads.
#include "host/synth/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <ogr_spatialref.h>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"
#include "host/synth/random.hpp"

namespace sw::synth {

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double deg = pi / 180.0;
constexpr double day_s = 86400.0;

// Stream ids of the per-scene random streams.
enum stream : std::uint64_t {
  s_dates = 0xDA7E,
  s_sensor = 0x5E45,
  s_raster = 0x4A57,
  s_footprint = 0xF007,
  s_misreg = 0x3154,
  s_radiometry = 0x4AD1,
  s_clouds = 0xC10D,
  s_meta = 0x3E7A,
  s_rail = 0x7A11,
  s_ships = 0x5A1F,
  s_stacks = 0xC0A7,
  s_assets = 0xA55E,
  s_background = 0xB6B6,
  // Scenario tumen-hard only.
  s_warp = 0x3A4B,
  s_blur = 0xB1E2,
  s_haze_gradient = 0x4A2E,
  s_parked = 0x9A4C,
  s_statics = 0x57A7,
  s_clutter = 0xC177,
};

}  // namespace

// ---- small geometry ---------------------------------------------------------------------

const std::vector<std::string>& canonical_band_names() {
  static const std::vector<std::string> names{"coastal_blue", "blue", "green_i", "green",
                                              "yellow",       "red",  "rededge", "nir"};
  return names;
}

const std::vector<int>& band_indices(int band_count) {
  static const std::vector<int> four{1, 3, 5, 7};
  static const std::vector<int> eight{0, 1, 2, 3, 4, 5, 6, 7};
  return band_count == 8 ? eight : four;
}

void box::add(const box& o) {
  x0 = std::min(x0, o.x0);
  y0 = std::min(y0, o.y0);
  x1 = std::max(x1, o.x1);
  y1 = std::max(y1, o.y1);
}

std::vector<vec2> orect::corners() const {
  const vec2 v{-u.y, u.x};
  return {{c.x - u.x * hl - v.x * hw, c.y - u.y * hl - v.y * hw},
          {c.x + u.x * hl - v.x * hw, c.y + u.y * hl - v.y * hw},
          {c.x + u.x * hl + v.x * hw, c.y + u.y * hl + v.y * hw},
          {c.x - u.x * hl + v.x * hw, c.y - u.y * hl + v.y * hw}};
}

box orect::bounds() const {
  return bounds_of(corners());
}

box bounds_of(const std::vector<vec2>& ring) {
  box b{ring.at(0).x, ring.at(0).y, ring.at(0).x, ring.at(0).y};
  for (const vec2& p : ring) b.add({p.x, p.y, p.x, p.y});
  return b;
}

bool point_in_polygon(vec2 p, const std::vector<vec2>& ring) {
  bool inside = false;
  for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    const vec2 a = ring[i], b = ring[j];
    if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x)
      inside = !inside;
  }
  return inside;
}

bool convex_overlaps_box(const std::vector<vec2>& ring, const box& b) {
  if (ring.size() < 3) return false;
  // Separating axis theorem: the box's two axes and the polygon's edge normals.
  const box rb = bounds_of(ring);
  if (!rb.overlaps(b)) return false;
  const vec2 bc[4] = {{b.x0, b.y0}, {b.x1, b.y0}, {b.x1, b.y1}, {b.x0, b.y1}};
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const vec2 a = ring[i], c = ring[(i + 1) % ring.size()];
    const vec2 n{c.y - a.y, a.x - c.x};  // outward for a counter-clockwise ring
    double poly_max = -1e300, box_min = 1e300;
    for (const vec2& p : ring) poly_max = std::max(poly_max, n.x * p.x + n.y * p.y);
    for (const vec2& p : bc) box_min = std::min(box_min, n.x * p.x + n.y * p.y);
    if (box_min > poly_max) return false;
  }
  return true;
}

std::vector<std::string> site_def::classes() const {
  std::vector<std::string> out;
  for (const zone_def& z : zones) out.push_back(z.cls);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

vec2 layout::track_point(int track, double s) const {
  const double o = track_offset(track);
  return {rail_c.x + rail_u.x * s - rail_u.y * o, rail_c.y + rail_u.y * s + rail_u.x * o};
}

std::string class_name(object_kind k) {
  switch (k) {
    case object_kind::railcar:
      return "railcar";
    case object_kind::ship:
      return "ship";
    case object_kind::container_stack:
      return "container_stack";
    case object_kind::structure:
      return "static";
    case object_kind::clutter:
      return "clutter";
  }
  return "";
}

int scene_plan::count_for(const std::string& cls) const {
  if (cls == "railcar") return count_railcar;
  if (cls == "ship") return count_ship;
  if (cls == "container_stack") return count_container_stack;
  return 0;
}

// ---- coordinates ------------------------------------------------------------------------

namespace {

struct transforms {
  std::unique_ptr<OGRCoordinateTransformation> to_utm, to_lonlat;
};

// OGR transformations are not thread-safe; the planner and writer call these from one
// thread at a time, the mutex makes that a guarantee rather than a hope.
std::mutex transform_mutex;

transforms& shared_transforms() {
  static transforms t = [] {
    const OGRSpatialReference wgs = lonlat_srs();
    OGRSpatialReference utm;
    utm.importFromEPSG(32652);
    utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    transforms r;
    r.to_utm.reset(OGRCreateCoordinateTransformation(&wgs, &utm));
    r.to_lonlat.reset(OGRCreateCoordinateTransformation(&utm, &wgs));
    if (!r.to_utm || !r.to_lonlat)
      throw error("synth: cannot create the EPSG:4326/32652 transform");
    return r;
  }();
  return t;
}

}  // namespace

vec2 lonlat_to_utm(double lon, double lat) {
  std::lock_guard lock(transform_mutex);
  double x = lon, y = lat;
  if (!shared_transforms().to_utm->Transform(1, &x, &y))
    throw error("synth: lon/lat to UTM transform failed");
  return {x, y};
}

std::vector<vec2> utm_to_lonlat(const std::vector<vec2>& pts) {
  std::lock_guard lock(transform_mutex);
  std::vector<double> xs, ys;
  for (const vec2& p : pts) {
    xs.push_back(p.x);
    ys.push_back(p.y);
  }
  if (!pts.empty() &&
      !shared_transforms().to_lonlat->Transform(static_cast<int>(pts.size()), xs.data(), ys.data()))
    throw error("synth: UTM to lon/lat transform failed");
  std::vector<vec2> out;
  for (std::size_t i = 0; i < pts.size(); ++i) out.push_back({xs[i], ys[i]});
  return out;
}

// ---- time -------------------------------------------------------------------------------

// Howard Hinnant's civil-calendar algorithms (public domain).
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

std::string format_time(std::int64_t t, int centiseconds, bool fraction) {
  const std::int64_t days = (t >= 0 ? t : t - 86399) / 86400;
  const std::int64_t sod = t - days * 86400;
  int y, m, d;
  civil_from_days(days, y, m, d);
  const int hh = static_cast<int>(sod / 3600), mm = static_cast<int>(sod / 60 % 60),
            ss = static_cast<int>(sod % 60);
  if (fraction)
    return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:02d}0000Z", y, m, d, hh, mm, ss,
                       centiseconds);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", y, m, d, hh, mm, ss);
}

double day_of_year(std::int64_t t) {
  const std::int64_t days = t / 86400;
  int y, m, d;
  civil_from_days(days, y, m, d);
  return static_cast<double>(t) / day_s - static_cast<double>(days_from_civil(y, 1, 1));
}

namespace {

std::int64_t parse_date(const std::string& text) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
      text[4] != '-' || text[7] != '-' || m < 1 || m > 12 || d < 1 || d > 31)
    throw input_error(fmt::format("synth: start date '{}' is not YYYY-MM-DD", text));
  const std::int64_t days = days_from_civil(y, m, d);
  int yy, mm, dd;
  civil_from_days(days, yy, mm, dd);
  if (yy != y || mm != m || dd != d)
    throw input_error(fmt::format("synth: start date '{}' does not exist", text));
  return days;
}

// Solar elevation and azimuth (degrees, azimuth clockwise from north) by the low-precision
// almanac formulas; good to a fraction of a degree, which is all metadata needs.
void sun_position(std::int64_t t, double lon, double lat, double& elevation, double& azimuth) {
  const double n = static_cast<double>(t) / day_s + 2440587.5 - 2451545.0;
  const double l = std::fmod(280.460 + 0.9856474 * n, 360.0);
  const double g = std::fmod(357.528 + 0.9856003 * n, 360.0) * deg;
  const double lambda = (l + 1.915 * std::sin(g) + 0.020 * std::sin(2 * g)) * deg;
  const double eps = (23.439 - 0.0000004 * n) * deg;
  const double ra = std::atan2(std::cos(eps) * std::sin(lambda), std::cos(lambda));
  const double dec = std::asin(std::sin(eps) * std::sin(lambda));
  const double gmst_h = std::fmod(18.697374558 + 24.06570982441908 * n, 24.0);
  const double ha = (gmst_h * 15.0 + lon) * deg - ra;
  const double phi = lat * deg;
  elevation =
      std::asin(std::sin(phi) * std::sin(dec) + std::cos(phi) * std::cos(dec) * std::cos(ha)) / deg;
  azimuth =
      std::atan2(-std::sin(ha), std::cos(phi) * std::tan(dec) - std::sin(phi) * std::cos(ha)) / deg;
  if (azimuth < 0) azimuth += 360.0;
}

double round_to(double v, double step) {
  return std::round(v / step) * step;
}

spectrum scaled(const spectrum& s, double k) {
  spectrum o{};
  for (int b = 0; b < canonical_bands; ++b) o[b] = static_cast<float>(s[b] * k);
  return o;
}

// ---- the layout -------------------------------------------------------------------------

orect rect_of(const box& b) {
  return {{0.5 * (b.x0 + b.x1), 0.5 * (b.y0 + b.y1)},
          {1.0, 0.0},
          0.5 * (b.x1 - b.x0),
          0.5 * (b.y1 - b.y0)};
}

}  // namespace

layout make_layout(vec2 centre) {
  layout w;
  w.centre = centre;
  const double cx = centre.x, cy = centre.y;
  // Positions are offsets from the scene centre chosen so that every site sits inside the
  // footprint of a scale-0.05 scene (540 x 325 px, rotated ~10 deg footprint) on most dates.
  w.rail_c = {cx - 340.0, cy - 90.0};
  w.rail_u = {std::cos(20.0 * deg), std::sin(20.0 * deg)};
  w.quay_y = cy - 80.0;
  w.quay_x0 = cx + 150.0;
  w.quay_x1 = cx + 600.0;
  w.depot_yard = {cx + 220.0, cy + 110.0, cx + 440.0, cy + 270.0};
  w.control = {cx - 55.0, cy + 95.0, cx + 95.0, cy + 245.0};

  const double half_width = 0.5 * (w.tracks - 1) * w.track_spacing;
  auto rail_rect = [&](double margin) {
    return orect{w.rail_c, w.rail_u, w.track_half_len + margin, half_width + margin};
  };

  site_def rail{"tumangang_rail", "Tumangang rail yard", {}, {}, {}};
  rail.zones.push_back({"railcar", rail_rect(8.0).corners()});
  rail.zones.push_back({"change", rail_rect(40.0).corners()});

  site_def port{"rajin_port", "Rajin port quay", {}, {}, {}};
  port.zones.push_back(
      {"ship", rect_of({w.quay_x0, w.quay_y - w.berth_width, w.quay_x1, w.quay_y}).corners()});
  port.zones.push_back(
      {"change", rect_of({w.quay_x0, w.quay_y - w.berth_width, w.quay_x1, w.quay_y + w.apron_depth})
                     .corners()});

  site_def depot{"depot", "Depot", {}, {}, {}};
  depot.zones.push_back({"container_stack", rect_of(w.depot_yard).corners()});
  depot.zones.push_back({"change", rect_of(w.depot_yard.expanded(30.0)).corners()});

  site_def control{"control", "Control site", {}, {}, {}};
  control.zones.push_back({"change", rect_of(w.control).corners()});

  w.sites = {rail, port, depot, control};
  for (std::size_t i = 0; i < w.sites.size(); ++i) {
    site_def& s = w.sites[i];
    s.bounds = bounds_of(s.zones[0].ring);
    for (const zone_def& z : s.zones) s.bounds.add(bounds_of(z.ring));
    // 60 m is the site grid's default margin; 12 m more covers the misregistration and
    // the supersampling window.
    s.render_box = s.bounds.expanded(72.0);
    if (i == 0)
      w.sites_box = s.bounds;
    else
      w.sites_box.add(s.bounds);
  }
  return w;
}

// ---- the timeline -----------------------------------------------------------------------

namespace {

constexpr double car_length = 14.6, car_width = 3.2, car_pitch = 15.2;
constexpr double train_gap = 30.0;

struct train {
  int track = 0;
  double s0 = 0.0;
  int cars = 0;
  double length() const { return cars * car_pitch - (car_pitch - car_length); }
};

// Splits n cars into trains of kmin..kmax cars.
std::vector<int> split_trains(int n, int kmin, int kmax, rng& r) {
  std::vector<int> sizes;
  int rem = n;
  while (rem > 0) {
    int k = r.uniform_int(kmin, std::min(kmax, rem));
    if (rem - k > 0 && rem - k < kmin) k = rem <= kmax ? rem : rem - kmin;
    sizes.push_back(k);
    rem -= k;
  }
  return sizes;
}

class rail_planner {
 public:
  explicit rail_planner(const layout& w)
      : w_(w), bins_(static_cast<int>(std::ceil(2.0 * w.track_half_len / bin_m))) {}

  // Places trains for one date next to the trains already `placed` (parked ones, which stay
  // where they are) and returns them all. `history` limits how often a stretch of track may
  // have been occupied on the previous dates, so that the per-pixel median of past scenes (the
  // reference) stays empty track; it is relaxed when a date cannot be filled otherwise.
  std::vector<train> place(const std::vector<int>& sizes, rng& r, bool use_history,
                           std::vector<train> placed = {}) {
    for (int cars : sizes) {
      train t;
      t.cars = cars;
      bool ok = false;
      for (int limit : {1, 2, -1}) {
        if (!use_history && limit >= 0) continue;
        for (int attempt = 0; attempt < 400 && !ok; ++attempt) {
          t.track = r.uniform_int(0, w_.tracks - 1);
          t.s0 = r.uniform(-w_.track_half_len, w_.track_half_len - t.length());
          ok = fits(placed, t, limit);
        }
        if (ok) break;
      }
      if (ok) placed.push_back(t);
    }
    return placed;
  }

  void record(const std::vector<train>& trains) {
    std::vector<std::uint8_t> occ(static_cast<std::size_t>(w_.tracks * bins_), 0);
    for (const train& t : trains) {
      auto [b0, b1] = bin_span(t);
      for (int b = b0; b <= b1; ++b) occ[static_cast<std::size_t>(t.track * bins_ + b)] = 1;
    }
    history_.push_back(std::move(occ));
  }

 private:
  static constexpr double bin_m = 5.0;
  static constexpr int history_dates = 10;

  std::pair<int, int> bin_span(const train& t) const {
    const int b0 = std::max(0, static_cast<int>((t.s0 + w_.track_half_len - 5.0) / bin_m));
    const int b1 = std::min(
        bins_ - 1, static_cast<int>((t.s0 + t.length() + w_.track_half_len + 5.0) / bin_m));
    return {b0, b1};
  }

  bool fits(const std::vector<train>& placed, const train& t, int limit) const {
    for (const train& o : placed)
      if (o.track == t.track && t.s0 < o.s0 + o.length() + train_gap &&
          o.s0 < t.s0 + t.length() + train_gap)
        return false;
    if (limit < 0) return true;
    auto [b0, b1] = bin_span(t);
    const std::size_t first = history_.size() > history_dates ? history_.size() - history_dates : 0;
    for (int b = b0; b <= b1; ++b) {
      int n = 0;
      for (std::size_t j = first; j < history_.size(); ++j)
        n += history_[j][static_cast<std::size_t>(t.track * bins_ + b)];
      if (n > limit) return false;
    }
    return true;
  }

  const layout& w_;
  int bins_;
  std::vector<std::vector<std::uint8_t>> history_;
};

struct ship_call {
  double t0 = 0.0, t1 = 0.0;  // unix seconds, present for t0 <= t < t1
  double s = 0.0;             // west end, metres east of quay_x0
  double length = 0.0, beam = 0.0, gap = 0.0;
  float tone = 1.0f;
  bool bow_east = true;
  std::uint64_t detail = 0;
};

// Ships keep 30 m clear of the quay stretch [keep_out0, keep_out1] (metres east of quay_x0;
// empty when keep_out1 < keep_out0), where scenario tumen-hard moors its hulk.
std::vector<ship_call> plan_ships(const layout& w, std::uint64_t seed, int first_month_key,
                                  int last_month_key, double keep_out0, double keep_out1) {
  std::vector<ship_call> calls;
  const double quay_len = w.quay_x1 - w.quay_x0;
  for (int key = first_month_key; key <= last_month_key; ++key) {
    const int y = key / 12, m = key % 12 + 1;
    rng r{seed, s_ships, static_cast<std::uint64_t>(key)};
    const double start = static_cast<double>(days_from_civil(y, m, 1)) * day_s;
    const double end =
        static_cast<double>(days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1)) * day_s;
    const int n = (y == 2024 && m == 1) ? 1 : r.uniform_int(3, 5);
    std::vector<ship_call> month;
    for (int k = 0; k < n; ++k) {
      ship_call c;
      c.length = round_to(r.uniform(80.0, 200.0), 0.5);
      c.beam = round_to(std::clamp(c.length * r.uniform(0.13, 0.17), 14.0, 28.0), 0.1);
      c.gap = round_to(r.uniform(3.5, 8.0), 0.1);
      c.tone = static_cast<float>(r.uniform(0.88, 1.1));
      c.bow_east = r.chance(0.5);
      c.detail = r.next();
      const double dur = r.uniform(1.0, 4.0) * day_s;
      bool placed = false;
      // Calls end inside their month, so months are independent and "exactly one call in
      // January 2024" holds by construction.
      for (int attempt = 0; attempt < 30 && !placed; ++attempt) {
        c.t0 = std::floor(r.uniform(start, end - dur));
        c.t1 = c.t0 + std::floor(dur);
        for (int tries = 0; tries < 60 && !placed; ++tries) {
          c.s = round_to(r.uniform(5.0, quay_len - 5.0 - c.length), 0.1);
          placed = keep_out1 < keep_out0 ||
                   !(c.s < keep_out1 + 30.0 && keep_out0 < c.s + c.length + 30.0);
          for (const ship_call& o : month)
            if (c.t0 < o.t1 && o.t0 < c.t1 && c.s < o.s + o.length + 30.0 &&
                o.s < c.s + c.length + 30.0) {
              placed = false;
              break;
            }
        }
      }
      if (placed) month.push_back(c);
    }
    calls.insert(calls.end(), month.begin(), month.end());
  }
  return calls;
}

struct stack_life {
  int slot = 0;
  double t0 = 0.0, t1 = 1e300;
  spectrum colour{};
  std::uint64_t detail = 0;
};

constexpr int stack_cols = 4, stack_rows = 9;
constexpr double stack_len = 36.0, stack_wid = 12.0;

vec2 slot_centre(const layout& w, int slot) {
  const int col = slot % stack_cols, row = slot / stack_cols;
  // 4 columns of 36 m stacks with 15 m lanes between them (189 m of the 220 m yard), 9 rows
  // of 12 m stacks 6 m apart (156 m of 160 m): gaps a 3 m pixel can still resolve.
  return {w.depot_yard.x0 + 15.5 + 0.5 * stack_len + col * (stack_len + 15.0),
          w.depot_yard.y0 + 2.0 + 0.5 * stack_wid + row * (stack_wid + 6.0)};
}

const std::vector<spectrum>& container_palette() {
  static const std::vector<spectrum> p{
      {1800, 1850, 1900, 1950, 2400, 2950, 2950, 2950},  // red
      {2700, 2800, 2300, 2100, 1900, 1800, 1900, 2200},  // blue
      {2800, 2900, 2950, 3000, 3000, 3000, 3000, 3000},  // white
      {1800, 1900, 2500, 2600, 2200, 1850, 2300, 2900},  // green
      {1800, 1850, 2000, 2200, 2700, 2950, 2950, 2950},  // orange
      {2000, 2050, 2100, 2150, 2200, 2200, 2250, 2400},  // grey
      {1800, 1850, 2600, 2800, 2950, 2950, 2950, 2950},  // yellow
  };
  return p;
}

std::vector<stack_life> plan_stacks(std::uint64_t seed) {
  rng r{seed, s_stacks};
  std::vector<int> slots(stack_cols * stack_rows);
  for (std::size_t i = 0; i < slots.size(); ++i) slots[i] = static_cast<int>(i);
  for (std::size_t i = slots.size() - 1; i > 0; --i)
    std::swap(slots[i], slots[static_cast<std::size_t>(r.uniform_int(0, static_cast<int>(i)))]);
  auto day = [](int y, int m, int d) {
    return static_cast<double>(days_from_civil(y, m, d)) * day_s;
  };
  const double sep5 = day(2023, 9, 5), dec15 = day(2023, 12, 15);
  const auto& palette = container_palette();
  auto colour = [&] {
    const spectrum& base =
        palette[static_cast<std::size_t>(r.uniform_int(0, static_cast<int>(palette.size()) - 1))];
    return scaled(base, r.uniform(0.9, 1.03));
  };
  std::vector<stack_life> out;
  for (int k = 0; k < 35; ++k) {
    stack_life s;
    s.slot = slots[static_cast<std::size_t>(k)];
    if (k < 2)
      s.t0 = r.uniform(day(2023, 8, 8), day(2023, 8, 28));
    else if (k < 5)
      s.t0 = r.uniform(day(2023, 8, 29), sep5);
    else
      s.t0 = sep5 + (k - 4) / 30.0 * (dec15 - sep5) + r.uniform(-2.0, 2.0) * day_s;
    s.t0 = std::floor(s.t0);
    s.colour = colour();
    s.detail = r.next();
    // Rarely a stack leaves; its slot is filled again (a different stack) a little later.
    if (r.chance(0.08)) {
      s.t1 = std::floor(s.t0 + r.uniform(25.0, 70.0) * day_s);
      stack_life refill;
      refill.slot = s.slot;
      refill.t0 = std::floor(s.t1 + r.uniform(5.0, 20.0) * day_s);
      refill.colour = colour();
      refill.detail = r.next();
      out.push_back(refill);
    }
    out.push_back(s);
  }
  return out;
}

const spectrum car_rust{300, 330, 380, 420, 500, 570, 610, 700};
const spectrum car_black{240, 260, 280, 290, 300, 310, 330, 380};

// ---- scenario tumen-hard ------------------------------------------------------------------

// A train that stands on the same stretch of track on several consecutive dates.
struct parked_train {
  int first = 0, last = 0;  // date indices, both included
  train t;
  std::uint64_t colour_seed = 0;  // its cars keep their colours from date to date
};

// Two parked trains, 8-12 cars for 5-8 dates: one among the dates before the 73-car date, one
// among those after it (the two halves of the series when it has none); none in a part of
// fewer than 5 dates.
std::vector<parked_train> plan_parked(const layout& w, std::uint64_t seed, int dates, int special) {
  const int split = special >= 0 ? special : dates / 2;
  const std::pair<int, int> parts[2] = {{0, split}, {special >= 0 ? special + 1 : split, dates}};
  std::vector<parked_train> out;
  for (std::uint64_t k = 0; k < 2; ++k) {
    const auto [begin, end] = parts[k];
    if (end - begin < 5) continue;
    rng r{seed, s_parked, k};
    parked_train p;
    const int stay = r.uniform_int(5, std::min(8, end - begin));
    p.first = r.uniform_int(begin, end - stay);
    p.last = p.first + stay - 1;
    p.t.cars = r.uniform_int(8, 12);
    p.t.track = r.uniform_int(0, w.tracks - 1);
    p.t.s0 = round_to(r.uniform(-w.track_half_len, w.track_half_len - p.t.length()), 0.1);
    p.colour_seed = r.next();
    out.push_back(p);
  }
  return out;
}

// The point-spread function belongs to the satellite: the same sigma on all its scenes.
double blur_sigma(std::uint64_t seed, const std::string& satellite_id) {
  const std::uint64_t sat = std::stoull(satellite_id, nullptr, 16);
  return round_to(0.35 + 0.55 * unit_double(hash_of({seed, s_blur, sat})), 0.001);
}

struct port_statics {
  std::vector<object> objects;  // the hulk, then the cranes
  // The hulk's stretch of quay, metres east of quay_x0; empty without a hulk.
  double hulk_s0 = 0.0, hulk_s1 = -1.0;
};

// Bright things that never move: a 60 x 24 m hulk moored 3-12 m off the quay 10-40 m from
// one of its ends (ships keep clear of it), and a row of 4 gantry cranes, 12 m along the quay
// and 30 m inland from 3 m behind its edge, 45-80 m apart.
port_statics plan_statics(const layout& w, std::uint64_t seed) {
  static const spectrum hulk_grey{2650, 2700, 2780, 2830, 2870, 2900, 2920, 2980};
  static const spectrum crane_paint{3000, 3080, 3150, 3200, 3250, 3260, 3270, 3320};
  rng r{seed, s_statics};
  port_statics out;
  constexpr double hulk_len = 60.0, hulk_beam = 24.0;
  const double from_end = round_to(r.uniform(10.0, 40.0), 0.1);
  out.hulk_s0 = r.chance(0.5) ? from_end : w.quay_x1 - w.quay_x0 - hulk_len - from_end;
  out.hulk_s1 = out.hulk_s0 + hulk_len;
  const double gap = round_to(r.uniform(3.0, 12.0), 0.1);
  object hulk;
  hulk.kind = object_kind::structure;
  hulk.site = site_port;
  hulk.r = orect{{w.quay_x0 + out.hulk_s0 + 0.5 * hulk_len, w.quay_y - gap - 0.5 * hulk_beam},
                 {1.0, 0.0},
                 0.5 * hulk_len,
                 0.5 * hulk_beam};
  hulk.colour = scaled(hulk_grey, r.uniform(0.92, 1.08));
  hulk.detail = r.next();
  out.objects.push_back(hulk);
  double x = w.quay_x0 + round_to(r.uniform(30.0, 120.0), 0.1);
  for (int k = 0; k < 4; ++k) {
    object c;
    c.kind = object_kind::structure;
    c.site = site_port;
    c.r = orect{{x, w.quay_y + 18.0}, {0.0, 1.0}, 15.0, 6.0};
    c.colour = scaled(crane_paint, r.uniform(0.92, 1.05));
    c.detail = r.next();
    out.objects.push_back(c);
    x += round_to(r.uniform(45.0, 80.0), 0.1);
  }
  return out;
}

// 5-15 vehicles and loose containers (6-12 x 2.5-3 m, any heading, SR 2500-4000 at their
// brightest band) on the apron within 50 m of the quay edge, clear of the warehouses, the
// cranes and each other; new ones on every date.
std::vector<object> plan_clutter(const layout& w, std::uint64_t seed, std::uint64_t date,
                                 const port_statics& statics) {
  rng r{seed, s_clutter, date};
  const int n = r.uniform_int(5, 15);
  const auto& palette = container_palette();
  std::vector<object> out;
  auto radius = [](const object& o) { return std::hypot(o.r.hl, o.r.hw); };
  for (int k = 0; k < n; ++k) {
    object o;
    o.kind = object_kind::clutter;
    o.site = site_port;
    const double heading = r.uniform(0.0, pi);
    o.r.u = {std::cos(heading), std::sin(heading)};
    o.r.hl = 0.5 * round_to(r.uniform(6.0, 12.0), 0.1);
    o.r.hw = 0.5 * round_to(r.uniform(2.5, 3.0), 0.01);
    const spectrum& base =
        palette[static_cast<std::size_t>(r.uniform_int(0, static_cast<int>(palette.size()) - 1))];
    o.colour =
        scaled(base, r.uniform(2500.0, 4000.0) / *std::max_element(base.begin(), base.end()));
    o.detail = r.next();
    bool ok = false;
    for (int attempt = 0; attempt < 100 && !ok; ++attempt) {
      o.r.c = {round_to(r.uniform(w.quay_x0 + 8.0, w.quay_x1 - 8.0), 0.01),
               round_to(w.quay_y + r.uniform(6.0, 38.0), 0.01)};
      auto clear_of = [&](const std::vector<object>& others) {
        for (const object& q : others)
          if (std::hypot(q.r.c.x - o.r.c.x, q.r.c.y - o.r.c.y) < radius(q) + radius(o) + 1.0)
            return false;
        return true;
      };
      ok = clear_of(statics.objects) && clear_of(out);
    }
    if (ok) out.push_back(o);
  }
  return out;
}

int count_inside(const std::vector<object>& objs, object_kind kind, const site_def& site,
                 const std::string& cls) {
  int n = 0;
  for (const object& o : objs) {
    if (o.kind != kind) continue;
    for (const zone_def& z : site.zones)
      if (z.cls == cls && point_in_polygon(o.r.c, z.ring)) {
        ++n;
        break;
      }
  }
  return n;
}

// The footprint rectangle cut by one half plane, as a counter-clockwise polygon.
std::vector<vec2> clip_polygon(const std::vector<vec2>& ring, vec2 n, double d) {
  std::vector<vec2> out;
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const vec2 a = ring[i], b = ring[(i + 1) % ring.size()];
    const double da = n.x * a.x + n.y * a.y - d, db = n.x * b.x + n.y * b.y - d;
    if (da <= 0) out.push_back(a);
    if ((da < 0 && db > 0) || (da > 0 && db < 0)) {
      const double t = da / (da - db);
      out.push_back({a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)});
    }
  }
  return out;
}

double polygon_area(const std::vector<vec2>& ring) {
  double a = 0;
  for (std::size_t i = 0; i < ring.size(); ++i) {
    const vec2 p = ring[i], q = ring[(i + 1) % ring.size()];
    a += p.x * q.y - q.x * p.y;
  }
  return 0.5 * a;
}

// ---- planning the archive ---------------------------------------------------------------

// What sets the scenarios apart; everything not listed here is common to all three, so the
// same seed gives the same dates, sensors and atmosphere in each.
struct scenario_params {
  std::string_view name;
  // quiet leaves the sites empty: whatever a detector finds there is a false alarm.
  bool objects = true;
  // tumen-hard's difficulties, each switchable on its own; `hard` is what the writer sees
  // (archive_plan::hard) to describe them in the README and truth columns.
  bool hard = false;
  bool warp_and_blur = false;
  bool haze_gradient = false;
  bool parked_trains = false;
  bool port_fixtures = false;  // the hulk and cranes, and new apron clutter on every date
};

constexpr scenario_params scenarios[] = {
    {.name = "tumen"},
    {.name = "tumen-hard",
     .hard = true,
     .warp_and_blur = true,
     .haze_gradient = true,
     .parked_trains = true,
     .port_fixtures = true},
    {.name = "quiet", .objects = false},
};

const scenario_params& checked_scenario(const synth_options& opt) {
  if (opt.out_dir.empty()) throw input_error("synth: --out is required");
  const scenario_params* sc = nullptr;
  for (const scenario_params& p : scenarios)
    if (p.name == opt.scenario) sc = &p;
  if (!sc)
    throw input_error(
        fmt::format("synth: unknown scenario '{}' (tumen | tumen-hard | quiet)", opt.scenario));
  if (opt.dates < 1 || opt.dates > 10000)
    throw input_error(fmt::format("synth: --dates {} is out of range 1..10000", opt.dates));
  if (!(opt.scale >= 0.05 && opt.scale <= 1.0))
    throw input_error(fmt::format("synth: --scale {} is out of range 0.05..1.0", opt.scale));
  if (!(opt.min_valid_fraction >= 0.0 && opt.min_valid_fraction <= 1.0))
    throw input_error(
        fmt::format("synth: min_valid_fraction {} is out of range 0..1", opt.min_valid_fraction));
  return *sc;
}

struct acquisition_times {
  std::vector<std::int64_t> times;  // unix seconds
  std::vector<int> centis;
};

// Every 4 days +-1, about 01:30 UTC (late morning local time, like Planet's sun-synchronous
// constellation).
acquisition_times plan_dates(std::uint64_t seed, std::int64_t start_day, int dates) {
  acquisition_times out;
  out.times.resize(static_cast<std::size_t>(dates));
  out.centis.resize(out.times.size());
  rng r{seed, s_dates};
  for (int i = 0; i < dates; ++i) {
    const int jitter = i == 0 ? r.uniform_int(0, 1) : r.uniform_int(-1, 1);
    const std::int64_t day = start_day + 4 * i + jitter;
    out.times[static_cast<std::size_t>(i)] = day * 86400 + 5400 + r.uniform_int(-720, 720);
    out.centis[static_cast<std::size_t>(i)] = r.uniform_int(0, 99);
  }
  return out;
}

// The 73-car date: the one nearest 5 October 2023 within 3 days, -1 if the series has none.
int find_special_date(const std::vector<std::int64_t>& times) {
  const std::int64_t target = days_from_civil(2023, 10, 5) * 86400 + 5400;
  int special = -1;
  std::int64_t best = -1;
  for (std::size_t i = 0; i < times.size(); ++i) {
    const std::int64_t d = std::llabs(times[i] - target);
    if (d <= 3 * 86400 && (best < 0 || d < best)) {
      best = d;
      special = static_cast<int>(i);
    }
  }
  return special;
}

// What every scene of the archive is planned from.
struct archive_context {
  const synth_options& opt;
  const scenario_params& sc;
  std::uint64_t seed = 0;
  const layout& w;
  std::int64_t start_day = 0;
  int full_w = 0, full_h = 0;
  int special_date = -1;

  // One stream per aspect and date, so that planning one aspect never shifts another's draws.
  rng rng_for(stream id, const scene_plan& s) const {
    return rng{seed, id, static_cast<std::uint64_t>(s.index)};
  }
  bool special(const scene_plan& s) const { return s.index == special_date; }
};

int month_key(std::int64_t unix_seconds) {
  int y, m, d;
  civil_from_days(unix_seconds / 86400, y, m, d);
  return y * 12 + m - 1;
}

// The objects' lives over the whole series. They are planned before the first scene: ships
// keep clear of the hulk, parked trains span dates, and the rail planner remembers earlier
// dates' trains.
struct object_timelines {
  explicit object_timelines(const layout& w) : rails(w) {}
  rail_planner rails;
  port_statics statics;
  std::vector<ship_call> ships;
  std::vector<stack_life> stacks;
  std::vector<parked_train> parked;
};

object_timelines plan_timelines(const archive_context& a, const std::vector<std::int64_t>& times) {
  object_timelines out(a.w);
  const int first_key = month_key(times.front()), last_key = month_key(times.back());
  if (a.sc.port_fixtures) out.statics = plan_statics(a.w, a.seed);
  out.ships =
      plan_ships(a.w, a.seed, first_key, last_key, out.statics.hulk_s0, out.statics.hulk_s1);
  out.stacks = plan_stacks(a.seed);
  if (a.sc.parked_trains) out.parked = plan_parked(a.w, a.seed, a.opt.dates, a.special_date);
  return out;
}

void plan_sensor(const archive_context& a, scene_plan& s) {
  static const char* const fleet4[] = {"1034", "1057", "105d", "1069"};
  static const char* const fleet8[] = {"2403", "241c", "247d", "24a3", "2465"};
  rng r = a.rng_for(s_sensor, s);
  s.band_count = r.chance(0.5) ? 8 : 4;
  const double u = r.uniform();
  if (s.band_count == 4) {
    s.satellite_id = fleet4[r.uniform_int(0, 3)];
    s.instrument = "PS2.SD";
    s.data_suffix = u < 0.5    ? "AnalyticMS_SR"
                    : u < 0.75 ? "AnalyticMS_SR_harmonized"
                               : "AnalyticMS_SR_clip";
  } else {
    s.satellite_id = fleet8[r.uniform_int(0, 4)];
    s.instrument = "PSB.SD";
    s.data_suffix = u < 0.5    ? "AnalyticMS_SR_8b"
                    : u < 0.75 ? "AnalyticMS_SR_8b_clip"
                               : "AnalyticMS_SR_8b_harmonized_clip";
  }
  // The draws above happen either way, so --full-scenes changes nothing else in the archive.
  if (!a.opt.clip_products && s.data_suffix.ends_with("_clip"))
    s.data_suffix = s.band_count == 4 ? "AnalyticMS_SR" : "AnalyticMS_SR_8b";
  s.clip = s.data_suffix.ends_with("_clip");
  s.id = s.acquired.substr(0, 4) + s.acquired.substr(5, 2) + s.acquired.substr(8, 2) + "_" +
         s.acquired.substr(11, 2) + s.acquired.substr(14, 2) + s.acquired.substr(17, 2) +
         fmt::format("_{:02d}_", s.centiseconds) + s.satellite_id;
}

// The nominal raster is centred on the scene centre, then shifted by up to 5 % each way.
void place_raster(const archive_context& a, scene_plan& s) {
  rng r = a.rng_for(s_raster, s);
  const int full_w = a.full_w, full_h = a.full_h;
  s.full_w = full_w;
  s.full_h = full_h;
  const int mx = static_cast<int>(std::lround(0.05 * full_w));
  const int my = static_cast<int>(std::lround(0.05 * full_h));
  s.shift_col = a.special(s) ? 0 : r.uniform_int(-mx, mx);
  s.shift_row = a.special(s) ? 0 : r.uniform_int(-my, my);
  s.x0 = a.w.centre.x - (full_w / 2) * pixel_m + s.shift_col * pixel_m;
  s.y0 = a.w.centre.y + (full_h / 2) * pixel_m - s.shift_row * pixel_m;
  s.win_col0 = 0;
  s.win_row0 = 0;
  s.win_w = full_w;
  s.win_h = full_h;
  if (s.clip) {
    // A _clip product holds only the window around the area of interest (here: the
    // sites plus 300 m), on the same pixel grid as the full scene.
    const box aoi = a.w.sites_box.expanded(300.0);
    const int c0 = std::clamp(static_cast<int>(std::floor((aoi.x0 - s.x0) / pixel_m)), 0, full_w);
    const int c1 = std::clamp(static_cast<int>(std::ceil((aoi.x1 - s.x0) / pixel_m)), 0, full_w);
    const int r0 = std::clamp(static_cast<int>(std::floor((s.y0 - aoi.y1) / pixel_m)), 0, full_h);
    const int r1 = std::clamp(static_cast<int>(std::ceil((s.y0 - aoi.y0) / pixel_m)), 0, full_h);
    if (c1 > c0 && r1 > r0) {
      s.win_col0 = c0;
      s.win_row0 = r0;
      s.win_w = c1 - c0;
      s.win_h = r1 - r0;
    }
  }
}

// On ~14 % of the dates (never the 73-car one) a strip end or swath edge cuts the footprint
// through a site or leaves the site outside. The four draws are made on every date, so the
// stream stays aligned whether or not a cut happens.
void cut_footprint(const archive_context& a, scene_plan& s, rng& r) {
  const double ev = r.uniform();
  const int site = r.uniform_int(0, 3);
  const int side = r.uniform_int(0, 3);
  const double where = r.uniform(-0.3, 0.3);
  if (a.special(s) || ev >= 0.14) return;
  const site_def& st = a.w.sites[static_cast<std::size_t>(site)];
  const vec2 u = s.fp.u, v{-u.y, u.x};
  const vec2 normals[4] = {u, {-u.x, -u.y}, v, {-v.x, -v.y}};
  vec2 n = normals[side];
  const vec2 sc{0.5 * (st.bounds.x0 + st.bounds.x1), 0.5 * (st.bounds.y0 + st.bounds.y1)};
  const double extent = 0.5 * (std::abs(n.x) * (st.bounds.x1 - st.bounds.x0) +
                               std::abs(n.y) * (st.bounds.y1 - st.bounds.y0));
  double d;
  if (ev < 0.10) {
    // A strip end or swath edge through the site: it is partly covered.
    d = n.x * sc.x + n.y * sc.y + where * 2.0 * extent;
    s.footprint_event = "partial:" + st.id;
  } else {
    // The site falls outside the footprint by 60 m or more; keep the larger side.
    d = n.x * sc.x + n.y * sc.y - extent - 60.0;
    if (polygon_area(clip_polygon(s.footprint, n, d)) < 0.25 * polygon_area(s.footprint)) {
      n = {-n.x, -n.y};
      d = n.x * sc.x + n.y * sc.y - extent - 60.0;
    }
    s.footprint_event = "outside:" + st.id;
  }
  std::vector<vec2> cut = clip_polygon(s.footprint, n, d);
  if (cut.size() >= 3 && polygon_area(cut) > 0.02 * polygon_area(s.footprint)) {
    s.has_cut = true;
    s.cut_n = n;
    s.cut_d = d;
    s.footprint = std::move(cut);
  } else {
    s.footprint_event.clear();
  }
}

// The largest rectangle rotated by theta that fits 2 px inside the raster, a little shrunk.
void plan_footprint(const archive_context& a, scene_plan& s) {
  rng r = a.rng_for(s_footprint, s);
  const int full_w = a.full_w, full_h = a.full_h;
  const double theta = r.uniform(8.0, 12.0) * deg;
  const double wm = (full_w - 4) * pixel_m, hm = (full_h - 4) * pixel_m;
  const double c2 = std::cos(2 * theta);
  double ha = (wm * std::cos(theta) - hm * std::sin(theta)) / (2 * c2);
  double hb = (hm * std::cos(theta) - wm * std::sin(theta)) / (2 * c2);
  ha *= r.uniform(0.97, 1.0);
  hb *= r.uniform(0.96, 1.0);
  s.fp = orect{{s.x0 + 0.5 * full_w * pixel_m, s.y0 - 0.5 * full_h * pixel_m},
               {std::cos(theta), std::sin(theta)},
               ha,
               hb};
  s.footprint = s.fp.corners();
  cut_footprint(a, s, r);
}

// A shift uniform in a disk of radius 2 px, rounded to 1/1000 px; tumen-hard adds a rotation
// and scale (which no shift removes) and the satellite's blur.
void plan_misregistration(const archive_context& a, scene_plan& s) {
  {
    rng r = a.rng_for(s_misreg, s);
    const double rad = 2.0 * std::sqrt(r.uniform()), phi = 2 * pi * r.uniform();
    s.dx_px = round_to(rad * std::cos(phi), 0.001);
    s.dy_px = round_to(rad * std::sin(phi), 0.001);
  }
  if (!a.sc.warp_and_blur) return;
  rng r = a.rng_for(s_warp, s);
  const double rotation = round_to(r.uniform(-0.4, 0.4), 0.0001);
  const double scale = 1.0 + round_to(r.uniform(-0.0015, 0.0015), 0.000001);
  if (!a.special(s)) {
    s.rotation_deg = rotation;
    s.scale = scale;
    s.warp_a = std::cos(rotation * deg) / scale;
    s.warp_b = std::sin(rotation * deg) / scale;
  }
  s.blur_sigma_px = blur_sigma(a.seed, s.satellite_id);
}

// Per-band gain and offset: calibration drift between satellites and dates.
void plan_radiometry(const archive_context& a, scene_plan& s) {
  rng r = a.rng_for(s_radiometry, s);
  for (int b = 0; b < canonical_bands; ++b) {
    s.gain[b] = static_cast<float>(round_to(r.uniform(0.9, 1.1), 0.0001));
    s.offset[b] = static_cast<float>(round_to(r.uniform(-100.0, 100.0), 0.1));
  }
  s.noise_seed = r.next();
}

void plan_metadata(const archive_context& a, scene_plan& s) {
  rng r = a.rng_for(s_meta, s);
  s.view_angle = round_to(r.uniform(0.0, 5.0), 0.1);
  s.satellite_azimuth = round_to(r.chance(0.5) ? r.uniform(95, 105) : r.uniform(275, 285), 0.1);
  double el, az;
  sun_position(s.acquired_unix, 130.60, 42.42, el, az);
  s.sun_elevation = round_to(el, 0.1);
  s.sun_azimuth = round_to(az, 0.1);
  s.strip_id = std::to_string(6700000 + (s.acquired_unix / 86400 - a.start_day) * 1500 +
                              r.uniform_int(0, 999));
  s.published_unix = s.acquired_unix + r.uniform_int(3 * 3600, 9 * 3600);
  s.updated_unix = s.published_unix + r.uniform_int(0, 20 * 86400);
}

// Clouds, their shadows and haze; tumen-hard adds a haze gradient on ~40 % of the dates.
// Needs the sun's azimuth (plan_metadata) for the shadows.
void plan_atmosphere(const archive_context& a, scene_plan& s) {
  const bool special = a.special(s);
  {
    rng r = a.rng_for(s_clouds, s);
    const bool cloudy = r.chance(1.0 / 3.0);
    const bool none = r.chance(0.4);
    const double light = r.uniform(0.005, 0.15), heavy = r.uniform(0.5, 1.0);
    s.cloud_target = special ? 0.0 : cloudy ? heavy : none ? 0.0 : light;
    s.cloud_seed = r.next();
    s.cloud_wavelength_m = r.uniform(700.0, 2500.0);
    // Sun from the south-east: the cloud that shades p lies towards the sun from p.
    const double dist = r.uniform(20.0, 40.0) * pixel_m, az = s.sun_azimuth * deg;
    s.shadow_shift_m = {dist * std::sin(az), dist * std::cos(az)};
    s.shadow_factor = static_cast<float>(r.uniform(0.4, 0.6));
    const double bright = r.uniform(4300.0, 5700.0);
    static const double tilt[canonical_bands] = {1.04, 1.03, 1.01, 1.0, 0.99, 0.98, 0.97, 0.95};
    for (int b = 0; b < canonical_bands; ++b)
      s.cloud_colour[b] = static_cast<float>(bright * tilt[b]);
    const bool hazy = r.chance(0.15);
    const double level = r.uniform(100.0, 400.0);
    s.haze_level = (hazy && !special) ? round_to(level, 1.0) : 0.0;
    s.haze_seed = r.next();
  }
  if (!a.sc.haze_gradient) return;
  rng r = a.rng_for(s_haze_gradient, s);
  const bool on = r.chance(0.4);
  const double level = round_to(r.uniform(80.0, 350.0), 1.0);
  const double azimuth = round_to(r.uniform(0.0, 360.0), 0.1);
  if (on && !special) {
    s.haze_gradient = level;
    s.haze_gradient_azimuth_deg = azimuth;
    s.haze_gradient_dir = {std::sin(azimuth * deg), std::cos(azimuth * deg)};
  }
}

// The cars of `trains`; the first trains are the parked ones, whose colours come from
// `parked_colours` so that they look the same on every date.
void add_railcars(const layout& w, const std::vector<train>& trains,
                  const std::vector<std::uint64_t>& parked_colours, rng& r, scene_plan& s) {
  for (std::size_t j = 0; j < trains.size(); ++j) {
    const train& t = trains[j];
    std::optional<rng> own;
    if (j < parked_colours.size()) own.emplace(parked_colours[j]);
    rng& cr = own ? *own : r;
    for (int k = 0; k < t.cars; ++k) {
      object o;
      o.kind = object_kind::railcar;
      o.site = site_rail;
      o.r = orect{w.track_point(t.track, t.s0 + k * car_pitch + 0.5 * car_length), w.rail_u,
                  0.5 * car_length, 0.5 * car_width};
      o.colour = scaled(cr.chance(0.6) ? car_rust : car_black, cr.uniform(0.85, 1.1));
      o.detail = cr.next();
      s.objects.push_back(o);
    }
  }
}

void place_railcars(const archive_context& a, object_timelines& lives, scene_plan& s) {
  const bool special = a.special(s);
  const int i = s.index;
  rng r = a.rng_for(s_rail, s);
  int n = special ? 73 : r.uniform_int(0, 20);
  if (n < 3) n = 0;  // a train has at least 3 cars
  // Parked trains stand first; the random trains fit around them.
  std::vector<train> standing;
  std::vector<std::uint64_t> standing_colours;
  for (const parked_train& p : lives.parked)
    if (p.first <= i && i <= p.last) {
      standing.push_back(p.t);
      standing_colours.push_back(p.colour_seed);
      s.parked_railcar += p.t.cars;
    }
  std::vector<train> placed;
  for (int attempt = 0; attempt < 50; ++attempt) {
    const std::vector<int> sizes = special ? split_trains(n, 6, 15, r) : split_trains(n, 3, 15, r);
    placed = lives.rails.place(sizes, r, true, standing);
    int got = 0;
    for (const train& t : placed) got += t.cars;
    if (!special || got == n) break;
  }
  lives.rails.record(placed);
  add_railcars(a.w, placed, standing_colours, r, s);
}

void place_ships(const layout& w, const std::vector<ship_call>& ships, scene_plan& s) {
  static const spectrum deck{2250, 2350, 2450, 2500, 2550, 2550, 2530, 2500};
  const double t = static_cast<double>(s.acquired_unix);
  for (const ship_call& c : ships) {
    if (!(c.t0 <= t && t < c.t1)) continue;
    object o;
    o.kind = object_kind::ship;
    o.site = site_port;
    o.r = orect{{w.quay_x0 + c.s + 0.5 * c.length, w.quay_y - c.gap - 0.5 * c.beam},
                {c.bow_east ? 1.0 : -1.0, 0.0},
                0.5 * c.length,
                0.5 * c.beam};
    o.colour = scaled(deck, c.tone);
    o.detail = c.detail;
    s.objects.push_back(o);
  }
}

void place_stacks(const layout& w, const std::vector<stack_life>& stacks, scene_plan& s) {
  const double t = static_cast<double>(s.acquired_unix);
  for (const stack_life& st : stacks) {
    if (!(st.t0 <= t && t < st.t1)) continue;
    object o;
    o.kind = object_kind::container_stack;
    o.site = site_depot;
    o.r = orect{slot_centre(w, st.slot), {1.0, 0.0}, 0.5 * stack_len, 0.5 * stack_wid};
    o.colour = st.colour;
    o.detail = st.detail;
    s.objects.push_back(o);
  }
}

// Objects present at the acquisition time, in the order the renderer draws them.
void place_objects(const archive_context& a, object_timelines& lives, scene_plan& s) {
  if (!a.sc.objects) {
    // The planner's history keeps one entry per date, objects or not.
    lives.rails.record({});
    return;
  }
  place_railcars(a, lives, s);
  place_ships(a.w, lives.ships, s);
  place_stacks(a.w, lives.stacks, s);
  if (a.sc.port_fixtures) {
    s.objects.insert(s.objects.end(), lives.statics.objects.begin(), lives.statics.objects.end());
    const std::vector<object> clutter =
        plan_clutter(a.w, a.seed, static_cast<std::uint64_t>(s.index), lives.statics);
    s.objects.insert(s.objects.end(), clutter.begin(), clutter.end());
  }
}

void count_objects(const layout& w, scene_plan& s) {
  s.count_railcar = count_inside(s.objects, object_kind::railcar, w.sites[site_rail], "railcar");
  s.count_ship = count_inside(s.objects, object_kind::ship, w.sites[site_port], "ship");
  s.count_container_stack =
      count_inside(s.objects, object_kind::container_stack, w.sites[site_depot], "container_stack");
}

// The order matters only where one aspect reads another: the sensor decides the product
// (raster window) and the satellite (blur), the raster places the footprint, and the sun
// (metadata) casts the cloud shadows. Objects come last because the rail planner keeps history.
scene_plan plan_scene(const archive_context& a, const acquisition_times& times,
                      object_timelines& lives, int i) {
  const auto ui = static_cast<std::uint64_t>(i);
  scene_plan s;
  s.index = i;
  s.acquired_unix = times.times[ui];
  s.centiseconds = times.centis[ui];
  s.acquired_full = format_time(s.acquired_unix, s.centiseconds, true);
  s.acquired = format_time(s.acquired_unix, 0, false);
  s.month_dir = s.acquired.substr(0, 7);
  s.season_doy = day_of_year(s.acquired_unix);
  plan_sensor(a, s);
  place_raster(a, s);
  plan_footprint(a, s);
  plan_misregistration(a, s);
  plan_radiometry(a, s);
  plan_metadata(a, s);
  plan_atmosphere(a, s);
  place_objects(a, lives, s);
  count_objects(a.w, s);
  s.metadata_in_subdir = i % 5 == 4;
  return s;
}

// Missing assets: per group of 15 scenes, one without UDM2 (preferably a nearly clear one,
// so the truth stays meaningful for a reader that must treat every pixel as clear) and
// another without metadata. A partial last group loses them with probability size/15.
void drop_assets(archive_plan& plan, std::uint64_t seed) {
  const int n = plan.options.dates;
  for (int g = 0; g * 15 < n; ++g) {
    rng r{seed, s_assets, static_cast<std::uint64_t>(g)};
    const int begin = g * 15, size = std::min(15, n - begin);
    const bool drop_udm2 = r.uniform() < size / 15.0, drop_meta = r.uniform() < size / 15.0;
    std::vector<int> clear, any;
    for (int i = begin; i < begin + size; ++i) {
      if (i == plan.special_date) continue;
      any.push_back(i);
      if (plan.scenes[static_cast<std::size_t>(i)].cloud_target <= 0.05) clear.push_back(i);
    }
    int udm = -1;
    if (drop_udm2 && !any.empty()) {
      const std::vector<int>& from = clear.empty() ? any : clear;
      udm = from[static_cast<std::size_t>(r.uniform_int(0, static_cast<int>(from.size()) - 1))];
      plan.scenes[static_cast<std::size_t>(udm)].write_udm2 = false;
    }
    std::erase(any, udm);
    if (drop_meta && !any.empty()) {
      const int m =
          any[static_cast<std::size_t>(r.uniform_int(0, static_cast<int>(any.size()) - 1))];
      plan.scenes[static_cast<std::size_t>(m)].write_metadata = false;
    }
  }
}

}  // namespace

archive_plan plan_archive(const synth_options& opt) {
  const scenario_params& sc = checked_scenario(opt);
  const std::int64_t start_day = parse_date(opt.start_date);

  archive_plan plan;
  plan.options = opt;
  const std::uint64_t seed = opt.seed;
  plan.background_seed = hash_of({seed, s_background});
  const vec2 c = lonlat_to_utm(130.60, 42.42);
  plan.world = make_layout({round_to(c.x, pixel_m), round_to(c.y, pixel_m)});
  plan.hard = sc.hard;

  const acquisition_times times = plan_dates(seed, start_day, opt.dates);
  plan.special_date = find_special_date(times.times);
  const archive_context a{.opt = opt,
                          .sc = sc,
                          .seed = seed,
                          .w = plan.world,
                          .start_day = start_day,
                          .full_w = static_cast<int>(std::lround(10800.0 * opt.scale)),
                          .full_h = static_cast<int>(std::lround(6500.0 * opt.scale)),
                          .special_date = plan.special_date};
  object_timelines lives = plan_timelines(a, times.times);
  for (int i = 0; i < opt.dates; ++i) plan.scenes.push_back(plan_scene(a, times, lives, i));
  if (opt.drop_assets) drop_assets(plan, seed);
  return plan;
}

}  // namespace sw::synth
