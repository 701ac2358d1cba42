// The per-site compute engine, as the host sees it: plain structs in and out, the backend
// hidden behind a small interface so that host code does not compile kernel templates.
// The implementation is kernels/site_engine.hpp (one template over the backend).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <memory_resource>
#include <string>
#include <vector>

#include "kernels/background.cuh"
#include "kernels/choices.hpp"

namespace sw::kern {

// What is counted in one zone class of a site.
struct engine_class {
  std::string name;    // "change" for a change-only zone
  bool counts = true;  // false for "change"
  bool local = false;  // background = local
  object_polarity pol = object_polarity::any;
  // Local classes: the contrast test (cfar.cuh), half-widths of its guard and outer squares
  // and its threshold in standard deviations.
  int guard_px = 1;
  int outer_px = 2;
  double contrast_k = 6.0;
  double min_contrast = 0;  // ... and by at least this much brightness (0: local_min_contrast)
  // Local classes: objects only on the scene's water (water.cuh); land wider than
  // 2 * body_radius_px + 1 px is land, narrower non-water (a ship alongside, a pier) may
  // hold objects.
  bool on_water = false;
  int body_radius_px = 1;
  bool count_static = false;  // local classes: count objects also in the reference
  int open_px = 0;
  int close_px = 0;
  double min_area_px = 0;
  double max_area_px = 1e300;
  double min_width_px = 0;         // narrower components are slivers, not objects
  double min_fill = 0;             // area / (length * width) below this: not a solid object
  double max_length_px = 0;        // > 0: longer components are dropped
  double max_width_px = 0;         // > 0: wider components are dropped
  double min_elongation = 0;       // length / width below this: dropped
  double split_length_px = 0;      // > 0: a component counts round(length / this)
  int peak_radius_px = 0;          // reference classes, > 0: evidence cut relative to its peak
  std::vector<std::uint8_t> zone;  // union of the class's zones, one byte per grid pixel
};

struct engine_params {
  int width = 0;
  int height = 0;
  int bands = 0;
  std::vector<float> weights;  // one per band
  int water_band = -1;         // the band water is found in (nir), -1: the brightness
  change_method method = change_method::cva;
  threshold_kind threshold = threshold_kind::kmad;
  double k = 4.0;
  double fixed_threshold = 800.0;
  int search_radius_px = 4;
  // Residual misregistration (px) a difference must survive (reference_envelope_fn).
  double tolerance_px = 0.5;
  // match: the reference blurred or sharpened to the scene's sharpness first.
  blur_rule blur = blur_rule::match;
  reference_kind reference = reference_kind::median;
  int window = 7;  // median: the last `window` members; archive: up to `window` members
  // The reference's per-pixel quantile of its members (median: 0.5; archive: by polarity).
  float reference_quantile = 0.5f;
  int min_scenes = 3;
  double min_valid_fraction = 0.5;
  std::vector<engine_class> classes;
};

// One warped scene on the site grid, in host memory the caller owns.
struct engine_scene {
  std::string id;
  const float* bands = nullptr;         // `bands` planes, reflectance x10000
  const std::uint8_t* alpha = nullptr;  // coverage 0..255
  const std::uint8_t* udm2 = nullptr;   // 8 planes, or nullptr
};

// One counted component, in site-grid pixels (x = column, y = row, pixel centres at
// integer coordinates).
struct engine_component {
  double area_px = 0;
  double cx = 0, cy = 0;
  double theta = 0;  // major axis angle, image coordinates, radians
  double length_px = 0, width_px = 0;
  double u_min = 0, u_max = 0, v_min = 0, v_max = 0;  // oriented box around (cx, cy)
  double mean_change = std::numeric_limits<double>::quiet_NaN();
  int est_count = 1;
};

struct engine_class_result {
  long long zone_px = 0;
  long long valid_px = 0;
  long long changed_px = 0;
  bool observable = false;
  bool has_counts = false;  // counts can be given (observable and a background exists)
  bool has_change = false;  // change stats can be given (observable and a reference)
  int count = 0;
  int components = 0;
  std::vector<engine_component> detections;
};

// Wall time of the engine's steps for one scene, seconds (host clock; on CUDA a step ends
// at its last synchronisation, so the split is approximate there).
struct engine_step_times {
  double upload_valid = 0;  // upload + valid mask
  double coregister = 0;
  double normalise = 0;
  double change = 0;     // magnitude + threshold
  double objects = 0;    // evidence, morphology, labelling, measurement, per class
  double download = 0;   // rasters for --rasters
  double reference = 0;  // reference update
  engine_step_times& operator+=(const engine_step_times& o) {
    upload_valid += o.upload_valid;
    coregister += o.coregister;
    normalise += o.normalise;
    change += o.change;
    objects += o.objects;
    download += o.download;
    reference += o.reference;
    return *this;
  }
};

struct engine_result {
  double grid_valid_fraction = 0;
  bool site_observable = false;  // the union of the zones is valid enough: joins the reference
  bool has_reference = false;    // a reference was used for change
  std::string reference;         // what it was, e.g. "median:id1+id2+id3"
  bool has_shift = false;
  double shift_x = 0, shift_y = 0;
  double threshold = -1;    // change threshold used, in the magnitude's unit (reflectance
                            // x10000; method mad: 100 x sqrt(chi2), mad.cuh)
  bool mad_fitted = false;  // method mad: the transform could be fitted (else: the plain vector)
  std::vector<engine_class_result> classes;  // parallel to engine_params::classes
  bool joined_reference = false;             // this scene became a reference member
  engine_step_times times;
  // Filled when asked (--rasters): the magnitude the threshold applied to (-1 where not
  // comparable), change mask, valid.
  std::vector<float> magnitude;
  std::vector<std::uint8_t> change_mask;
  std::vector<std::uint8_t> valid;
};

class engine {
 public:
  virtual ~engine() = default;
  virtual const engine_params& params() const = 0;
  // Reference members held now.
  virtual int members() const = 0;
  // Processes the next scene of the site (scenes come in time order). `join_reference`:
  // whether this scene joins the reference if the site is observable in it (false under
  // strategy fixed, except for the fixed scene). `want_rasters`: fill the raster fields.
  virtual engine_result process(const engine_scene& s, bool join_reference, bool want_rasters) = 0;
  // Strategy archive, first pass (the host picks the members, then counts every scene
  // against them with process(s, false, ...)):
  // whether the site is observable in the scene (step 3 only);
  virtual bool observable(const engine_scene& s) = 0;
  // the scene joins the reference (co-registered and normalised to it first, steps 3-5
  // and 9; no change, no objects) if the site is observable in it; returns whether it did.
  virtual bool learn(const engine_scene& s) = 0;
  // Where the host should allocate the scenes it hands to process(): the heap for the CPU,
  // pooled page-locked memory for CUDA. Thread-safe; lives as long as the engine.
  virtual std::pmr::memory_resource* host_memory() { return std::pmr::get_default_resource(); }
};

// The CPU engine (oneTBB; `threads` is governed by the caller's task arena).
std::unique_ptr<engine> make_cpu_engine(engine_params params);

// The serial engine: one thread, the device's per-element forms and generic launchers on
// the host (kernels/serial/backend.hpp). For tests: what the CUDA engine computes, where
// there is no GPU.
std::unique_ptr<engine> make_serial_engine(engine_params params);

// The CUDA engine on device `device`, or nullptr in a build without CUDA.
std::unique_ptr<engine> make_cuda_engine(engine_params params, int device);

// CUDA devices visible to this process (0 in a build without CUDA or without a driver).
int cuda_device_count();
// One line per device: name, memory, compute capability.
std::vector<std::string> cuda_device_descriptions();

}  // namespace sw::kern
