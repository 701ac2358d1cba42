// What the libFuzzer targets share (issue 12): the fuzzer's bytes as a file in GDAL's
// in-memory file system, where sitewatch's readers (all of them go through GDAL's VSI) read
// them as they would read a file on disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <spdlog/spdlog.h>

#include "host/io/gdal_util.hpp"

namespace sw::fuzz {

// Writes `data` to /vsimem/fuzz/<name> (replacing it) and returns that path. The first call
// also silences sitewatch's log: the readers' warnings about each input would cost most of
// the fuzzer's time.
inline std::string as_file(const std::string& name, const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);  // (GDAL's messages: gdal_init silences them)
    return true;
  }();
  (void)quiet;
  sw::gdal_init();
  const std::string path = "/vsimem/fuzz/" + name;
  VSIUnlink(path.c_str());
  VSILFILE* f = VSIFOpenL(path.c_str(), "wb");
  if (f != nullptr) {
    if (size > 0) VSIFWriteL(data, 1, size, f);
    VSIFCloseL(f);
  }
  return path;
}

// The Planet id of valid_scene(), which the metadata and STAC seeds name.
constexpr const char* k_scene_id = "20230905_101112_22_2403";

// A 16 x 16, 4-band uint16 GeoTIFF in UTM 52N, /vsimem/fuzz/<k_scene_id>_3B_AnalyticMS_SR.tif:
// a valid PSScene asset for the documents that describe one. Made once.
inline const std::string& valid_scene() {
  static const std::string path = [] {
    sw::gdal_init();
    const std::string p = std::string("/vsimem/fuzz/") + k_scene_id + "_3B_AnalyticMS_SR.tif";
    GDALDriver* gtiff = GetGDALDriverManager()->GetDriverByName("GTiff");
    GDALDataset* ds = gtiff->Create(p.c_str(), 16, 16, 4, GDT_UInt16, nullptr);
    if (ds == nullptr) std::abort();
    double gt[6] = {600000, 3, 0, 4700000, 0, -3};
    ds->SetGeoTransform(gt);
    OGRSpatialReference srs;
    srs.importFromEPSG(32652);
    ds->SetSpatialRef(&srs);
    for (int b = 1; b <= 4; ++b) ds->GetRasterBand(b)->Fill(1000 + b);
    GDALClose(ds);
    return p;
  }();
  return path;
}

}  // namespace sw::fuzz
