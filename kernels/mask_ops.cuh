// Per-pixel logic on masks (one byte a pixel, nonzero = set), shared by every step.
#pragma once

#include <cstdint>

#include "kernels/common.hpp"

namespace sw::kern {

// out = a and b (masks).
struct and_fn {
  const std::uint8_t* a;
  const std::uint8_t* b;
  std::uint8_t* out;
  SW_HD void operator()(index_t i) const { out[i] = (a[i] && b[i]) ? 1 : 0; }
};

// out = 1 where value(i) lies in [0, limit], else 0: a threshold on a value functor whose
// negative values mark pixels that take no part (water on log NIR, a fit's inliers on its
// absolute residuals).
template <class Value>
struct at_most_fn {
  Value value;
  float limit;
  std::uint8_t* out;
  SW_HD void operator()(index_t i) const {
    const float v = value(i);
    out[i] = (v >= 0.0f && v <= limit) ? 1 : 0;
  }
};

// out = a and b on the stride-2 lattice (even row and column), 0 elsewhere.
struct lattice_and_fn {
  const std::uint8_t* a;
  const std::uint8_t* b;
  std::uint8_t* out;
  int width;
  SW_HD void operator()(int x, int y) const {
    const index_t i = static_cast<index_t>(y) * width + x;
    out[i] = (((x | y) & 1) == 0 && a[i] && b[i]) ? 1 : 0;
  }
};

// out = a or b.
struct or_fn {
  const std::uint8_t* a;
  const std::uint8_t* b;
  std::uint8_t* out;
  SW_HD void operator()(index_t i) const { out[i] = (a[i] || b[i]) ? 1 : 0; }
};

// mask[i] and not cut[i].
struct and_not_fn {
  const std::uint8_t* mask;
  const std::uint8_t* cut;
  std::uint8_t* out;
  SW_HD void operator()(index_t i) const { out[i] = (mask[i] && !cut[i]) ? 1 : 0; }
};

}  // namespace sw::kern
