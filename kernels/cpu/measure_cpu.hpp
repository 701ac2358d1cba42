// Component measurement on the CPU, second pass (extents along each component's axes):
// the per-pixel terms of kernels/measure.cuh, reduced per strip of rows into thread-local
// arrays over the strip's range of component ids, then merged into the shared arrays once
// per component and strip. The device uses an atomic per pixel; on the CPU that is a locked
// read-modify-write per term and pixel. Min and max of integers do not depend on order:
// the results equal the device's exactly. (The first pass, the moments, is fused with
// labelling: kernels/cpu/label_cpu.hpp.)
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include <oneapi/tbb/parallel_for.h>

#include "kernels/cpu/backend.hpp"
#include "kernels/measure.cuh"

namespace sw::kern {

namespace detail {

// Smallest and largest component id in rows [y0, y1); lo > hi when there is none.
template <class Label>
void id_range(const Label* component, index_t b, index_t e, Label& lo, Label& hi) {
  lo = std::numeric_limits<Label>::max();
  hi = -1;
  for (index_t i = b; i < e; ++i) {
    const Label c = component[i];
    if (c < 0) continue;
    lo = std::min(lo, c);
    hi = std::max(hi, c);
  }
}

}  // namespace detail

template <class Label>
void accumulate_extents(const cpu_backend&, const axis_extent_fn<Label>& f, int height,
                        index_t /*components*/) {
  const detail::row_strips strips(height);
  const index_t w = f.width;
  tbb::parallel_for(0, strips.count, [&](int s) {
    const index_t b = strips.begin(s) * w, e = strips.begin(s + 1) * w;
    Label lo, hi;
    detail::id_range(f.component, b, e, lo, hi);
    if (hi < lo) return;
    const std::size_t r = static_cast<std::size_t>(hi - lo) + 1;
    std::vector<std::int64_t> ext(4 * r);
    std::fill(ext.begin(), ext.begin() + r, std::numeric_limits<std::int64_t>::max());
    std::fill(ext.begin() + r, ext.begin() + 2 * r, std::numeric_limits<std::int64_t>::min());
    std::fill(ext.begin() + 2 * r, ext.begin() + 3 * r, std::numeric_limits<std::int64_t>::max());
    std::fill(ext.begin() + 3 * r, ext.end(), std::numeric_limits<std::int64_t>::min());
    std::vector<char> seen(r, 0);
    // the same per-pixel arithmetic as axis_extent_fn, into the local range (row loops)
    for (index_t y = b / w; y < e / w; ++y) {
      const index_t row = y * w;
      for (index_t x = 0; x < w; ++x) {
        const Label c = f.component[row + x];
        if (c < 0) continue;
        const std::size_t k = static_cast<std::size_t>(c - lo);
        seen[k] = 1;
        std::int64_t fu, fv;
        f.project_xy(x, y, c, fu, fv);
        ext[k] = std::min(ext[k], fu);
        ext[r + k] = std::max(ext[r + k], fu);
        ext[2 * r + k] = std::min(ext[2 * r + k], fv);
        ext[3 * r + k] = std::max(ext[3 * r + k], fv);
      }
    }
    for (std::size_t k = 0; k < r; ++k) {
      if (!seen[k]) continue;
      const index_t c = static_cast<index_t>(lo) + static_cast<index_t>(k);
      atomic_min<std::int64_t>(f.umin + c, ext[k]);
      atomic_max<std::int64_t>(f.umax + c, ext[r + k]);
      atomic_min<std::int64_t>(f.vmin + c, ext[2 * r + k]);
      atomic_max<std::int64_t>(f.vmax + c, ext[3 * r + k]);
    }
  });
}

}  // namespace sw::kern
