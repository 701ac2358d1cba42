// The serial instantiation of the site engine (kernels/serial/backend.hpp): the device's
// per-element forms and generic launchers, on the host, for tests on machines without a GPU.
// No CPU overloads are included here, so none can be picked.
#include "kernels/serial/backend.hpp"

#include "kernels/site_engine.hpp"

namespace sw::kern {

std::unique_ptr<engine> make_serial_engine(engine_params params) {
  return std::make_unique<site_engine<serial_backend>>(serial_backend{}, std::move(params));
}

}  // namespace sw::kern
