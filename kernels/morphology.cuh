// Morphology with square structuring elements, separable (a row pass then a column pass):
// binary erosion/dilation of masks before labelling (SPEC 2 step 7), and grey-level
// opening/closing whose structuring element must fit inside a domain, for the
// local-background top-hat.
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

// One separable pass of grey erosion (min) or dilation (max) with half-width r.
// With a domain (the first pass of an operation): the window must fit inside the domain and
// the image; where it does not, the result is the absorbing value (erosion -3e38,
// dilation +3e38), so the square structuring element only ever sits on domain pixels.
// Without a domain (the second pass, or the second operation of an opening/closing):
// pixels outside the image are skipped and the absorbing values pass through min/max.
struct grey_morph_pass_fn {
  view2d<const float> in;
  const std::uint8_t* domain;
  float* out;
  int r;
  bool horizontal;
  bool is_erosion;

  SW_HD void operator()(int x, int y) const {
    const float absorbing = is_erosion ? -3e38f : 3e38f;
    float acc = is_erosion ? 3e38f : -3e38f;
    for (int d = -r; d <= r; ++d) {
      const int xx = horizontal ? x + d : x;
      const int yy = horizontal ? y : y + d;
      if (!in.inside(xx, yy)) {
        if (domain != nullptr) {
          acc = absorbing;
          break;
        }
        continue;
      }
      const index_t j = static_cast<index_t>(yy) * in.width + xx;
      if (domain != nullptr && !domain[j]) {
        acc = absorbing;
        break;
      }
      const float v = in[j];
      acc = is_erosion ? min_of(acc, v) : max_of(acc, v);
    }
    out[static_cast<index_t>(y) * in.width + x] = acc;
  }
};

// True for the absorbing/neutral sentinels above: no estimate at this pixel.
SW_HD inline bool is_morph_sentinel(float v) {
  return v <= -1e38f || v >= 1e38f;
}

// ---- The launch sequence (host side, any backend) ---------------------------------------

// A binary erosion (or dilation) of `m` in place by a square of side 2 r + 1 (two
// separable passes); r <= 0: nothing.
template <class Backend>
void binary_morph(const Backend& be, const grid_frame& g,
                  typename Backend::template buffer<std::uint8_t>& m, int r, bool erosion) {
  if (r <= 0) return;
  const int w = g.width, h = g.height;
  const index_t n = g.pixels();
  auto tmp = be.template alloc<std::uint8_t>(n);
  be.for_each_2d(w, h, binary_morph_pass_fn{{m.data(), w, h}, tmp.data(), r, true, erosion});
  be.for_each_2d(w, h, binary_morph_pass_fn{{tmp.data(), w, h}, m.data(), r, false, erosion});
}

}  // namespace sw::kern
