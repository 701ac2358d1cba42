// The remaining per-pixel kernels on the CPU backend, 2048² pixels, 1 and 2 threads:
// valid mask from coverage and 8 UDM2 planes, sub-pixel shift resampling of 4 bands,
// the multivariate normalisation (fit terms of 8 bands, then the map applied), binary
// opening r = 1 (four separable passes), median reference of 7 members, separable grey
// morphology (a top-hat's four passes), a 32768-bin histogram with its statistics,
// gradient + one NCC candidate sum.
#include <random>
#include <vector>

#include <benchmark/benchmark.h>
#include <oneapi/tbb/global_control.h>

#include "bench/threads.hpp"
#include "kernels/coregister.cuh"
#include "kernels/cpu/backend.hpp"
#include "kernels/histogram.cuh"
#include "kernels/morphology.cuh"
#include "kernels/normalise.cuh"
#include "kernels/reduce.hpp"
#include "kernels/reference.cuh"
#include "kernels/valid_mask.cuh"

namespace {

using sw::kern::index_t;
constexpr int side = 2048;

std::vector<float> random_plane(index_t n, unsigned seed) {
  std::vector<float> v(n);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(200.f, 3000.f);
  for (auto& x : v) x = d(rng);
  return v;
}

void counters(benchmark::State& st, double bytes_per_pixel) {
  const double px = static_cast<double>(side) * side;
  st.counters["pixels/s"] = benchmark::Counter(px, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["bytes/s"] =
      benchmark::Counter(px * bytes_per_pixel, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1024);
}

void BM_valid_mask_udm2(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(0));
  const index_t n = static_cast<index_t>(side) * side;
  std::vector<std::uint8_t> alpha(n), udm2(n * sw::kern::udm2_planes), out(n);
  std::mt19937 rng(6);
  for (auto& a : alpha) a = rng() % 16 ? 255 : 0;
  for (index_t i = 0; i < n; ++i) {  // mostly clear, some cloud
    const bool cloud = rng() % 8 == 0;
    udm2[sw::kern::udm2_clear * n + i] = cloud ? 0 : 1;
    udm2[sw::kern::udm2_cloud * n + i] = cloud ? 1 : 0;
  }
  const sw::kern::cpu_backend be;
  for (auto _ : st) {
    be.for_each(n, sw::kern::valid_mask_fn{alpha.data(), udm2.data(), n, out.data()});
    benchmark::ClobberMemory();
  }
  counters(st, 2.0 + static_cast<int>(sw::kern::udm2_planes));
}

void BM_shift_resample_4_bands(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(0));
  const index_t n = static_cast<index_t>(side) * side;
  const int nb = 4;
  auto in = random_plane(n * nb, 7);
  std::vector<std::uint8_t> valid(n, 1), out_valid(n);
  std::vector<float> out(n * nb);
  const sw::kern::cpu_backend be;
  for (auto _ : st) {
    be.for_each_2d(side, side,
                   sw::kern::shift_resample_fn{{in.data(), side, side, nb},
                                               valid.data(),
                                               0.37,
                                               -0.61,
                                               {out.data(), side, side, nb},
                                               out_valid.data()});
    benchmark::ClobberMemory();
  }
  counters(st, 4.0 * nb * 2 + 2);
}

void BM_normalise_fit_and_apply_8_bands(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(0));
  const index_t n = static_cast<index_t>(side) * side;
  const int nb = 8;
  auto scene = random_plane(n * nb, 8), ref = random_plane(n * nb, 9);
  std::vector<std::uint8_t> valid(n, 1);
  std::vector<float> coef(sw::kern::mv_dim * sw::kern::mv_max_bands, 0.0f);
  for (int b = 0; b < nb; ++b) coef[b * sw::kern::mv_dim + b] = 1.01f;
  const sw::kern::cpu_backend be;
  for (auto _ : st) {
    // one fit pass (the engine runs two: all co-valid pixels, then the inliers)
    benchmark::DoNotOptimize(sw::kern::chunked_sum<sw::kern::mv_terms>(
        be, n,
        sw::kern::mv_terms_fn{
            {scene.data(), side, side, nb}, {ref.data(), side, side, nb}, valid.data(), nullptr}));
    be.for_each(n,
                sw::kern::mv_apply_fn{{scene.data(), side, side, nb}, coef.data(), valid.data()});
    benchmark::ClobberMemory();
  }
  counters(st, 4.0 * nb * 2 + 1 + 4.0 * nb * 2);
}

void BM_binary_opening_r1(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(0));
  const index_t n = static_cast<index_t>(side) * side;
  std::vector<std::uint8_t> m(n), tmp(n), a(n);
  std::mt19937 rng(10);
  for (auto& v : m) v = rng() % 4 == 0;
  const sw::kern::cpu_backend be;
  for (auto _ : st) {
    be.for_each_2d(
        side, side,
        sw::kern::binary_morph_pass_fn{{m.data(), side, side}, tmp.data(), 1, true, true});
    be.for_each_2d(
        side, side,
        sw::kern::binary_morph_pass_fn{{tmp.data(), side, side}, a.data(), 1, false, true});
    be.for_each_2d(
        side, side,
        sw::kern::binary_morph_pass_fn{{a.data(), side, side}, tmp.data(), 1, true, false});
    be.for_each_2d(
        side, side,
        sw::kern::binary_morph_pass_fn{{tmp.data(), side, side}, a.data(), 1, false, false});
    benchmark::ClobberMemory();
  }
  counters(st, 4 * 2.0);
}

void BM_median_reference_7x4(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(0));
  const index_t n = static_cast<index_t>(side) * side;
  const int members = 7, nb = 4;
  auto bands = random_plane(n * members * nb, 1);
  std::vector<std::uint8_t> valid(n * members, 1), out_valid(n);
  std::vector<float> out(n * nb);
  const sw::kern::cpu_backend be;
  for (auto _ : st) {
    be.for_each(n, sw::kern::quantile_reference_fn{bands.data(), valid.data(), members, nb, n,
                                                   out.data(), out_valid.data()});
    benchmark::ClobberMemory();
  }
  counters(st, 4.0 * members * nb + members + 4.0 * nb + 1);
}

void BM_grey_tophat_r5(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(0));
  const index_t n = static_cast<index_t>(side) * side;
  auto img = random_plane(n, 2);
  std::vector<std::uint8_t> dom(n, 1);
  std::vector<float> a(n), b(n), tmp(n);
  const sw::kern::cpu_backend be;
  for (auto _ : st) {
    be.for_each_2d(side, side,
                   sw::kern::grey_morph_pass_fn{
                       {img.data(), side, side}, dom.data(), tmp.data(), 5, true, true});
    be.for_each_2d(side, side,
                   sw::kern::grey_morph_pass_fn{
                       {tmp.data(), side, side}, dom.data(), a.data(), 5, false, true});
    be.for_each_2d(
        side, side,
        sw::kern::grey_morph_pass_fn{{a.data(), side, side}, nullptr, tmp.data(), 5, true, false});
    be.for_each_2d(
        side, side,
        sw::kern::grey_morph_pass_fn{{tmp.data(), side, side}, nullptr, b.data(), 5, false, false});
    benchmark::ClobberMemory();
  }
  counters(st, 4 * 8.0);
}

void BM_histogram_median_mad(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(0));
  const index_t n = static_cast<index_t>(side) * side;
  auto v = random_plane(n, 3);
  const sw::kern::cpu_backend be;
  for (auto _ : st) benchmark::DoNotOptimize(sw::kern::robust_stats(be, v.data(), n, 4.0, 3));
  counters(st, 2 * 4.0);  // the max pass and the histogram pass
}

void BM_gradient_and_ncc_candidate(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(0));
  const index_t n = static_cast<index_t>(side) * side;
  auto a = random_plane(n, 4), b = random_plane(n, 5);  // (n also sizes the gradients)
  std::vector<std::uint8_t> valid(n, 1);
  std::vector<float> ga(n), gb(n);
  const sw::kern::cpu_backend be;
  for (auto _ : st) {
    be.for_each_2d(side, side,
                   sw::kern::gradient_fn{{a.data(), side, side}, valid.data(), ga.data()});
    be.for_each_2d(side, side,
                   sw::kern::gradient_fn{{b.data(), side, side}, valid.data(), gb.data()});
    benchmark::DoNotOptimize(sw::kern::row_sum<6>(
        be, side, side, sw::kern::ncc_terms_fn{ga.data(), gb.data(), side, side, 1, -1}));
  }
  counters(st, 2 * 9.0 + 8.0);
}

// One integer NCC candidate on the stride-2 lattice the search uses: the CPU's row form
// (lattice rows and columns only) next to the per-pixel form the device runs (the same
// functor behind a wrapper without row_terms). The sums are identical (coregister_test).
struct ncc_per_pixel_only {
  sw::kern::ncc_terms_fn f;
  void operator()(int x, int y, double* acc) const { f(x, y, acc); }
};
template <bool row_form>
void BM_ncc_candidate_stride2(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(0));
  const index_t n = static_cast<index_t>(side) * side;
  auto ga = random_plane(n, 6), gb = random_plane(n, 7);
  const sw::kern::cpu_backend be;
  const sw::kern::ncc_terms_fn f{ga.data(), gb.data(), side, side, 3, -2, 2};
  for (auto _ : st) {
    if constexpr (row_form)
      benchmark::DoNotOptimize(sw::kern::row_sum<6>(be, side, side, f));
    else
      benchmark::DoNotOptimize(sw::kern::row_sum<6>(be, side, side, ncc_per_pixel_only{f}));
  }
  counters(st, 2.0);
}

// The normalisation's three residual passes of one robust iteration (size the histograms,
// fill them, mark the inliers), 8 bands: the CPU's tiled forms next to the per-pixel forms
// the device runs (behind wrappers that hide the tiled forms). The cut lets most pixels
// through, as the k-MAD cut does on real scenes. Same results: normalise_test.
struct max_residual_per_pixel_only {
  sw::kern::mv_max_abs_residual_value f;
  float operator()(index_t i) const { return f(i); }
};
struct histograms_per_pixel_only {
  sw::kern::mv_residual_histograms_fn f;
  void operator()(index_t i) const { f(i); }
};
struct inlier_per_pixel_only {
  sw::kern::mv_inlier_fn f;
  void operator()(index_t i) const { f(i); }
};
template <bool tiled>
void BM_normalise_residual_passes_8_bands(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(0));
  const index_t n = static_cast<index_t>(side) * side;
  const int nb = 8;
  auto scene = random_plane(n * nb, 10), ref = random_plane(n * nb, 11);
  std::vector<std::uint8_t> covalid(n, 1), inlier(n);
  std::vector<float> coef(sw::kern::mv_dim * sw::kern::mv_max_bands, 0.0f);
  for (int b = 0; b < nb; ++b) coef[b * sw::kern::mv_dim + b] = 1.01f;
  const sw::kern::planar_view<const float> sv{scene.data(), side, side, nb};
  const sw::kern::planar_view<const float> rv{ref.data(), side, side, nb};
  const sw::kern::mv_max_abs_residual_value value{sv, rv, coef.data(), covalid.data()};
  const sw::kern::cpu_backend be;
  constexpr int bins = 8192;
  std::vector<std::uint32_t> hist(static_cast<std::size_t>(nb) * bins);
  for (auto _ : st) {
    float bw = 0.0f;
    if constexpr (tiled)
      bw = sw::kern::bin_width_to_cover(be, n, value, bins);
    else
      bw = sw::kern::bin_width_to_cover(be, n, max_residual_per_pixel_only{value}, bins);
    const std::vector<float> cut(nb, bw * bins * 0.9f);
    const sw::kern::mv_residual_histograms_fn h{sv, rv,   coef.data(), covalid.data(),
                                                bw, bins, hist.data()};
    const sw::kern::mv_inlier_fn in{sv, rv, coef.data(), cut.data(), covalid.data(), inlier.data()};
    if constexpr (tiled) {
      be.for_each(n, h);
      be.for_each(n, in);
    } else {
      be.for_each(n, histograms_per_pixel_only{h});
      be.for_each(n, inlier_per_pixel_only{in});
    }
    benchmark::ClobberMemory();
  }
  counters(st, 3 * 4.0 * nb * 2);
}

BENCHMARK(BM_valid_mask_udm2)->Apply(sw::bench::one_and_two_threads);
BENCHMARK(BM_normalise_residual_passes_8_bands<true>)->Apply(sw::bench::one_and_two_threads);
BENCHMARK(BM_normalise_residual_passes_8_bands<false>)->Apply(sw::bench::one_and_two_threads);
BENCHMARK(BM_ncc_candidate_stride2<true>)->Apply(sw::bench::one_and_two_threads);
BENCHMARK(BM_ncc_candidate_stride2<false>)->Apply(sw::bench::one_and_two_threads);
BENCHMARK(BM_shift_resample_4_bands)->Apply(sw::bench::one_and_two_threads);
BENCHMARK(BM_normalise_fit_and_apply_8_bands)->Apply(sw::bench::one_and_two_threads);
BENCHMARK(BM_binary_opening_r1)->Apply(sw::bench::one_and_two_threads);
BENCHMARK(BM_median_reference_7x4)->Apply(sw::bench::one_and_two_threads);
BENCHMARK(BM_grey_tophat_r5)->Apply(sw::bench::one_and_two_threads);
BENCHMARK(BM_histogram_median_mad)->Apply(sw::bench::one_and_two_threads);
BENCHMARK(BM_gradient_and_ncc_candidate)->Apply(sw::bench::one_and_two_threads);

}  // namespace
