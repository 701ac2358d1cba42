// The CPU instantiation of the site engine. The CPU launches that overload generic ones
// (labelling and measurement by strips) come with the backend (kernels/cpu/backend.hpp).
#include "kernels/cpu/backend.hpp"

#include "kernels/site_engine.hpp"

namespace sw::kern {

std::unique_ptr<engine> make_cpu_engine(engine_params params) {
  return std::make_unique<site_engine<cpu_backend>>(cpu_backend{}, std::move(params));
}

#if !defined(SW_WITH_CUDA)
std::unique_ptr<engine> make_cuda_engine(engine_params, int) {
  return nullptr;
}
int cuda_device_count() {
  return 0;
}
std::vector<std::string> cuda_device_descriptions() {
  return {};
}
#endif

}  // namespace sw::kern
