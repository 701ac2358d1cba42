// The `scenes` table of a run (SPEC 4): one row per indexed scene with its status.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "host/output/rows.hpp"
#include "host/plan/plan.hpp"

namespace sw {

struct scene_rows_result {
  std::vector<scene_row> rows;  // one per scene of the plan, in the plan's order
  long long failed = 0, skipped = 0;
};

// Status and reason of every scene: `failed` when indexing failed or a pair of it failed
// (`pair_failures`: first error per scene id), `skipped` when it meets no site or no site
// of this shard (`shard_index`/`shard_count`), else `done`. Paths are made absolute (a
// /vsi path is kept), so that the row still leads to the file from elsewhere (`report`).
scene_rows_result scene_rows_of(const run_plan& plan,
                                const std::map<std::string, std::string>& pair_failures,
                                int shard_index, int shard_count);

}  // namespace sw
