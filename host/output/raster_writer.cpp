#include "host/output/raster_writer.hpp"

#include <filesystem>

#include <cpl_string.h>
#include <fmt/format.h>
#include <gdal_priv.h>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/scene_time.hpp"

namespace sw {

std::string tiff_datetime(std::int64_t unix_seconds) {
  // RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" to TIFF's "YYYY:MM:DD HH:MM:SS"
  std::string t = format_rfc3339(unix_seconds).substr(0, 19);
  t[4] = ':';
  t[7] = ':';
  t[10] = ' ';
  return t;
}

void write_change_raster(const std::string& dir, const change_raster_tags& tags,
                         const site_grid& grid, const std::vector<float>& magnitude,
                         const std::vector<std::uint8_t>& change_mask,
                         const std::vector<std::uint8_t>& valid) {
  gdal_init();
  namespace fs = std::filesystem;
  const fs::path folder = fs::path(dir) / tags.site_id;
  fs::create_directories(folder);
  const fs::path final_path = folder / (tags.scene_id + ".tif");
  const fs::path tmp_path = folder / (tags.scene_id + ".tif.part");

  auto* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  gdal_dataset_ptr ds(mem->Create("", grid.width, grid.height, 3, GDT_Float32, nullptr));
  SW_EXPECTS(ds != nullptr, "cannot create in-memory raster");
  auto gt = grid.geotransform();
  ds->SetGeoTransform(gt.data());
  ds->SetProjection(grid.crs_wkt.c_str());
  // The COG driver copies these: TIFFTAG_* as TIFF tags, the rest into GDAL_METADATA.
  ds->SetMetadataItem("TIFFTAG_DATETIME", tiff_datetime(tags.acquired_unix).c_str());
  ds->SetMetadataItem("site_id", tags.site_id.c_str());
  ds->SetMetadataItem("scene_id", tags.scene_id.c_str());
  ds->SetMetadataItem("acquired", format_rfc3339(tags.acquired_unix).c_str());
  if (!tags.reference.empty()) ds->SetMetadataItem("reference", tags.reference.c_str());
  const auto n = static_cast<std::size_t>(grid.pixels());
  std::vector<float> tmp(n);
  auto put = [&](int band, const char* desc, auto fill) {
    for (std::size_t i = 0; i < n; ++i) tmp[i] = fill(i);
    GDALRasterBand* b = ds->GetRasterBand(band);
    b->SetDescription(desc);
    if (b->RasterIO(GF_Write, 0, 0, grid.width, grid.height, tmp.data(), grid.width, grid.height,
                    GDT_Float32, 0, 0) != CE_None)
      throw error(fmt::format("{}: cannot fill band {}", final_path.string(), band));
  };
  put(1, "change_magnitude", [&](std::size_t i) { return magnitude[i]; });
  put(2, "change_mask", [&](std::size_t i) { return static_cast<float>(change_mask[i]); });
  put(3, "valid_mask", [&](std::size_t i) { return static_cast<float>(valid[i]); });
  ds->GetRasterBand(1)->SetNoDataValue(-1.0);

  auto* cog = GetGDALDriverManager()->GetDriverByName("COG");
  SW_EXPECTS(cog != nullptr, "GDAL COG driver missing");
  CPLStringList opts;
  opts.SetNameValue("COMPRESS", "DEFLATE");
  opts.SetNameValue("PREDICTOR", "YES");
  gdal_dataset_ptr out(
      cog->CreateCopy(tmp_path.c_str(), ds.get(), FALSE, opts.List(), nullptr, nullptr));
  if (!out)
    throw error(fmt::format("{}: cannot write: {}", final_path.string(), gdal_last_error()));
  out.reset();
  fs::rename(tmp_path, final_path);
}

}  // namespace sw
