// Small dense linear systems on the host (the normal equations of the co-registration and
// normalisation fits: at most 16 unknowns, so a library solver would buy nothing).
#pragma once

#include <cmath>
#include <utility>
#include <vector>

namespace sw::kern {

// Solves the n x n system m x = rhs (m row-major, n <= 16) by Gaussian elimination with
// partial pivoting, scaled so that the pivot test is relative. False when singular.
inline bool solve_linear(std::vector<double> m, std::vector<double> rhs, int n, double* out) {
  double scale = 0.0;
  for (double v : m) scale = v > scale ? v : (-v > scale ? -v : scale);
  if (!(scale > 0.0)) return false;
  for (int c = 0; c < n; ++c) {
    int piv = c;
    for (int r = c + 1; r < n; ++r)
      if (std::fabs(m[r * n + c]) > std::fabs(m[piv * n + c])) piv = r;
    if (!(std::fabs(m[piv * n + c]) > 1e-13 * scale)) return false;
    if (piv != c) {
      for (int k = 0; k < n; ++k) std::swap(m[c * n + k], m[piv * n + k]);
      std::swap(rhs[c], rhs[piv]);
    }
    for (int r = c + 1; r < n; ++r) {
      const double f = m[r * n + c] / m[c * n + c];
      for (int k = c; k < n; ++k) m[r * n + k] -= f * m[c * n + k];
      rhs[r] -= f * rhs[c];
    }
  }
  for (int c = n - 1; c >= 0; --c) {
    double v = rhs[c];
    for (int k = c + 1; k < n; ++k) v -= m[c * n + k] * out[k];
    out[c] = v / m[c * n + c];
  }
  return true;
}

}  // namespace sw::kern
