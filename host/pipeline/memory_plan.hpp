// How `--memory-budget` is spent (docs/ARCHITECTURE.md, "Memory").
#pragma once

#include "host/config/config.hpp"
#include "host/io/sites.hpp"
#include "host/plan/plan.hpp"

namespace sw {

struct memory_plan {
  long long gdal_cache = 0;               // GDAL's block cache (blocks within one read)
  long long tile_cache = 0;               // decoded source blocks shared between sites
  long long warp_buffer = 0;              // GDAL warper working memory per read in flight
  int sites_in_flight = 1;                // sites computed side by side
  int tokens_per_site = 1;                // scenes of one site in flight (read ahead of compute)
  long long per_site = 0, per_token = 0;  // the estimates behind them
};

// Splits `budget` bytes between GDAL's cache, the shared tile cache and the sites in flight
// (at most `threads`), from the largest site grid of the plan and the reference's size.
memory_plan plan_memory(long long budget, int threads, const run_plan& plan,
                        const site_catalog& catalog, const config& cfg);

// The least budget plan_memory can keep to: the smallest caches, the process's own needs
// and one site with one scene in flight (`m` from plan_memory). A smaller budget would be
// exceeded whatever the plan, so a run refuses it.
long long minimum_budget(const memory_plan& m);

}  // namespace sw
