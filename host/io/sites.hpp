// The site catalog (SPEC 1.2): any OGR vector source, any CRS, one feature per zone.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "host/plan/site_grid.hpp"

namespace sw {

struct config;

// One zone: one catalog feature.
struct zone {
  std::string site_id;
  std::string name;           // the feature's `name`, may be empty
  std::string class_name;     // a class of the config, or "change"
  long long feature_id = -1;  // the feature's FID in the catalog, for messages
  // All catalog properties as text, in field order (written back to the `sites` layer).
  std::vector<std::pair<std::string, std::string>> properties;
  std::string wkt_lonlat;  // geometry in EPSG:4326, longitude/latitude axis order
  std::string wkt_grid;    // geometry in the site grid's CRS
};

struct site {
  std::string id;
  std::string name;  // the first non-empty `name` of its zones
  std::vector<zone> zones;
  site_grid grid;
  // Class names of the zones, sorted, unique ("change" included when a zone has it).
  std::vector<std::string> classes() const;
};

struct site_catalog {
  std::string path;
  std::vector<site> sites;  // sorted by site id
};

// Reads and validates the catalog. Throws sw::input_error that names the file, the
// feature (FID and site_id when known) and what is wrong: unreadable source, no
// features, missing or empty site_id or class, a class not in the config, a missing,
// empty or non-polygonal geometry, an invalid grid_crs, a grid_gsd_m that is not a
// positive number, zones of one site that disagree on grid_crs or grid_gsd_m. Every problem
// of the catalog is in the one message, one line each. Rules in docs/CONFIG.md.
site_catalog load_sites(const std::string& path, const config& cfg);

}  // namespace sw
