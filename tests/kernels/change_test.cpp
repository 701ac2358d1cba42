// The change kernel: the CPU's tiled form equals the per-pixel (device) form bit for bit,
// and both equal a naive formula; the edge tolerance shrinks differences along edges only.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/change.cuh"
#include "kernels/cpu/backend.hpp"

namespace {

using sw::kern::index_t;

struct case_data {
  int w, h, nb;
  std::vector<float> scene, ref, tol, weights;
  std::vector<std::uint8_t> covalid;
  case_data(int w_, int h_, int nb_, unsigned seed) : w(w_), h(h_), nb(nb_) {
    const std::size_t n = static_cast<std::size_t>(w) * h;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> v(0.f, 3000.f), t(0.f, 300.f), wt(0.f, 2.f);
    scene.resize(n * nb);
    ref.resize(n * nb);
    tol.resize(n * nb);
    for (auto& x : scene) x = v(rng);
    for (auto& x : ref) x = v(rng);
    for (auto& x : tol) x = t(rng);
    for (int b = 0; b < nb; ++b) weights.push_back(wt(rng));
    covalid.resize(n);
    for (auto& c : covalid) c = rng() % 5 != 0;
  }
};

TEST(change, tiled_cpu_form_equals_per_pixel_form_and_naive_formula) {
  for (auto [w, h, nb] : {std::tuple{1, 1, 4}, std::tuple{257, 3, 8}, std::tuple{1000, 1, 4},
                          std::tuple{613, 7, 3}}) {
    case_data c(w, h, nb, static_cast<unsigned>(w * 7 + nb));
    const index_t n = static_cast<index_t>(w) * h;
    for (bool with_tol : {true, false}) {
      std::vector<float> m1(n), d1(n), r1(n), m2(n), d2(n), r2(n);
      const float* tol = with_tol ? c.tol.data() : nullptr;
      // two launches of one functor, each into its own outputs
      auto kernel = [&](std::vector<float>& m, std::vector<float>& d, std::vector<float>& r) {
        return sw::kern::change_magnitude_fn{{c.scene.data(), w, h, nb},
                                             {c.ref.data(), w, h, nb},
                                             tol,
                                             c.weights.data(),
                                             c.covalid.data(),
                                             m.data(),
                                             d.data(),
                                             r.data()};
      };
      const auto a = kernel(m1, d1, r1), b = kernel(m2, d2, r2);
      for (index_t i = 0; i < n; ++i) a(i);
      sw::kern::cpu_backend{}.for_each(n, b);  // the tiled form
      ASSERT_EQ(m1, m2) << w << "x" << h << "x" << nb;
      ASSERT_EQ(d1, d2);
      ASSERT_EQ(r1, r2);
      for (index_t i = 0; i < n; ++i) {
        if (!c.covalid[i]) {
          EXPECT_EQ(m1[i], -1.0f);
          continue;
        }
        double sq = 0, raw = 0, ws = 0, d = 0;
        for (int k = 0; k < nb; ++k) {
          const double diff = c.scene[k * n + i] - c.ref[k * n + i];
          const double t = with_tol ? c.tol[k * n + i] : 0.0;
          const double s = std::fabs(diff) <= t ? 0.0 : (diff > 0 ? diff - t : diff + t);
          raw += c.weights[k] * diff * diff;
          sq += c.weights[k] * s * s;
          d += c.weights[k] * s;
          ws += c.weights[k];
        }
        EXPECT_NEAR(m1[i], std::sqrt(sq), 1e-3 * (1 + std::sqrt(sq)));
        EXPECT_NEAR(r1[i], std::sqrt(raw), 1e-3 * (1 + std::sqrt(raw)));
        EXPECT_NEAR(d1[i], ws > 0 ? d / ws : 0.0, 1e-2);
      }
    }
  }
}

// Naive oracle of the edge tolerance: for every pixel and band, tolerance_px times the
// largest central-difference gradient over the 3x3 neighbourhood.
std::vector<float> naive_tolerance(const std::vector<float>& ref,
                                   const std::vector<std::uint8_t>& valid, int w, int h, int nb,
                                   float tol) {
  const index_t n = static_cast<index_t>(w) * h;
  auto grad = [&](int b, int x, int y) {
    const index_t i = static_cast<index_t>(y) * w + x;
    if (!valid[i]) return 0.0f;
    float g = 0.0f;
    if (x > 0 && x + 1 < w && valid[i - 1] && valid[i + 1])
      g += std::fabs(ref[b * n + i + 1] - ref[b * n + i - 1]) * 0.5f;
    if (y > 0 && y + 1 < h && valid[i - w] && valid[i + w])
      g += std::fabs(ref[b * n + i + w] - ref[b * n + i - w]) * 0.5f;
    return g;
  };
  std::vector<float> out(ref.size());
  for (int b = 0; b < nb; ++b)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        float m = 0.0f;
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx)
            if (x + dx >= 0 && y + dy >= 0 && x + dx < w && y + dy < h)
              m = std::max(m, grad(b, x + dx, y + dy));
        out[b * n + static_cast<index_t>(y) * w + x] = tol * m;
      }
  return out;
}

TEST(change, edge_tolerance_equals_the_naive_3x3_maximum) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> v(0.f, 3000.f);
  for (auto [w, h] : {std::pair{1, 1}, std::pair{257, 3}, std::pair{1000, 1}, std::pair{31, 17}}) {
    const int nb = 3;
    const index_t n = static_cast<index_t>(w) * h;
    std::vector<float> ref(n * nb), out(n * nb), scratch(n * nb);
    std::vector<std::uint8_t> valid(n);
    for (auto& x : ref) x = v(rng);
    for (auto& x : valid) x = rng() % 6 != 0;
    sw::kern::edge_tolerance(sw::kern::cpu_backend{}, {ref.data(), w, h, nb}, valid.data(), 0.5f,
                             scratch.data(), out.data());
    EXPECT_EQ(out, naive_tolerance(ref, valid, w, h, nb, 0.5f)) << w << "x" << h;
  }
}

TEST(change, edge_tolerance_is_the_largest_nearby_gradient) {
  // A vertical step of 1000 between columns 4 and 5: the tolerance is 0.5 * 500 (central
  // difference) within one pixel of the step (3x3 max), 0 on flat ground further away.
  const int w = 10, h = 4;
  std::vector<float> ref(w * h), tol(w * h), scratch(w * h);
  std::vector<std::uint8_t> valid(w * h, 1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) ref[y * w + x] = x < 5 ? 1000.f : 2000.f;
  sw::kern::edge_tolerance(sw::kern::cpu_backend{}, {ref.data(), w, h, 1}, valid.data(), 0.5f,
                           scratch.data(), tol.data());
  for (int y = 0; y < h; ++y) {
    EXPECT_EQ(tol[y * w + 2], 0.f);
    EXPECT_EQ(tol[y * w + 3], 250.f);
    EXPECT_EQ(tol[y * w + 4], 250.f);
    EXPECT_EQ(tol[y * w + 5], 250.f);
    EXPECT_EQ(tol[y * w + 6], 250.f);
    EXPECT_EQ(tol[y * w + 7], 0.f);
  }
}

}  // namespace
