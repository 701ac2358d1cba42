// The serial backend: host memory, one thread, and every functor through its per-element
// (device) form: `for_each` calls f(i) and `for_each_2d` f(x, y) in index order, never a
// CPU fast form (run_range, run_row, range_max), and the generic launchers (labelling,
// measurement) run as they do on a GPU, not their CPU overloads (kernels/cpu/label_cpu.hpp,
// measure_cpu.hpp, which take a cpu_backend). Thrust runs with its sequential `cpp` system.
// So site_engine<serial_backend> executes the launch sequence and arithmetic of the CUDA
// backend on machines without a GPU, where tests compare it with the CPU engine (like
// Kokkos' Serial or Thrust's cpp systems). Not for production: it is slow by design.
#pragma once

#include <thrust/system/cpp/execution_policy.h>

#include "kernels/common.hpp"
#include "kernels/host_buffers.hpp"

namespace sw::kern {

struct serial_backend : host_buffers {
  static constexpr const char* name = "serial";

  template <class F>
  void for_each(index_t n, F f) const {
    for (index_t i = 0; i < n; ++i) f(i);
  }

  template <class F>
  void for_each_2d(int width, int height, F f) const {
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) f(x, y);
  }

  auto policy() const { return thrust::cpp::par; }
};

}  // namespace sw::kern
