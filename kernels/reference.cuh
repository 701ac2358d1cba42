// The site's reference image (SPEC 2 step 9): per pixel and band, the median of the last K
// observable scenes (K <= 15), each member already co-registered and normalised. A member
// that is not valid at a pixel (cloud, outside its footprint) is left out at that pixel
// only; the reference is valid where at least one member is.
#pragma once

#include <cstdint>

#include "kernels/common.hpp"

namespace sw::kern {

inline constexpr int max_reference_members = 15;

// members: `count` slots, slot k holding bands planes then its valid plane, i.e. slot k
// band b pixel i at bands[(k * nb + b) * plane + i], valid at valid[k * plane + i].
struct median_reference_fn {
  const float* member_bands;
  const std::uint8_t* member_valid;
  int count;
  int nb;
  index_t plane;
  float* out_bands;  // nb planes
  std::uint8_t* out_valid;

  SW_HD void operator()(index_t i) const {
    int m = 0;
    for (int k = 0; k < count; ++k) m += member_valid[k * plane + i] ? 1 : 0;
    out_valid[i] = m > 0 ? 1 : 0;
    for (int b = 0; b < nb; ++b) {
      float v[max_reference_members];
      int n = 0;
      for (int k = 0; k < count; ++k) {
        if (!member_valid[k * plane + i]) continue;
        // insertion sort while gathering: at most 15 values
        const float x = member_bands[(static_cast<index_t>(k) * nb + b) * plane + i];
        int j = n++;
        while (j > 0 && v[j - 1] > x) {
          v[j] = v[j - 1];
          --j;
        }
        v[j] = x;
      }
      float med = 0.0f;
      if (n > 0) med = (n & 1) ? v[n / 2] : 0.5f * (v[n / 2 - 1] + v[n / 2]);
      out_bands[b * plane + i] = med;
    }
  }
};

}  // namespace sw::kern
