// GDAL at the boundary: RAII handles and error conversion, so that the rest of the host
// code sees exceptions with the file name instead of CPLErr codes and null handles.
#pragma once

#include <memory>
#include <string>

#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>

class OGRFeature;

namespace sw {

// Registers the GDAL drivers once (thread-safe), and sets the options sitewatch relies on.
void gdal_init();

// GDAL's own owner (GDALClose on destruction).
using gdal_dataset_ptr = GDALDatasetUniquePtr;

// Opens a raster read-only; throws sw::error naming the path and GDAL's message.
gdal_dataset_ptr open_raster(const std::string& path);

// EPSG:4326 with x = longitude, y = latitude (GDAL's traditional GIS order, whatever the
// CRS says about axis order): what sitewatch writes and reads lon/lat in.
OGRSpatialReference lonlat_srs();

// A CRS from WKT (a site grid's, a scene's), x = easting. Throws sw::input_error naming
// `what` when GDAL cannot read it.
OGRSpatialReference srs_from_wkt(const std::string& wkt, const std::string& what);

// The last GDAL error message, or `fallback` when GDAL has none.
std::string gdal_last_error(const std::string& fallback = "unknown GDAL error");

// Routes this thread's GDAL messages to the debug log while alive, and starts from a clean
// "last error" so that the message reported belongs to the call that failed.
class gdal_error_scope {
 public:
  gdal_error_scope();
  gdal_error_scope(const gdal_error_scope&) = delete;
  gdal_error_scope& operator=(const gdal_error_scope&) = delete;

 private:
  CPLErrorHandlerPusher pusher_;  // GDAL's own push/pop of a handler
};

// While alive, GDAL opens on this thread of a file on a network file system
// (is_network_path: /vsicurl/, /vsis3/, ...) see the file alone in its folder, as with
// GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR (set thread-locally), unless the user set that
// option (environment, --config file): otherwise GDAL asks for the folder's listing (a plain
// HTTP server refuses it) and then for every sidecar any driver might use (.aux.xml, .msk,
// .IMD, _RPC.TXT, ... about 90 names a scene), one HEAD request each. Measured over http on a
// 6-scene archive: 638 requests for a run without it, 88 with it (docs/SCENES.md, "Remote
// archives"). The cost: an external .msk, .ovr or .aux.xml beside a remote scene is not
// seen. Does nothing for other paths.
class network_open_scope {
 public:
  explicit network_open_scope(const std::string& path);
  ~network_open_scope();
  network_open_scope(const network_open_scope&) = delete;
  network_open_scope& operator=(const network_open_scope&) = delete;

 private:
  bool active_ = false;
  bool had_previous_ = false;
  std::string previous_;  // this thread's own value before, restored after
};

// A geometry from WKT, no SRS attached; null for "" or text OGR cannot read.
std::unique_ptr<OGRGeometry> geometry_from_wkt(const std::string& wkt);

// Whether PATH (any GDAL path: /vsizip/, /vsis3/, ...) exists.
bool vsi_path_exists(const std::string& path);

// A field's value as text, a DateTime field as RFC 3339 in UTC to the second
// ("2023-10-05T01:35:12Z", as sitewatch writes times everywhere else), "" when NULL.
std::string field_text(const OGRFeature& f, int index);
std::string field_text(const OGRFeature& f, const char* name);

// The whole of a small file through GDAL's virtual file systems; throws sw::input_error
// naming the path when it cannot be read or is larger than max_bytes.
std::string vsi_read_file(const std::string& path, GIntBig max_bytes);

// Start and commit a transaction of ds; throw sw::error naming `path` when GDAL refuses.
void start_transaction(GDALDataset* ds, const std::string& path);
void commit_transaction(GDALDataset* ds, const std::string& path);

// Runs body() in one transaction of ds: committed whole, or rolled back when body throws.
template <class Body>
void in_transaction(GDALDataset* ds, const std::string& path, Body body) {
  start_transaction(ds, path);
  try {
    body();
  } catch (...) {
    ds->RollbackTransaction();
    throw;
  }
  commit_transaction(ds, path);
}

}  // namespace sw
