// Connected components on the CPU: the union-find of kernels/label.cuh, run over runs of
// foreground pixels instead of single pixels (the CPU launch SPEC's kernel list allows:
// "a different launch of the same union-find, strips per thread, merged at the seams").
//
// Why runs: the per-pixel union-find (parent per pixel, then flatten, count roots, rank,
// relabel, measure) crossed the image-sized label array six times, and on a CPU those
// passes are memory traffic, not arithmetic; OpenCV's block scan beat it at two threads.
// Here the mask is read once (64 pixels at a time as a bit mask, so empty and full
// stretches cost one test), a row's runs are joined with the overlapping runs of the row
// above (8-connectivity: touching diagonally counts), the union-find lives on the run
// table (a few percent of the pixels), and the label image is written once, run by run.
// The moments of a run have closed forms (sum of x, x^2 over an interval), so measurement
// needs no pixel pass except the change sum, which reads only foreground pixels.
//
// Same results as the device: union links go from the larger run index to the smaller,
// runs are numbered in raster order, so each component's root is its raster-first run
// and ids rank the roots in raster order -- exactly the device's compact ids. All sums
// are integers (moments, fixed-point change), so their order does not matter either.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <oneapi/tbb/parallel_for.h>

#include "kernels/cpu/backend.hpp"
#include "kernels/label.cuh"
#include "kernels/measure.cuh"

namespace sw::kern {

namespace detail {

struct pixel_run {
  std::int32_t x0, x1;  // [x0, x1) on one row
};

// Bit k set where p[k] != 0, for k < n (n <= 64); bits from n up are zero.
inline std::uint64_t foreground_bits(const std::uint8_t* p, int n) {
#if defined(__SSE2__)
  if (n == 64) {
    const __m128i zero = _mm_setzero_si128();
    std::uint64_t bits = 0;
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      const auto z = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
      bits |= static_cast<std::uint64_t>(~z & 0xFFFFu) << (16 * k);
    }
    return bits;
  }
#endif
  std::uint64_t bits = 0;
  for (int k = 0; k < n; ++k) bits |= static_cast<std::uint64_t>(p[k] != 0) << k;
  return bits;
}

// Appends the runs of one mask row, left to right.
inline void append_row_runs(const std::uint8_t* row, int width, std::vector<pixel_run>& runs) {
  bool inside = false;
  int start = 0;
  for (int base = 0; base < width; base += 64) {
    const int n = std::min(64, width - base);
    const std::uint64_t m = foreground_bits(row + base, n);
    // bits past n are 0, so a run reaching the row's end closes at base + n = width
    if (inside ? m == ~std::uint64_t{0} : m == 0) continue;
    int p = 0;
    for (;;) {
      const std::uint64_t from = ~std::uint64_t{0} << p;  // p < 64 always
      if (!inside) {
        const std::uint64_t ones = m & from;
        if (ones == 0) break;
        p = std::countr_zero(ones);
        start = base + p;
        inside = true;
      } else {
        const std::uint64_t zeros = ~m & from;
        if (zeros == 0) break;
        p = std::countr_zero(zeros);
        runs.push_back({start, base + p});
        inside = false;
      }
    }
  }
  if (inside) runs.push_back({start, width});
}

// Calls join(cur_first + k, prev_first + i) for every run k of `cur` that touches run i of
// `prev` (the row above) under 8-connectivity: [p0, p1) and [a, b) touch when p0 <= b and
// p1 >= a. Both lists are sorted, so one forward sweep finds all pairs.
template <class Join>
inline void join_touching_runs(const pixel_run* prev, index_t n_prev, index_t prev_first,
                               const pixel_run* cur, index_t n_cur, index_t cur_first,
                               Join&& join) {
  index_t j = 0;
  for (index_t k = 0; k < n_cur; ++k) {
    const pixel_run r = cur[k];
    while (j < n_prev && prev[j].x1 < r.x0) ++j;
    for (index_t i = j; i < n_prev && prev[i].x0 <= r.x1; ++i) join(cur_first + k, prev_first + i);
  }
}

inline index_t find_run_root(index_t* parent, index_t a) {
  while (parent[a] != a) {
    parent[a] = parent[parent[a]];  // path halving
    a = parent[a];
  }
  return a;
}

// Hooks the larger root under the smaller, so parent[k] <= k always.
inline void union_runs(index_t* parent, index_t a, index_t b) {
  a = find_run_root(parent, a);
  b = find_run_root(parent, b);
  if (a < b)
    parent[b] = a;
  else if (b < a)
    parent[a] = b;
}

// The moment sums of one run or of several runs of one component.
struct run_sums {
  std::int64_t area, sx, sy, sxx, syy, sxy, schange;
  std::int32_t xmin, ymin, xmax, ymax;

  void merge(const run_sums& o) {
    area += o.area;
    sx += o.sx;
    sy += o.sy;
    sxx += o.sxx;
    syy += o.syy;
    sxy += o.sxy;
    schange += o.schange;
    xmin = std::min(xmin, o.xmin);
    ymin = std::min(ymin, o.ymin);
    xmax = std::max(xmax, o.xmax);
    ymax = std::max(ymax, o.ymax);
  }
  // plain, not atomic: the caller has component c to itself
  void add_to(const component_sums& out, index_t c) const {
    out.area[c] += area;
    out.sx[c] += sx;
    out.sy[c] += sy;
    out.sxx[c] += sxx;
    out.syy[c] += syy;
    out.sxy[c] += sxy;
    out.schange[c] += schange;
    out.xmin[c] = std::min(out.xmin[c], xmin);
    out.ymin[c] = std::min(out.ymin[c], ymin);
    out.xmax[c] = std::max(out.xmax[c], xmax);
    out.ymax[c] = std::max(out.ymax[c], ymax);
  }
};

// The run [a, b) of row y: sums of x and x^2 in closed form (integers, exactly what the
// per-pixel terms of moments_fn add up to); the change sum pixel by pixel.
inline run_sums run_moments(std::int64_t a, std::int64_t b, std::int64_t y,
                            const float* change_row) {
  const std::int64_t n = b - a;
  const std::int64_t sx = n * (a + b - 1) / 2;  // n (a + b - 1) is even
  // sum (a + k)^2 for k < n = n a^2 + a n (n - 1) + (n - 1) n (2n - 1) / 6
  const std::int64_t sxx = n * a * a + a * n * (n - 1) + (n - 1) * n * (2 * n - 1) / 6;
  std::int64_t sc = 0;
  if (change_row != nullptr)
    for (std::int64_t x = a; x < b; ++x)
      if (change_row[x] > 0.0f)
        sc += static_cast<std::int64_t>(llround(change_row[x] * change_fixed_scale));
  return {n,
          sx,
          n * y,
          sxx,
          n * y * y,
          sx * y,
          sc,
          static_cast<std::int32_t>(a),
          static_cast<std::int32_t>(y),
          static_cast<std::int32_t>(b - 1),
          static_cast<std::int32_t>(y)};
}

// One strip of rows [y0, y1): its runs, where each row's runs start, and (during the
// scan) the strip-local union-find over them.
struct run_strip {
  int y0 = 0, y1 = 0;
  std::vector<pixel_run> runs;
  std::vector<index_t> row_first;  // run index of row y0 + k's first run; back() = size
  std::vector<index_t> parent;     // strip-local
  index_t first = 0;               // global index of runs[0]
  index_t owned_first = 0;         // first id of the components rooted in this strip
  std::vector<std::pair<index_t, run_sums>> foreign;  // (id, sums) of components from above
};

// Labels `mask` into `component` (compact ids in raster order of the components' first
// pixels, background -1) and returns the count. With_moments: make_sums(count) returns the
// zeroed sums to fill with every component's moments (change may be null).
// Longer than 80 lines on purpose: its four phases (runs and strip-local unions in parallel,
// seams, flattening, writing labels and sums in parallel) share the strips, the parents and
// the counts, and a split into functions would pass them all around; the phases are marked.
template <class Label, bool with_moments, class MakeSums>
index_t label_runs(const std::uint8_t* mask, Label* component, const float* change, int width,
                   int height, MakeSums&& make_sums) {
  if (width <= 0 || height <= 0) return 0;
  const row_strips bounds(height);
  const int n_strips = bounds.count;
  std::vector<run_strip> strips(static_cast<std::size_t>(n_strips));
  for (int s = 0; s < n_strips; ++s) {
    strips[s].y0 = bounds.begin(s);
    strips[s].y1 = bounds.begin(s + 1);
  }
  const index_t w = width;

  // 1. runs of every row and the union-find inside each strip
  tbb::parallel_for(0, n_strips, [&](int s) {
    run_strip& st = strips[s];
    const int rows = st.y1 - st.y0;
    st.row_first.resize(static_cast<std::size_t>(rows) + 1);
    st.runs.reserve(static_cast<std::size_t>(rows) * 16);
    for (int k = 0; k < rows; ++k) {
      const index_t first = static_cast<index_t>(st.runs.size());
      st.row_first[k] = first;
      append_row_runs(mask + (st.y0 + k) * w, width, st.runs);
      const index_t end = static_cast<index_t>(st.runs.size());
      for (index_t r = first; r < end; ++r) st.parent.push_back(r);
      if (k > 0) {
        const index_t above = st.row_first[k - 1];
        join_touching_runs(st.runs.data() + above, first - above, above, st.runs.data() + first,
                           end - first, first,
                           [&](index_t a, index_t b) { union_runs(st.parent.data(), a, b); });
      }
    }
    st.row_first[rows] = static_cast<index_t>(st.runs.size());
  });

  // 2. one global run table: strip s's runs follow strip s - 1's
  index_t total = 0;
  for (auto& st : strips) {
    st.first = total;
    total += static_cast<index_t>(st.runs.size());
  }
  if (total == 0) {
    std::fill(component, component + w * height, Label(-1));
    return 0;
  }
  std::vector<index_t> parent(static_cast<std::size_t>(total));
  tbb::parallel_for(0, n_strips, [&](int s) {
    const run_strip& st = strips[s];
    for (std::size_t k = 0; k < st.parent.size(); ++k)
      parent[st.first + k] = st.first + st.parent[k];
  });

  // 3. seams: each strip's first row against the last row of the strip above (few runs)
  for (int s = 1; s < n_strips; ++s) {
    const run_strip &up = strips[s - 1], &st = strips[s];
    const index_t up_last = up.row_first[up.y1 - up.y0 - 1], up_end = up.row_first.back();
    join_touching_runs(up.runs.data() + up_last, up_end - up_last, up.first + up_last,
                       st.runs.data(), st.row_first[1], st.first,
                       [&](index_t a, index_t b) { union_runs(parent.data(), a, b); });
  }

  // 4. compact ids in place: parent[k] < k for every non-root, so walking in order, the
  // entry parent[k] points at already holds its root's id (a sequential pass over runs,
  // a few percent of the pixels). A strip owns the components whose root run it holds:
  // ids [owned_first of it, owned_first of the next).
  index_t count = 0;
  for (auto& st : strips) {
    st.owned_first = count;
    const index_t end = st.first + static_cast<index_t>(st.runs.size());
    for (index_t k = st.first; k < end; ++k)
      parent[k] = parent[k] == k ? count++ : parent[parent[k]];
  }

  component_sums out{};
  if constexpr (with_moments) out = make_sums(count);

  // 5. the label image, row by row (the row set to -1, then each run), and the moments of
  // each run: straight into `out` for components the strip owns (no other strip writes
  // those now), into the strip's list of foreign partial sums for components rooted in a
  // strip above, added after the parallel loop (few: only components crossing a seam)
  tbb::parallel_for(0, n_strips, [&](int s) {
    run_strip& st = strips[s];
    const index_t* id = parent.data() + st.first;
    for (int k = 0; k < st.y1 - st.y0; ++k) {
      const std::int64_t y = st.y0 + k;
      Label* out_row = component + y * w;
      std::fill_n(out_row, w, Label(-1));
      const float* change_row = change != nullptr ? change + y * w : nullptr;
      for (index_t r = st.row_first[k]; r < st.row_first[k + 1]; ++r) {
        const std::int32_t a = st.runs[r].x0, b = st.runs[r].x1;
        const auto c = static_cast<Label>(id[r]);
        for (std::int32_t x = a; x < b; ++x) out_row[x] = c;
        if constexpr (with_moments) {
          const run_sums v = run_moments(a, b, y, change_row);
          if (id[r] >= st.owned_first) {
            v.add_to(out, id[r]);
          } else if (!st.foreign.empty() && st.foreign.back().first == id[r]) {
            st.foreign.back().second.merge(v);
          } else {
            st.foreign.emplace_back(id[r], v);
          }
        }
      }
    }
  });
  if constexpr (with_moments)
    for (const auto& st : strips)
      for (const auto& [c, v] : st.foreign) v.add_to(out, c);
  return count;
}

}  // namespace detail

// Compact ids (detail::label_runs): the same ids as the device launch of label.cuh.
template <class Label>
index_t label_components(const cpu_backend&, const std::uint8_t* mask, Label* component, int width,
                         int height) {
  return detail::label_runs<Label, false>(mask, component, nullptr, width, height,
                                          [](index_t) { return component_sums{}; });
}

// label_components and accumulate_moments fused: the moments come from the runs.
template <class Label, class MakeSums>
index_t label_and_moments(const cpu_backend&, const std::uint8_t* mask, Label* component,
                          const float* change, int width, int height, MakeSums make_sums) {
  return detail::label_runs<Label, true>(mask, component, change, width, height, make_sums);
}

}  // namespace sw::kern
