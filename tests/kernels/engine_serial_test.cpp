// The serial engine (kernels/serial/backend.hpp: every functor through its per-element,
// device form, the generic launchers, Thrust's sequential system) against the CPU engine
// (tiled and strip forms, oneTBB) on the same rendered scenes: counts identical, floating
// results within 1e-4 relative (SPEC 2), for both change methods and the median and
// previous references. What the GPU test checks for CUDA, on every machine: the device's
// code path runs here.
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "kernels/engine.hpp"
#include "tests/kernels/engine_fixture.hpp"

namespace {

using namespace sw::test;

using sw::kern::change_method;
using sw::kern::reference_kind;

class engine_serial : public ::testing::TestWithParam<std::tuple<change_method, reference_kind>> {};

TEST_P(engine_serial, matches_the_cpu_engine) {
  expect_engines_agree(
      [](const sw::kern::engine_params& p) { return sw::kern::make_cpu_engine(p); },
      [](const sw::kern::engine_params& p) { return sw::kern::make_serial_engine(p); },
      std::get<0>(GetParam()), std::get<1>(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(
    methods_and_references, engine_serial,
    ::testing::Combine(::testing::Values(change_method::cva, change_method::mad),
                       ::testing::Values(reference_kind::median, reference_kind::previous)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param) == change_method::mad ? "mad" : "cva") + "_" +
             (std::get<1>(info.param) == reference_kind::previous ? "previous" : "median");
    });

}  // namespace
