// The remaining per-pixel kernels on the CPU backend, 2048² pixels, 1 and 2 threads:
// median reference of 7 members, separable grey morphology (a top-hat's four passes),
// a 32768-bin histogram with its statistics, gradient + one NCC candidate sum.
#include <random>
#include <vector>

#include <benchmark/benchmark.h>
#include <oneapi/tbb/global_control.h>

#include "kernels/coregister.cuh"
#include "kernels/cpu/backend.hpp"
#include "kernels/histogram.cuh"
#include "kernels/morphology.cuh"
#include "kernels/reduce.hpp"
#include "kernels/reference.cuh"

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

void BM_median_reference_7x4(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(0));
  const index_t n = static_cast<index_t>(side) * side;
  const int members = 7, nb = 4;
  auto bands = random_plane(n * members * nb, 1);
  std::vector<std::uint8_t> valid(n * members, 1), out_valid(n);
  std::vector<float> out(n * nb);
  const sw::kern::cpu_backend be;
  for (auto _ : st) {
    be.for_each(n, sw::kern::median_reference_fn{bands.data(), valid.data(), members, nb, n,
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

BENCHMARK(BM_median_reference_7x4)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_grey_tophat_r5)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_histogram_median_mad)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_gradient_and_ncc_candidate)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
