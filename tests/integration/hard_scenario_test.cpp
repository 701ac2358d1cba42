// End to end on the `tumen-hard` archive (docs/SYNTH.md): misregistration a translation
// cannot remove (rotation up to 0.4 degrees, scale), a blur per satellite, haze gradients,
// bright steel rails, a moored hulk and cranes at the port, bright clutter on the apron,
// trains parked for 5-8 dates; with the median and the archive reference. The tolerances
// are those of issue 10 (docs/TESTING.md). None of them switches itself off: too few rows
// to compare is a failure.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "host/pipeline/run.hpp"
#include "synth_archive.hpp"
#include "test_util.hpp"

namespace {

using sw::test::csv_row;

std::string key(const csv_row& r) {
  return r.at("site_id") + "|" + r.at("scene_id") + "|" + r.at("class");
}

// The archive, written once for the tests below.
const std::string& hard_archive() {
  static sw::test::temp_dir dir;
  static const std::string path = sw::test::synth_archive(dir.path().string(), "tumen-hard", 36, 1);
  return path;
}

// Runs `archive` on the CPU into `dir`, its config's reference strategy replaced by
// `strategy` (median or archive) and, when `window` > 0, its window; the site_counts rows.
std::vector<csv_row> run_with_strategy(const std::string& archive, const sw::test::temp_dir& dir,
                                       const std::string& strategy, int window) {
  sw::test::write_edited_config(archive + "/config.toml", dir / "config.toml", [&](sw::config& c) {
    c.reference.strategy =
        strategy == "archive" ? sw::reference_strategy::archive : sw::reference_strategy::median;
    if (window > 0) c.reference.window = window;
  });
  sw::run_options o;
  o.scenes = archive + "/scenes";
  o.sites = archive + "/sites.geojson";
  o.config_path = dir / "config.toml";
  o.out = dir / "out.gpkg";
  o.csv_dir = dir / "csv";
  o.device = "cpu";
  o.quiet = true;
  const int rc = sw::run_batch(o);
  EXPECT_TRUE(rc == 0 || rc == 3) << rc;
  return sw::test::read_csv(dir / "csv/site_counts.csv");
}

// Runs the archive with its config, the reference strategy replaced by `strategy` (window
// `window`), and checks issue 10's tolerances.
// `control_flags`: the most anomalies the control site may have. None with the median
// reference; one with the archive's: its one background does not follow the season, and the
// quiet site's fields that browned in late November stay changed against it, reported once
// (docs/TESTING.md; three times before a standing change was reported once). Its counts are
// held to the same tolerances.
void check_tumen_hard(const std::string& strategy, int window, int max_control_flags) {
  sw::test::temp_dir dir;
  const std::vector<csv_row> rows = run_with_strategy(hard_archive(), dir, strategy, window);
  const std::string archive = hard_archive();

  std::map<std::string, csv_row> got;
  for (const auto& r : rows) got[key(r)] = r;
  struct tally {
    int compared = 0;
    long long abs_err = 0, truth_sum = 0;
  };
  std::map<std::string, tally> t;
  int big_days = 0;
  for (const auto& tr : sw::test::read_csv(archive + "/truth.csv")) {
    const auto it = got.find(key(tr));
    if (it == got.end() || tr.at("observable") != "true") continue;
    const csv_row& g = it->second;
    if (g.at("observable") != "true" || g.at("count").empty() || tr.at("count").empty()) continue;
    tally& s = t[tr.at("class")];
    const int tc = std::stoi(tr.at("count")), gc = std::stoi(g.at("count"));
    ++s.compared;
    s.abs_err += std::abs(tc - gc);
    s.truth_sum += tc;
    if (tc == 73) {  // the 73-car day: counted within 3 and flagged
      ++big_days;
      EXPECT_NEAR(gc, 73, 3);
      EXPECT_EQ(g.at("anomaly"), "true");
    }
  }
  EXPECT_EQ(big_days, 1) << "the 73-car day was not compared";
  for (const auto& [cls, s] : t)
    std::printf("[ hard     ] %-8s %-16s compared %3d  MAE %.3f  relative error %.3f\n",
                strategy.c_str(), cls.c_str(), s.compared, double(s.abs_err) / s.compared,
                s.truth_sum ? double(s.abs_err) / s.truth_sum : 0.0);
  ASSERT_GE(t["railcar"].compared, 15);
  ASSERT_GE(t["ship"].compared, 15);
  ASSERT_GE(t["container_stack"].compared, 15);
  // Ships: the hulk in the berth and the clutter on the apron are not ships (MAE <= 0.2).
  EXPECT_LE(double(t["ship"].abs_err) / t["ship"].compared, 0.2);
  // Rail cars: summed error at most 5% of the summed true count.
  EXPECT_LE(double(t["railcar"].abs_err) / t["railcar"].truth_sum, 0.05);
  EXPECT_LE(double(t["container_stack"].abs_err) / t["container_stack"].truth_sum, 0.15);

  // Anomalies: the 73-car day is the only rail-car anomaly; the control site's, counted.
  int rail_flags = 0, control_flags = 0;
  for (const auto& [k, g] : got) {
    if (g.at("anomaly") != "true") continue;
    rail_flags += g.at("class") == "railcar";
    control_flags += g.at("site_id") == "control";
  }
  EXPECT_EQ(rail_flags, 1);
  std::printf("[ hard     ] %-8s anomalies: rail cars %d, control site %d\n", strategy.c_str(),
              rail_flags, control_flags);
  EXPECT_LE(control_flags, max_control_flags);
}

// Both strategies in one test: ctest runs each test in its own process, and the archive
// is written once per process (under AddressSanitizer that is two minutes).
TEST(hard_scenario, counts_and_anomalies_hold_on_tumen_hard) {
  {
    SCOPED_TRACE("reference.strategy = median, window 7");
    check_tumen_hard("median", 7, 0);
  }
  {
    // every observable date counted, the first included (more rows compared), parked
    // trains counted while they stand
    SCOPED_TRACE("reference.strategy = archive");
    check_tumen_hard("archive", 7, 1);  // the archive takes every observable scene (<= 31)
  }
}

// The `quiet` archive (seed 3): the same sites with nothing on them, ever. Its trouble was a
// scene that needed almost no resampling against a reference pooled from scenes resampled
// at other offsets: crisp tracks against washed-out ones, 55 "rail cars" with the median
// reference (46 on one date), 2 with the archive's, before blur matching
// (kernels/blur_match.cuh). Now: nothing counted with the archive reference, at most 3 cars
// in all with the median's (its first reference has 3 members; docs/TESTING.md), and one
// anomaly at most.
TEST(hard_scenario, an_empty_archive_stays_empty) {
  sw::test::temp_dir archive_dir;
  const std::string archive = sw::test::synth_archive(archive_dir.path().string(), "quiet", 36, 3);
  for (const std::string strategy : {"median", "archive"}) {
    SCOPED_TRACE("reference.strategy = " + strategy);
    sw::test::temp_dir dir;
    const std::vector<csv_row> got = run_with_strategy(archive, dir, strategy, 0);
    std::map<std::string, int> counted, rows;
    int flags = 0;  // anomalies of any site and class
    for (const auto& g : got) flags += g.at("anomaly") == "true";
    for (const auto& g : got) {
      if (g.at("class") == "change" || g.at("count").empty()) continue;
      counted[g.at("class")] += std::stoi(g.at("count"));
      ++rows[g.at("class")];
    }
    std::printf("[ quiet    ] %-8s counted: rail cars %d, ships %d, stacks %d (rows %d, %d, %d)\n",
                strategy.c_str(), counted["railcar"], counted["ship"], counted["container_stack"],
                rows["railcar"], rows["ship"], rows["container_stack"]);
    ASSERT_GE(rows["railcar"], 15);
    ASSERT_GE(rows["ship"], 15);
    ASSERT_GE(rows["container_stack"], 15);
    EXPECT_EQ(counted["ship"], 0);
    EXPECT_EQ(counted["container_stack"], 0);
    EXPECT_LE(counted["railcar"], strategy == "archive" ? 0 : 3);
    // the control site's fields browning in November: reported once at most (4 times with
    // the archive reference before a standing change was reported once)
    EXPECT_LE(flags, 1);
  }
}

}  // namespace
