// Scenes of the archive (SPEC 1.1): discovery, Planet asset sets, metadata, acquisition
// time, band names. Reading pixels is host/io/scene_reader.hpp; acquisition times as text
// are host/io/scene_time.hpp, Planet's naming conventions host/io/planet_names.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sw {

enum class scene_kind { planet, generic };
enum class mask_source { udm2, mask, none };
std::string to_string(mask_source m);

// What a Planet metadata JSON says of a scene beyond its id, time and satellite (unset
// without metadata). Written to the `scenes` table as it is.
struct scene_metadata {
  std::string instrument, quality_category;
  std::optional<double> cloud_cover, clear_percent, gsd, view_angle, sun_elevation;
};

struct scene_info {
  std::string id;             // Planet item id (e.g. 20231005_013512_59_247d), or the file stem
  std::string path;           // the data raster, any GDAL path
  std::string udm2_path;      // empty: none
  std::string metadata_path;  // empty: none
  scene_kind kind = scene_kind::generic;
  std::string product;                   // analytic_sr | analytic | generic
  mask_source mask = mask_source::none;  // udm2 if udm2_path, mask if alpha/mask band

  // Acquisition time, UTC: seconds since the Unix epoch, and RFC 3339 ("...Z").
  std::int64_t acquired_unix = 0;
  std::string acquired;

  // From the metadata JSON where present.
  std::string item_type, satellite_id;
  scene_metadata metadata;

  // Raster facts.
  int width = 0, height = 0;
  int band_count = 0;                   // data bands (alpha excluded)
  std::vector<int> data_bands;          // 1-based GDAL band numbers of the data bands
  std::vector<std::string> band_names;  // canonical names per data band ("" if unknown)
  int alpha_band = 0;                   // 1-based alpha band, 0 if none
  std::string crs_wkt;
  std::string udm2_crs_wkt;  // the UDM2's own CRS (normally the data's), read once here
  std::array<double, 6> geotransform{};
  // Footprint, EPSG:4326 lon/lat WKT: the metadata geometry if any, else the raster extent.
  std::string footprint_wkt;

  // Non-empty when the scene cannot be used (unreadable, wrong band count, no time, ...):
  // the run records it as failed with this message.
  std::string error;

  // True when every data band has a known name (matching is by name, else by position).
  bool named_bands() const;
};

// Finds the scenes under PATH (SPEC 1.1): a directory searched recursively (also /vsizip/
// and other GDAL virtual file systems), a text file with one path per line (blank lines
// and lines starting with # ignored; relative paths are relative to the list file), or a
// single raster. Planet assets of one item id are grouped wherever they sit in the tree.
// Scenes that cannot be used are returned with `error` set, not thrown. The result is
// sorted by (acquired_unix, id), so it does not depend on listing order.
// Throws sw::input_error when PATH itself does not exist or holds no raster at all.
// `area_wkt` (lon/lat WKT, e.g. every site's zones), when given, lets a catalogue skip what
// misses it unopened: a STAC item whose geometry does not meet the area is returned with its
// facts from the item (id, time, footprint, metadata, the data asset's path) and its raster
// never opened; the plan then finds it overlaps no site, as it would have.
std::vector<scene_info> index_scenes(const std::string& path, const std::string& area_wkt = {});

// Reads one scene's facts. `udm2_path` / `metadata_path` may be empty.
scene_info describe_scene(const std::string& path, const std::string& udm2_path,
                          const std::string& metadata_path);

}  // namespace sw
