#include "host/plan/site_grid.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "host/common/error.hpp"
#include "host/config/config.hpp"
#include "host/io/sites.hpp"
#include "test_util.hpp"

namespace {

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

TEST(site_grid, utm_zone_north_and_south) {
  EXPECT_EQ(sw::utm_crs_for(130.3, 42.2), "EPSG:32652");    // Rajin
  EXPECT_EQ(sw::utm_crs_for(-46.3, -23.95), "EPSG:32723");  // Santos
  EXPECT_EQ(sw::utm_crs_for(3.0, 0.0), "EPSG:32631");       // the equator counts as north
  EXPECT_EQ(sw::utm_crs_for(3.0, -1e-9), "EPSG:32731");
  EXPECT_EQ(sw::utm_crs_for(-0.1, 51.5), "EPSG:32630");  // London, west of Greenwich
  EXPECT_EQ(sw::utm_crs_for(0.0, 51.5), "EPSG:32631");
}

TEST(site_grid, utm_zone_edges) {
  // Zones are 6 degrees wide from 180 W; an edge belongs to the zone east of it.
  EXPECT_EQ(sw::utm_crs_for(125.999999, 40.0), "EPSG:32651");
  EXPECT_EQ(sw::utm_crs_for(126.0, 40.0), "EPSG:32652");
  EXPECT_EQ(sw::utm_crs_for(-180.0, 10.0), "EPSG:32601");
  EXPECT_EQ(sw::utm_crs_for(-174.000001, 10.0), "EPSG:32601");
  EXPECT_EQ(sw::utm_crs_for(-174.0, 10.0), "EPSG:32602");
  EXPECT_EQ(sw::utm_crs_for(179.999, -10.0), "EPSG:32760");
  EXPECT_EQ(sw::utm_crs_for(180.0, -10.0), "EPSG:32760");  // clamped, not zone 61
  EXPECT_EQ(sw::utm_crs_for(180.5, 10.0), "EPSG:32601");   // past the antimeridian: wrapped
  EXPECT_EQ(sw::utm_crs_for(-180.5, 10.0), "EPSG:32660");
  // No Norway/Svalbard exceptions.
  EXPECT_EQ(sw::utm_crs_for(5.0, 60.0), "EPSG:32631");
  EXPECT_THROW(sw::utm_crs_for(NAN, 0.0), sw::error);
}

TEST(site_grid, snap_grid_edges_and_size) {
  const sw::site_grid g = sw::snap_grid("EPSG:32652", 1000.5, 2000.25, 1100.0, 2090.0, 3.0, 60.0);
  // x0 = floor(940.5 / 3) * 3, x1 = ceil(1160 / 3) * 3, y0 = ceil(2150 / 3) * 3,
  // y1 = floor(1940.25 / 3) * 3.
  EXPECT_EQ(g.x0, 939.0);
  EXPECT_EQ(g.y0, 2151.0);
  EXPECT_EQ(g.width, (1161 - 939) / 3);
  EXPECT_EQ(g.height, (2151 - 1938) / 3);
  EXPECT_EQ(g.gsd, 3.0);
  EXPECT_EQ(g.crs, "EPSG:32652");
  EXPECT_EQ(g.crs_wkt.rfind("PROJCRS[\"WGS 84 / UTM zone 52N\"", 0), 0u) << g.crs_wkt;
  EXPECT_EQ(g.pixels(), static_cast<long long>(g.width) * g.height);
  const auto gt = g.geotransform();
  EXPECT_EQ(gt[0], 939.0);
  EXPECT_EQ(gt[1], 3.0);
  EXPECT_EQ(gt[2], 0.0);
  EXPECT_EQ(gt[3], 2151.0);
  EXPECT_EQ(gt[4], 0.0);
  EXPECT_EQ(gt[5], -3.0);
}

TEST(site_grid, snap_grid_on_exact_multiples_adds_no_pixel) {
  const sw::site_grid g = sw::snap_grid("EPSG:32652", 300.0, 600.0, 900.0, 1200.0, 3.0, 0.0);
  EXPECT_EQ(g.x0, 300.0);
  EXPECT_EQ(g.y0, 1200.0);
  EXPECT_EQ(g.width, 200);
  EXPECT_EQ(g.height, 200);
}

TEST(site_grid, snap_grid_is_deterministic_to_the_bit) {
  for (const double gsd : {3.0, 0.5, 0.7, 2.9999}) {
    const sw::site_grid a =
        sw::snap_grid("EPSG:32652", 525123.4567, 4675001.1, 526000.9, 4676543.21, gsd, 60.0);
    const sw::site_grid b =
        sw::snap_grid("EPSG:32652", 525123.4567, 4675001.1, 526000.9, 4676543.21, gsd, 60.0);
    EXPECT_TRUE(same_bits(a.x0, b.x0));
    EXPECT_TRUE(same_bits(a.y0, b.y0));
    EXPECT_EQ(a.width, b.width);
    EXPECT_EQ(a.height, b.height);
    EXPECT_EQ(a.crs_wkt, b.crs_wkt);
    // Edges are whole multiples of gsd from the CRS origin, computed as the formula says.
    EXPECT_TRUE(same_bits(a.x0, std::floor((525123.4567 - 60.0) / gsd) * gsd));
    EXPECT_TRUE(same_bits(a.y0, std::ceil((4676543.21 + 60.0) / gsd) * gsd));
  }
}

TEST(site_grid, small_shifts_stay_on_the_pixel_lattice) {
  const double gsd = 3.0, margin = 60.0;
  const sw::site_grid base =
      sw::snap_grid("EPSG:32652", 1000.0, 2000.0, 1500.0, 2400.0, gsd, margin);
  for (const double shift : {0.1, 0.9, 1.5, 2.0, 2.99, -0.5, -2.5}) {
    const sw::site_grid g = sw::snap_grid("EPSG:32652", 1000.0 + shift, 2000.0 + shift,
                                          1500.0 + shift, 2400.0 + shift, gsd, margin);
    EXPECT_EQ(std::fmod(g.x0, gsd), 0.0) << shift;
    EXPECT_EQ(std::fmod(g.y0, gsd), 0.0) << shift;
    // Less than a pixel of shift moves an edge by at most one pixel ...
    EXPECT_LE(std::fabs(g.x0 - base.x0), gsd) << shift;
    EXPECT_LE(std::fabs(g.y0 - base.y0), gsd) << shift;
    EXPECT_LE(std::abs(g.width - base.width), 1) << shift;
    EXPECT_LE(std::abs(g.height - base.height), 1) << shift;
    // ... and the shifted box plus margin is still covered, with under a pixel to spare.
    EXPECT_LE(g.x0, 1000.0 + shift - margin);
    EXPECT_GT(g.x0 + gsd, 1000.0 + shift - margin);
    EXPECT_GE(g.x0 + g.width * gsd, 1500.0 + shift + margin);
    EXPECT_LT(g.x0 + (g.width - 1) * gsd, 1500.0 + shift + margin);
    EXPECT_GE(g.y0, 2400.0 + shift + margin);
    EXPECT_LE(g.y0 - g.height * gsd, 2000.0 + shift - margin);
  }
}

TEST(site_grid, snap_grid_rejects_bad_arguments) {
  EXPECT_THROW(sw::snap_grid("EPSG:32652", 0, 0, 10, 10, 0.0, 0.0), sw::error);
  EXPECT_THROW(sw::snap_grid("EPSG:32652", 0, 0, 10, 10, -1.0, 0.0), sw::error);
  EXPECT_THROW(sw::snap_grid("EPSG:32652", 0, 0, 10, 10, 3.0, -1.0), sw::error);
  EXPECT_THROW(sw::snap_grid("EPSG:32652", 10, 0, 0, 10, 3.0, 0.0), sw::error);
  EXPECT_THROW(sw::snap_grid("not a crs", 0, 0, 10, 10, 3.0, 0.0), sw::input_error);
}

// ---- the grid of catalog sites ------------------------------------------------------------

std::string one_site_catalog(double lon0, double lat0, double lon1, double lat1,
                             const std::string& extra = "") {
  return fmt::format(
      R"({{"type":"FeatureCollection","features":[{{"type":"Feature","properties":)"
      R"({{"site_id":"s","class":"ship"{4}}},"geometry":{{"type":"Polygon","coordinates":)"
      R"([[[{0},{1}],[{2},{1}],[{2},{3}],[{0},{3}],[{0},{1}]]]}}}}]}})",
      lon0, lat0, lon1, lat1, extra);
}

sw::site_grid grid_of(const std::string& geojson) {
  sw::test::temp_dir dir;
  const std::string path = dir / "sites.geojson";
  sw::test::write_text(path, geojson);
  return sw::load_sites(path, sw::default_config()).sites.at(0).grid;
}

TEST(site_grid, catalog_sites_get_the_utm_zone_of_their_centroid) {
  EXPECT_EQ(grid_of(one_site_catalog(130.29, 42.22, 130.31, 42.24)).crs, "EPSG:32652");
  EXPECT_EQ(grid_of(one_site_catalog(-46.31, -23.96, -46.29, -23.94)).crs, "EPSG:32723");
  // Straddling the 126 E zone edge: the centroid decides.
  EXPECT_EQ(grid_of(one_site_catalog(125.99, 40.0, 126.03, 40.01)).crs, "EPSG:32652");
  EXPECT_EQ(grid_of(one_site_catalog(125.97, 40.0, 126.01, 40.01)).crs, "EPSG:32651");
  // Straddling the equator.
  EXPECT_EQ(grid_of(one_site_catalog(10.0, -0.01, 10.02, 0.03)).crs, "EPSG:32632");
  EXPECT_EQ(grid_of(one_site_catalog(10.0, -0.03, 10.02, 0.01)).crs, "EPSG:32732");
  // A southern site keeps positive northings (false northing 10 000 km).
  const sw::site_grid santos = grid_of(one_site_catalog(-46.31, -23.96, -46.29, -23.94));
  EXPECT_GT(santos.y0, 7000000.0);
  EXPECT_LT(santos.y0, 8000000.0);
}

TEST(site_grid, catalog_grid_is_identical_on_every_load) {
  const std::string cat = one_site_catalog(130.2912345, 42.2212345, 130.3112345, 42.2412345);
  const sw::site_grid a = grid_of(cat);
  const sw::site_grid b = grid_of(cat);
  EXPECT_TRUE(same_bits(a.x0, b.x0));
  EXPECT_TRUE(same_bits(a.y0, b.y0));
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(std::fmod(a.x0, 3.0), 0.0);
  EXPECT_EQ(std::fmod(a.y0, 3.0), 0.0);
  // About 0.02 degrees square at 42 N: ~1650 m x ~2220 m, plus 2 x 60 m of margin.
  EXPECT_NEAR(a.width * 3.0, 1650.0 + 120.0, 60.0);
  EXPECT_NEAR(a.height * 3.0, 2222.0 + 120.0, 60.0);
}

TEST(site_grid, catalog_grid_crs_and_gsd_are_honoured) {
  const sw::site_grid g = grid_of(
      one_site_catalog(130.29, 42.22, 130.31, 42.24, R"(,"grid_crs":"EPSG:3857","grid_gsd_m":10)"));
  EXPECT_EQ(g.crs, "EPSG:3857");
  EXPECT_EQ(g.gsd, 10.0);
  EXPECT_EQ(std::fmod(g.x0, 10.0), 0.0);
  // Web Mercator x is R * longitude: 0.02 degrees is 2226 m at any latitude (1650 m on the
  // ground at 42 N), plus the margins.
  EXPECT_NEAR(g.width * 10.0, 2226.0 + 120.0, 30.0);
  EXPECT_NE(g.crs_wkt.find("Pseudo-Mercator"), std::string::npos);
}

}  // namespace
