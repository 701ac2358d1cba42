// Histograms and the statistics taken from them (median, MAD, Otsu).
//
// Quantiles of a per-pixel quantity are read off an integer histogram with a fixed bin
// width rather than by sorting: counts are exact integers, so the result is the same for
// any thread count and on either backend, and the cost is one pass plus a host scan.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <thrust/iterator/counting_iterator.h>
#include <thrust/transform_reduce.h>
#include <cuda/atomic>

#include "kernels/common.hpp"

namespace sw::kern {

// hist[bin(value(i))] += 1 for every i whose value is >= 0 (negative means "skip").
// Values at or above (bins - 1) * bin_width land in the last bin.
template <class ValueFn>
struct histogram_fn {
  ValueFn value;
  float bin_width;
  int bins;
  std::uint32_t* hist;

  SW_HD void operator()(index_t i) const {
    const float v = value(i);
    if (!(v >= 0.0f)) return;  // also skips NaN
    const float b = v / bin_width;
    const int bin = b >= static_cast<float>(bins - 1) ? bins - 1 : static_cast<int>(b);
    cuda::atomic_ref<std::uint32_t, cuda::thread_scope_device> h(hist[bin]);
    h.fetch_add(1u, cuda::memory_order_relaxed);
  }
};

// Reads a float array; negative entries are skipped.
struct array_value {
  const float* v;
  SW_HD float operator()(index_t i) const { return v[i]; }
};

// The q-quantile (0..1) of the histogrammed values: the centre of the first bin at which
// the cumulative count reaches q * total. Returns -1 for an empty histogram.
// Only bins [0, limit) take part (limit 0: all).
inline double histogram_quantile(const std::vector<std::uint32_t>& hist, float bin_width, double q,
                                 std::size_t limit = 0) {
  const std::size_t end = limit == 0 ? hist.size() : std::min(limit, hist.size());
  std::uint64_t total = 0;
  for (std::size_t b = 0; b < end; ++b) total += hist[b];
  if (total == 0) return -1.0;
  const double target = q * static_cast<double>(total);
  std::uint64_t cum = 0;
  for (std::size_t b = 0; b < end; ++b) {
    cum += hist[b];
    if (static_cast<double>(cum) >= target && cum > 0)
      return (static_cast<double>(b) + 0.5) * bin_width;
  }
  return (static_cast<double>(end) - 0.5) * bin_width;
}

// Otsu's threshold on a histogram: the bin edge that maximises the between-class variance.
// Returns -1 for an empty histogram or one with a single occupied bin.
inline double histogram_otsu(const std::vector<std::uint32_t>& hist, float bin_width) {
  double total = 0.0, sum_all = 0.0;
  for (std::size_t b = 0; b < hist.size(); ++b) {
    total += hist[b];
    sum_all += static_cast<double>(b) * hist[b];
  }
  if (total <= 0.0) return -1.0;
  double w0 = 0.0, sum0 = 0.0, best = -1.0;
  std::size_t best_bin = 0;
  bool found = false;
  for (std::size_t b = 0; b + 1 < hist.size(); ++b) {
    w0 += hist[b];
    sum0 += static_cast<double>(b) * hist[b];
    const double w1 = total - w0;
    if (w0 <= 0.0) continue;
    if (w1 <= 0.0) break;
    const double m0 = sum0 / w0, m1 = (sum_all - sum0) / w1;
    const double between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      best_bin = b;
      found = true;
    }
  }
  if (!found) return -1.0;
  return (static_cast<double>(best_bin) + 1.0) * bin_width;  // upper edge of class 0
}

// Builds the histogram of value(i), i in [0, n), on the backend and returns it on the host.
template <class Backend, class ValueFn>
std::vector<std::uint32_t> histogram(const Backend& be, index_t n, ValueFn value, float bin_width,
                                     int bins) {
  auto hist = be.template alloc<std::uint32_t>(bins);
  be.fill(hist, std::uint32_t{0});
  be.for_each(n, histogram_fn<ValueFn>{value, bin_width, bins, hist.data()});
  return be.to_host(hist);
}

// max(value(i), 0): the reduction that sizes a histogram (max is exact in any order).
template <class ValueFn>
struct clamped_value {
  ValueFn value;
  SW_HD float operator()(index_t i) const {
    const float v = value(i);
    return v > 0.0f ? v : 0.0f;  // also maps NaN to 0
  }
};
struct max_float {
  SW_HD float operator()(float a, float b) const { return a < b ? b : a; }
};

// A histogram whose bins cover [0, max value]: `bins` bins of width max / (bins - 1), at
// least min_bin_width. The bin width follows the data's units (reflectance x10000, 8-bit
// digital numbers, reflectance 0..1) without a setting.
struct sized_histogram {
  std::vector<std::uint32_t> counts;
  float bin_width = 1.0f;
};

// The bin width of `bins` bins covering [0, max of value(i) over [0, n)], at least
// min_bin_width (negative values count as 0).
template <class Backend, class ValueFn>
float bin_width_to_cover(const Backend& be, index_t n, ValueFn value, int bins,
                         float min_bin_width = 1e-6f) {
  float top = 0.0f;
  if (n > 0) {
    if constexpr (requires { be.max_of_range(n, value); })
      top = be.max_of_range(n, value);  // the CPU, for values with a tiled form
    else
      top = thrust::transform_reduce(be.policy(), thrust::counting_iterator<index_t>(0),
                                     thrust::counting_iterator<index_t>(n),
                                     clamped_value<ValueFn>{value}, 0.0f, max_float{});
  }
  return std::max(top / static_cast<float>(bins - 1), min_bin_width);
}

template <class Backend, class ValueFn>
sized_histogram auto_histogram(const Backend& be, index_t n, ValueFn value, int bins = 32768,
                               float min_bin_width = 1e-6f) {
  sized_histogram h;
  h.bin_width = bin_width_to_cover(be, n, value, bins, min_bin_width);
  h.counts = histogram(be, n, value, h.bin_width, bins);
  return h;
}

// Median and MAD of the non-negative values, read off one histogram with bin width
// `bin_width` (exact to half a bin), with upper sigma clipping: after the first estimate,
// values above median + clip_k * 1.4826 * MAD are left out and the statistics taken
// again, `clip_iterations` times. The clipping keeps a large share of objects (a depot
// half covered in container stacks) from inflating the noise estimate the threshold is
// built on. Returns count 0 (and -1 for both) when there are no values.
struct median_mad {
  double median = -1.0;
  double mad = -1.0;
  std::uint64_t count = 0;
};

inline median_mad median_mad_from_histogram(const std::vector<std::uint32_t>& hist, float bin_width,
                                            double clip_k = 0.0, int clip_iterations = 0) {
  median_mad r;
  std::size_t limit = hist.size();  // bins [0, limit) take part
  std::vector<std::uint32_t> dev(hist.size(), 0);
  for (int it = 0; it <= clip_iterations; ++it) {
    std::uint64_t n = 0;
    for (std::size_t b = 0; b < limit; ++b) n += hist[b];
    if (n == 0) break;
    r.count = n;
    r.median = histogram_quantile(hist, bin_width, 0.5, limit);
    std::fill(dev.begin(), dev.end(), 0u);
    for (std::size_t b = 0; b < limit; ++b) {
      if (hist[b] == 0) continue;
      const double d = std::fabs((static_cast<double>(b) + 0.5) * bin_width - r.median);
      const auto db = std::min(dev.size() - 1, static_cast<std::size_t>(d / bin_width));
      dev[db] += hist[b];
    }
    // deviations are multiples of the bin width here: take the bin's lower edge
    r.mad = histogram_quantile(dev, bin_width, 0.5) - 0.5 * bin_width;
    if (it == clip_iterations) break;
    const double t = r.median + clip_k * 1.4826 * r.mad;
    const auto next = std::min(hist.size(), static_cast<std::size_t>(t / bin_width) + 1);
    if (next >= limit) break;
    limit = next;
  }
  return r;
}

// A noise threshold from the lower tail only: the background's location and spread are
// estimated from the 10th and 25th percentiles as if it were normal (sigma =
// (q25 - q10) / 0.6071, mean = q25 + 0.6745 sigma), and the threshold is mean + k sigma.
// Valid while objects cover less than three quarters of the values: a depot packed with
// container stacks has more object pixels than ground, which would carry a median away.
// Returns +inf when there are no values.
inline double lower_tail_threshold(const std::vector<std::uint32_t>& hist, float bin_width,
                                   double k) {
  const double q10 = histogram_quantile(hist, bin_width, 0.10);
  if (q10 < 0) return 1e300;
  const double q25 = histogram_quantile(hist, bin_width, 0.25);
  const double sigma = std::max((q25 - q10) / 0.6071, static_cast<double>(bin_width));
  return q25 + 0.6745 * sigma + k * sigma;
}

// Median and MAD (median_mad_from_histogram) of the non-negative values, on a
// self-sized histogram.
template <class Backend>
median_mad robust_stats(const Backend& be, const float* values, index_t n, double clip_k = 0.0,
                        int clip_iterations = 0) {
  const auto h = auto_histogram(be, n, array_value{values});
  return median_mad_from_histogram(h.counts, h.bin_width, clip_k, clip_iterations);
}

}  // namespace sw::kern
