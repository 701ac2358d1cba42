// STAC input (issue 13; https://github.com/radiantearth/stac-spec): `--scenes` may be a
// STAC ItemCollection or Item JSON, a local path or a URL GDAL can read. Each item is one
// scene: its assets give the data raster and the UDM2 (Planet's `ortho_analytic_8b_sr`,
// `ortho_analytic_4b_sr`, ..., `ortho_udm2`; else an asset with the role `data`, else
// `data` / `visual`), its `datetime` the time, its `geometry` the footprint, its
// properties the scenes table's metadata (Planet's names or STAC's: `platform`,
// `pl:item_type`, `eo:cloud_cover`, ...). docs/SCENES.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/io/scene.hpp"

namespace sw {

// The scenes of a STAC document, described (their rasters opened); nullopt when `path` is
// not a JSON document of type Feature with assets or FeatureCollection of such (then it is a
// directory, list or raster as before). An item that cannot be used comes back with `error`.
// `area_wkt`: as index_scenes' (items whose geometry misses it are not opened).
std::optional<std::vector<scene_info>> index_stac(const std::string& path,
                                                  const std::string& area_wkt = {});

// The scenes of a local folder of STAC Item or ItemCollection files (*.json, searched
// recursively, links not followed), in the order of their paths; nullopt when it holds
// none. index_scenes asks for them only when the folder holds no raster candidate, so a Planet
// archive's metadata JSONs (Features without assets) are never taken for items.
std::optional<std::vector<scene_info>> index_stac_folder(const std::string& dir,
                                                         const std::string& area_wkt = {});

// An href of an asset as a GDAL path: http(s) through /vsicurl/, s3:// through /vsis3/,
// relative ones against the folder of the document that names them.
std::string stac_href_to_gdal(const std::string& href, const std::string& document);

}  // namespace sw
