// The synthetic world and its timeline (docs/SYNTH.md): where the four sites are, which
// objects sit in them on each acquisition date, and every per-scene parameter (raster
// placement, footprint, misregistration, sensor, atmosphere, assets). Pure planning, no
// pixels and no files: render.hpp draws from a plan, synth.cpp writes it.
//
// Coordinates are metres in EPSG:32652 (UTM 52N), x east, y north, unless a name says px.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "host/synth/synth.hpp"

namespace sw::synth {

constexpr double pixel_m = 3.0;
constexpr int canonical_bands = 8;

// Reflectance x10000 in the eight SuperDove bands: coastal_blue, blue, green_i, green,
// yellow, red, rededge, nir. A 4-band scene uses entries 1, 3, 5, 7 (blue, green, red, nir).
using spectrum = std::array<float, canonical_bands>;
const std::vector<std::string>& canonical_band_names();
// Indices into a spectrum of the bands a scene with `band_count` (4 or 8) bands carries.
const std::vector<int>& band_indices(int band_count);

struct vec2 {
  double x = 0.0, y = 0.0;
};

struct box {
  double x0 = 0.0, y0 = 0.0, x1 = 0.0, y1 = 0.0;
  bool contains(vec2 p) const { return p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1; }
  bool overlaps(const box& o) const { return x0 <= o.x1 && o.x0 <= x1 && y0 <= o.y1 && o.y0 <= y1; }
  box expanded(double m) const { return {x0 - m, y0 - m, x1 + m, y1 + m}; }
  void add(const box& o);
};

// A rectangle of any orientation: centre, unit vector along its length, half length and
// half width.
struct orect {
  vec2 c;
  vec2 u{1.0, 0.0};
  double hl = 0.0, hw = 0.0;
  // Coordinates of p along (a) and across (b) the rectangle, from its centre.
  vec2 local(vec2 p) const {
    const double dx = p.x - c.x, dy = p.y - c.y;
    return {dx * u.x + dy * u.y, -dx * u.y + dy * u.x};
  }
  bool contains(vec2 p) const {
    const vec2 l = local(p);
    return l.x >= -hl && l.x <= hl && l.y >= -hw && l.y <= hw;
  }
  std::vector<vec2> corners() const;  // counter-clockwise
  box bounds() const;
};

bool point_in_polygon(vec2 p, const std::vector<vec2>& ring);
box bounds_of(const std::vector<vec2>& ring);
// True when the convex polygon and the box share any point.
bool convex_overlaps_box(const std::vector<vec2>& convex_ring, const box& b);

// ---- the static world ----------------------------------------------------------------------

struct zone_def {
  std::string cls;         // railcar | ship | container_stack | change
  std::vector<vec2> ring;  // counter-clockwise, not closed
};

struct site_def {
  std::string id, name;
  std::vector<zone_def> zones;
  box bounds;      // of all zones
  box render_box;  // bounds + margin: drawn with supersampling (covers the site grid)
  std::vector<std::string> classes() const;  // sorted, unique, "change" included
};

enum site_index : int { site_rail = 0, site_port = 1, site_depot = 2, site_control = 3 };

struct layout {
  vec2 centre;  // scene centre, on the 3 m grid
  // Rail yard: parallel tracks along rail_u, offsets (i - (tracks-1)/2) * spacing across.
  vec2 rail_c, rail_u;
  int tracks = 6;
  double track_half_len = 250.0, track_spacing = 15.0;
  // Port: the quay edge is the line y = quay_y from quay_x0 to quay_x1; land (the apron)
  // north of it, water south.
  double quay_y = 0.0, quay_x0 = 0.0, quay_x1 = 0.0;
  double apron_depth = 80.0, berth_width = 60.0;
  box depot_yard;               // asphalt
  box control;                  // the control site's square
  std::vector<site_def> sites;  // indexed by site_index
  box sites_box;                // union of the sites' bounds

  double track_offset(int i) const { return (i - 0.5 * (tracks - 1)) * track_spacing; }
  vec2 track_point(int track, double s) const;
};

// The layout around `centre` (already on the 3 m grid).
layout make_layout(vec2 centre);

// lon/lat (degrees) to EPSG:32652 and back, through OGR with GIS axis order.
vec2 lonlat_to_utm(double lon, double lat);
std::vector<vec2> utm_to_lonlat(const std::vector<vec2>& pts);

// ---- objects --------------------------------------------------------------------------------

// `structure` and `clutter` exist in scenario tumen-hard only: bright things a detector may
// take for ships or stacks (a moored hulk, quay cranes; vehicles and loose containers on the
// apron), never counted. objects.csv names their classes "static" and "clutter".
enum class object_kind { railcar, ship, container_stack, structure, clutter };
std::string class_name(object_kind k);

struct object {
  object_kind kind = object_kind::railcar;
  int site = 0;
  orect r;                   // the object's footprint on the ground
  spectrum colour{};         // main colour
  std::uint64_t detail = 0;  // seed of its details (hatches, container colours)
};

// ---- per scene ------------------------------------------------------------------------------

struct scene_plan {
  int index = 0;
  std::string id;                  // YYYYMMDD_HHMMSS_NN_SSSS
  std::int64_t acquired_unix = 0;  // whole seconds
  int centiseconds = 0;
  std::string acquired_full;  // 2023-10-05T01:35:12.590000Z
  std::string acquired;       // 2023-10-05T01:35:12Z
  std::string month_dir;      // 2023-10

  // Sensor and product.
  int band_count = 4;
  std::string satellite_id, instrument;
  std::string data_suffix;  // e.g. AnalyticMS_SR_8b_clip (file: {id}_3B_{suffix}.tif)
  bool clip = false;

  // The item's full raster (nominal geotransform x0, 3, 0, y0, 0, -3) and the written window
  // (the whole raster, or for _clip products the window around the sites).
  int full_w = 0, full_h = 0;
  double x0 = 0.0, y0 = 0.0;
  int shift_col = 0, shift_row = 0;  // origin shift against the nominal centred raster
  int win_col0 = 0, win_row0 = 0, win_w = 0, win_h = 0;

  // Valid footprint: the rotated rectangle (fp) cut by the half plane cut_n . p <= cut_d.
  orect fp;
  bool has_cut = false;
  vec2 cut_n;
  double cut_d = 0.0;
  std::vector<vec2> footprint;  // the resulting polygon, counter-clockwise
  std::string footprint_event;  // "" | partial:SITE | outside:SITE

  // Misregistration: the picture is drawn shifted by (dx, dy) px against the geotransform;
  // dx > 0 moves content east, dy > 0 moves it south (down the rows).
  double dx_px = 0.0, dy_px = 0.0;
  // Scenario tumen-hard only: before that shift the picture is also rotated by rotation_deg
  // (counter-clockwise on the map) and scaled by `scale` about the raster centre, which no
  // translation removes. warp_a, warp_b: cos and sin of rotation_deg, divided by scale.
  double rotation_deg = 0.0, scale = 1.0;
  double warp_a = 1.0, warp_b = 0.0;
  // Scenario tumen-hard only: sigma (px) of the satellite's Gaussian point-spread function
  // over the site areas; 0: none.
  double blur_sigma_px = 0.0;
  spectrum gain{}, offset{};

  // Atmosphere.
  double cloud_target = 0.0;  // wanted cloud fraction of the footprint
  std::uint64_t cloud_seed = 0;
  double cloud_wavelength_m = 1500.0;
  double cloud_threshold = std::numeric_limits<double>::infinity();  // set by calibrate()
  double fringe = 0.06;  // noise units below the threshold that are light haze
  vec2 shadow_shift_m;   // a shadow at p comes from the cloud at p + shift
  float shadow_factor = 0.5f;
  spectrum cloud_colour{};
  double haze_level = 0.0;  // additive haze, reflectance x10000 (0: none)
  std::uint64_t haze_seed = 0;
  // Scenario tumen-hard only: more additive haze, growing linearly across the raster from 0 to
  // haze_gradient towards azimuth haze_gradient_azimuth_deg (clockwise from north), whose unit
  // vector (east, north) is haze_gradient_dir.
  double haze_gradient = 0.0, haze_gradient_azimuth_deg = 0.0;
  vec2 haze_gradient_dir;
  std::uint64_t noise_seed = 0;
  double season_doy = 0.0;  // day of year (fractional) for the vegetation state

  std::vector<object> objects;
  int count_railcar = 0, count_ship = 0, count_container_stack = 0;
  int parked_railcar = 0;  // of count_railcar, the cars of a train parked for several dates

  // Assets.
  bool write_udm2 = true, write_metadata = true, metadata_in_subdir = false;

  // Metadata facts.
  double view_angle = 0.0, satellite_azimuth = 0.0, sun_elevation = 0.0, sun_azimuth = 0.0;
  std::string strip_id;
  std::int64_t published_unix = 0, updated_unix = 0;
  // Estimated from a coarse sample of the full footprint (calibrate()), in 0..1.
  double cloud_fraction = 0.0, clear_fraction = 1.0, shadow_fraction = 0.0, haze_fraction = 0.0;

  int count_for(const std::string& cls) const;
  // World position of the centre of full-raster pixel (col, row) on the nominal geotransform.
  vec2 pixel_centre(int col, int row) const {
    return {x0 + (col + 0.5) * pixel_m, y0 - (row + 0.5) * pixel_m};
  }
  vec2 raster_centre() const { return {x0 + 0.5 * full_w * pixel_m, y0 - 0.5 * full_h * pixel_m}; }
  // Where the picture at full-raster pixel position (col, row) (fractional) comes from.
  vec2 content_point(double col, double row) const {
    const vec2 q{x0 + (col - dx_px) * pixel_m, y0 - (row - dy_px) * pixel_m};
    if (rotation_deg == 0.0 && scale == 1.0) return q;
    // Undo the rotation and scale about the raster centre: p = c + R(-rotation) (q - c) / scale.
    const vec2 c = raster_centre();
    const double u = q.x - c.x, v = q.y - c.y;
    return {c.x + warp_a * u + warp_b * v, c.y - warp_b * u + warp_a * v};
  }
  bool in_footprint(vec2 p) const {
    if (!fp.contains(p)) return false;
    return !has_cut || p.x * cut_n.x + p.y * cut_n.y <= cut_d;
  }
};

struct archive_plan {
  synth_options options;
  layout world;
  std::uint64_t background_seed = 0;
  std::vector<scene_plan> scenes;  // in time order
  int special_date = -1;           // index of the 73-car date, -1 if outside the range
  bool hard = false;               // scenario tumen-hard: rails, blur, haze gradients, ...
};

// Validates the options (throws sw::input_error) and plans every scene. Does not calibrate
// the atmosphere (render.hpp's calibrate() does, as it needs the cloud field).
archive_plan plan_archive(const synth_options& opt);

// Time helpers (UTC, proleptic Gregorian).
std::int64_t days_from_civil(int y, int m, int d);
void civil_from_days(std::int64_t z, int& y, int& m, int& d);
std::string format_time(std::int64_t unix_seconds, int centiseconds, bool fraction);
double day_of_year(std::int64_t unix_seconds);

}  // namespace sw::synth
