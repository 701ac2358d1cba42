// --rasters: each change raster is a valid COG on the site grid, its three bands as written,
// and tagged with what it shows (TIFFTAG_DATETIME, site_id, scene_id, acquired, reference).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <gdal_priv.h>

#include "host/io/gdal_util.hpp"
#include "host/output/raster_writer.hpp"
#include "host/plan/site_grid.hpp"
#include "test_util.hpp"

namespace {

sw::site_grid small_grid() {
  return sw::snap_grid("EPSG:32652", 600000.0, 4699998.0, 600021.0, 4700010.0, 3.0, 0.0);
}

TEST(raster_writer, tiff_datetime_is_the_tiff_form_in_utc) {
  EXPECT_EQ(sw::tiff_datetime(0), "1970:01:01 00:00:00");
  EXPECT_EQ(sw::tiff_datetime(1696296912), "2023:10:03 01:35:12");
}

TEST(raster_writer, a_cog_with_its_bands_and_tags) {
  sw::test::temp_dir dir;
  const sw::site_grid g = small_grid();
  ASSERT_EQ(g.width, 7);
  ASSERT_EQ(g.height, 4);
  const auto n = static_cast<std::size_t>(g.pixels());
  std::vector<float> magnitude(n);
  std::vector<std::uint8_t> mask(n), valid(n);
  for (std::size_t i = 0; i < n; ++i) {
    valid[i] = i % 5 != 0;
    magnitude[i] = valid[i] ? static_cast<float>(i) * 1.5f : -1.0f;
    mask[i] = valid[i] && i % 3 == 0;
  }
  const sw::change_raster_tags tags{"tumangang_rail", "20231003_013512_2402", 1696296912,
                                    "median:a+b+c"};
  sw::write_change_raster(dir.path().string(), tags, g, magnitude, mask, valid);

  const std::string path = dir / "tumangang_rail/20231003_013512_2402.tif";
  sw::gdal_dataset_ptr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  ASSERT_TRUE(ds) << path;
  EXPECT_STREQ(ds->GetMetadataItem("TIFFTAG_DATETIME"), "2023:10:03 01:35:12");
  EXPECT_STREQ(ds->GetMetadataItem("site_id"), "tumangang_rail");
  EXPECT_STREQ(ds->GetMetadataItem("scene_id"), "20231003_013512_2402");
  EXPECT_STREQ(ds->GetMetadataItem("acquired"), "2023-10-03T01:35:12Z");
  EXPECT_STREQ(ds->GetMetadataItem("reference"), "median:a+b+c");
  EXPECT_STREQ(ds->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"), "COG");
  ASSERT_EQ(ds->GetRasterCount(), 3);
  ASSERT_EQ(ds->GetRasterXSize(), g.width);
  std::array<double, 6> gt{};
  ds->GetGeoTransform(gt.data());
  EXPECT_EQ(gt, g.geotransform());
  std::vector<float> back(n);
  for (int b = 1; b <= 3; ++b) {
    ASSERT_EQ(ds->GetRasterBand(b)->RasterIO(GF_Read, 0, 0, g.width, g.height, back.data(), g.width,
                                             g.height, GDT_Float32, 0, 0),
              CE_None);
    for (std::size_t i = 0; i < n; ++i) {
      const float want = b == 1 ? magnitude[i] : b == 2 ? mask[i] : valid[i];
      ASSERT_EQ(back[i], want) << "band " << b << " pixel " << i;
    }
  }
  EXPECT_STREQ(ds->GetRasterBand(2)->GetDescription(), "change_mask");
}

TEST(raster_writer, no_reference_no_reference_tag) {
  sw::test::temp_dir dir;
  const sw::site_grid g = small_grid();
  const auto n = static_cast<std::size_t>(g.pixels());
  sw::write_change_raster(dir.path().string(), {"s", "first", 0, ""}, g,
                          std::vector<float>(n, -1.0f), std::vector<std::uint8_t>(n, 0),
                          std::vector<std::uint8_t>(n, 1));
  const std::string path = dir / "s/first.tif";
  sw::gdal_dataset_ptr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  ASSERT_TRUE(ds);
  EXPECT_EQ(ds->GetMetadataItem("reference"), nullptr);
  EXPECT_STREQ(ds->GetMetadataItem("scene_id"), "first");
}

}  // namespace
