// Acquisition times as text (host/io/scene_time.hpp): RFC 3339 both ways, the TIFF DateTime
// tag and a Planet item id's date.
#include <cstdint>

#include <gtest/gtest.h>

#include "host/io/scene_time.hpp"

// ---- RFC 3339 ---------------------------------------------------------------------------------

TEST(rfc3339, parses_every_accepted_form) {
  const std::int64_t t = 1696469712;  // 2023-10-05T01:35:12Z
  for (const char* text :
       {"2023-10-05T01:35:12Z", "2023-10-05T01:35:12z", "2023-10-05t01:35:12Z",
        "2023-10-05 01:35:12Z", "2023-10-05T01:35:12.59Z", "2023-10-05T01:35:12.5Z",
        "2023-10-05T01:35:12.999999999999Z", "2023-10-05T10:35:12+09:00",
        "2023-10-04T20:35:12-05:00", "2023-10-05T01:35:12+00:00", "2023-10-05T01:35:12-00:00",
        "2023-10-05T07:05:12.25+05:30"}) {
    const auto parsed = sw::parse_rfc3339(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_EQ(*parsed, t) << text;
  }
  EXPECT_EQ(sw::parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(sw::parse_rfc3339("1969-12-31T23:59:59Z"), -1);
  EXPECT_EQ(sw::parse_rfc3339("2024-02-29T00:00:00Z"), 1709164800);
  EXPECT_EQ(sw::parse_rfc3339("2000-02-29T12:00:00Z"), 951825600);
  EXPECT_EQ(sw::parse_rfc3339("9999-12-31T23:59:59Z"), 253402300799);
  // A leap second lands on the next minute.
  EXPECT_EQ(sw::parse_rfc3339("2016-12-31T23:59:60Z"), 1483228800);
}

TEST(rfc3339, rejects_garbage_and_out_of_range_fields) {
  for (const char* text : {"",
                           "garbage",
                           "2023-10-05",
                           "2023-10-05T01:35:12",
                           "2023-13-01T00:00:00Z",
                           "2023-00-10T00:00:00Z",
                           "2023-10-32T00:00:00Z",
                           "2023-10-00T00:00:00Z",
                           "2023-02-29T00:00:00Z",
                           "1900-02-29T00:00:00Z",
                           "2023-04-31T00:00:00Z",
                           "2023-10-05T24:00:00Z",
                           "2023-10-05T01:60:00Z",
                           "2023-10-05T01:35:61Z",
                           "2023-10-05T01:35:12.Z",
                           "2023-10-05T01:35:12+0900",
                           "2023-10-05T01:35:12+09",
                           "2023-10-05T01:35:12+24:00",
                           "2023-10-05T01:35:12+09:60",
                           "2023-10-05T01:35:12Zjunk",
                           "2023-10-05T01:35:12ZZ",
                           "2023-10-05X01:35:12Z",
                           "2023/10/05T01:35:12Z",
                           " 2023-10-05T01:35:12Z",
                           "2023-10-05T01:35:12Z ",
                           "2023-1-05T01:35:12Z",
                           "2023-10-05T1:35:12Z",
                           "+2023-10-05T01:35:12Z",
                           "2023-10-05T01:35:12 Z",
                           "2023-10-05T01:35:12,5Z",
                           "20231005T013512Z",
                           "2023-1a-05T01:35:12Z"}) {
    EXPECT_FALSE(sw::parse_rfc3339(text).has_value()) << '"' << text << '"';
  }
}

TEST(rfc3339, formats_utc_with_z_and_round_trips) {
  EXPECT_EQ(sw::format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(sw::format_rfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(sw::format_rfc3339(1696469712), "2023-10-05T01:35:12Z");
  EXPECT_EQ(sw::format_rfc3339(1709164800), "2024-02-29T00:00:00Z");
  EXPECT_EQ(sw::format_rfc3339(253402300799), "9999-12-31T23:59:59Z");
  for (std::int64_t t = -86400LL * 800; t < 86400LL * 365 * 60; t += 86400LL * 17 + 3671)
    EXPECT_EQ(sw::parse_rfc3339(sw::format_rfc3339(t)), t) << t;
}

// ---- TIFF DateTime and Planet ids -------------------------------------------------------------

TEST(tiff_datetime, colons_or_dashes_space_or_t_trailing_padding) {
  const std::int64_t t = 1696469712;  // 2023-10-05T01:35:12Z
  for (const char* text : {"2023:10:05 01:35:12", "2023-10-05 01:35:12", "2023:10:05T01:35:12",
                           "2023:10:05 01:35:12  "}) {
    EXPECT_EQ(sw::parse_tiff_datetime(text), t) << '"' << text << '"';
  }
  EXPECT_EQ(sw::parse_tiff_datetime(std::string("2023:10:05 01:35:12\0", 20)), t);
  for (const char* text :
       {"", "2023:10:05", "2023:10-05 01:35:12", "2023:10:05_01:35:12", "2023:13:05 01:35:12",
        "2023:10:05 01:35:1x", " 2023:10:05 01:35:12", "2023-10-05T01:35:12Z"}) {
    EXPECT_FALSE(sw::parse_tiff_datetime(text).has_value()) << '"' << text << '"';
  }
}

TEST(planet_id_time, date_and_time_prefix_of_the_id) {
  EXPECT_EQ(sw::time_from_planet_id("20231005_013512_59_247d"), 1696469712);
  EXPECT_EQ(sw::time_from_planet_id("20231005_013512_1234"), 1696469712);
  EXPECT_FALSE(sw::time_from_planet_id("20231399_013512_59_247d").has_value());
  EXPECT_FALSE(sw::time_from_planet_id("20231005_253512_59_247d").has_value());
  EXPECT_FALSE(sw::time_from_planet_id("2023100").has_value());
}

TEST(ascii_digits, exactly_n_digits_or_minus_one) {
  EXPECT_EQ(sw::ascii_digits("x0123", 1, 4), 123);
  EXPECT_EQ(sw::ascii_digits("12", 0, 2), 12);
  EXPECT_EQ(sw::ascii_digits("12", 0, 3), -1);
  EXPECT_EQ(sw::ascii_digits("1a", 0, 2), -1);
  EXPECT_EQ(sw::ascii_digits("12", 2, 0), 0);
}
