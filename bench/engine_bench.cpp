// One (site, scene) pair through the whole site engine on the CPU backend (valid mask,
// co-registration, normalisation, change, local and reference objects, labelling,
// measurement, reference update), on the rendered scenes of the engine tests.
#include <vector>

#include <benchmark/benchmark.h>
#include <oneapi/tbb/global_control.h>

#include "bench/threads.hpp"
#include "kernels/engine.hpp"
#include "tests/kernels/engine_fixture.hpp"

namespace {

void BM_engine_pair_cpu(benchmark::State& st) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, st.range(0));
  sw::test::scene_factory f;
  auto eng = sw::kern::make_cpu_engine(f.params());
  std::vector<sw::test::rendered_scene> scenes;
  for (int k = 0; k < 8; ++k) {
    sw::test::render_options o;
    o.shift_x = 0.3 * k - 1.0;
    o.gain = 1.0 + 0.03 * k;
    if (k > 3) o.trains = {{10, 20, 3}, {60, 30, 2}};
    o.ships = {{20, 70, 24, 5}};
    scenes.push_back(f.render(o));
  }
  for (int k = 0; k < 4; ++k) eng->process(scenes[k].view(), true, false);
  int k = 4;
  for (auto _ : st) {
    auto r = eng->process(scenes[k].view(), true, false);
    benchmark::DoNotOptimize(r);
    k = k == 7 ? 4 : k + 1;
  }
  const double px = static_cast<double>(f.w) * f.h;
  st.counters["pixels/s"] = benchmark::Counter(px, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["pairs/s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_engine_pair_cpu)->Apply(sw::bench::one_and_two_threads);

}  // namespace
