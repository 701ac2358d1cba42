// STAC input (issue 13): a synthesized archive described as a STAC ItemCollection (and as
// single Item files) gives the same tables as the folder itself; hrefs resolve the way the
// STAC spec says (relative to the document); an item without a usable asset or time is a
// failed scene with its reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/io/planet_names.hpp"
#include "host/io/scene.hpp"
#include "host/io/sites.hpp"
#include "host/io/stac.hpp"
#include "host/pipeline/run.hpp"
#include "host/plan/plan.hpp"
#include "synth_archive.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The archive's Planet items as STAC items: Planet's asset keys, hrefs relative to
// `document`'s folder, STAC's property names (datetime, platform, eo:cloud_cover in
// percent, view:*), the metadata's geometry where there is one.
json items_of(const std::string& scenes, const std::string& document) {
  struct files {
    std::string data, udm2, metadata;
  };
  std::map<std::string, files> by_id;
  for (const auto& e : fs::recursive_directory_iterator(scenes)) {
    const auto n = sw::parse_planet_name(e.path().filename().string());
    if (!n) continue;
    const std::string rel = fs::relative(e.path(), fs::path(document).parent_path()).string();
    if (n->role == sw::planet_role::data) by_id[n->id].data = rel;
    if (n->role == sw::planet_role::udm2) by_id[n->id].udm2 = rel;
    if (n->role == sw::planet_role::metadata) by_id[n->id].metadata = e.path().string();
  }
  json features = json::array();
  for (const auto& [id, f] : by_id) {
    json item = {{"type", "Feature"}, {"stac_version", "1.0.0"}, {"id", id}};
    json props = json::object();
    if (!f.metadata.empty()) {
      const json meta = json::parse(sw::test::read_text(f.metadata));
      const json& p = meta["properties"];
      props["datetime"] = p["acquired"];
      props["platform"] = p["satellite_id"];
      props["pl:item_type"] = p["item_type"];
      props["instruments"] = json::array({p["instrument"]});
      props["eo:cloud_cover"] = p["cloud_cover"].get<double>() * 100.0;
      props["view:sun_elevation"] = p["sun_elevation"];
      item["geometry"] = meta["geometry"];
    } else {  // the time the id gives, as the folder run takes it
      sw::scene_info s;
      s.id = id;
      props["datetime"] = id.substr(0, 4) + "-" + id.substr(4, 2) + "-" + id.substr(6, 2) + "T" +
                          id.substr(9, 2) + ":" + id.substr(11, 2) + ":" + id.substr(13, 2) + "Z";
      item["geometry"] = nullptr;
    }
    item["properties"] = props;
    json assets = {{"ortho_analytic_4b_sr", {{"href", f.data}, {"roles", {"data"}}}}};
    if (f.data.find("_8b") != std::string::npos)
      assets = {{"ortho_analytic_8b_sr", {{"href", f.data}, {"roles", {"data"}}}}};
    if (!f.udm2.empty()) assets["ortho_udm2"] = {{"href", f.udm2}, {"roles", {"cloud"}}};
    item["assets"] = assets;
    features.push_back(item);
  }
  return features;
}

std::string run_to_csv(const sw::test::temp_dir& d, const std::string& scenes,
                       const std::string& archive, const std::string& name) {
  sw::run_options o;
  o.scenes = scenes;
  o.sites = archive + "/sites.geojson";
  o.config_path = archive + "/config.toml";
  o.out = d / (name + ".gpkg");
  o.csv_dir = d / name;
  o.threads = 2;
  o.quiet = true;
  const int rc = sw::run_batch(o);
  EXPECT_TRUE(rc == 0 || rc == 3) << name << " " << rc;
  return o.csv_dir;
}

// Rows without the run id.
std::vector<std::vector<std::string>> rows(const std::string& csv) {
  const auto t = sw::test::read_csv_table(csv);
  const int skip = t.col("run_id");
  std::vector<std::vector<std::string>> out;
  for (auto r : t.rows) {
    if (skip >= 0 && skip < static_cast<int>(r.size())) r.erase(r.begin() + skip);
    out.push_back(r);
  }
  return out;
}

// Runs the archive from its scenes folder and from `stac` (a STAC document or folder): the
// same site_counts (at least 20 rows) and detections, but for run_id.
void expect_the_tables_of_the_folder(const sw::test::temp_dir& d, const std::string& archive,
                                     const std::string& stac) {
  const std::string folder = run_to_csv(d, archive + "/scenes", archive, "folder");
  const std::string other = run_to_csv(d, stac, archive, "stac");
  const auto a = rows(folder + "/site_counts.csv"), b = rows(other + "/site_counts.csv");
  ASSERT_GE(a.size(), 20u);
  EXPECT_EQ(a, b);
  EXPECT_EQ(rows(folder + "/detections.csv"), rows(other + "/detections.csv"));
}

}  // namespace

TEST(stac, hrefs_resolve_against_the_document) {
  EXPECT_EQ(sw::stac_href_to_gdal("a/b.tif", "/data/items.json"), "/data/a/b.tif");
  EXPECT_EQ(sw::stac_href_to_gdal("/abs/b.tif", "/data/items.json"), "/abs/b.tif");
  EXPECT_EQ(sw::stac_href_to_gdal("https://h/x/b.tif", "/data/items.json"),
            "/vsicurl/https://h/x/b.tif");
  EXPECT_EQ(sw::stac_href_to_gdal("s3://bucket/k/b.tif", "/data/items.json"),
            "/vsis3/bucket/k/b.tif");
  EXPECT_EQ(sw::stac_href_to_gdal("b.tif", "https://h/x/items.json"), "/vsicurl/https://h/x/b.tif");
  EXPECT_EQ(sw::stac_href_to_gdal("file:///d/b.tif", "/data/items.json"), "/d/b.tif");
}

TEST(stac, an_item_collection_gives_the_tables_of_the_folder) {
  sw::test::temp_dir d;
  const std::string archive = sw::test::synth_archive(d.path().string(), "tumen", 8, 5);
  const std::string doc = archive + "/items.json";
  const json features = items_of(archive + "/scenes", doc);
  ASSERT_EQ(features.size(), 8u);
  sw::test::write_text(doc, json{{"type", "FeatureCollection"}, {"features", features}}.dump(1));
  expect_the_tables_of_the_folder(d, archive, doc);
  // one Item file on its own: that scene
  const std::string one = archive + "/one.json";
  sw::test::write_text(one, features[0].dump());
  const auto scenes = sw::index_scenes(one);
  ASSERT_EQ(scenes.size(), 1u);
  EXPECT_EQ(scenes[0].id, features[0]["id"].get<std::string>());
  EXPECT_TRUE(scenes[0].error.empty()) << scenes[0].error;
  EXPECT_EQ(scenes[0].mask, features[0]["assets"].contains("ortho_udm2") ? sw::mask_source::udm2
                                                                         : sw::mask_source::none);
}

// A folder of Item files (one per scene, two of them in a subfolder), as a STAC catalogue
// keeps them on disk: the same tables as the archive's folder.
TEST(stac, a_folder_of_items_gives_the_tables_of_the_folder) {
  sw::test::temp_dir d;
  const std::string archive = sw::test::synth_archive(d.path().string(), "tumen", 8, 5);
  const std::string items = archive + "/items";
  fs::create_directories(items + "/more");
  const json top = items_of(archive + "/scenes", items + "/x.json");
  const json more = items_of(archive + "/scenes", items + "/more/x.json");
  ASSERT_EQ(top.size(), 8u);
  for (std::size_t i = 0; i < top.size(); ++i) {
    const bool nested = i % 4 == 1;  // two of eight
    const json& item = nested ? more[i] : top[i];
    sw::test::write_text(
        items + (nested ? "/more/" : "/") + item["id"].get<std::string>() + ".json", item.dump(1));
  }
  sw::test::write_text(items + "/catalog.json", R"({"type": "Catalog", "id": "c"})");
  expect_the_tables_of_the_folder(d, archive, items);
}

// Footprint prefilter (issue 13): an item whose geometry misses every site is planned from
// its facts, its raster never opened. Its data asset here does not exist: opened, it would
// be a failed scene; unopened, the plan skips it as overlapping no site. The other items are
// described exactly as without the filter.
TEST(stac, items_outside_every_site_are_not_opened) {
  sw::test::temp_dir d;
  const std::string archive = sw::test::synth_archive(d.path().string(), "tumen", 4, 5);
  const std::string doc = archive + "/items.json";
  json features = items_of(archive + "/scenes", doc);
  json far = features[0];
  far["id"] = "far_away";
  far["geometry"] = {{"type", "Polygon"},
                     {"coordinates", {{{0, 0}, {0.01, 0}, {0.01, 0.01}, {0, 0.01}, {0, 0}}}}};
  far["assets"] = {{"ortho_analytic_4b_sr", {{"href", "missing.tif"}, {"roles", {"data"}}}}};
  features.push_back(far);
  sw::test::write_text(doc, json{{"type", "FeatureCollection"}, {"features", features}}.dump(1));
  const sw::site_catalog catalog =
      sw::load_sites(archive + "/sites.geojson", sw::load_config(archive + "/config.toml"));
  const std::string area = sw::catalog_area_wkt(catalog);
  ASSERT_FALSE(area.empty());

  const auto all = sw::index_scenes(doc);
  const auto filtered = sw::index_scenes(doc, area);
  ASSERT_EQ(all.size(), filtered.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i].id, filtered[i].id);
    if (all[i].id == "far_away") {
      EXPECT_FALSE(all[i].error.empty()) << "opened: a missing raster fails";
      EXPECT_EQ(filtered[i].error, "") << "not opened";
      EXPECT_EQ(filtered[i].path, archive + "/missing.tif");
      const auto plan = sw::make_plan({filtered[i]}, catalog);
      EXPECT_EQ(plan.sites_seen.at(0), 0) << "the plan skips it";
    } else {
      EXPECT_EQ(filtered[i].error, all[i].error);
      EXPECT_EQ(filtered[i].crs_wkt, all[i].crs_wkt);
      EXPECT_EQ(filtered[i].band_count, all[i].band_count);
      EXPECT_EQ(filtered[i].footprint_wkt, all[i].footprint_wkt);
    }
  }
}

TEST(stac, items_without_a_data_asset_or_a_time_are_failed_scenes) {
  sw::test::temp_dir d;
  const json bad = {{"type", "FeatureCollection"},
                    {"features",
                     {{{"type", "Feature"},
                       {"id", "no_asset"},
                       {"properties", {{"datetime", "2023-10-05T01:35:12Z"}}},
                       {"assets", {{"thumbnail", {{"href", "t.png"}, {"roles", {"thumbnail"}}}}}}},
                      {{"type", "Feature"},
                       {"id", "no_time"},
                       {"properties", {{"datetime", nullptr}}},
                       {"assets", {{"data", {{"href", "x.tif"}}}}}}}}};
  sw::test::write_text(d / "bad.json", bad.dump());
  const auto scenes = sw::index_scenes(d / "bad.json");
  ASSERT_EQ(scenes.size(), 2u);
  for (const auto& s : scenes) {
    EXPECT_FALSE(s.error.empty()) << s.id;
    EXPECT_NE(s.error.find("bad.json"), std::string::npos) << s.error;
  }
  const auto& no_asset = scenes[0].id == "no_asset" ? scenes[0] : scenes[1];
  EXPECT_NE(no_asset.error.find("no data asset"), std::string::npos) << no_asset.error;
}

// Found by fuzz_stac (tests/fuzz): a member of the wrong type (an id that is an array, an
// href that is a number, properties that are a list) made nlohmann's value() throw
// type_error, which ended the whole run; now such an item is a failed scene, the others
// are described.
TEST(stac, members_of_the_wrong_type_fail_the_item_not_the_run) {
  sw::test::temp_dir d;
  const json item = {{"type", "Feature"},
                     {"id", {129.5, 42.4}},
                     {"properties", {{"datetime", "2023-10-05T01:35:12Z"}}},
                     {"assets", {{"data", {{"href", "x.tif"}}}}}};
  json numeric_href = item;
  numeric_href["id"] = "numeric_href";
  numeric_href["assets"]["data"]["href"] = 7;
  json listed_props = item;
  listed_props["id"] = "listed_props";
  listed_props["properties"] = json::array({1, 2});
  const json doc = {{"type", "FeatureCollection"},
                    {"features", {item, numeric_href, listed_props}}};
  sw::test::write_text(d / "typed.json", doc.dump());
  std::vector<sw::scene_info> scenes;
  ASSERT_NO_THROW(scenes = sw::index_scenes(d / "typed.json"));
  ASSERT_EQ(scenes.size(), 3u);
  for (const auto& s : scenes) {
    EXPECT_FALSE(s.error.empty()) << s.id;
    EXPECT_NE(s.error.find("typed.json"), std::string::npos) << s.error;
  }
  const json not_a_type = {{"type", {"Feature"}}, {"assets", json::object()}};
  sw::test::write_text(d / "odd.json", not_a_type.dump());
  EXPECT_FALSE(sw::index_stac(d / "odd.json").has_value());
}
