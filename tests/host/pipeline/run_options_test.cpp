// The run's option parsers (host/pipeline/run.hpp): --memory-budget sizes and --shard I/N.
#include <gtest/gtest.h>

#include <string>

#include "host/common/error.hpp"
#include "host/pipeline/run.hpp"

namespace {

TEST(run_options, sizes_take_binary_units_in_any_case) {
  EXPECT_EQ(sw::parse_size("100"), 100);
  EXPECT_EQ(sw::parse_size("100b"), 100);
  EXPECT_EQ(sw::parse_size("4K"), 4096);
  EXPECT_EQ(sw::parse_size("512M"), 512LL << 20);
  EXPECT_EQ(sw::parse_size("512mb"), 512LL << 20);
  EXPECT_EQ(sw::parse_size("2GiB"), 2LL << 30);
  EXPECT_EQ(sw::parse_size("1.5g"), 3LL << 29);
  EXPECT_EQ(sw::parse_size("1T"), 1LL << 40);
  for (const char* bad : {"", "abc", "0", "-1G", "4X", "G", "4 gigabytes"})
    EXPECT_THROW(sw::parse_size(bad), sw::input_error) << bad;
}

TEST(run_options, shards_are_i_of_n) {
  EXPECT_EQ(sw::parse_shard(""), (std::pair<int, int>{0, 1}));
  EXPECT_EQ(sw::parse_shard("0/1"), (std::pair<int, int>{0, 1}));
  EXPECT_EQ(sw::parse_shard("3/4"), (std::pair<int, int>{3, 4}));
  for (const char* bad : {"4/4", "-1/4", "1/0", "1", "1/2x", "a/b", "1/2/3"})
    EXPECT_THROW(sw::parse_shard(bad), sw::input_error) << bad;
}

}  // namespace
