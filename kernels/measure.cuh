// Measurement of connected components (SPEC 2 step 7): area, bounding box, centroid,
// second moments -> orientation, length, width; the oriented bounding box; mean change.
//
// Per-component sums are integers (pixel coordinates, and the change magnitude in fixed
// point), accumulated with atomics: integer addition is associative, so the sums are the
// same whatever the order, on any thread count and on either backend.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <cuda/atomic>

#include "kernels/common.hpp"
#include "kernels/engine.hpp"
#include "kernels/label.cuh"
#include "kernels/mask_ops.cuh"
#include "kernels/morphology.cuh"

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
          lo != nullptr ? lo + count : nullptr,  // no extents asked: null, not null + count
          hi,
          hi != nullptr ? hi + count : nullptr};
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

// ---- The launch sequence (host side, any backend) ---------------------------------------

// Objects on water (`on = "water"`): at least this share of a component's outline is water
// (a ship alongside a quay has about half its outline on the water, a pier tip or a
// building on the quay less).
inline constexpr double min_water_contact = 1.0 / 3.0;
// Objects present in the reference: at least this share of a component's pixels are
// objects in the reference too.
inline constexpr double static_overlap = 0.5;

// What a local class's components are judged against besides their shape: the scene's
// water (on = water) and the reference's objects (static ones are not counted).
struct object_context {
  const std::uint8_t* water = nullptr;
  const std::uint8_t* static_mask = nullptr;
};

// A component's pixels on its outline and on context (component_context_fn): outside
// 8-neighbours, those of them on water, its pixels on the reference's objects.
struct component_counts {
  std::int64_t outside = 0, outside_water = 0, on_static = 0;
};

// Whether a component may be an object of the class: its size and shape, and for local
// classes its place (on water, not already in the reference).
inline bool passes_class_filters(const engine_class& cls, const component_shape& s,
                                 const object_context& context, const component_counts& n) {
  if (s.area < cls.min_area_px || s.area > cls.max_area_px) return false;
  if (s.width < cls.min_width_px) return false;  // slivers: edges, mixed pixels
  // sparse webs of noise pixels: little area for their extent
  if (s.area < cls.min_fill * s.length * s.width) return false;
  if (cls.max_length_px > 0 && s.length > cls.max_length_px) return false;
  if (cls.max_width_px > 0 && s.width > cls.max_width_px) return false;
  if (cls.min_elongation > 0 && s.length < cls.min_elongation * s.width) return false;
  if (context.water != nullptr &&
      static_cast<double>(n.outside_water) < min_water_contact * static_cast<double>(n.outside))
    return false;  // not on water: a building, a crane on the quay
  if (context.static_mask != nullptr && static_cast<double>(n.on_static) >= static_overlap * s.area)
    return false;  // there in the reference too: a structure, not a new object
  return true;
}

// The detection of a component: its shape, and its oriented box from the extents along its
// axes (u_min, u_max, v_min, v_max in extent_fixed_scale units); counted as one object, or
// by its length over `split_length_px` when that is > 0.
inline engine_component to_component(const component_shape& s, const std::int64_t extents[4],
                                     double split_length_px) {
  engine_component d;
  d.area_px = s.area;
  d.cx = s.cx;
  d.cy = s.cy;
  d.theta = s.theta;
  d.length_px = s.length;
  d.width_px = s.width;
  // half a pixel's footprint projected on each axis, so the box encloses the pixels
  const double ct = std::fabs(std::cos(s.theta)), st = std::fabs(std::sin(s.theta));
  const double pad = 0.5 * (ct + st);
  d.u_min = extents[0] / extent_fixed_scale - pad;
  d.u_max = extents[1] / extent_fixed_scale + pad;
  d.v_min = extents[2] / extent_fixed_scale - pad;
  d.v_max = extents[3] / extent_fixed_scale + pad;
  d.est_count = 1;
  if (split_length_px > 0)
    d.est_count = std::max(1, static_cast<int>(std::lround(s.length / split_length_px)));
  return d;
}

// Labels the evidence and measures its components (three passes: moments, extents along
// the axes, context), keeping those that pass the class's filters.
template <class Label, class Backend>
void label_and_measure(const Backend& be, const grid_frame& g, const engine_class& cls,
                       const typename Backend::template buffer<std::uint8_t>& mask,
                       const float* magnitude, const object_context& context,
                       engine_class_result& cr) {
  const int w = g.width, h = g.height;
  const index_t n = g.pixels();
  auto comp = be.template alloc<Label>(n);
  // pass 1: labels and moments (the sums are allocated once the count is known)
  typename Backend::template buffer<std::int64_t> i64;
  typename Backend::template buffer<std::int32_t> lo, hi;
  const index_t ncomp =
      label_and_moments<Label>(be, mask.data(), comp.data(), magnitude, w, h, [&](index_t count) {
        i64 = be.template alloc<std::int64_t>(7 * count);
        be.fill(i64, std::int64_t{0});
        lo = be.template alloc<std::int32_t>(2 * count);
        hi = be.template alloc<std::int32_t>(2 * count);
        be.fill(lo, std::numeric_limits<std::int32_t>::max());
        be.fill(hi, std::numeric_limits<std::int32_t>::min());
        return component_sums_over(i64.data(), lo.data(), hi.data(), count);
      });
  if (ncomp == 0) return;
  std::vector<std::int64_t> host_sums = be.to_host(i64);
  const component_sums hs = component_sums_over(host_sums.data(), nullptr, nullptr, ncomp);

  // shapes on the host (few components), then pass 2: extents along the axes
  std::vector<component_shape> shapes(ncomp);
  std::vector<double> geo(4 * ncomp);  // cx, cy, cos, sin
  for (index_t c = 0; c < ncomp; ++c) {
    shapes[c] = shape_from_sums(static_cast<double>(hs.area[c]), static_cast<double>(hs.sx[c]),
                                static_cast<double>(hs.sy[c]), static_cast<double>(hs.sxx[c]),
                                static_cast<double>(hs.syy[c]), static_cast<double>(hs.sxy[c]));
    geo[c] = shapes[c].cx;
    geo[ncomp + c] = shapes[c].cy;
    geo[2 * ncomp + c] = std::cos(shapes[c].theta);
    geo[3 * ncomp + c] = std::sin(shapes[c].theta);
  }
  auto axes = be.template alloc<double>(4 * ncomp);
  be.upload(axes, geo.data(), 4 * ncomp);
  auto ext = be.template alloc<std::int64_t>(4 * ncomp);
  std::vector<std::int64_t> ext_init(4 * ncomp);
  for (index_t c = 0; c < ncomp; ++c) {
    ext_init[c] = ext_init[2 * ncomp + c] = std::numeric_limits<std::int64_t>::max();
    ext_init[ncomp + c] = ext_init[3 * ncomp + c] = std::numeric_limits<std::int64_t>::min();
  }
  be.upload(ext, ext_init.data(), 4 * ncomp);
  std::int64_t* e = ext.data();
  accumulate_extents<Label>(be,
                            axis_extent_fn<Label>{comp.data(), w, axes.data(), axes.data() + ncomp,
                                                  axes.data() + 2 * ncomp, axes.data() + 3 * ncomp,
                                                  e, e + ncomp, e + 2 * ncomp, e + 3 * ncomp},
                            h, ncomp);
  // he: u_min, u_max, v_min, v_max of each component, in extent_fixed_scale units
  const std::vector<std::int64_t> he = be.to_host(ext);
  // pass 3 (local classes): outline on water, pixels on the reference's objects
  std::vector<std::int64_t> hc;
  if (context.water != nullptr || context.static_mask != nullptr) {
    auto ctx = be.template alloc<std::int64_t>(3 * ncomp);
    be.fill(ctx, std::int64_t{0});
    std::int64_t* x = ctx.data();
    be.for_each(n, component_context_fn<Label>{comp.data(), w, h, context.water,
                                               context.static_mask, x, x + ncomp, x + 2 * ncomp});
    hc = be.to_host(ctx);
  }

  for (index_t c = 0; c < ncomp; ++c) {
    const component_counts counts =
        hc.empty() ? component_counts{} : component_counts{hc[c], hc[ncomp + c], hc[2 * ncomp + c]};
    if (!passes_class_filters(cls, shapes[c], context, counts)) continue;
    const std::int64_t extents[4] = {he[c], he[ncomp + c], he[2 * ncomp + c], he[3 * ncomp + c]};
    engine_component d = to_component(shapes[c], extents, cls.split_length_px);
    if (magnitude != nullptr)
      d.mean_change = static_cast<double>(hs.schange[c]) / change_fixed_scale / shapes[c].area;
    cr.count += d.est_count;
    cr.components += 1;
    cr.detections.push_back(d);
  }
}

// Evidence inside (the zone's valid pixels where objects may be) -> morphology -> labels
// -> measurement -> filters.
template <class Backend>
void count_objects(const Backend& be, const grid_frame& g, const engine_class& cls,
                   const typename Backend::template buffer<std::uint8_t>& inside,
                   typename Backend::template buffer<std::uint8_t>& evidence,
                   const float* magnitude, const object_context& context, engine_class_result& cr) {
  const index_t n = g.pixels();
  be.for_each(n, and_fn{evidence.data(), inside.data(), evidence.data()});
  binary_morph(be, g, evidence, cls.open_px, true);
  binary_morph(be, g, evidence, cls.open_px, false);
  binary_morph(be, g, evidence, cls.close_px, false);
  binary_morph(be, g, evidence, cls.close_px, true);
  // closing may grow objects over invalid pixels, out of the zone or onto land: cut back
  be.for_each(n, and_fn{evidence.data(), inside.data(), evidence.data()});
  if (n < std::numeric_limits<std::int32_t>::max())
    label_and_measure<std::int32_t>(be, g, cls, evidence, magnitude, context, cr);
  else
    label_and_measure<std::int64_t>(be, g, cls, evidence, magnitude, context, cr);
}

}  // namespace sw::kern
