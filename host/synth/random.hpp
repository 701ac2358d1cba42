// Deterministic randomness for the synthetic archive: seeded streams, per-pixel hashes and
// smooth value noise. Everything here is a pure function of its arguments, so a pixel gets
// the same value whichever thread renders it and whichever strip it falls in; the standard
// library's distributions are avoided because their output is implementation-defined.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace sw::synth {

constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Hash of several integers (order matters).
inline std::uint64_t hash_of(std::initializer_list<std::uint64_t> parts) {
  std::uint64_t h = 0x51ed270b27a4c3f1ULL;
  for (std::uint64_t p : parts) h = splitmix64(h ^ splitmix64(p));
  return h;
}

// Uniform in [0, 1) from the top 53 bits.
inline double unit_double(std::uint64_t bits) {
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
}

// An approximately standard normal value from one 64-bit hash: the sum of four 16-bit
// uniforms (Irwin-Hall), rescaled to mean 0 and variance 1. Cheap enough for one value per
// band and pixel of a full scene; the tails stop at +-3.46, which a sensor-noise model can
// live with.
inline float hash_normal(std::uint64_t bits) {
  const std::uint32_t a = bits & 0xffffu, b = (bits >> 16) & 0xffffu, c = (bits >> 32) & 0xffffu,
                      d = bits >> 48;
  const float sum = static_cast<float>(a + b + c + d) * (1.0f / 65536.0f);
  return (sum - 2.0f) * 1.7320508f;
}

// A seeded random stream (splitmix64 sequence) with the few distributions the scenario needs.
class rng {
 public:
  explicit rng(std::uint64_t seed) : state_(seed) {}
  rng(std::initializer_list<std::uint64_t> parts) : state_(hash_of(parts)) {}

  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return unit_double(next()); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Integer in [lo, hi], both included.
  int uniform_int(int lo, int hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo + 1);
    return lo + static_cast<int>(next() % span);
  }
  bool chance(double p) { return uniform() < p; }
  double normal() {
    // Box-Muller; one value per call keeps the stream simple to reason about.
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::uint64_t state_;
};

// Value noise on the integer lattice, smoothly interpolated; roughly in [-1, 1].
inline double lattice_value(std::uint64_t seed, std::int64_t ix, std::int64_t iy) {
  const std::uint64_t h =
      splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(ix) * 0x9E3779B1ULL ^
                                   (static_cast<std::uint64_t>(iy) << 32)));
  return unit_double(h) * 2.0 - 1.0;
}

inline double value_noise(std::uint64_t seed, double x, double y) {
  const double fx = std::floor(x), fy = std::floor(y);
  const auto ix = static_cast<std::int64_t>(fx), iy = static_cast<std::int64_t>(fy);
  const double tx = x - fx, ty = y - fy;
  // Quintic fade: continuous second derivative, so no visible lattice creases.
  const double sx = tx * tx * tx * (tx * (tx * 6.0 - 15.0) + 10.0);
  const double sy = ty * ty * ty * (ty * (ty * 6.0 - 15.0) + 10.0);
  const double v00 = lattice_value(seed, ix, iy), v10 = lattice_value(seed, ix + 1, iy);
  const double v01 = lattice_value(seed, ix, iy + 1), v11 = lattice_value(seed, ix + 1, iy + 1);
  const double a = v00 + (v10 - v00) * sx, b = v01 + (v11 - v01) * sx;
  return a + (b - a) * sy;
}

// Fractal sum of `octaves` value-noise layers, the first with wavelength `wavelength` (same
// units as x, y), each next one half as long and half as strong. Each octave is rotated by a
// fixed angle so the lattice axes do not line up into visible grid artefacts. Result roughly
// in [-1, 1], standard deviation about 0.25.
inline double fbm(std::uint64_t seed, double x, double y, double wavelength, int octaves) {
  constexpr double c = 0.7960204194457795, s = 0.6051864057360395;  // rotation by ~37.25 deg
  double u = x / wavelength, v = y / wavelength;
  double sum = 0.0, amp = 1.0, norm = 0.0;
  for (int o = 0; o < octaves; ++o) {
    sum += amp * value_noise(seed + static_cast<std::uint64_t>(o) * 0x632BE59BD9B4E019ULL, u, v);
    norm += amp;
    amp *= 0.5;
    const double nu = (c * u - s * v) * 2.0 + 17.31, nv = (s * u + c * v) * 2.0 - 5.77;
    u = nu;
    v = nv;
  }
  return sum / norm;
}

inline double clamp01(double v) {
  return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
}

inline double smoothstep(double e0, double e1, double x) {
  const double t = clamp01((x - e0) / (e1 - e0));
  return t * t * (3.0 - 2.0 * t);
}

}  // namespace sw::synth
