// Buffers in host memory, for the backends that run on the host (cpu_backend,
// serial_backend): plain vectors whose `.data()` is the pointer kernels get, and the memory
// operations every backend offers (kernels/cuda/backend.cuh has the device's).
#pragma once

#include <algorithm>
#include <cstring>
#include <memory_resource>
#include <vector>

#include "kernels/common.hpp"

namespace sw::kern {

struct host_buffers {
  template <class T>
  using buffer = std::vector<T>;

  template <class T>
  buffer<T> alloc(index_t n) const {
    buffer<T> b;  // (not buffer<T>(n): GCC 12 then warns a false stringop-overflow once
    b.resize(static_cast<std::size_t>(n));  // inlined into the serial engine)
    return b;
  }
  template <class T>
  void fill(buffer<T>& b, T value) const {
    std::fill(b.begin(), b.end(), value);
  }
  template <class T>
  void upload(buffer<T>& dst, const T* src, index_t n) const {
    dst.resize(static_cast<std::size_t>(n));
    if (n > 0) std::memcpy(dst.data(), src, static_cast<std::size_t>(n) * sizeof(T));
  }
  template <class T>
  void download(T* dst, const buffer<T>& src, index_t n) const {
    if (n > 0) std::memcpy(dst, src.data(), static_cast<std::size_t>(n) * sizeof(T));
  }
  template <class T>
  std::vector<T> to_host(const buffer<T>& b) const {
    return b;
  }
  template <class T>
  void copy_range(buffer<T>& dst, index_t dst_offset, const buffer<T>& src, index_t src_offset,
                  index_t n) const {
    if (n > 0)
      std::memcpy(dst.data() + dst_offset, src.data() + src_offset,
                  static_cast<std::size_t>(n) * sizeof(T));
  }
  template <class T>
  T read_one(const buffer<T>& b, index_t i) const {
    return b[static_cast<std::size_t>(i)];
  }

  // Host memory for scenes handed to the engine: the ordinary heap.
  std::pmr::memory_resource* host_memory() const { return std::pmr::get_default_resource(); }
  // Makes this backend's device current for the calling thread (nothing to do on the host).
  void activate() const {}
};

}  // namespace sw::kern
