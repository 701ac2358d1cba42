// --device: what each value chooses, and the errors for values this build or machine
// cannot honour (host/pipeline/device.cpp).
#include <gtest/gtest.h>

#include <string>

#include "host/common/error.hpp"
#include "host/pipeline/device.hpp"
#include "kernels/engine.hpp"

namespace {

std::string error_of(const std::string& option) {
  try {
    sw::choose_device(option);
  } catch (const sw::input_error& e) {
    return e.what();
  }
  return "";
}

TEST(device, cpu_serial_and_auto) {
  const auto cpu = sw::choose_device("cpu");
  EXPECT_FALSE(cpu.cuda);
  EXPECT_FALSE(cpu.serial);
  EXPECT_EQ(cpu.describe(), "cpu");
  const auto serial = sw::choose_device("serial");
  EXPECT_FALSE(serial.cuda);
  EXPECT_TRUE(serial.serial);
  EXPECT_EQ(serial.describe(), "serial");
  const auto a = sw::choose_device("auto");
  EXPECT_FALSE(a.serial);
  EXPECT_EQ(a.cuda, sw::kern::cuda_device_count() > 0);
  EXPECT_EQ(a.describe().rfind(a.cuda ? "cuda:" : "cpu", 0), 0u) << a.describe();
}

TEST(device, malformed_and_unavailable_values_are_input_errors) {
  EXPECT_NE(error_of("gpu").find("expected auto, cpu, serial, cuda or cuda:N[,M...]"),
            std::string::npos)
      << error_of("gpu");
  if (sw::kern::cuda_device_count() == 0) {
    EXPECT_FALSE(error_of("cuda").empty());
    EXPECT_FALSE(error_of("cuda:0").empty());
  } else {
    EXPECT_NE(error_of("cuda:x").find("'x' is not a device number"), std::string::npos);
    EXPECT_NE(error_of("cuda:999").find("does not exist"), std::string::npos);
  }
}

}  // namespace
