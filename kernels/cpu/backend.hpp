// The CPU backend: host memory, oneTBB for parallel loops, Thrust with its TBB system for
// scans and sorts. Every generic algorithm (kernels/*.hpp) is a template over a backend;
// this one and kernels/cuda/backend.cuh offer the same members.
#pragma once

#include <algorithm>
#include <concepts>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/blocked_range2d.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_reduce.h>
#include <thrust/system/tbb/execution_policy.h>

#include "kernels/common.hpp"
#include "kernels/host_buffers.hpp"

namespace sw::kern {

// A functor that also offers a tiled CPU form of its per-element arithmetic.
template <class F>
concept has_range_form = requires(const F& f, index_t a, index_t b) {
  f.run_range(a, b);
};
// A functor whose index stands for more than a pixel (a chunk, a row) states how many
// indices make a task worth splitting off; pixels default to 4096.
template <class F>
concept has_cpu_grain = requires {
  F::cpu_grain;
};
// A 2-D functor that also offers a CPU form for a whole row.
template <class F>
concept has_row_form = requires(const F& f, int y) {
  f.run_row(y);
};

namespace detail {

// Strips of rows for the CPU launches that work a strip per task (labelling, measurement):
// several per thread for balance, at least 16 rows each.
struct row_strips {
  int count;
  int height;
  explicit row_strips(int h) : height(h) {
    const int threads = std::max(1, tbb::this_task_arena::max_concurrency());
    count = std::clamp(h / 16, 1, 4 * threads);
  }
  int begin(int s) const { return static_cast<int>(static_cast<long long>(height) * s / count); }
};

}  // namespace detail

struct cpu_backend : host_buffers {
  static constexpr const char* name = "cpu";

  // f(i) for i in [0, n); f.run_range(begin, end) where the functor has a tiled form.
  template <class F>
  void for_each(index_t n, F f) const {
    if (n <= 0) return;
    index_t grain = 4096;
    if constexpr (has_cpu_grain<F>) grain = F::cpu_grain;
    tbb::parallel_for(tbb::blocked_range<index_t>(0, n, grain),
                      [&](const tbb::blocked_range<index_t>& r) {
                        if constexpr (has_range_form<F>) {
                          f.run_range(r.begin(), r.end());
                        } else {
                          for (index_t i = r.begin(); i != r.end(); ++i) f(i);
                        }
                      });
  }

  // f(x, y) for every pixel of a width x height grid, rows split across threads.
  template <class F>
  void for_each_2d(int width, int height, F f) const {
    if (width <= 0 || height <= 0) return;
    const int grain = std::max(1, 16384 / width);
    tbb::parallel_for(tbb::blocked_range<int>(0, height, grain),
                      [&](const tbb::blocked_range<int>& r) {
                        for (int y = r.begin(); y != r.end(); ++y) {
                          if constexpr (has_row_form<F>) {
                            f.run_row(y);
                          } else {
                            for (int x = 0; x < width; ++x) f(x, y);
                          }
                        }
                      });
  }

  // max(0, f(i) for i in [0, n)) through f.range_max(begin, end), its tiled form of the
  // same (max is exact in any order): what bin_width_to_cover takes with a transform_reduce
  // for functors without one.
  template <class F>
  requires requires(const F& f, index_t a) {
    { f.range_max(a, a) } -> std::convertible_to<float>;
  }
  float max_of_range(index_t n, F f) const {
    return tbb::parallel_reduce(
        tbb::blocked_range<index_t>(0, n, 4096), 0.0f,
        [&](const tbb::blocked_range<index_t>& r, float m) {
          const float v = f.range_max(r.begin(), r.end());
          return m < v ? v : m;
        },
        [](float a, float b) { return a < b ? b : a; });
  }

  auto policy() const { return thrust::tbb::par; }
};

}  // namespace sw::kern

// The CPU overloads of the generic launchers (labelling over runs with moments,
// kernels/cpu/label_cpu.hpp; extents by strips, measure_cpu.hpp) come with the backend:
// whatever names cpu_backend sees them, and overload resolution picks them for it (they
// take a cpu_backend, so no other backend can) -- not the order of anyone's includes.
#include "kernels/cpu/label_cpu.hpp"
#include "kernels/cpu/measure_cpu.hpp"
