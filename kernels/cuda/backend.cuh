// The CUDA backend: device memory allocated stream-ordered, one stream per engine, thin
// __global__ templates for element-wise and 2-D launches, Thrust on the same stream for
// scans and counts. Only this file and kernels/cuda/*.cu are CUDA-specific; the compute
// itself is the SW_HD functors of kernels/*.cuh, which the CPU tests exercise.
//
// Every CUDA call is checked (SW_CUDA_TRY); nothing here synchronises the whole device:
// downloads synchronise their own stream only.
#pragma once

#include <cuda_runtime.h>

#include <memory>
#include <memory_resource>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <thrust/execution_policy.h>
#include <thrust/fill.h>

#include "kernels/common.hpp"

namespace sw::kern {

namespace detail {
// Clears the runtime's last-error state first (cudaGetLastError), so that the next checked
// call on this thread does not report this error again: a failed allocation or a bad launch
// configuration fails its site only. A sticky error (a kernel fault) cannot be cleared: the
// context is unusable, every later call fails with it, and the message says so.
[[noreturn]] inline void throw_cuda_error(cudaError_t e, const char* call, const char* file,
                                          int line) {
  (void)cudaGetLastError();  // reset; a sticky error stays
  const bool sticky = cudaPeekAtLastError() != cudaSuccess;
  throw std::runtime_error(std::string("CUDA error ") + cudaGetErrorName(e) + " (" +
                           cudaGetErrorString(e) + ") in " + call + " at " + file + ":" +
                           std::to_string(line) +
                           (sticky ? "; the error is sticky: this device is unusable until the "
                                     "process ends"
                                   : ""));
}
}  // namespace detail

#define SW_CUDA_TRY(call)                                                            \
  do {                                                                               \
    const cudaError_t sw_cuda_err_ = (call);                                         \
    if (sw_cuda_err_ != cudaSuccess)                                                 \
      ::sw::kern::detail::throw_cuda_error(sw_cuda_err_, #call, __FILE__, __LINE__); \
  } while (0)

// Owning device array, allocated and freed in stream order. Move-only.
template <class T>
class device_buffer {
 public:
  device_buffer() = default;
  device_buffer(index_t n, cudaStream_t stream) : n_(n), stream_(stream) {
    if (n_ > 0)
      SW_CUDA_TRY(cudaMallocAsync(reinterpret_cast<void**>(&p_),
                                  static_cast<std::size_t>(n_) * sizeof(T), stream_));
  }
  device_buffer(device_buffer&& o) noexcept { swap(o); }
  device_buffer& operator=(device_buffer&& o) noexcept {
    device_buffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  ~device_buffer() {
    // No throw from a destructor: a failed free here means the context is already broken,
    // and the next checked call will report it.
    if (p_ != nullptr) (void)cudaFreeAsync(p_, stream_);
  }

  T* data() { return p_; }
  const T* data() const { return p_; }
  index_t size() const { return n_; }

 private:
  void swap(device_buffer& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    std::swap(stream_, o.stream_);
  }
  T* p_ = nullptr;
  index_t n_ = 0;
  cudaStream_t stream_ = nullptr;
};

template <class F>
__global__ void for_each_kernel(index_t n, F f) {
  const index_t stride = static_cast<index_t>(gridDim.x) * blockDim.x;
  for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    f(i);
}

template <class F>
__global__ void for_each_2d_kernel(int width, int height, F f) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (x < width && y < height) f(x, y);
}

// Page-locked host memory (cudaHostAlloc), so that uploads are asynchronous DMA instead of
// a staged copy through the driver. Allocation is slow, so the engine wraps it in a pool.
class pinned_resource final : public std::pmr::memory_resource {
 private:
  void* do_allocate(std::size_t bytes, std::size_t) override {
    void* p = nullptr;
    SW_CUDA_TRY(cudaHostAlloc(&p, bytes == 0 ? 1 : bytes, cudaHostAllocPortable));
    return p;
  }
  void do_deallocate(void* p, std::size_t, std::size_t) override { (void)cudaFreeHost(p); }
  bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override {
    return this == &o;
  }
};

// A stream owned by the engine, destroyed with it.
class cuda_stream {
 public:
  explicit cuda_stream(int device) : device_(device) {
    SW_CUDA_TRY(cudaSetDevice(device_));
    SW_CUDA_TRY(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking));
  }
  ~cuda_stream() {
    if (s_ != nullptr) {
      (void)cudaSetDevice(device_);
      (void)cudaStreamSynchronize(s_);
      (void)cudaStreamDestroy(s_);
    }
  }
  cuda_stream(const cuda_stream&) = delete;
  cuda_stream& operator=(const cuda_stream&) = delete;
  cudaStream_t get() const { return s_; }
  int device() const { return device_; }
  // Pooled page-locked memory for the scenes this engine receives (thread-safe).
  std::pmr::memory_resource* host_memory() { return &pool_; }

 private:
  int device_ = 0;
  cudaStream_t s_ = nullptr;
  pinned_resource pinned_;
  std::pmr::synchronized_pool_resource pool_{&pinned_};
};

struct cuda_backend {
  static constexpr const char* name = "cuda";
  std::shared_ptr<cuda_stream> stream;

  template <class T>
  using buffer = device_buffer<T>;

  cudaStream_t s() const { return stream->get(); }
  std::pmr::memory_resource* host_memory() const { return stream->host_memory(); }
  auto policy() const { return thrust::cuda::par_nosync.on(s()); }
  void activate() const { SW_CUDA_TRY(cudaSetDevice(stream->device())); }

  template <class T>
  buffer<T> alloc(index_t n) const {
    return buffer<T>(n, s());
  }
  template <class T>
  void fill(buffer<T>& b, T value) const {
    if (b.size() > 0) thrust::fill_n(policy(), b.data(), b.size(), value);
  }
  // Host -> device. `src` may be pageable; the copy is then staged by the driver.
  template <class T>
  void upload(buffer<T>& dst, const T* src, index_t n) const {
    if (n > 0)
      SW_CUDA_TRY(cudaMemcpyAsync(dst.data(), src, static_cast<std::size_t>(n) * sizeof(T),
                                  cudaMemcpyHostToDevice, s()));
  }
  // Device -> host, complete on return (synchronises this stream only).
  template <class T>
  void download(T* dst, const buffer<T>& src, index_t n) const {
    if (n <= 0) return;
    SW_CUDA_TRY(cudaMemcpyAsync(dst, src.data(), static_cast<std::size_t>(n) * sizeof(T),
                                cudaMemcpyDeviceToHost, s()));
    SW_CUDA_TRY(cudaStreamSynchronize(s()));
  }
  template <class T>
  std::vector<T> to_host(const buffer<T>& b) const {
    std::vector<T> out(static_cast<std::size_t>(b.size()));
    download(out.data(), b, b.size());
    return out;
  }
  template <class T>
  void copy_range(buffer<T>& dst, index_t dst_offset, const buffer<T>& src, index_t src_offset,
                  index_t n) const {
    if (n > 0)
      SW_CUDA_TRY(cudaMemcpyAsync(dst.data() + dst_offset, src.data() + src_offset,
                                  static_cast<std::size_t>(n) * sizeof(T), cudaMemcpyDeviceToDevice,
                                  s()));
  }
  template <class T>
  T read_one(const buffer<T>& b, index_t i) const {
    T v{};
    SW_CUDA_TRY(cudaMemcpyAsync(&v, b.data() + i, sizeof(T), cudaMemcpyDeviceToHost, s()));
    SW_CUDA_TRY(cudaStreamSynchronize(s()));
    return v;
  }

  template <class F>
  void for_each(index_t n, F f) const {
    if (n <= 0) return;
    constexpr int block = 256;
    const index_t blocks = (n + block - 1) / block;
    const unsigned grid = static_cast<unsigned>(blocks < 65535 * 16 ? blocks : 65535 * 16);
    for_each_kernel<<<grid, block, 0, s()>>>(n, f);
    SW_CUDA_TRY(cudaGetLastError());
  }
  template <class F>
  void for_each_2d(int width, int height, F f) const {
    if (width <= 0 || height <= 0) return;
    const dim3 block(32, 8);
    const dim3 grid((width + 31) / 32, (height + 7) / 8);
    for_each_2d_kernel<<<grid, block, 0, s()>>>(width, height, f);
    SW_CUDA_TRY(cudaGetLastError());
  }
};

}  // namespace sw::kern
