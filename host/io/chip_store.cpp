#include "host/io/chip_store.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include <cpl_string.h>
#include <fmt/format.h>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"
#include "kernels/valid_mask.cuh"

namespace sw {
namespace fs = std::filesystem;

namespace {

constexpr int k_udm2_planes = kern::udm2_planes;

// Writes a band-sequential buffer as a GeoTIFF (no georeferencing: the chip is on the
// site's grid by construction), aside first, then renamed into place.
void write_tiff(const std::string& path, int w, int h, int bands, GDALDataType type,
                const void* data, bool float_predictor) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  if (drv == nullptr) throw error("GDAL has no GTiff driver");
  CPLStringList opts;
  opts.SetNameValue("COMPRESS", "ZSTD");
  opts.SetNameValue("ZSTD_LEVEL", "1");  // fast: the store is scratch, written once, read twice
  opts.SetNameValue("PREDICTOR", float_predictor ? "3" : "1");
  opts.SetNameValue("INTERLEAVE", "BAND");
  opts.SetNameValue("BIGTIFF", "IF_SAFER");
  const std::string part = path + ".part";
  {
    gdal_dataset_ptr ds(drv->Create(part.c_str(), w, h, bands, type, opts.List()));
    if (!ds) throw error(fmt::format("{}: cannot create: {}", part, gdal_last_error()));
    if (ds->RasterIO(GF_Write, 0, 0, w, h, const_cast<void*>(data), w, h, type, bands, nullptr, 0,
                     0, 0, nullptr) != CE_None)
      throw error(fmt::format("{}: cannot write: {}", part, gdal_last_error()));
    ds->FlushCache();
  }  // closed: everything is on disk
  std::error_code ec;
  fs::rename(part, path, ec);
  if (ec) throw error(fmt::format("{}: cannot rename to {}: {}", part, path, ec.message()));
}

// Opens a chip and hands its size to `fill(width, height, bands)`, which sizes the
// destination and returns where to read (band-sequential) into.
template <class Fill>
void read_tiff(const std::string& path, GDALDataType type, Fill fill) {
  gdal_dataset_ptr ds = open_raster(path);
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize(), bands = ds->GetRasterCount();
  void* data = fill(w, h, bands);
  if (ds->RasterIO(GF_Read, 0, 0, w, h, data, w, h, type, bands, nullptr, 0, 0, 0, nullptr) !=
      CE_None)
    throw error(fmt::format("{}: cannot read: {}", path, gdal_last_error()));
}

}  // namespace

chip_store::chip_store(std::string dir) : dir_(std::move(dir)) {
  gdal_init();
  std::error_code ec;
  fs::remove_all(dir_, ec);  // a killed run's chips: their scenes are read again
  fs::create_directories(dir_, ec);
  if (ec) throw error(fmt::format("{}: cannot create the chip store: {}", dir_, ec.message()));
}

chip_store::~chip_store() {
  std::error_code ec;
  fs::remove_all(dir_, ec);  // best effort: a destructor does not throw
}

std::string chip_store::path(std::size_t key, const char* suffix) const {
  return fmt::format("{}/{}{}.tif", dir_, key, suffix);
}

void chip_store::put(std::size_t key, const warped_scene& w) {
  const std::size_t n = static_cast<std::size_t>(w.width) * w.height;
  // the masks first: a chip exists when its bands file does
  const int mask_planes = 1 + (w.udm2.empty() ? 0 : k_udm2_planes);
  std::vector<std::uint8_t> masks(n * mask_planes);
  std::copy(w.alpha.begin(), w.alpha.end(), masks.begin());
  std::copy(w.udm2.begin(), w.udm2.end(), masks.begin() + static_cast<std::ptrdiff_t>(n));
  write_tiff(path(key, ".masks"), w.width, w.height, mask_planes, GDT_Byte, masks.data(), false);
  write_tiff(path(key, ""), w.width, w.height, w.bands, GDT_Float32, w.data.data(), true);
  raw_bytes_ += static_cast<long long>(n * (sizeof(float) * w.bands + mask_planes));
}

warped_scene chip_store::get(std::size_t key, std::pmr::memory_resource* mr) const {
  warped_scene w{0,
                 0,
                 0,
                 std::pmr::vector<float>(mr),
                 std::pmr::vector<std::uint8_t>(mr),
                 std::pmr::vector<std::uint8_t>(mr)};
  read_tiff(path(key, ""), GDT_Float32, [&](int width, int height, int bands) -> void* {
    w.width = width;
    w.height = height;
    w.bands = bands;
    w.data.resize(static_cast<std::size_t>(width) * height * bands);
    return w.data.data();
  });
  const std::size_t n = static_cast<std::size_t>(w.width) * w.height;
  std::vector<std::uint8_t> masks;
  const std::string masks_path = path(key, ".masks");
  read_tiff(masks_path, GDT_Byte, [&](int width, int height, int planes) -> void* {
    if (width != w.width || height != w.height || (planes != 1 && planes != 1 + k_udm2_planes))
      throw error(fmt::format("{}: masks of {}x{}x{} for bands of {}x{}", masks_path, width, height,
                              planes, w.width, w.height));
    masks.resize(n * planes);
    return masks.data();
  });
  w.alpha.assign(masks.begin(), masks.begin() + static_cast<std::ptrdiff_t>(n));
  if (masks.size() > n) w.udm2.assign(masks.begin() + static_cast<std::ptrdiff_t>(n), masks.end());
  return w;
}

long long chip_store::disk_bytes() const {
  long long total = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec))
    if (e.is_regular_file(ec)) total += static_cast<long long>(e.file_size(ec));
  return total;
}

}  // namespace sw
