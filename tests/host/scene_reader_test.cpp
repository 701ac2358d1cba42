// Reading scenes onto site grids through the run's tile cache (host/io/tile_cache.hpp) gives
// the same bytes as reading the file directly, decodes a block once however many reads
// share it, and fails the way a direct read fails.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
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

// A tiled, LZW, pixel-interleaved raster like a Planet asset: `bands` bands of `type`,
// pixel values varying in x and y, zero (nodata) in a corner square. 300 x 200 pixels in
// 64 x 64 blocks: the right and bottom blocks are partial.
void write_raster(const std::string& path, int bands, GDALDataType type,
                  const std::vector<std::string>& extra_options = {}) {
  sw::gdal_init();
  CPLStringList options;
  for (const char* o :
       {"TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64", "COMPRESS=LZW", "INTERLEAVE=PIXEL"})
    options.AddString(o);
  for (const auto& o : extra_options) options.AddString(o.c_str());
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

sw::scene_info planet_scene(const sw::test::temp_dir& dir) {
  sw::scene_info s;
  s.id = "s1";
  s.path = dir / "s1_3B_AnalyticMS_SR_8b.tif";
  s.udm2_path = dir / "s1_3B_udm2.tif";
  s.kind = sw::scene_kind::planet;
  s.crs_wkt = utm_wkt(32652);
  write_raster(s.path, 8, GDT_UInt16);
  write_raster(s.udm2_path, 8, GDT_Byte);
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

TEST(scene_reader, cached_reads_equal_direct_reads_and_share_blocks) {
  sw::test::temp_dir dir;
  const auto scene = planet_scene(dir);
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
  // 5 x 4 blocks of 64 in a 300 x 200 raster, two rasters: never more than 40 decodes
  EXPECT_LE(counts.decoded, 40);
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
        const auto b = cache.get("f", k % 5, 0, [&] {
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

TEST(tile_cache, failures_reach_the_caller_and_are_not_kept) {
  sw::tile_cache cache(1LL << 20);
  EXPECT_THROW(
      cache.get("f", 0, 0, []() -> sw::tile_cache::block { throw sw::error("bad block"); }),
      sw::error);
  int decodes = 0;
  cache.get("f", 0, 0, [&] { return ++decodes, sw::tile_cache::block(4); });
  EXPECT_EQ(decodes, 1);
  EXPECT_EQ(cache.stats().decoded, 1);
}

TEST(tile_cache, least_recently_used_blocks_go_first_and_held_blocks_stay_valid) {
  sw::tile_cache cache(300);  // room for three blocks of 100 bytes
  auto make = [](int v) {
    return [v] { return sw::tile_cache::block(100, std::byte{static_cast<unsigned char>(v)}); };
  };
  const auto held = cache.get("f", 0, 0, make(0));
  cache.get("f", 1, 0, make(1));
  cache.get("f", 2, 0, make(2));
  cache.get("f", 0, 0, make(9));  // used again: now the most recent
  cache.get("f", 3, 0, make(3));  // over capacity: block 1 goes
  EXPECT_EQ(cache.stats().bytes, 300);
  int decodes = 0;
  cache.get("f", 0, 0, [&] { return ++decodes, sw::tile_cache::block(100); });
  EXPECT_EQ(decodes, 0);
  cache.get("f", 1, 0, [&] { return ++decodes, sw::tile_cache::block(100); });
  EXPECT_EQ(decodes, 1);
  // a block dropped from the cache is still whole for whoever holds it
  for (int i = 4; i < 10; ++i) cache.get("f", i, 0, make(i));
  EXPECT_EQ((*held)[99], std::byte{0});
}
