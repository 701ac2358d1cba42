// Deterministic reductions for both backends.
//
// Floating-point sums depend on the order of the additions. To give the same numbers for
// any thread count and on either backend, sums are taken over fixed chunks of
// `chunk_size` elements, each chunk summed sequentially in index order, and the chunk
// partials summed on the host in chunk order. The chunking depends only on n.
#pragma once

#include <array>
#include <vector>

#include "kernels/common.hpp"

namespace sw::kern {

inline constexpr index_t chunk_size = 1024;

inline index_t chunk_count(index_t n) {
  return (n + chunk_size - 1) / chunk_size;
}

namespace detail {
// One thread per chunk: partial[c * K + k] = sum over i in chunk c of the K terms of f(i).
template <int K, class F>
struct chunk_sum_fn {
  F f;
  index_t n;
  double* partial;
  static constexpr index_t cpu_grain = 4;  // chunks of chunk_size pixels

  SW_HD void operator()(index_t c) const {
    double acc[K];
    for (int k = 0; k < K; ++k) acc[k] = 0.0;
    const index_t begin = c * chunk_size;
    const index_t end = min_of(n, begin + chunk_size);
    for (index_t i = begin; i < end; ++i) f(i, acc);
    for (int k = 0; k < K; ++k) partial[c * K + k] = acc[k];
  }
};
}  // namespace detail

// Sums K terms over i in [0, n). f(i, double acc[K]) adds element i's terms to acc.
template <int K, class Backend, class F>
std::array<double, K> chunked_sum(const Backend& be, index_t n, F f) {
  std::array<double, K> total{};
  if (n <= 0) return total;
  const index_t chunks = chunk_count(n);
  auto partial = be.template alloc<double>(chunks * K);
  be.for_each(chunks, detail::chunk_sum_fn<K, F>{f, n, partial.data()});
  const std::vector<double> host = be.to_host(partial);
  for (index_t c = 0; c < chunks; ++c)
    for (int k = 0; k < K; ++k) total[k] += host[c * K + k];
  return total;
}

// A row-terms functor that also offers a CPU form for a whole row: f.row_terms(y, acc)
// adds the terms of row y's pixels in x order, as the per-pixel calls would (the same
// sums, bit for bit), skipping what contributes nothing without visiting it.
template <class F, int K>
concept has_row_terms = requires(const F& f, int y, double* acc) {
  f.row_terms(y, acc);
};

namespace detail {
// One thread per row: partial[y * K + k] = sum over x of the K terms of f(x, y).
template <int K, class F>
struct row_sum_fn {
  F f;
  int width;
  double* partial;
  static constexpr index_t cpu_grain = 4;  // rows

  SW_HD void operator()(index_t y) const {
    double acc[K];
    for (int k = 0; k < K; ++k) acc[k] = 0.0;
    for (int x = 0; x < width; ++x) f(x, static_cast<int>(y), acc);
    for (int k = 0; k < K; ++k) partial[y * K + k] = acc[k];
  }

  // the CPU backend's form for a range of rows (the device runs operator() per row)
  void run_range(index_t begin, index_t end) const {
    for (index_t y = begin; y < end; ++y) {
      if constexpr (has_row_terms<F, K>) {
        double acc[K];
        for (int k = 0; k < K; ++k) acc[k] = 0.0;
        f.row_terms(static_cast<int>(y), acc);
        for (int k = 0; k < K; ++k) partial[y * K + k] = acc[k];
      } else {
        (*this)(y);
      }
    }
  }
};
}  // namespace detail

// chunked_sum over a 2-D grid with rows as the chunks: f(x, y, double acc[K]) adds pixel
// (x, y)'s terms. For terms that need the coordinates (no division per pixel).
template <int K, class Backend, class F>
std::array<double, K> row_sum(const Backend& be, int width, int height, F f) {
  std::array<double, K> total{};
  if (width <= 0 || height <= 0) return total;
  auto partial = be.template alloc<double>(static_cast<index_t>(height) * K);
  be.for_each(height, detail::row_sum_fn<K, F>{f, width, partial.data()});
  const std::vector<double> host = be.to_host(partial);
  for (int y = 0; y < height; ++y)
    for (int k = 0; k < K; ++k) total[k] += host[static_cast<std::size_t>(y) * K + k];
  return total;
}

}  // namespace sw::kern
