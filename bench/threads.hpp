// The thread counts every kernel benchmark runs at (1 and 2: this project's CI and
// development machines have two cores), in milliseconds of real time. Use as
// BENCHMARK(BM_x)->Apply(sw::bench::one_and_two_threads); the benchmark reads the count
// from st.range(0).
#pragma once

#include <benchmark/benchmark.h>

namespace sw::bench {

inline void one_and_two_threads(benchmark::internal::Benchmark* b) {
  b->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace sw::bench
