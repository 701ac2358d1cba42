// The anomaly column's history (host/pipeline/anomaly.cpp): the robust z-score, flagged rows
// kept out of the history (the 73-car day fires once), a lasting level admitted, changed
// areas compared with their season or trend (a quiet site in autumn is not flagged), and a
// change that stands reported once.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "host/pipeline/anomaly.hpp"

namespace {

constexpr std::int64_t day = 86400;

TEST(anomaly, robust_z_is_median_and_mad_with_a_floor_of_one) {
  EXPECT_FALSE(sw::robust_z({}, 3, 1));
  EXPECT_FALSE(sw::robust_z({1, 2}, 3, 3));
  // median 3, MAD 1 -> scale 1.4826
  EXPECT_NEAR(*sw::robust_z({1, 2, 3, 4, 5}, 6, 5), 3 / 1.4826, 1e-12);
  // no spread: the scale is 1
  EXPECT_DOUBLE_EQ(*sw::robust_z({7, 7, 7, 7, 7}, 10, 5), 3.0);
}

TEST(anomaly, a_flagged_day_does_not_poison_the_history) {
  // Counts 4..20 for 20 dates, the 73-car day, then 68 a week later: the first is flagged,
  // and the second too (the 73 did not join the history). Then ordinary days again.
  sw::anomaly_history h(20, 4.0, 5, false);
  std::int64_t t = 0;
  for (int k = 0; k < 20; ++k) h.observe(t += 4 * day, 4 + (k * 7) % 17);
  EXPECT_EQ(h.observe(t += 4 * day, 73), true);
  EXPECT_EQ(h.observe(t += 4 * day, 68), true);
  EXPECT_EQ(h.observe(t += 4 * day, 12), false);
}

TEST(anomaly, too_little_history_gives_no_flag) {
  sw::anomaly_history h(20, 4.0, 5, false);
  for (int k = 0; k < 5; ++k) EXPECT_FALSE(h.observe(k * day, 100.0 * k).has_value());
  EXPECT_TRUE(h.observe(5 * day, 3).has_value());
}

TEST(anomaly, a_level_that_persists_becomes_the_new_normal) {
  // A depot jumps from ~5 to ~30 stacks and stays: flagged for min_history (5) rows, then
  // the level has joined the history and the next rows are normal.
  sw::anomaly_history h(20, 4.0, 5, false);
  std::int64_t t = 0;
  for (int k = 0; k < 10; ++k) h.observe(t += day, 5 + k % 2);
  int flagged = 0;
  for (int k = 0; k < 5; ++k) flagged += *h.observe(t += day, 30 + k % 2) ? 1 : 0;
  EXPECT_EQ(flagged, 5);
  for (int k = 0; k < 5; ++k) EXPECT_EQ(h.observe(t += day, 30 + k % 2), false) << k;
}

TEST(anomaly, changed_area_follows_its_trend) {
  // A quiet site in autumn: its changed fraction grows steadily, 0.01 more every 4 days,
  // with some noise: no row is flagged. A sudden 0.4 on top of the trend is; a step of 0.1
  // is not (fields browning between two dates).
  sw::anomaly_history h(20, 4.0, 5, true);
  std::int64_t t = 0;
  int flags = 0;
  for (int k = 0; k < 30; ++k) {
    t += 4 * day;
    flags += h.observe(t, 0.02 + 0.01 * k + (k % 3) * 0.002).value_or(false);
  }
  EXPECT_EQ(flags, 0);
  EXPECT_GT(*h.score(t + 4 * day, 0.02 + 0.01 * 30), -1.0);
  EXPECT_LT(*h.score(t + 4 * day, 0.02 + 0.01 * 30), 1.0);
  EXPECT_LT(*h.score(t + 4 * day, 0.02 + 0.01 * 30 + 0.1), 4.0);
  EXPECT_EQ(h.observe(t + 4 * day, 0.02 + 0.01 * 30 + 0.4), true);
}

TEST(anomaly, a_change_that_stands_is_reported_once) {
  // A quiet zone (changed fraction ~0.005) whose fields brown in one step to ~0.24 and stay
  // so against a summer background, with a dip to 0.15 (synthetic `quiet` archive, seed 7,
  // archive reference): reported on the first date only. Then back to ~0.005 for ten dates:
  // the change undone is reported once, on its first date. Then a new change of 0.6:
  // reported.
  sw::anomaly_history h(20, 4.0, 5, true);
  std::int64_t t = 0;
  for (int k = 0; k < 12; ++k) EXPECT_NE(h.observe(t += 4 * day, 0.005 * (k % 3)), true) << k;
  const double stands[] = {0.225, 0.152, 0.205, 0.304, 0.262, 0.263, 0.248};
  int reported = 0;
  for (double v : stands) reported += h.observe(t += 4 * day, v).value_or(false) ? 1 : 0;
  EXPECT_EQ(reported, 1);
  EXPECT_EQ(h.observe(t + 4 * day, 0.24), false) << "the same change";
  reported = 0;
  for (int k = 0; k < 10; ++k) reported += h.observe(t += 4 * day, 0.005 * (k % 3)).value_or(false);
  EXPECT_EQ(reported, 1);
  EXPECT_EQ(h.observe(t += 4 * day, 0.6), true) << "a new change";
  // counts are not so: a second abnormal day is reported again
  sw::anomaly_history c(20, 4.0, 5, false);
  for (int k = 0; k < 12; ++k) c.observe(t += day, 5 + k % 2);
  EXPECT_EQ(c.observe(t += day, 40), true);
  EXPECT_EQ(c.observe(t += day, 40), true);
}

TEST(anomaly, changed_area_is_compared_with_the_same_season_of_earlier_years) {
  // Two years of a seasonal cycle (high in November, low in May): in the third year the
  // November values are compared with earlier Novembers, not with the summer before them.
  sw::anomaly_history h(20, 4.0, 5, true);
  const double two_pi = 6.283185307179586;
  auto cycle = [&](std::int64_t tt) {
    return 0.3 + 0.25 * std::cos(two_pi * (static_cast<double>(tt) / day - 320) / 365.2425);
  };
  std::int64_t t = 0;
  for (int k = 0; k < 2 * 92; ++k) {
    t += 4 * day;
    h.observe(t, cycle(t));
  }
  // third year, around day 320 (November): the usual level is normal, double is not
  const std::int64_t nov = (2 * 365 + 320) * day;
  EXPECT_LT(std::fabs(*h.score(nov, cycle(nov))), 4.0);
  EXPECT_GT(*h.score(nov, 2 * cycle(nov)), 4.0);
}

}  // namespace
