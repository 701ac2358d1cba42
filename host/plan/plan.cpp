#include "host/plan/plan.hpp"

#include <algorithm>
#include <memory>

#include <ogr_geometry.h>

namespace sw {

long long run_plan::pairs() const {
  long long n = 0;
  for (const auto& w : work) n += static_cast<long long>(w.scenes.size());
  return n;
}

namespace {
std::unique_ptr<OGRGeometry> from_wkt(const std::string& wkt) {
  OGRGeometry* g = nullptr;
  if (wkt.empty() || OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g) != OGRERR_NONE)
    return nullptr;
  return std::unique_ptr<OGRGeometry>(g);
}
}  // namespace

run_plan make_plan(std::vector<scene_info> scenes, const site_catalog& catalog, int shard_index,
                   int shard_count) {
  run_plan plan;
  std::sort(scenes.begin(), scenes.end(), [](const scene_info& a, const scene_info& b) {
    return a.acquired_unix != b.acquired_unix ? a.acquired_unix < b.acquired_unix : a.id < b.id;
  });
  plan.scenes = std::move(scenes);
  plan.sites_seen.assign(plan.scenes.size(), 0);

  // Footprints once; sites as the union of their zones (lon/lat).
  std::vector<std::unique_ptr<OGRGeometry>> foot(plan.scenes.size());
  for (std::size_t i = 0; i < plan.scenes.size(); ++i)
    if (plan.scenes[i].error.empty()) foot[i] = from_wkt(plan.scenes[i].footprint_wkt);

  for (std::size_t s = 0; s < catalog.sites.size(); ++s) {
    std::unique_ptr<OGRGeometry> area;
    for (const auto& z : catalog.sites[s].zones) {
      auto g = from_wkt(z.wkt_lonlat);
      if (!g) continue;
      area = area ? std::unique_ptr<OGRGeometry>(area->Union(g.get())) : std::move(g);
    }
    site_work w;
    w.site = s;
    for (std::size_t i = 0; i < plan.scenes.size(); ++i) {
      if (!foot[i] || !area || !foot[i]->Intersects(area.get())) continue;
      ++plan.sites_seen[i];
      w.scenes.push_back(i);
    }
    if (static_cast<int>(s % static_cast<std::size_t>(shard_count)) == shard_index)
      plan.work.push_back(std::move(w));
  }
  return plan;
}

}  // namespace sw
