// Scene discovery and description (host/io/scene.hpp, docs/SCENES.md). Every raster here is
// written by the test itself with GDAL: tiny GeoTIFFs (16 x 12 px, EPSG:32652).
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gtest/gtest.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "host/common/error.hpp"
#include "host/io/planet_names.hpp"
#include "host/io/scene.hpp"
#include "host/io/scene_paths.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using sw::test::temp_dir;
using sw::test::write_text;

constexpr int k_width = 16, k_height = 12;
// UTM 52N; x = 500000 is the zone's central meridian, 129 E.
constexpr double k_x0 = 500000, k_y0 = 4700000, k_gsd = 3;

struct tif_spec {
  int bands = 4;
  int width = k_width, height = k_height;
  bool georeferenced = true;
  std::string datetime;                   // TIFFTAG_DATETIME if non-empty
  std::vector<std::string> descriptions;  // per band, "" leaves it unset
  std::vector<GDALColorInterp> interps;   // per band
  std::vector<std::string> options;       // GTiff creation options
  bool per_dataset_mask = false;
  std::optional<double> nodata;

  // Chained setters: GCC's -Wmissing-field-initializers rejects partial designated initializers.
  tif_spec& with_bands(int n) { return bands = n, *this; }
  tif_spec& with_size(int w, int h) { return width = w, height = h, *this; }
  tif_spec& without_georeferencing() { return georeferenced = false, *this; }
  tif_spec& with_datetime(std::string t) { return datetime = std::move(t), *this; }
  tif_spec& with_descriptions(std::vector<std::string> d) {
    return descriptions = std::move(d), *this;
  }
  tif_spec& with_interps(std::vector<GDALColorInterp> c) { return interps = std::move(c), *this; }
  tif_spec& with_options(std::vector<std::string> o) { return options = std::move(o), *this; }
  tif_spec& with_mask() { return per_dataset_mask = true, *this; }
  tif_spec& with_nodata(double v) { return nodata = v, *this; }
};

void write_tif(const std::string& path, const tif_spec& spec = {}) {
  GDALAllRegister();
  if (path.rfind("/vsi", 0) != 0) fs::create_directories(fs::path(path).parent_path());
  CPLStringList options;
  for (const auto& o : spec.options) options.AddString(o.c_str());
  GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path.c_str(), spec.width, spec.height,
                               spec.bands, GDT_UInt16, options.List());
  ASSERT_NE(ds, nullptr) << path << ": " << CPLGetLastErrorMsg();
  if (spec.georeferenced) {
    double gt[6] = {k_x0, k_gsd, 0, k_y0, 0, -k_gsd};
    GDALSetGeoTransform(ds, gt);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, 32652);
    char* wkt = nullptr;
    OSRExportToWkt(srs, &wkt);
    GDALSetProjection(ds, wkt);
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
  }
  std::vector<std::uint16_t> pixels(static_cast<std::size_t>(spec.width) * spec.height);
  for (int b = 1; b <= spec.bands; ++b) {
    for (std::size_t i = 0; i < pixels.size(); ++i)
      pixels[i] = static_cast<std::uint16_t>(1000 * b + i % 977);
    GDALRasterBandH band = GDALGetRasterBand(ds, b);
    ASSERT_EQ(GDALRasterIO(band, GF_Write, 0, 0, spec.width, spec.height, pixels.data(), spec.width,
                           spec.height, GDT_UInt16, 0, 0),
              CE_None);
    if (b <= static_cast<int>(spec.descriptions.size()) && !spec.descriptions[b - 1].empty())
      GDALSetDescription(band, spec.descriptions[b - 1].c_str());
    if (b <= static_cast<int>(spec.interps.size()))
      GDALSetRasterColorInterpretation(band, spec.interps[b - 1]);
    if (spec.nodata) GDALSetRasterNoDataValue(band, *spec.nodata);
  }
  if (!spec.datetime.empty())
    GDALSetMetadataItem(ds, "TIFFTAG_DATETIME", spec.datetime.c_str(), nullptr);
  if (spec.per_dataset_mask) {
    ASSERT_EQ(GDALCreateDatasetMaskBand(ds, GMF_PER_DATASET), CE_None);
    GDALRasterBandH mask = GDALGetMaskBand(GDALGetRasterBand(ds, 1));
    std::vector<std::uint8_t> valid(pixels.size(), 255);
    ASSERT_EQ(GDALRasterIO(mask, GF_Write, 0, 0, spec.width, spec.height, valid.data(), spec.width,
                           spec.height, GDT_Byte, 0, 0),
              CE_None);
  }
  GDALClose(ds);
}

// A Planet item's metadata JSON: a GeoJSON Feature with a lon/lat footprint near 129 E.
std::string planet_metadata(const std::string& id, const std::string& acquired) {
  return R"({"type": "Feature", "id": ")" + id + R"(",
  "geometry": {"type": "Polygon", "coordinates": [[[129.0, 42.4], [129.001, 42.4],
               [129.001, 42.401], [129.0, 42.401], [129.0, 42.4]]]},
  "properties": {"acquired": ")" +
         acquired + R"(", "item_type": "PSScene", "satellite_id": "247d",
    "instrument": "PSB.SD", "quality_category": "standard", "cloud_cover": 0.12,
    "clear_percent": 88, "gsd": 3.9, "view_angle": 4.5, "sun_elevation": 41.25}})";
}

void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  write_text(path, text);
}

const sw::scene_info* find_id(const std::vector<sw::scene_info>& scenes, const std::string& id) {
  const auto it = std::find_if(scenes.begin(), scenes.end(),
                               [&](const sw::scene_info& s) { return s.id == id; });
  return it == scenes.end() ? nullptr : &*it;
}

std::vector<std::string> ids_of(const std::vector<sw::scene_info>& scenes) {
  std::vector<std::string> ids;
  for (const auto& s : scenes) ids.push_back(s.id);
  return ids;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Envelope of a WKT geometry: {min_x, max_x, min_y, max_y}.
std::array<double, 4> envelope(const std::string& wkt) {
  OGRGeometryH g = nullptr;
  char* text = const_cast<char*>(wkt.c_str());
  EXPECT_EQ(OGR_G_CreateFromWkt(&text, nullptr, &g), OGRERR_NONE) << wkt;
  OGREnvelope e;
  if (g) OGR_G_GetEnvelope(g, &e);
  OGR_G_DestroyGeometry(g);
  return {e.MinX, e.MaxX, e.MinY, e.MaxY};
}

constexpr const char* k_a = "20231005_013512_59_247d";  // 4-band SR, assets in three folders
constexpr const char* k_b = "20231007_020000_12_24a3";  // 8-band SR harmonized clip
constexpr const char* k_c = "20231006_013000_1234";     // old id form; radiance + SR
constexpr const char* k_d = "20231008_000000_00_aaaa";  // udm2 + metadata only
constexpr const char* k_e = "20231004_000000_00_bbbb";  // SR, SR_clip, SR_harmonized
constexpr const char* k_f = "20231003_000000_00_cccc";  // SR_8b and SR_harmonized_clip

// The Planet archive of the grouping test, under ROOT.
void write_planet_archive(const std::string& root) {
  const std::string a = k_a, b = k_b, c = k_c, d = k_d, e = k_e, f = k_f;
  write_tif(root + "/data/" + a + "_3B_AnalyticMS_SR.tif");
  write_tif(root + "/masks/" + a + "_3B_udm2.tif", tif_spec().with_bands(8));
  write_file(root + "/meta/" + a + "_metadata.json",
             planet_metadata(a, "2023-10-05T01:35:12.590000Z"));
  write_tif(root + "/data/" + a + "_3B_Visual.tif",
            tif_spec().with_bands(3));  // a Planet asset not used

  write_tif(root + "/b/" + b + "_3B_AnalyticMS_SR_8b_harmonized_clip.tif",
            tif_spec().with_bands(8));
  write_tif(root + "/b/" + b + "_3B_udm2.tif", tif_spec().with_bands(8));
  write_tif(root + "/b/" + b + "_3B_udm2_clip.tif", tif_spec().with_bands(8));
  write_file(root + "/b/" + b + "_metadata.json", planet_metadata(b, "2023-10-07T02:00:00Z"));

  write_tif(root + "/c/" + c + "_3B_AnalyticMS.tif");
  write_tif(root + "/c/" + c + "_3B_AnalyticMS_SR.tif");

  write_tif(root + "/d/" + d + "_3B_udm2.tif", tif_spec().with_bands(8));
  write_file(root + "/d/" + d + "_metadata.json", planet_metadata(d, "2023-10-08T00:00:00Z"));

  write_tif(root + "/e/" + e + "_3B_AnalyticMS_SR.tif");
  write_tif(root + "/e/" + e + "_3B_AnalyticMS_SR_clip.tif");
  write_tif(root + "/e/" + e + "_3B_AnalyticMS_SR_harmonized.tif");

  write_tif(root + "/f/" + f + "_3B_AnalyticMS_SR_8b.tif", tif_spec().with_bands(8));
  write_tif(root + "/f/" + f + "_3B_AnalyticMS_SR_harmonized_clip.tif");

  write_file(root + "/notes.txt", "not a scene\n");
  write_file(root + "/README.md", "# not a scene\n");
  write_file(root + "/data/.DS_Store", "junk");
}

}  // namespace

// ---- small pieces ---------------------------------------------------------------------------

TEST(scene_names, mask_source_names_and_named_bands) {
  EXPECT_EQ(sw::to_string(sw::mask_source::udm2), "udm2");
  EXPECT_EQ(sw::to_string(sw::mask_source::mask), "mask");
  EXPECT_EQ(sw::to_string(sw::mask_source::none), "none");

  sw::scene_info s;
  EXPECT_FALSE(s.named_bands());  // no bands: nothing to match by name
  s.band_names = {"red", "green"};
  EXPECT_TRUE(s.named_bands());
  s.band_names = {"red", ""};
  EXPECT_FALSE(s.named_bands());
}

// ---- Planet archives ------------------------------------------------------------------------

TEST(scene_index, groups_planet_assets_across_folders_and_prefers_the_best_asset) {
  temp_dir dir;
  const std::string root = dir.path().string();
  write_planet_archive(root);

  const auto scenes = sw::index_scenes(root);
  // D has no data asset; Visual, text and dot files are not scenes.
  EXPECT_EQ(ids_of(scenes), (std::vector<std::string>{k_f, k_e, k_a, k_c, k_b}));
  for (const auto& s : scenes) {
    EXPECT_EQ(s.error, "") << s.id;
    EXPECT_EQ(s.kind, sw::scene_kind::planet) << s.id;
    EXPECT_EQ(s.width, k_width);
    EXPECT_EQ(s.height, k_height);
    EXPECT_TRUE(contains(s.crs_wkt, "UTM zone 52N")) << s.crs_wkt;
    EXPECT_EQ(s.geotransform, (std::array<double, 6>{k_x0, k_gsd, 0, k_y0, 0, -k_gsd}));
    EXPECT_TRUE(s.named_bands());
    EXPECT_EQ(s.alpha_band, 0);
  }

  const auto* a = find_id(scenes, k_a);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->path, root + "/data/" + k_a + "_3B_AnalyticMS_SR.tif");
  EXPECT_EQ(a->udm2_path, root + "/masks/" + k_a + "_3B_udm2.tif");
  EXPECT_EQ(a->metadata_path, root + "/meta/" + k_a + "_metadata.json");
  EXPECT_EQ(a->product, "analytic_sr");
  EXPECT_EQ(a->mask, sw::mask_source::udm2);
  EXPECT_EQ(a->acquired, "2023-10-05T01:35:12Z");
  EXPECT_EQ(a->acquired_unix, 1696469712);
  EXPECT_EQ(a->band_count, 4);
  EXPECT_EQ(a->data_bands, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(a->band_names, sw::planet_band_names(4));
  EXPECT_EQ(a->item_type, "PSScene");
  EXPECT_EQ(a->satellite_id, "247d");
  EXPECT_EQ(a->metadata.instrument, "PSB.SD");
  EXPECT_EQ(a->metadata.quality_category, "standard");
  EXPECT_EQ(a->metadata.cloud_cover, 0.12);
  EXPECT_EQ(a->metadata.clear_percent, 88);
  EXPECT_EQ(a->metadata.gsd, 3.9);
  EXPECT_EQ(a->metadata.view_angle, 4.5);
  EXPECT_EQ(a->metadata.sun_elevation, 41.25);
  // The footprint is the metadata's geometry, not the raster extent.
  const auto env = envelope(a->footprint_wkt);
  EXPECT_NEAR(env[0], 129.0, 1e-12);
  EXPECT_NEAR(env[1], 129.001, 1e-12);
  EXPECT_NEAR(env[2], 42.4, 1e-12);
  EXPECT_NEAR(env[3], 42.401, 1e-12);

  const auto* b = find_id(scenes, k_b);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->band_count, 8);
  EXPECT_EQ(b->band_names, sw::planet_band_names(8));
  EXPECT_TRUE(contains(b->path, "_3B_AnalyticMS_SR_8b_harmonized_clip.tif"));
  // A clipped data asset goes with the clipped UDM2.
  EXPECT_EQ(b->udm2_path, root + "/b/" + k_b + "_3B_udm2_clip.tif");
  EXPECT_EQ(b->acquired, "2023-10-07T02:00:00Z");

  const auto* c = find_id(scenes, k_c);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->path, root + "/c/" + k_c + "_3B_AnalyticMS_SR.tif");  // SR over radiance
  EXPECT_EQ(c->product, "analytic_sr");
  EXPECT_EQ(c->udm2_path, "");
  EXPECT_EQ(c->metadata_path, "");
  EXPECT_EQ(c->mask, sw::mask_source::none);
  EXPECT_EQ(c->acquired, "2023-10-06T01:30:00Z");  // from the id
  EXPECT_EQ(c->item_type, "");
  EXPECT_FALSE(c->metadata.cloud_cover.has_value());
  // Without metadata the footprint is the raster extent in lon/lat (x = lon).
  const auto ext = envelope(c->footprint_wkt);
  EXPECT_NEAR(ext[0], 129.0, 1e-6);
  EXPECT_NEAR(ext[1], 129.0 + k_width * k_gsd / (111320 * std::cos(42.44 * std::numbers::pi / 180)),
              1e-5);
  EXPECT_NEAR(ext[3], 42.44, 0.02);
  EXPECT_NEAR(ext[3] - ext[2], k_height * k_gsd / 111100, 1e-5);

  EXPECT_TRUE(contains(find_id(scenes, k_e)->path, "_3B_AnalyticMS_SR_harmonized.tif"));
  EXPECT_TRUE(contains(find_id(scenes, k_f)->path, "_3B_AnalyticMS_SR_8b.tif"));
}

TEST(scene_index, radiance_only_item_is_an_analytic_scene) {
  temp_dir dir;
  const std::string path = dir / (std::string(k_c) + "_3B_AnalyticMS_8b_clip.tif");
  write_tif(path, tif_spec().with_bands(8));
  const auto scenes = sw::index_scenes(path);
  ASSERT_EQ(scenes.size(), 1u);
  EXPECT_EQ(scenes[0].product, "analytic");
  EXPECT_EQ(scenes[0].band_count, 8);
  EXPECT_EQ(scenes[0].error, "");
}

TEST(scene_index, single_planet_file_brings_its_sidecars) {
  temp_dir dir;
  const std::string data = dir / (std::string(k_a) + "_3B_AnalyticMS_SR.tif");
  write_tif(data);
  write_tif(dir / (std::string(k_a) + "_3B_udm2.tif"), tif_spec().with_bands(8));
  write_file(dir / (std::string(k_a) + "_metadata.json"),
             planet_metadata(k_a, "2023-10-05T01:35:12Z"));
  const auto scenes = sw::index_scenes(data);
  ASSERT_EQ(scenes.size(), 1u);
  EXPECT_EQ(scenes[0].path, data);
  EXPECT_EQ(scenes[0].udm2_path, dir / (std::string(k_a) + "_3B_udm2.tif"));
  EXPECT_EQ(scenes[0].metadata_path, dir / (std::string(k_a) + "_metadata.json"));
  EXPECT_EQ(scenes[0].item_type, "PSScene");
}

TEST(scene_describe, planet_file_with_five_bands_is_refused_with_its_time_kept) {
  temp_dir dir;
  const std::string path = dir / (std::string(k_a) + "_3B_AnalyticMS_SR.tif");
  write_tif(path, tif_spec().with_bands(5));
  const auto s = sw::describe_scene(path, "", "");
  EXPECT_EQ(s.kind, sw::scene_kind::planet);
  EXPECT_EQ(s.id, k_a);
  EXPECT_TRUE(contains(s.error, path)) << s.error;
  EXPECT_TRUE(contains(s.error, "wrong band count 5, expected 4 or 8")) << s.error;
  EXPECT_EQ(s.acquired, "2023-10-05T01:35:12Z");
}

TEST(scene_describe, planet_metadata_problems_are_scene_errors) {
  temp_dir dir;
  const std::string path = dir / (std::string(k_a) + "_3B_AnalyticMS_SR.tif");
  write_tif(path);
  const std::string meta = dir / "m.json";

  write_file(meta, "{ not json");
  auto s = sw::describe_scene(path, "", meta);
  EXPECT_TRUE(contains(s.error, meta) && contains(s.error, "bad JSON")) << s.error;

  write_file(meta, planet_metadata(k_a, "2023-13-05T01:35:12Z"));
  s = sw::describe_scene(path, "", meta);
  EXPECT_TRUE(contains(s.error, meta) && contains(s.error, "bad \"acquired\" time")) << s.error;

  // No "acquired": the id gives the time.
  write_file(meta, R"({"type": "Feature", "geometry": null, "properties": {"gsd": 3.7}})");
  s = sw::describe_scene(path, "", meta);
  EXPECT_EQ(s.error, "");
  EXPECT_EQ(s.acquired, "2023-10-05T01:35:12Z");
  EXPECT_EQ(s.metadata.gsd, 3.7);
  EXPECT_TRUE(contains(s.footprint_wkt, "POLYGON")) << s.footprint_wkt;

  // An id that is no date needs the metadata's time.
  const std::string odd = dir / "20231301_000000_00_abcd_3B_AnalyticMS_SR.tif";
  write_tif(odd);
  s = sw::describe_scene(odd, "", "");
  EXPECT_TRUE(contains(s.error, "no acquisition time")) << s.error;
  write_file(meta, planet_metadata("20231301_000000_00_abcd", "2023-12-01T00:00:00Z"));
  s = sw::describe_scene(odd, "", meta);
  EXPECT_EQ(s.error, "");
  EXPECT_EQ(s.acquired, "2023-12-01T00:00:00Z");

  // A UDM2 that is not one.
  const std::string udm2 = dir / "u.tif";
  write_tif(udm2, tif_spec().with_bands(3));
  s = sw::describe_scene(path, udm2, "");
  EXPECT_TRUE(contains(s.error, udm2) && contains(s.error, "expected 8")) << s.error;
  s = sw::describe_scene(path, dir / "missing_udm2.tif", "");
  EXPECT_TRUE(contains(s.error, "missing_udm2.tif")) << s.error;
}

// ---- generic rasters ------------------------------------------------------------------------

TEST(scene_index, generic_scene_time_from_sidecars_and_tiff_tag) {
  temp_dir dir;
  write_tif(dir / "g1.tif");
  write_file(dir / "g1.json", R"({"acquired": "2023-09-01T00:00:00Z", "satellite_id": "s1"})");
  write_tif(dir / "g2.tif");
  write_file(dir / "g2.tif.json",
             R"({"properties": {"acquired": "2023-09-02T09:00:00+09:00", "gsd": 0.5}})");
  // {file}.json comes before {stem}.json.
  write_tif(dir / "g3.tif", tif_spec().with_datetime("2023:09:03 12:00:00"));
  write_file(dir / "g3.tif.json", R"({"acquired": "2023-09-04T00:00:00Z"})");
  write_file(dir / "g3.json", R"({"acquired": "2023-08-01T00:00:00Z"})");
  // A sidecar without "acquired" falls through to the TIFF tag.
  write_tif(dir / "g4.tif", tif_spec().with_datetime("2023:09:03 12:00:00"));
  write_file(dir / "g4.json", R"({"note": "no time here"})");
  write_tif(dir / "g5.tif");  // no time at all
  write_tif(dir / "g6.tif");
  write_file(dir / "g6.json", "{ broken");
  write_tif(dir / "g7.tif", tif_spec().with_datetime("yesterday"));

  const auto scenes = sw::index_scenes(dir.path().string());
  ASSERT_EQ(scenes.size(), 7u);
  // Failed scenes carry no time and sort first.
  EXPECT_EQ(ids_of(scenes), (std::vector<std::string>{"g5", "g6", "g7", "g1", "g2", "g4", "g3"}));
  const auto* g1 = find_id(scenes, "g1");
  EXPECT_EQ(g1->error, "");
  EXPECT_EQ(g1->kind, sw::scene_kind::generic);
  EXPECT_EQ(g1->product, "generic");
  EXPECT_EQ(g1->acquired, "2023-09-01T00:00:00Z");
  EXPECT_EQ(g1->metadata_path, dir / "g1.json");
  EXPECT_EQ(g1->satellite_id, "s1");
  const auto* g2 = find_id(scenes, "g2");
  EXPECT_EQ(g2->error, "");
  EXPECT_EQ(g2->acquired, "2023-09-02T00:00:00Z");
  EXPECT_EQ(g2->metadata.gsd, 0.5);
  EXPECT_EQ(find_id(scenes, "g3")->acquired, "2023-09-04T00:00:00Z");
  const auto* g4 = find_id(scenes, "g4");
  EXPECT_EQ(g4->error, "");
  EXPECT_EQ(g4->acquired_unix, 1693742400);
  EXPECT_EQ(g4->metadata_path, "");

  const auto* g5 = find_id(scenes, "g5");
  EXPECT_TRUE(contains(g5->error, dir / "g5.tif")) << g5->error;
  EXPECT_TRUE(contains(g5->error,
                       "no acquisition time: add a sidecar JSON g5.json with an "
                       "\"acquired\" key (RFC 3339) or a TIFFTAG_DATETIME"))
      << g5->error;
  EXPECT_TRUE(contains(find_id(scenes, "g6")->error, "bad JSON"));
  EXPECT_TRUE(contains(find_id(scenes, "g7")->error, "bad TIFFTAG_DATETIME"));
}

TEST(scene_describe, generic_band_names_from_descriptions_and_colour) {
  temp_dir dir;
  const std::string rgba = dir / "rgba.tif";
  write_tif(rgba, tif_spec()
                      .with_datetime("2023:09:03 12:00:00")
                      .with_options({"PHOTOMETRIC=RGB", "ALPHA=YES"}));
  auto s = sw::describe_scene(rgba, "", "");
  EXPECT_EQ(s.error, "");
  EXPECT_EQ(s.alpha_band, 4);
  EXPECT_EQ(s.band_count, 3);
  EXPECT_EQ(s.data_bands, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(s.band_names, (std::vector<std::string>{"red", "green", "blue"}));
  EXPECT_TRUE(s.named_bands());
  EXPECT_EQ(s.mask, sw::mask_source::mask);

  const std::string described = dir / "described.tif";
  write_tif(described, tif_spec()
                           .with_bands(6)
                           .with_datetime("2023:09:03 12:00:00")
                           .with_descriptions({"Coastal Blue", "green-i", " Red Edge ",
                                               "Near Infrared", "Band 5", "NIR"}));
  s = sw::describe_scene(described, "", "");
  EXPECT_EQ(s.error, "");
  // The second "nir" cannot be matched by name.
  EXPECT_EQ(s.band_names,
            (std::vector<std::string>{"coastal_blue", "green_i", "rededge", "nir", "", ""}));
  EXPECT_FALSE(s.named_bands());
  EXPECT_EQ(s.mask, sw::mask_source::none);

  // Descriptions win over colour interpretation.
  const std::string both = dir / "both.tif";
  write_tif(both, tif_spec()
                      .with_bands(3)
                      .with_datetime("2023:09:03 12:00:00")
                      .with_descriptions({"nir", "", ""})
                      .with_interps({GCI_RedBand, GCI_GreenBand, GCI_GrayIndex}));
  s = sw::describe_scene(both, "", "");
  EXPECT_EQ(s.band_names, (std::vector<std::string>{"nir", "green", ""}));

  // Nodata alone is not a mask; a per-dataset mask band is.
  const std::string nodata = dir / "nodata.tif";
  write_tif(nodata, tif_spec().with_datetime("2023:09:03 12:00:00").with_nodata(0.0));
  EXPECT_EQ(sw::describe_scene(nodata, "", "").mask, sw::mask_source::none);
  const std::string masked = dir / "masked.tif";
  write_tif(masked, tif_spec().with_datetime("2023:09:03 12:00:00").with_mask());
  s = sw::describe_scene(masked, "", "");
  EXPECT_EQ(s.error, "");
  EXPECT_EQ(s.mask, sw::mask_source::mask);
  EXPECT_EQ(s.alpha_band, 0);
  EXPECT_EQ(s.band_count, 4);
}

TEST(scene_describe, unreadable_and_unreferenced_files_are_errors_not_throws) {
  temp_dir dir;
  const std::string junk = dir / "junk.tif";
  write_file(junk, "this is not a TIFF");
  auto s = sw::describe_scene(junk, "", "");
  EXPECT_TRUE(contains(s.error, junk)) << s.error;
  EXPECT_EQ(s.id, "junk");

  s = sw::describe_scene(dir / "nowhere.tif", "", "");
  EXPECT_TRUE(contains(s.error, "nowhere.tif")) << s.error;

  const std::string plain = dir / "plain.tif";
  write_tif(plain, tif_spec().without_georeferencing().with_datetime("2023:09:03 12:00:00"));
  s = sw::describe_scene(plain, "", "");
  EXPECT_TRUE(contains(s.error, "not georeferenced")) << s.error;
}

TEST(scene_describe, truncated_file_is_an_error_not_a_throw) {
  temp_dir dir;
  for (const char* layout : {"INTERLEAVE=PIXEL", "INTERLEAVE=BAND", "TILED=YES"}) {
    const std::string path = dir / (std::string(k_a) + "_3B_AnalyticMS_SR.tif");
    write_tif(path, tif_spec().with_size(300, 200).with_options(
                        {layout, "BLOCKXSIZE=64", "BLOCKYSIZE=64"}));
    ASSERT_EQ(sw::describe_scene(path, "", "").error, "") << layout;
    const auto whole = fs::file_size(path);
    fs::resize_file(path, whole - 1);  // one byte short: the last block is incomplete
    EXPECT_TRUE(contains(sw::describe_scene(path, "", "").error, "truncated")) << layout;
    fs::resize_file(path, whole * 3 / 4);
    const auto s = sw::describe_scene(path, "", "");
    EXPECT_TRUE(contains(s.error, path)) << layout << ": " << s.error;
    EXPECT_TRUE(contains(s.error, "truncated")) << layout << ": " << s.error;

    const auto scenes = sw::index_scenes(dir.path().string());
    ASSERT_EQ(scenes.size(), 1u);
    EXPECT_FALSE(scenes[0].error.empty());
    fs::remove(path);
  }
}

// ---- where scenes come from -----------------------------------------------------------------

TEST(scene_index, list_file_with_comments_and_relative_paths) {
  temp_dir dir;
  write_tif(dir / "s/g1.tif", tif_spec().with_datetime("2023:09:01 00:00:00"));
  write_tif(dir / "s/g2.tif", tif_spec().with_datetime("2023:09:02 00:00:00"));
  write_tif(dir / "s/unlisted.tif", tif_spec().with_datetime("2023:09:02 00:00:00"));
  const std::string planet = dir / ("p/" + std::string(k_a) + "_3B_AnalyticMS_SR.tif");
  write_tif(planet);
  write_tif(dir / ("p/" + std::string(k_a) + "_3B_udm2.tif"), tif_spec().with_bands(8));
  write_file(dir / "lists/scenes.txt",
             "# scenes for the test\n"
             "\n"
             "  ../s/g1.tif  \r\n"
             "#../s/unlisted.tif\n"
             "../s/g2.tif\n" +
                 planet + "\n" + "../s/missing.tif");
  const auto scenes = sw::index_scenes(dir / "lists/scenes.txt");
  EXPECT_EQ(ids_of(scenes), (std::vector<std::string>{"missing", "g1", "g2", k_a}));
  EXPECT_EQ(scenes[1].path, dir / "lists/../s/g1.tif");
  EXPECT_EQ(scenes[1].error, "");
  EXPECT_TRUE(contains(scenes[0].error, "missing.tif") && contains(scenes[0].error, "scenes.txt"))
      << scenes[0].error;
  EXPECT_EQ(scenes[3].udm2_path, dir / ("p/" + std::string(k_a) + "_3B_udm2.tif"));
}

TEST(scene_paths, urls_in_lists_become_gdal_paths) {
  EXPECT_EQ(sw::url_to_gdal_path("http://h:8080/a/b.tif"), "/vsicurl/http://h:8080/a/b.tif");
  EXPECT_EQ(sw::url_to_gdal_path("HTTPS://h/b.tif"), "/vsicurl/HTTPS://h/b.tif");
  EXPECT_EQ(sw::url_to_gdal_path("s3://bucket/k/b.tif"), "/vsis3/bucket/k/b.tif");
  EXPECT_EQ(sw::url_to_gdal_path("file:///d/b.tif"), "/d/b.tif");
  for (const char* same : {"/vsicurl/http://h/b.tif", "/d/b.tif", "b.tif", "/vsigs/b/k.tif"})
    EXPECT_EQ(sw::url_to_gdal_path(same), same);
  EXPECT_EQ(sw::resolve_listed_path("b.tif", "/lists"), "/lists/b.tif");
  EXPECT_EQ(sw::resolve_listed_path("../s/b.tif", "/vsicurl/http://h/lists"),
            "/vsicurl/http://h/lists/../s/b.tif");
  EXPECT_EQ(sw::resolve_listed_path("http://h/b.tif", "/lists"), "/vsicurl/http://h/b.tif");
  EXPECT_EQ(sw::resolve_listed_path("/vsiaz/c/b.tif", "/lists"), "/vsiaz/c/b.tif");
  EXPECT_EQ(sw::resolve_listed_path("ftp://h/b.tif", "/lists"), "ftp://h/b.tif");
}

// A list line that is an http(s) URL is read through /vsicurl/ (before: stat'ed as a local
// path, "no such file"); file:// lines are local paths. Port 9 (discard) refuses at once.
TEST(scene_index, list_file_urls_are_read_through_gdal) {
  temp_dir dir;
  write_tif(dir / "s/g1.tif", tif_spec().with_datetime("2023:09:01 00:00:00"));
  write_file(dir / "scenes.txt",
             "file://" + (dir / "s/g1.tif") + "\n" + "http://127.0.0.1:9/archive/g2.tif\n");
  const auto scenes = sw::index_scenes(dir / "scenes.txt");
  ASSERT_EQ(scenes.size(), 2u);
  EXPECT_EQ(ids_of(scenes), (std::vector<std::string>{"g2", "g1"}));
  EXPECT_EQ(scenes[0].path, "/vsicurl/http://127.0.0.1:9/archive/g2.tif");
  EXPECT_TRUE(contains(scenes[0].error, "no such file (listed in")) << scenes[0].error;
  EXPECT_EQ(scenes[1].path, dir / "s/g1.tif");
  EXPECT_EQ(scenes[1].error, "");
}

TEST(scene_index, zip_archives_are_read_in_place) {
  temp_dir dir;
  const std::string id = k_a;
  write_tif(dir / "tmp/data.tif");
  write_tif(dir / "tmp/udm2.tif", tif_spec().with_bands(8));
  const std::string zip = dir / "order.zip";
  {
    void* z = CPLCreateZip(zip.c_str(), nullptr);
    ASSERT_NE(z, nullptr);
    const auto add = [&](const std::string& name, const std::string& bytes) {
      ASSERT_EQ(CPLCreateFileInZip(z, name.c_str(), nullptr), CE_None);
      ASSERT_EQ(CPLWriteFileInZip(z, bytes.data(), static_cast<int>(bytes.size())), CE_None);
      ASSERT_EQ(CPLCloseFileInZip(z), CE_None);
    };
    add("PSScene/" + id + "_3B_AnalyticMS_SR.tif", sw::test::read_text(dir / "tmp/data.tif"));
    add("PSScene/" + id + "_3B_udm2.tif", sw::test::read_text(dir / "tmp/udm2.tif"));
    add("PSScene/" + id + "_metadata.json", planet_metadata(id, "2023-10-05T01:35:12Z"));
    add("manifest.json", "{}");
    ASSERT_EQ(CPLCloseZip(z), CE_None);
  }
  fs::remove_all(dir / "tmp");

  for (const std::string& path : {"/vsizip/" + zip, zip, dir.path().string()}) {
    const auto scenes = sw::index_scenes(path);
    ASSERT_EQ(scenes.size(), 1u) << path;
    const auto& s = scenes[0];
    EXPECT_EQ(s.error, "") << path;
    EXPECT_EQ(s.path, "/vsizip/" + zip + "/PSScene/" + id + "_3B_AnalyticMS_SR.tif");
    EXPECT_EQ(s.udm2_path, "/vsizip/" + zip + "/PSScene/" + id + "_3B_udm2.tif");
    EXPECT_EQ(s.item_type, "PSScene");
    EXPECT_EQ(s.mask, sw::mask_source::udm2);
  }
}

// GDAL cannot open an empty zip as a folder, nor a broken one: the empty one has no raster,
// the broken one cannot be listed.
TEST(scene_index, an_empty_zip_has_no_raster_and_a_broken_one_cannot_be_listed) {
  temp_dir dir;
  const auto error_of = [](const std::string& path) -> std::string {
    try {
      sw::index_scenes(path);
    } catch (const sw::input_error& e) {
      return e.what();
    }
    return "(no error)";
  };
  const std::string empty = dir / "empty.zip";
  ASSERT_EQ(CPLCloseZip(CPLCreateZip(empty.c_str(), nullptr)), CE_None);
  for (const std::string& path : {empty, "/vsizip/" + empty}) {
    const std::string what = error_of(path);
    EXPECT_TRUE(contains(what, "no raster found")) << path << ": " << what;
  }
  sw::test::write_text(dir / "broken.zip", "this is not a zip file\n");
  const std::string what = error_of(dir / "broken.zip");
  EXPECT_TRUE(contains(what, "cannot list directory")) << what;
}

// A relative --scenes (a folder or a zip) is recorded absolute, /vsizip/ paths included, so
// that `report` run from another folder still finds the scenes (issue 13).
TEST(scene_index, relative_paths_are_recorded_absolute) {
  temp_dir dir;
  const std::string id = k_a;
  write_tif(dir / ("p/" + id + "_3B_AnalyticMS_SR.tif"));
  {
    void* z = CPLCreateZip((dir / "order.zip").c_str(), nullptr);
    ASSERT_NE(z, nullptr);
    const std::string bytes = sw::test::read_text(dir / ("p/" + id + "_3B_AnalyticMS_SR.tif"));
    ASSERT_EQ(CPLCreateFileInZip(z, ("PSScene/" + id + "_3B_AnalyticMS_SR.tif").c_str(), nullptr),
              CE_None);
    ASSERT_EQ(CPLWriteFileInZip(z, bytes.data(), static_cast<int>(bytes.size())), CE_None);
    ASSERT_EQ(CPLCloseFileInZip(z), CE_None);
    ASSERT_EQ(CPLCloseZip(z), CE_None);
  }
  const fs::path before = fs::current_path();
  fs::current_path(dir.path());
  std::vector<sw::scene_info> folder, zip;
  try {
    folder = sw::index_scenes("p");
    zip = sw::index_scenes("order.zip");
    const auto vsizip = sw::index_scenes("/vsizip/order.zip");
    EXPECT_EQ(vsizip.size(), 1u);
    if (!vsizip.empty()) {
      EXPECT_EQ(vsizip[0].path,
                "/vsizip/" + (dir / "order.zip") + "/PSScene/" + id + "_3B_AnalyticMS_SR.tif");
    }
  } catch (...) {
    fs::current_path(before);
    throw;
  }
  fs::current_path(before);
  ASSERT_EQ(folder.size(), 1u);
  ASSERT_EQ(zip.size(), 1u);
  EXPECT_EQ(folder[0].path, dir / ("p/" + id + "_3B_AnalyticMS_SR.tif"));
  EXPECT_EQ(zip[0].path,
            "/vsizip/" + (dir / "order.zip") + "/PSScene/" + id + "_3B_AnalyticMS_SR.tif");
  EXPECT_EQ(zip[0].error, "");
}

// What a run records of its inputs (scenes, runs) is absolute: a relative local path, also
// the archive inside a /vsizip/ path, against the working folder; URLs and other GDAL paths
// as GDAL reads them.
TEST(scene_paths, inputs_are_made_absolute_for_the_record) {
  const std::string cwd = fs::current_path().string();
  EXPECT_EQ(sw::absolute_gdal_path("a/scenes"), cwd + "/a/scenes");
  EXPECT_EQ(sw::absolute_gdal_path("/d/scenes"), "/d/scenes");
  EXPECT_EQ(sw::absolute_gdal_path("/vsizip/order.zip"), "/vsizip/" + cwd + "/order.zip");
  EXPECT_EQ(sw::absolute_gdal_path("/vsitar/o/a.tar/PSScene"),
            "/vsitar/" + cwd + "/o/a.tar/PSScene");
  EXPECT_EQ(sw::absolute_gdal_path("/vsizip//d/order.zip"), "/vsizip//d/order.zip");
  EXPECT_EQ(sw::absolute_gdal_path("/vsizip/{a.zip/b.zip}/x"), "/vsizip/{a.zip/b.zip}/x");
  EXPECT_EQ(sw::absolute_gdal_path("https://h/items.json"), "/vsicurl/https://h/items.json");
  EXPECT_EQ(sw::absolute_gdal_path("/vsis3/b/k"), "/vsis3/b/k");
  EXPECT_EQ(sw::absolute_gdal_path(""), "");
}

TEST(scene_index, result_does_not_depend_on_listing_order) {
  temp_dir dir;
  std::vector<std::string> names;
  for (int i = 0; i < 6; ++i) {
    // Pairs share a time, so the id decides between them.
    const std::string name = "scene_" + std::string(1, static_cast<char>('f' - i)) + ".tif";
    write_tif(dir / name,
              tif_spec().with_datetime("2023:09:0" + std::to_string(1 + i / 2) + " 00:00:00"));
    names.push_back(name);
  }
  std::string forward, backward;
  for (std::size_t i = 0; i < names.size(); ++i) {
    forward += names[i] + "\n";
    backward += names[names.size() - 1 - i] + "\n";
  }
  write_file(dir / "forward.txt", forward);
  write_file(dir / "backward.txt", backward);
  const std::vector<std::string> expected{"scene_e", "scene_f", "scene_c",
                                          "scene_d", "scene_a", "scene_b"};
  EXPECT_EQ(ids_of(sw::index_scenes(dir / "forward.txt")), expected);
  EXPECT_EQ(ids_of(sw::index_scenes(dir / "backward.txt")), expected);
  EXPECT_EQ(ids_of(sw::index_scenes(dir.path().string())), expected);
}

TEST(scene_index, duplicate_generic_ids_are_refused_after_the_first) {
  temp_dir dir;
  write_tif(dir / "one/x.tif", tif_spec().with_datetime("2023:09:01 00:00:00"));
  write_tif(dir / "two/x.tif", tif_spec().with_datetime("2023:09:02 00:00:00"));
  const auto scenes = sw::index_scenes(dir.path().string());
  ASSERT_EQ(scenes.size(), 2u);
  EXPECT_EQ(scenes[0].error, "");
  EXPECT_EQ(scenes[0].path, dir / "one/x.tif");
  EXPECT_TRUE(contains(scenes[1].error, "duplicate scene id x")) << scenes[1].error;
}

TEST(scene_index, vector_files_and_sidecars_are_not_scenes) {
  temp_dir dir;
  write_tif(dir / "g.tif", tif_spec().with_datetime("2023:09:01 00:00:00"));
  write_file(dir / "g.tif.aux.xml", "<PAMDataset/>");
  write_file(dir / "sites.geojson", R"({"type": "FeatureCollection", "features": []})");
  GDALAllRegister();
  GDALDatasetH gpkg = GDALCreate(GDALGetDriverByName("GPKG"), (dir / "sites.gpkg").c_str(), 0, 0, 0,
                                 GDT_Unknown, nullptr);
  ASSERT_NE(gpkg, nullptr);
  ASSERT_NE(GDALDatasetCreateLayer(gpkg, "sites", nullptr, wkbPolygon, nullptr), nullptr);
  GDALClose(gpkg);
  const auto scenes = sw::index_scenes(dir.path().string());
  EXPECT_EQ(ids_of(scenes), (std::vector<std::string>{"g"}));
}

TEST(scene_index, missing_or_empty_input_is_an_input_error) {
  temp_dir dir;
  EXPECT_THROW(sw::index_scenes(dir / "does_not_exist"), sw::input_error);
  EXPECT_THROW(sw::index_scenes(dir.path().string()), sw::input_error);
  write_file(dir / "notes.txt", "");
  write_file(dir / "sub/meta.json", "{}");
  write_tif(dir / ("sub/" + std::string(k_d) + "_3B_udm2.tif"), tif_spec().with_bands(8));
  try {
    sw::index_scenes(dir.path().string());
    FAIL() << "no throw";
  } catch (const sw::input_error& e) {
    EXPECT_TRUE(contains(e.what(), dir.path().string())) << e.what();
    EXPECT_TRUE(contains(e.what(), "no raster")) << e.what();
  }
}
