// The synthetic picture. Materials carry a reflectance spectrum in all eight SuperDove bands;
// edges are blended by coverage (a box filter of width `aa` across each straight edge), and
// pixels near the sites average 4 x 4 sub-samples, so a 3.2 m rail car covers a 3 m pixel
// partly, as on a real sensor. Far from the sites one sample per pixel keeps a full-size
// scene fast.
#include "host/synth/render.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "host/synth/random.hpp"

namespace sw::synth {

namespace {

constexpr double pi = 3.14159265358979323846;

// ---- materials (reflectance x10000: coastal_blue blue green_i green yellow red rededge nir)
const spectrum forest_summer{220, 260, 420, 480, 360, 230, 1000, 3300};
const spectrum forest_winter{380, 430, 560, 620, 700, 760, 1100, 1700};
const spectrum conifer{180, 210, 330, 380, 300, 200, 700, 2200};
const spectrum crop_green{300, 380, 680, 800, 620, 420, 1500, 3900};
const spectrum crop_dry{620, 760, 1000, 1150, 1350, 1500, 1750, 2300};
const spectrum grass_green{330, 420, 700, 800, 650, 500, 1500, 3300};
const spectrum grass_dry{560, 680, 900, 1000, 1150, 1250, 1500, 2100};
const spectrum soil_bare{620, 720, 900, 1000, 1150, 1300, 1450, 1700};
const spectrum soil_dry{900, 1050, 1300, 1450, 1650, 1850, 2000, 2300};
const spectrum sand{1400, 1600, 1900, 2050, 2250, 2400, 2500, 2700};
const spectrum water_deep{560, 480, 440, 420, 350, 310, 230, 150};
const spectrum water_turbid{+60, +80, +120, +130, +120, +90, +50, +20};
const spectrum asphalt{850, 880, 900, 910, 920, 940, 960, 1000};
const spectrum concrete{2000, 2150, 2300, 2380, 2450, 2500, 2550, 2650};
const spectrum gravel{1250, 1350, 1450, 1520, 1580, 1640, 1700, 1850};
const spectrum ballast{1550, 1650, 1750, 1820, 1880, 1930, 1980, 2150};
const spectrum track_bed{650, 700, 760, 800, 850, 880, 920, 1050};  // sleepers and rails
const spectrum roof_grey{1500, 1600, 1700, 1750, 1800, 1820, 1850, 1950};
const spectrum roof_red{800, 850, 950, 1000, 1500, 2100, 2300, 2500};
const spectrum roof_blue{1700, 1800, 1500, 1350, 1200, 1100, 1150, 1300};
const spectrum dirt_road{1000, 1150, 1350, 1450, 1600, 1750, 1850, 2100};
const spectrum ship_white{2850, 2900, 2950, 3000, 3000, 3000, 2980, 2950};
const spectrum rail_steel{3700, 3800, 3900, 3950, 4000, 4050, 4100, 4150};  // tumen-hard
// Haze scatters short wavelengths most.
constexpr float haze_weight[canonical_bands] = {1.3f, 1.2f, 1.05f, 1.0f, 0.9f, 0.8f, 0.7f, 0.5f};

inline void mix(spectrum& v, const spectrum& c, double t) {
  if (t <= 0.0) return;
  const auto f = static_cast<float>(std::min(t, 1.0));
  for (int b = 0; b < canonical_bands; ++b) v[b] += (c[b] - v[b]) * f;
}

inline spectrum lerp(const spectrum& a, const spectrum& b, double t) {
  spectrum o = a;
  mix(o, b, t);
  return o;
}

inline spectrum times(const spectrum& a, double k) {
  spectrum o{};
  for (int b = 0; b < canonical_bands; ++b) o[b] = static_cast<float>(a[b] * k);
  return o;
}

// Coverage of a centred box (half sizes hl, hw) at local point (a, b), edges smoothed over aa.
inline double box_cover(double a, double b, double hl, double hw, double aa) {
  return clamp01(0.5 + (hl - std::abs(a)) / aa) * clamp01(0.5 + (hw - std::abs(b)) / aa);
}

inline double span_cover(double v, double lo, double hi, double aa) {
  return clamp01(0.5 + (v - lo) / aa) * clamp01(0.5 + (hi - v) / aa);
}

// Coverage of the span [lo, hi] by a box of width aa around v, exact also when the span is
// narrower than the box (span_cover's product would overstate a 0.1 m rail several times).
inline double line_cover(double v, double lo, double hi, double aa) {
  return std::max(0.0, std::min(v + 0.5 * aa, hi) - std::max(v - 0.5 * aa, lo)) / aa;
}

// Vegetation greenness over the year (1 = summer, 0 = dormant): a smooth annual cycle that
// peaks in late July and bottoms out from December to March.
inline double greenness(double doy) {
  const double c = 0.5 + 0.5 * std::cos(2.0 * pi * (doy - 205.0) / 365.25);
  return smoothstep(0.15, 0.85, c);
}

inline double dist_to_segment(double px, double py, double ax, double ay, double bx, double by) {
  const double vx = bx - ax, vy = by - ay;
  const double t = clamp01(((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy));
  const double dx = px - ax - t * vx, dy = py - ay - t * vy;
  return std::sqrt(dx * dx + dy * dy);
}

// A track across a local coordinate d (metres from its centre line): ballast bed, then the
// dark band of sleepers and rails. `along` is the coverage along the track (ends). With
// `rails` (scenario tumen-hard) the two steel rails, 0.1 m wide at standard gauge (1.435 m
// between them), shine over the dark band: thin, static and far brighter than anything
// around them, so a sub-pixel misregistration leaves dipoles along them in a difference.
inline void draw_track(spectrum& v, double d, double along, double aa, bool rails) {
  if (along <= 0.0) return;
  const double ad = std::abs(d);
  if (ad > 2.6 + aa) return;
  mix(v, ballast, along * clamp01(0.5 + (2.6 - ad) / aa));
  mix(v, track_bed, along * clamp01(0.5 + (0.8 - ad) / aa));
  if (rails) {
    constexpr double half_gauge = 0.7175, half_rail = 0.05;
    const double lo = half_gauge - half_rail, hi = half_gauge + half_rail;
    mix(v, rail_steel, along * (line_cover(d, -hi, -lo, aa) + line_cover(d, lo, hi, aa)));
  }
}

struct seeds {
  std::uint64_t hills, conifer, crown, fields, field_tex, village, roads, coast, water, yard;
  explicit seeds(std::uint64_t bg)
      : hills(hash_of({bg, 1})),
        conifer(hash_of({bg, 2})),
        crown(hash_of({bg, 3})),
        fields(hash_of({bg, 4})),
        field_tex(hash_of({bg, 5})),
        village(hash_of({bg, 6})),
        roads(hash_of({bg, 7})),
        coast(hash_of({bg, 8})),
        water(hash_of({bg, 9})),
        yard(hash_of({bg, 10})) {}
};

// The cloud field: large, soft blobs with fractal edges; thresholded into cloud. Its finest
// octave is 40 m or longer, so it is evaluated on a world-fixed 12 m lattice and interpolated
// bilinearly: a strip computes each lattice node once for 16 pixels, and a single pixel
// (truth.csv) computes its four nodes, with bit-identical results either way.
constexpr double cloud_cell = 12.0;

inline double cloud_node(const scene_plan& s, std::int64_t i, std::int64_t j) {
  const double x = static_cast<double>(i) * cloud_cell, y = static_cast<double>(j) * cloud_cell;
  return 0.75 * fbm(s.cloud_seed, x, y, s.cloud_wavelength_m, 5) +
         0.25 * value_noise(s.cloud_seed ^ 0xABCDEFULL, x / (3.0 * s.cloud_wavelength_m),
                            y / (3.0 * s.cloud_wavelength_m));
}

// Lattice nodes [i0, i0 + ni) x [j0, j0 + nj), precomputed for a block of pixels.
struct node_cache {
  std::int64_t i0 = 0, j0 = 0;
  std::int64_t ni = 0, nj = 0;
  std::vector<double> v;

  void fill(const scene_plan& s, double xmin, double ymin, double xmax, double ymax) {
    i0 = static_cast<std::int64_t>(std::floor(xmin / cloud_cell));
    j0 = static_cast<std::int64_t>(std::floor(ymin / cloud_cell));
    ni = static_cast<std::int64_t>(std::floor(xmax / cloud_cell)) + 2 - i0;
    nj = static_cast<std::int64_t>(std::floor(ymax / cloud_cell)) + 2 - j0;
    v.resize(static_cast<std::size_t>(ni * nj));
    for (std::int64_t j = 0; j < nj; ++j)
      for (std::int64_t i = 0; i < ni; ++i)
        v[static_cast<std::size_t>(j * ni + i)] = cloud_node(s, i0 + i, j0 + j);
  }
  double get(const scene_plan& s, std::int64_t i, std::int64_t j) const {
    const std::int64_t a = i - i0, b = j - j0;
    if (a >= 0 && a < ni && b >= 0 && b < nj) return v[static_cast<std::size_t>(b * ni + a)];
    return cloud_node(s, i, j);
  }
};

// Density at (x, y) metres from the layout centre.
inline double cloud_density(const scene_plan& s, double x, double y, const node_cache* cache) {
  const double u = x / cloud_cell, v = y / cloud_cell;
  const double fu = std::floor(u), fv = std::floor(v);
  const auto i = static_cast<std::int64_t>(fu), j = static_cast<std::int64_t>(fv);
  const double tx = u - fu, ty = v - fv;
  double d00, d10, d01, d11;
  if (cache) {
    d00 = cache->get(s, i, j);
    d10 = cache->get(s, i + 1, j);
    d01 = cache->get(s, i, j + 1);
    d11 = cache->get(s, i + 1, j + 1);
  } else {
    d00 = cloud_node(s, i, j);
    d10 = cloud_node(s, i + 1, j);
    d01 = cloud_node(s, i, j + 1);
    d11 = cloud_node(s, i + 1, j + 1);
  }
  const double a = d00 + (d10 - d00) * tx, b = d01 + (d11 - d01) * tx;
  return a + (b - a) * ty;
}

pixel_state state_at(const archive_plan& plan, const scene_plan& s, int col, int row,
                     const node_cache* clouds, const node_cache* shadows) {
  pixel_state st;
  st.inside = s.in_footprint(s.pixel_centre(col, row));
  if (!st.inside) return st;
  const vec2 p = s.content_point(col + 0.5, row + 0.5);
  const double x = p.x - plan.world.centre.x, y = p.y - plan.world.centre.y;
  const double t = s.cloud_threshold;
  if (t != std::numeric_limits<double>::infinity()) {
    // Like Planet's, the masks are a little generous: the haze flag reaches `mask_buffer`
    // (noise units, 2-3 px) beyond the last visible haze, and the shadow flag as far beyond
    // the shadow, so a pixel flagged clear is not touched by either even after resampling.
    constexpr double mask_buffer = 0.02;
    const double d = cloud_density(s, x, y, clouds);
    if (d >= t) {
      st.cloud = true;
      st.cloud_alpha = static_cast<float>(std::min(1.0, 0.55 + 0.45 * (d - t) / 0.06));
    } else if (d >= t - s.fringe - mask_buffer) {
      // Thin cloud around the thick one: light haze in the UDM2.
      st.haze = true;
      if (d >= t - s.fringe)
        st.cloud_alpha = static_cast<float>(0.12 * (d - (t - s.fringe)) / s.fringe);
    }
    const double ds = cloud_density(s, x + s.shadow_shift_m.x, y + s.shadow_shift_m.y, shadows);
    if (ds >= t - mask_buffer) {
      if (ds >= t)
        st.shadow_mul =
            static_cast<float>(1.0 - (1.0 - s.shadow_factor) * std::min(1.0, 0.6 + (ds - t) / 0.1));
      if (!st.cloud) st.shadow = true;
    }
  }
  double h = 0.0;
  if (s.haze_level > 0.0) h = s.haze_level * (0.55 + 0.45 * fbm(s.haze_seed, x, y, 5000.0, 2));
  if (s.haze_gradient > 0.0) {
    // From 0 at one side of the raster to haze_gradient at the other, with the picture.
    const vec2 n = s.haze_gradient_dir, c = s.raster_centre();
    const double half = 0.5 * pixel_m * (std::abs(n.x) * s.full_w + std::abs(n.y) * s.full_h);
    h += s.haze_gradient * clamp01(0.5 + ((p.x - c.x) * n.x + (p.y - c.y) * n.y) / (2.0 * half));
  }
  if (h > 0.0) {
    st.haze_add = static_cast<float>(h);
    if (h > 260.0) st.haze = true;  // only strong haze is flagged, as Planet's UDM2 does
  }
  return st;
}

}  // namespace

// ---- atmosphere and footprint -------------------------------------------------------------

pixel_state pixel_at(const archive_plan& plan, const scene_plan& s, int col, int row) {
  return state_at(plan, s, col, row, nullptr, nullptr);
}

void calibrate(const archive_plan& plan, scene_plan& s) {
  constexpr int nx = 96, ny = 58;
  std::vector<std::pair<int, int>> pix;
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i) {
      const int col = static_cast<int>((i + 0.5) * s.full_w / nx);
      const int row = static_cast<int>((j + 0.5) * s.full_h / ny);
      if (s.in_footprint(s.pixel_centre(col, row))) pix.emplace_back(col, row);
    }
  if (s.cloud_target <= 0.0 || pix.empty()) {
    s.cloud_threshold = std::numeric_limits<double>::infinity();
  } else if (s.cloud_target >= 0.999) {
    s.cloud_threshold = -std::numeric_limits<double>::infinity();
  } else {
    std::vector<double> d;
    d.reserve(pix.size());
    for (auto [col, row] : pix) {
      const vec2 p = s.content_point(col + 0.5, row + 0.5);
      d.push_back(cloud_density(s, p.x - plan.world.centre.x, p.y - plan.world.centre.y, nullptr));
    }
    std::sort(d.begin(), d.end());
    const auto k = std::min(d.size() - 1, static_cast<std::size_t>((1.0 - s.cloud_target) *
                                                                   static_cast<double>(d.size())));
    s.cloud_threshold = d[k];
  }
  int cloud = 0, shadow = 0, haze = 0, clear = 0;
  for (auto [col, row] : pix) {
    const pixel_state st = pixel_at(plan, s, col, row);
    cloud += st.cloud;
    shadow += st.shadow;
    haze += st.haze;
    clear += st.clear();
  }
  const double n = std::max<std::size_t>(1, pix.size());
  s.cloud_fraction = cloud / n;
  s.shadow_fraction = shadow / n;
  s.haze_fraction = haze / n;
  s.clear_fraction = pix.empty() ? 0.0 : clear / n;
}

// ---- the surface --------------------------------------------------------------------------

struct scene_renderer::impl {
  const archive_plan& plan;
  const layout& w;
  const scene_plan& s;
  seeds sd;
  double green;  // greenness of the date
  std::array<std::vector<const object*>, 4> objects;
  std::array<box, 4> render_boxes;
  // The scene's point-spread function (scenario tumen-hard): Gaussian weights of the pixel
  // offsets -r..r, r = ceil(3 sigma), normalised; empty: none.
  std::vector<double> psf;

  impl(const archive_plan& p, const scene_plan& sc)
      : plan(p), w(p.world), s(sc), sd(p.background_seed), green(greenness(sc.season_doy)) {
    for (const object& o : s.objects) objects[static_cast<std::size_t>(o.site)].push_back(&o);
    for (std::size_t i = 0; i < 4; ++i) render_boxes[i] = w.sites[i].render_box;
    if (s.blur_sigma_px > 0.0) {
      const int r = static_cast<int>(std::ceil(3.0 * s.blur_sigma_px));
      double sum = 0.0;
      for (int i = -r; i <= r; ++i) {
        psf.push_back(std::exp(-0.5 * i * i / (s.blur_sigma_px * s.blur_sigma_px)));
        sum += psf.back();
      }
      for (double& v : psf) v /= sum;
    }
  }

  // Shoreline (y offset from the centre, metres) at x offset: straight along the quay; west
  // of the harbour it drops 1200 m south over 500 m (the harbour's side), then runs as a
  // natural coast whose wandering grows with the distance from the port.
  double coast_y(double x, double& slope) const {
    const double qx0 = w.quay_x0 - w.centre.x, qx1 = w.quay_x1 - w.centre.x;
    const double qy = w.quay_y - w.centre.y;
    const double west = qx0 - 40.0, east = qx1 + 40.0;
    double y = qy;
    slope = 0.0;
    if (x < west) {
      const double t = (west - x) / 500.0;
      y = qy - 1200.0 * smoothstep(0.0, 1.0, t);
      if (t < 1.0) slope = 1.5 * 1200.0 / 500.0;  // the steepest part of the smoothstep
    }
    const double dist = x < west ? west - x : (x > east ? x - east : 0.0);
    if (dist > 0.0) {
      const double amp =
          260.0 * smoothstep(0.0, 600.0, dist) + 2200.0 * smoothstep(1500.0, 6000.0, dist);
      y += amp * fbm(sd.coast, x, 0.5, 4000.0, 6);
    }
    return y;
  }

  spectrum water(double x, double y, double depth) const {
    spectrum v = water_deep;
    const double turbid = std::exp(-depth / 150.0);
    for (int b = 0; b < canonical_bands; ++b) v[b] += static_cast<float>(water_turbid[b] * turbid);
    return times(v, 1.0 + 0.03 * fbm(sd.water, x, y, 60.0, 2));
  }

  spectrum fields(double x, double y, double aa) const {
    constexpr double ca = 0.9781476007338057, sa = 0.20791169081775931;  // 12 degrees
    const double qx = x * ca + y * sa, qy = -x * sa + y * ca;
    // Rows of 170 m; each row has its own parcel width and phase, and some parcels are
    // split in two along the row, so the pattern does not read as a grid.
    const double rowf = std::floor(qy / 170.0);
    const std::uint64_t hr =
        hash_of({sd.fields, 0x40, static_cast<std::uint64_t>(static_cast<std::int64_t>(rowf))});
    const double width = 110.0 + 270.0 * unit_double(hr);
    const double qxs = qx + unit_double(splitmix64(hr)) * width;
    const double colf = std::floor(qxs / width);
    const double lx = qxs - colf * width;
    double ly = qy - rowf * 170.0, lh = 170.0;
    std::uint64_t h =
        hash_of({sd.fields, static_cast<std::uint64_t>(static_cast<std::int64_t>(colf)),
                 static_cast<std::uint64_t>(static_cast<std::int64_t>(rowf))});
    if (unit_double(splitmix64(h + 7)) < 0.35) {
      const double cut = 50.0 + 70.0 * unit_double(splitmix64(h + 8));
      if (ly < cut) {
        lh = cut;
      } else {
        ly -= cut;
        lh = 170.0 - cut;
        h = splitmix64(h + 9);
      }
    }
    const double edge = std::min(std::min(lx, width - lx), std::min(ly, lh - ly));
    const double kind = unit_double(h);
    const double phase = (unit_double(splitmix64(h)) - 0.5) * 24.0;
    const double bright = 0.9 + 0.2 * unit_double(splitmix64(h + 1));
    const double g = greenness(s.season_doy + phase);
    spectrum v;
    if (kind < 0.45)
      v = lerp(crop_dry, crop_green, g);
    else if (kind < 0.7)
      v = lerp(grass_dry, grass_green, g);
    else if (kind < 0.85)
      v = soil_bare;
    else
      v = lerp(lerp(grass_dry, forest_winter, 0.5), lerp(grass_green, forest_summer, 0.5), g);
    v = times(v, bright * (1.0 + 0.05 * fbm(sd.field_tex, x, y, 25.0, 2)));
    // Field margins: a strip of grass along every parcel boundary.
    mix(v, lerp(grass_dry, grass_green, green), 1.0 - clamp01(0.5 + (edge - 2.0) / aa));
    return v;
  }

  spectrum forest(double x, double y) const {
    const double cf = clamp01(0.5 + 0.8 * fbm(sd.conifer, x, y, 700.0, 2));
    spectrum v = lerp(lerp(forest_winter, forest_summer, green), conifer, cf);
    return times(v, 1.0 + 0.15 * fbm(sd.crown, x, y, 8.0, 2));
  }

  spectrum land(double x, double y, double aa, double above_coast, double coast_wild) const {
    const double h = fbm(sd.hills, x, y, 1400.0, 4);
    const double fw = smoothstep(0.10, 0.22, h);
    spectrum v;
    if (fw < 1.0) v = fields(x, y, aa);
    if (fw > 0.0) {
      const spectrum f = forest(x, y);
      if (fw >= 1.0)
        v = f;
      else
        mix(v, f, fw);
    }
    if (fw < 0.5) {  // villages in the lowlands
      const double vl = fbm(sd.village, x, y, 1800.0, 3);
      if (vl > 0.36) {
        const double vw = smoothstep(0.36, 0.42, vl) * (1.0 - 2.0 * fw);
        mix(v, lerp(soil_dry, lerp(grass_dry, grass_green, green), 0.5), 0.35 * vw);
        constexpr double cell = 36.0;
        const double cxf = std::floor(x / cell), cyf = std::floor(y / cell);
        const std::uint64_t hb =
            hash_of({sd.village, static_cast<std::uint64_t>(static_cast<std::int64_t>(cxf)),
                     static_cast<std::uint64_t>(static_cast<std::int64_t>(cyf))});
        if (unit_double(hb) < 0.45) {
          const double bw = 4.5 + 2.5 * unit_double(splitmix64(hb + 1));
          const double bh = 6.0 + 4.0 * unit_double(splitmix64(hb + 2));
          const double ox = (cxf + 0.5) * cell + (unit_double(splitmix64(hb + 3)) - 0.5) * 10.0;
          const double oy = (cyf + 0.5) * cell + (unit_double(splitmix64(hb + 4)) - 0.5) * 10.0;
          const double k = unit_double(splitmix64(hb + 5));
          const spectrum& roof = k < 0.45 ? roof_red : k < 0.85 ? roof_grey : roof_blue;
          mix(v, roof, vw * box_cover(x - ox, y - oy, bw, bh, aa));
        }
      }
    }
    if (coast_wild > 0.2 && above_coast < 40.0)
      mix(v, sand, coast_wild * clamp01(0.5 + (25.0 - above_coast) / aa));
    return v;
  }

  // Roads and the main railway line; static, drawn over the land.
  void linear_features(spectrum& v, double x, double y, double aa) const {
    // The site roads (offsets from the centre): a highway north of the sites, an access road
    // to the port past the depot, the depot gate and the rail yard access.
    mix(v, asphalt, span_cover(y, 335.0, 345.0, aa));
    mix(v, asphalt, span_cover(x, 166.0, 174.0, aa) * span_cover(y, 0.0, 345.0, aa));
    mix(v, asphalt, span_cover(y, 186.5, 193.5, aa) * span_cover(x, 166.0, 220.0, aa));
    mix(v, dirt_road, span_cover(x, -303.5, -296.5, aa) * span_cover(y, -25.0, 340.0, aa));
    // Country roads on the field grid, kept away from the sites.
    const box near = w.sites_box.expanded(250.0);
    const double ax = x + w.centre.x, ay = y + w.centre.y;
    if (!near.contains({ax, ay})) {
      constexpr double ca = 0.9781476007338057, sa = 0.20791169081775931;
      const double qx = x * ca + y * sa, qy = -x * sa + y * ca;
      const double row = std::round(qy / 170.0);
      if (std::abs(qy - row * 170.0) < 4.0 + aa &&
          unit_double(hash_of(
              {sd.roads, static_cast<std::uint64_t>(static_cast<std::int64_t>(row))})) < 0.18)
        mix(v, dirt_road, clamp01(0.5 + (3.0 - std::abs(qy - row * 170.0)) / aa));
      const double colk = std::round(qx / 1130.0);
      if (std::abs(qx - colk * 1130.0) < 5.0 + aa)
        mix(v, asphalt, clamp01(0.5 + (4.0 - std::abs(qx - colk * 1130.0)) / aa));
    }
    // Main line: leaves the rail yard's ladder along the yard's axis for 600 m, then bends to
    // run due west, clear of the coast.
    const double dx = ax - w.rail_c.x, dy = ay - w.rail_c.y;
    const double a = dx * w.rail_u.x + dy * w.rail_u.y;
    const double lead = w.track_half_len + 60.0;
    if (a < -lead + 10.0) {
      const vec2 l{w.rail_c.x - w.rail_u.x * lead, w.rail_c.y - w.rail_u.y * lead};
      const vec2 m{l.x - w.rail_u.x * 600.0, l.y - w.rail_u.y * 600.0};
      double d = dist_to_segment(ax, ay, l.x, l.y, m.x, m.y);
      if (ax < m.x) d = std::min(d, std::abs(ay - m.y));
      draw_track(v, d, 1.0, aa, plan.hard);
    }
  }

  spectrum background(vec2 p, double aa) const {
    const double x = p.x - w.centre.x, y = p.y - w.centre.y;
    double slope;
    const double coast = coast_y(x, slope);
    const double above = y - coast;
    const double wet = clamp01(0.5 - above / (aa * std::sqrt(1.0 + slope * slope)));
    spectrum v{};
    if (wet < 1.0) {
      const double qx0 = w.quay_x0 - w.centre.x, qx1 = w.quay_x1 - w.centre.x;
      const double dist = x < qx0 - 40.0 ? qx0 - 40.0 - x : (x > qx1 + 40.0 ? x - qx1 - 40.0 : 0.0);
      v = land(x, y, aa, above, smoothstep(0.0, 600.0, dist));
      linear_features(v, x, y, aa);
    }
    if (wet > 0.0) {
      const spectrum wv = water(x, y, std::max(0.0, -above));
      if (wet >= 1.0)
        v = wv;
      else
        mix(v, wv, wet);
    }
    return v;
  }

  // The site overlays take the sample point p and a texture point tp (the pixel centre):
  // smooth textures are evaluated once per pixel, only edges per sub-sample.
  void rail_yard(spectrum& v, vec2 p, vec2 tp, double aa) const {
    const double dx = p.x - w.rail_c.x, dy = p.y - w.rail_c.y;
    const double a = dx * w.rail_u.x + dy * w.rail_u.y, b = -dx * w.rail_u.y + dy * w.rail_u.x;
    if (a < -340.0 || a > 290.0 || std::abs(b) > 60.0) return;
    const double hl = w.track_half_len;
    const double bed =
        span_cover(a, -hl - 62.0, hl + 18.0, aa) * clamp01(0.5 + (51.5 - std::abs(b)) / aa);
    if (bed > 0.0) mix(v, times(gravel, 1.0 + 0.06 * fbm(sd.yard, tp.x, tp.y, 14.0, 2)), bed);
    for (int i = 0; i < w.tracks; ++i)
      draw_track(v, b - w.track_offset(i), span_cover(a, -hl - 5.0, hl + 5.0, aa), aa, plan.hard);
    // The ladder: every track swings into the main line west of the yard.
    if (a < -hl + 2.0 && a > -hl - 66.0) {
      for (int i = 0; i < w.tracks; ++i) {
        const double d = dist_to_segment(a, b, -hl - 4.0, w.track_offset(i), -hl - 60.0, 0.0);
        draw_track(v, d, 1.0, aa, plan.hard);
      }
    }
    if (a < -hl - 55.0) draw_track(v, b, 1.0, aa, plan.hard);
  }

  void port(spectrum& v, vec2 p, vec2 tp, double aa) const {
    const double x = p.x, y = p.y;
    if (x < w.quay_x0 - 45.0 || x > w.quay_x1 + 45.0 || y < w.quay_y - 85.0 ||
        y > w.quay_y + w.apron_depth + 5.0)
      return;
    // The harbour water along the quay is part of the overlay, so the quay edge is blended
    // per sub-sample like every other edge here.
    const double berth =
        span_cover(x, w.quay_x0 - 40.0, w.quay_x1 + 40.0, aa) * clamp01(0.5 + (w.quay_y - y) / aa);
    if (berth > 0.0)
      mix(v, water(tp.x - w.centre.x, tp.y - w.centre.y, std::max(0.0, w.quay_y - tp.y)), berth);
    const double apron = span_cover(x, w.quay_x0, w.quay_x1, aa) *
                         span_cover(y, w.quay_y, w.quay_y + w.apron_depth, aa);
    mix(v, times(concrete, 1.0 + 0.06 * fbm(sd.yard ^ 0x9999ULL, tp.x, tp.y, 20.0, 3)), apron);
    mix(v, roof_blue,
        span_cover(x, w.quay_x0 + 40.0, w.quay_x0 + 160.0, aa) *
            span_cover(y, w.quay_y + 45.0, w.quay_y + 75.0, aa));
    mix(v, roof_grey,
        span_cover(x, w.quay_x0 + 220.0, w.quay_x0 + 360.0, aa) *
            span_cover(y, w.quay_y + 45.0, w.quay_y + 75.0, aa));
  }

  void depot(spectrum& v, vec2 p, vec2 tp, double aa) const {
    const box& y = w.depot_yard;
    if (!y.expanded(32.0).contains(p)) return;
    mix(v, times(asphalt, 1.0 + 0.04 * fbm(sd.yard ^ 0x7777ULL, tp.x, tp.y, 15.0, 2)),
        span_cover(p.x, y.x0, y.x1, aa) * span_cover(p.y, y.y0, y.y1, aa));
    mix(v, roof_grey,
        span_cover(p.x, y.x0 - 25.0, y.x0 - 5.0, aa) *
            span_cover(p.y, y.y1 - 40.0, y.y1 - 8.0, aa));
  }

  void control_site(spectrum& v, vec2 p, vec2 tp, double aa) const {
    const double x = p.x - w.centre.x, y = p.y - w.centre.y;
    if (x < -60.0 || x > 100.0 || y < 90.0 || y > 250.0) return;
    const double tx = tp.x - w.centre.x, ty = tp.y - w.centre.y;
    // A meadow (west), a wood (north-east), a farmstead with three roofs (south-east) and a
    // dirt track: only the seasons change here.
    const double meadow = span_cover(x, -55.0, 15.0, aa) * span_cover(y, 95.0, 245.0, aa);
    mix(v,
        times(lerp(grass_dry, grass_green, green), 1.0 + 0.05 * fbm(sd.field_tex, tx, ty, 25.0, 2)),
        meadow);
    const double wood = span_cover(x, 15.0, 95.0, aa) * span_cover(y, 170.0, 245.0, aa);
    if (wood > 0.0) mix(v, forest(tx, ty), wood);
    const double farm = span_cover(x, 15.0, 95.0, aa) * span_cover(y, 95.0, 170.0, aa);
    mix(v, lerp(soil_dry, lerp(grass_dry, grass_green, green), 0.4), farm);
    mix(v, roof_red, span_cover(x, 22.0, 36.0, aa) * span_cover(y, 105.0, 125.0, aa));
    mix(v, roof_grey, span_cover(x, 45.0, 62.0, aa) * span_cover(y, 110.0, 122.0, aa));
    mix(v, roof_red, span_cover(x, 70.0, 88.0, aa) * span_cover(y, 130.0, 144.0, aa));
    mix(v, dirt_road, span_cover(x, 12.0, 17.0, aa) * span_cover(y, 95.0, 245.0, aa));
  }

  void draw_object(spectrum& v, const object& o, vec2 p, double aa) const {
    const vec2 l = o.r.local(p);
    const double a = l.x, b = l.y;
    if (std::abs(a) > o.r.hl + aa || std::abs(b) > o.r.hw + aa) return;
    switch (o.kind) {
      case object_kind::railcar:
      case object_kind::structure:
      case object_kind::clutter:
        mix(v, o.colour, box_cover(a, b, o.r.hl, o.r.hw, aa));
        break;
      case object_kind::container_stack: {
        // Five rows of three 12 m containers, each a little different in shade.
        const auto ci = static_cast<std::uint64_t>(std::clamp((a + o.r.hl) / 12.0, 0.0, 2.0));
        const auto cj = static_cast<std::uint64_t>(std::clamp((b + o.r.hw) / 2.44, 0.0, 4.0));
        const double k = 0.93 + 0.14 * unit_double(hash_of({o.detail, ci, cj}));
        mix(v, times(o.colour, k), box_cover(a, b, o.r.hl, o.r.hw, aa));
        break;
      }
      case object_kind::ship: {
        // Hull with a pointed bow (a > 0 is towards the bow), hatch covers and a white
        // superstructure near the stern.
        const double len = 2.0 * o.r.hl, bow = 0.12 * len;
        const double taper = a < o.r.hl - bow ? 1.0 : std::max(0.15, (o.r.hl - a) / bow);
        const double cover = clamp01(0.5 + (o.r.hl - std::abs(a)) / aa) *
                             clamp01(0.5 + (o.r.hw * taper - std::abs(b)) / aa);
        if (cover <= 0.0) break;
        spectrum c = o.colour;
        const double from_stern = a + o.r.hl;
        if (from_stern > 0.22 * len && from_stern < 0.84 * len) {
          const int hatch = static_cast<int>(from_stern / (0.085 * len));
          c = times(c, hatch % 2 ? 0.94 : 1.04);
        }
        const double k = o.colour[3] / 2500.0;
        mix(c, times(ship_white, std::min(1.0, k)),
            span_cover(from_stern, 0.03 * len, 0.14 * len, aa) *
                clamp01(0.5 + (0.8 * o.r.hw - std::abs(b)) / aa));
        mix(v, c, cover);
        break;
      }
    }
  }

  // Sites and objects over the background v.
  void overlays(spectrum& v, vec2 p, vec2 tp, double aa) const {
    if (render_boxes[site_rail].contains(p)) {
      rail_yard(v, p, tp, aa);
      for (const object* o : objects[site_rail]) draw_object(v, *o, p, aa);
    }
    if (render_boxes[site_port].contains(p)) {
      port(v, p, tp, aa);
      for (const object* o : objects[site_port]) draw_object(v, *o, p, aa);
    }
    if (render_boxes[site_depot].contains(p)) {
      depot(v, p, tp, aa);
      for (const object* o : objects[site_depot]) draw_object(v, *o, p, aa);
    }
    if (render_boxes[site_control].contains(p)) control_site(v, p, tp, aa);
  }

  spectrum surface(vec2 p, double aa) const {
    spectrum v = background(p, aa);
    overlays(v, p, p, aa);
    return v;
  }

  // Whether the pixel whose picture comes from c is drawn in detail (near a site).
  bool fine(vec2 c) const {
    for (const box& b : render_boxes)
      if (b.contains(c)) return true;
    return false;
  }

  // The area-averaged surface seen by full-raster pixel (col, row). Near the sites the
  // overlays are averaged over 4 x 4 sub-samples; the background under them is smooth or
  // already edge-blended over a pixel, so it is evaluated once, at the pixel centre.
  spectrum pixel_surface(int col, int row) const {
    const vec2 c = s.content_point(col + 0.5, row + 0.5);
    const spectrum bg = background(c, pixel_m);
    if (!fine(c)) return bg;
    constexpr int n = 4;
    std::array<double, canonical_bands> acc{};
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < n; ++i) {
        spectrum v = bg;
        overlays(v, s.content_point(col + (i + 0.5) / n, row + (j + 0.5) / n), c, pixel_m / n);
        for (int b = 0; b < canonical_bands; ++b) acc[b] += v[b];
      }
    spectrum out{};
    for (int b = 0; b < canonical_bands; ++b) out[b] = static_cast<float>(acc[b] / (n * n));
    return out;
  }

  class psf_strip;
  bool strip_near_sites(int row0, int rows) const;
  void fill_cloud_nodes(node_cache& clouds, node_cache& shadows, int row, int last) const;
  void write_pixel(const pixel_state& st, const spectrum& v, const std::vector<int>& bands, int col,
                   int row, std::uint16_t* out, std::uint8_t* m) const;
};

scene_renderer::scene_renderer(const archive_plan& plan, const scene_plan& s)
    : impl_(std::make_unique<impl>(plan, s)) {}

scene_renderer::~scene_renderer() = default;

spectrum scene_renderer::surface(vec2 p, double aa) const {
  return impl_->surface(p, aa);
}

// Near the sites a scene with a point-spread function (scenario tumen-hard) shows the
// area-averaged surfaces of the pixels around each one (the detector) weighted by the
// Gaussian (the optics). The neighbours' surfaces are computed once per strip over the
// columns that need them; each pixel sums the same terms in the same order whichever rows
// a strip covers, so the output does not depend on the strips.
class scene_renderer::impl::psf_strip {
 public:
  psf_strip(const impl& im, int row0, int rows)
      : im_(im), rad_(static_cast<int>(im.psf.size() / 2)) {
    const scene_plan& s = im.s;
    int fc0 = std::numeric_limits<int>::max(), fc1 = -1;  // full-raster columns of fine pixels
    near_sites_ = rad_ > 0 && im.strip_near_sites(row0, rows);
    if (near_sites_) {
      fine_.resize(static_cast<std::size_t>(rows) * s.win_w);
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < s.win_w; ++c) {
          const int col = s.win_col0 + c;
          const bool f = im.fine(s.content_point(col + 0.5, s.win_row0 + row0 + r + 0.5));
          fine_[static_cast<std::size_t>(r) * s.win_w + c] = f;
          if (f) {
            fc0 = std::min(fc0, col);
            fc1 = std::max(fc1, col);
          }
        }
    }
    near_col0_ = fc0 - rad_;
    near_row0_ = s.win_row0 + row0 - rad_;
    near_w_ = fc1 >= fc0 ? fc1 - fc0 + 1 + 2 * rad_ : 0;
    const int near_h = rows + 2 * rad_;
    near_.resize(static_cast<std::size_t>(near_w_) * near_h);
    have_.assign(near_.size(), 0);
  }

  // Whether strip pixel px (row-major over the strip) is drawn through the PSF.
  bool blurred(std::size_t px) const { return near_sites_ && fine_[px]; }

  spectrum blurred_surface(int col, int row) {
    const std::vector<double>& psf = im_.psf;
    std::array<double, canonical_bands> acc{};
    for (int j = -rad_; j <= rad_; ++j)
      for (int i = -rad_; i <= rad_; ++i) {
        const double k =
            psf[static_cast<std::size_t>(j + rad_)] * psf[static_cast<std::size_t>(i + rad_)];
        const spectrum& n = near_surface(col + i, row + j);
        for (int b = 0; b < canonical_bands; ++b) acc[b] += k * n[b];
      }
    spectrum v;
    for (int b = 0; b < canonical_bands; ++b) v[b] = static_cast<float>(acc[b]);
    return v;
  }

 private:
  const spectrum& near_surface(int col, int row) {
    const std::size_t k = static_cast<std::size_t>(row - near_row0_) * near_w_ + (col - near_col0_);
    if (!have_[k]) {
      near_[k] = im_.pixel_surface(col, row);
      have_[k] = 1;
    }
    return near_[k];
  }

  const impl& im_;
  const int rad_;
  bool near_sites_ = false;
  std::vector<std::uint8_t> fine_;
  int near_col0_ = 0, near_row0_ = 0, near_w_ = 0;
  std::vector<spectrum> near_;
  std::vector<std::uint8_t> have_;
};

// Most strips of a full-size scene are far from every site: the corners of the strip's
// picture let them skip the per-pixel scan.
bool scene_renderer::impl::strip_near_sites(int row0, int rows) const {
  box picture{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
              std::numeric_limits<double>::lowest(), std::numeric_limits<double>::lowest()};
  const double cl = s.win_col0, cr = s.win_col0 + s.win_w;
  const double rt = s.win_row0 + row0, rb = rt + rows;
  for (const vec2 q : {s.content_point(cl, rt), s.content_point(cr, rt), s.content_point(cl, rb),
                       s.content_point(cr, rb)})
    picture.add({q.x, q.y, q.x, q.y});
  bool near_sites = false;
  for (const box& b : render_boxes) near_sites = near_sites || b.overlaps(picture);
  return near_sites;
}

// Cloud lattice nodes for full-raster rows row..last, under the pixels and under their
// shadows (the corners bound a rotated picture too).
void scene_renderer::impl::fill_cloud_nodes(node_cache& clouds, node_cache& shadows, int row,
                                            int last) const {
  const vec2 centre = w.centre;
  const double cl = s.win_col0 + 0.5, cr = s.win_col0 + s.win_w - 0.5;
  double x0 = std::numeric_limits<double>::max(), y0 = x0, x1 = -x0, y1 = -x0;
  for (const vec2 q : {s.content_point(cl, row + 0.5), s.content_point(cr, row + 0.5),
                       s.content_point(cl, last + 0.5), s.content_point(cr, last + 0.5)}) {
    x0 = std::min(x0, q.x - centre.x);
    x1 = std::max(x1, q.x - centre.x);
    y0 = std::min(y0, q.y - centre.y);
    y1 = std::max(y1, q.y - centre.y);
  }
  clouds.fill(s, x0, y0, x1, y1);
  shadows.fill(s, x0 + s.shadow_shift_m.x, y0 + s.shadow_shift_m.y, x1 + s.shadow_shift_m.x,
               y1 + s.shadow_shift_m.y);
}

// The sensor's view of surface v at a pixel inside the footprint: shadow, haze and cloud,
// gain, offset and noise, then the UDM2 bands.
void scene_renderer::impl::write_pixel(const pixel_state& st, const spectrum& v,
                                       const std::vector<int>& bands, int col, int row,
                                       std::uint16_t* out, std::uint8_t* m) const {
  double cloud_tex = 1.0;
  if (st.cloud_alpha > 0.0f) {
    const vec2 p = s.content_point(col + 0.5, row + 0.5);
    cloud_tex =
        0.92 + 0.08 * fbm(s.cloud_seed ^ 0x5151ULL, p.x - w.centre.x, p.y - w.centre.y, 180.0, 3);
  }
  const std::uint64_t pix_hash = splitmix64(
      s.noise_seed + static_cast<std::uint64_t>(row) * static_cast<std::uint64_t>(s.full_w) +
      static_cast<std::uint64_t>(col));
  for (int k = 0; k < s.band_count; ++k) {
    const int b = bands[static_cast<std::size_t>(k)];
    double val = v[b] * st.shadow_mul + st.haze_add * haze_weight[b];
    val += (s.cloud_colour[b] * cloud_tex - val) * st.cloud_alpha;
    double sig = s.gain[b] * val + s.offset[b];
    sig += (0.01 * std::max(0.0, sig) + 20.0) *
           hash_normal(splitmix64(pix_hash + static_cast<std::uint64_t>(b) + 1));
    out[k] = static_cast<std::uint16_t>(std::clamp(std::lround(sig), 1L, 65535L));
  }
  m[0] = st.clear();
  m[1] = 0;  // snow
  m[2] = st.shadow;
  m[3] = st.haze;
  m[4] = 0;  // heavy haze
  m[5] = st.cloud;
  const std::uint64_t h = splitmix64(pix_hash ^ 0xC0FFEEULL);
  m[6] = static_cast<std::uint8_t>(st.clear() ? 80 + h % 16 : 50 + h % 21);
  m[7] = st.cloud ? 2 : 0;  // legacy UDM bit 1: cloud
}

void scene_renderer::render_rows(int row0, int rows, std::uint16_t* data, std::uint8_t* udm) const {
  const scene_plan& s = impl_->s;
  const std::vector<int>& bands = band_indices(s.band_count);
  const int nb = s.band_count;
  const bool cloudy = s.cloud_threshold != std::numeric_limits<double>::infinity();
  impl::psf_strip psf(*impl_, row0, rows);
  node_cache clouds, shadows;
  for (int r = 0; r < rows; ++r) {
    const int row = s.win_row0 + row0 + r;
    if (cloudy && r % 16 == 0)
      impl_->fill_cloud_nodes(clouds, shadows, row, s.win_row0 + row0 + std::min(rows, r + 16) - 1);
    for (int c = 0; c < s.win_w; ++c) {
      const int col = s.win_col0 + c;
      const std::size_t px = static_cast<std::size_t>(r) * s.win_w + c;
      std::uint16_t* out = data + px * nb;
      std::uint8_t* m = udm + px * 8;
      const pixel_state st = state_at(impl_->plan, s, col, row, cloudy ? &clouds : nullptr,
                                      cloudy ? &shadows : nullptr);
      if (!st.inside) {
        std::fill(out, out + nb, std::uint16_t{0});
        std::fill(m, m + 8, std::uint8_t{0});
        m[7] = 1;  // legacy UDM bit 0: blackfill
        continue;
      }
      const spectrum v =
          psf.blurred(px) ? psf.blurred_surface(col, row) : impl_->pixel_surface(col, row);
      impl_->write_pixel(st, v, bands, col, row, out, m);
    }
  }
}

}  // namespace sw::synth
