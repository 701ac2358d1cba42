// The serial engine (kernels/serial/backend.hpp: every functor through its per-element,
// device form, the generic launchers, Thrust's sequential system) against the CPU engine
// (tiled and strip forms, oneTBB) on the same rendered scenes: counts identical, floating
// results within 1e-4 relative (SPEC 2), for both change methods. What the GPU test
// checks for CUDA, on every machine: the device's code path runs here.
#include <gtest/gtest.h>

#include "kernels/engine.hpp"
#include "tests/kernels/engine_fixture.hpp"

namespace {

using namespace sw::test;

class engine_serial : public ::testing::TestWithParam<sw::kern::change_method> {};

TEST_P(engine_serial, matches_the_cpu_engine) {
  expect_engines_agree(
      [](const sw::kern::engine_params& p) { return sw::kern::make_cpu_engine(p); },
      [](const sw::kern::engine_params& p) { return sw::kern::make_serial_engine(p); }, GetParam());
}

INSTANTIATE_TEST_SUITE_P(methods, engine_serial,
                         ::testing::Values(sw::kern::change_method::cva,
                                           sw::kern::change_method::mad),
                         method_name);

}  // namespace
