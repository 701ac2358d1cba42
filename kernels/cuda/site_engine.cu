// The CUDA instantiation of the site engine, and device discovery.
#include "kernels/cuda/backend.cuh"
#include "kernels/site_engine.hpp"

#include <cstdio>

namespace sw::kern {

std::unique_ptr<engine> make_cuda_engine(engine_params params, int device) {
  cuda_backend be{std::make_shared<cuda_stream>(device)};
  return std::make_unique<site_engine<cuda_backend>>(be, std::move(params));
}

int cuda_device_count() {
  int n = 0;
  // No driver or no device is not an error here: the answer is "none".
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

std::vector<std::string> cuda_device_descriptions() {
  std::vector<std::string> out;
  const int n = cuda_device_count();
  for (int d = 0; d < n; ++d) {
    cudaDeviceProp p{};
    SW_CUDA_TRY(cudaGetDeviceProperties(&p, d));
    char line[512];
    std::snprintf(line, sizeof line, "cuda:%d %s, %.1f GiB, compute capability %d.%d", d, p.name,
                  static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0), p.major,
                  p.minor);
    out.emplace_back(line);
  }
  return out;
}

}  // namespace sw::kern
