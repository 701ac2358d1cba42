// Flat exports of a results GeoPackage (`sitewatch export`, `run --csv`).
#pragma once

#include <string>
#include <vector>

namespace sw {

enum class export_format { csv, geojson };

// Writes DIR/{layer}.csv or DIR/{layer}.geojson for each layer (default: site_counts and
// detections; for geojson also scenes and sites). CSV: a header row with the layer's
// columns; NULL is an empty cell; booleans are true/false; detections carry their
// geometry as a last `wkt` column. Files are written through a temporary name.
void export_tables(const std::string& gpkg, export_format format, const std::string& dir,
                   std::vector<std::string> layers = {});

}  // namespace sw
