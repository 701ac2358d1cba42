// The fused difference kernel (distance to the reference's range within the registration
// tolerance + weighted change magnitude + signed brightness difference, kernels/change.cuh)
// on the CPU backend, against a parallel plain
// memory copy of the same number of bytes with the same threads, in one run. The goal
// (issue 3): at least half the copy's bandwidth.
#include <cstring>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>

#include "kernels/change.cuh"
#include "kernels/cpu/backend.hpp"

namespace {

using sw::kern::index_t;

struct change_inputs {
  int w, h, nb;
  std::vector<float> scene, ref, lo, hi, weights, mag, diff, raw;
  std::vector<std::uint8_t> covalid;
  change_inputs(int side, int bands) : w(side), h(side), nb(bands) {
    const std::size_t n = static_cast<std::size_t>(w) * h;
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> v(200.f, 3000.f);
    scene.resize(n * nb);
    ref.resize(n * nb);
    lo.resize(n * nb);
    hi.resize(n * nb);
    for (auto& x : scene) x = v(rng);
    for (auto& x : ref) x = v(rng);
    for (std::size_t i = 0; i < ref.size(); ++i) {
      lo[i] = ref[i] - v(rng) * 0.01f;
      hi[i] = ref[i] + v(rng) * 0.01f;
    }
    weights.assign(nb, 1.0f);
    covalid.assign(n, 1);
    mag.resize(n);
    diff.resize(n);
    raw.resize(n);
  }
  // bytes one pass reads and writes
  double bytes_per_pixel() const { return 4.0 * 4 * nb + 1 + 3 * 4; }
};

void BM_change_magnitude_fused(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(2));
  change_inputs in(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  const sw::kern::cpu_backend be;
  const index_t n = static_cast<index_t>(in.w) * in.h;
  const sw::kern::change_magnitude_fn f{{in.scene.data(), in.w, in.h, in.nb},
                                        {in.ref.data(), in.w, in.h, in.nb},
                                        in.lo.data(),
                                        in.hi.data(),
                                        in.weights.data(),
                                        in.covalid.data(),
                                        in.mag.data(),
                                        in.diff.data(),
                                        in.raw.data()};
  for (auto _ : st) {
    be.for_each(n, f);
    benchmark::ClobberMemory();
  }
  const double px = static_cast<double>(n);
  st.counters["pixels/s"] = benchmark::Counter(px, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["bytes/s"] =
      benchmark::Counter(px * in.bytes_per_pixel(), benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1024);
}

void BM_memcpy_same_bytes(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(2));
  change_inputs in(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)));
  const std::size_t n = static_cast<std::size_t>(in.w) * in.h;
  // read half, write half: the copy moves as many bytes as the kernel reads and writes
  const std::size_t bytes = static_cast<std::size_t>(n * in.bytes_per_pixel() / 2);
  std::vector<char> src(bytes, 1), dst(bytes);
  const std::size_t chunk = 1 << 20;
  for (auto _ : st) {
    tbb::parallel_for(std::size_t{0}, (bytes + chunk - 1) / chunk, [&](std::size_t c) {
      const std::size_t b = c * chunk, e = std::min(bytes, b + chunk);
      std::memcpy(dst.data() + b, src.data() + b, e - b);
    });
    benchmark::ClobberMemory();
  }
  st.counters["pixels/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
  st.counters["bytes/s"] = benchmark::Counter(
      2.0 * bytes, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1024);
}

BENCHMARK(BM_change_magnitude_fused)
    ->ArgsProduct({{2048}, {4, 8}, {1, 2}})
    ->ArgNames({"side", "bands", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_memcpy_same_bytes)
    ->ArgsProduct({{2048}, {4, 8}, {1, 2}})
    ->ArgNames({"side", "bands", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
