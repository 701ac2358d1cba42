// Planet PSScene conventions (host/io/planet_names.hpp): file names to item ids and roles,
// the preference among data assets, and band names.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "host/common/error.hpp"
#include "host/io/planet_names.hpp"

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(planet_names, band_names_by_band_count) {
  EXPECT_EQ(sw::planet_band_names(4), (std::vector<std::string>{"blue", "green", "red", "nir"}));
  EXPECT_EQ(sw::planet_band_names(8),
            (std::vector<std::string>{"coastal_blue", "blue", "green_i", "green", "yellow", "red",
                                      "rededge", "nir"}));
  try {
    sw::planet_band_names(5);
    FAIL() << "no throw";
  } catch (const sw::error& e) {
    EXPECT_TRUE(contains(e.what(), "wrong band count 5, expected 4 or 8")) << e.what();
  }
}

TEST(planet_names, ids_with_and_without_the_sequence_number) {
  EXPECT_TRUE(sw::is_planet_id("20231005_013512_59_247d"));
  EXPECT_TRUE(sw::is_planet_id("20231005_013512_1234"));
  EXPECT_FALSE(sw::is_planet_id("20231005_013512_59_247"));   // 22 characters
  EXPECT_FALSE(sw::is_planet_id("20231005-013512_59_247d"));  // '-' for '_'
  EXPECT_FALSE(sw::is_planet_id("20231005_013512_5x_247d"));  // sequence not digits
  EXPECT_FALSE(sw::is_planet_id("20231005_013512_59_24.d"));  // satellite not alphanumeric
}

TEST(planet_names, roles_and_flags_from_the_file_name) {
  const auto data = sw::parse_planet_name("20231005_013512_59_247d_3B_AnalyticMS_SR_8b_clip.tif");
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->id, "20231005_013512_59_247d");
  EXPECT_EQ(data->role, sw::planet_role::data);
  EXPECT_TRUE(data->sr && data->eight_band && data->clip && !data->harmonized);
  EXPECT_EQ(data->product(), "analytic_sr");

  const auto radiance = sw::parse_planet_name("20231005_013512_1234_3b_analyticms.TIF");
  ASSERT_TRUE(radiance.has_value());  // the suffix is matched without regard to case
  EXPECT_EQ(radiance->id, "20231005_013512_1234");
  EXPECT_EQ(radiance->product(), "analytic");
  EXPECT_LT(radiance->rank(), data->rank());

  const auto udm2 = sw::parse_planet_name("20231005_013512_59_247d_3B_udm2_clip.tif");
  ASSERT_TRUE(udm2.has_value());
  EXPECT_EQ(udm2->role, sw::planet_role::udm2);
  EXPECT_TRUE(udm2->clip);
  EXPECT_EQ(sw::parse_planet_name("20231005_013512_59_247d_metadata.json")->role,
            sw::planet_role::metadata);
  // Planet assets sitewatch does not use are recognised, so they are not taken for scenes.
  EXPECT_EQ(sw::parse_planet_name("20231005_013512_59_247d_3B_Visual.tif")->role,
            sw::planet_role::unused);
  EXPECT_EQ(sw::parse_planet_name("20231005_013512_59_247d_1B_AnalyticMS.tif")->role,
            sw::planet_role::unused);
  // Harmonized radiance is no asset sitewatch reads, yet still Planet's; other names are not.
  EXPECT_EQ(sw::parse_planet_name("20231005_013512_59_247d_3B_AnalyticMS_harmonized.tif")->role,
            sw::planet_role::unused);
  EXPECT_FALSE(sw::parse_planet_name("20231005_013512_59_247d_preview.png"));
  EXPECT_FALSE(sw::parse_planet_name("scene.tif"));
}

TEST(planet_names, canonical_band_names_and_spellings) {
  EXPECT_EQ(sw::canonical_band_name("Red"), "red");
  EXPECT_EQ(sw::canonical_band_name("Near-Infrared"), "nir");
  EXPECT_EQ(sw::canonical_band_name(" red edge "), "rededge");
  EXPECT_EQ(sw::canonical_band_name("__Coastal__"), "coastal_blue");
  EXPECT_EQ(sw::canonical_band_name("Panchromatic"), "pan");
  EXPECT_EQ(sw::canonical_band_name("band 1"), "");
  EXPECT_EQ(sw::canonical_band_name("___"), "");
  EXPECT_EQ(sw::canonical_band_name(""), "");
}
