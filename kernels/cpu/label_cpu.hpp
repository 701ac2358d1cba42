// Connected components on the CPU: the same union-find as kernels/label.cuh, launched as
// horizontal strips. Each thread scans its strip in raster order with a plain (non-atomic)
// union-find, since nothing else touches the strip's trees; then the seams between strips
// are joined with the atomic union of label.cuh; then every pixel points at its root.
// Links always go from the larger root to the smaller, so roots are the smallest index of
// their component and the labels equal those of the device launch exactly.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>

#include "kernels/cpu/backend.hpp"
#include "kernels/cpu/measure_cpu.hpp"
#include "kernels/label.cuh"
#include "kernels/measure.cuh"

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
    const int wd = width;  // locals: writes through `parent` could alias captured sizes
    const index_t stride = w;
    for (int y = y0; y < y1; ++y) {
      const index_t row = y * stride;
      const bool above = y > y0;
      for (int x = 0; x < wd; ++x) {
        const index_t i = row + x;
        if (!mask[i]) {
          parent[i] = Label(-1);
          continue;
        }
        parent[i] = static_cast<Label>(i);
        const auto li = static_cast<Label>(i);
        // Fewest unions (the decision of Wu, Otoo & Suzuki's scan): N joins the whole
        // 3-pixel row above and W; without N, W covers NW, and NE may still be apart.
        const bool w_on = x > 0 && mask[i - 1];
        if (above) {
          const index_t up = i - stride;
          if (mask[up]) {
            detail::union_seq<Label>(parent, li, static_cast<Label>(up));
            continue;
          }
          const bool ne_on = x + 1 < wd && mask[up + 1];
          if (w_on) {
            detail::union_seq<Label>(parent, li, static_cast<Label>(i - 1));
          } else if (x > 0 && mask[up - 1]) {
            detail::union_seq<Label>(parent, li, static_cast<Label>(up - 1));
          }
          if (ne_on) detail::union_seq<Label>(parent, li, static_cast<Label>(up + 1));
        } else if (w_on) {
          detail::union_seq<Label>(parent, li, static_cast<Label>(i - 1));
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
      if (x > 0 && mask[up - 1])
        union_trees<Label>(parent, static_cast<Label>(i), static_cast<Label>(up - 1));
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

namespace detail {

// Compact ids straight from the strips, in place: `component` serves as the union-find
// parent array (no image-sized scratch, which on the CPU means page faults on every call).
// After the strip union-find and seams: (1) count the roots per strip; (2) each root's entry
// becomes -(rank + 2), its rank being the strip's offset plus its order in the strip;
// on_count(count) runs; (3) every pixel takes its root's rank (non-roots still hold the
// root's index, which the root's entry decodes), and on_strip(begin, end, lo, hi) runs for
// each strip with its range of ids while the strip is in cache. Roots are the smallest
// index of their component, so the ids are those of the device launch.
template <class Label, class OnCount, class OnStrip>
index_t label_in_place(const cpu_backend& be, const std::uint8_t* mask, Label* component, int width,
                       int height, OnCount on_count, OnStrip on_strip) {
  const index_t n = static_cast<index_t>(width) * height;
  if (n <= 0) return 0;
  label_image<Label>(be, mask, component, width, height);  // component = flat parents
  const int threads = std::max(1, tbb::this_task_arena::max_concurrency());
  const int strips = std::clamp(height / 16, 1, 4 * threads);
  const index_t w = width;
  const auto begin = [&](int s) {
    return static_cast<index_t>(static_cast<long long>(height) * s / strips) * w;
  };
  std::vector<index_t> roots(static_cast<std::size_t>(strips) + 1, 0);
  // (strip bounds are hoisted: through `component`, the compiler must assume writes alias
  // the captured sizes and would recompute a division per pixel)
  tbb::parallel_for(0, strips, [&](int s) {
    const index_t b = begin(s), e = begin(s + 1);
    index_t k = 0;
    for (index_t i = b; i < e; ++i) k += component[i] == static_cast<Label>(i);
    roots[s + 1] = k;
  });
  for (int s = 0; s < strips; ++s) roots[s + 1] += roots[s];
  const index_t count = roots[strips];
  if (count == 0) return 0;  // no foreground: label_image left every pixel at -1
  tbb::parallel_for(0, strips, [&](int s) {
    const index_t b = begin(s), e = begin(s + 1);
    Label id = static_cast<Label>(roots[s]);
    for (index_t i = b; i < e; ++i)
      if (component[i] == static_cast<Label>(i)) component[i] = -(id++) - 2;
  });
  on_count(count);
  // Another strip's thread may be decoding the root this pixel points at while reading it:
  // relaxed atomics keep that defined; both encodings give the same rank.
  tbb::parallel_for(0, strips, [&](int s) {
    const index_t b = begin(s), e = begin(s + 1);
    Label lo = std::numeric_limits<Label>::max(), hi = -1;
    for (index_t i = b; i < e; ++i) {
      cuda::atomic_ref<Label, cuda::thread_scope_device> self(component[i]);
      const Label v = self.load(cuda::memory_order_relaxed);
      if (v == Label(-1)) continue;
      Label id;
      if (v <= Label(-2)) {
        id = -v - 2;
      } else {
        cuda::atomic_ref<Label, cuda::thread_scope_device> root(component[v]);
        const Label r = root.load(cuda::memory_order_relaxed);
        id = r <= Label(-2) ? -r - 2 : r;
      }
      self.store(id, cuda::memory_order_relaxed);
      lo = std::min(lo, id);
      hi = std::max(hi, id);
    }
    if (hi >= lo) on_strip(b, e, lo, hi);
  });
  return count;
}

}  // namespace detail

// Compact ids (detail::label_in_place).
template <class Label>
index_t label_components(const cpu_backend& be, const std::uint8_t* mask, Label* component,
                         int width, int height) {
  return detail::label_in_place<Label>(
      be, mask, component, width, height, [](index_t) {}, [](index_t, index_t, Label, Label) {});
}

// label_components and accumulate_moments fused: each strip's moments are summed right
// after its last labelling pass, while it is in cache (one pass over the image fewer).
template <class Label, class MakeSums>
index_t label_and_moments(const cpu_backend& be, const std::uint8_t* mask, Label* component,
                          const float* change, int width, int height, MakeSums make_sums) {
  component_sums out{};
  return detail::label_in_place<Label>(
      be, mask, component, width, height, [&](index_t count) { out = make_sums(count); },
      [&](index_t b, index_t e, Label lo, Label hi) {
        detail::strip_moments(component, change, static_cast<index_t>(width), b, e, lo, hi, out);
      });
}

}  // namespace sw::kern
