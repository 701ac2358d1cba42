#include "host/plan/zone_mask.hpp"

#include <memory>

#include <fmt/format.h>
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>

#include "host/common/error.hpp"
#include "host/io/gdal_util.hpp"

namespace sw {

std::vector<std::uint8_t> rasterize_zones(const site_grid& grid,
                                          const std::vector<const zone*>& zones) {
  gdal_init();
  std::vector<std::uint8_t> mask(static_cast<std::size_t>(grid.pixels()), 0);
  if (zones.empty() || mask.empty()) return mask;
  auto* drv = GetGDALDriverManager()->GetDriverByName("MEM");
  gdal_dataset_ptr ds(drv->Create("", grid.width, grid.height, 0, GDT_Byte, nullptr));
  SW_EXPECTS(ds != nullptr, "cannot create in-memory raster");
  char opt[64];
  std::snprintf(opt, sizeof opt, "DATAPOINTER=%p", static_cast<void*>(mask.data()));
  const char* opts[] = {opt, nullptr};
  SW_EXPECTS(ds->AddBand(GDT_Byte, const_cast<char**>(opts)) == CE_None, "cannot add band");
  auto gt = grid.geotransform();
  ds->SetGeoTransform(gt.data());
  ds->SetProjection(grid.crs_wkt.c_str());

  std::vector<std::unique_ptr<OGRGeometry>> owned;
  std::vector<OGRGeometryH> geoms;
  for (const zone* z : zones) {
    OGRGeometry* g = nullptr;
    if (OGRGeometryFactory::createFromWkt(z->wkt_grid.c_str(), nullptr, &g) != OGRERR_NONE || !g)
      throw error(
          fmt::format("zone of site {} (feature {}): bad geometry", z->site_id, z->feature_id));
    owned.emplace_back(g);
    geoms.push_back(OGRGeometry::ToHandle(g));
  }
  int band = 1;
  std::vector<double> burn(geoms.size(), 1.0);
  GDALDatasetH h = GDALDataset::ToHandle(ds.get());
  if (GDALRasterizeGeometries(h, 1, &band, static_cast<int>(geoms.size()), geoms.data(), nullptr,
                              nullptr, burn.data(), nullptr, nullptr, nullptr) != CE_None)
    throw error(fmt::format("cannot rasterise the zones of site {}: {}", zones.front()->site_id,
                            gdal_last_error()));
  return mask;
}

}  // namespace sw
