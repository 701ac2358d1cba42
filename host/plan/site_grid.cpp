#include "host/plan/site_grid.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <cpl_conv.h>
#include <ogr_spatialref.h>

#include "host/common/error.hpp"

namespace sw {

std::string utm_crs_for(double lon_deg, double lat_deg) {
  SW_EXPECTS(std::isfinite(lon_deg) && std::isfinite(lat_deg),
             fmt::format("utm_crs_for: coordinates not finite ({}, {})", lon_deg, lat_deg));
  // Longitudes past the antimeridian (a transformed polygon can reach 180.0001) are brought
  // back into [-180, 180) first; exactly 180 stays, and the clamp puts it in zone 60.
  if (lon_deg < -180.0 || lon_deg > 180.0) lon_deg = std::remainder(lon_deg, 360.0);
  int zone = static_cast<int>(std::floor((lon_deg + 180.0) / 6.0)) + 1;
  zone = std::clamp(zone, 1, 60);
  return fmt::format("EPSG:{}{:02}", lat_deg >= 0.0 ? 326 : 327, zone);
}

site_grid snap_grid(const std::string& crs, double minx, double miny, double maxx, double maxy,
                    double gsd, double margin) {
  SW_EXPECTS(std::isfinite(gsd) && gsd > 0.0, fmt::format("snap_grid: bad gsd {}", gsd));
  SW_EXPECTS(std::isfinite(margin) && margin >= 0.0,
             fmt::format("snap_grid: bad margin {}", margin));
  SW_EXPECTS(std::isfinite(minx) && std::isfinite(miny) && std::isfinite(maxx) &&
                 std::isfinite(maxy) && minx <= maxx && miny <= maxy,
             fmt::format("snap_grid: bad extent [{}, {}] x [{}, {}]", minx, maxx, miny, maxy));

  site_grid g;
  g.crs = crs;
  g.gsd = gsd;

  OGRSpatialReference srs;
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  // No file or network look-ups: a CRS string never makes us read anything.
  if (srs.SetFromUserInput(
          crs.c_str(), OGRSpatialReference::SET_FROM_USER_INPUT_LIMITATIONS_get()) != OGRERR_NONE)
    throw input_error(fmt::format("grid CRS '{}' is not a coordinate reference system", crs));
  char* wkt = nullptr;
  const char* const options[] = {"FORMAT=WKT2_2019", nullptr};
  const OGRErr err = srs.exportToWkt(&wkt, options);
  if (wkt) g.crs_wkt = wkt;
  CPLFree(wkt);
  SW_EXPECTS(err == OGRERR_NONE, fmt::format("cannot write grid CRS '{}' as WKT", crs));

  // Snapped outwards in units of whole pixels from the CRS origin, so that the grid depends
  // only on the extent and never on the order or history of the computation.
  g.x0 = std::floor((minx - margin) / gsd) * gsd;
  const double x1 = std::ceil((maxx + margin) / gsd) * gsd;
  g.y0 = std::ceil((maxy + margin) / gsd) * gsd;
  const double y1 = std::floor((miny - margin) / gsd) * gsd;
  const long long w = std::llround((x1 - g.x0) / gsd);
  const long long h = std::llround((g.y0 - y1) / gsd);
  SW_EXPECTS(w <= std::numeric_limits<int>::max() && h <= std::numeric_limits<int>::max(),
             fmt::format("snap_grid: grid of {} x {} pixels is too large", w, h));
  g.width = static_cast<int>(w);
  g.height = static_cast<int>(h);
  return g;
}

}  // namespace sw
