// Local contrast test for `background = "local"` classes (SPEC 2 step 7): an object pixel
// is one that stands out from a ring of its own background by more than k standard
// deviations of that ring: a two-parameter constant-false-alarm-rate (CFAR) detector as used
// for ships in SAR and optical imagery (Crisp, "The state-of-the-art in ship detection in
// synthetic aperture radar imagery", DSTO-RR-0272, 2004; Gao et al., "An adaptive and fast
// CFAR algorithm based on automatic censoring for target detection in high-resolution SAR
// images", IEEE TGRS 47(6), 2009).
//
// Around every pixel, a guard square of half-width `guard` (wider than half the object, so
// the object does not estimate its own background) inside an outer square of half-width
// `outer`; the ring between them holds the background samples: pixels of the background
// domain (the zone's valid pixels, or the water) that are not censored. Two rounds: the
// second censors what stood out in the first (beyond k_censor = k / 2), so that the neighbouring
// ships of a busy berth or the stacks of a full yard do not inflate the background's mean and
// spread (automatic censoring, Gao et al.).
//
// The ring statistics come from box sums (count, sum, sum of squares) over the two squares,
// each separable: a running sum along every row, then down every column, in double
// precision, values centred on the domain's mean first so that the sums of squares keep
// their digits. Each row and each column is one sequential sum, the same on both backends;
// the CPU runs the column pass on blocks of adjacent columns (cache lines), in the same
// order per column.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/background.cuh"
#include "kernels/common.hpp"
#include "kernels/engine.hpp"
#include "kernels/histogram.cuh"
#include "kernels/mask_ops.cuh"
#include "kernels/morphology.cuh"
#include "kernels/reduce.hpp"

namespace sw::kern {

// The three box-summed quantities of a background mask and a value plane.
inline constexpr int cfar_terms = 3;  // count, sum (value - offset), sum (value - offset)^2

// Row pass: for both half-widths (guard, outer), the windowed sums along row y of the three
// quantities, into rows_out (6 planes: guard count, sum, squares, then outer's).
struct box_rows_fn {
  const float* value;
  const std::uint8_t* mask;  // background samples
  float offset;
  int width;
  int guard;
  int outer;
  float* rows_out;  // 6 planes of width x height
  index_t plane;
  static constexpr index_t cpu_grain = 1;  // rows

  SW_HD void run_half_width(index_t y, int r, float* out) const {
    const index_t row = y * width;
    double c = 0.0, s = 0.0, q = 0.0;
    auto term = [&](int x, double sign) {
      const index_t i = row + x;
      if (!mask[i]) return;
      const double v = static_cast<double>(value[i]) - offset;
      c += sign;
      s += sign * v;
      q += sign * v * v;
    };
    for (int x = 0; x < r && x < width; ++x) term(x, 1.0);  // window of x = 0 minus its head
    for (int x = 0; x < width; ++x) {
      if (x + r < width) term(x + r, 1.0);
      if (x - r - 1 >= 0) term(x - r - 1, -1.0);
      out[row + x] = static_cast<float>(c);
      out[plane + row + x] = static_cast<float>(s);
      out[2 * plane + row + x] = static_cast<float>(q);
    }
  }
  SW_HD void operator()(index_t y) const {
    run_half_width(y, guard, rows_out);
    run_half_width(y, outer, rows_out + 3 * plane);
  }
};

// Column pass: the ring's sums (outer square minus guard square) of the three quantities
// down column x, from the row pass's planes, into ring (3 planes).
struct box_cols_fn {
  const float* rows_in;  // box_rows_fn's 6 planes
  int width;
  int height;
  int guard;
  int outer;
  float* ring;  // 3 planes: count, sum, sum of squares over the ring
  index_t plane;
  static constexpr index_t cpu_grain = 64;  // columns

  // One column's running sums for both half-widths, in the order both forms use.
  struct column_state {
    double g[cfar_terms] = {0, 0, 0};
    double o[cfar_terms] = {0, 0, 0};
  };
  SW_HD void add_row(column_state& st, int x, int y, double sign, bool is_outer) const {
    const index_t i = static_cast<index_t>(y) * width + x;
    const float* in = rows_in + (is_outer ? 3 * plane : 0);
    double* acc = is_outer ? st.o : st.g;
    for (int k = 0; k < cfar_terms; ++k) acc[k] += sign * static_cast<double>(in[k * plane + i]);
  }
  SW_HD void prime(column_state& st, int x) const {
    for (int y = 0; y < guard && y < height; ++y) add_row(st, x, y, 1.0, false);
    for (int y = 0; y < outer && y < height; ++y) add_row(st, x, y, 1.0, true);
  }
  SW_HD void step(column_state& st, int x, int y) const {
    if (y + guard < height) add_row(st, x, y + guard, 1.0, false);
    if (y - guard - 1 >= 0) add_row(st, x, y - guard - 1, -1.0, false);
    if (y + outer < height) add_row(st, x, y + outer, 1.0, true);
    if (y - outer - 1 >= 0) add_row(st, x, y - outer - 1, -1.0, true);
    const index_t i = static_cast<index_t>(y) * width + x;
    for (int k = 0; k < cfar_terms; ++k)
      ring[k * plane + i] = static_cast<float>(st.o[k] - st.g[k]);
  }

  // One column (the device launch).
  SW_HD void operator()(index_t x) const {
    column_state st;
    prime(st, static_cast<int>(x));
    for (int y = 0; y < height; ++y) step(st, static_cast<int>(x), y);
  }

  // Columns [begin, end) row by row (the CPU launch): each column sees the same sequence of
  // additions as in operator(), so the results are identical, while every row's reads of the
  // block are adjacent in memory.
  void run_range(index_t begin, index_t end) const {
    constexpr int block = 64;
    for (index_t x0 = begin; x0 < end; x0 += block) {
      const int m = static_cast<int>(min_of<index_t>(block, end - x0));
      column_state st[block];
      for (int j = 0; j < m; ++j) prime(st[j], static_cast<int>(x0) + j);
      for (int y = 0; y < height; ++y)
        for (int j = 0; j < m; ++j) step(st[j], static_cast<int>(x0) + j, y);
    }
  }
};

// The test at every pixel of the candidate domain: z = (value - offset - ring mean) / ring
// sigma, sigma at least sigma_floor; an object pixel (2) when z > k (brighter), z < -k
// (darker) or |z| > k (any); beyond k_censor only (1), a pixel too unlike the background to
// serve as a sample of it in the next round. No decision (0) where the ring holds fewer than
// min_samples background pixels.
struct local_contrast_fn {
  const float* value;
  const std::uint8_t* candidates;  // where objects may be
  const float* ring;               // box_cols_fn's 3 planes
  index_t plane;
  float offset;
  float min_samples;
  float sigma_floor;
  float k;
  float k_censor;
  object_polarity pol;
  std::uint8_t* out;

  // Beyond kk in the polarity's direction.
  SW_HD bool beyond(float z, float kk) const {
    if (pol == object_polarity::brighter) return z > kk;
    if (pol == object_polarity::darker) return z < -kk;
    return z > kk || z < -kk;
  }

  SW_HD void operator()(index_t i) const {
    out[i] = 0;
    if (!candidates[i]) return;
    const float n = ring[i];
    if (!(n >= min_samples)) return;
    const float mean = ring[plane + i] / n;
    const float var = ring[2 * plane + i] / n - mean * mean;
    float sigma = var > 0.0f ? sqrtf(var) : 0.0f;
    if (sigma < sigma_floor) sigma = sigma_floor;
    const float z = (value[i] - offset - mean) / sigma;
    out[i] = beyond(z, k) ? 2 : (beyond(z, k_censor) ? 1 : 0);
  }
};

// out = value >= level (in place allowed).
struct at_least_fn {
  const std::uint8_t* value;
  std::uint8_t level;
  std::uint8_t* out;
  SW_HD void operator()(index_t i) const { out[i] = value[i] >= level ? 1 : 0; }
};

// Sum and count of value over the mask (for the centring offset).
struct masked_sum_fn {
  const float* value;
  const std::uint8_t* mask;
  SW_HD void operator()(index_t i, double* acc) const {
    if (!mask[i]) return;
    acc[0] += 1.0;
    acc[1] += value[i];
  }
};

// Parameters of one class's test, in pixels.
struct cfar_params {
  int guard = 1;          // half-width of the guard square
  int outer = 2;          // half-width of the outer square
  float k = 6.0f;         // standard deviations
  float k_censor = 3.0f;  // censored from the second round beyond this
  float sigma_floor = 1.0f;
  object_polarity pol = object_polarity::brighter;
};

// Fewest background samples a ring must hold for a decision: a twentieth of its area, at
// least 8.
inline float cfar_min_samples(const cfar_params& p) {
  const double g = 2.0 * p.guard + 1, o = 2.0 * p.outer + 1;
  const double area = o * o - g * g;
  return static_cast<float>(area * 0.05 > 8.0 ? area * 0.05 : 8.0);
}

// The two rounds of the test (the launch sequence both backends run): `background` marks
// the pixels that may serve as background samples, `seed` the objects found beforehand by
// other means (censored from the first round's rings; may be nullptr), `candidates` where
// objects may be; `out` receives the object pixels. Units of value are the caller's
// (reflectance x10000).
template <class Backend>
void local_contrast(const Backend& be, const float* value, const std::uint8_t* background,
                    const std::uint8_t* seed, const std::uint8_t* candidates, int width, int height,
                    const cfar_params& p, std::uint8_t* out) {
  const index_t n = static_cast<index_t>(width) * height;
  if (n <= 0) return;
  const auto m = chunked_sum<2>(be, n, masked_sum_fn{value, background});
  const float offset = m[0] > 0 ? static_cast<float>(m[1] / m[0]) : 0.0f;
  auto rows = be.template alloc<float>(2 * cfar_terms * n);
  auto ring = be.template alloc<float>(cfar_terms * n);
  auto censored = be.template alloc<std::uint8_t>(n);
  const std::uint8_t* samples = background;
  if (seed != nullptr) {
    be.for_each(n, and_not_fn{background, seed, censored.data()});
    samples = censored.data();
  }
  for (int round = 0; round < 2; ++round) {
    be.for_each(height,
                box_rows_fn{value, samples, offset, width, p.guard, p.outer, rows.data(), n});
    be.for_each(width, box_cols_fn{rows.data(), width, height, p.guard, p.outer, ring.data(), n});
    be.for_each(n, local_contrast_fn{value, candidates, ring.data(), n, offset, cfar_min_samples(p),
                                     p.sigma_floor, p.k, p.k_censor, p.pol, out});
    if (round == 0) {  // the second round's rings leave out what stood out in the first
      be.for_each(n, and_not_fn{samples, out, censored.data()});
      samples = censored.data();
    }
  }
  be.for_each(n, at_least_fn{out, 2, out});
}

// ---- The launch sequence of a local class's evidence (host side, any backend) ----------

// Least contrast of a local object against its background (reflectance x10000): the contrast
// test's sigma is at least this over its k, since on perfectly flat ground the spread is ~0
// and noise alone would pass a k-sigma rule.
inline constexpr double local_min_contrast = 100.0;

// Threshold of the top-hat: the background noise level from the lower tail (objects may
// cover most of a zone), at least local_min_contrast.
template <class Backend>
void threshold_local(const Backend& be, const grid_frame& g, double k,
                     const typename Backend::template buffer<float>& tophat,
                     typename Backend::template buffer<std::uint8_t>& out, double min_contrast) {
  const index_t n = g.pixels();
  const auto hist = auto_histogram(be, n, array_value{tophat.data()});
  const double t = std::max(
      {lower_tail_threshold(hist.counts, hist.bin_width, k), local_min_contrast, min_contrast});
  be.for_each(n, above_fn{tophat.data(), static_cast<float>(std::min(t, 3e38)), out.data()});
}

// The first half of local_evidence and the contrast test's first censoring (cfar.cuh): a
// top-hat of the brightness against
// the grey opening (white, brighter objects) or closing (black, darker) by a square wider
// than the object that must fit inside the domain, thresholded at the domain's noise level
// from the lower tail of the top-hat (threshold_local). The square finds objects however
// densely they stand (a full depot: there is ground between stacks in every window), so
// the ring of the contrast test starts on ground, not on the neighbouring objects.
template <class Backend>
void tophat_seed(const Backend& be, const grid_frame& g, const engine_class& cls, double k,
                 const typename Backend::template buffer<std::uint8_t>& domain,
                 const typename Backend::template buffer<float>& brightness,
                 typename Backend::template buffer<std::uint8_t>& evidence) {
  const int w = g.width, h = g.height;
  const index_t n = g.pixels();
  auto tmp = be.template alloc<float>(n);
  auto a = be.template alloc<float>(n);
  auto b = be.template alloc<float>(n);
  const int r = cls.body_radius_px;
  // first operation: the window must fit the domain; second: plain (see morphology.cuh)
  auto grey = [&](const float* in, const std::uint8_t* dom, bool erosion, float* out) {
    be.for_each_2d(w, h, grey_morph_pass_fn{{in, w, h}, dom, tmp.data(), r, true, erosion});
    be.for_each_2d(w, h, grey_morph_pass_fn{{tmp.data(), w, h}, dom, out, r, false, erosion});
  };
  auto th_bright = be.template alloc<float>(n);
  auto th_dark = be.template alloc<float>(n);
  const bool want_bright = cls.pol != object_polarity::darker;
  const bool want_dark = cls.pol != object_polarity::brighter;
  be.fill(evidence, std::uint8_t{0});
  auto ev = be.template alloc<std::uint8_t>(n);
  if (want_bright) {  // opening = dilate(erode(b))
    grey(brightness.data(), domain.data(), true, a.data());
    grey(a.data(), nullptr, false, b.data());
    be.for_each(n, tophat_fn{brightness.data(), b.data(), domain.data(), true, th_bright.data()});
    threshold_local(be, g, k, th_bright, ev, cls.min_contrast);
    be.for_each(n, or_fn{evidence.data(), ev.data(), evidence.data()});
  }
  if (want_dark) {  // closing = erode(dilate(b))
    grey(brightness.data(), domain.data(), false, a.data());
    grey(a.data(), nullptr, true, b.data());
    be.for_each(n, tophat_fn{brightness.data(), b.data(), domain.data(), false, th_dark.data()});
    threshold_local(be, g, k, th_dark, ev, cls.min_contrast);
    be.for_each(n, or_fn{evidence.data(), ev.data(), evidence.data()});
  }
}

// Object pixels of a local class: those that pass both the top-hat (tophat_seed: narrower
// than a square wider than the object, above the zone's noise) and the contrast test
// (cfar.cuh) against the ring of their own background (the zone's valid pixels, or for
// classes on water the water, objects then being anywhere off the land `body`: land_body,
// reference_land). The ring test tells an object from the waves of the open sea, which a
// zone-wide noise level cannot; the top-hat keeps neighbours apart that blur joins (the
// two pixels between two rows of container stacks pass the ring test, being half stack).
// `candidates` receives where objects may be.
// `k`: the top-hat's noise threshold in robust sigmas (the change threshold's k).
template <class Backend>
void local_evidence(const Backend& be, const grid_frame& g, const engine_class& cls, double k,
                    const typename Backend::template buffer<std::uint8_t>& zone,
                    const typename Backend::template buffer<std::uint8_t>& valid,
                    const typename Backend::template buffer<float>& brightness,
                    const typename Backend::template buffer<std::uint8_t>& water,
                    const std::uint8_t* body,
                    typename Backend::template buffer<std::uint8_t>& candidates,
                    typename Backend::template buffer<std::uint8_t>& evidence) {
  const index_t n = g.pixels();
  be.for_each(n, and_fn{zone.data(), valid.data(), candidates.data()});
  const std::uint8_t* background = candidates.data();
  if (cls.on_water) {
    be.for_each(n, and_not_fn{candidates.data(), body, candidates.data()});
    background = water.data();
  }
  auto seed = be.template alloc<std::uint8_t>(n);
  {
    auto domain = be.template alloc<std::uint8_t>(n);
    be.for_each(n, and_fn{zone.data(), valid.data(), domain.data()});
    tophat_seed(be, g, cls, k, domain, brightness, seed);
  }
  cfar_params cp;
  cp.guard = cls.guard_px;
  cp.outer = cls.outer_px;
  cp.k = static_cast<float>(cls.contrast_k);
  cp.k_censor = static_cast<float>(0.5 * cls.contrast_k);
  cp.sigma_floor =
      static_cast<float>(std::max(local_min_contrast, cls.min_contrast) / cls.contrast_k);
  cp.pol = cls.pol;
  local_contrast(be, brightness.data(), background, seed.data(), candidates.data(), g.width,
                 g.height, cp, evidence.data());
  be.for_each(n, and_fn{evidence.data(), seed.data(), evidence.data()});
}

}  // namespace sw::kern
