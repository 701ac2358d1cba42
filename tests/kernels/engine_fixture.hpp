// Rendered test scenes for the site engine: a smooth textured ground with a road, a rail
// zone, a water zone and a control zone; per scene a sub-pixel shift, gain/offset, noise,
// clouds (as UDM2), dark trains and bright ships. Shared by the CPU and GPU engine tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/engine.hpp"
#include "kernels/valid_mask.cuh"

namespace sw::test {

struct render_options {
  double shift_x = 0, shift_y = 0;  // content moves by +shift (scene(x + s) = world(x))
  double gain = 1.0, offset = 0.0;
  struct train {
    int x, y, cars;
  };
  struct ship {
    int x, y, length, width;
  };
  std::vector<train> trains;  // horizontal, 1 px high... rendered 2 px high, cars 6 px
  std::vector<ship> ships;
  std::vector<ship> bright;  // bright boxes anywhere (a hulk on the water, a roof on land)
  std::vector<ship> faint;   // faintly brighter patches on the water (+450: sun glint)
  std::pair<int, int> cloud_rows{0, 0};  // rows [a, b) under cloud
};

struct rendered_scene {
  std::vector<float> bands;
  std::vector<std::uint8_t> alpha, udm2;
  std::string id;
  kern::engine_scene view() const { return {id, bands.data(), alpha.data(), udm2.data()}; }
};

class scene_factory {
 public:
  static constexpr int w = 120, h = 96, nb = 4;
  int rail = 0, water = 1, control = 2;

  kern::engine_params params() const {
    kern::engine_params p;
    p.width = w;
    p.height = h;
    p.bands = nb;
    p.weights.assign(nb, 1.0f);
    p.min_scenes = 3;
    p.window = 7;
    kern::engine_class r;
    r.name = "railcar";
    r.pol = kern::object_polarity::darker;
    r.min_area_px = 4;
    r.max_area_px = 2000;
    r.split_length_px = 6;
    r.zone = box(4, 15, 116, 40);
    kern::engine_class s;
    s.name = "ship";
    s.local = true;
    s.pol = kern::object_polarity::brighter;
    s.guard_px = 12;  // ships up to 22 px long
    s.outer_px = 24;
    s.body_radius_px = 8;  // wider than the ships (top-hat seed)
    s.close_px = 1;
    s.min_area_px = 20;
    s.max_area_px = 2000;
    s.zone = box(4, 62, 116, 92);
    kern::engine_class c;
    c.name = "change";
    c.counts = false;
    c.zone = box(0, 0, w, 14);
    p.classes = {r, s, c};
    return p;
  }

  rendered_scene render(const render_options& o) {
    rendered_scene s;
    s.id = "scene" + std::to_string(serial_++);
    const std::size_t plane = static_cast<std::size_t>(w) * h;
    s.bands.resize(plane * nb);
    s.alpha.assign(plane, 255);
    s.udm2.assign(plane * 8, 0);
    std::normal_distribution<double> noise(0.0, 15.0);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const std::size_t i = static_cast<std::size_t>(y) * w + x;
        // area average over 4x4 sub-samples of the world at (x - shift, y - shift)
        double acc[nb] = {0, 0, 0, 0};
        for (int sy = 0; sy < 4; ++sy)
          for (int sx = 0; sx < 4; ++sx) {
            const double wx = x + (sx + 0.5) / 4 - 0.5 - o.shift_x;
            const double wy = y + (sy + 0.5) / 4 - 0.5 - o.shift_y;
            for (int b = 0; b < nb; ++b) acc[b] += world(wx, wy, b, o) / 16.0;
          }
        const bool cloud = y >= o.cloud_rows.first && y < o.cloud_rows.second;
        for (int b = 0; b < nb; ++b) {
          double v = o.gain * acc[b] + o.offset + noise(rng_);
          if (cloud) v = 5000;
          s.bands[b * plane + i] = static_cast<float>(std::max(1.0, v));
        }
        s.udm2[kern::udm2_clear * plane + i] = cloud ? 0 : 1;
        s.udm2[kern::udm2_cloud * plane + i] = cloud ? 1 : 0;
      }
    return s;
  }

 private:
  static std::vector<std::uint8_t> box(int x0, int y0, int x1, int y1) {
    return zone_box(x0, y0, x1, y1);
  }

 public:
  static std::vector<std::uint8_t> zone_box(int x0, int y0, int x1, int y1) {
    std::vector<std::uint8_t> z(static_cast<std::size_t>(w) * h, 0);
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) z[static_cast<std::size_t>(y) * w + x] = 1;
    return z;
  }

 private:
  // Reflectance of the world at continuous pixel coordinates (pixel centres at integers).
  static double world(double x, double y, int b, const render_options& o) {
    const double band_scale = 1.0 + 0.15 * b;
    for (const auto& s : o.bright)
      if (x >= s.x - 0.5 && x < s.x + s.length - 0.5 && y >= s.y - 0.5 && y < s.y + s.width - 0.5)
        return 2600 * band_scale;
    // water: rows 60 and below, dark, flat
    if (y >= 59.5) {
      for (const auto& s : o.ships)
        if (x >= s.x - 0.5 && x < s.x + s.length - 0.5 && y >= s.y - 0.5 && y < s.y + s.width - 0.5)
          return 2400 * band_scale;
      for (const auto& s : o.faint)
        if (x >= s.x - 0.5 && x < s.x + s.length - 0.5 && y >= s.y - 0.5 && y < s.y + s.width - 0.5)
          return 800 + 20 * std::sin(x * 0.3);
      return 350 + 20 * std::sin(x * 0.3);
    }
    // trains: dark cars on the ballast
    for (const auto& t : o.trains)
      if (x >= t.x - 0.5 && x < t.x + 6 * t.cars - 0.5 && y >= t.y - 0.5 && y < t.y + 1.5)
        return 400 * band_scale;
    double v = 1500 + 300 * std::sin(x * 0.21 + 0.5 * b) * std::cos(y * 0.17) +
               200 * std::sin((x + 2 * y) * 0.09);
    if (std::fabs(x - 0.6 * y - 30) < 2.0) v += 900;  // a bright diagonal road
    if (std::fabs(y - 50) < 1.0) v -= 500;            // a dark track
    return v * band_scale;
  }

  std::mt19937 rng_{42};
  int serial_ = 0;
};

// Two engines of different backends on the same eight scenes (shifts, gains, trains,
// ships, a cloud): counts, components and changed pixels identical; shifts, thresholds,
// detections and every magnitude pixel within 1e-4 relative (SPEC 2). `method` is the
// change method both use, `reference` their reference strategy (previous: one member, the
// reference from the first scene on). Shared by the GPU test (CUDA against CPU) and the
// serial test (serial against CPU).
inline void expect_engines_agree(
    const std::function<std::unique_ptr<kern::engine>(const kern::engine_params&)>& make_a,
    const std::function<std::unique_ptr<kern::engine>(const kern::engine_params&)>& make_b,
    kern::change_method method, kern::reference_kind reference = kern::reference_kind::median) {
  scene_factory fa, fb;  // same seeds: the same scenes
  auto params = [&](const scene_factory& f) {
    auto p = f.params();
    p.method = method;
    p.reference = reference;
    if (reference == kern::reference_kind::previous) p.min_scenes = 1;
    return p;
  };
  auto a_eng = make_a(params(fa));
  auto b_eng = make_b(params(fb));
  ASSERT_NE(a_eng, nullptr);
  ASSERT_NE(b_eng, nullptr);
  for (int k = 0; k < 8; ++k) {
    render_options o;
    o.gain = 1.0 + 0.04 * k;
    o.offset = 10.0 * k;
    o.shift_x = 0.35 * k - 1.0;
    o.shift_y = 0.8 - 0.2 * k;
    if (k >= 4) o.trains = {{10 + 3 * k, 20, 3}, {60, 30, 2}};
    if (k % 2) o.ships = {{20, 70, 24, 5}, {70, 75, 30, 6}};
    if (k == 6) o.cloud_rows = {0, 30};
    const auto a = a_eng->process(fa.render(o).view(), true, true);
    const auto b = b_eng->process(fb.render(o).view(), true, true);
    auto rel = [](double x, double y) { return std::fabs(x - y) / std::max(1.0, std::fabs(x)); };
    EXPECT_LT(rel(a.shift_x, b.shift_x), 1e-4) << k;
    EXPECT_LT(rel(a.shift_y, b.shift_y), 1e-4) << k;
    EXPECT_LT(rel(a.threshold, b.threshold), 1e-4) << k;
    EXPECT_EQ(a.mad_fitted, b.mad_fitted) << k;
    ASSERT_EQ(a.classes.size(), b.classes.size());
    for (std::size_t c = 0; c < a.classes.size(); ++c) {
      EXPECT_EQ(a.classes[c].observable, b.classes[c].observable) << k << " " << c;
      EXPECT_EQ(a.classes[c].count, b.classes[c].count) << k << " " << c;
      EXPECT_EQ(a.classes[c].components, b.classes[c].components) << k << " " << c;
      EXPECT_EQ(a.classes[c].changed_px, b.classes[c].changed_px) << k << " " << c;
      ASSERT_EQ(a.classes[c].detections.size(), b.classes[c].detections.size());
      for (std::size_t d = 0; d < a.classes[c].detections.size(); ++d) {
        EXPECT_LT(rel(a.classes[c].detections[d].cx, b.classes[c].detections[d].cx), 1e-4);
        EXPECT_LT(rel(a.classes[c].detections[d].length_px, b.classes[c].detections[d].length_px),
                  1e-4);
      }
    }
    ASSERT_EQ(a.magnitude.size(), b.magnitude.size());
    for (std::size_t i = 0; i < a.magnitude.size(); ++i)
      ASSERT_LT(rel(a.magnitude[i], b.magnitude[i]), 1e-4) << "pixel " << i << " scene " << k;
  }
}

inline std::string method_name(const ::testing::TestParamInfo<kern::change_method>& info) {
  return info.param == kern::change_method::mad ? "mad" : "cva";
}

}  // namespace sw::test

namespace sw::kern {
// How GoogleTest prints a change_method parameter (found by ADL).
inline void PrintTo(change_method m, std::ostream* os) {
  *os << (m == change_method::mad ? "mad" : "cva");
}
}  // namespace sw::kern
