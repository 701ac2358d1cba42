// Issue 14, item 2: the pure pieces of the HTML report (host/output/report_parts.hpp): nice
// ticks (integer for counts), the dated axis, gaps that split a line, the history an anomaly
// is told against and its sentence, the reference read back. The page as a whole is checked
// by tests/integration/synth_run_test.cpp and in a browser by tests/report/browser_test.py.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host/io/scene_time.hpp"
#include "host/output/report_parts.hpp"

namespace {

using namespace sw::report;

std::int64_t at(const char* rfc3339) {
  return sw::parse_rfc3339(rfc3339).value();
}

point pt(std::optional<double> v, bool observable = true, bool anomaly = false) {
  point p;
  p.observable = observable;
  p.value = v;
  p.anomaly = anomaly;
  return p;
}

TEST(report_ticks, nice_numbers_follow_heckbert) {
  EXPECT_DOUBLE_EQ(nice_number(73, false), 100);
  EXPECT_DOUBLE_EQ(nice_number(25, true), 20);
  EXPECT_DOUBLE_EQ(nice_number(0.034, true), 0.05);
  EXPECT_DOUBLE_EQ(nice_number(1.4, true), 1);
  EXPECT_DOUBLE_EQ(nice_number(6.9, true), 5);
  EXPECT_DOUBLE_EQ(nice_number(7, true), 10);
  EXPECT_DOUBLE_EQ(nice_number(2, false), 2);
  EXPECT_DOUBLE_EQ(nice_number(2.01, false), 5);
  EXPECT_DOUBLE_EQ(nice_number(0, true), 0);
}

TEST(report_ticks, integer_axes_never_repeat_a_label) {
  // the ship chart read 0, 0, 1, 1, 1 (max 1 count, five ticks of 0.275 printed as integers)
  const axis a = nice_axis(0, 1, 5, true);
  EXPECT_EQ(a.ticks, (std::vector<double>{0, 1}));
  EXPECT_EQ(nice_axis(0, 2, 5, true).ticks, (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(nice_axis(0, 6, 5, true).ticks, (std::vector<double>{0, 2, 4, 6}));
  EXPECT_EQ(nice_axis(0, 73, 5, true).ticks, (std::vector<double>{0, 20, 40, 60, 80}));
  for (double hi : {1.0, 2.0, 3.0, 4.0, 7.0, 11.0, 19.0, 73.0, 140.0, 999.0}) {
    const axis b = nice_axis(0, hi, 5, true);
    EXPECT_GE(b.step, 1) << hi;
    EXPECT_LE(b.ticks.front(), 0) << hi;
    EXPECT_GE(b.ticks.back(), hi) << hi;
    EXPECT_LE(b.ticks.size(), 7u) << hi;
    std::vector<std::string> labels;
    for (double t : b.ticks) labels.push_back(tick_label(t, b.step));
    for (std::size_t i = 1; i < labels.size(); ++i) EXPECT_NE(labels[i], labels[i - 1]) << hi;
  }
}

TEST(report_ticks, real_axes_and_flat_series) {
  const axis a = nice_axis(0, 0.34, 5, false);
  EXPECT_DOUBLE_EQ(a.step, 0.1);
  EXPECT_EQ(a.ticks.size(), 5u);
  EXPECT_EQ(tick_label(a.ticks[3], a.step), "0.3");
  EXPECT_EQ(tick_label(-1e-17, 0.1), "0");
  EXPECT_EQ(tick_label(1500, 500), "1500");
  EXPECT_EQ(tick_label(10000, 5000), "10k");
  EXPECT_EQ(tick_label(7500, 2500), "7.5k");
  EXPECT_EQ(tick_label(0, 2000), "0");
  EXPECT_EQ(tick_label(0.75, 0.25), "0.75");
  const axis flat = nice_axis(0, 0, 5, true);  // all zero: still 0 and 1
  EXPECT_EQ(flat.ticks, (std::vector<double>{0, 1}));
}

TEST(report_ticks, dated_axis_uses_calendar_boundaries) {
  // 48 dates from July to December: months
  auto m = date_ticks(at("2023-07-01T01:35:00Z"), at("2023-12-20T01:35:00Z"), 8);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].t, at("2023-08-01T00:00:00Z"));
  EXPECT_EQ(m[0].label, "Aug 2023");
  EXPECT_EQ(m[1].label, "Sep");
  EXPECT_EQ(m[4].label, "Dec");
  // across a new year, the year where it changes
  auto y = date_ticks(at("2023-10-15T00:00:00Z"), at("2024-02-10T00:00:00Z"), 6);
  ASSERT_EQ(y.size(), 4u);
  EXPECT_EQ(y[2].label, "Jan 2024");
  // three weeks: Mondays
  auto w = date_ticks(at("2023-10-01T05:00:00Z"), at("2023-10-22T05:00:00Z"), 5);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].t, at("2023-10-02T00:00:00Z"));  // a Monday
  EXPECT_EQ(w[0].label, "Oct 2, 2023");
  EXPECT_EQ(w[1].label, "Oct 9");
  // a few days: days
  auto d = date_ticks(at("2023-10-01T05:00:00Z"), at("2023-10-04T05:00:00Z"), 6);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[2].label, "Oct 4");
  // years of data: quarters, then years
  auto q = date_ticks(at("2022-01-10T00:00:00Z"), at("2023-06-01T00:00:00Z"), 6);
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[0].label, "Apr 2022");
  EXPECT_EQ(q[3].label, "Jan 2023");
  auto yy = date_ticks(at("2015-03-01T00:00:00Z"), at("2023-06-01T00:00:00Z"), 6);
  ASSERT_FALSE(yy.empty());
  EXPECT_EQ(yy.front().label, "2016");
  // no midnight in the span: one tick with the date
  auto one = date_ticks(at("2023-10-03T01:00:00Z"), at("2023-10-03T02:00:00Z"), 5);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].label, "2023-10-03");
  EXPECT_EQ(iso_date(at("1999-12-31T23:59:59Z")), "1999-12-31");
}

TEST(report_series, gaps_split_the_line) {
  const std::vector<point> pts = {pt(3), pt(4),       pt(std::nullopt, false), pt(5), pt(2, false),
                                  pt(6), pt(7, true), pt(std::nullopt)};
  // not observable (even with a value) and observable without a value both end a run
  EXPECT_EQ(value_runs(pts), (std::vector<run>{{0, 2}, {3, 4}, {5, 7}}));
  EXPECT_TRUE(value_runs({}).empty());
  EXPECT_TRUE(value_runs({pt(std::nullopt, false)}).empty());
  EXPECT_EQ(value_runs({pt(1)}), (std::vector<run>{{0, 1}}));
}

TEST(report_anomaly, history_leaves_out_flagged_and_unobservable_rows) {
  std::vector<point> pts = {
      pt(6), pt(20), pt(4), pt(99, false), pt(7), pt(73, true, true), pt(68, true, true)};
  const auto h = history_before(pts, 6);  // the 68 after the 73: neither 73 nor 99 counts
  ASSERT_TRUE(h);
  EXPECT_EQ(h->n, 4);
  EXPECT_DOUBLE_EQ(h->median, 6.5);
  EXPECT_DOUBLE_EQ(h->max, 20);
  EXPECT_DOUBLE_EQ(history_before(pts, 3)->median, 6);
  EXPECT_FALSE(history_before(pts, 0));
}

TEST(report_anomaly, sentences_read_like_the_issue) {
  point p = pt(73, true, true);
  p.acquired = "2023-10-03T01:35:12Z";
  EXPECT_EQ(anomaly_sentence("tumangang_rail", "rail_car", p, history{30, 6, 20}),
            "tumangang_rail: 73 rail cars on 2023-10-03, history median 6, max 20");
  p.value = 1;
  EXPECT_EQ(anomaly_sentence("rajin_port", "ship", p, history{3, 0, 0}),
            "rajin_port: 1 ship on 2023-10-03, history median 0, max 0");
  p.value = 5312.4;
  EXPECT_EQ(anomaly_sentence("control", "change", p, history{8, 812.4, 1200}),
            "control: 5312 m² changed on 2023-10-03, history median 812 m², max 1200 m²");
  EXPECT_EQ(anomaly_sentence("control", "change", p, std::nullopt),
            "control: 5312 m² changed on 2023-10-03, no earlier history");
  EXPECT_EQ(class_noun("container_stack", 2), "container stacks");
  EXPECT_EQ(class_noun("bus", 2), "buses");
  EXPECT_EQ(class_noun("lorry", 0), "lorries");
  EXPECT_EQ(class_noun("tray", 3), "trays");
}

TEST(report_anomaly, headlines_give_every_series_its_turn) {
  EXPECT_NEAR(departure(73, history{30, 6, 20}), 67.0 / 14, 1e-12);
  EXPECT_DOUBLE_EQ(departure(3, history{5, 0, 0}), 3);    // a flat history: over 1
  EXPECT_DOUBLE_EQ(departure(0, history{5, 10, 12}), 5);  // a drop counts too
  EXPECT_GT(departure(1, std::nullopt), 1e6);
  // a depot that fills up (five anomalies) against one rail day and one port day
  const std::vector<std::string> g = {"depot", "depot", "rail", "depot", "port", "depot", "depot"};
  const std::vector<double> d = {2.0, 4.0, 4.8, 5.0, 3.0, 8.0, 6.0};
  EXPECT_EQ(headlines(g, d, 4), (std::vector<std::size_t>{5, 2, 4, 6}));
  EXPECT_EQ(headlines(g, d, 100).size(), 7u);
  EXPECT_TRUE(headlines(g, d, 0).empty());
  EXPECT_TRUE(headlines({}, {}, 5).empty());
}

TEST(report_reference, read_back_and_the_chip_that_stands_for_it) {
  const auto m = parse_reference("median:a+b+c");
  EXPECT_EQ(m.kind, "median");
  EXPECT_EQ(m.ids, (std::vector<std::string>{"a", "b", "c"}));
  const auto q = parse_reference("archive q0.25:x+y");
  EXPECT_EQ(q.kind, "archive q0.25");
  EXPECT_EQ(q.ids.size(), 2u);
  EXPECT_EQ(parse_reference("previous:20231003_013512_1_2456").ids.front(),
            "20231003_013512_1_2456");
  EXPECT_TRUE(parse_reference("").ids.empty());
  const std::map<std::string, std::int64_t> t = {{"a", 30}, {"b", 10}, {"c", 20}};
  EXPECT_EQ(reference_chip_scene(m, t), "a");  // the most recent member, not the last named
  EXPECT_EQ(reference_chip_scene(parse_reference("fixed:b"), t), "b");
  EXPECT_EQ(reference_chip_scene(parse_reference("median:"), t), "");
}

}  // namespace
