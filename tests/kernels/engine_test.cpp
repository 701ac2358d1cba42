// The site engine end to end on rendered scenes with known shifts, gains, clouds and
// objects: co-registration accuracy, robust normalisation, NULL-before-reference,
// observability, counts for both background models, and thread-count independence.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <oneapi/tbb/task_arena.h>

#include "kernels/engine.hpp"
#include "kernels/valid_mask.cuh"
#include "tests/kernels/engine_fixture.hpp"

namespace {

using namespace sw::test;

TEST(engine, coregistration_recovers_subpixel_shifts) {
  scene_factory f;
  auto eng = sw::kern::make_cpu_engine(f.params());
  for (int k = 0; k < 3; ++k) {
    auto s = f.render({});
    eng->process(s.view(), true, false);
  }
  for (auto [tx, ty] : {std::pair{1.3, -0.7}, std::pair{-0.4, 0.25}, std::pair{2.0, 1.6}}) {
    render_options o;
    o.shift_x = tx;
    o.shift_y = ty;
    auto s = f.render(o);
    const auto r = eng->process(s.view(), false, false);
    ASSERT_TRUE(r.has_shift);
    EXPECT_NEAR(r.shift_x, tx, 0.2) << tx << "," << ty;
    EXPECT_NEAR(r.shift_y, ty, 0.2) << tx << "," << ty;
  }
}

TEST(engine, reference_classes_are_null_until_the_reference_has_min_scenes) {
  scene_factory f;
  auto eng = sw::kern::make_cpu_engine(f.params());
  for (int k = 0; k < 3; ++k) {
    auto s = f.render({});
    const auto r = eng->process(s.view(), true, false);
    EXPECT_FALSE(r.has_reference) << k;
    EXPECT_TRUE(r.classes[f.rail].observable);
    EXPECT_FALSE(r.classes[f.rail].has_counts) << k;
    EXPECT_TRUE(r.classes[f.water].has_counts) << "local background needs no reference";
  }
  auto s = f.render({});
  const auto r = eng->process(s.view(), true, false);
  EXPECT_TRUE(r.has_reference);
  EXPECT_TRUE(r.classes[f.rail].has_counts);
  EXPECT_EQ(r.classes[f.rail].count, 0);
}

// Three trains (9 cars: 6 px long each) through a gain, an offset and a sub-pixel shift.
render_options trains_through_gain_and_shift() {
  render_options o;
  o.gain = 1.25;
  o.offset = -120;
  o.shift_x = 0.6;
  o.shift_y = -1.2;
  o.trains = {{10, 20, 4}, {10, 32, 2}, {60, 26, 3}};  // (x, y, cars)
  return o;
}

TEST(engine, counts_dark_trains_against_the_reference_despite_gain_shift_and_noise) {
  scene_factory f;
  auto eng = sw::kern::make_cpu_engine(f.params());
  for (int k = 0; k < 4; ++k) eng->process(f.render({}).view(), true, false);
  auto s = f.render(trains_through_gain_and_shift());
  const auto r = eng->process(s.view(), true, false);
  ASSERT_TRUE(r.classes[f.rail].has_counts);
  EXPECT_EQ(r.classes[f.rail].components, 3);
  EXPECT_EQ(r.classes[f.rail].count, 9);
  // Normalisation absorbed the gain: the control zone barely changed.
  const auto& ctl = r.classes[f.control];
  ASSERT_TRUE(ctl.has_change);
  EXPECT_LT(static_cast<double>(ctl.changed_px) / ctl.valid_px, 0.02);
}

// `[change] method = "mad"` (mad.cuh): the same scenes, a gain, offset and shift, and a
// new bright patch in the control zone: the patch is changed, the quiet ground is not, and
// the trains are counted as with the plain change vector.
TEST(engine, mad_method_finds_a_new_patch_and_the_trains_despite_gain_and_shift) {
  scene_factory f;
  auto p = f.params();
  p.method = sw::kern::change_method::mad;
  auto eng = sw::kern::make_cpu_engine(p);
  for (int k = 0; k < 4; ++k) eng->process(f.render({}).view(), true, false);
  render_options o = trains_through_gain_and_shift();
  o.bright = {{40, 3, 12, 6}};  // 72 px in the control zone (rows 0-13)
  auto s = f.render(o);
  const auto r = eng->process(s.view(), true, false);
  EXPECT_TRUE(r.mad_fitted);
  ASSERT_TRUE(r.classes[f.rail].has_counts);
  EXPECT_EQ(r.classes[f.rail].components, 3);
  EXPECT_EQ(r.classes[f.rail].count, 9);
  const auto& ctl = r.classes[f.control];
  ASSERT_TRUE(ctl.has_change);
  EXPECT_GE(ctl.changed_px, 60);  // the patch, less what blur and the tolerance take
  EXPECT_LE(ctl.changed_px, 72 + 2 * (12 + 6) + 10);
}

TEST(engine, counts_bright_ships_on_water_from_a_single_scene) {
  scene_factory f;
  auto eng = sw::kern::make_cpu_engine(f.params());
  render_options o;
  o.ships = {{20, 70, 24, 5}, {60, 72, 30, 6}};  // (x, y, length, width) px
  const auto r = eng->process(f.render(o).view(), true, false);
  ASSERT_TRUE(r.classes[f.water].has_counts);
  EXPECT_EQ(r.classes[f.water].count, 2);
  ASSERT_EQ(r.classes[f.water].detections.size(), 2u);
  const auto& d = r.classes[f.water].detections[0];
  EXPECT_NEAR(d.length_px, 24, 2.5);
  EXPECT_NEAR(d.width_px, 5, 1.5);
}

// A faint patch on the water (+450 over the water, 30 noise sigmas: sun glint) is an
// object to the contrast test alone; with a class minimum contrast of 1000 only the ship
// (+2000 and more) is.
TEST(engine, min_contrast_keeps_ships_and_drops_faint_glint) {
  for (double min_contrast : {0.0, 1000.0}) {
    scene_factory f;
    auto p = f.params();
    p.classes[f.water].min_contrast = min_contrast;
    auto eng = sw::kern::make_cpu_engine(p);
    render_options o;
    o.ships = {{20, 70, 24, 5}};
    o.faint = {{70, 80, 20, 6}};
    const auto r = eng->process(f.render(o).view(), true, false);
    ASSERT_TRUE(r.classes[f.water].has_counts);
    EXPECT_EQ(r.classes[f.water].count, min_contrast > 0 ? 1 : 2) << min_contrast;
    if (min_contrast > 0) {
      ASSERT_EQ(r.classes[f.water].detections.size(), 1u);
      EXPECT_LT(r.classes[f.water].detections[0].cx, 50) << "the ship, not the glint";
    }
  }
}

TEST(engine, a_bright_structure_present_in_the_reference_is_not_counted) {
  // A moored hulk (12 x 5 px) on the water in every scene; from the fourth scene on a
  // reference exists, and the hulk is in it: only the new ship counts, unless the class
  // counts static objects.
  for (bool count_static : {false, true}) {
    scene_factory f;
    auto p = f.params();
    p.classes[f.water].count_static = count_static;
    auto eng = sw::kern::make_cpu_engine(p);
    render_options o;
    o.bright = {{90, 80, 12, 5}};
    for (int k = 0; k < 3; ++k) {
      const auto r = eng->process(f.render(o).view(), true, false);
      EXPECT_EQ(r.classes[f.water].count, 1) << "before a reference, the hulk is an object";
    }
    o.ships = {{20, 70, 24, 5}};
    const auto r = eng->process(f.render(o).view(), true, false);
    EXPECT_EQ(r.classes[f.water].count, count_static ? 2 : 1) << count_static;
  }
}

TEST(engine, on_water_counts_a_ship_alongside_the_quay_not_a_roof_on_land) {
  // The zone takes 8 rows of land above the quay edge (row 60) and the water below. Three
  // scenes of the empty port make the reference; then a ship moored alongside (rows 60-64,
  // touching the quay along its whole length), a bright roof on the land strip and a ship out
  // on the water: the two ships count (the one alongside is off the reference's land), the
  // roof does not.
  scene_factory f;
  auto p = f.params();
  p.water_band = 3;  // nir
  auto& ship = p.classes[f.water];
  ship.zone = scene_factory::zone_box(4, 52, 116, 92);
  ship.on_water = true;
  auto eng = sw::kern::make_cpu_engine(p);
  render_options o;
  for (int k = 0; k < 3; ++k) eng->process(f.render(o).view(), true, false);
  o.bright = {{40, 60, 26, 5}, {80, 53, 12, 5}};  // alongside, roof
  o.ships = {{70, 78, 24, 5}};
  const auto r = eng->process(f.render(o).view(), true, false);
  ASSERT_TRUE(r.classes[f.water].has_counts);
  EXPECT_EQ(r.classes[f.water].count, 2);
  for (const auto& d : r.classes[f.water].detections) EXPECT_GT(d.cy, 59.0) << d.cx;
}

TEST(engine, a_scene_that_covers_the_zones_but_not_the_margin_joins_the_reference) {
  // One change zone in rows 0-13; clouds over rows 20-95: four fifths of the grid are
  // invalid, the zone is clear. Observability is the zone's (SPEC 2): the scene joins.
  scene_factory f;
  auto p = f.params();
  p.classes = {p.classes[f.control]};
  auto eng = sw::kern::make_cpu_engine(p);
  render_options o;
  o.cloud_rows = {20, 96};
  const auto r = eng->process(f.render(o).view(), true, false);
  EXPECT_LT(r.grid_valid_fraction, 0.5);
  EXPECT_TRUE(r.classes[0].observable);
  EXPECT_TRUE(r.joined_reference);
  EXPECT_EQ(eng->members(), 1);
}

TEST(engine, a_cloudy_zone_is_not_observable_and_has_no_counts) {
  scene_factory f;
  auto eng = sw::kern::make_cpu_engine(f.params());
  for (int k = 0; k < 4; ++k) eng->process(f.render({}).view(), true, false);
  render_options o;
  o.cloud_rows = {0, 45};  // the rail zone lies in rows 15..40
  const auto r = eng->process(f.render(o).view(), true, false);
  EXPECT_FALSE(r.classes[f.rail].observable);
  EXPECT_FALSE(r.classes[f.rail].has_counts);
  EXPECT_LT(static_cast<double>(r.classes[f.rail].valid_px) / r.classes[f.rail].zone_px, 0.5);
  EXPECT_TRUE(r.classes[f.water].observable);
}

TEST(engine, results_do_not_depend_on_the_thread_count) {
  auto run = [](int threads) {
    scene_factory f;
    auto eng = sw::kern::make_cpu_engine(f.params());
    std::vector<sw::kern::engine_result> out;
    tbb::task_arena arena(threads);
    arena.execute([&] {
      for (int k = 0; k < 6; ++k) {
        render_options o;
        o.gain = 1.0 + 0.05 * k;
        o.shift_x = 0.3 * k - 0.8;
        if (k >= 3) o.trains = {{10 + 5 * k, 20, 3}};
        if (k % 2) o.ships = {{20, 70, 24, 5}};
        out.push_back(eng->process(f.render(o).view(), true, true));
      }
    });
    return out;
  };
  const auto a = run(1), b = run(2);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].shift_x, b[k].shift_x);
    EXPECT_EQ(a[k].shift_y, b[k].shift_y);
    EXPECT_EQ(a[k].threshold, b[k].threshold);
    EXPECT_EQ(a[k].magnitude, b[k].magnitude);
    for (std::size_t c = 0; c < a[k].classes.size(); ++c) {
      EXPECT_EQ(a[k].classes[c].count, b[k].classes[c].count);
      EXPECT_EQ(a[k].classes[c].changed_px, b[k].classes[c].changed_px);
      ASSERT_EQ(a[k].classes[c].detections.size(), b[k].classes[c].detections.size());
      for (std::size_t d = 0; d < a[k].classes[c].detections.size(); ++d)
        EXPECT_EQ(a[k].classes[c].detections[d].cx, b[k].classes[c].detections[d].cx);
    }
  }
}

TEST(valid_mask, udm2_clear_only_and_blackfill) {
  const sw::kern::index_t n = 6;
  std::vector<std::uint8_t> alpha = {255, 255, 255, 255, 255, 0};
  std::vector<std::uint8_t> udm2(8 * n, 0);
  auto set = [&](int plane, int i, std::uint8_t v) { udm2[plane * n + i] = v; };
  for (int i = 0; i < n; ++i) set(sw::kern::udm2_clear, i, 1);
  set(sw::kern::udm2_cloud, 1, 1);
  set(sw::kern::udm2_haze_light, 2, 1);
  set(sw::kern::udm2_legacy, 3, 1);  // blackfill
  set(sw::kern::udm2_clear, 4, 0);
  std::vector<std::uint8_t> out(n);
  for (int i = 0; i < n; ++i) sw::kern::valid_mask_fn{alpha.data(), udm2.data(), n, out.data()}(i);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 0, 0, 0, 0, 0}));
  for (int i = 0; i < n; ++i) sw::kern::valid_mask_fn{alpha.data(), nullptr, n, out.data()}(i);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 1, 1, 1, 1, 0}));
}

// Strategy archive: a train parked on the first `parked` of twelve dates. The rolling
// median takes it into the reference and stops counting it; the archive's reference over
// every date leaves it out, so it is counted on each date it stands there, the first
// included, and nothing is found where it stood once it has left. Parked on most dates,
// only an upper quantile (dark cars) leaves it out of the reference.
struct parked_train_counts {
  int counted = 0;     // dates the parked train was found whole (5 cars)
  int left_over = 0;   // detections where it stood after it left
  int null_dates = 0;  // dates without counts
};
parked_train_counts run_parked_train(int parked, sw::kern::reference_kind kind, float q) {
  scene_factory f;
  std::vector<rendered_scene> scenes;
  for (int k = 0; k < 12; ++k) {
    render_options o;
    o.shift_x = 0.3 * std::sin(k);
    o.shift_y = 0.3 * std::cos(k);
    if (k < parked) o.trains = {{20, 25, 5}};  // x 19.5 .. 49.5, rows 25-26
    scenes.push_back(f.render(o));
  }
  auto p = f.params();
  p.reference = kind;
  p.window = kind == sw::kern::reference_kind::archive ? 12 : 7;
  p.reference_quantile = q;
  auto eng = sw::kern::make_cpu_engine(p);
  const bool archive = kind == sw::kern::reference_kind::archive;
  if (archive) {
    for (const auto& s : scenes) EXPECT_TRUE(eng->observable(s.view()));
    for (const auto& s : scenes) EXPECT_TRUE(eng->learn(s.view()));
    EXPECT_EQ(eng->members(), 12);
  }
  parked_train_counts out;
  for (int k = 0; k < 12; ++k) {
    const auto r = eng->process(scenes[k].view(), !archive, false);
    const auto& rail = r.classes[f.rail];
    if (!rail.has_counts) {
      ++out.null_dates;
      continue;
    }
    if (archive) {
      char prefix[32];
      std::snprintf(prefix, sizeof prefix,
                    q == 0.5f ? "archive:" : "archive q%.2f:", static_cast<double>(q));
      EXPECT_EQ(r.reference.rfind(prefix, 0), 0u) << r.reference;
      EXPECT_FALSE(r.joined_reference);
    }
    for (const auto& d : rail.detections) {
      const bool at_train = d.cx > 19 && d.cx < 50 && d.cy > 23 && d.cy < 28;
      if (!at_train) continue;
      if (k < parked) {
        out.counted += d.est_count == 5 && d.cx > 32 && d.cx < 36;
      } else {
        ++out.left_over;
      }
    }
  }
  if (archive) {
    EXPECT_EQ(eng->members(), 12) << "counting does not change the reference";
  }
  return out;
}

TEST(engine, archive_reference_counts_a_parked_train_every_day_from_the_first) {
  using sw::kern::reference_kind;
  const auto median = run_parked_train(5, reference_kind::median, 0.5f);
  EXPECT_EQ(median.null_dates, 3);
  EXPECT_EQ(median.counted, 0) << "the rolling median holds the parked train";
  const auto archive = run_parked_train(5, reference_kind::archive, 0.5f);
  EXPECT_EQ(archive.null_dates, 0);
  EXPECT_EQ(archive.counted, 5);
  EXPECT_EQ(archive.left_over, 0);
  // parked on 8 of 12 dates: in the median of all of them, not in their upper quantile
  const auto most_upper = run_parked_train(8, reference_kind::archive, 0.75f);
  EXPECT_EQ(most_upper.counted, 8);
  EXPECT_EQ(most_upper.left_over, 0);
}

TEST(engine, archive_first_pass_skips_scenes_the_site_is_not_observable_in) {
  scene_factory f;
  auto p = f.params();
  p.reference = sw::kern::reference_kind::archive;
  auto eng = sw::kern::make_cpu_engine(p);
  render_options cloudy;
  cloudy.cloud_rows = {0, scene_factory::h};
  const auto s = f.render(cloudy);
  EXPECT_FALSE(eng->observable(s.view()));
  EXPECT_FALSE(eng->learn(s.view()));
  EXPECT_EQ(eng->members(), 0);
}

}  // namespace
