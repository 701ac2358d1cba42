// Connected components + per-component statistics: sitewatch's union-find labelling and
// measurement (CPU backend) against OpenCV's connectedComponentsWithStats (Spaghetti /
// BBDT, parallel) on the same masks, same thread count, in one run.
#include <algorithm>
#include <array>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>
#include <oneapi/tbb/global_control.h>
#include <thrust/scan.h>

#include "kernels/cpu/backend.hpp"
#include "kernels/cpu/label_cpu.hpp"
#include "kernels/cpu/measure_cpu.hpp"
#include "kernels/label.cuh"
#include "kernels/measure.cuh"

#if defined(SW_BENCH_OPENCV)
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace {

using sw::kern::index_t;

// Masks at the given fill: pattern 0 = rectangular blobs of random size on an empty
// ground (like change masks after morphology), 1 = independent pixels (salt noise, the
// worst case for a run-based scan: runs of one or two pixels everywhere).
std::vector<std::uint8_t> make_mask(int w, int h, double fill, int pattern, unsigned seed) {
  std::vector<std::uint8_t> m(static_cast<std::size_t>(w) * h, 0);
  std::mt19937 rng(seed);
  if (pattern == 1) {
    std::bernoulli_distribution on(fill);
    for (auto& v : m) v = on(rng) ? 1 : 0;
    return m;
  }
  std::uniform_int_distribution<int> px(0, w - 1), py(0, h - 1), size(1, 12);
  const index_t target = static_cast<index_t>(fill * w * h);
  index_t on = 0;
  while (on < target) {
    const int cx = px(rng), cy = py(rng), rx = size(rng), ry = size(rng);
    for (int y = std::max(0, cy - ry); y < std::min(h, cy + ry); ++y)
      for (int x = std::max(0, cx - rx); x < std::min(w, cx + rx); ++x) {
        auto& v = m[static_cast<std::size_t>(y) * w + x];
        on += v == 0;
        v = 1;
      }
  }
  return m;
}

struct sw_labeller {
  sw::kern::cpu_backend be;
  std::vector<std::int32_t> comp;
  std::vector<std::int64_t> sums;
  std::vector<std::int32_t> lo, hi;

  index_t run(const std::vector<std::uint8_t>& m, int w, int h) {
    const index_t n = static_cast<index_t>(w) * h;
    comp.resize(n);
    return sw::kern::label_and_moments<std::int32_t>(
        be, m.data(), comp.data(), nullptr, w, h, [&](index_t nc) {
          sums.assign(7 * nc, 0);
          lo.assign(2 * nc, INT32_MAX);
          hi.assign(2 * nc, INT32_MIN);
          return sw::kern::component_sums_over(sums.data(), lo.data(), hi.data(), nc);
        });
  }
};

void set_counters(benchmark::State& st, int w, int h, index_t comps) {
  const double px = static_cast<double>(w) * h;
  st.counters["pixels/s"] = benchmark::Counter(px, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["bytes/s"] = benchmark::Counter(px, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["components"] = static_cast<double>(comps);
}

void BM_label_measure_sitewatch(benchmark::State& st) {
  const int w = static_cast<int>(st.range(0)), h = w;
  const double fill = st.range(1) / 100.0;
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(3));
  const auto m = make_mask(w, h, fill, static_cast<int>(st.range(2)), 1);
  sw_labeller l;
  index_t nc = 0;
  for (auto _ : st) benchmark::DoNotOptimize(nc = l.run(m, w, h));
  set_counters(st, w, h, nc);
}

#if defined(SW_BENCH_OPENCV)
void BM_label_measure_opencv(benchmark::State& st) {
  const int w = static_cast<int>(st.range(0)), h = w;
  const double fill = st.range(1) / 100.0;
  cv::setNumThreads(static_cast<int>(st.range(3)));
  auto m = make_mask(w, h, fill, static_cast<int>(st.range(2)), 1);
  cv::Mat img(h, w, CV_8U, m.data()), labels, stats, centroids;
  int nc = 0;
  for (auto _ : st)
    benchmark::DoNotOptimize(nc = cv::connectedComponentsWithStats(img, labels, stats, centroids, 8,
                                                                   CV_32S, cv::CCL_DEFAULT));
  // Same answer or no timing: areas and boxes of every component, matched by their
  // raster-first pixel (sitewatch's ids follow raster order; OpenCV's need not).
  sw_labeller l;
  const index_t ours = l.run(m, w, h);
  bool same = ours == nc - 1;  // OpenCV counts the background as label 0
  std::vector<std::array<std::int64_t, 5>> a, b;
  for (int c = 1; same && c < nc; ++c)
    a.push_back({stats.at<int>(c, cv::CC_STAT_TOP), stats.at<int>(c, cv::CC_STAT_LEFT),
                 stats.at<int>(c, cv::CC_STAT_WIDTH), stats.at<int>(c, cv::CC_STAT_HEIGHT),
                 stats.at<int>(c, cv::CC_STAT_AREA)});
  for (index_t c = 0; same && c < ours; ++c)
    b.push_back({l.lo[ours + c], l.lo[c], l.hi[c] - l.lo[c] + 1,
                 l.hi[ours + c] - l.lo[ours + c] + 1, l.sums[c]});
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (!same || a != b) st.SkipWithError("sitewatch and OpenCV disagree on this mask");
  set_counters(st, w, h, nc - 1);
}
BENCHMARK(BM_label_measure_opencv)
    ->ArgsProduct({{1024, 4096}, {5, 30}, {0, 1}, {1, 2}})
    ->ArgNames({"side", "fill%", "noise", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
#endif

BENCHMARK(BM_label_measure_sitewatch)
    ->ArgsProduct({{1024, 4096}, {5, 30}, {0, 1}, {1, 2}})
    ->ArgNames({"side", "fill%", "noise", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
