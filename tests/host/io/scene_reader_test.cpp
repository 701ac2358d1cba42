// Reading scenes onto site grids through the run's tile cache (host/io/tile_cache.hpp) gives
// the same bytes as reading the file directly, decodes a block once however many reads
// share it, and fails the way a direct read fails.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory_resource>
#include <string>
#include <thread>
#include <vector>

#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/scene_reader.hpp"
#include "host/io/tile_cache.hpp"
#include "test_util.hpp"

namespace {

constexpr double k_x0 = 600000.0, k_y0 = 4700000.0, k_gsd = 3.0;

std::string utm_wkt(int epsg) {
  OGRSpatialReference srs;
  srs.importFromEPSG(epsg);
  char* wkt = nullptr;
  srs.exportToWkt(&wkt);
  std::string out(wkt);
  CPLFree(wkt);
  return out;
}

// How Planet delivers: tiled, LZW, pixel-interleaved; 64 x 64 blocks over 300 x 200
// pixels, so that the right and bottom blocks are partial.
const std::vector<std::string> k_planet_layout{"TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64",
                                               "COMPRESS=LZW", "INTERLEAVE=PIXEL"};

// A raster of `bands` bands of `type`, pixel values varying in x and y, zero (nodata) in a
// corner square, with the GTiff creation options `layout`.
void write_raster(const std::string& path, int bands, GDALDataType type,
                  const std::vector<std::string>& layout = k_planet_layout) {
  sw::gdal_init();
  CPLStringList options;
  for (const auto& o : layout) options.AddString(o.c_str());
  const int w = 300, h = 200;
  GDALDataset* ds = GetGDALDriverManager()->GetDriverByName("GTiff")->Create(
      path.c_str(), w, h, bands, type, options.List());
  ASSERT_NE(ds, nullptr) << CPLGetLastErrorMsg();
  double gt[6] = {k_x0, k_gsd, 0, k_y0, 0, -k_gsd};
  ds->SetGeoTransform(gt);
  ds->SetProjection(utm_wkt(32652).c_str());
  std::vector<std::uint16_t> px(static_cast<std::size_t>(w) * h);
  for (int b = 1; b <= bands; ++b) {
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const bool hole = x < 40 && y < 40;
        px[static_cast<std::size_t>(y) * w + x] =
            hole ? 0
                 : static_cast<std::uint16_t>(type == GDT_Byte ? 1 + (x * 7 + y * 3 + b) % 200
                                                               : 900 + 13 * x + 7 * y + 50 * b);
      }
    ASSERT_EQ(ds->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, w, h, px.data(), w, h, GDT_UInt16, 0,
                                             0, nullptr),
              CE_None);
    if (type != GDT_Byte) ds->GetRasterBand(b)->SetNoDataValue(0);
  }
  GDALClose(ds);
}

sw::scene_info planet_scene(const sw::test::temp_dir& dir,
                            const std::vector<std::string>& layout = k_planet_layout,
                            const std::string& id = "s1") {
  sw::scene_info s;
  s.id = id;
  s.path = dir / (id + "_3B_AnalyticMS_SR_8b.tif");
  s.udm2_path = dir / (id + "_3B_udm2.tif");
  s.kind = sw::scene_kind::planet;
  s.crs_wkt = utm_wkt(32652);
  write_raster(s.path, 8, GDT_UInt16, layout);
  write_raster(s.udm2_path, 8, GDT_Byte, layout);
  return s;
}

// A grid over part of the scene, off its pixel lattice by a fraction of a pixel, reaching
// past the scene's edge when (dx, dy) put it there.
sw::site_grid grid_at(double dx, double dy, int w, int h, int epsg = 32652, double gsd = k_gsd) {
  sw::site_grid g;
  g.crs = "EPSG:" + std::to_string(epsg);
  g.crs_wkt = utm_wkt(epsg);
  g.x0 = k_x0 + dx;
  g.y0 = k_y0 - dy;
  g.gsd = gsd;
  g.width = w;
  g.height = h;
  return g;
}

void expect_same(const sw::warped_scene& a, const sw::warped_scene& b) {
  ASSERT_EQ(a.data.size(), b.data.size());
  EXPECT_TRUE(std::equal(a.data.begin(), a.data.end(), b.data.begin()));
  EXPECT_TRUE(std::equal(a.alpha.begin(), a.alpha.end(), b.alpha.begin()));
  ASSERT_EQ(a.udm2.size(), b.udm2.size());
  EXPECT_TRUE(std::equal(a.udm2.begin(), a.udm2.end(), b.udm2.begin()));
}

const std::vector<int> k_bands{1, 2, 3, 4, 5, 6, 7, 8};

}  // namespace

// Every grid read directly and through a tile cache: the same bytes.
void read_grids_both_ways(const sw::scene_info& scene) {
  sw::tile_cache tiles(64LL << 20);
  // inside, across block seams, over the nodata corner, past the right and bottom edges,
  // a coarser grid, and a grid in the neighbouring UTM zone (warped through PROJ)
  const std::vector<sw::site_grid> grids{grid_at(100.4, 50.7, 80, 60),
                                         grid_at(150.2, 90.1, 90, 70),
                                         grid_at(-20.5, -10.5, 70, 50),
                                         grid_at(800.3, 500.9, 120, 90),
                                         grid_at(30.0, 30.0, 50, 40, 32652, 5.0),
                                         grid_at(0.0, 0.0, 10, 10, 32651)};
  for (std::size_t i = 0; i < grids.size(); ++i) {
    sw::site_grid g = grids[i];
    if (i + 1 == grids.size()) {
      // the same ground in zone 51: transform the scene's centre
      OGRSpatialReference from, to;
      from.importFromEPSG(32652);
      to.importFromEPSG(32651);
      from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
      to.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
      auto* ct = OGRCreateCoordinateTransformation(&from, &to);
      double x = k_x0 + 200, y = k_y0 - 200;
      ASSERT_TRUE(ct->Transform(1, &x, &y));
      OGRCoordinateTransformation::DestroyCT(ct);
      g = grid_at(0, 0, 60, 60, 32651);
      g.x0 = x;
      g.y0 = y;
    }
    SCOPED_TRACE(i);
    const auto direct = sw::read_onto_grid(scene, g, k_bands);
    const auto cached =
        sw::read_onto_grid(scene, g, k_bands, std::pmr::get_default_resource(), &tiles);
    expect_same(direct, cached);
    // something was read: not all coverage zero
    EXPECT_NE(std::count(cached.alpha.begin(), cached.alpha.end(), 0),
              static_cast<std::ptrdiff_t>(cached.alpha.size()));
  }
  const auto counts = tiles.stats();
  EXPECT_GT(counts.decoded, 0);
  EXPECT_GT(counts.shared, 0);  // the grids overlap
}

TEST(scene_reader, cached_reads_equal_direct_reads_and_share_blocks) {
  sw::test::temp_dir dir;
  // Planet's layout and others: libtiff decodes the pixel-interleaved ones (down to the
  // rows a read needs: tiles, strips, LZW, DEFLATE with a predictor, none), GDAL the
  // band-interleaved one
  const std::vector<std::vector<std::string>> layouts{
      k_planet_layout,
      {"TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64", "COMPRESS=DEFLATE", "PREDICTOR=2",
       "INTERLEAVE=PIXEL"},
      {"COMPRESS=LZW", "PREDICTOR=2", "INTERLEAVE=PIXEL", "BLOCKYSIZE=16"},
      {"COMPRESS=NONE", "INTERLEAVE=PIXEL", "BLOCKYSIZE=24"},
      {"TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64", "COMPRESS=LZW", "INTERLEAVE=BAND"}};
  for (std::size_t l = 0; l < layouts.size(); ++l) {
    SCOPED_TRACE(layouts[l][0] + " " + layouts[l][layouts[l].size() - 1]);
    read_grids_both_ways(planet_scene(dir, layouts[l], "s" + std::to_string(l)));
  }
}

TEST(scene_reader, rasters_the_cache_cannot_stand_in_for_are_read_directly) {
  sw::test::temp_dir dir;
  sw::scene_info s;
  s.id = "g";
  s.path = dir / "g.tif";
  s.crs_wkt = utm_wkt(32652);
  // a per-dataset mask: the warper reads it from the file, so the cache stays out
  write_raster(s.path, 4, GDT_UInt16);
  {
    GDALDataset* u = GDALDataset::Open(s.path.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE);
    ASSERT_NE(u, nullptr);
    ASSERT_EQ(u->CreateMaskBand(GMF_PER_DATASET), CE_None);
    GDALClose(u);
  }
  sw::tile_cache tiles(64LL << 20);
  const auto g = grid_at(100.4, 50.7, 80, 60);
  const auto direct = sw::read_onto_grid(s, g, {1, 2, 3, 4});
  const auto cached =
      sw::read_onto_grid(s, g, {1, 2, 3, 4}, std::pmr::get_default_resource(), &tiles);
  expect_same(direct, cached);
  EXPECT_EQ(tiles.stats().decoded, 0);
}

TEST(scene_reader, a_block_that_cannot_be_decoded_fails_the_read_with_the_file_named) {
  sw::test::temp_dir dir;
  auto scene = planet_scene(dir);
  // cut the data file short: its last blocks are gone
  const auto size = std::filesystem::file_size(scene.path);
  std::filesystem::resize_file(scene.path, size * 2 / 3);
  sw::tile_cache tiles(64LL << 20);
  const auto g = grid_at(0, 0, 100, 66, 32652, 9.0);  // the whole raster
  try {
    sw::read_onto_grid(scene, g, k_bands);
    ADD_FAILURE() << "direct read of a truncated file succeeded";
  } catch (const sw::error& e) {
    EXPECT_NE(std::string(e.what()).find(scene.path), std::string::npos) << e.what();
  }
  for (int attempt = 0; attempt < 2; ++attempt) {  // a failure is not cached
    try {
      sw::read_onto_grid(scene, g, k_bands, std::pmr::get_default_resource(), &tiles);
      ADD_FAILURE() << "read of a truncated file succeeded";
    } catch (const sw::error& e) {
      EXPECT_NE(std::string(e.what()).find(scene.path), std::string::npos) << e.what();
    }
  }
}

TEST(tile_cache, one_decode_per_block_however_many_threads_ask) {
  sw::tile_cache cache(1LL << 20);
  std::atomic<int> decodes{0};
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int k = 0; k < 50; ++k) {
        const auto b = cache.get("f", k % 5, 0, 4, [&](int) {
          ++decodes;
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          return sw::tile_cache::block(16, std::byte{static_cast<unsigned char>(k % 5)});
        });
        if (b->size() != 16 || (*b)[0] != std::byte{static_cast<unsigned char>(k % 5)}) ++wrong;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(decodes.load(), 5);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(cache.stats().decoded, 5);
  EXPECT_EQ(cache.stats().shared, 8 * 50 - 5);
}

TEST(tile_cache, a_block_decoded_with_too_few_rows_is_decoded_again) {
  sw::tile_cache cache(1LL << 20);
  std::vector<int> asked;
  auto decode = [&](int rows) {
    asked.push_back(rows);
    return sw::tile_cache::block(static_cast<std::size_t>(rows), std::byte{7});
  };
  EXPECT_EQ(cache.get("f", 0, 0, 2, decode)->size(), 2u);
  EXPECT_EQ(cache.get("f", 0, 0, 1, decode)->size(), 2u);  // enough rows: shared
  EXPECT_EQ(cache.get("f", 0, 0, 5, decode)->size(), 5u);  // too few: decoded again
  EXPECT_EQ(cache.get("f", 0, 0, 5, decode)->size(), 5u);
  EXPECT_EQ(asked, (std::vector<int>{2, 5}));
  EXPECT_EQ(cache.stats().bytes, 5);  // the replaced block is gone
}

TEST(tile_cache, failures_reach_the_caller_and_are_not_kept) {
  sw::tile_cache cache(1LL << 20);
  EXPECT_THROW(
      cache.get("f", 0, 0, 1, [](int) -> sw::tile_cache::block { throw sw::error("bad block"); }),
      sw::error);
  int decodes = 0;
  cache.get("f", 0, 0, 1, [&](int) { return ++decodes, sw::tile_cache::block(4); });
  EXPECT_EQ(decodes, 1);
  EXPECT_EQ(cache.stats().decoded, 1);
}

TEST(tile_cache, least_recently_used_blocks_go_first_and_held_blocks_stay_valid) {
  sw::tile_cache cache(300);  // room for three blocks of 100 bytes
  auto make = [](int v) {
    return
        [v](int) { return sw::tile_cache::block(100, std::byte{static_cast<unsigned char>(v)}); };
  };
  const auto held = cache.get("f", 0, 0, 1, make(0));
  cache.get("f", 1, 0, 1, make(1));
  cache.get("f", 2, 0, 1, make(2));
  cache.get("f", 0, 0, 1, make(9));  // used again: now the most recent
  cache.get("f", 3, 0, 1, make(3));  // over capacity: block 1 goes
  EXPECT_EQ(cache.stats().bytes, 300);
  int decodes = 0;
  cache.get("f", 0, 0, 1, [&](int) { return ++decodes, sw::tile_cache::block(100); });
  EXPECT_EQ(decodes, 0);
  cache.get("f", 1, 0, 1, [&](int) { return ++decodes, sw::tile_cache::block(100); });
  EXPECT_EQ(decodes, 1);
  // a block dropped from the cache is still whole for whoever holds it
  for (int i = 4; i < 10; ++i) cache.get("f", i, 0, 1, make(i));
  EXPECT_EQ((*held)[99], std::byte{0});
}

TEST(tile_cache, a_file_s_blocks_go_after_its_last_expected_read) {
  sw::tile_cache cache(1LL << 20);
  auto make = [](int) { return sw::tile_cache::block(10); };
  cache.expect_read("a", std::nullopt);
  cache.expect_read("a", sw::tile_cache::window{0, 0, 10, 10});
  cache.get("a", 0, 0, 1, make);
  cache.get("a", 1, 0, 1, make);
  cache.get("b", 0, 0, 1, make);  // never announced: kept
  cache.read_done("a");
  EXPECT_EQ(cache.stats().bytes, 30);
  cache.read_done("a");
  EXPECT_EQ(cache.stats().bytes, 10);
}

TEST(tile_cache, rows_to_decode_cover_every_announced_read_of_a_block) {
  sw::tile_cache cache(1LL << 20);
  EXPECT_EQ(cache.rows_to_decode("never", 0, 0, 64, 64, 10), 10);   // not announced
  cache.expect_read("a", sw::tile_cache::window{10, 5, 50, 20.5});  // block (0,0): 21 rows
  cache.expect_read("a", sw::tile_cache::window{30, 40, 100, 70});  // (0,0) to 64, (1,1) 6
  cache.expect_read("a", sw::tile_cache::window{200, 0, 250, 30});  // other blocks
  EXPECT_EQ(cache.rows_to_decode("a", 0, 0, 64, 64, 1), 64);
  EXPECT_EQ(cache.rows_to_decode("a", 1, 1, 64, 64, 1), 6);
  EXPECT_EQ(cache.rows_to_decode("a", 1, 1, 64, 64, 9), 9);  // the read's own need counts
  EXPECT_EQ(cache.rows_to_decode("a", 3, 0, 64, 64, 1), 30);
  EXPECT_EQ(cache.rows_to_decode("a", 2, 0, 64, 64, 3), 3);  // no announced read touches it
  cache.expect_read("a", std::nullopt);  // a read that could not say where: whole blocks
  EXPECT_EQ(cache.rows_to_decode("a", 1, 1, 64, 64, 1), 64);
}

// Issue 12: a float32 scene whose pixels are NaN or +-Inf (all of them, or a patch) must
// not reach the kernels: those pixels, and those the resampling mixed them into, are
// invalid (coverage 0, bands 0); the rest of the scene reads as before.
TEST(scene_reader, non_finite_pixels_are_invalid) {
  sw::test::temp_dir dir;
  sw::gdal_init();
  const int w = 60, h = 40;
  auto write = [&](const std::string& path, auto value_at) {
    GDALDataset* ds = GetGDALDriverManager()->GetDriverByName("GTiff")->Create(
        path.c_str(), w, h, 4, GDT_Float32, nullptr);
    ASSERT_NE(ds, nullptr);
    double gt[6] = {k_x0, k_gsd, 0, k_y0, 0, -k_gsd};
    ds->SetGeoTransform(gt);
    ds->SetProjection(utm_wkt(32652).c_str());
    std::vector<float> px(static_cast<std::size_t>(w) * h);
    for (int b = 1; b <= 4; ++b) {
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) px[static_cast<std::size_t>(y) * w + x] = value_at(x, y, b);
      ASSERT_EQ(ds->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, w, h, px.data(), w, h, GDT_Float32,
                                               0, 0, nullptr),
                CE_None);
    }
    GDALClose(ds);
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  sw::scene_info s;
  s.id = "f";
  s.crs_wkt = utm_wkt(32652);
  const auto g = grid_at(0.0, 0.0, w, h);
  // all NaN, all +Inf, all -Inf: nothing valid, nothing non-finite left
  for (float bad : {nan, inf, -inf}) {
    s.path = dir / "all.tif";
    write(s.path, [&](int, int, int) { return bad; });
    const auto out = sw::read_onto_grid(s, g, {1, 2, 3, 4});
    EXPECT_EQ(std::count(out.alpha.begin(), out.alpha.end(), 0),
              static_cast<std::ptrdiff_t>(out.alpha.size()));
    for (float v : out.data) ASSERT_TRUE(std::isfinite(v));
  }
  // a NaN patch in one band: the patch is invalid in every band, far from it all is valid
  s.path = dir / "patch.tif";
  write(s.path, [&](int x, int y, int b) {
    return (b == 3 && x >= 20 && x < 30 && y >= 10 && y < 20) ? nan : 1000.0f + x + y + b;
  });
  const auto out = sw::read_onto_grid(s, g, {1, 2, 3, 4});
  const auto plane = static_cast<std::size_t>(w) * h;
  for (float v : out.data) ASSERT_TRUE(std::isfinite(v));
  EXPECT_EQ(out.alpha[15 * w + 25], 0);
  for (int b = 0; b < 4; ++b) EXPECT_EQ(out.data[b * plane + 15 * w + 25], 0.0f);
  EXPECT_NE(out.alpha[35 * w + 50], 0);
  EXPECT_FLOAT_EQ(out.data[0 * plane + 35 * w + 50], 1000.0f + 50 + 35 + 1);
}
