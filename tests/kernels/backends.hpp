// The backends a kernel test runs on, written once (Kokkos' TEST_CATEGORY style). Each
// typed suite in tests/kernels/ is compiled twice:
//   - into sw_tests (every build, g++ or clang): over serial_backend (every functor through
//     its per-element device form, the generic launchers: the CUDA backend's code path, on
//     one thread) and cpu_backend (oneTBB, the CPU fast forms run_range / run_row /
//     range_max, the CPU launchers of kernels/cpu/);
//   - into sw_gpu_kernel_tests (the cuda preset, by nvcc, SW_TEST_CUDA_BACKEND defined;
//     tests/CMakeLists.txt): over cuda_backend, labelled `gpu`, skipped where no device.
// Test names read `suite/serial.test`, `suite/cpu.test`, `suite/cuda.test`, so
// `--gtest_filter='*/serial.*'` runs the device code path alone.
//
//   template <class Backend> class water : public sw::test::backend_test<Backend> {};
//   TYPED_TEST_SUITE(water, sw::test::backends, sw::test::backend_name);
//   TYPED_TEST(water, ...) {
//     const auto be = sw::test::make<TypeParam>();
//     sw::test::kvec<float> data(n);          // memory every backend's kernels can read
//     sw::kern::some_launch(be, data.data(), ...);
//     sw::test::finish(be);                   // before the host reads what kernels wrote
//   }
// Tests that are not typed (host arithmetic, CPU-only forms) sit in `#if SW_TEST_HOST`
// blocks: the CUDA compilation leaves them out.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#if defined(SW_TEST_CUDA_BACKEND)
#include <cuda_runtime.h>

#include "kernels/cuda/backend.cuh"
#define SW_TEST_HOST 0
#else
#include "kernels/cpu/backend.hpp"
#include "kernels/serial/backend.hpp"
#define SW_TEST_HOST 1
#endif

namespace sw::test {

#if defined(SW_TEST_CUDA_BACKEND)
using backends = ::testing::Types<sw::kern::cuda_backend>;

// CUDA managed memory (cudaMallocManaged): one pointer the host fills and reads and the
// device's kernels read and write, so a test body is the same code on every backend.
template <class T>
struct managed_allocator {
  using value_type = T;
  managed_allocator() = default;
  template <class U>
  managed_allocator(const managed_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    void* p = nullptr;
    if (cudaMallocManaged(&p, (n == 0 ? 1 : n) * sizeof(T)) != cudaSuccess) {
      (void)cudaGetLastError();
      throw std::bad_alloc();
    }
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { (void)cudaFree(p); }
  template <class U>
  bool operator==(const managed_allocator<U>&) const noexcept {
    return true;
  }
};
template <class T>
using kvec = std::vector<T, managed_allocator<T>>;

inline bool device_present() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  return n > 0;
}

template <class Backend>
Backend make() {
  return Backend{std::make_shared<sw::kern::cuda_stream>(0)};
}
// Waits for the backend's stream: kernels run asynchronously.
template <class Backend>
void finish(const Backend& be) {
  SW_CUDA_TRY(cudaStreamSynchronize(be.s()));
}
#else
using backends = ::testing::Types<sw::kern::serial_backend, sw::kern::cpu_backend>;

template <class T>
using kvec = std::vector<T>;

inline bool device_present() {
  return true;
}

template <class Backend>
Backend make() {
  return Backend{};
}
template <class Backend>
void finish(const Backend&) {}
#endif

// A host copy of kernel memory, to compare with std::vector results.
template <class T>
std::vector<T> host(const kvec<T>& v) {
  return std::vector<T>(v.begin(), v.end());
}
// Kernel memory holding a copy of host values.
template <class T>
kvec<T> kernel_copy(const std::vector<T>& v) {
  return kvec<T>(v.begin(), v.end());
}

// The typed suites' base: skipped where the backend needs a device and none exists.
template <class Backend>
class backend_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!device_present()) GTEST_SKIP() << "no CUDA device";
  }
};

// Names the instantiations after the backend (its `name`: "serial", "cpu", "cuda") rather
// than 0, 1.
struct backend_name {
  template <class Backend>
  static std::string GetName(int) {
    return Backend::name;
  }
};

}  // namespace sw::test
