// What every kernel header needs: the host+device marker, index types, 2-D views.
//
// Kernels (kernels/*.cuh) are written once as SW_HD functors and small inline functions;
// kernels/cpu/ and kernels/cuda/ only launch them. This header is the single place where
// the two compilers differ.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define SW_HD __host__ __device__
#else
#define SW_HD
#endif

namespace sw::kern {

// Pixel indices are 64-bit: a full scene window easily exceeds 2^31 band-pixels.
using index_t = std::int64_t;

// A row-major 2-D view over memory the caller owns (host or device, as the backend says).
template <class T>
struct view2d {
  T* data = nullptr;
  int width = 0;
  int height = 0;

  SW_HD index_t size() const { return static_cast<index_t>(width) * height; }
  SW_HD T& operator()(int x, int y) const { return data[static_cast<index_t>(y) * width + x]; }
  SW_HD T& operator[](index_t i) const { return data[i]; }
  SW_HD bool inside(int x, int y) const { return x >= 0 && y >= 0 && x < width && y < height; }
};

// Planar multi-band image: band b, pixel i at data[b * plane + i].
template <class T>
struct planar_view {
  T* data = nullptr;
  int width = 0;
  int height = 0;
  int bands = 0;

  SW_HD index_t plane() const { return static_cast<index_t>(width) * height; }
  SW_HD T& at(int band, index_t i) const { return data[band * plane() + i]; }
  SW_HD view2d<T> band(int b) const { return {data + b * plane(), width, height}; }
};

template <class T>
SW_HD inline T min_of(T a, T b) {
  return b < a ? b : a;
}
template <class T>
SW_HD inline T max_of(T a, T b) {
  return a < b ? b : a;
}

// A site grid's shape, for the launch sequences of the feature headers.
struct grid_frame {
  int width = 0;
  int height = 0;
  int bands = 0;
  index_t pixels() const { return static_cast<index_t>(width) * height; }
};

// Maximum number of bands a kernel handles in registers (Planet 8-band + margin).
inline constexpr int max_bands = 16;
// Grids of at least this many pixels run the integer NCC search and the normalisation and
// IR-MAD fits on a stride-2 lattice (a quarter of the pixels: still thousands of samples).
inline constexpr index_t ncc_subsample_pixels = 8000;

}  // namespace sw::kern
