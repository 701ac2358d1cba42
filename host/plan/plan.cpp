#include "host/plan/plan.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <numeric>
#include <queue>
#include <utility>

#include <cpl_conv.h>
#include <ogr_geometry.h>

#include "host/io/gdal_util.hpp"

namespace sw {

long long run_plan::pairs() const {
  long long n = 0;
  for (const auto& w : work) n += static_cast<long long>(w.scenes.size());
  return n;
}

std::vector<int> assign_shards(const std::vector<long long>& site_pairs, int shard_count) {
  std::vector<int> shard(site_pairs.size(), 0);
  if (shard_count <= 1) return shard;
  std::vector<std::size_t> order(site_pairs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return site_pairs[a] > site_pairs[b]; });
  // (load, shard): the top is the least loaded shard, the lower index among equals.
  using load = std::pair<long long, int>;
  std::priority_queue<load, std::vector<load>, std::greater<>> shards;
  for (int i = 0; i < shard_count; ++i) shards.emplace(0, i);
  for (const std::size_t s : order) {
    auto [pairs, i] = shards.top();
    shards.pop();
    shard[s] = i;
    shards.emplace(pairs + site_pairs[s], i);
  }
  return shard;
}

namespace {
// area ∪ the zones (lon/lat); zones whose WKT OGR cannot read are left out.
std::unique_ptr<OGRGeometry> unite(std::unique_ptr<OGRGeometry> area,
                                   const std::vector<zone>& zones) {
  for (const auto& z : zones) {
    auto g = geometry_from_wkt(z.wkt_lonlat);
    if (!g) continue;
    area = area ? std::unique_ptr<OGRGeometry>(area->Union(g.get())) : std::move(g);
  }
  return area;
}
}  // namespace

std::string catalog_area_wkt(const site_catalog& catalog) {
  std::unique_ptr<OGRGeometry> area;
  for (const auto& site : catalog.sites) area = unite(std::move(area), site.zones);
  if (!area) return {};
  char* text = nullptr;
  if (area->exportToWkt(&text) != OGRERR_NONE) return {};
  std::string wkt(text);
  CPLFree(text);
  return wkt;
}

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
    if (plan.scenes[i].error.empty()) foot[i] = geometry_from_wkt(plan.scenes[i].footprint_wkt);

  std::vector<site_work> all(catalog.sites.size());
  for (std::size_t s = 0; s < catalog.sites.size(); ++s) {
    const std::unique_ptr<OGRGeometry> area = unite(nullptr, catalog.sites[s].zones);
    site_work& w = all[s];
    w.site = s;
    for (std::size_t i = 0; i < plan.scenes.size(); ++i) {
      if (!foot[i] || !area || !foot[i]->Intersects(area.get())) continue;
      ++plan.sites_seen[i];
      w.scenes.push_back(i);
    }
  }
  std::vector<long long> site_pairs(all.size());
  for (std::size_t s = 0; s < all.size(); ++s)
    site_pairs[s] = static_cast<long long>(all[s].scenes.size());
  const std::vector<int> shard = assign_shards(site_pairs, shard_count);
  for (std::size_t s = 0; s < all.size(); ++s)
    if (shard[s] == shard_index) plan.work.push_back(std::move(all[s]));
  return plan;
}

}  // namespace sw
