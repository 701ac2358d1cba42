// The CUDA engine against the CPU engine on the same rendered scenes: counts identical,
// floating results within 1e-4 relative (SPEC 2). Labelled `gpu`; skips without a device.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/engine.hpp"
#include "tests/kernels/engine_fixture.hpp"

namespace {

using namespace sw::test;

// Both change methods: the plain change vector and IR-MAD (mad.cuh).
class engine_gpu : public ::testing::TestWithParam<sw::kern::change_method> {};

TEST_P(engine_gpu, matches_the_cpu_engine) {
  if (sw::kern::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  scene_factory f_cpu, f_gpu;  // same seeds: the same scenes
  auto params = [&](const scene_factory& f) {
    auto p = f.params();
    p.method = GetParam();
    return p;
  };
  auto cpu = sw::kern::make_cpu_engine(params(f_cpu));
  auto gpu = sw::kern::make_cuda_engine(params(f_gpu), 0);
  ASSERT_NE(gpu, nullptr);
  for (int k = 0; k < 8; ++k) {
    render_options o;
    o.gain = 1.0 + 0.04 * k;
    o.offset = 10.0 * k;
    o.shift_x = 0.35 * k - 1.0;
    o.shift_y = 0.8 - 0.2 * k;
    if (k >= 4) o.trains = {{10 + 3 * k, 20, 3}, {60, 30, 2}};
    if (k % 2) o.ships = {{20, 70, 24, 5}, {70, 75, 30, 6}};
    if (k == 6) o.cloud_rows = {0, 30};
    const auto a = cpu->process(f_cpu.render(o).view(), true, true);
    const auto b = gpu->process(f_gpu.render(o).view(), true, true);
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

INSTANTIATE_TEST_SUITE_P(methods, engine_gpu,
                         ::testing::Values(sw::kern::change_method::cva,
                                           sw::kern::change_method::mad));

}  // namespace
