// The archive strategy's chip store: chips come back bit for bit (with and without UDM2),
// a missing chip is an error naming it, a killed run's leftovers are cleared, the folder
// goes with the store; and the choice of the archive's members.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "host/common/error.hpp"
#include "host/io/chip_store.hpp"
#include "tests/test_util.hpp"

namespace {

namespace fs = std::filesystem;

sw::warped_scene random_scene(int w, int h, int bands, bool udm2, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> v(-50.f, 12000.f);
  sw::warped_scene s;
  s.width = w;
  s.height = h;
  s.bands = bands;
  const std::size_t n = static_cast<std::size_t>(w) * h;
  s.data.resize(n * bands);
  for (auto& x : s.data) x = v(rng);
  s.alpha.resize(n);
  for (auto& a : s.alpha) a = static_cast<std::uint8_t>(rng() % 2 ? 255 : rng() % 256);
  if (udm2) {
    s.udm2.resize(n * 8);
    for (auto& u : s.udm2) u = static_cast<std::uint8_t>(rng() % 3 == 0);
  }
  return s;
}

TEST(chip_store, gives_back_each_chip_bit_for_bit) {
  sw::test::temp_dir tmp;
  const fs::path dir = fs::path(tmp.path()) / "out.gpkg.chips" / "3";
  {
    sw::chip_store store(dir.string());
    const auto a = random_scene(67, 41, 4, true, 1);
    const auto b = random_scene(67, 41, 8, false, 2);
    store.put(0, a);
    store.put(17, b);
    EXPECT_GT(store.disk_bytes(), 0);
    EXPECT_LT(store.disk_bytes(), store.raw_bytes() + 1024);
    EXPECT_EQ(store.raw_bytes(), 67LL * 41 * (4 * 4 + 9) + 67LL * 41 * (8 * 4 + 1));
    for (auto [key, want] : {std::pair{std::size_t{0}, &a}, std::pair{std::size_t{17}, &b}}) {
      const auto got = store.get(key, std::pmr::get_default_resource());
      EXPECT_EQ(got.width, want->width);
      EXPECT_EQ(got.height, want->height);
      EXPECT_EQ(got.bands, want->bands);
      ASSERT_EQ(got.data.size(), want->data.size());
      EXPECT_EQ(0, std::memcmp(got.data.data(), want->data.data(), got.data.size() * 4));
      EXPECT_TRUE(got.alpha == want->alpha);
      EXPECT_TRUE(got.udm2 == want->udm2);
    }
    EXPECT_THROW(store.get(5, std::pmr::get_default_resource()), sw::error);
  }
  EXPECT_FALSE(fs::exists(dir)) << "the store removes its folder";
}

TEST(chip_store, clears_what_a_killed_run_left) {
  sw::test::temp_dir tmp;
  const fs::path dir = fs::path(tmp.path()) / "chips";
  fs::create_directories(dir);
  std::ofstream(dir / "0.chip.part") << "half a chip";
  std::ofstream(dir / "0.chip") << "not a chip";
  sw::chip_store store(dir.string());
  EXPECT_FALSE(fs::exists(dir / "0.chip"));
  EXPECT_THROW(store.get(0, std::pmr::get_default_resource()), sw::error);
}

TEST(chip_store, a_damaged_chip_is_an_error_naming_it) {
  sw::test::temp_dir tmp;
  const fs::path dir = fs::path(tmp.path()) / "chips";
  sw::chip_store store(dir.string());
  store.put(2, random_scene(31, 17, 4, true, 3));
  const fs::path chip = dir / "2.chip";
  fs::resize_file(chip, fs::file_size(chip) - 10);  // truncated
  try {
    store.get(2, std::pmr::get_default_resource());
    FAIL() << "a truncated chip was read";
  } catch (const sw::error& e) {
    EXPECT_NE(std::string(e.what()).find("2.chip"), std::string::npos) << e.what();
  }
  std::ofstream(chip, std::ios::binary) << "SWCHIP1";  // a header cut short
  EXPECT_THROW(store.get(2, std::pmr::get_default_resource()), sw::error);
}

}  // namespace
