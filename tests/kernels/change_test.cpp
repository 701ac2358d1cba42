// The change kernel: the CPU's tiled form equals the per-pixel (device) form bit for bit,
// and both equal a naive formula; the reference's range within the registration tolerance
// equals a naive neighbourhood minimum, erases a shifted thin line and keeps a new object.
// The form comparisons launch on the CPU backend (they test both forms; host builds only);
// the thin line runs on each backend (tests/kernels/backends.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/change.cuh"
#include "tests/kernels/backends.hpp"

namespace {

using sw::kern::index_t;

#if SW_TEST_HOST
struct case_data {
  int w, h, nb;
  std::vector<float> scene, ref, lo, hi, weights;
  std::vector<std::uint8_t> covalid;
  case_data(int w_, int h_, int nb_, unsigned seed) : w(w_), h(h_), nb(nb_) {
    const std::size_t n = static_cast<std::size_t>(w) * h;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> v(0.f, 3000.f), t(0.f, 300.f), wt(0.f, 2.f);
    scene.resize(n * nb);
    ref.resize(n * nb);
    lo.resize(n * nb);
    hi.resize(n * nb);
    for (auto& x : scene) x = v(rng);
    for (auto& x : ref) x = v(rng);
    for (std::size_t i = 0; i < ref.size(); ++i) {  // a range around the reference value
      lo[i] = ref[i] - t(rng);
      hi[i] = ref[i] + t(rng);
    }
    for (int b = 0; b < nb; ++b) weights.push_back(wt(rng));
    covalid.resize(n);
    for (auto& c : covalid) c = rng() % 5 != 0;
  }
};

TEST(change, tiled_cpu_form_equals_per_pixel_form_and_naive_formula) {
  for (auto [w_, h_, nb_] : {std::tuple{1, 1, 4}, std::tuple{257, 3, 8}, std::tuple{1000, 1, 4},
                             std::tuple{613, 7, 3}}) {
    const int w = w_, h = h_, nb = nb_;  // clang 14 captures no structured binding
    case_data c(w, h, nb, static_cast<unsigned>(w * 7 + nb));
    const index_t n = static_cast<index_t>(w) * h;
    for (bool with_range : {true, false}) {
      std::vector<float> m1(n), d1(n), r1(n), m2(n), d2(n), r2(n);
      // two launches of one functor, each into its own outputs
      auto kernel = [&](std::vector<float>& m, std::vector<float>& d, std::vector<float>& r) {
        return sw::kern::change_magnitude_fn{{c.scene.data(), w, h, nb},
                                             {c.ref.data(), w, h, nb},
                                             with_range ? c.lo.data() : nullptr,
                                             with_range ? c.hi.data() : nullptr,
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
          const double sv = c.scene[k * n + i], diff = sv - c.ref[k * n + i];
          const double l = with_range ? c.lo[k * n + i] : c.ref[k * n + i];
          const double u = with_range ? c.hi[k * n + i] : c.ref[k * n + i];
          const double s = sv > u ? sv - u : (sv < l ? sv - l : 0.0);
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

// Naive oracle of the reference's range: per pixel and band, the minimum and maximum of the
// reference interpolated bilinearly at (x + ox * r, y + oy * r), ox, oy in {-1, 0, 1}, over
// the offsets whose contributing pixels are inside and valid (in double precision).
void naive_envelope(const std::vector<float>& ref, const std::vector<std::uint8_t>& valid, int w,
                    int h, int nb, double r, std::vector<float>& lo, std::vector<float>& hi) {
  const index_t n = static_cast<index_t>(w) * h;
  lo = hi = ref;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const index_t i = static_cast<index_t>(y) * w + x;
      if (!valid[i]) continue;
      for (int oy = -1; oy <= 1; ++oy)
        for (int ox = -1; ox <= 1; ++ox) {
          const double sx = x + ox * r, sy = y + oy * r;
          const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
          const double fx = sx - x0, fy = sy - y0;
          bool ok = true;
          std::vector<std::pair<index_t, double>> taps;
          for (int ty = 0; ty <= 1; ++ty)
            for (int tx = 0; tx <= 1; ++tx) {
              const double wt = (tx ? fx : 1 - fx) * (ty ? fy : 1 - fy);
              if (wt == 0) continue;
              const int xx = x0 + tx, yy = y0 + ty;
              if (xx < 0 || yy < 0 || xx >= w || yy >= h || !valid[yy * w + xx])
                ok = false;
              else
                taps.push_back({static_cast<index_t>(yy) * w + xx, wt});
            }
          if (!ok) continue;
          for (int b = 0; b < nb; ++b) {
            double v = 0;
            for (auto [j, wt] : taps) v += wt * ref[b * n + j];
            lo[b * n + i] = std::min(lo[b * n + i], static_cast<float>(v));
            hi[b * n + i] = std::max(hi[b * n + i], static_cast<float>(v));
          }
        }
    }
}
#endif

// The reference's range launched on `Backend`.
template <class Backend>
std::pair<std::vector<float>, std::vector<float>> envelope(const std::vector<float>& ref,
                                                           const std::vector<std::uint8_t>& valid,
                                                           int w, int h, int nb, float r) {
  const auto kref = sw::test::kernel_copy(ref);
  const auto kvalid = sw::test::kernel_copy(valid);
  sw::test::kvec<float> lo(ref.size()), hi(ref.size());
  const auto be = sw::test::make<Backend>();
  be.for_each_2d(w, h,
                 sw::kern::reference_envelope_fn{{kref.data(), w, h, nb},
                                                 kvalid.data(),
                                                 sw::kern::make_envelope_offsets(r),
                                                 {lo.data(), w, h, nb},
                                                 {hi.data(), w, h, nb}});
  sw::test::finish(be);
  return {sw::test::host(lo), sw::test::host(hi)};
}

#if SW_TEST_HOST

TEST(change, reference_envelope_equals_the_naive_range_in_both_forms) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> v(0.f, 3000.f);
  for (auto [w, h] : {std::pair{1, 1}, std::pair{257, 3}, std::pair{1000, 1}, std::pair{31, 17},
                      std::pair{600, 5}})
    for (float r : {0.25f, 0.5f, 1.0f, 1.5f}) {
      const int nb = 3;
      const index_t n = static_cast<index_t>(w) * h;
      std::vector<float> ref(n * nb), nlo, nhi;
      std::vector<std::uint8_t> valid(n);
      for (auto& x : ref) x = v(rng);
      for (auto& x : valid) x = rng() % 6 != 0;
      const auto [lo, hi] = envelope<sw::kern::cpu_backend>(ref, valid, w, h, nb, r);
      naive_envelope(ref, valid, w, h, nb, r, nlo, nhi);
      // the CPU's row form (above) equals the per-pixel (device) form bit for bit
      std::vector<float> plo(ref.size()), phi(ref.size());
      const sw::kern::reference_envelope_fn per_pixel{{ref.data(), w, h, nb},
                                                      valid.data(),
                                                      sw::kern::make_envelope_offsets(r),
                                                      {plo.data(), w, h, nb},
                                                      {phi.data(), w, h, nb}};
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) per_pixel(x, y);
      ASSERT_EQ(lo, plo);
      ASSERT_EQ(hi, phi);
      for (index_t i = 0; i < n * nb; ++i) {
        ASSERT_NEAR(lo[i], nlo[i], 1e-3) << w << "x" << h << " r " << r << " at " << i;
        ASSERT_NEAR(hi[i], nhi[i], 1e-3) << w << "x" << h << " r " << r << " at " << i;
        ASSERT_LE(lo[i], ref[i]);
        ASSERT_GE(hi[i], ref[i]);
      }
    }
}
#endif

// One band, magnitudes of `scene` against `ref` with tolerance r (r = 0: plain differences),
// both launches on `Backend`.
template <class Backend>
std::vector<float> magnitudes(const std::vector<float>& scene, const std::vector<float>& ref, int w,
                              int h, float r) {
  const index_t n = static_cast<index_t>(w) * h;
  const std::vector<std::uint8_t> valid(n, 1);
  const auto [lo, hi] = envelope<Backend>(ref, valid, w, h, 1, r);
  const auto kscene = sw::test::kernel_copy(scene), kref = sw::test::kernel_copy(ref);
  const auto klo = sw::test::kernel_copy(lo), khi = sw::test::kernel_copy(hi);
  const auto kvalid = sw::test::kernel_copy(valid);
  const sw::test::kvec<float> weight(1, 1.0f);
  sw::test::kvec<float> m(n), d(n), raw(n);
  const auto be = sw::test::make<Backend>();
  be.for_each(n, sw::kern::change_magnitude_fn{{kscene.data(), w, h, 1},
                                               {kref.data(), w, h, 1},
                                               r > 0 ? klo.data() : nullptr,
                                               r > 0 ? khi.data() : nullptr,
                                               weight.data(),
                                               kvalid.data(),
                                               m.data(),
                                               d.data(),
                                               raw.data()});
  sw::test::finish(be);
  return sw::test::host(m);
}

template <class Backend>
class change : public sw::test::backend_test<Backend> {};
TYPED_TEST_SUITE(change, sw::test::backends, sw::test::backend_name);

TYPED_TEST(change, a_thin_line_moved_by_the_tolerance_leaves_no_difference_a_new_object_all_of_it) {
  // A one-pixel bright rail (3000 on 1000) at column 10 in the reference, at column 11 in
  // the scene: plain differences are +-2000 on both columns (a dipole); with r = 1 px both
  // vanish. A new 3 x 3 object of 2500 elsewhere keeps its full difference of 1500, edges
  // included (the reference has flat ground everywhere within 1 px of it).
  const int w = 24, h = 12;
  std::vector<float> ref(w * h, 1000.f), scene(w * h, 1000.f);
  for (int y = 0; y < h; ++y) {
    ref[y * w + 10] = 3000.f;
    scene[y * w + 11] = 3000.f;
  }
  for (int y = 4; y < 7; ++y)
    for (int x = 17; x < 20; ++x) scene[y * w + x] = 2500.f;
  const auto plain = magnitudes<TypeParam>(scene, ref, w, h, 0.f);
  const auto proof = magnitudes<TypeParam>(scene, ref, w, h, 1.f);
  for (int y = 1; y < h - 1; ++y) {
    EXPECT_EQ(plain[y * w + 10], 2000.f);
    EXPECT_EQ(plain[y * w + 11], 2000.f);
    EXPECT_EQ(proof[y * w + 10], 0.f);
    EXPECT_EQ(proof[y * w + 11], 0.f);
  }
  for (int y = 4; y < 7; ++y)
    for (int x = 17; x < 20; ++x) EXPECT_EQ(proof[y * w + x], 1500.f) << x << "," << y;
  EXPECT_EQ(proof[5 * w + 16], 0.f);  // flat ground beside it
}

}  // namespace
