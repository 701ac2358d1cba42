// Issue 14: what analysts open. Times are DateTime fields (QGIS's temporal controller takes
// them as they are), keys NOT NULL, per-site indexes, a description per layer; the CSV keeps
// RFC 3339 text; GeoJSON Feature ids follow from the rows, not from thread timing.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <nlohmann/json.hpp>

#include "host/io/gdal_util.hpp"
#include "test_util.hpp"

namespace {

using sw::test::run_sitewatch;

class gpkg_schema : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new sw::test::temp_dir;
    const auto s = run_sitewatch("synth --out " + (*dir_ / "a") +
                                 " --dates 6 --scale 0.05 --start 2023-10-01 -q");
    ASSERT_EQ(s.code, 0) << s.output;
    for (int threads : {1, 2}) {
      const std::string t = std::to_string(threads);
      const auto r = run_sitewatch(
          "run --scenes " + (*dir_ / "a/scenes") + " --sites " + (*dir_ / "a/sites.geojson") +
          " --config " + (*dir_ / "a/config.toml") + " --out " + (*dir_ / ("t" + t + ".gpkg")) +
          " --csv " + (*dir_ / ("csv" + t)) + " -q --threads " + t);
      ASSERT_EQ(r.code, 0) << r.output;
      const auto e = run_sitewatch("export " + (*dir_ / ("t" + t + ".gpkg")) +
                                   " --format geojson --out " + (*dir_ / ("gj" + t)));
      ASSERT_EQ(e.code, 0) << e.output;
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static sw::test::temp_dir* dir_;
};
sw::test::temp_dir* gpkg_schema::dir_ = nullptr;

TEST_F(gpkg_schema, times_are_datetime_keys_not_null_with_indexes_and_descriptions) {
  sw::gdal_init();
  sw::gdal_dataset_ptr ds(
      GDALDataset::Open((*dir_ / "t1.gpkg").c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  ASSERT_TRUE(ds);
  auto field = [&](const char* layer, const char* name) {
    OGRLayer* l = ds->GetLayerByName(layer);
    EXPECT_NE(l, nullptr) << layer;
    const int i = l->GetLayerDefn()->GetFieldIndex(name);
    EXPECT_GE(i, 0) << layer << "." << name;
    return l->GetLayerDefn()->GetFieldDefn(i);
  };
  for (auto [layer, name] :
       std::vector<std::pair<const char*, const char*>>{{"site_counts", "acquired"},
                                                        {"detections", "acquired"},
                                                        {"scenes", "acquired"},
                                                        {"runs", "started"},
                                                        {"runs", "finished"}})
    EXPECT_EQ(field(layer, name)->GetType(), OFTDateTime) << layer << "." << name;
  for (auto [layer, name] :
       std::vector<std::pair<const char*, const char*>>{{"site_counts", "site_id"},
                                                        {"site_counts", "scene_id"},
                                                        {"site_counts", "class"},
                                                        {"detections", "site_id"},
                                                        {"scenes", "scene_id"}})
    EXPECT_FALSE(field(layer, name)->IsNullable()) << layer << "." << name;
  EXPECT_TRUE(field("site_counts", "count")->IsNullable());
  for (const char* layer : {"site_counts", "detections", "scenes", "sites", "runs"}) {
    const char* d = ds->GetLayerByName(layer)->GetMetadataItem("DESCRIPTION");
    ASSERT_NE(d, nullptr) << layer;
    EXPECT_NE(std::string(d).find("sitewatch"), std::string::npos) << layer;
  }
  OGRLayer* idx = ds->ExecuteSQL(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('site_counts', "
      "'detections')",
      nullptr, nullptr);
  ASSERT_NE(idx, nullptr);
  std::set<std::string> names;
  for (auto& f : *idx) names.insert(f->GetFieldAsString(0));
  ds->ReleaseResultSet(idx);
  EXPECT_TRUE(names.count("site_counts_site_time")) << "per-site time series";
  EXPECT_TRUE(names.count("detections_site_scene"));
}

// The GeoPackage schema extension: every column of every layer has a title and a
// description in gpkg_data_columns (read with SQL: GDAL 3.6 does not expose them), and the
// extension is registered in gpkg_extensions.
TEST_F(gpkg_schema, every_column_is_described_in_gpkg_data_columns) {
  sw::gdal_init();
  sw::gdal_dataset_ptr ds(
      GDALDataset::Open((*dir_ / "t1.gpkg").c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  ASSERT_TRUE(ds);
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> described;
  OGRLayer* dc =
      ds->ExecuteSQL("SELECT table_name, column_name, title, description FROM gpkg_data_columns",
                     nullptr, nullptr);
  ASSERT_NE(dc, nullptr);
  for (auto& f : *dc)
    described[{f->GetFieldAsString(0), f->GetFieldAsString(1)}] = {f->GetFieldAsString(2),
                                                                   f->GetFieldAsString(3)};
  ds->ReleaseResultSet(dc);
  int columns = 0;
  for (const char* layer :
       {"site_counts", "detections", "scenes", "sites", "runs", "sitewatch_journal"}) {
    OGRFeatureDefn* d = ds->GetLayerByName(layer)->GetLayerDefn();
    for (int i = 0; i < d->GetFieldCount(); ++i, ++columns) {
      const auto it = described.find({layer, d->GetFieldDefn(i)->GetNameRef()});
      ASSERT_NE(it, described.end()) << layer << "." << d->GetFieldDefn(i)->GetNameRef();
      EXPECT_FALSE(it->second.first.empty()) << "title of " << layer << "." << i;
      EXPECT_GE(it->second.second.size(), 6u) << "description of " << layer << "." << i;
    }
  }
  EXPECT_EQ(described.size(), static_cast<std::size_t>(columns)) << "no stale rows";
  EXPECT_EQ(described.at({"site_counts", "changed_area_m2"}).first, "changed area [m2]")
      << "units in the title";
  OGRLayer* ext =
      ds->ExecuteSQL("SELECT table_name FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'",
                     nullptr, nullptr);
  ASSERT_NE(ext, nullptr);
  std::set<std::string> tables;
  for (auto& f : *ext) tables.insert(f->GetFieldAsString(0));
  ds->ReleaseResultSet(ext);
  EXPECT_EQ(tables, (std::set<std::string>{"gpkg_data_columns", "gpkg_data_column_constraints"}));
}

TEST_F(gpkg_schema, csv_times_stay_rfc3339) {
  const auto rows = sw::test::read_csv(*dir_ / "csv1/site_counts.csv");
  ASSERT_FALSE(rows.empty());
  const std::regex rfc3339(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)");
  for (const auto& r : rows)
    ASSERT_TRUE(std::regex_match(r.at("acquired"), rfc3339)) << r.at("acquired");
}

TEST_F(gpkg_schema, geojson_ids_are_the_same_for_any_thread_count) {
  for (const char* layer : {"site_counts", "detections", "scenes"}) {
    auto ids = [&](const std::string& dir) {
      const auto j =
          nlohmann::json::parse(sw::test::read_text(*dir_ / (dir + "/" + layer + ".geojson")));
      std::vector<std::string> out;
      for (const auto& f : j["features"]) out.push_back(f["id"].get<std::string>());
      return out;
    };
    const auto one = ids("gj1"), two = ids("gj2");
    ASSERT_FALSE(one.empty()) << layer;
    EXPECT_EQ(one, two) << layer;
    EXPECT_EQ(std::set<std::string>(one.begin(), one.end()).size(), one.size())
        << layer << ": ids are unique";
  }
}

}  // namespace
