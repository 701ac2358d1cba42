// Morphology with square structuring elements, separable (a row pass then a column pass):
// binary erosion/dilation of masks before labelling (SPEC 2 step 7), and grey-level
// erosion/dilation restricted to a domain for the local-background top-hat.
//
// Pixels outside the image take the neutral value of the operation (erosion: foreground,
// dilation: background), so morphology does not eat objects at the grid border.
#pragma once

#include <cstdint>

#include "kernels/common.hpp"

namespace sw::kern {

// One separable pass of binary erosion (is_erosion) or dilation with half-width r along x
// (horizontal) or y.
struct binary_morph_pass_fn {
  view2d<const std::uint8_t> in;
  std::uint8_t* out;
  int r;
  bool horizontal;
  bool is_erosion;

  SW_HD void operator()(int x, int y) const {
    bool acc = is_erosion;
    for (int d = -r; d <= r; ++d) {
      const int xx = horizontal ? x + d : x;
      const int yy = horizontal ? y : y + d;
      if (!in.inside(xx, yy)) continue;
      const bool v = in(xx, yy) != 0;
      if (is_erosion ? !v : v) {
        acc = !is_erosion;
        break;
      }
    }
    out[static_cast<index_t>(y) * in.width + x] = acc ? 1 : 0;
  }
};

// One separable pass of grey erosion (min) or dilation (max) with half-width r over the
// pixels where domain != 0 (domain == nullptr: all pixels). A pixel with no domain pixel
// within reach gets the neutral sentinel (+3e38 for erosion, -3e38 for dilation), which the
// second pass then ignores naturally. Restrict the first pass of each operation to the
// domain and run the second pass with domain == nullptr.
struct grey_morph_pass_fn {
  view2d<const float> in;
  const std::uint8_t* domain;
  float* out;
  int r;
  bool horizontal;
  bool is_erosion;

  SW_HD void operator()(int x, int y) const {
    const float sentinel = is_erosion ? 3e38f : -3e38f;
    float acc = sentinel;
    for (int d = -r; d <= r; ++d) {
      const int xx = horizontal ? x + d : x;
      const int yy = horizontal ? y : y + d;
      if (!in.inside(xx, yy)) continue;
      const index_t j = static_cast<index_t>(yy) * in.width + xx;
      if (domain != nullptr && !domain[j]) continue;
      const float v = in[j];
      acc = is_erosion ? min_of(acc, v) : max_of(acc, v);
    }
    out[static_cast<index_t>(y) * in.width + x] = acc;
  }
};

}  // namespace sw::kern
