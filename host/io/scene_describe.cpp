// Describing one scene (SPEC 1.1; docs/SCENES.md). Every CPLErr or null handle becomes a
// message naming the file, and a scene that cannot be used carries that message in
// scene_info::error instead of throwing, so one bad file never stops the indexing of an
// archive.
#include "host/io/scene_describe.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <cpl_vsi.h>
#include <fmt/format.h>
#include <gdal.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"
#include "host/io/planet_names.hpp"
#include "host/io/scene_json.hpp"
#include "host/io/scene_paths.hpp"
#include "host/io/scene_time.hpp"

namespace sw {

std::string to_string(mask_source m) {
  switch (m) {
    case mask_source::udm2:
      return "udm2";
    case mask_source::mask:
      return "mask";
    case mask_source::none:
      return "none";
  }
  return "none";
}

bool scene_info::named_bands() const {
  return !band_names.empty() && std::none_of(band_names.begin(), band_names.end(),
                                             [](const std::string& n) { return n.empty(); });
}

bool identify_by_name(scene_info& s, const std::string& name) {
  const auto planet = parse_planet_name(name);
  if (planet && planet->role == planet_role::data) {
    s.kind = scene_kind::planet;
    s.id = planet->id;
    s.product = planet->product();
    return true;
  }
  s.kind = scene_kind::generic;
  s.id = stem_of(name);
  s.product = "generic";
  return false;
}

bool time_from_id(scene_info& s) {
  const auto t = time_from_planet_id(s.id);
  if (!t) return false;
  s.acquired_unix = *t;
  s.acquired = format_rfc3339(*t);
  return true;
}

namespace {

// ---- footprint and file checks ----------------------------------------------------------------

// The raster's outline in EPSG:4326 (x = lon), each side densified to 21 points so that a
// UTM scene's curved edges in lon/lat are followed to well under a pixel for Planet sizes.
std::string extent_footprint(const scene_info& s) {
  const OGRSpatialReference src = srs_from_wkt(s.crs_wkt, s.path);
  const OGRSpatialReference wgs84 = lonlat_srs();
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&src, &wgs84));
  if (!ct)
    throw input_error(fmt::format("{}: cannot transform its CRS to EPSG:4326: {}", s.path,
                                  gdal_last_error("no transformation")));
  constexpr int per_side = 20;  // segments; 21 points with the shared corners
  std::vector<double> px, py;
  const auto add_side = [&](double x0, double y0, double x1, double y1) {
    for (int i = 0; i < per_side; ++i) {
      const double f = static_cast<double>(i) / per_side;
      px.push_back(x0 + (x1 - x0) * f);
      py.push_back(y0 + (y1 - y0) * f);
    }
  };
  const double w = s.width, h = s.height;
  add_side(0, 0, 0, h);  // left, down
  add_side(0, h, w, h);  // bottom, right
  add_side(w, h, w, 0);  // right, up
  add_side(w, 0, 0, 0);  // top, left
  const auto& gt = s.geotransform;
  std::vector<double> x(px.size()), y(px.size());
  for (std::size_t i = 0; i < px.size(); ++i) {
    x[i] = gt[0] + px[i] * gt[1] + py[i] * gt[2];
    y[i] = gt[3] + px[i] * gt[4] + py[i] * gt[5];
  }
  std::vector<int> ok(x.size(), 0);
  ct->Transform(x.size(), x.data(), y.data(), nullptr, ok.data());
  OGRLinearRing ring;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (ok[i]) ring.addPoint(x[i], y[i]);
  if (ring.getNumPoints() < 3)
    throw input_error(fmt::format("{}: its extent cannot be transformed to EPSG:4326", s.path));
  ring.closeRings();
  // OGC simple features want the exterior ring counter-clockwise; a south-up geotransform
  // would turn the walk above around.
  if (ring.isClockwise()) ring.reverseWindingOrder();
  OGRPolygon poly;
  poly.addRing(&ring);
  return poly.exportToWkt();
}

// Where a GeoTIFF's last block of each band ends, from the TIFF directory (GDAL's "TIFF"
// metadata domain): the end of the furthest, or nullopt when a block has no offset (sparse
// files) or the file is not a GeoTIFF.
std::optional<long long> last_blocks_end(GDALDatasetH ds) {
  GDALDriverH drv = GDALGetDatasetDriver(ds);
  if (drv == nullptr || std::string(GDALGetDriverShortName(drv)) != "GTiff") return std::nullopt;
  const int n = GDALGetRasterCount(ds);
  const char* interleave = GDALGetMetadataItem(ds, "INTERLEAVE", "IMAGE_STRUCTURE");
  const bool pixel = interleave != nullptr && std::string(interleave) == "PIXEL";
  long long end = 0;
  for (int b = 1; b <= (pixel ? 1 : n); ++b) {
    GDALRasterBandH band = GDALGetRasterBand(ds, b);
    int bw = 0, bh = 0;
    GDALGetBlockSize(band, &bw, &bh);
    if (bw <= 0 || bh <= 0) return std::nullopt;
    const int bx = (GDALGetRasterXSize(ds) + bw - 1) / bw - 1;
    const int by = (GDALGetRasterYSize(ds) + bh - 1) / bh - 1;
    const std::string where = fmt::format("_{}_{}", bx, by);
    const char* off = GDALGetMetadataItem(band, ("BLOCK_OFFSET" + where).c_str(), "TIFF");
    const char* size = GDALGetMetadataItem(band, ("BLOCK_SIZE" + where).c_str(), "TIFF");
    if (off == nullptr || size == nullptr || std::atoll(off) <= 0) return std::nullopt;
    end = std::max(end, std::atoll(off) + std::atoll(size));
  }
  return end;
}

// GDAL opens a truncated GeoTIFF happily (the header is at the front); the loss shows only
// when a missing block is read. Blocks are written in order, so the last pixel of every band
// sits in the last block of the file. A GeoTIFF's directory says where that block ends,
// which is compared with the file's size (no decoding); other formats read that pixel of
// every band, decoding one block per band (one in all for pixel-interleaved files).
void check_readable_to_end(GDALDatasetH ds, const std::string& path) {
  const int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds), n = GDALGetRasterCount(ds);
  if (w <= 0 || h <= 0 || n <= 0) return;
  if (const auto end = last_blocks_end(ds)) {
    VSIStatBufL st;
    if (VSIStatL(path.c_str(), &st) == 0) {
      if (static_cast<long long>(st.st_size) < *end)
        throw input_error(
            fmt::format("{}: truncated (its last block ends at byte {}, the file has {} bytes)",
                        path, *end, static_cast<long long>(st.st_size)));
      return;
    }
  }
  std::vector<double> buf(static_cast<std::size_t>(n));
  if (GDALDatasetRasterIO(ds, GF_Read, w - 1, h - 1, 1, 1, buf.data(), 1, 1, GDT_Float64, n,
                          nullptr, 0, 0, 0) != CE_None)
    throw input_error(fmt::format("{}: truncated or corrupt (reading its last block failed: {})",
                                  path, gdal_last_error("read error")));
}

// Unlike the shared open_raster, takes the sibling list the walk already has, and reports
// an unopenable file as a scene error (sw::input_error) in the words of the `scenes` table.
gdal_dataset_ptr open_scene_raster(const std::string& path, CSLConstList siblings) {
  const network_open_scope network(path);
  gdal_dataset_ptr ds(GDALDataset::FromHandle(
      GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, siblings)));
  if (!ds) {
    // GDAL says "not recognized as a supported file format" of a file it may not read
    if (path.rfind("/vsi", 0) != 0 && ::access(path.c_str(), R_OK) != 0 && errno == EACCES)
      throw input_error(
          fmt::format("{}: permission denied (the file is not readable by this "
                      "user)",
                      path));
    throw input_error(fmt::format("{}: cannot open as a raster: {}", path,
                                  gdal_last_error("not a format GDAL can read")));
  }
  return ds;
}

// Returns the UDM2's CRS as WKT (GDAL builds it through PROJ: ~0.5 ms a file, so once per
// scene here rather than once per read).
std::string check_udm2(const std::string& udm2_path, const file_census* census) {
  const auto ds = open_scene_raster(udm2_path, census ? census->siblings(udm2_path) : nullptr);
  GDALDatasetH h = GDALDataset::ToHandle(ds.get());
  const int n = GDALGetRasterCount(h);
  if (n != 8)
    throw input_error(fmt::format("{}: wrong band count {} for a UDM2, expected 8", udm2_path, n));
  check_readable_to_end(h, udm2_path);
  const char* wkt = GDALGetProjectionRef(h);
  return wkt != nullptr ? wkt : "";
}

// ---- time ---------------------------------------------------------------------------------

// A Planet scene's time is known before its raster is opened: from the id, and from the
// metadata JSON, whose "acquired" wins.
void planet_time_and_metadata(scene_info& s, const std::string& metadata_path) {
  bool have_time = time_from_id(s);
  if (!metadata_path.empty()) {
    const nlohmann::json j = read_json(metadata_path);
    const auto props = j.is_object() ? j.find("properties") : j.end();
    if (props == j.end() || !props->is_object())
      throw input_error(
          fmt::format("{}: not a Planet item (no \"properties\" object)", metadata_path));
    // an item's metadata that names another item (copied or renamed beside the wrong
    // scene) would re-date the scene to the other's time: the scene fails with the reason
    const auto id = j.find("id");
    if (id != j.end() && id->is_string() && !s.id.empty() && id->get<std::string>() != s.id)
      throw input_error(
          fmt::format("{}: the metadata is item {}'s, not {}'s (a metadata JSON of another item)",
                      metadata_path, id->get<std::string>(), s.id));
    apply_properties(*props, s);
    have_time = apply_acquired(*props, metadata_path, s) || have_time;
    s.footprint_wkt = geojson_footprint(j, metadata_path);
  }
  if (!have_time)
    throw input_error(
        fmt::format("{}: no acquisition time: the id {} is not a valid date "
                    "YYYYMMDD_HHMMSS and {}",
                    s.path, s.id,
                    metadata_path.empty() ? "there is no metadata JSON"
                                          : metadata_path + " has no properties.acquired"));
}

// Either {"acquired": ...} or a Planet-like Feature {"properties": {"acquired": ...}}; null
// when the JSON has neither.
const nlohmann::json* acquired_properties(const nlohmann::json& j) {
  if (j.contains("acquired")) return &j;
  if (auto it = j.find("properties"); it != j.end() && it->is_object() && it->contains("acquired"))
    return &*it;
  return nullptr;
}

// Time of a generic scene from a sidecar JSON: the one the caller named, else {file}.json,
// else {stem}.json. False when none exists with an "acquired" key.
bool generic_time_from_sidecar(scene_info& s, const std::string& given, const file_census* census) {
  const std::string name = file_name(s.path);
  std::vector<std::string> candidates;
  if (!given.empty()) candidates.push_back(given);
  for (std::string p : {s.path + ".json", join_path(dir_name(s.path), stem_of(name) + ".json")})
    if (std::find(candidates.begin(), candidates.end(), p) == candidates.end())
      candidates.push_back(std::move(p));
  for (const auto& json_path : candidates) {
    const bool exists =
        json_path == given || (census ? census->exists(json_path) : vsi_path_exists(json_path));
    if (!exists) continue;
    const nlohmann::json j = read_json(json_path);
    if (!j.is_object()) continue;
    const nlohmann::json* props = acquired_properties(j);
    if (!props) {
      spdlog::debug("{}: no \"acquired\" key, not used for the time of {}", json_path, s.path);
      continue;
    }
    apply_acquired(*props, json_path, s);
    apply_properties(*props, s);
    s.footprint_wkt = geojson_footprint(j, json_path);
    s.metadata_path = json_path;
    return true;
  }
  return false;
}

// A generic scene's time: a sidecar JSON, else the TIFF DateTime tag.
void generic_time(scene_info& s, GDALDatasetH h, const std::string& metadata_path,
                  const file_census* census) {
  if (generic_time_from_sidecar(s, metadata_path, census)) return;
  const char* dt = GDALGetMetadataItem(h, "TIFFTAG_DATETIME", nullptr);
  const auto t = dt ? parse_tiff_datetime(dt) : std::nullopt;
  if (dt && !t)
    throw input_error(fmt::format(
        "{}: bad TIFFTAG_DATETIME \"{}\", expected \"YYYY:MM:DD HH:MM:SS\"", s.path, dt));
  if (!t)
    throw input_error(
        fmt::format("{}: no acquisition time: add a sidecar JSON {}.json with an \"acquired\" key "
                    "(RFC 3339) or a TIFFTAG_DATETIME",
                    s.path, stem_of(file_name(s.path))));
  s.acquired_unix = *t;
  s.acquired = format_rfc3339(*t);
}

// ---- raster ---------------------------------------------------------------------------------

// Size, CRS and geotransform; false when the raster has no geotransform.
bool read_georeferencing(scene_info& s, GDALDatasetH h) {
  s.width = GDALGetRasterXSize(h);
  s.height = GDALGetRasterYSize(h);
  if (const char* wkt = GDALGetProjectionRef(h)) s.crs_wkt = wkt;
  return GDALGetGeoTransform(h, s.geotransform.data()) == CE_None;
}

void check_georeferenced(const scene_info& s, bool have_gt) {
  if (s.crs_wkt.empty() || !have_gt)
    throw input_error(fmt::format(
        "{}: not georeferenced (no {}); rasters with only GCPs or RPCs must be orthorectified "
        "first, e.g. with gdalwarp",
        s.path, s.crs_wkt.empty() ? "coordinate reference system" : "geotransform"));
}

// A generic band's name: its description when that is a known name, else its colour.
std::string generic_band_name(GDALRasterBandH band) {
  std::string band_name = canonical_band_name(GDALGetDescription(band));
  if (!band_name.empty()) return band_name;
  switch (GDALGetRasterColorInterpretation(band)) {
    case GCI_RedBand:
      return "red";
    case GCI_GreenBand:
      return "green";
    case GCI_BlueBand:
      return "blue";
    default:
      return band_name;
  }
}

// Two bands called "red" cannot be matched by name: the repeats become unnamed, which turns
// the scene over to matching by position.
void unname_repeats(std::vector<std::string>& names) {
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (!names[i].empty() && names[i] == names[j]) {
        names[i].clear();
        break;
      }
}

// The data bands (every band but the first alpha one) and their names: Planet's from the
// band count, a generic raster's from each band.
void read_bands(scene_info& s, GDALDatasetH h, bool is_planet) {
  const int n = GDALGetRasterCount(h);
  s.data_bands.clear();
  s.band_names.clear();
  s.alpha_band = 0;
  for (int b = 1; b <= n; ++b) {
    GDALRasterBandH band = GDALGetRasterBand(h, b);
    if (GDALGetRasterColorInterpretation(band) == GCI_AlphaBand && s.alpha_band == 0) {
      s.alpha_band = b;
      continue;
    }
    // GDAL would hand over the real part of a complex pixel in silence: it is no reflectance.
    const GDALDataType type = GDALGetRasterDataType(band);
    if (GDALDataTypeIsComplex(type))
      throw input_error(fmt::format("{}: band {} has complex pixels ({}), not reflectance", s.path,
                                    b, GDALGetDataTypeName(type)));
    s.data_bands.push_back(b);
    if (!is_planet) s.band_names.push_back(generic_band_name(band));
  }
  s.band_count = static_cast<int>(s.data_bands.size());
  if (is_planet) {
    if (s.band_count != 4 && s.band_count != 8)
      throw input_error(
          fmt::format("{}: wrong band count {}, expected 4 or 8", s.path, s.band_count));
    s.band_names = planet_band_names(s.band_count);
  } else {
    unname_repeats(s.band_names);
  }
  if (s.band_count == 0)
    throw input_error(fmt::format("{}: no data band (only an alpha band)", s.path));
}

// Without a UDM2, only a real validity mask counts: a nodata value is not one (GMF_NODATA
// alone), and GMF_ALL_VALID means there is nothing to mask.
void set_mask_source(scene_info& s, GDALDatasetH h) {
  if (!s.udm2_path.empty()) return;
  const int flags = GDALGetMaskFlags(GDALGetRasterBand(h, s.data_bands.front()));
  if (s.alpha_band > 0 || (flags & GMF_PER_DATASET) != 0) s.mask = mask_source::mask;
}

// ---- the whole ------------------------------------------------------------------------------

// Fills `s` step by step and throws input_error at the first problem, leaving what was
// learnt so far in `s` (the run's `scenes` table shows it next to the error).
// `open_failed` tells index_scenes that GDAL would not open the file as a raster at all.
void describe_into(scene_info& s, const std::string& path, const std::string& udm2_path,
                   const std::string& metadata_path, const file_census* census, bool& open_failed) {
  gdal_init();
  gdal_error_scope errors;
  s.path = path;
  s.udm2_path = udm2_path;
  s.metadata_path = metadata_path;  // for a generic scene: replaced by the sidecar used
  const bool is_planet = identify_by_name(s, file_name(path));
  s.mask = udm2_path.empty() ? mask_source::none : mask_source::udm2;
  const bool time_known = !s.acquired.empty();  // a catalogue's (STAC), given by the caller
  if (is_planet && !time_known) planet_time_and_metadata(s, metadata_path);

  open_failed = true;
  const auto ds = open_scene_raster(path, census ? census->siblings(path) : nullptr);
  open_failed = false;
  GDALDatasetH h = GDALDataset::ToHandle(ds.get());
  const bool have_gt = read_georeferencing(s, h);
  read_bands(s, h, is_planet);
  set_mask_source(s, h);
  check_readable_to_end(h, path);
  check_georeferenced(s, have_gt);
  if (!is_planet && !time_known) generic_time(s, h, metadata_path, census);

  if (s.footprint_wkt.empty()) s.footprint_wkt = extent_footprint(s);
  if (!udm2_path.empty()) s.udm2_crs_wkt = check_udm2(udm2_path, census);
}

}  // namespace

namespace {

scene_info describe_from(scene_info s, const std::string& path, const std::string& udm2_path,
                         const std::string& metadata_path, const file_census* census,
                         bool* open_failed) {
  bool failed_open = false;
  try {
    describe_into(s, path, udm2_path, metadata_path, census, failed_open);
  } catch (const std::exception& e) {
    s.error = e.what();
    // SW_EXPECTS-style errors and library exceptions may not name the file; the run's
    // `scenes` table must say which file failed.
    if (s.error.find(path) == std::string::npos &&
        (udm2_path.empty() || s.error.find(udm2_path) == std::string::npos) &&
        (metadata_path.empty() || s.error.find(metadata_path) == std::string::npos))
      s.error = fmt::format("{}: {}", path, s.error);
  }
  if (open_failed) *open_failed = failed_open;
  return s;
}

}  // namespace

scene_info describe(const std::string& path, const std::string& udm2_path,
                    const std::string& metadata_path, const file_census* census,
                    bool* open_failed) {
  return describe_from(scene_info{}, path, udm2_path, metadata_path, census, open_failed);
}

scene_info describe_catalogued(const scene_info& known, const std::string& path,
                               const std::string& udm2_path) {
  scene_info s = describe_from(known, path, udm2_path, "", nullptr, nullptr);
  s.id = known.id;  // the catalogue's id, not the file name's
  return s;
}

scene_info describe_scene(const std::string& path, const std::string& udm2_path,
                          const std::string& metadata_path) {
  return describe(path, udm2_path, metadata_path, nullptr);
}

}  // namespace sw
