#include "host/io/sites.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include "host/common/error.hpp"
#include "host/config/config.hpp"
#include "test_util.hpp"

namespace {

using sw::test::temp_dir;
using sw::test::write_text;

#define EXPECT_CONTAINS(haystack, needle)                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "expected to find: " << (needle) << "\nin: " << (haystack)

// ---- GeoJSON text builders ----------------------------------------------------------------

// A lon/lat square of half-size `h` degrees around (lon, lat), as a GeoJSON geometry.
std::string square(double lon, double lat, double h = 0.002) {
  return fmt::format(
      R"({{"type":"Polygon","coordinates":[[[{0},{1}],[{2},{1}],[{2},{3}],[{0},{3}],[{0},{1}]]]}})",
      lon - h, lat - h, lon + h, lat + h);
}

std::string feature(const std::string& props, const std::string& geometry) {
  return fmt::format(R"({{"type":"Feature","properties":{{{}}},"geometry":{}}})", props, geometry);
}

std::string collection(const std::vector<std::string>& features, const std::string& crs = "") {
  std::string out = R"({"type":"FeatureCollection",)";
  if (!crs.empty())
    out += fmt::format(R"("crs":{{"type":"name","properties":{{"name":"{}"}}}},)", crs);
  out += R"("features":[)";
  for (std::size_t i = 0; i < features.size(); ++i) out += (i ? "," : "") + features[i];
  return out + "]}";
}

std::string load_error(const std::string& path, const sw::config& cfg = sw::default_config()) {
  try {
    sw::load_sites(path, cfg);
  } catch (const sw::input_error& e) {
    return e.what();
  }
  return "";
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    const std::size_t end = std::min(s.find('\n', pos), s.size());
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

OGREnvelope envelope_of_wkt(const std::string& wkt) {
  OGRGeometry* g = nullptr;
  EXPECT_EQ(OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g), OGRERR_NONE) << wkt;
  OGREnvelope e;
  if (g) g->getEnvelope(&e);
  OGRGeometryFactory::destroyGeometry(g);
  return e;
}

// The grid covers the zones plus the margin, with less than a pixel to spare per side.
void expect_grid_covers(const sw::site& s, double margin) {
  OGREnvelope env;
  for (const auto& z : s.zones) env.Merge(envelope_of_wkt(z.wkt_grid));
  const auto& g = s.grid;
  EXPECT_LE(g.x0, env.MinX - margin);
  EXPECT_GT(g.x0, env.MinX - margin - g.gsd);
  EXPECT_GE(g.y0, env.MaxY + margin);
  EXPECT_LT(g.y0, env.MaxY + margin + g.gsd);
  const double x1 = g.x0 + g.width * g.gsd;
  const double y1 = g.y0 - g.height * g.gsd;
  EXPECT_GE(x1, env.MaxX + margin);
  EXPECT_LT(x1, env.MaxX + margin + g.gsd);
  EXPECT_LE(y1, env.MinY - margin);
  EXPECT_GT(y1, env.MinY - margin - g.gsd);
  EXPECT_EQ(std::fmod(g.x0, g.gsd), 0.0);
  EXPECT_EQ(std::fmod(g.y0, g.gsd), 0.0);
}

// ---- OGR writers for the non-GeoJSON formats ----------------------------------------------

struct field_value {
  std::string name;
  std::string text;  // "" = unset
};

// Writes one layer with string fields (and a real grid_gsd_m when named so) via OGR.
void write_layer(GDALDataset& ds, const std::string& layer_name, const OGRSpatialReference* srs,
                 const std::vector<std::string>& fields,
                 const std::vector<std::pair<std::vector<std::string>, std::string>>& rows) {
  OGRLayer* layer = ds.CreateLayer(layer_name.c_str(), const_cast<OGRSpatialReference*>(srs),
                                   wkbUnknown, nullptr);
  ASSERT_NE(layer, nullptr);
  for (const auto& f : fields) {
    OGRFieldDefn def(f.c_str(), f == "grid_gsd_m" ? OFTReal : OFTString);
    ASSERT_EQ(layer->CreateField(&def), OGRERR_NONE);
  }
  for (const auto& [values, wkt] : rows) {
    OGRFeatureUniquePtr feat(OGRFeature::CreateFeature(layer->GetLayerDefn()));
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!values[i].empty()) feat->SetField(static_cast<int>(i), values[i].c_str());
    OGRGeometry* g = nullptr;
    ASSERT_EQ(OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g), OGRERR_NONE);
    feat->SetGeometryDirectly(g);
    ASSERT_EQ(layer->CreateFeature(feat.get()), OGRERR_NONE);
  }
}

GDALDatasetUniquePtr create_vector(const std::string& driver, const std::string& path) {
  GDALAllRegister();
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName(driver.c_str());
  EXPECT_NE(drv, nullptr) << driver;
  return GDALDatasetUniquePtr(drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
}

std::string utm_square_wkt(double x, double y, double w, double h) {
  return fmt::format("POLYGON (({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x, y, x + w, y + h);
}

// ---- tests --------------------------------------------------------------------------------

TEST(sites, geojson_in_lonlat) {
  temp_dir dir;
  const std::string path = dir / "sites.geojson";
  write_text(path, collection({
                       feature(R"("site_id":"rajin_port","name":"","class":"ship","note":"quay 1")",
                               square(130.30, 42.23)),
                       feature(R"("site_id":"chongjin","name":"Chongjin rail","class":"railcar")",
                               square(129.78, 41.79)),
                       feature(R"("site_id":"rajin_port","name":"Rajin","class":"change")",
                               square(130.31, 42.24)),
                       feature(R"("site_id":"rajin_port","name":"other","class":"container_stack")",
                               square(130.305, 42.235, 0.001)),
                   }));
  const sw::site_catalog cat = sw::load_sites(path, sw::default_config());
  EXPECT_EQ(cat.path, path);
  ASSERT_EQ(cat.sites.size(), 2u);

  // Sorted by id; zones in feature order.
  const sw::site& chongjin = cat.sites[0];
  const sw::site& rajin = cat.sites[1];
  EXPECT_EQ(chongjin.id, "chongjin");
  EXPECT_EQ(chongjin.name, "Chongjin rail");
  ASSERT_EQ(chongjin.zones.size(), 1u);
  EXPECT_EQ(chongjin.zones[0].feature_id, 1);
  EXPECT_EQ(rajin.id, "rajin_port");
  EXPECT_EQ(rajin.name, "Rajin");  // the first non-empty name
  ASSERT_EQ(rajin.zones.size(), 3u);
  EXPECT_EQ(rajin.zones[0].feature_id, 0);
  EXPECT_EQ(rajin.zones[1].feature_id, 2);
  EXPECT_EQ(rajin.zones[2].feature_id, 3);
  EXPECT_EQ(rajin.zones[1].class_name, "change");
  EXPECT_EQ(rajin.classes(), (std::vector<std::string>{"change", "container_stack", "ship"}));
  EXPECT_EQ(rajin.zones[0].site_id, "rajin_port");

  // Properties: every field, as text, in field order; unset ones empty.
  const auto& props = rajin.zones[0].properties;
  ASSERT_EQ(props.size(), 4u);
  EXPECT_EQ(props[0], (std::pair<std::string, std::string>{"site_id", "rajin_port"}));
  EXPECT_EQ(props[1].first, "name");
  EXPECT_EQ(props[2], (std::pair<std::string, std::string>{"class", "ship"}));
  EXPECT_EQ(props[3], (std::pair<std::string, std::string>{"note", "quay 1"}));
  EXPECT_EQ(chongjin.zones[0].properties[3], (std::pair<std::string, std::string>{"note", ""}));

  // Geometry in lon/lat order, and in the grid CRS (UTM 52N, metres).
  const OGREnvelope ll = envelope_of_wkt(rajin.zones[0].wkt_lonlat);
  EXPECT_NEAR(ll.MinX, 130.298, 1e-9);
  EXPECT_NEAR(ll.MaxY, 42.232, 1e-9);
  const OGREnvelope utm = envelope_of_wkt(rajin.zones[0].wkt_grid);
  EXPECT_GT(utm.MinX, 500000);
  EXPECT_LT(utm.MinX, 700000);
  EXPECT_GT(utm.MinY, 4600000);
  EXPECT_LT(utm.MaxY, 4800000);

  // The grid: default CRS and GSD, covering all zones plus the margin.
  EXPECT_EQ(rajin.grid.crs, "EPSG:32652");
  EXPECT_NE(rajin.grid.crs_wkt.find("UTM zone 52N"), std::string::npos);
  EXPECT_EQ(rajin.grid.gsd, 3.0);
  expect_grid_covers(rajin, sw::default_config().grid_margin_m);
  expect_grid_covers(chongjin, sw::default_config().grid_margin_m);
  // ~0.015 degrees of longitude at 42 N plus margins: some 400 pixels wide.
  EXPECT_GT(rajin.grid.width, 350);
  EXPECT_LT(rajin.grid.width, 500);

  // The same catalog gives the same grid, to the bit.
  const sw::site_catalog again = sw::load_sites(path, sw::default_config());
  EXPECT_EQ(again.sites[1].grid.x0, rajin.grid.x0);
  EXPECT_EQ(again.sites[1].grid.y0, rajin.grid.y0);
  EXPECT_EQ(again.sites[1].grid.width, rajin.grid.width);
  EXPECT_EQ(again.sites[1].grid.height, rajin.grid.height);
  EXPECT_EQ(again.sites[1].zones[0].wkt_grid, rajin.zones[0].wkt_grid);
}

TEST(sites, geopackage_in_a_projected_crs) {
  temp_dir dir;
  const std::string path = dir / "sites.gpkg";
  {
    auto ds = create_vector("GPKG", path);
    ASSERT_TRUE(ds);
    OGRSpatialReference srs;
    srs.importFromEPSG(32652);
    write_layer(*ds, "zones", &srs, {"site_id", "class", "grid_gsd_m"},
                {{{"quay", "ship", "2"}, utm_square_wkt(525000, 4675000, 500, 600)},
                 {{"quay", "change", ""}, utm_square_wkt(525100, 4675100, 100, 100)}});
  }
  const sw::site_catalog cat = sw::load_sites(path, sw::default_config());
  ASSERT_EQ(cat.sites.size(), 1u);
  const sw::site& s = cat.sites[0];
  EXPECT_EQ(s.grid.crs, "EPSG:32652");
  EXPECT_EQ(s.grid.gsd, 2.0);  // from the one zone that gives it
  // Same CRS as the layer: the coordinates pass through untouched, so the grid is exact.
  EXPECT_EQ(s.grid.x0, 524940.0);
  EXPECT_EQ(s.grid.y0, 4675660.0);
  EXPECT_EQ(s.grid.width, 310);
  EXPECT_EQ(s.grid.height, 360);
  const OGREnvelope e = envelope_of_wkt(s.zones[0].wkt_grid);
  EXPECT_EQ(e.MinX, 525000.0);
  EXPECT_EQ(e.MaxY, 4675600.0);
  // GeoPackage FIDs start at 1.
  EXPECT_EQ(s.zones[0].feature_id, 1);
  // Lon/lat: east of 126 E (zone 52 is 126..132 E), about 42.2 N.
  const OGREnvelope ll = envelope_of_wkt(s.zones[0].wkt_lonlat);
  EXPECT_GT(ll.MinX, 129.0);
  EXPECT_LT(ll.MaxX, 130.0);
  EXPECT_NEAR(ll.MinY, 42.2, 0.1);
}

TEST(sites, geojson_with_a_projected_crs_member) {
  temp_dir dir;
  const std::string path = dir / "sites.geojson";
  const std::string geom =
      R"({"type":"Polygon","coordinates":[[[525000,4675000],[525300,4675000],[525300,4675300],[525000,4675000]]]})";
  write_text(path, collection({feature(R"("site_id":"x","class":"ship")", geom)},
                              "urn:ogc:def:crs:EPSG::32652"));
  const sw::site_catalog cat = sw::load_sites(path, sw::default_config());
  ASSERT_EQ(cat.sites.size(), 1u);
  EXPECT_EQ(cat.sites[0].grid.crs, "EPSG:32652");
  EXPECT_EQ(cat.sites[0].grid.x0, 524940.0);
  EXPECT_EQ(cat.sites[0].grid.width, (525360 - 524940) / 3);
}

TEST(sites, shapefile_without_crs_is_taken_as_lonlat) {
  temp_dir dir;
  {
    auto ds = create_vector("ESRI Shapefile", dir / "shp");
    ASSERT_TRUE(ds);
    write_layer(*ds, "zones", nullptr, {"site_id", "class"},
                {{{"a", "ship"}, "POLYGON ((130.3 42.2,130.31 42.2,130.31 42.21,130.3 42.2))"}});
    write_layer(*ds, "far", nullptr, {"site_id", "class"},
                {{{"b", "ship"}, utm_square_wkt(525000, 4675000, 100, 100)}});
  }
  const sw::site_catalog cat = sw::load_sites(dir / "shp/zones.shp", sw::default_config());
  ASSERT_EQ(cat.sites.size(), 1u);
  EXPECT_EQ(cat.sites[0].grid.crs, "EPSG:32652");
  // Metres in a file without a CRS: explained, not a confusing transformation failure.
  const std::string msg = load_error(dir / "shp/far.shp");
  EXPECT_CONTAINS(msg, "feature 0 (site_id 'b'): coordinates are not longitude/latitude");
  EXPECT_CONTAINS(msg, "EPSG:4326 was assumed");
}

TEST(sites, all_problems_are_reported_together) {
  temp_dir dir;
  const std::string path = dir / "sites.geojson";
  const std::string ok = square(130.30, 42.23);
  write_text(path,
             collection({
                 feature(R"("class":"ship")", ok),                          // 0
                 feature(R"("site_id":"a","class":"")", ok),                // 1
                 feature(R"("site_id":"rajin_port","class":"shipp")", ok),  // 2
                 feature(R"("site_id":"b","class":"ship")", "null"),        // 3
                 feature(R"("site_id":"b","class":"ship")",
                         R"({"type":"Point","coordinates":[130.3,42.2]})"),                // 4
                 feature(R"("site_id":"c","class":"ship","grid_crs":"EPSG:999999")", ok),  // 5
                 feature(R"("site_id":"c","class":"ship","grid_crs":"EPSG:4326")", ok),    // 6
                 feature(R"("site_id":"d","class":"ship","grid_gsd_m":"0")", ok),          // 7
                 feature(R"("site_id":"d","class":"ship","grid_gsd_m":"abc")", ok),        // 8
                 feature(R"("site_id":"e","class":"ship","grid_crs":"EPSG:32651")", ok),   // 9
                 feature(R"("site_id":"e","class":"ship","grid_crs":"EPSG:32652")", ok),   // 10
                 feature(R"("site_id":"f","class":"ship","grid_gsd_m":"-2")", ok),         // 11
                 feature(R"("site_id":" g","class":"ship")", ok),                          // 12
                 feature(R"("site_id":"h/i","class":"ship")", ok),                         // 13
                 feature(R"("site_id":"","class":"ship")", ok),                            // 14
                 feature(R"("site_id":"j")", ok),                                          // 15
                 feature(R"("site_id":"k","class":"ship","grid_crs":"EPSG:2263")", ok),    // 16
                 feature(R"("site_id":"l","class":"ship")",
                         R"({"type":"Polygon","coordinates":[]})"),  // 17
             }));
  const std::string msg = load_error(path);
  const std::vector<std::string> expected = {
      "sites.geojson: feature 0: site_id is missing",
      "sites.geojson: feature 1 (site_id 'a'): class is empty",
      "sites.geojson: feature 2 (site_id 'rajin_port'): class 'shipp' is not a class of the "
      "config (known: change, container_stack, railcar, ship)",
      "sites.geojson: feature 3 (site_id 'b'): has no geometry",
      "sites.geojson: feature 4 (site_id 'b'): geometry is a Point, expected a Polygon or "
      "MultiPolygon",
      "sites.geojson: feature 5 (site_id 'c'): grid_crs 'EPSG:999999' is not a coordinate "
      "reference system",
      "sites.geojson: feature 6 (site_id 'c'): grid_crs 'EPSG:4326' is not a projected CRS",
      "sites.geojson: feature 7 (site_id 'd'): grid_gsd_m '0' is not a positive number",
      "sites.geojson: feature 8 (site_id 'd'): grid_gsd_m 'abc' is not a positive number",
      "sites.geojson: site 'e': zones disagree on grid_crs ('EPSG:32651' in feature 9, "
      "'EPSG:32652' in feature 10)",
      "sites.geojson: feature 11 (site_id 'f'): grid_gsd_m '-2' is not a positive number",
      "sites.geojson: feature 12 (site_id ' g'): site_id ' g' has leading or trailing spaces",
      "sites.geojson: feature 13 (site_id 'h/i'): site_id 'h/i' contains a slash",
      "sites.geojson: feature 14: site_id is empty",
      "sites.geojson: feature 15 (site_id 'j'): class is missing",
      "sites.geojson: feature 16 (site_id 'k'): grid_crs 'EPSG:2263' has units of",
      // GDAL reads empty coordinates as no geometry; see empty_geometry for the other case.
      "sites.geojson: feature 17 (site_id 'l'): has no geometry",
  };
  for (const auto& e : expected) EXPECT_CONTAINS(msg, e);
  // One line per problem, each naming the file.
  const auto got = lines(msg);
  EXPECT_EQ(got.size(), expected.size()) << msg;
  for (const auto& l : got) EXPECT_EQ(l.rfind(path + ": ", 0), 0u) << l;
}

TEST(sites, empty_geometry) {
  temp_dir dir;
  const std::string path = dir / "sites.gpkg";
  {
    auto ds = create_vector("GPKG", path);
    ASSERT_TRUE(ds);
    OGRSpatialReference srs;
    srs.importFromEPSG(32652);
    write_layer(*ds, "zones", &srs, {"site_id", "class"},
                {{{"quay", "ship"}, "POLYGON EMPTY"},
                 {{"quay", "ship"}, "LINESTRING (525000 4675000,525100 4675100)"}});
  }
  const std::string msg = load_error(path);
  EXPECT_CONTAINS(msg, "sites.gpkg: feature 1 (site_id 'quay'): geometry is empty");
  EXPECT_CONTAINS(msg, "sites.gpkg: feature 2 (site_id 'quay'): geometry is a Line String");
}

TEST(sites, unknown_class_against_a_user_config) {
  temp_dir dir;
  const std::string path = dir / "sites.geojson";
  write_text(path, collection({feature(R"("site_id":"a","class":"ship")", square(130.3, 42.2))}));
  const sw::config cfg = sw::parse_config("[classes.truck]\n", "c.toml");
  EXPECT_CONTAINS(load_error(path, cfg),
                  "feature 0 (site_id 'a'): class 'ship' is not a class of the config (known: "
                  "change, truck)");
}

TEST(sites, unreadable_sources) {
  temp_dir dir;
  EXPECT_CONTAINS(load_error(dir / "nope.geojson"), "nope.geojson: no such file");
  const std::string garbage = dir / "garbage.geojson";
  write_text(garbage, "this is not json");
  EXPECT_CONTAINS(load_error(garbage), "garbage.geojson: cannot open as a vector data source");
  const std::string empty = dir / "empty.geojson";
  write_text(empty, R"({"type":"FeatureCollection","features":[]})");
  EXPECT_CONTAINS(load_error(empty), "empty.geojson: layer 'empty' has no features");
  const std::string no_fields = dir / "no_fields.geojson";
  write_text(no_fields, collection({feature("", square(130.3, 42.2))}));
  const std::string msg = load_error(no_fields);
  EXPECT_CONTAINS(msg, "no_fields.geojson: no feature has a site_id");
  EXPECT_CONTAINS(msg, "no_fields.geojson: no feature has a class");
}

TEST(sites, several_layers) {
  temp_dir dir;
  const std::string path = dir / "multi.gpkg";
  OGRSpatialReference srs;
  srs.importFromEPSG(32652);
  {
    auto ds = create_vector("GPKG", path);
    ASSERT_TRUE(ds);
    write_layer(*ds, "notes", &srs, {"text"}, {{{"hello"}, utm_square_wkt(0, 0, 1, 1)}});
    write_layer(*ds, "zones", &srs, {"site_id", "class"},
                {{{"quay", "ship"}, utm_square_wkt(525000, 4675000, 500, 600)}});
  }
  // The only layer with site_id is the catalog.
  EXPECT_EQ(sw::load_sites(path, sw::default_config()).sites.at(0).id, "quay");
  {
    auto ds =
        GDALDatasetUniquePtr(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
    ASSERT_TRUE(ds);
    write_layer(*ds, "more_zones", &srs, {"site_id", "class"},
                {{{"pier", "ship"}, utm_square_wkt(525000, 4675000, 500, 600)}});
  }
  EXPECT_CONTAINS(load_error(path),
                  "3 layers ('notes', 'zones', 'more_zones') and 2 of them have "
                  "a site_id field");
}

TEST(sites, invalid_geometry_is_repaired) {
  temp_dir dir;
  const std::string path = dir / "sites.geojson";
  // A bow tie: self-intersecting, MakeValid turns it into two triangles.
  const std::string bowtie =
      R"({"type":"Polygon","coordinates":[[[130.30,42.20],[130.31,42.21],[130.31,42.20],[130.30,42.21],[130.30,42.20]]]})";
  write_text(path, collection({feature(R"("site_id":"a","class":"ship")", bowtie)}));
  const sw::site_catalog cat = sw::load_sites(path, sw::default_config());
  ASSERT_EQ(cat.sites.size(), 1u);
  EXPECT_EQ(cat.sites[0].zones[0].wkt_lonlat.rfind("MULTIPOLYGON", 0), 0u)
      << cat.sites[0].zones[0].wkt_lonlat;
}

TEST(sites, grid_crs_and_gsd_are_honoured) {
  temp_dir dir;
  const std::string path = dir / "sites.geojson";
  write_text(
      path,
      collection({
          // A site in zone 52 on a zone-51 grid; only one zone says so.
          feature(R"("site_id":"a","class":"ship","grid_crs":"EPSG:32651")", square(130.30, 42.23)),
          feature(R"("site_id":"a","class":"change","grid_crs":"")", square(130.31, 42.23)),
          // A numeric string and a number are both fine.
          feature(R"("site_id":"b","class":"ship","grid_gsd_m":"1.5")", square(130.30, 42.23)),
          feature(R"("site_id":"c","class":"ship","grid_gsd_m":0.5,)"
                  R"("grid_crs":"+proj=utm +zone=52 +datum=WGS84 +units=m")",
                  square(130.30, 42.23)),
      }));
  const sw::site_catalog cat = sw::load_sites(path, sw::default_config());
  ASSERT_EQ(cat.sites.size(), 3u);
  EXPECT_EQ(cat.sites[0].grid.crs, "EPSG:32651");
  EXPECT_NE(cat.sites[0].grid.crs_wkt.find("UTM zone 51N"), std::string::npos);
  EXPECT_EQ(cat.sites[0].grid.gsd, 3.0);
  expect_grid_covers(cat.sites[0], 60.0);
  EXPECT_EQ(cat.sites[1].grid.crs, "EPSG:32652");
  EXPECT_EQ(cat.sites[1].grid.gsd, 1.5);
  expect_grid_covers(cat.sites[1], 60.0);
  EXPECT_EQ(cat.sites[2].grid.crs, "+proj=utm +zone=52 +datum=WGS84 +units=m");
  EXPECT_EQ(cat.sites[2].grid.gsd, 0.5);
  expect_grid_covers(cat.sites[2], 60.0);
  // Zone-52 coordinates of the same place on both default and PROJ-string grids.
  EXPECT_EQ(cat.sites[1].zones[0].wkt_grid, cat.sites[2].zones[0].wkt_grid);
}

TEST(sites, margin_comes_from_the_config) {
  temp_dir dir;
  const std::string path = dir / "sites.geojson";
  write_text(path, collection({feature(R"("site_id":"a","class":"ship")", square(130.3, 42.2))}));
  const sw::config cfg = sw::parse_config("grid_margin_m = 0\ngsd_m = 10\n", "c.toml");
  const sw::site_catalog cat = sw::load_sites(path, cfg);
  EXPECT_EQ(cat.sites[0].grid.gsd, 10.0);
  expect_grid_covers(cat.sites[0], 0.0);
}

}  // namespace
