// `sitewatch synth`: the archive must look like Planet's and its truth must be exact. One small
// archive (scale 0.05, 8 dates around 2023-10-05) is shared by most tests to keep them fast.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "host/common/error.hpp"
#include "host/synth/synth.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using sw::test::read_text;
using sw::test::temp_dir;

sw::synth_options small_options(const std::string& out, int dates) {
  sw::synth_options o;
  o.out_dir = out;
  o.scale = 0.05;
  o.dates = dates;
  o.start_date = "2023-09-21";  // the 5th date falls within a day or two of 2023-10-05
  o.quiet = true;
  o.threads = 2;
  return o;
}

struct csv_table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int col(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  }
};

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

csv_table read_csv(const std::string& path) {
  csv_table t;
  std::istringstream in(read_text(path));
  std::string line;
  if (std::getline(in, line)) t.header = split(line);
  while (std::getline(in, line))
    if (!line.empty()) t.rows.push_back(split(line));
  return t;
}

struct gdal_closer {
  void operator()(GDALDataset* ds) const { GDALClose(GDALDataset::ToHandle(ds)); }
};
using dataset_ptr = std::unique_ptr<GDALDataset, gdal_closer>;

dataset_ptr open_raster(const std::string& path) {
  GDALAllRegister();
  return dataset_ptr(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
}

// Files of the archive by kind, keyed by Planet item id.
struct archive_files {
  std::map<std::string, std::string> data, udm2, metadata;
};

archive_files list_files(const fs::path& out) {
  archive_files f;
  const std::regex data_re(
      R"(^(\d{8}_\d{6}_\d{2}_[0-9a-f]{4})_3B_AnalyticMS_SR(_8b)?(_harmonized)?(_clip)?\.tif$)");
  const std::regex udm_re(R"(^(\d{8}_\d{6}_\d{2}_[0-9a-f]{4})_3B_udm2(_clip)?\.tif$)");
  const std::regex meta_re(R"(^(\d{8}_\d{6}_\d{2}_[0-9a-f]{4})_metadata\.json$)");
  for (const auto& e : fs::recursive_directory_iterator(out / "scenes")) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    std::smatch m;
    if (std::regex_match(name, m, data_re))
      f.data[m[1]] = e.path().string();
    else if (std::regex_match(name, m, udm_re))
      f.udm2[m[1]] = e.path().string();
    else if (std::regex_match(name, m, meta_re))
      f.metadata[m[1]] = e.path().string();
    else
      ADD_FAILURE() << "unexpected file " << e.path();
  }
  return f;
}

// FNV-1a over the pixels of every raster (read through GDAL, so the compression library's
// version does not matter) and the truth tables: a fingerprint of what an archive shows.
std::uint64_t fnv1a(std::uint64_t h, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

std::uint64_t raster_hash(std::uint64_t h, const std::string& path) {
  dataset_ptr ds = open_raster(path);
  EXPECT_TRUE(ds) << path;
  if (!ds) return h;
  const int w = ds->GetRasterXSize(), ht = ds->GetRasterYSize(), nb = ds->GetRasterCount();
  const GDALDataType type = ds->GetRasterBand(1)->GetRasterDataType();
  const int size = GDALGetDataTypeSizeBytes(type);
  std::vector<unsigned char> buf(static_cast<std::size_t>(w) * ht * nb * size);
  EXPECT_EQ(
      ds->RasterIO(GF_Read, 0, 0, w, ht, buf.data(), w, ht, type, nb, nullptr, 0, 0, 0, nullptr),
      CE_None);
  return fnv1a(h, buf.data(), buf.size());
}

std::uint64_t archive_hash(const fs::path& out) {
  const archive_files f = list_files(out);
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& [id, path] : f.data) h = raster_hash(h, path);
  for (const auto& [id, path] : f.udm2) h = raster_hash(h, path);
  for (const char* name : {"truth.csv", "truth_detail.csv"}) {
    const std::string text = read_text((out / name).string());
    h = fnv1a(h, text.data(), text.size());
  }
  return h;
}

class synth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    summary_ = sw::write_synthetic_archive(small_options(dir_->path().string(), 8));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path out() { return dir_->path(); }

  static temp_dir* dir_;
  static sw::synth_summary summary_;
};

temp_dir* synth::dir_ = nullptr;
sw::synth_summary synth::summary_;

TEST_F(synth, writes_planet_named_assets) {
  EXPECT_EQ(summary_.scenes, 8);
  EXPECT_EQ(summary_.sites, 4);
  EXPECT_GT(summary_.bytes, 0);
  for (const char* f : {"sites.geojson", "config.toml", "truth.csv", "truth_detail.csv",
                        "scenes_truth.csv", "objects.csv", "README.md"})
    EXPECT_TRUE(fs::is_regular_file(out() / f)) << f;
  const archive_files f = list_files(out());
  EXPECT_EQ(f.data.size(), 8u);
  // At most one UDM2 and one metadata file left out (one in 15 each).
  EXPECT_GE(f.udm2.size(), 7u);
  EXPECT_GE(f.metadata.size(), 7u);
  for (const auto& [id, path] : f.udm2) EXPECT_TRUE(f.data.count(id)) << path;
  for (const auto& [id, path] : f.data) {
    // Data under scenes/YYYY-MM of its acquisition month.
    const std::string month = id.substr(0, 4) + "-" + id.substr(4, 2);
    EXPECT_EQ(fs::path(path).parent_path().filename().string(), month);
    // A _clip data asset comes with a _clip UDM2.
    if (f.udm2.count(id)) {
      EXPECT_EQ(path.find("_clip.tif") != std::string::npos,
                f.udm2.at(id).find("_udm2_clip.tif") != std::string::npos)
          << path;
    }
  }
  // Every 5th item (the 5th of 8 here) keeps its metadata in scenes/metadata/.
  int in_metadata_dir = 0;
  for (const auto& [id, path] : f.metadata)
    in_metadata_dir += fs::path(path).parent_path().filename() == "metadata";
  EXPECT_LE(in_metadata_dir, 1);
}

TEST_F(synth, rasters_are_planet_like) {
  const archive_files f = list_files(out());
  std::set<int> band_counts;
  for (const auto& [id, path] : f.data) {
    dataset_ptr ds = open_raster(path);
    ASSERT_TRUE(ds) << path;
    const int n = ds->GetRasterCount();
    band_counts.insert(n);
    ASSERT_TRUE(n == 4 || n == 8) << path;
    const std::vector<std::string> names =
        n == 4 ? std::vector<std::string>{"blue", "green", "red", "nir"}
               : std::vector<std::string>{"coastal_blue", "blue", "green_i", "green",
                                          "yellow",       "red",  "rededge", "nir"};
    EXPECT_EQ(path.find("_8b") != std::string::npos, n == 8) << path;
    for (int b = 1; b <= n; ++b) {
      GDALRasterBand* band = ds->GetRasterBand(b);
      EXPECT_EQ(band->GetRasterDataType(), GDT_UInt16);
      int has = 0;
      EXPECT_EQ(band->GetNoDataValue(&has), 0.0);
      EXPECT_TRUE(has);
      EXPECT_EQ(band->GetDescription(), names[static_cast<std::size_t>(b - 1)]);
      int bx = 0, by = 0;
      band->GetBlockSize(&bx, &by);
      EXPECT_EQ(bx, 256);
      EXPECT_EQ(by, 256);
    }
    const char* comp = ds->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE");
    ASSERT_NE(comp, nullptr);
    EXPECT_STREQ(comp, "LZW");
    double gt[6];
    ASSERT_EQ(ds->GetGeoTransform(gt), CE_None);
    EXPECT_DOUBLE_EQ(gt[1], 3.0);
    EXPECT_DOUBLE_EQ(gt[5], -3.0);
    const OGRSpatialReference* srs = ds->GetSpatialRef();
    ASSERT_NE(srs, nullptr);
    EXPECT_STREQ(srs->GetAuthorityCode(nullptr), "32652");
    // The nominal full raster at scale 0.05 is 540 x 325 px; _clip windows are never larger.
    EXPECT_LE(ds->GetRasterXSize(), 540);
    EXPECT_LE(ds->GetRasterYSize(), 325);
  }
  // Both instruments appear: PS2.SD (4 bands) and PSB.SD (8 bands), for seed 1.
  EXPECT_EQ(band_counts.size(), 2u);
}

TEST_F(synth, udm2_matches_the_data) {
  const archive_files f = list_files(out());
  int cloudy_pixels = 0;
  for (const auto& [id, path] : f.udm2) {
    dataset_ptr udm = open_raster(path);
    dataset_ptr data = open_raster(f.data.at(id));
    ASSERT_TRUE(udm && data);
    ASSERT_EQ(udm->GetRasterCount(), 8);
    ASSERT_EQ(udm->GetRasterXSize(), data->GetRasterXSize());
    ASSERT_EQ(udm->GetRasterYSize(), data->GetRasterYSize());
    EXPECT_EQ(udm->GetRasterBand(1)->GetRasterDataType(), GDT_Byte);
    EXPECT_STREQ(udm->GetRasterBand(1)->GetDescription(), "clear");
    EXPECT_STREQ(udm->GetRasterBand(6)->GetDescription(), "cloud");
    const int w = udm->GetRasterXSize(), h = udm->GetRasterYSize();
    std::vector<std::uint8_t> m(static_cast<std::size_t>(w) * h * 8);
    std::vector<std::uint16_t> d(static_cast<std::size_t>(w) * h);
    ASSERT_EQ(udm->RasterIO(GF_Read, 0, 0, w, h, m.data(), w, h, GDT_Byte, 8, nullptr, 8, 8LL * w,
                            1, nullptr),
              CE_None);
    ASSERT_EQ(data->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, w, h, d.data(), w, h, GDT_UInt16, 0,
                                               0, nullptr),
              CE_None);
    for (std::size_t i = 0; i < d.size(); ++i) {
      const std::uint8_t* p = &m[i * 8];
      const bool blackfill = p[7] & 1;
      ASSERT_EQ(blackfill, d[i] == 0) << path << " pixel " << i;
      if (p[5]) {
        ++cloudy_pixels;
        ASSERT_EQ(p[0], 0) << "clear and cloud at pixel " << i << " of " << path;
      }
      if (p[0]) {
        ASSERT_TRUE(!p[2] && !p[3] && !p[5] && !blackfill);
      }
      if (blackfill) {
        ASSERT_EQ(p[0] + p[5] + p[6], 0);
      }
    }
  }
  EXPECT_GT(cloudy_pixels, 0);  // seed 1 has cloudy dates in this range
}

TEST_F(synth, metadata_is_a_planet_item) {
  const archive_files f = list_files(out());
  for (const auto& [id, path] : f.metadata) {
    const nlohmann::json j = nlohmann::json::parse(read_text(path));
    EXPECT_EQ(j.at("id"), id);
    EXPECT_EQ(j.at("type"), "Feature");
    EXPECT_EQ(j.at("geometry").at("type"), "Polygon");
    const auto& p = j.at("properties");
    const std::string acquired = p.at("acquired");
    // 20231005_013512_59_247d -> 2023-10-05T01:35:12.590000Z
    const std::string expect = id.substr(0, 4) + "-" + id.substr(4, 2) + "-" + id.substr(6, 2) +
                               "T" + id.substr(9, 2) + ":" + id.substr(11, 2) + ":" +
                               id.substr(13, 2) + "." + id.substr(16, 2) + "0000Z";
    EXPECT_EQ(acquired, expect);
    EXPECT_EQ(p.at("item_type"), "PSScene");
    EXPECT_EQ(p.at("satellite_id"), id.substr(19));
    EXPECT_EQ(p.at("provider"), "planetscope");
    EXPECT_GE(p.at("cloud_cover").get<double>(), 0.0);
    EXPECT_LE(p.at("cloud_cover").get<double>(), 1.0);
    EXPECT_TRUE(p.at("instrument") == "PS2.SD" || p.at("instrument") == "PSB.SD");
  }
}

// The pixels and truth of this archive as the generator drew them before scenario tumen-hard
// existed (recorded with glibc's libm on x86-64): the hard scenario's features must not leak
// into tumen.
TEST_F(synth, tumen_is_unchanged) {
  EXPECT_EQ(archive_hash(out()), 0x2049c5e4109ed809ULL);
}

TEST_F(synth, truth_is_consistent) {
  EXPECT_EQ(read_text((out() / "truth.csv").string()).substr(0, 48),
            "site_id,scene_id,acquired,class,observable,count");
  const csv_table t = read_csv((out() / "truth.csv").string());
  ASSERT_EQ(t.header.size(), 6u);
  EXPECT_EQ(static_cast<int>(t.rows.size()), summary_.truth_rows);
  std::map<std::string, std::set<std::string>> classes;
  bool seen_73 = false;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    ASSERT_EQ(r.size(), 6u);
    classes[r[0]].insert(r[3]);
    EXPECT_TRUE(r[4] == "true" || r[4] == "false");
    if (r[3] == "change") {
      EXPECT_EQ(r[5], "");
    } else {
      EXPECT_GE(std::stoi(r[5]), 0);
    }
    if (r[0] == "tumangang_rail" && r[3] == "railcar" && r[5] == "73") {
      seen_73 = true;
      EXPECT_EQ(r[4], "true");  // that date is cloud-free
    }
    if (i > 0) {
      const auto& q = t.rows[i - 1];
      EXPECT_LE(std::tie(q[0], q[2], q[3]), std::tie(r[0], r[2], r[3]));
    }
  }
  EXPECT_TRUE(seen_73);
  EXPECT_EQ(classes["tumangang_rail"], (std::set<std::string>{"change", "railcar"}));
  EXPECT_EQ(classes["rajin_port"], (std::set<std::string>{"change", "ship"}));
  EXPECT_EQ(classes["depot"], (std::set<std::string>{"change", "container_stack"}));
  EXPECT_EQ(classes["control"], (std::set<std::string>{"change"}));

  // sites.geojson: one feature per zone.
  const nlohmann::json sites = nlohmann::json::parse(read_text((out() / "sites.geojson").string()));
  EXPECT_EQ(sites.at("features").size(), 7u);
}

TEST_F(synth, cars_are_darker_than_empty_track) {
  const csv_table scenes = read_csv((out() / "scenes_truth.csv").string());
  const csv_table objects = read_csv((out() / "objects.csv").string());
  const archive_files f = list_files(out());
  std::map<std::string, std::pair<double, double>> shift;
  for (const auto& r : scenes.rows)
    shift[r[0]] = {std::stod(r[static_cast<std::size_t>(scenes.col("dx_px"))]),
                   std::stod(r[static_cast<std::size_t>(scenes.col("dy_px"))])};
  std::map<std::string, std::vector<std::pair<double, double>>> cars;
  for (const auto& r : objects.rows)
    if (r[3] == "railcar") cars[r[0]].emplace_back(std::stod(r[4]), std::stod(r[5]));
  std::string busy;
  for (const auto& [id, c] : cars)
    if (c.size() == 73) busy = id;
  ASSERT_FALSE(busy.empty());

  // Darkest red reflectance of the 2 x 2 pixels around world point (x, y) in scene id,
  // where the picture actually shows it (the geotransform position moved by the scene's
  // misregistration); -1 if any of them is not clear. A car's centre can sit on a pixel
  // corner, with only a sliver of the car in the pixel that holds it.
  auto red_at = [&](const std::string& id, double x, double y) -> double {
    dataset_ptr ds = open_raster(f.data.at(id));
    double gt[6];
    ds->GetGeoTransform(gt);
    const int col = static_cast<int>(std::lround((x - gt[0]) / gt[1] + shift[id].first)) - 1;
    const int row = static_cast<int>(std::lround((y - gt[3]) / gt[5] + shift[id].second)) - 1;
    if (col < 0 || row < 0 || col + 2 > ds->GetRasterXSize() || row + 2 > ds->GetRasterYSize())
      return -1;
    if (f.udm2.count(id)) {
      dataset_ptr udm = open_raster(f.udm2.at(id));
      std::uint8_t clear[4] = {};
      if (udm->GetRasterBand(1)->RasterIO(GF_Read, col, row, 2, 2, clear, 2, 2, GDT_Byte, 0, 0,
                                          nullptr) != CE_None ||
          !(clear[0] && clear[1] && clear[2] && clear[3]))
        return -1;
    }
    const int red = ds->GetRasterCount() == 8 ? 6 : 3;
    std::uint16_t v[4] = {};
    if (ds->GetRasterBand(red)->RasterIO(GF_Read, col, row, 2, 2, v, 2, 2, GDT_UInt16, 0, 0,
                                         nullptr) != CE_None)
      return -1;
    return *std::min_element(v, v + 4);
  };

  int compared = 0, darker = 0;
  for (std::size_t k = 0; k < cars[busy].size(); k += 3) {
    const auto [x, y] = cars[busy][k];
    const double on = red_at(busy, x, y);
    ASSERT_GT(on, 0) << "the 73-car scene is clear";
    for (const auto& [id, path] : f.data) {
      if (id == busy) continue;
      bool empty = true;  // no car within 20 m of (x, y) on that date
      for (const auto& [cx, cy] : cars[id])
        if ((cx - x) * (cx - x) + (cy - y) * (cy - y) < 400.0) empty = false;
      if (!empty) continue;
      const double off = red_at(id, x, y);
      if (off < 0) continue;
      ++compared;
      darker += on < off - 200.0;
      break;
    }
  }
  EXPECT_GE(compared, 15);
  EXPECT_GE(darker, compared * 9 / 10) << darker << " of " << compared;
}

TEST(synth_options, is_deterministic) {
  temp_dir a, b, c;
  sw::synth_options o = small_options(a.path().string(), 3);
  o.threads = 1;
  sw::write_synthetic_archive(o);
  o.out_dir = b.path().string();
  o.threads = 2;
  sw::write_synthetic_archive(o);
  o.out_dir = c.path().string();
  o.seed = 2;
  sw::write_synthetic_archive(o);
  EXPECT_EQ(read_text(a / "truth.csv"), read_text(b / "truth.csv"));
  EXPECT_EQ(read_text(a / "scenes_truth.csv"), read_text(b / "scenes_truth.csv"));
  const archive_files fa = list_files(a.path()), fb = list_files(b.path()),
                      fc = list_files(c.path());
  ASSERT_EQ(fa.data.size(), 3u);
  ASSERT_EQ(fb.data.size(), 3u);
  for (const auto& [id, path] : fa.data) {
    ASSERT_TRUE(fb.data.count(id));
    EXPECT_TRUE(read_text(path) == read_text(fb.data.at(id))) << path;
  }
  // Another seed: other times (ids), other pictures.
  EXPECT_NE(read_text(a / "scenes_truth.csv"), read_text(c / "scenes_truth.csv"));
  EXPECT_NE(fa.data.begin()->first, fc.data.begin()->first);
}

TEST(synth_options, quiet_scenario_has_no_objects) {
  temp_dir d;
  sw::synth_options o = small_options(d.path().string(), 2);
  o.scenario = "quiet";
  o.drop_assets = false;
  sw::write_synthetic_archive(o);
  const csv_table t = read_csv(d / "truth.csv");
  ASSERT_FALSE(t.rows.empty());
  for (const auto& r : t.rows) {
    if (r[3] != "change") {
      EXPECT_EQ(r[5], "0");
    }
  }
  EXPECT_EQ(read_csv(d / "objects.csv").rows.size(), 0u);
  EXPECT_EQ(archive_hash(d.path()), 0xb88c7d4334f8bc4bULL);  // as before tumen-hard
  const archive_files f = list_files(d.path());
  EXPECT_EQ(f.udm2.size(), 2u);
  EXPECT_EQ(f.metadata.size(), 2u);
}

TEST(synth_options, rejects_bad_options) {
  temp_dir d;
  sw::synth_options o = small_options(d.path().string(), 1);
  o.scale = 0.04;
  EXPECT_THROW(sw::write_synthetic_archive(o), sw::input_error);
  o.scale = 1.01;
  EXPECT_THROW(sw::write_synthetic_archive(o), sw::input_error);
  o.scale = 0.05;
  o.scenario = "harbour";
  EXPECT_THROW(sw::write_synthetic_archive(o), sw::input_error);
  o.scenario = "tumen";
  o.start_date = "2023-13-01";
  EXPECT_THROW(sw::write_synthetic_archive(o), sw::input_error);
  o.start_date = "2023-02-30";
  EXPECT_THROW(sw::write_synthetic_archive(o), sw::input_error);
  o.start_date = "2023-08-01";
  o.dates = 0;
  EXPECT_THROW(sw::write_synthetic_archive(o), sw::input_error);
  EXPECT_FALSE(fs::exists(d.path() / "scenes"));  // nothing written for bad options
}

TEST(synth_options, refuses_to_write_over_an_archive) {
  temp_dir d;
  sw::synth_options o = small_options(d.path().string(), 1);
  sw::write_synthetic_archive(o);
  EXPECT_THROW(sw::write_synthetic_archive(o), sw::input_error);
}

}  // namespace
