// End to end through the serial engine (`--device serial`: the device's per-element forms
// and generic launchers on one thread, kernels/serial/backend.hpp) against the CPU engine:
// the demo's `tumen` archive with its config, and the `tumen-hard` archive with its config
// and with the archive reference and IR-MAD change. Tables compared row by row as SPEC 2
// asks across backends: integers and text identical, floats within 1e-4 relative; the
// detections likewise, in their exported order. So CPU CI runs the code path the CUDA
// backend runs, over every step the pipeline uses (on water, static objects, the peak cut,
// the quantile reference, both change methods).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <set>
#include <string>

#include "host/pipeline/run.hpp"
#include "synth_archive.hpp"
#include "test_util.hpp"

namespace {

using sw::test::csv_row;

std::string make_archive(const sw::test::temp_dir& dir, const std::string& scenario) {
  return sw::test::synth_archive(dir.path().string(), scenario, 16, 3);
}

// Runs `archive` with `config` on `device`; the CSV folder.
std::string run_on(const sw::test::temp_dir& dir, const std::string& archive,
                   const std::string& config, const std::string& device) {
  sw::run_options o;
  o.scenes = archive + "/scenes";
  o.sites = archive + "/sites.geojson";
  o.config_path = config;
  o.out = dir / (device + ".gpkg");
  o.csv_dir = dir / (device + "-csv");
  o.device = device;
  o.threads = 2;
  o.quiet = true;
  const int rc = sw::run_batch(o);
  EXPECT_TRUE(rc == 0 || rc == 3) << device << " " << rc;
  return o.csv_dir;
}

bool is_number(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// Row i of a against row i of b: every column but run_id; numbers within 1e-4 relative
// (integers so compared are equal: they differ by 1 at least), the rest identical. The
// detections' `wkt` is compared as text only up to its coordinates' rounding: skipped.
void expect_same_rows(const std::vector<csv_row>& a, const std::vector<csv_row>& b,
                      const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  // 31 detections on the demo archive since blur matching (71 before it, most of them
  // false rail cars: a crisp track against a blurrier reference; docs/TESTING.md)
  ASSERT_GE(a.size(), 25u) << what << ": too few rows to say anything";
  const std::set<std::string> skip = {"run_id", "wkt"};
  for (std::size_t i = 0; i < a.size(); ++i)
    for (const auto& [col, va] : a[i]) {
      if (skip.count(col)) continue;
      const std::string& vb = b[i].at(col);
      double x = 0, y = 0;
      if (is_number(va, x) && is_number(vb, y))
        ASSERT_LE(std::fabs(x - y), 1e-4 * std::max(1.0, std::fabs(x)))
            << what << " row " << i << " " << col << ": " << va << " vs " << vb;
      else
        ASSERT_EQ(va, vb) << what << " row " << i << " " << col;
    }
}

void expect_serial_equals_cpu(const std::string& archive, const std::string& config) {
  sw::test::temp_dir dir;
  const std::string cpu = run_on(dir, archive, config, "cpu");
  const std::string serial = run_on(dir, archive, config, "serial");
  expect_same_rows(sw::test::read_csv(cpu + "/site_counts.csv"),
                   sw::test::read_csv(serial + "/site_counts.csv"), "site_counts");
  expect_same_rows(sw::test::read_csv(cpu + "/detections.csv"),
                   sw::test::read_csv(serial + "/detections.csv"), "detections");
}

TEST(serial_engine, equals_the_cpu_engine_on_the_demo_archive) {
  sw::test::temp_dir dir;
  const std::string archive = make_archive(dir, "tumen");
  expect_serial_equals_cpu(archive, archive + "/config.toml");
}

TEST(serial_engine, equals_the_cpu_engine_on_the_hard_archive_with_every_strategy_and_method) {
  sw::test::temp_dir dir;
  const std::string archive = make_archive(dir, "tumen-hard");
  expect_serial_equals_cpu(archive, archive + "/config.toml");
  // the archive reference (two passes, quantile by polarity) and IR-MAD change
  sw::test::write_edited_config(archive + "/config.toml", dir / "archive-mad.toml",
                                [](sw::config& c) {
                                  c.change.method = sw::change_rule::mad;
                                  c.reference.strategy = sw::reference_strategy::archive;
                                });
  expect_serial_equals_cpu(archive, dir / "archive-mad.toml");
}

}  // namespace
