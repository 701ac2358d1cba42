// The site grid: a north-up raster in a projected CRS on which every scene of a site is
// compared (SPEC 1.2). Computed from the zones alone, so the same catalog always gives the
// same grid, to the bit.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace sw {

struct site_grid {
  std::string crs;  // as given ("EPSG:32652") or derived from the UTM zone
  std::string crs_wkt;
  double x0 = 0.0;   // west edge, CRS units (metres)
  double y0 = 0.0;   // north edge
  double gsd = 3.0;  // pixel size, metres
  int width = 0;
  int height = 0;

  // GDAL geotransform: {x0, gsd, 0, y0, 0, -gsd}.
  std::array<double, 6> geotransform() const { return {x0, gsd, 0.0, y0, 0.0, -gsd}; }
  long long pixels() const { return static_cast<long long>(width) * height; }
};

// "EPSG:326NN" (north) or "EPSG:327NN" (south) for the UTM zone holding (lon, lat) in
// degrees. Zone from floor((lon + 180) / 6) + 1, clamped to 1..60 (the Norway and
// Svalbard exceptions are not applied).
std::string utm_crs_for(double lon_deg, double lat_deg);

// The grid covering [minx, maxx] x [miny, maxy] (in the grid CRS) plus `margin` on every
// side, its edges snapped outwards to whole multiples of gsd.
site_grid snap_grid(const std::string& crs, double minx, double miny, double maxx, double maxy,
                    double gsd, double margin);

}  // namespace sw
