#include "host/pipeline/memory_plan.hpp"

#include <algorithm>

#include "host/pipeline/site_runner.hpp"

namespace sw {

namespace {
constexpr long long min_gdal_cache = 16LL << 20, max_gdal_cache = 256LL << 20;
constexpr long long min_tile_cache = 32LL << 20, max_tile_cache = 2LL << 30;
constexpr long long process_overhead = 96LL << 20;  // libraries, catalog, plan, writer
}  // namespace

long long minimum_budget(const memory_plan& m) {
  return min_gdal_cache + min_tile_cache + process_overhead + m.per_site;
}

memory_plan plan_memory(long long budget, int threads, const run_plan& plan,
                        const site_catalog& catalog, const config& cfg) {
  constexpr int max_bands = 8;  // bands a site compares (Planet 8-band at most)
  memory_plan m;
  // GDAL's cache only serves blocks within one read (a read's handle is closed after it);
  // blocks are shared between reads through the tile cache
  m.gdal_cache = std::clamp(budget / 16, min_gdal_cache, max_gdal_cache);
  m.tile_cache = std::clamp(budget / 4, min_tile_cache, max_tile_cache);
  m.warp_buffer = 16LL << 20;
  long long px = 1;
  for (const auto& w : plan.work) px = std::max(px, catalog.sites[w.site].grid.pixels());
  const int members = reference_capacity(cfg);
  const int classes = 4;
  // site state: reference members, reference, tolerance, zone masks; compute scratch:
  // aligned copy and temporaries (about 2 scenes' worth plus 60 bytes a pixel)
  const long long state = px * (4LL * max_bands * (members + 2) + members + classes + 1);
  const long long scratch = px * (2 * 4LL * max_bands + 60);
  // a scene in flight: warped bands, coverage, UDM2 planes, and a GDAL warp buffer
  m.per_token = px * (4LL * max_bands + 1 + 8) + m.warp_buffer;
  m.per_site = state + scratch + m.per_token;
  const long long rest =
      std::max(budget - m.gdal_cache - m.tile_cache - process_overhead, m.per_site);
  m.sites_in_flight = static_cast<int>(std::clamp<long long>(rest / m.per_site, 1, threads));
  const long long per_site_share = rest / m.sites_in_flight;
  m.tokens_per_site = static_cast<int>(
      std::clamp<long long>((per_site_share - state - scratch) / m.per_token, 1, 4));
  return m;
}

}  // namespace sw
