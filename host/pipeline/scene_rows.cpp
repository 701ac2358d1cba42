#include "host/pipeline/scene_rows.hpp"

#include <filesystem>
#include <set>

#include <fmt/format.h>

namespace sw {

scene_rows_result scene_rows_of(const run_plan& plan,
                                const std::map<std::string, std::string>& pair_failures,
                                int shard_index, int shard_count) {
  scene_rows_result out;
  std::set<std::size_t> in_shard;
  for (const auto& w : plan.work) in_shard.insert(w.scenes.begin(), w.scenes.end());
  for (std::size_t i = 0; i < plan.scenes.size(); ++i) {
    const scene_info& s = plan.scenes[i];
    scene_row r;
    r.scene_id = s.id;
    r.acquired = s.acquired;
    r.path = s.path.rfind("/vsi", 0) == 0 ? s.path : std::filesystem::absolute(s.path).string();
    r.item_type = s.item_type;
    r.satellite_id = s.satellite_id;
    r.mask_source = to_string(s.mask);
    r.sites_seen = plan.sites_seen[i];
    r.metadata = s.metadata;
    r.footprint_wkt = s.footprint_wkt;
    if (!s.error.empty()) {
      r.status = "failed";
      r.error = s.error;
    } else if (auto it = pair_failures.find(s.id); it != pair_failures.end()) {
      r.status = "failed";
      r.error = it->second;
    } else if (plan.sites_seen[i] == 0) {
      r.status = "skipped";
      r.error = "does not overlap any site";
    } else if (!in_shard.count(i)) {
      r.status = "skipped";
      r.error = fmt::format("overlaps no site of shard {}/{}", shard_index, shard_count);
    } else {
      r.status = "done";
    }
    out.failed += r.status == "failed";
    out.skipped += r.status == "skipped";
    out.rows.push_back(std::move(r));
  }
  return out;
}

}  // namespace sw
