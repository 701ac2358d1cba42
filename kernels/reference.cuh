// The site's reference image (SPEC 2 step 9): per pixel and band, the median of the last K
// observable scenes (K <= 15), each member already co-registered and normalised. A member
// that is not valid at a pixel (cloud, outside its footprint) is left out at that pixel
// only; the reference is valid where at least one member is.
#pragma once

#include <cstdint>

#include "kernels/common.hpp"

namespace sw::kern {

inline constexpr int max_reference_members = 15;

// members: `count` slots, slot k holding bands planes then its valid plane, i.e. slot k
// band b pixel i at bands[(k * nb + b) * plane + i], valid at valid[k * plane + i].
struct median_reference_fn {
  const float* member_bands;
  const std::uint8_t* member_valid;
  int count;
  int nb;
  index_t plane;
  float* out_bands;  // nb planes
  std::uint8_t* out_valid;

  // Median of the valid values v[0..n) gathered into sorted order (insertion sort: at
  // most 15 values); the mean of the middle two for an even count.
  SW_HD static float median_of(float* v, int n) {
    for (int j = 1; j < n; ++j) {
      const float x = v[j];
      int k = j;
      while (k > 0 && v[k - 1] > x) {
        v[k] = v[k - 1];
        --k;
      }
      v[k] = x;
    }
    return (n & 1) ? v[n / 2] : 0.5f * (v[n / 2 - 1] + v[n / 2]);
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
      out_bands[b * plane + i] = n > 0 ? median_of(v, n) : 0.0f;
    }
  }

  // Pixels [begin, end) in tiles (the CPU launch). Each member's plane is copied in turn
  // into a small buffer (one stream at a time), and the median is found by ranks instead
  // of a sort: a member's rank is the number of valid members below it (ties broken by
  // member order), the median is the member of rank n/2 (and n/2 - 1 for an even n).
  // That is branch-free and vectorises across pixels; it picks the same values as
  // median_of, so the results are identical.
  void run_range(index_t begin, index_t end) const {
    // 32-bit lanes throughout (flags and ranks as int), so the compare-and-count loop
    // vectorises without packing; 3 x 15 x 128 x 4 B stays in L1/L2
    constexpr index_t tile = 128;
    float buf[max_reference_members][tile];
    int ok[max_reference_members][tile];
    int rank[max_reference_members][tile];
    int n[tile];
    float lo[tile], hi[tile];
    for (index_t t0 = begin; t0 < end; t0 += tile) {
      const int m = static_cast<int>(min_of(tile, end - t0));
      for (int j = 0; j < m; ++j) n[j] = 0;
      for (int k = 0; k < count; ++k) {
        const std::uint8_t* src = member_valid + k * plane + t0;
        for (int j = 0; j < m; ++j) {
          ok[k][j] = src[j] ? 1 : 0;
          n[j] += ok[k][j];
        }
      }
      for (int j = 0; j < m; ++j) out_valid[t0 + j] = n[j] > 0 ? 1 : 0;
      for (int b = 0; b < nb; ++b) {
        for (int k = 0; k < count; ++k) {
          const float* src = member_bands + (static_cast<index_t>(k) * nb + b) * plane + t0;
          for (int j = 0; j < m; ++j) buf[k][j] = src[j];
        }
        for (int k = 0; k < count; ++k) {
          for (int j = 0; j < m; ++j) rank[k][j] = 0;
          for (int l = 0; l < count; ++l)
            for (int j = 0; j < m; ++j) {
              const bool below = buf[l][j] < buf[k][j] || (buf[l][j] == buf[k][j] && l < k);
              rank[k][j] += ok[l][j] & static_cast<int>(below);
            }
        }
        for (int j = 0; j < m; ++j) lo[j] = hi[j] = 0.0f;
        for (int k = 0; k < count; ++k)
          for (int j = 0; j < m; ++j) {
            const int half = n[j] / 2;
            const int r = ok[k][j] ? rank[k][j] : -2;  // never a median rank
            hi[j] = r == half ? buf[k][j] : hi[j];
            lo[j] = r + 1 == half ? buf[k][j] : lo[j];
          }
        float* out = out_bands + b * plane + t0;
        for (int j = 0; j < m; ++j)
          out[j] = n[j] == 0 ? 0.0f : ((n[j] & 1) ? hi[j] : 0.5f * (lo[j] + hi[j]));
      }
    }
  }
};

}  // namespace sw::kern
