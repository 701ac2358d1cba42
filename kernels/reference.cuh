// The site's reference image (SPEC 2 step 9): per pixel and band, a quantile (the median,
// or for reference.strategy "archive" a lower or upper quantile by the objects' polarity)
// of K <= 31 observable scenes, each member already co-registered and normalised. A
// member that is not valid at a pixel (cloud, outside its footprint) is left out at that
// pixel only; the reference is valid where at least one member is.
#pragma once

#include <cstdint>

#include "kernels/common.hpp"

namespace sw::kern {

inline constexpr int max_reference_members = 31;
inline constexpr int max_reference_network = 32;  // the sorting network's inputs, a power of 2

// members: `count` slots, slot k holding bands planes then its valid plane, i.e. slot k
// band b pixel i at bands[(k * nb + b) * plane + i], valid at valid[k * plane + i].
// The quantile q of n sorted values is the value at rank q * (n - 1), linear between the
// two neighbours (Hyndman and Fan 1996, definition 7; R's and numpy's default). For q = 0.5
// it is the median, the mean of the middle two for an even count, to the bit: 0.5 * a +
// 0.5 * b rounds as 0.5 * (a + b) does.
struct quantile_rank {
  int lo;      // lower neighbour
  float frac;  // weight of the upper one; 0: the value is sorted[lo] itself
};
SW_HD inline quantile_rank rank_of(float q, int n) {
  const float r = q * static_cast<float>(n - 1);
  int lo = static_cast<int>(r);
  if (lo > n - 1) lo = n - 1;
  const float frac = lo < n - 1 ? r - static_cast<float>(lo) : 0.0f;
  return {lo, frac};
}
SW_HD inline float value_at(quantile_rank k, float lo, float hi) {
  return k.frac > 0.0f ? (1.0f - k.frac) * lo + k.frac * hi : lo;
}

struct quantile_reference_fn {
  const float* member_bands;
  const std::uint8_t* member_valid;
  int count;
  int nb;
  index_t plane;
  float* out_bands;  // nb planes
  std::uint8_t* out_valid;
  float q = 0.5f;  // the quantile: 0.5 the median

  // Quantile q of the valid values v[0..n) gathered into sorted order (insertion sort: at
  // most 31 values).
  SW_HD static float quantile_of(float* v, int n, float q) {
    for (int j = 1; j < n; ++j) {
      const float x = v[j];
      int k = j;
      while (k > 0 && v[k - 1] > x) {
        v[k] = v[k - 1];
        --k;
      }
      v[k] = x;
    }
    const quantile_rank k = rank_of(q, n);
    return value_at(k, v[k.lo], k.frac > 0.0f ? v[k.lo + 1] : 0.0f);
  }

  // One pixel (the device launch).
  SW_HD void operator()(index_t i) const {
    int m = 0;
    for (int k = 0; k < count; ++k) m += member_valid[k * plane + i] ? 1 : 0;
    out_valid[i] = m > 0 ? 1 : 0;
    for (int b = 0; b < nb; ++b) {
      float v[max_reference_members];
      int n = 0;
      for (int k = 0; k < count; ++k)
        if (member_valid[k * plane + i])
          v[n++] = member_bands[(static_cast<index_t>(k) * nb + b) * plane + i];
      out_bands[b * plane + i] = n > 0 ? quantile_of(v, n, q) : 0.0f;
    }
  }

  // Pixels [begin, end) in tiles (the CPU launch). Each member's plane is copied in turn
  // into a small buffer (one stream at a time); invalid members become +inf; Batcher's
  // odd-even merge sorting network for the next power of two >= count sorts every pixel's
  // column with min/max only (branch-free, vectorised across pixels), and the quantile is
  // picked from the sorted valid values. Sorting is exact: the same values as quantile_of.
  void run_range(index_t begin, index_t end) const {
    constexpr index_t tile = 128;
    constexpr float inf = 3.4e38f;
    int size = 1;
    while (size < count) size *= 2;
    // comparators of Batcher's network for `size` inputs (16: 63 of them; 32: 191)
    int ca[192], cb[192], nc = 0;
    for (int p = 1; p < size; p *= 2)
      for (int k = p; k >= 1; k /= 2)
        for (int j = k % p; j + k < size; j += 2 * k)
          for (int i = 0; i < k && i + j + k < size; ++i)
            if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) {
              ca[nc] = i + j;
              cb[nc] = i + j + k;
              ++nc;
            }
    float v[max_reference_network][tile];
    int n[tile];
    quantile_rank rk[tile];
    for (index_t t0 = begin; t0 < end; t0 += tile) {
      const int m = static_cast<int>(min_of(tile, end - t0));
      for (int j = 0; j < m; ++j) n[j] = 0;
      for (int k = 0; k < count; ++k) {
        const std::uint8_t* src = member_valid + k * plane + t0;
        for (int j = 0; j < m; ++j) n[j] += src[j] ? 1 : 0;
      }
      for (int j = 0; j < m; ++j) {
        out_valid[t0 + j] = n[j] > 0 ? 1 : 0;
        rk[j] = rank_of(q, n[j] > 0 ? n[j] : 1);
      }
      for (int b = 0; b < nb; ++b) {
        for (int k = 0; k < size; ++k) {
          if (k < count) {
            const float* src = member_bands + (static_cast<index_t>(k) * nb + b) * plane + t0;
            const std::uint8_t* ok = member_valid + k * plane + t0;
            for (int j = 0; j < m; ++j) v[k][j] = ok[j] ? src[j] : inf;
          } else {
            for (int j = 0; j < m; ++j) v[k][j] = inf;
          }
        }
        for (int c = 0; c < nc; ++c) {
          float* x = v[ca[c]];
          float* y = v[cb[c]];
          for (int j = 0; j < m; ++j) {
            const float lo = x[j] < y[j] ? x[j] : y[j];
            const float hi = x[j] < y[j] ? y[j] : x[j];
            x[j] = lo;
            y[j] = hi;
          }
        }
        float* out = out_bands + b * plane + t0;
        for (int j = 0; j < m; ++j) out[j] = 0.0f;
        // rank lo + 1 <= n - 1 < size whenever its weight is not 0
        for (int k = 0; k < count; ++k)
          for (int j = 0; j < m; ++j) {
            const float hi = rk[j].frac > 0.0f ? v[k + 1 < size ? k + 1 : k][j] : 0.0f;
            out[j] = k == rk[j].lo && n[j] > 0 ? value_at(rk[j], v[k][j], hi) : out[j];
          }
      }
    }
  }
};

}  // namespace sw::kern
