// Issue 13 item 5: each row of `runs` says where and with what the run ran (host, Slurm job,
// shard, threads and memory budget with where they came from, GPUs, absolute inputs), so
// that the runs of a cluster are told apart and can be repeated; an output made before
// these columns existed gains them on --resume.
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include "host/io/gdal_util.hpp"
#include "test_util.hpp"

namespace {

using sw::test::run_sitewatch;
using sw::test::run_sitewatch_in;
using sw::test::temp_dir;

// Outside Slurm whatever runs the tests: the job's variables are set by each test itself.
constexpr const char* no_slurm =
    "-u SLURM_JOB_ID -u SLURM_ARRAY_JOB_ID -u SLURM_ARRAY_TASK_ID -u SLURM_CPUS_PER_TASK";

const std::vector<std::string> provenance_columns = {"host",
                                                     "slurm_job",
                                                     "shard",
                                                     "threads",
                                                     "threads_source",
                                                     "memory_budget",
                                                     "memory_budget_source",
                                                     "gpus",
                                                     "scenes_path",
                                                     "sites_path",
                                                     "config_path"};

// Each row of `runs`, column name -> text ("<null>" for NULL).
std::vector<std::map<std::string, std::string>> runs_rows(const std::string& gpkg) {
  sw::gdal_init();
  sw::gdal_dataset_ptr ds(GDALDataset::Open(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  std::vector<std::map<std::string, std::string>> rows;
  if (!ds) return rows;
  OGRLayer* l = ds->GetLayerByName("runs");
  if (!l) return rows;
  l->ResetReading();
  for (auto& f : *l) {
    std::map<std::string, std::string> r;
    for (int i = 0; i < f->GetFieldCount(); ++i)
      r[f->GetFieldDefnRef(i)->GetNameRef()] =
          f->IsFieldSetAndNotNull(i) ? f->GetFieldAsString(i) : "<null>";
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string this_host() {
  std::array<char, 256> name{};
  gethostname(name.data(), name.size() - 1);
  return name.data();
}

class provenance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    const auto s = run_sitewatch("synth --out " + (*dir_ / "a") + " --dates 3 --scale 0.05 -q");
    ASSERT_EQ(s.code, 0) << s.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static temp_dir* dir_;
};
temp_dir* provenance::dir_ = nullptr;

// Relative inputs, in a Slurm array task with one CPU per task, one shard of two, a budget
// given: every one of them recorded, the paths absolute.
TEST_F(provenance, runs_records_host_slurm_job_shard_threads_budget_and_absolute_inputs) {
  const auto r = run_sitewatch_in(
      dir_->path().string(),
      std::string(no_slurm) +
          " SLURM_JOB_ID=4242 SLURM_ARRAY_JOB_ID=4240 SLURM_ARRAY_TASK_ID=2 SLURM_CPUS_PER_TASK=1",
      "run --scenes a/scenes --sites a/sites.geojson --config a/config.toml --out slurm.gpkg "
      "--shard 1/2 --memory-budget 512M --device cpu -q");
  ASSERT_TRUE(r.code == 0 || r.code == 3) << r.output;
  const auto rows = runs_rows(*dir_ / "slurm.gpkg");
  ASSERT_EQ(rows.size(), 1u);
  const auto& run = rows[0];
  EXPECT_EQ(run.at("host"), this_host());
  EXPECT_EQ(run.at("slurm_job"), "4240_2");
  EXPECT_EQ(run.at("shard"), "1/2");
  EXPECT_EQ(run.at("threads"), "1");
  EXPECT_EQ(run.at("threads_source"), "SLURM_CPUS_PER_TASK");
  EXPECT_EQ(run.at("memory_budget"), std::to_string(512LL << 20));
  EXPECT_EQ(run.at("memory_budget_source"), "--memory-budget");
  EXPECT_EQ(run.at("gpus"), "<null>");  // --device cpu
  EXPECT_EQ(run.at("device"), "cpu");
  EXPECT_EQ(run.at("scenes_path"), *dir_ / "a/scenes");
  EXPECT_EQ(run.at("sites_path"), *dir_ / "a/sites.geojson");
  EXPECT_EQ(run.at("config_path"), *dir_ / "a/config.toml");
}

// Outside Slurm, with the built-in config and --threads: no job, no config file, the
// defaults' sources named; `report` shows the host.
TEST_F(provenance, outside_slurm_the_job_and_config_file_are_null_and_the_sources_named) {
  const auto r = run_sitewatch_in(dir_->path().string(), no_slurm,
                                  "run --scenes " + (*dir_ / "a/scenes") +
                                      " --sites a/sites.geojson --out plain.gpkg " +
                                      "--threads 1 --device cpu -q");
  ASSERT_TRUE(r.code == 0 || r.code == 3) << r.output;
  const auto rows = runs_rows(*dir_ / "plain.gpkg");
  ASSERT_EQ(rows.size(), 1u);
  const auto& run = rows[0];
  EXPECT_EQ(run.at("slurm_job"), "<null>");
  EXPECT_EQ(run.at("config_path"), "<null>");
  EXPECT_EQ(run.at("shard"), "0/1");
  EXPECT_EQ(run.at("threads"), "1");
  EXPECT_EQ(run.at("threads_source"), "--threads");
  EXPECT_GT(std::stoll(run.at("memory_budget")), 0);
  const std::string& from = run.at("memory_budget_source");
  EXPECT_TRUE(from.find("physical RAM") != std::string::npos ||
              from.find("cgroup memory limit") != std::string::npos)
      << from;
  const auto report =
      run_sitewatch("report " + (*dir_ / "plain.gpkg") + " --out " + (*dir_ / "plain.html"));
  ASSERT_EQ(report.code, 0) << report.output;
  const std::string html = sw::test::read_text(*dir_ / "plain.html");
  EXPECT_NE(html.find(" on " + this_host() + ", 1 threads"), std::string::npos);
}

// An output from before these columns (simulated by dropping them) is resumed: the columns
// are added and described, the earlier row keeps NULL, the new row is whole.
TEST_F(provenance, an_older_output_gains_the_columns_on_resume) {
  const std::string out = *dir_ / "old.gpkg";
  const std::string args =
      "run --scenes a/scenes --sites a/sites.geojson --config a/config.toml "
      "--out old.gpkg --threads 1 --device cpu -q";
  const auto first = run_sitewatch_in(dir_->path().string(), no_slurm, args);
  ASSERT_TRUE(first.code == 0 || first.code == 3) << first.output;
  {
    sw::gdal_init();
    sw::gdal_dataset_ptr ds(GDALDataset::Open(out.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
    ASSERT_TRUE(ds);
    OGRLayer* l = ds->GetLayerByName("runs");
    ASSERT_NE(l, nullptr);
    for (const auto& c : provenance_columns) {
      const int i = l->GetLayerDefn()->GetFieldIndex(c.c_str());
      ASSERT_GE(i, 0) << c;
      ASSERT_EQ(l->DeleteField(i), OGRERR_NONE) << c;
    }
    ds->ExecuteSQL(
        "DELETE FROM gpkg_data_columns WHERE table_name = 'runs' AND column_name IN "
        "('host', 'threads')",
        nullptr, nullptr);
  }
  ASSERT_EQ(runs_rows(out).at(0).count("host"), 0u);
  const auto again = run_sitewatch_in(dir_->path().string(), no_slurm, args + " --resume");
  ASSERT_TRUE(again.code == 0 || again.code == 3) << again.output;
  const auto rows = runs_rows(out);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& c : provenance_columns) {
    EXPECT_EQ(rows[0].at(c), "<null>") << c;
    if (c != "slurm_job" && c != "gpus") {
      EXPECT_NE(rows[1].at(c), "<null>") << c;
    }
  }
  EXPECT_EQ(rows[1].at("host"), this_host());
  sw::gdal_dataset_ptr ds(GDALDataset::Open(out.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  ASSERT_TRUE(ds);
  OGRLayer* d = ds->ExecuteSQL(
      "SELECT COUNT(*) FROM gpkg_data_columns WHERE table_name = 'runs' AND column_name IN "
      "('host', 'threads')",
      nullptr, nullptr);
  ASSERT_NE(d, nullptr);
  auto f = std::unique_ptr<OGRFeature>(d->GetNextFeature());
  EXPECT_EQ(f ? f->GetFieldAsInteger(0) : -1, 2);
  f.reset();
  ds->ReleaseResultSet(d);
}

}  // namespace
