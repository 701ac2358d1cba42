// `sitewatch merge`: joins the GeoPackages of shard runs (`run --shard I/N`) into one.
#pragma once

#include <string>
#include <vector>

namespace sw {

struct merge_summary {
  int inputs = 0;
  long long count_rows = 0;
  long long detection_rows = 0;
  long long duplicate_pairs = 0;  // (site, scene) pairs found in more than one input
  long long scenes = 0;
};

// Creates `out` (refused if it exists, unless overwrite) with every row of the inputs:
// site_counts, detections and the journal pair by pair (a (site, scene) pair found in
// several inputs is taken from the first and counted as a duplicate), every run, the sites
// of all inputs (each site_id once), and one scenes row per scene with the most telling
// status (failed over done over skipped) and the largest sites_seen. Throws
// sw::input_error naming a file that is not a sitewatch output.
merge_summary merge_outputs(const std::vector<std::string>& inputs, const std::string& out,
                            bool overwrite);

}  // namespace sw
