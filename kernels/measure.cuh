// Measurement of connected components (SPEC 2 step 7): area, bounding box, centroid,
// second moments -> orientation, length, width; the oriented bounding box; mean change.
//
// Per-component sums are integers (pixel coordinates, and the change magnitude in fixed
// point), accumulated with atomics: integer addition is associative, so the sums are the
// same whatever the order, on any thread count and on either backend.
#pragma once

#include <cmath>
#include <cstdint>

#include <cuda/atomic>

#include "kernels/common.hpp"
#include "kernels/label.cuh"

namespace sw::kern {

// Fixed-point scale of the change magnitude in the per-component sum (1/16 unit).
inline constexpr double change_fixed_scale = 16.0;
inline constexpr double extent_fixed_scale = 1024.0;

// Raw per-component sums, structure of arrays; n_components entries each.
struct component_sums {
  std::int64_t* area;
  std::int64_t* sx;
  std::int64_t* sy;
  std::int64_t* sxx;
  std::int64_t* syy;
  std::int64_t* sxy;
  std::int64_t* schange;
  std::int32_t* xmin;
  std::int32_t* ymin;
  std::int32_t* xmax;
  std::int32_t* ymax;
};

// The sums over three caller-owned arrays: i64 of 7 * count (area, sx, sy, sxx, syy, sxy,
// schange in turn), lo of 2 * count (xmin, ymin), hi of 2 * count (xmax, ymax).
SW_HD inline component_sums component_sums_over(std::int64_t* i64, std::int32_t* lo,
                                                std::int32_t* hi, index_t count) {
  return {i64,
          i64 + count,
          i64 + 2 * count,
          i64 + 3 * count,
          i64 + 4 * count,
          i64 + 5 * count,
          i64 + 6 * count,
          lo,
          lo + count,
          hi,
          hi + count};
}

template <class T>
SW_HD inline void atomic_add(T* p, T v) {
  cuda::atomic_ref<T, cuda::thread_scope_device> a(*p);
  a.fetch_add(v, cuda::memory_order_relaxed);
}
template <class T>
SW_HD inline void atomic_min(T* p, T v) {
  cuda::atomic_ref<T, cuda::thread_scope_device> a(*p);
  a.fetch_min(v, cuda::memory_order_relaxed);
}
template <class T>
SW_HD inline void atomic_max(T* p, T v) {
  cuda::atomic_ref<T, cuda::thread_scope_device> a(*p);
  a.fetch_max(v, cuda::memory_order_relaxed);
}

// Pass 1: sums per component. change may be nullptr (then schange stays 0).
template <class Label>
struct moments_fn {
  const Label* component;
  const float* change;
  int width;
  component_sums out;

  SW_HD void operator()(index_t i) const {
    const Label c = component[i];
    if (c < 0) return;
    const std::int64_t x = i % width, y = i / width;
    atomic_add<std::int64_t>(out.area + c, 1);
    atomic_add<std::int64_t>(out.sx + c, x);
    atomic_add<std::int64_t>(out.sy + c, y);
    atomic_add<std::int64_t>(out.sxx + c, x * x);
    atomic_add<std::int64_t>(out.syy + c, y * y);
    atomic_add<std::int64_t>(out.sxy + c, x * y);
    if (change != nullptr && change[i] > 0.0f)
      atomic_add<std::int64_t>(out.schange + c,
                               static_cast<std::int64_t>(llround(change[i] * change_fixed_scale)));
    atomic_min<std::int32_t>(out.xmin + c, static_cast<std::int32_t>(x));
    atomic_min<std::int32_t>(out.ymin + c, static_cast<std::int32_t>(y));
    atomic_max<std::int32_t>(out.xmax + c, static_cast<std::int32_t>(x));
    atomic_max<std::int32_t>(out.ymax + c, static_cast<std::int32_t>(y));
  }
};

// Shape of one component from its sums, in pixels. theta is the major axis angle in image
// coordinates (x right, y down), radians in (-pi/2, pi/2].
struct component_shape {
  double area = 0;
  double cx = 0, cy = 0;  // centroid, pixel centres at integer + 0 (x = column)
  double theta = 0;
  double length = 0, width = 0;  // sqrt(12 * eigenvalue): the side of a uniform rectangle
};

// Moments to shape. The +1/12 is the variance of a unit pixel: a one-pixel object has
// length and width 1, a row of n pixels length n.
SW_HD inline component_shape shape_from_sums(double area, double sx, double sy, double sxx,
                                             double syy, double sxy) {
  component_shape s;
  s.area = area;
  if (area <= 0) return s;
  s.cx = sx / area;
  s.cy = sy / area;
  const double vxx = sxx / area - s.cx * s.cx + 1.0 / 12.0;
  const double vyy = syy / area - s.cy * s.cy + 1.0 / 12.0;
  const double vxy = sxy / area - s.cx * s.cy;
  const double half_tr = 0.5 * (vxx + vyy);
  const double disc = sqrt(0.25 * (vxx - vyy) * (vxx - vyy) + vxy * vxy);
  const double l1 = half_tr + disc, l2 = half_tr - disc > 0 ? half_tr - disc : 0.0;
  s.theta = 0.5 * atan2(2.0 * vxy, vxx - vyy);
  s.length = sqrt(12.0 * l1);
  s.width = sqrt(12.0 * l2);
  return s;
}

// Pass 2: extents of each component along its own axes (u along theta, v across), in
// fixed point (1/1024 px), for the oriented bounding box. Pixel squares are accounted for
// by the caller (half a pixel's projected size on each side).
template <class Label>
struct axis_extent_fn {
  const Label* component;
  int width;
  const double* cx;
  const double* cy;
  const double* cos_t;
  const double* sin_t;
  std::int64_t* umin;
  std::int64_t* umax;
  std::int64_t* vmin;
  std::int64_t* vmax;

  // Pixel i of component c in fixed-point axis coordinates.
  SW_HD void project(index_t i, Label c, std::int64_t& fu, std::int64_t& fv) const {
    project_xy(i % width, i / width, c, fu, fv);
  }
  SW_HD void project_xy(index_t px, index_t py, Label c, std::int64_t& fu, std::int64_t& fv) const {
    const double x = static_cast<double>(px) - cx[c];
    const double y = static_cast<double>(py) - cy[c];
    const double u = x * cos_t[c] + y * sin_t[c];
    const double v = -x * sin_t[c] + y * cos_t[c];
    fu = static_cast<std::int64_t>(llround(u * extent_fixed_scale));
    fv = static_cast<std::int64_t>(llround(v * extent_fixed_scale));
  }

  SW_HD void operator()(index_t i) const {
    const Label c = component[i];
    if (c < 0) return;
    std::int64_t fu, fv;
    project(i, c, fu, fv);
    atomic_min<std::int64_t>(umin + c, fu);
    atomic_max<std::int64_t>(umax + c, fu);
    atomic_min<std::int64_t>(vmin + c, fv);
    atomic_max<std::int64_t>(vmax + c, fv);
  }
};

// Pass 3 (local classes): what surrounds each component and what lies under it. Per
// component pixel: its 8-neighbours inside the image that are not of the component
// (`outside`) and how many of those are water (`outside_water`; water may be nullptr), and
// whether the pixel is marked in `static_mask` (`on_static`; may be nullptr). Integers with
// atomics: the same sums in any order.
template <class Label>
struct component_context_fn {
  const Label* component;
  int width;
  int height;
  const std::uint8_t* water;
  const std::uint8_t* static_mask;
  std::int64_t* outside;
  std::int64_t* outside_water;
  std::int64_t* on_static;

  SW_HD void operator()(index_t i) const {
    const Label c = component[i];
    if (c < 0) return;
    if (static_mask != nullptr && static_mask[i]) atomic_add<std::int64_t>(on_static + c, 1);
    if (water == nullptr) return;
    const int x = static_cast<int>(i % width), y = static_cast<int>(i / width);
    std::int64_t o = 0, ow = 0;
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const int xx = x + dx, yy = y + dy;
        if ((dx == 0 && dy == 0) || xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
        const index_t j = static_cast<index_t>(yy) * width + xx;
        if (component[j] == c) continue;
        ++o;
        if (water[j]) ++ow;
      }
    if (o > 0) atomic_add<std::int64_t>(outside + c, o);
    if (ow > 0) atomic_add<std::int64_t>(outside_water + c, ow);
  }
};

// Passes over the image: f(i) for every pixel, atomics into the per-component arrays. On
// the CPU, the moments come fused with labelling (label_and_moments below) and the extents
// from a strip-wise launch (kernels/cpu/measure_cpu.hpp); integers, so identical results.
template <class Label, class Backend>
void accumulate_moments(const Backend& be, const Label* component, const float* change, int width,
                        int height, index_t /*components*/, component_sums out) {
  be.for_each(static_cast<index_t>(width) * height,
              moments_fn<Label>{component, change, width, out});
}

template <class Label, class Backend>
void accumulate_extents(const Backend& be, const axis_extent_fn<Label>& f, int height,
                        index_t /*components*/) {
  be.for_each(static_cast<index_t>(f.width) * height, f);
}

// Labels the mask (compact ids into `component`) and sums every component's moments:
// make_sums(count) is called once the count is known and returns the zeroed sums to fill.
// Returns the count. The CPU backend overloads this with labelling over runs that sums the
// moments run by run (kernels/cpu/label_cpu.hpp); the results are the same.
template <class Label, class Backend, class MakeSums>
index_t label_and_moments(const Backend& be, const std::uint8_t* mask, Label* component,
                          const float* change, int width, int height, MakeSums make_sums) {
  const index_t count = label_components<Label>(be, mask, component, width, height);
  if (count > 0)
    accumulate_moments<Label>(be, component, change, width, height, count, make_sums(count));
  return count;
}

// Per-zone pixel counts: in zone, valid in zone, changed in zone (integers).
struct zone_count_fn {
  const std::uint8_t* zone;
  const std::uint8_t* valid;
  const std::uint8_t* changed;  // may be nullptr

  SW_HD void operator()(index_t i, double* acc) const {
    if (!zone[i]) return;
    acc[0] += 1.0;
    if (valid[i]) acc[1] += 1.0;
    if (changed != nullptr && changed[i]) acc[2] += 1.0;
  }
};

}  // namespace sw::kern
