// Component measurement on the CPU: the per-pixel terms of kernels/measure.cuh, summed per
// strip of rows into thread-local arrays over the strip's range of component ids, then
// added into the shared arrays once per component and strip. The device adds every pixel
// with an atomic; on the CPU that costs a locked read-modify-write per term and pixel,
// which made measurement the slow half of labelling. The sums are integers, so the order
// of addition does not change them: the results equal the device's exactly.
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

// Strips of rows for per-thread work: several per thread, at least 16 rows each.
struct row_strips {
  int count;
  int height;
  row_strips(int h) : height(h) {
    const int threads = std::max(1, tbb::this_task_arena::max_concurrency());
    count = std::clamp(h / 16, 1, 4 * threads);
  }
  int begin(int s) const { return static_cast<int>(static_cast<long long>(height) * s / count); }
};

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

namespace detail {

// The moment sums of rows [b / w, e / w) (b, e at row starts) whose component ids lie in
// [lo, hi], accumulated in thread-local arrays and then added once per component into
// `out`. Row and column loops: no division per pixel.
template <class Label>
void strip_moments(const Label* component, const float* change, index_t w, index_t b, index_t e,
                   Label lo, Label hi, const component_sums& out) {
  const std::size_t r = static_cast<std::size_t>(hi - lo) + 1;
  std::vector<std::int64_t> acc(7 * r, 0);
  std::vector<std::int32_t> box(4 * r);
  std::fill(box.begin(), box.begin() + 2 * r, std::numeric_limits<std::int32_t>::max());
  std::fill(box.begin() + 2 * r, box.end(), std::numeric_limits<std::int32_t>::min());
  for (index_t y = b / w; y < e / w; ++y) {
    const index_t row = y * w;
    for (index_t x = 0; x < w; ++x) {
      const Label c = component[row + x];
      if (c < 0) continue;
      const std::size_t k = static_cast<std::size_t>(c - lo);
      acc[k] += 1;
      acc[r + k] += x;
      acc[2 * r + k] += y;
      acc[3 * r + k] += x * x;
      acc[4 * r + k] += y * y;
      acc[5 * r + k] += x * y;
      if (change != nullptr && change[row + x] > 0.0f)
        acc[6 * r + k] += static_cast<std::int64_t>(llround(change[row + x] * change_fixed_scale));
      box[k] = std::min(box[k], static_cast<std::int32_t>(x));
      box[r + k] = std::min(box[r + k], static_cast<std::int32_t>(y));
      box[2 * r + k] = std::max(box[2 * r + k], static_cast<std::int32_t>(x));
      box[3 * r + k] = std::max(box[3 * r + k], static_cast<std::int32_t>(y));
    }
  }
  for (std::size_t k = 0; k < r; ++k) {
    if (acc[k] == 0) continue;
    const index_t c = static_cast<index_t>(lo) + static_cast<index_t>(k);
    atomic_add<std::int64_t>(out.area + c, acc[k]);
    atomic_add<std::int64_t>(out.sx + c, acc[r + k]);
    atomic_add<std::int64_t>(out.sy + c, acc[2 * r + k]);
    atomic_add<std::int64_t>(out.sxx + c, acc[3 * r + k]);
    atomic_add<std::int64_t>(out.syy + c, acc[4 * r + k]);
    atomic_add<std::int64_t>(out.sxy + c, acc[5 * r + k]);
    atomic_add<std::int64_t>(out.schange + c, acc[6 * r + k]);
    atomic_min<std::int32_t>(out.xmin + c, box[k]);
    atomic_min<std::int32_t>(out.ymin + c, box[r + k]);
    atomic_max<std::int32_t>(out.xmax + c, box[2 * r + k]);
    atomic_max<std::int32_t>(out.ymax + c, box[3 * r + k]);
  }
}

}  // namespace detail

template <class Label>
void accumulate_moments(const cpu_backend&, const Label* component, const float* change, int width,
                        int height, index_t /*components*/, component_sums out) {
  const detail::row_strips strips(height);
  const index_t w = width;
  tbb::parallel_for(0, strips.count, [&](int s) {
    const index_t b = strips.begin(s) * w, e = strips.begin(s + 1) * w;
    Label lo, hi;
    detail::id_range(component, b, e, lo, hi);
    if (hi < lo) return;
    detail::strip_moments(component, change, w, b, e, lo, hi, out);
  });
}

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
