// The plan of a run: which scenes each site sees, in time order (SPEC 2: sites are
// independent, scenes of one site are processed in time order).
#pragma once

#include <string>
#include <vector>

#include "host/io/scene.hpp"
#include "host/io/sites.hpp"

namespace sw {

struct site_work {
  std::size_t site = 0;             // index into site_catalog::sites
  std::vector<std::size_t> scenes;  // indices into run_plan::scenes, by (acquired, id)
};

struct run_plan {
  std::vector<scene_info> scenes;  // sorted by (acquired, id)
  std::vector<site_work> work;     // one per site of this shard, by site id
  std::vector<int> sites_seen;     // per scene: sites of the catalog its footprint meets
  long long pairs() const;
};

// The shard of each site, balanced by (site, scene) pairs with every site whole in one
// shard: longest processing time first. Sites in order of their pairs, most first (ties:
// lower site index first), each to the shard with the fewest pairs so far (ties: lower
// shard index). Deterministic: the same pairs give the same shards on every machine, so
// the N runs of `--shard I/N` over the same archive split the catalog between them. The
// largest shard holds at most the average plus the largest site's pairs (and at most 4/3
// of the best split's largest shard).
std::vector<int> assign_shards(const std::vector<long long>& site_pairs, int shard_count);

// Every zone of the catalog as one lon/lat geometry, as WKT ("" for an empty catalog): the
// area index_scenes may skip catalogue items outside of (host/io/scene.hpp).
std::string catalog_area_wkt(const site_catalog& catalog);

// Matches scenes to sites by footprint (EPSG:4326 footprint against the union of the
// site's zones). Scenes with an error match nothing. shard_index/shard_count select the
// sites of one shard (assign_shards over every site's pair count); work keeps them in
// site order.
run_plan make_plan(std::vector<scene_info> scenes, const site_catalog& catalog, int shard_index = 0,
                   int shard_count = 1);

}  // namespace sw
