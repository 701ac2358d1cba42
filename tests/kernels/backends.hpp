// The backends a kernel test runs on, written once (Kokkos' TEST_CATEGORY style): a typed
// suite over `host_backends` runs every test on serial_backend (every functor through its
// per-element device form, the generic launchers: the CUDA backend's code path, on one
// thread) and on cpu_backend (oneTBB, the CPU fast forms run_range / run_row / range_max,
// the CPU launchers of kernels/cpu/). Test names read `suite/serial.test` and
// `suite/cpu.test`, so `--gtest_filter='*/serial.*'` runs the device code path alone.
//
//   template <class Backend> class water : public ::testing::Test {};
//   TYPED_TEST_SUITE(water, sw::test::host_backends, sw::test::backend_name);
//   TYPED_TEST(water, ...) { const TypeParam be; ... }
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "kernels/cpu/backend.hpp"
#include "kernels/serial/backend.hpp"

namespace sw::test {

using host_backends = ::testing::Types<sw::kern::serial_backend, sw::kern::cpu_backend>;

// Names the instantiations after the backend (its `name`: "serial", "cpu") rather than 0, 1.
struct backend_name {
  template <class Backend>
  static std::string GetName(int) {
    return Backend::name;
  }
};

}  // namespace sw::test
