// Connected components on the CPU: the same union-find as kernels/label.cuh, launched as
// horizontal strips. Each thread scans its strip in raster order with a plain (non-atomic)
// union-find, since nothing else touches the strip's trees; then the seams between strips
// are joined with the atomic union of label.cuh; then every pixel points at its root.
// Links always go from the larger root to the smaller, so roots are the smallest index of
// their component and the labels equal those of the device launch exactly.
#pragma once

#include <algorithm>
#include <cstdint>

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>

#include "kernels/cpu/backend.hpp"
#include "kernels/label.cuh"

namespace sw::kern {

namespace detail {

template <class Label>
inline Label find_seq(Label* parent, Label a) {
  while (parent[a] != a) {
    parent[a] = parent[parent[a]];  // path halving
    a = parent[a];
  }
  return a;
}

template <class Label>
inline void union_seq(Label* parent, Label a, Label b) {
  a = find_seq(parent, a);
  b = find_seq(parent, b);
  if (a == b) return;
  if (a < b)
    parent[b] = a;
  else
    parent[a] = b;
}

}  // namespace detail

template <class Label>
void label_image(const cpu_backend&, const std::uint8_t* mask, Label* parent, int width,
                 int height) {
  if (width <= 0 || height <= 0) return;
  const int threads = std::max(1, tbb::this_task_arena::max_concurrency());
  // several strips per thread for balance, each at least 16 rows
  const int strips = std::clamp(height / 16, 1, 4 * threads);
  const auto strip_begin = [&](int s) {
    return static_cast<int>(static_cast<long long>(height) * s / strips);
  };
  const index_t w = width;

  tbb::parallel_for(0, strips, [&](int s) {
    const int y0 = strip_begin(s), y1 = strip_begin(s + 1);
    for (int y = y0; y < y1; ++y) {
      const index_t row = y * w;
      for (int x = 0; x < width; ++x) {
        const index_t i = row + x;
        if (!mask[i]) {
          parent[i] = Label(-1);
          continue;
        }
        parent[i] = static_cast<Label>(i);
        if (x > 0 && mask[i - 1]) detail::union_seq<Label>(parent, static_cast<Label>(i), static_cast<Label>(i - 1));
        if (y > y0) {
          const index_t up = i - w;
          if (x > 0 && mask[up - 1]) detail::union_seq<Label>(parent, static_cast<Label>(i), static_cast<Label>(up - 1));
          if (mask[up]) detail::union_seq<Label>(parent, static_cast<Label>(i), static_cast<Label>(up));
          if (x + 1 < width && mask[up + 1])
            detail::union_seq<Label>(parent, static_cast<Label>(i), static_cast<Label>(up + 1));
        }
      }
    }
  });

  // seams: the first row of each strip against the last row of the one above
  tbb::parallel_for(1, strips, [&](int s) {
    const int y = strip_begin(s);
    const index_t row = y * w;
    for (int x = 0; x < width; ++x) {
      const index_t i = row + x;
      if (!mask[i]) continue;
      const index_t up = i - w;
      if (x > 0 && mask[up - 1]) union_trees<Label>(parent, static_cast<Label>(i), static_cast<Label>(up - 1));
      if (mask[up]) union_trees<Label>(parent, static_cast<Label>(i), static_cast<Label>(up));
      if (x + 1 < width && mask[up + 1])
        union_trees<Label>(parent, static_cast<Label>(i), static_cast<Label>(up + 1));
    }
  });

  // every pixel to its root; strips again (no other writer touches a strip's pixels now,
  // but roots may sit in other strips, read through find_root's atomic loads)
  tbb::parallel_for(0, strips, [&](int s) {
    const index_t b = strip_begin(s) * w, e = strip_begin(s + 1) * w;
    for (index_t i = b; i < e; ++i) {
      if (parent[i] < 0) continue;
      cuda::atomic_ref<Label, cuda::thread_scope_device> ref(parent[i]);
      ref.store(find_root(parent, static_cast<Label>(i)), cuda::memory_order_relaxed);
    }
  });
}

}  // namespace sw::kern
