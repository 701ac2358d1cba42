// The per-site compute of SPEC 2 steps 3-9, written once over a backend (cpu_backend in
// kernels/cpu/backend.hpp, cuda_backend in kernels/cuda/backend.cuh).
//
// A site_engine owns the state of one site on its backend (zone masks, the reference and
// its members) and processes that site's scenes one at a time, in time order. Inputs come
// already warped onto the site grid (host/io/scene_reader); outputs are plain host structs
// (measurements in pixels of the site grid) that host/pipeline turns into table rows.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <thrust/count.h>

#include "kernels/background.cuh"
#include "kernels/cfar.cuh"
#include "kernels/change.cuh"
#include "kernels/common.hpp"
#include "kernels/coregister.cuh"
#include "kernels/engine.hpp"
#include "kernels/histogram.cuh"
#include "kernels/label.cuh"
#include "kernels/mad.cuh"
#include "kernels/measure.cuh"
#include "kernels/morphology.cuh"
#include "kernels/normalise.cuh"
#include "kernels/reduce.hpp"
#include "kernels/reference.cuh"
#include "kernels/valid_mask.cuh"
#include "kernels/water.cuh"

namespace sw::kern {

// Least contrast of a local object against its background (reflectance x10000): the contrast
// test's sigma is at least this over its k, since on perfectly flat ground the spread is ~0
// and noise alone would pass a k-sigma rule.
inline constexpr double local_min_contrast = 100.0;
// Objects on water (`on = "water"`): at least this share of a component's outline is water
// (a ship alongside a quay has about half its outline on the water, a pier tip or a
// building on the quay less).
inline constexpr double min_water_contact = 1.0 / 3.0;
// Objects present in the reference: at least this share of a component's pixels are
// objects in the reference too.
inline constexpr double static_overlap = 0.5;
// Grids of at least this many pixels run the integer NCC search and the normalisation fit
// on a stride-2 lattice.
inline constexpr index_t ncc_subsample_pixels = 8000;
// Fewest gradient pixels an NCC candidate needs before a shift is trusted.
inline constexpr double min_coregistration_pixels = 200.0;

struct nonzero_byte {
  SW_HD bool operator()(std::uint8_t v) const { return v != 0; }
};

template <class Backend>
class site_engine final : public engine {
 public:
  template <class T>
  using buffer = typename Backend::template buffer<T>;

  site_engine(Backend be, engine_params params) : be_(be), p_(std::move(params)) {
    be_.activate();
    n_ = static_cast<index_t>(p_.width) * p_.height;
    site_zones_ = be_.template alloc<std::uint8_t>(n_);
    be_.fill(site_zones_, static_cast<std::uint8_t>(p_.classes.empty() ? 1 : 0));
    for (const auto& c : p_.classes) {
      has_local_class_ = has_local_class_ || (c.counts && c.local);
      has_water_class_ = has_water_class_ || (c.counts && c.local && c.on_water);
      auto z = be_.template alloc<std::uint8_t>(n_);
      be_.upload(z, c.zone.data(), n_);
      be_.for_each(n_, or_fn{site_zones_.data(), z.data(), site_zones_.data()});
      zones_.push_back(std::move(z));
    }
    weights_ = be_.template alloc<float>(p_.bands);
    be_.upload(weights_, p_.weights.data(), p_.bands);
    capacity_ = pooled() ? p_.window : 1;
    member_bands_ = be_.template alloc<float>(static_cast<index_t>(capacity_) * p_.bands * n_);
    member_valid_ = be_.template alloc<std::uint8_t>(static_cast<index_t>(capacity_) * n_);
    ref_bands_ = be_.template alloc<float>(p_.bands * n_);
    ref_valid_ = be_.template alloc<std::uint8_t>(n_);
    if (p_.tolerance_px > 0) {
      ref_lo_ = be_.template alloc<float>(p_.bands * n_);
      ref_hi_ = be_.template alloc<float>(p_.bands * n_);
    }
    ref_evidence_.resize(p_.classes.size());
  }

  const engine_params& params() const override { return p_; }
  int members() const override { return static_cast<int>(member_ids_.size()); }
  std::pmr::memory_resource* host_memory() override { return be_.host_memory(); }

  engine_result process(const engine_scene& s, bool join_reference, bool want_rasters) override {
    return run(s, join_reference, want_rasters, pass::count);
  }
  bool observable(const engine_scene& s) override {
    return run(s, false, false, pass::observe).site_observable;
  }
  bool learn(const engine_scene& s) override {
    return run(s, true, false, pass::learn).joined_reference;
  }

 private:
  // How far process() goes: the valid mask and observability only; that plus alignment
  // and the reference update (no change, no objects); everything.
  enum class pass { observe, learn, count };

  engine_result run(const engine_scene& s, bool join_reference, bool want_rasters, pass until) {
    be_.activate();
    engine_result r;
    const int nb = p_.bands;
    const int w = p_.width, h = p_.height;
    auto t = std::chrono::steady_clock::now();
    auto lap = [&t](double& slot) {  // time since the previous lap, into slot
      const auto now = std::chrono::steady_clock::now();
      slot += std::chrono::duration<double>(now - t).count();
      t = now;
    };

    // 1. upload, valid mask (step 3)
    auto bands = be_.template alloc<float>(nb * n_);
    be_.upload(bands, s.bands, nb * n_);
    auto alpha = be_.template alloc<std::uint8_t>(n_);
    be_.upload(alpha, s.alpha, n_);
    buffer<std::uint8_t> udm2;
    if (s.udm2 != nullptr) {
      udm2 = be_.template alloc<std::uint8_t>(udm2_planes * n_);
      be_.upload(udm2, s.udm2, udm2_planes * n_);
    }
    auto valid = be_.template alloc<std::uint8_t>(n_);
    be_.for_each(n_, valid_mask_fn{alpha.data(), s.udm2 ? udm2.data() : nullptr, n_, valid.data()});
    r.grid_valid_fraction = n_ > 0 ? static_cast<double>(count_nonzero(valid)) / n_ : 0.0;
    // observability is judged on the zones (SPEC 2), not on the grid's margin: a scene that
    // covers every zone but not the margin is a reference member like any other
    const auto zc =
        chunked_sum<3>(be_, n_, zone_count_fn{site_zones_.data(), valid.data(), nullptr});
    r.site_observable = zc[0] > 0 && zc[1] / zc[0] >= p_.min_valid_fraction;
    lap(r.times.upload_valid);
    if (until == pass::observe) return r;

    // 2. co-register and normalise against the current reference (steps 4, 5)
    const bool have_ref = members() > 0;
    if (have_ref && r.grid_valid_fraction > 0) align_to_reference(bands, valid, r);
    lap(r.times.coregister);
    // The local background model looks at the scene's own brightness, co-registered but
    // not normalised: the normalisation is fitted on the ground and may map the spectra of
    // objects it never saw (a colourful container) to anything.
    buffer<float> brightness;
    buffer<std::uint8_t> water;
    if (has_local_class_ && until == pass::count) {
      brightness = be_.template alloc<float>(n_);
      be_.for_each(n_,
                   brightness_fn{
                       {bands.data(), w, h, nb}, weights_.data(), valid.data(), brightness.data()});
      if (has_water_class_) {
        water = be_.template alloc<std::uint8_t>(n_);
        water_mask(be_, n_, water_plane(bands, brightness), valid.data(), water.data());
      }
    }
    if (have_ref && r.grid_valid_fraction > 0) normalise_to_reference(bands, valid);
    lap(r.times.normalise);
    if (until == pass::learn) {
      if (r.site_observable) {  // (step 9)
        push_member(s.id, bands, valid, r.shift_x, r.shift_y);
        r.joined_reference = true;
      }
      return r;
    }
    const bool ref_ready = have_ref && members() >= required_members();
    auto covalid = be_.template alloc<std::uint8_t>(n_);
    auto magnitude = be_.template alloc<float>(n_);
    auto difference = be_.template alloc<float>(n_);
    auto change = be_.template alloc<std::uint8_t>(n_);
    be_.fill(change, std::uint8_t{0});
    be_.fill(magnitude, -1.0f);
    if (ref_ready) {
      // 3. change (step 6): thresholds come from the raw magnitude's statistics and apply
      // to the misregistration-proof magnitude
      auto raw = be_.template alloc<float>(n_);
      if (p_.tolerance_px > 0 && envelope_stale_) update_envelope();
      be_.for_each(n_, and_fn{valid.data(), ref_valid_.data(), covalid.data()});
      be_.for_each(n_, change_magnitude_fn{{bands.data(), w, h, nb},
                                           {ref_bands_.data(), w, h, nb},
                                           p_.tolerance_px > 0 ? ref_lo_.data() : nullptr,
                                           p_.tolerance_px > 0 ? ref_hi_.data() : nullptr,
                                           weights_.data(),
                                           covalid.data(),
                                           magnitude.data(),
                                           difference.data(),
                                           raw.data()});
      // method mad: IR-MAD's statistic decides which pixels changed; the plain magnitude
      // stays what objects are measured with (peak cut, mean_change: reflectance)
      buffer<float> decisive;
      if (p_.method == change_method::mad) {
        auto mad_mag = be_.template alloc<float>(n_);
        auto mad_raw = be_.template alloc<float>(n_);
        if (mad_magnitude(bands, covalid, mad_mag, mad_raw)) {
          decisive = std::move(mad_mag);
          raw = std::move(mad_raw);
          r.mad_fitted = true;
        }
      }
      const buffer<float>& decide = decisive.size() != 0 ? decisive : magnitude;
      r.threshold = change_threshold(raw);
      be_.for_each(n_, threshold_fn{decide.data(), static_cast<float>(r.threshold), change.data()});
      if (want_rasters && decisive.size() != 0) r.magnitude = be_.to_host(decisive);
      r.has_reference = true;
      r.reference = reference_text();
    }
    lap(r.times.change);

    // 4. per class zone: observability, change stats, objects (steps 7, 8)
    for (std::size_t c = 0; c < p_.classes.size(); ++c) {
      const engine_class& cls = p_.classes[c];
      engine_class_result cr;
      const auto zc = chunked_sum<3>(
          be_, n_,
          zone_count_fn{zones_[c].data(), valid.data(), ref_ready ? change.data() : nullptr});
      cr.zone_px = static_cast<long long>(zc[0]);
      cr.valid_px = static_cast<long long>(zc[1]);
      cr.changed_px = static_cast<long long>(zc[2]);
      cr.observable =
          cr.zone_px > 0 && static_cast<double>(cr.valid_px) / cr.zone_px >= p_.min_valid_fraction;
      cr.has_change = cr.observable && ref_ready;
      if (cr.observable && cls.counts && (cls.local || ref_ready)) {
        auto evidence = be_.template alloc<std::uint8_t>(n_);
        auto inside = be_.template alloc<std::uint8_t>(n_);  // where objects may be
        object_context context;
        if (cls.local) {
          const std::uint8_t* body = nullptr;
          buffer<std::uint8_t> scene_land;
          if (cls.on_water && ref_ready) {
            body = reference_land();
          } else if (cls.on_water) {
            scene_land = be_.template alloc<std::uint8_t>(n_);
            land_body(cls, valid, water, scene_land);
            body = scene_land.data();
          }
          local_evidence(cls, zones_[c], valid, brightness, water, body, inside, evidence);
          if (cls.on_water) context.water = water.data();
          if (ref_ready && !cls.count_static) context.static_mask = reference_objects(c);
        } else {
          be_.for_each(n_, and_fn{zones_[c].data(), valid.data(), inside.data()});
          be_.for_each(n_, reference_evidence_fn{change.data(), difference.data(), cls.pol,
                                                 evidence.data()});
          if (cls.peak_radius_px > 0)  // each object as wide as its own contrast (background.cuh)
            peak_cut(be_, w, h, cls.peak_radius_px, magnitude.data(), evidence.data());
        }
        count_objects(cls, inside, evidence, ref_ready ? magnitude.data() : nullptr, context, cr);
        cr.has_counts = true;
      }
      r.classes.push_back(std::move(cr));
    }
    lap(r.times.objects);

    if (want_rasters) {
      if (r.magnitude.empty()) r.magnitude = be_.to_host(magnitude);
      r.change_mask = be_.to_host(change);
      r.valid = be_.to_host(valid);
    }
    lap(r.times.download);

    // 5. reference update (step 9)
    if (r.site_observable && join_reference) {
      push_member(s.id, bands, valid, r.shift_x, r.shift_y);
      r.joined_reference = true;
    }
    lap(r.times.reference);
    return r;
  }

  // A reference pooled from several members (median, archive), or one scene's.
  bool pooled() const {
    return p_.reference == reference_kind::median || p_.reference == reference_kind::archive;
  }

  int required_members() const { return pooled() ? p_.min_scenes : 1; }

  std::string reference_text() const {
    // archive: "archive:" for the median, "archive q0.25:" for another quantile
    char archive[32];
    std::snprintf(archive, sizeof archive,
                  p_.reference_quantile == 0.5f ? "archive:" : "archive q%.2f:",
                  static_cast<double>(p_.reference_quantile));
    std::string t = p_.reference == reference_kind::median     ? "median:"
                    : p_.reference == reference_kind::previous ? "previous:"
                    : p_.reference == reference_kind::fixed    ? "fixed:"
                                                               : archive;
    for (std::size_t i = 0; i < member_ids_.size(); ++i) t += (i ? "+" : "") + member_ids_[i];
    return t;
  }

  index_t count_nonzero(const buffer<std::uint8_t>& m) const {
    return static_cast<index_t>(
        thrust::count_if(be_.policy(), m.data(), m.data() + n_, nonzero_byte{}));
  }

  // Co-registration: NCC of gradient images over integer shifts within the radius, then a
  // Lucas-Kanade refinement; the scene (bands and valid) is resampled onto the reference.
  void align_to_reference(buffer<float>& bands, buffer<std::uint8_t>& valid, engine_result& r) {
    const int R = p_.search_radius_px;
    const int w = p_.width, h = p_.height, nb = p_.bands;
    r.has_shift = true;
    if (R <= 0) return;
    auto sb = be_.template alloc<float>(n_);
    auto rb = be_.template alloc<float>(n_);
    be_.for_each(n_,
                 brightness_fn{{bands.data(), w, h, nb}, weights_.data(), valid.data(), sb.data()});
    be_.for_each(n_,
                 brightness_fn{
                     {ref_bands_.data(), w, h, nb}, weights_.data(), ref_valid_.data(), rb.data()});
    auto sg = be_.template alloc<float>(n_);
    auto rg = be_.template alloc<float>(n_);
    be_.for_each_2d(w, h, gradient_fn{{sb.data(), w, h}, valid.data(), sg.data()});
    be_.for_each_2d(w, h, gradient_fn{{rb.data(), w, h}, ref_valid_.data(), rg.data()});
    const int side = 2 * R + 1;
    // the integer search on every other row and column once the grid is big enough that a
    // quarter of it still holds thousands of pixels
    const int stride = n_ >= ncc_subsample_pixels ? 2 : 1;
    std::vector<double> score(static_cast<std::size_t>(side) * side, -2.0);
    std::vector<char> tried(static_cast<std::size_t>(side) * side, 0);
    int best = -1;
    auto candidate = [&](int dx, int dy) {
      if (dx < -R || dx > R || dy < -R || dy > R) return;
      const int k = (dy + R) * side + (dx + R);
      if (tried[k]) return;
      tried[k] = 1;
      const auto s =
          row_sum<6>(be_, w, h, ncc_terms_fn{rg.data(), sg.data(), w, h, dx, dy, stride});
      if (s[0] < min_coregistration_pixels) return;
      score[k] = ncc_from_sums(s.data());
      // ties go to the earlier candidate in raster order of (dy, dx), whatever the visit order
      if (best < 0 || score[k] > score[best] || (score[k] == score[best] && k < best)) best = k;
    };
    // Coarse to fine: shifts on a step-2 grid first (the correlation peak of gradient
    // images is about three pixels wide, so the best coarse candidate lies within a pixel
    // of the peak), then the 3x3 around the best; then again around a better neighbour
    // until none improves. A third of the candidates of the full search for R = 4.
    for (int dy = -R; dy <= R; dy += 2)
      for (int dx = -R; dx <= R; dx += 2) candidate(dx, dy);
    for (int round = 0; round < 2 * R && best >= 0; ++round) {
      const int before = best;
      const int cx = best % side - R, cy = best / side - R;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) candidate(cx + dx, cy + dy);
      if (best == before) break;
    }
    if (best < 0) return;  // too little overlap: shift 0
    const int bx = best % side - R, by = best / side - R;
    double fx = bx, fy = by;
    refine_shift(sb, valid, rb, fx, fy);
    r.shift_x = fx;
    r.shift_y = fy;
    if (r.shift_x == 0.0 && r.shift_y == 0.0) return;
    auto out = be_.template alloc<float>(nb * n_);
    auto out_valid = be_.template alloc<std::uint8_t>(n_);
    be_.for_each_2d(w, h,
                    shift_resample_fn{{bands.data(), w, h, nb},
                                      valid.data(),
                                      r.shift_x,
                                      r.shift_y,
                                      {out.data(), w, h, nb},
                                      out_valid.data()});
    bands = std::move(out);
    valid = std::move(out_valid);
  }

  // Gauss-Newton on ref ~ a * scene(x + d) + b from the integer NCC peak (lk_terms_fn):
  // three plain iterations, then three that leave out residuals beyond 3 robust sigmas
  // (objects, change). Falls back to the integer shift if the refinement wanders off.
  void refine_shift(const buffer<float>& scene, const buffer<std::uint8_t>& scene_valid,
                    const buffer<float>& ref, double& dx, double& dy) {
    const double x0 = dx, y0 = dy;
    const int w = p_.width, h = p_.height;
    auto gx = be_.template alloc<float>(n_);
    auto gy = be_.template alloc<float>(n_);
    auto ok = be_.template alloc<std::uint8_t>(n_);
    be_.for_each_2d(w, h,
                    scene_gradients_fn{
                        {scene.data(), w, h}, scene_valid.data(), gx.data(), gy.data(), ok.data()});
    // large grids: the normal equations over a stride-2 lattice (thousands of pixels still,
    // for four parameters)
    const int stride = n_ >= ncc_subsample_pixels ? 2 : 1;
    double a = 1.0, b = 0.0, cut = -1.0;
    for (int it = 0; it < 6; ++it) {
      const auto s = row_sum<lk_terms_fn::terms>(
          be_, w, h,
          lk_terms_fn{ref.data(), ref_valid_.data(), scene.data(), gx.data(), gy.data(), ok.data(),
                      w, h, dx, dy, a, b, cut, stride});
      if (s[14] < min_coregistration_pixels) break;
      std::vector<double> m(16), rhs(4);
      int k = 0;
      for (int p = 0; p < 4; ++p)
        for (int q = p; q < 4; ++q) m[p * 4 + q] = m[q * 4 + p] = s[k++];
      for (int p = 0; p < 4; ++p) rhs[p] = -s[10 + p];
      double delta[4];
      if (!solve_linear(m, rhs, 4, delta)) break;
      dx += delta[0];
      dy += delta[1];
      a += delta[2];
      b += delta[3];
      if (std::fabs(dx - x0) > 1.5 || std::fabs(dy - y0) > 1.5 || !(a > 0.0)) {
        dx = x0;
        dy = y0;
        return;
      }
      if (it == 2) cut = 3.0 * std::sqrt(s[15] / s[14]);
      // converged (once the robust cut is in place): a thousandth of a pixel
      if (it >= 3 && std::fabs(delta[0]) < 1e-3 && std::fabs(delta[1]) < 1e-3) break;
    }
  }

  // Inlier cut of the robust fits: 3 robust sigmas of the absolute residuals (their median
  // is the MAD), at least 3 bins so that a near-perfect fit keeps its pixels.
  static double residual_cut(const sized_histogram& abs_residuals) {
    const double mad = histogram_quantile(abs_residuals.counts, abs_residuals.bin_width, 0.5);
    return std::max(3.0 * 1.4826 * mad, 3.0 * abs_residuals.bin_width);
  }

  // Radiometric normalisation to the reference (docs/ALGORITHMS.md): the multivariate map
  // where it can be fitted, else per-band lines.
  void normalise_to_reference(buffer<float>& bands, const buffer<std::uint8_t>& valid) {
    // The fit takes the pixels valid in both; on grids of ncc_subsample_pixels or more,
    // only those on a stride-2 lattice (a quarter: still thousands of samples for a
    // 9-parameter fit). The map then applies to every pixel.
    auto covalid = be_.template alloc<std::uint8_t>(n_);
    if (n_ >= ncc_subsample_pixels)
      be_.for_each_2d(p_.width, p_.height,
                      lattice_and_fn{valid.data(), ref_valid_.data(), covalid.data(), p_.width});
    else
      be_.for_each(n_, and_fn{valid.data(), ref_valid_.data(), covalid.data()});
    if (p_.bands <= mv_max_bands && normalise_multivariate(bands, valid, covalid)) return;
    normalise_per_band(bands, valid, covalid);
  }

  // ref_b ~ A scene + c (normalise.cuh), least squares on co-valid pixels, then twice more
  // on pixels whose residuals are within 3 robust sigmas in every band. False when the
  // system is singular or too few pixels take part.
  bool normalise_multivariate(buffer<float>& bands, const buffer<std::uint8_t>& valid,
                              const buffer<std::uint8_t>& covalid) {
    const int nb = p_.bands, w = p_.width, h = p_.height;
    const int dim = nb + 1;
    planar_view<const float> sv{bands.data(), w, h, nb}, rv{ref_bands_.data(), w, h, nb};
    auto coef = be_.template alloc<float>(mv_max_bands * mv_dim);
    auto cut = be_.template alloc<float>(nb);
    auto inlier = be_.template alloc<std::uint8_t>(n_);
    std::vector<float> host_coef(mv_max_bands * mv_dim, 0.0f);
    bool use_inlier = false;
    for (int pass = 0; pass < 3; ++pass) {
      const auto s = chunked_sum<mv_terms>(
          be_, n_, mv_terms_fn{sv, rv, covalid.data(), use_inlier ? inlier.data() : nullptr});
      // too few pixels, or a singular system: keep the previous pass's map, if any
      if (s[mv_terms - 1] < 20.0 * dim) {
        if (pass == 0) return false;
        break;
      }
      // X^T X from the packed upper triangle (layout of mv_terms_fn: p <= q over dim)
      std::vector<double> xtx(static_cast<std::size_t>(dim) * dim);
      int k = 0;
      for (int p = 0; p < dim; ++p)
        for (int q = p; q < dim; ++q) xtx[p * dim + q] = xtx[q * dim + p] = s[k++];
      bool solved = true;
      for (int b = 0; b < nb && solved; ++b) {
        std::vector<double> rhs(dim);
        for (int p = 0; p < dim; ++p) rhs[p] = s[mv_dim * (mv_dim + 1) / 2 + b * mv_dim + p];
        double x[mv_dim];
        solved = solve_linear(xtx, rhs, dim, x);
        for (int p = 0; solved && p < nb; ++p) host_coef[b * mv_dim + p] = static_cast<float>(x[p]);
        if (solved) host_coef[b * mv_dim + nb] = static_cast<float>(x[nb]);
      }
      if (!solved) {
        if (pass == 0) return false;
        break;
      }
      be_.upload(coef, host_coef.data(), mv_max_bands * mv_dim);
      if (pass == 2) break;
      // every band's residual histogram in one pass (one bin width for all bands)
      constexpr int bins = 8192;
      const float bw = bin_width_to_cover(
          be_, n_, mv_max_abs_residual_value{sv, rv, coef.data(), covalid.data()}, bins);
      auto hists = be_.template alloc<std::uint32_t>(static_cast<index_t>(nb) * bins);
      be_.fill(hists, std::uint32_t{0});
      be_.for_each(n_, mv_residual_histograms_fn{sv, rv, coef.data(), covalid.data(), bw, bins,
                                                 hists.data()});
      const std::vector<std::uint32_t> all = be_.to_host(hists);
      std::vector<float> host_cut(nb);
      for (int b = 0; b < nb; ++b) {
        sized_histogram hb;
        hb.bin_width = bw;
        hb.counts.assign(all.begin() + static_cast<std::ptrdiff_t>(b) * bins,
                         all.begin() + static_cast<std::ptrdiff_t>(b + 1) * bins);
        host_cut[b] = static_cast<float>(residual_cut(hb));
      }
      be_.upload(cut, host_cut.data(), nb);
      be_.for_each(n_,
                   mv_inlier_fn{sv, rv, coef.data(), cut.data(), covalid.data(), inlier.data()});
      use_inlier = true;
    }
    be_.for_each(n_, mv_apply_fn{{bands.data(), w, h, nb}, coef.data(), valid.data()});
    return true;
  }

  // Per band robust gain/offset (three passes), for many-band scenes or when the
  // multivariate system is singular.
  void normalise_per_band(buffer<float>& bands, const buffer<std::uint8_t>& valid,
                          const buffer<std::uint8_t>& covalid) {
    const int nb = p_.bands;
    std::vector<float> gain(nb, 1.0f), offset(nb, 0.0f);
    for (int b = 0; b < nb; ++b) {
      const float* x = bands.data() + b * n_;
      const float* y = ref_bands_.data() + b * n_;
      float cut = -1.0f;
      for (int pass = 0; pass < 3; ++pass) {
        const auto s = chunked_sum<5>(
            be_, n_, gain_offset_terms_fn{x, y, covalid.data(), gain[b], offset[b], cut});
        if (s[0] < 2.0) break;
        const line_fit f = fit_line(s.data());
        gain[b] = static_cast<float>(f.gain);
        offset[b] = static_cast<float>(f.offset);
        const auto hist = auto_histogram(
            be_, n_, abs_residual_value{x, y, covalid.data(), gain[b], offset[b]}, 8192);
        cut = static_cast<float>(residual_cut(hist));
      }
    }
    auto g = be_.template alloc<float>(nb);
    auto o = be_.template alloc<float>(nb);
    be_.upload(g, gain.data(), nb);
    be_.upload(o, offset.data(), nb);
    be_.for_each(n_,
                 apply_gain_offset_fn{
                     {bands.data(), p_.width, p_.height, nb}, g.data(), o.data(), valid.data()});
  }

  // IR-MAD (mad.cuh): the transform fitted on the pixels valid in both (on large grids the
  // normalisation's stride-2 lattice), reweighted by each pixel's probability of no change
  // until the canonical correlations settle; then the statistic's magnitude (100 x sqrt(Z))
  // at the offset within the registration tolerance that explains most (one for all
  // variates: mad_magnitude_fn), and its raw form at the pixel itself for the thresholds.
  // Every band takes part with the same standing: `[bands]` weights do not apply. False when it
  // cannot be fitted: more than mad_max_bands bands, too few pixels, a singular covariance (a
  // constant band).
  bool mad_magnitude(const buffer<float>& bands, const buffer<std::uint8_t>& covalid,
                     buffer<float>& magnitude, buffer<float>& raw) {
    const int nb = p_.bands, w = p_.width, h = p_.height;
    if (nb > mad_max_bands) return false;
    planar_view<const float> sv{bands.data(), w, h, nb}, rv{ref_bands_.data(), w, h, nb};
    buffer<std::uint8_t> lattice;  // the fit's pixels on large grids, as normalisation's
    if (n_ >= ncc_subsample_pixels) {
      lattice = be_.template alloc<std::uint8_t>(n_);
      be_.for_each_2d(w, h, lattice_and_fn{covalid.data(), covalid.data(), lattice.data(), w});
    }
    auto coef = be_.template alloc<float>(mad_coef_size(nb));
    mad_transform t;
    if (!fit_irmad(be_, rv, sv, lattice.size() != 0 ? lattice.data() : covalid.data(), coef, t))
      return false;
    // the variates of both images, then the statistic, each variate weighted by
    // 1 / var(M_i) and scaled, at the offset within the tolerance that explains most
    auto u = be_.template alloc<float>(nb * n_);
    auto v = be_.template alloc<float>(nb * n_);
    be_.for_each(n_, mad_variates_fn{rv, coef.data(), false, {u.data(), w, h, nb}});
    be_.for_each(n_, mad_variates_fn{sv, coef.data(), true, {v.data(), w, h, nb}});
    std::vector<float> host_w(nb);
    const float* inv_var = t.coef.data() + 2 * nb * nb + 2 * nb;
    for (int i = 0; i < nb; ++i)
      host_w[i] = static_cast<float>(mad_magnitude_scale * mad_magnitude_scale * inv_var[i]);
    auto wts = be_.template alloc<float>(nb);
    be_.upload(wts, host_w.data(), nb);
    const reference_envelope_fn sampler{{u.data(), w, h, nb},
                                        ref_valid_.data(),
                                        make_envelope_offsets(static_cast<float>(p_.tolerance_px)),
                                        {nullptr, w, h, nb},
                                        {nullptr, w, h, nb}};
    be_.for_each_2d(w, h,
                    mad_magnitude_fn{sampler,
                                     {v.data(), w, h, nb},
                                     wts.data(),
                                     covalid.data(),
                                     p_.tolerance_px > 0,
                                     magnitude.data(),
                                     raw.data()});
    return true;
  }

  double change_threshold(const buffer<float>& magnitude) const {
    switch (p_.threshold) {
      case threshold_kind::fixed:
        return p_.fixed_threshold;
      case threshold_kind::otsu: {
        const auto hist = auto_histogram(be_, n_, array_value{magnitude.data()});
        const double t = histogram_otsu(hist.counts, hist.bin_width);
        return t < 0 ? std::numeric_limits<double>::infinity() : t;
      }
      case threshold_kind::kmad:
      default: {
        const auto st = robust_stats(be_, magnitude.data(), n_, p_.k, 3);
        if (st.count == 0) return std::numeric_limits<double>::infinity();
        return st.median + p_.k * 1.4826 * st.mad;
      }
    }
  }

  // The plane water is found in: the water band (nir) of the scene, else its brightness.
  const float* water_plane(const buffer<float>& bands, const buffer<float>& brightness) const {
    return p_.water_band >= 0 ? bands.data() + static_cast<index_t>(p_.water_band) * n_
                              : brightness.data();
  }

  // Object pixels of a local class: those that pass both the top-hat (tophat_seed: narrower
  // than a square wider than the object, above the zone's noise) and the contrast test
  // (cfar.cuh) against the ring of their own background (the zone's valid pixels, or for
  // classes on water the water, objects then being anywhere off the land `body`: land_body,
  // reference_land). The ring test tells an object from the waves of the open sea, which a
  // zone-wide noise level cannot; the top-hat keeps neighbours apart that blur joins (the
  // two pixels between two rows of container stacks pass the ring test, being half stack).
  // `candidates` receives where objects may be.
  void local_evidence(const engine_class& cls, const buffer<std::uint8_t>& zone,
                      const buffer<std::uint8_t>& valid, const buffer<float>& brightness,
                      const buffer<std::uint8_t>& water, const std::uint8_t* body,
                      buffer<std::uint8_t>& candidates, buffer<std::uint8_t>& evidence) {
    be_.for_each(n_, and_fn{zone.data(), valid.data(), candidates.data()});
    const std::uint8_t* background = candidates.data();
    if (cls.on_water) {
      be_.for_each(n_, and_not_fn{candidates.data(), body, candidates.data()});
      background = water.data();
    }
    auto seed = be_.template alloc<std::uint8_t>(n_);
    {
      auto domain = be_.template alloc<std::uint8_t>(n_);
      be_.for_each(n_, and_fn{zone.data(), valid.data(), domain.data()});
      tophat_seed(cls, domain, brightness, seed);
    }
    cfar_params cp;
    cp.guard = cls.guard_px;
    cp.outer = cls.outer_px;
    cp.k = static_cast<float>(cls.contrast_k);
    cp.k_censor = static_cast<float>(0.5 * cls.contrast_k);
    cp.sigma_floor =
        static_cast<float>(std::max(local_min_contrast, cls.min_contrast) / cls.contrast_k);
    cp.pol = cls.pol;
    local_contrast(be_, brightness.data(), background, seed.data(), candidates.data(), p_.width,
                   p_.height, cp, evidence.data());
    be_.for_each(n_, and_fn{evidence.data(), seed.data(), evidence.data()});
  }

  // The first half of local_evidence and the contrast test's first censoring (cfar.cuh): a
  // top-hat of the brightness against
  // the grey opening (white, brighter objects) or closing (black, darker) by a square wider
  // than the object that must fit inside the domain, thresholded at the domain's noise level
  // from the lower tail of the top-hat (threshold_local). The square finds objects however
  // densely they stand (a full depot: there is ground between stacks in every window), so
  // the ring of the contrast test starts on ground, not on the neighbouring objects.
  void tophat_seed(const engine_class& cls, const buffer<std::uint8_t>& domain,
                   const buffer<float>& brightness, buffer<std::uint8_t>& evidence) {
    const int w = p_.width, h = p_.height;
    auto tmp = be_.template alloc<float>(n_);
    auto a = be_.template alloc<float>(n_);
    auto b = be_.template alloc<float>(n_);
    const int r = cls.body_radius_px;
    // first operation: the window must fit the domain; second: plain (see morphology.cuh)
    auto grey = [&](const float* in, const std::uint8_t* dom, bool erosion, float* out) {
      be_.for_each_2d(w, h, grey_morph_pass_fn{{in, w, h}, dom, tmp.data(), r, true, erosion});
      be_.for_each_2d(w, h, grey_morph_pass_fn{{tmp.data(), w, h}, dom, out, r, false, erosion});
    };
    auto th_bright = be_.template alloc<float>(n_);
    auto th_dark = be_.template alloc<float>(n_);
    const bool want_bright = cls.pol != object_polarity::darker;
    const bool want_dark = cls.pol != object_polarity::brighter;
    be_.fill(evidence, std::uint8_t{0});
    auto ev = be_.template alloc<std::uint8_t>(n_);
    if (want_bright) {  // opening = dilate(erode(b))
      grey(brightness.data(), domain.data(), true, a.data());
      grey(a.data(), nullptr, false, b.data());
      be_.for_each(n_,
                   tophat_fn{brightness.data(), b.data(), domain.data(), true, th_bright.data()});
      threshold_local(th_bright, ev, cls.min_contrast);
      be_.for_each(n_, or_fn{evidence.data(), ev.data(), evidence.data()});
    }
    if (want_dark) {  // closing = erode(dilate(b))
      grey(brightness.data(), domain.data(), false, a.data());
      grey(a.data(), nullptr, true, b.data());
      be_.for_each(n_,
                   tophat_fn{brightness.data(), b.data(), domain.data(), false, th_dark.data()});
      threshold_local(th_dark, ev, cls.min_contrast);
      be_.for_each(n_, or_fn{evidence.data(), ev.data(), evidence.data()});
    }
  }

  // Threshold of the top-hat: the background noise level from the lower tail (objects may
  // cover most of a zone), at least local_min_contrast.
  void threshold_local(const buffer<float>& tophat, buffer<std::uint8_t>& out,
                       double min_contrast) {
    const auto hist = auto_histogram(be_, n_, array_value{tophat.data()});
    const double t = std::max({lower_tail_threshold(hist.counts, hist.bin_width, p_.k),
                               local_min_contrast, min_contrast});
    be_.for_each(n_, above_fn{tophat.data(), static_cast<float>(std::min(t, 3e38)), out.data()});
  }

  // Land in one image: valid, not water, opened by a square of side 2 body_radius_px + 1, so
  // that non-water narrower than that (a boat, a pier) is not land and may hold objects. A
  // ship moored along a quay is longer than the square, which then straddles quay and ship:
  // one image cannot tell them apart (reference_land can).
  void land_body(const engine_class& cls, const buffer<std::uint8_t>& valid,
                 const buffer<std::uint8_t>& water, buffer<std::uint8_t>& body) {
    be_.for_each(n_, and_not_fn{valid.data(), water.data(), body.data()});
    morph(body, cls.body_radius_px, true);
    morph(body, cls.body_radius_px, false);
  }

  // Land in the reference: where its median is not water. Ships come and go, the quay stays,
  // so a ship alongside is off this land however long it is; what stays long enough to be in
  // the median (a hulk, a crane) is land.
  const std::uint8_t* reference_land() {
    reference_local_planes();
    if (ref_land_.size() == 0) {
      ref_land_ = be_.template alloc<std::uint8_t>(n_);
      be_.for_each(n_, and_not_fn{ref_valid_.data(), ref_water_.data(), ref_land_.data()});
    }
    return ref_land_.data();
  }

  // The reference's brightness and water (local classes), once per reference update.
  void reference_local_planes() {
    if (ref_brightness_.size() != 0) return;
    const int w = p_.width, h = p_.height, nb = p_.bands;
    ref_brightness_ = be_.template alloc<float>(n_);
    be_.for_each(n_, brightness_fn{{ref_bands_.data(), w, h, nb},
                                   weights_.data(),
                                   ref_valid_.data(),
                                   ref_brightness_.data()});
    if (has_water_class_) {
      ref_water_ = be_.template alloc<std::uint8_t>(n_);
      water_mask(be_, n_, water_plane(ref_bands_, ref_brightness_), ref_valid_.data(),
                 ref_water_.data());
    }
  }

  // The local class's objects in the reference (its brightness and water, the same test),
  // once per reference update: what is there in the reference is static, not new.
  const std::uint8_t* reference_objects(std::size_t c) {
    reference_local_planes();
    if (ref_evidence_[c].size() == 0) {
      const engine_class& cls = p_.classes[c];
      ref_evidence_[c] = be_.template alloc<std::uint8_t>(n_);
      auto candidates = be_.template alloc<std::uint8_t>(n_);
      buffer<std::uint8_t> body;
      if (cls.on_water) {
        body = be_.template alloc<std::uint8_t>(n_);
        land_body(cls, ref_valid_, ref_water_, body);
      }
      local_evidence(cls, zones_[c], ref_valid_, ref_brightness_, ref_water_,
                     cls.on_water ? body.data() : nullptr, candidates, ref_evidence_[c]);
    }
    return ref_evidence_[c].data();
  }

  void morph(buffer<std::uint8_t>& m, int r, bool erosion) {
    if (r <= 0) return;
    const int w = p_.width, h = p_.height;
    auto tmp = be_.template alloc<std::uint8_t>(n_);
    be_.for_each_2d(w, h, binary_morph_pass_fn{{m.data(), w, h}, tmp.data(), r, true, erosion});
    be_.for_each_2d(w, h, binary_morph_pass_fn{{tmp.data(), w, h}, m.data(), r, false, erosion});
  }

  // What a local class's components are judged against besides their shape: the scene's
  // water (on = water) and the reference's objects (static ones are not counted).
  struct object_context {
    const std::uint8_t* water = nullptr;
    const std::uint8_t* static_mask = nullptr;
  };

  // Evidence inside (the zone's valid pixels where objects may be) -> morphology -> labels
  // -> measurement -> filters.
  void count_objects(const engine_class& cls, const buffer<std::uint8_t>& inside,
                     buffer<std::uint8_t>& evidence, const float* magnitude,
                     const object_context& context, engine_class_result& cr) {
    be_.for_each(n_, and_fn{evidence.data(), inside.data(), evidence.data()});
    morph(evidence, cls.open_px, true);
    morph(evidence, cls.open_px, false);
    morph(evidence, cls.close_px, false);
    morph(evidence, cls.close_px, true);
    // closing may grow objects over invalid pixels, out of the zone or onto land: cut back
    be_.for_each(n_, and_fn{evidence.data(), inside.data(), evidence.data()});
    if (n_ < std::numeric_limits<std::int32_t>::max())
      label_and_measure<std::int32_t>(cls, evidence, magnitude, context, cr);
    else
      label_and_measure<std::int64_t>(cls, evidence, magnitude, context, cr);
  }

  template <class Label>
  void label_and_measure(const engine_class& cls, const buffer<std::uint8_t>& mask,
                         const float* magnitude, const object_context& context,
                         engine_class_result& cr) {
    const int w = p_.width, h = p_.height;
    auto comp = be_.template alloc<Label>(n_);
    // pass 1: labels and moments (the sums are allocated once the count is known)
    buffer<std::int64_t> i64;
    buffer<std::int32_t> lo, hi;
    const index_t ncomp = label_and_moments<Label>(
        be_, mask.data(), comp.data(), magnitude, w, h, [&](index_t count) {
          i64 = be_.template alloc<std::int64_t>(7 * count);
          be_.fill(i64, std::int64_t{0});
          lo = be_.template alloc<std::int32_t>(2 * count);
          hi = be_.template alloc<std::int32_t>(2 * count);
          be_.fill(lo, std::numeric_limits<std::int32_t>::max());
          be_.fill(hi, std::numeric_limits<std::int32_t>::min());
          return component_sums_over(i64.data(), lo.data(), hi.data(), count);
        });
    if (ncomp == 0) return;
    const std::vector<std::int64_t> hs = be_.to_host(i64);

    // shapes on the host (few components), then pass 2: extents along the axes
    std::vector<component_shape> shapes(ncomp);
    std::vector<double> geo(4 * ncomp);  // cx, cy, cos, sin
    for (index_t c = 0; c < ncomp; ++c) {
      shapes[c] = shape_from_sums(
          static_cast<double>(hs[c]), static_cast<double>(hs[ncomp + c]),
          static_cast<double>(hs[2 * ncomp + c]), static_cast<double>(hs[3 * ncomp + c]),
          static_cast<double>(hs[4 * ncomp + c]), static_cast<double>(hs[5 * ncomp + c]));
      geo[c] = shapes[c].cx;
      geo[ncomp + c] = shapes[c].cy;
      geo[2 * ncomp + c] = std::cos(shapes[c].theta);
      geo[3 * ncomp + c] = std::sin(shapes[c].theta);
    }
    auto g = be_.template alloc<double>(4 * ncomp);
    be_.upload(g, geo.data(), 4 * ncomp);
    auto ext = be_.template alloc<std::int64_t>(4 * ncomp);
    std::vector<std::int64_t> ext_init(4 * ncomp);
    for (index_t c = 0; c < ncomp; ++c) {
      ext_init[c] = ext_init[2 * ncomp + c] = std::numeric_limits<std::int64_t>::max();
      ext_init[ncomp + c] = ext_init[3 * ncomp + c] = std::numeric_limits<std::int64_t>::min();
    }
    be_.upload(ext, ext_init.data(), 4 * ncomp);
    std::int64_t* e = ext.data();
    accumulate_extents<Label>(
        be_,
        axis_extent_fn<Label>{comp.data(), w, g.data(), g.data() + ncomp, g.data() + 2 * ncomp,
                              g.data() + 3 * ncomp, e, e + ncomp, e + 2 * ncomp, e + 3 * ncomp},
        h, ncomp);
    const std::vector<std::int64_t> he = be_.to_host(ext);
    // pass 3 (local classes): outline on water, pixels on the reference's objects
    std::vector<std::int64_t> hc;
    if (context.water != nullptr || context.static_mask != nullptr) {
      auto ctx = be_.template alloc<std::int64_t>(3 * ncomp);
      be_.fill(ctx, std::int64_t{0});
      std::int64_t* x = ctx.data();
      be_.for_each(
          n_, component_context_fn<Label>{comp.data(), w, h, context.water, context.static_mask, x,
                                          x + ncomp, x + 2 * ncomp});
      hc = be_.to_host(ctx);
    }

    for (index_t c = 0; c < ncomp; ++c) {
      const component_shape& s = shapes[c];
      if (s.area < cls.min_area_px || s.area > cls.max_area_px) continue;
      if (s.width < cls.min_width_px) continue;  // slivers: edges, mixed pixels
      // sparse webs of noise pixels: little area for their extent
      if (s.area < cls.min_fill * s.length * s.width) continue;
      if (cls.max_length_px > 0 && s.length > cls.max_length_px) continue;
      if (cls.max_width_px > 0 && s.width > cls.max_width_px) continue;
      if (cls.min_elongation > 0 && s.length < cls.min_elongation * s.width) continue;
      if (context.water != nullptr &&
          static_cast<double>(hc[ncomp + c]) < min_water_contact * static_cast<double>(hc[c]))
        continue;  // not on water: a building, a crane on the quay
      if (context.static_mask != nullptr &&
          static_cast<double>(hc[2 * ncomp + c]) >= static_overlap * s.area)
        continue;  // there in the reference too: a structure, not a new object
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
      d.u_min = he[c] / extent_fixed_scale - pad;
      d.u_max = he[ncomp + c] / extent_fixed_scale + pad;
      d.v_min = he[2 * ncomp + c] / extent_fixed_scale - pad;
      d.v_max = he[3 * ncomp + c] / extent_fixed_scale + pad;
      if (magnitude != nullptr)
        d.mean_change = static_cast<double>(hs[6 * ncomp + c]) / change_fixed_scale / s.area;
      d.est_count = 1;
      if (cls.split_length_px > 0)
        d.est_count = std::max(1, static_cast<int>(std::lround(s.length / cls.split_length_px)));
      cr.count += d.est_count;
      cr.components += 1;
      cr.detections.push_back(d);
    }
  }

  // Appends a member (ring of `capacity_`) with its shift against the current frame, then
  // recomputes the reference.
  void push_member(const std::string& id, const buffer<float>& bands,
                   const buffer<std::uint8_t>& valid, double shift_x, double shift_y) {
    const int nb = p_.bands;
    int slot;
    if (static_cast<int>(member_ids_.size()) < capacity_) {
      slot = static_cast<int>(member_ids_.size());
      member_slots_.push_back(slot);
    } else {
      slot = member_slots_.front();
      member_slots_.pop_front();
      member_slots_.push_back(slot);
      member_ids_.pop_front();
      member_shifts_.pop_front();
    }
    member_ids_.push_back(id);
    member_shifts_.push_back({shift_x, shift_y});
    be_.copy_range(member_bands_, static_cast<index_t>(slot) * nb * n_, bands, 0, nb * n_);
    be_.copy_range(member_valid_, static_cast<index_t>(slot) * n_, valid, 0, n_);
    const int count = static_cast<int>(member_ids_.size());
    if ((count == p_.min_scenes || count == capacity_) && count >= 3 && recentred_at_ < count &&
        pooled())
      recentre_frame();
    update_reference();
  }

  // The reference frame starts as the first scene's geometry, which is off by that scene's
  // misregistration (up to a few pixels), and zones would then cut objects at their edges.
  // Once there are min_scenes members (and again when the window first fills), the frame
  // moves to the members' mean position: misregistrations are independent from scene to
  // scene, so their mean is the best estimate of true geometry we have. Each member is
  // resampled by the mean shift; later shifts are then measured against true geometry.
  void recentre_frame() {
    recentred_at_ = static_cast<int>(member_ids_.size());
    double mx = 0, my = 0;
    for (const auto& [x, y] : member_shifts_) {
      mx += x;
      my += y;
    }
    mx /= static_cast<double>(member_shifts_.size());
    my /= static_cast<double>(member_shifts_.size());
    if (std::fabs(mx) < 0.05 && std::fabs(my) < 0.05) return;
    const int nb = p_.bands, w = p_.width, h = p_.height;
    auto tmp = be_.template alloc<float>(nb * n_);
    auto tmp_valid = be_.template alloc<std::uint8_t>(n_);
    for (int slot = 0; slot < static_cast<int>(member_ids_.size()); ++slot) {
      float* mb = member_bands_.data() + static_cast<index_t>(slot) * nb * n_;
      std::uint8_t* mv = member_valid_.data() + static_cast<index_t>(slot) * n_;
      // new_frame(x) = old_frame(x - mean shift)
      be_.for_each_2d(w, h,
                      shift_resample_fn{
                          {mb, w, h, nb}, mv, -mx, -my, {tmp.data(), w, h, nb}, tmp_valid.data()});
      be_.copy_range(member_bands_, static_cast<index_t>(slot) * nb * n_, tmp, 0, nb * n_);
      be_.copy_range(member_valid_, static_cast<index_t>(slot) * n_, tmp_valid, 0, n_);
    }
    for (auto& [x, y] : member_shifts_) {
      x -= mx;
      y -= my;
    }
  }

  // The quantile over the occupied slots (their order does not matter to it). The range
  // within the registration tolerance follows when change is next computed: the archive's
  // first pass updates the reference once per member and computes no change.
  void update_reference() {
    const int nb = p_.bands;
    const int count = static_cast<int>(member_ids_.size());
    be_.for_each(
        n_, quantile_reference_fn{member_bands_.data(), member_valid_.data(), count, nb, n_,
                                  ref_bands_.data(), ref_valid_.data(), p_.reference_quantile});
    // the reference's objects of local classes are found again when next needed
    ref_brightness_ = {};
    ref_water_ = {};
    ref_land_ = {};
    for (auto& e : ref_evidence_) e = {};
    envelope_stale_ = true;
  }

  // The reference's range within the registration tolerance (change.cuh).
  void update_envelope() {
    const int nb = p_.bands, w = p_.width, h = p_.height;
    be_.for_each_2d(
        w, h,
        reference_envelope_fn{{ref_bands_.data(), w, h, nb},
                              ref_valid_.data(),
                              make_envelope_offsets(static_cast<float>(p_.tolerance_px)),
                              {ref_lo_.data(), w, h, nb},
                              {ref_hi_.data(), w, h, nb}});
    envelope_stale_ = false;
  }

  Backend be_;
  engine_params p_;
  index_t n_ = 0;
  std::vector<buffer<std::uint8_t>> zones_;
  buffer<std::uint8_t> site_zones_;  // the union of the zones (the whole grid without any)
  buffer<float> weights_;
  int capacity_ = 1;
  bool has_local_class_ = false;
  bool has_water_class_ = false;
  buffer<float> member_bands_;
  buffer<std::uint8_t> member_valid_;
  buffer<float> ref_bands_;
  buffer<std::uint8_t> ref_valid_;
  buffer<float> ref_lo_, ref_hi_;  // per band, the reference's range within tolerance_px
  bool envelope_stale_ = true;     // ref_lo_, ref_hi_ older than the reference
  // Local classes, found in the reference when first needed after an update (empty: not yet).
  buffer<float> ref_brightness_;
  buffer<std::uint8_t> ref_water_;
  buffer<std::uint8_t> ref_land_;
  std::vector<buffer<std::uint8_t>> ref_evidence_;       // per class
  std::deque<std::string> member_ids_;                   // oldest first
  std::deque<int> member_slots_;                         // slot of each member, oldest first
  std::deque<std::pair<double, double>> member_shifts_;  // each member's shift vs the frame
  int recentred_at_ = 0;                                 // member count at the last recentring
};

}  // namespace sw::kern
