// --device auto|cpu|serial|cuda[:N,...]: which backend runs the kernels.
#pragma once

#include <string>
#include <vector>

namespace sw {

struct device_choice {
  bool cuda = false;
  // The serial engine (kernels/serial/backend.hpp): one thread, the GPU's code path on the
  // CPU, for checking a machine without a GPU against what CUDA would compute. Slow.
  bool serial = false;
  std::vector<int> gpus;         // CUDA device ordinals, when cuda
  std::string describe() const;  // "cpu", "serial" or "cuda:0,1"
  // The GPUs used, one line each ("cuda:0 NVIDIA H100 80GB HBM3, 79.1 GiB, compute
  // capability 9.0"), then CUDA_VISIBLE_DEVICES when it is set; empty on the CPU.
  std::string models() const;
};

// Parses and checks the option against what this build and machine have. "auto": CUDA when
// the build has it and a device is present, else the CPU. Throws sw::input_error for a
// malformed value, a CUDA request in a CPU-only build, or a device that does not exist.
device_choice choose_device(const std::string& option);

}  // namespace sw
