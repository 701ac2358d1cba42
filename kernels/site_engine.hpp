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
#include "kernels/blur_match.cuh"
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

  // One scene's planes on the backend, as the steps make them.
  struct scene_planes {
    buffer<float> bands;          // co-registered, then normalised
    buffer<std::uint8_t> valid;   // step 3, then resampled with the bands
    buffer<float> brightness;     // local classes: before normalisation
    buffer<std::uint8_t> water;   // classes on water
    buffer<float> magnitude;      // change magnitude (-1: none)
    buffer<float> difference;     // signed brightness difference
    buffer<std::uint8_t> change;  // the change mask
  };

  engine_result run(const engine_scene& s, bool join_reference, bool want_rasters, pass until) {
    be_.activate();
    engine_result r;
    auto t = std::chrono::steady_clock::now();
    auto lap = [&t](double& slot) {  // time since the previous lap, into slot
      const auto now = std::chrono::steady_clock::now();
      slot += std::chrono::duration<double>(now - t).count();
      t = now;
    };
    scene_planes sp;
    upload_and_validate(s, sp, r);  // (step 3)
    lap(r.times.upload_valid);
    if (until == pass::observe) return r;

    // co-register and normalise against the current reference (steps 4, 5)
    const bool have_ref = members() > 0;
    if (have_ref && r.grid_valid_fraction > 0) {
      r.has_shift = true;
      align_to_reference(be_, frame(), p_.search_radius_px, weights_.data(), ref_bands_.data(),
                         ref_valid_.data(), sp.bands, sp.valid, r.shift_x, r.shift_y);
    }
    lap(r.times.coregister);
    if (has_local_class_ && until == pass::count) local_planes(sp);
    if (have_ref && r.grid_valid_fraction > 0)
      normalise_to_reference(be_, frame(), ref_bands_.data(), ref_valid_.data(), sp.bands,
                             sp.valid);
    lap(r.times.normalise);
    if (until == pass::learn) {
      if (r.site_observable) {  // (step 9)
        push_member(s.id, sp.bands, sp.valid, r.shift_x, r.shift_y);
        r.joined_reference = true;
      }
      return r;
    }
    const bool ref_ready = have_ref && members() >= required_members();
    detect_change(sp, ref_ready, want_rasters, r);  // (step 6)
    lap(r.times.change);
    for (std::size_t c = 0; c < p_.classes.size(); ++c)  // (steps 7, 8)
      r.classes.push_back(class_result(c, sp, ref_ready));
    lap(r.times.objects);
    if (want_rasters) {
      if (r.magnitude.empty()) r.magnitude = be_.to_host(sp.magnitude);
      r.change_mask = be_.to_host(sp.change);
      r.valid = be_.to_host(sp.valid);
    }
    lap(r.times.download);
    if (r.site_observable && join_reference) {  // (step 9)
      push_member(s.id, sp.bands, sp.valid, r.shift_x, r.shift_y);
      r.joined_reference = true;
    }
    lap(r.times.reference);
    return r;
  }

  // The scene onto the backend and its valid mask; observability is judged on the zones
  // (SPEC 2), not on the grid's margin: a scene that covers every zone but not the margin
  // is a reference member like any other.
  void upload_and_validate(const engine_scene& s, scene_planes& sp, engine_result& r) {
    const int nb = p_.bands;
    sp.bands = be_.template alloc<float>(nb * n_);
    be_.upload(sp.bands, s.bands, nb * n_);
    auto alpha = be_.template alloc<std::uint8_t>(n_);
    be_.upload(alpha, s.alpha, n_);
    buffer<std::uint8_t> udm2;
    if (s.udm2 != nullptr) {
      udm2 = be_.template alloc<std::uint8_t>(udm2_planes * n_);
      be_.upload(udm2, s.udm2, udm2_planes * n_);
    }
    sp.valid = be_.template alloc<std::uint8_t>(n_);
    be_.for_each(n_,
                 valid_mask_fn{alpha.data(), s.udm2 ? udm2.data() : nullptr, n_, sp.valid.data()});
    r.grid_valid_fraction = n_ > 0 ? static_cast<double>(count_nonzero(sp.valid)) / n_ : 0.0;
    const auto zc =
        chunked_sum<3>(be_, n_, zone_count_fn{site_zones_.data(), sp.valid.data(), nullptr});
    r.site_observable = zc[0] > 0 && zc[1] / zc[0] >= p_.min_valid_fraction;
  }

  // The local background model looks at the scene's own brightness, co-registered but
  // not normalised: the normalisation is fitted on the ground and may map the spectra of
  // objects it never saw (a colourful container) to anything.
  void local_planes(scene_planes& sp) {
    sp.brightness = be_.template alloc<float>(n_);
    be_.for_each(n_, brightness_fn{{sp.bands.data(), p_.width, p_.height, p_.bands},
                                   weights_.data(),
                                   sp.valid.data(),
                                   sp.brightness.data()});
    if (has_water_class_) {
      sp.water = be_.template alloc<std::uint8_t>(n_);
      water_mask(be_, n_, water_plane(sp.bands, sp.brightness), sp.valid.data(), sp.water.data());
    }
  }

  // Change against a ready reference: thresholds come from the raw magnitude's statistics
  // and apply to the misregistration-proof magnitude. Without one: no change, magnitude -1.
  void detect_change(scene_planes& sp, bool ref_ready, bool want_rasters, engine_result& r) {
    const int nb = p_.bands, w = p_.width, h = p_.height;
    sp.magnitude = be_.template alloc<float>(n_);
    sp.difference = be_.template alloc<float>(n_);
    sp.change = be_.template alloc<std::uint8_t>(n_);
    be_.fill(sp.change, std::uint8_t{0});
    be_.fill(sp.magnitude, -1.0f);
    if (!ref_ready) return;
    auto covalid = be_.template alloc<std::uint8_t>(n_);
    auto raw = be_.template alloc<float>(n_);
    be_.for_each(n_, and_fn{sp.valid.data(), ref_valid_.data(), covalid.data()});
    const matched_reference m = match_blur(sp, covalid);
    const bool tolerance = p_.tolerance_px > 0;
    be_.for_each(n_, change_magnitude_fn{{sp.bands.data(), w, h, nb},
                                         {m.bands, w, h, nb},
                                         tolerance ? ref_lo_.data() : nullptr,
                                         tolerance ? ref_hi_.data() : nullptr,
                                         weights_.data(),
                                         covalid.data(),
                                         sp.magnitude.data(),
                                         sp.difference.data(),
                                         raw.data()});
    // method mad: IR-MAD's statistic decides which pixels changed; the plain magnitude
    // stays what objects are measured with (peak cut, mean_change: reflectance)
    buffer<float> decisive;
    if (p_.method == change_method::mad) {
      auto mad_mag = be_.template alloc<float>(n_);
      auto mad_raw = be_.template alloc<float>(n_);
      if (mad_magnitude(sp.bands.data(), m.bands, covalid, mad_mag, mad_raw)) {
        decisive = std::move(mad_mag);
        raw = std::move(mad_raw);
        r.mad_fitted = true;
      }
    }
    const buffer<float>& decide = decisive.size() != 0 ? decisive : sp.magnitude;
    r.threshold = change_threshold(raw);
    be_.for_each(n_,
                 threshold_fn{decide.data(), static_cast<float>(r.threshold), sp.change.data()});
    if (want_rasters && decisive.size() != 0) r.magnitude = be_.to_host(decisive);
    r.has_reference = true;
    r.reference = reference_text();
  }

  // One class zone: observability, change stats, and its objects where it can have them.
  engine_class_result class_result(std::size_t c, scene_planes& sp, bool ref_ready) {
    const engine_class& cls = p_.classes[c];
    engine_class_result cr;
    const auto zc = chunked_sum<3>(
        be_, n_,
        zone_count_fn{zones_[c].data(), sp.valid.data(), ref_ready ? sp.change.data() : nullptr});
    cr.zone_px = static_cast<long long>(zc[0]);
    cr.valid_px = static_cast<long long>(zc[1]);
    cr.changed_px = static_cast<long long>(zc[2]);
    cr.observable =
        cr.zone_px > 0 && static_cast<double>(cr.valid_px) / cr.zone_px >= p_.min_valid_fraction;
    cr.has_change = cr.observable && ref_ready;
    if (!(cr.observable && cls.counts && (cls.local || ref_ready))) return cr;
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
        land_body(be_, frame(), cls.body_radius_px, sp.valid, sp.water, scene_land);
        body = scene_land.data();
      }
      local_evidence(be_, frame(), cls, p_.k, zones_[c], sp.valid, sp.brightness, sp.water, body,
                     inside, evidence);
      if (cls.on_water) context.water = sp.water.data();
      if (ref_ready && !cls.count_static) context.static_mask = reference_objects(c);
    } else {
      be_.for_each(n_, and_fn{zones_[c].data(), sp.valid.data(), inside.data()});
      be_.for_each(n_, reference_evidence_fn{sp.change.data(), sp.difference.data(), cls.pol,
                                             evidence.data()});
      if (cls.peak_radius_px > 0)  // each object as wide as its own contrast (background.cuh)
        peak_cut(be_, p_.width, p_.height, cls.peak_radius_px, sp.magnitude.data(),
                 evidence.data());
    }
    count_objects(be_, frame(), cls, inside, evidence, ref_ready ? sp.magnitude.data() : nullptr,
                  context, cr);
    cr.has_counts = true;
    return cr;
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

  grid_frame frame() const { return {p_.width, p_.height, p_.bands}; }

  index_t count_nonzero(const buffer<std::uint8_t>& m) const {
    return static_cast<index_t>(
        thrust::count_if(be_.policy(), m.data(), m.data() + n_, nonzero_byte{}));
  }

  // IR-MAD (mad.cuh): the transform fitted on the pixels valid in both (on large grids the
  // normalisation's stride-2 lattice), reweighted by each pixel's probability of no change
  // until the canonical correlations settle; then the statistic's magnitude (100 x sqrt(Z))
  // at the offset within the registration tolerance that explains most (one for all
  // variates: mad_magnitude_fn), and its raw form at the pixel itself for the thresholds.
  // Every band takes part with the same standing: `[bands]` weights do not apply. False when it
  // cannot be fitted: more than mad_max_bands bands, too few pixels, a singular covariance (a
  // constant band).
  bool mad_magnitude(const float* bands, const float* ref_bands,
                     const buffer<std::uint8_t>& covalid, buffer<float>& magnitude,
                     buffer<float>& raw) {
    const int nb = p_.bands, w = p_.width, h = p_.height;
    if (nb > mad_max_bands) return false;
    planar_view<const float> sv{bands, w, h, nb}, rv{ref_bands, w, h, nb};
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

  // The reference that is differenced (blur_match.cuh): when [change] blur = "match", brought
  // to the scene's sharpness (blurred where it is sharper, sharpened where it is blurrier),
  // for this scene alone; else the reference itself. Either way ref_lo_ and ref_hi_ hold its
  // range within tolerance on return: the adjusted reference's range is written over the
  // cached one, which is then stale (the planes serve one scene at a time).
  struct matched_reference {
    const float* bands;
    buffer<float> store;  // the adjusted reference, when there is one
  };

  matched_reference match_blur(const scene_planes& sp, const buffer<std::uint8_t>& covalid) {
    const int nb = p_.bands, w = p_.width, h = p_.height;
    const bool tolerance = p_.tolerance_px > 0;
    matched_reference m{ref_bands_.data(), {}};
    std::optional<blur_step> step;
    if (p_.blur == blur_rule::match) {
      auto scene_brightness = be_.template alloc<float>(n_);
      be_.for_each(n_, brightness_fn{{sp.bands.data(), w, h, nb},
                                     weights_.data(),
                                     sp.valid.data(),
                                     scene_brightness.data()});
      step = fit_blur_match(be_, w, h, scene_brightness.data(), reference_brightness(),
                            covalid.data());
    }
    if (!step || step->none()) {
      if (tolerance && envelope_stale_) update_envelope();
      return m;
    }
    m.store = be_.template alloc<float>(nb * n_);
    be_.for_each_2d(
        w, h,
        blur_apply_fn{
            {ref_bands_.data(), w, h, nb}, ref_valid_.data(), *step, {m.store.data(), w, h, nb}});
    m.bands = m.store.data();
    if (tolerance) {
      envelope_of(m.bands, ref_lo_.data(), ref_hi_.data());
      envelope_stale_ = true;
    }
    return m;
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
    reference_brightness();
    if (has_water_class_ && ref_water_.size() == 0) {
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
        land_body(be_, frame(), cls.body_radius_px, ref_valid_, ref_water_, body);
      }
      local_evidence(be_, frame(), cls, p_.k, zones_[c], ref_valid_, ref_brightness_, ref_water_,
                     cls.on_water ? body.data() : nullptr, candidates, ref_evidence_[c]);
    }
    return ref_evidence_[c].data();
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

  // The reference's brightness, once per reference update.
  const float* reference_brightness() {
    if (ref_brightness_.size() == 0) {
      ref_brightness_ = be_.template alloc<float>(n_);
      be_.for_each(n_, brightness_fn{{ref_bands_.data(), p_.width, p_.height, p_.bands},
                                     weights_.data(),
                                     ref_valid_.data(),
                                     ref_brightness_.data()});
    }
    return ref_brightness_.data();
  }

  // The reference's range within the registration tolerance (change.cuh).
  void update_envelope() {
    envelope_of(ref_bands_.data(), ref_lo_.data(), ref_hi_.data());
    envelope_stale_ = false;
  }

  // The range within the registration tolerance of reference-shaped bands `ref`.
  void envelope_of(const float* ref, float* lo, float* hi) {
    const int nb = p_.bands, w = p_.width, h = p_.height;
    be_.for_each_2d(
        w, h,
        reference_envelope_fn{{ref, w, h, nb},
                              ref_valid_.data(),
                              make_envelope_offsets(static_cast<float>(p_.tolerance_px)),
                              {lo, w, h, nb},
                              {hi, w, h, nb}});
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
  // ref_lo_, ref_hi_ not the reference's range (older than it, or a blur-matched one's)
  bool envelope_stale_ = true;
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
