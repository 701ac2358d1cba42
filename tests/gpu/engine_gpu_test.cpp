// The CUDA engine against the CPU engine on the same rendered scenes: counts identical,
// floating results within 1e-4 relative (SPEC 2), for both change methods. Labelled `gpu`;
// skips without a device.
#include <gtest/gtest.h>

#include "kernels/engine.hpp"
#include "tests/kernels/engine_fixture.hpp"

namespace {

using namespace sw::test;

class engine_gpu : public ::testing::TestWithParam<sw::kern::change_method> {};

TEST_P(engine_gpu, matches_the_cpu_engine) {
  if (sw::kern::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  expect_engines_agree(
      [](const sw::kern::engine_params& p) { return sw::kern::make_cpu_engine(p); },
      [](const sw::kern::engine_params& p) { return sw::kern::make_cuda_engine(p, 0); },
      GetParam());
}

INSTANTIATE_TEST_SUITE_P(methods, engine_gpu,
                         ::testing::Values(sw::kern::change_method::cva,
                                           sw::kern::change_method::mad),
                         method_name);

}  // namespace
