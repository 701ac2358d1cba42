#include <gtest/gtest.h>

#include "host/common/error.hpp"

TEST(error, expects_names_file_and_line) {
  try {
    SW_EXPECTS(1 + 1 == 3, "arithmetic is broken");
    FAIL() << "no throw";
  } catch (const sw::error& e) {
    EXPECT_NE(std::string(e.what()).find("arithmetic is broken ("), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("error_test.cpp:"), std::string::npos);
  }
}
