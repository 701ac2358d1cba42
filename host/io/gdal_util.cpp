#include "host/io/gdal_util.hpp"

#include <ogr_feature.h>

#include <mutex>

#include <cpl_error.h>
#include <cpl_vsi.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "host/common/error.hpp"
#include "host/io/scene_paths.hpp"

namespace sw {

void gdal_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    // Errors are read back with gdal_last_error and turned into exceptions; GDAL's own
    // printing to stderr would only duplicate them.
    CPLSetErrorHandler(CPLQuietErrorHandler);
  });
}

std::string gdal_last_error(const std::string& fallback) {
  const char* msg = CPLGetLastErrorMsg();
  if (msg == nullptr || *msg == '\0') return fallback;
  return msg;
}

namespace {

void CPL_STDCALL log_gdal_message(CPLErr level, CPLErrorNum, const char* message) {
  // Failures are reported through the exceptions built from CPLGetLastErrorMsg; what GDAL
  // says on the way (warnings about odd tags, etc.) only matters when debugging.
  if (level >= CE_Warning) spdlog::debug("GDAL: {}", message ? message : "");
}

}  // namespace

gdal_error_scope::gdal_error_scope() : pusher_(log_gdal_message) {
  CPLErrorReset();
}

namespace {
constexpr const char* k_readdir_option = "GDAL_DISABLE_READDIR_ON_OPEN";
}

network_open_scope::network_open_scope(const std::string& path) {
  if (!is_network_path(path) || CPLGetConfigOption(k_readdir_option, nullptr) != nullptr) return;
  if (const char* own = CPLGetThreadLocalConfigOption(k_readdir_option, nullptr)) {
    had_previous_ = true;
    previous_ = own;
  }
  CPLSetThreadLocalConfigOption(k_readdir_option, "EMPTY_DIR");
  active_ = true;
}

network_open_scope::~network_open_scope() {
  if (active_)
    CPLSetThreadLocalConfigOption(k_readdir_option, had_previous_ ? previous_.c_str() : nullptr);
}

std::unique_ptr<OGRGeometry> geometry_from_wkt(const std::string& wkt) {
  OGRGeometry* g = nullptr;
  if (wkt.empty() || OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g) != OGRERR_NONE)
    return nullptr;
  return std::unique_ptr<OGRGeometry>(g);
}

bool vsi_path_exists(const std::string& path) {
  VSIStatBufL st;
  return VSIStatExL(path.c_str(), &st, VSI_STAT_EXISTS_FLAG) == 0;
}

std::string vsi_read_file(const std::string& path, GIntBig max_bytes) {
  GByte* data = nullptr;
  vsi_l_offset size = 0;
  if (!VSIIngestFile(nullptr, path.c_str(), &data, &size, max_bytes)) {
    VSIFree(data);
    throw input_error(fmt::format("{}: cannot read: {}", path, gdal_last_error("read failed")));
  }
  std::string text(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
  VSIFree(data);
  return text;
}

gdal_dataset_ptr open_raster(const std::string& path) {
  gdal_init();
  const network_open_scope network(path);
  CPLErrorReset();
  auto* ds =
      GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR);
  if (ds == nullptr)
    throw error(fmt::format("{}: cannot open raster: {}", path, gdal_last_error("not recognised")));
  return gdal_dataset_ptr(ds);
}

OGRSpatialReference lonlat_srs() {
  OGRSpatialReference s;
  s.importFromEPSG(4326);
  s.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return s;
}

OGRSpatialReference srs_from_wkt(const std::string& wkt, const std::string& what) {
  OGRSpatialReference s;
  if (s.importFromWkt(wkt.c_str()) != OGRERR_NONE)
    throw input_error(fmt::format("{}: unreadable coordinate reference system", what));
  s.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return s;
}

void start_transaction(GDALDataset* ds, const std::string& path) {
  if (ds->StartTransaction() != OGRERR_NONE)
    throw error(fmt::format("{}: cannot start a transaction: {}", path, gdal_last_error()));
}

void commit_transaction(GDALDataset* ds, const std::string& path) {
  if (ds->CommitTransaction() != OGRERR_NONE)
    throw error(fmt::format("{}: cannot commit: {}", path, gdal_last_error()));
}

std::string field_text(const OGRFeature& f, int index) {
  if (index < 0 || !f.IsFieldSetAndNotNull(index)) return {};
  if (f.GetFieldDefnRef(index)->GetType() != OFTDateTime) return f.GetFieldAsString(index);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, tz = 0;
  float sec = 0;
  f.GetFieldAsDateTime(index, &y, &mo, &d, &h, &mi, &sec, &tz);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, mo, d, h, mi,
                     static_cast<int>(sec));
}

std::string field_text(const OGRFeature& f, const char* name) {
  return field_text(f, f.GetFieldIndex(name));
}

}  // namespace sw
