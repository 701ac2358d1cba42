// A synthetic archive for integration tests (host/synth, docs/SYNTH.md), written into a
// folder the caller owns.
#pragma once

#include <cstdint>
#include <string>

#include "host/synth/synth.hpp"

namespace sw::test {

// Writes `scenario` (tumen, tumen-hard, quiet) with `dates` dates at `scale` under
// dir/scenario; returns that folder.
inline std::string synth_archive(const std::string& dir, const std::string& scenario, int dates,
                                 std::uint64_t seed, double scale = 0.05) {
  sw::synth_options so;
  so.out_dir = dir + "/" + scenario;
  so.scenario = scenario;
  so.dates = dates;
  so.scale = scale;
  so.seed = seed;
  so.quiet = true;
  sw::write_synthetic_archive(so);
  return so.out_dir;
}

}  // namespace sw::test
