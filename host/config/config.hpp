// The run configuration (SPEC 1.3): a TOML file, every key optional, unknown keys an error.
// `sitewatch config --defaults` prints default_config_toml(); docs/CONFIG.md explains the keys.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kernels/choices.hpp"

namespace sw {

// The choices the kernels act on are the kernels' own types (kernels/choices.hpp): a config
// value goes to the engine as it is.
using reference_strategy = kern::reference_kind;
using threshold_rule = kern::threshold_kind;
using change_rule = kern::change_method;
using blur_rule = kern::blur_rule;
using polarity = kern::object_polarity;
// Choices the host acts on (how objects are found and counted is set per class by the
// host in engine_class fields).
enum class background_model { reference, local };
enum class split_rule { length, none };
enum class placement { anywhere, water };
enum class static_rule { exclude, count };

// One object class ([classes.NAME]). Sizes in metres and square metres.
struct class_config {
  std::string name;
  double length_m = 14.6;  // nominal object length (split = length divides by it)
  double width_m = 3.2;    // nominal object width (sets the local-background window)
  polarity object_polarity = polarity::any;
  background_model background = background_model::reference;
  double min_area_m2 = 25.0;
  double max_area_m2 = 20000.0;
  split_rule split = split_rule::length;
  int open_px = 0;   // radius of the opening (removes specks) before labelling; 0 = none
  int close_px = 1;  // radius of the closing (bridges gaps) before labelling; 0 = none
  // Local classes: an object pixel stands out from the ring of its own background by more
  // than contrast_k standard deviations (kernels/cfar.cuh).
  double contrast_k = 6.0;
  // ... and by at least this much brightness (reflectance x10000; 0: no minimum beyond the
  // built-in 100): sun glint and waves stand out from calm water by a few standard
  // deviations but little reflectance, ships by a lot.
  double min_contrast = 0.0;
  // Local classes: objects only on water found in each scene (a ship alongside a quay counts).
  placement on = placement::anywhere;
  // Local classes: objects also present at the same place in the reference (a moored hulk, a
  // crane) are not counted unless `count`.
  static_rule static_objects = static_rule::exclude;
  double max_length_m = 0.0;    // longer components are dropped; 0 = no limit
  double max_width_m = 0.0;     // wider components are dropped; 0 = no limit
  double min_elongation = 0.0;  // components with length / width below this are dropped

  bool operator==(const class_config&) const = default;
};

struct reference_config {
  reference_strategy strategy = reference_strategy::median;
  int window = 7;        // scenes in the median, 1..31 (not used by archive)
  int min_scenes = 3;    // observable scenes needed before the reference is used
  std::string date;      // for fixed: YYYY-MM-DD, the observable scene nearest this date
  std::string scene_id;  // for fixed: this scene (takes precedence over date)

  bool operator==(const reference_config&) const = default;
};

struct change_config {
  // What decides which pixels changed: the plain change vector of the normalised bands, or
  // IR-MAD's chi-square statistic (kernels/mad.cuh).
  change_rule method = change_rule::cva;
  threshold_rule threshold = threshold_rule::kmad;
  double k = 4.0;        // kmad: median + k * 1.4826 * MAD of the magnitude
  double value = 800.0;  // fixed: threshold in reflectance x10000
  // Residual misregistration (px) a difference must survive: a pixel is changed only as far
  // as it differs from the reference at every position within this distance
  // (kernels/change.cuh). 0 turns it off.
  double edge_tolerance_px = 0.5;
  // match: before differencing, the reference is blurred or sharpened, per direction, to
  // the scene's sharpness by a step fitted on the pair (kernels/blur_match.cuh).
  blur_rule blur = blur_rule::match;

  bool operator==(const change_config&) const = default;
};

struct coregistration_config {
  int search_radius_px = 4;  // 0 turns co-registration off

  bool operator==(const coregistration_config&) const = default;
};

struct anomaly_config {
  int window = 20;      // previous observable rows the robust z-score looks at
  double z = 4.0;       // |z| above this flags an anomaly
  int min_history = 5;  // fewer previous observable rows: anomaly is NULL

  bool operator==(const anomaly_config&) const = default;
};

struct config {
  double gsd_m = 3.0;               // site grid pixel size where the catalog gives none
  double min_valid_fraction = 0.5;  // a zone with less clear coverage is not observable
  double grid_margin_m = 60.0;      // margin around the zones' bounding box in the site grid
  // [bands]: band name -> weight in the change magnitude, in file order of the TOML.
  // Empty: every band of the scene, weight 1.
  std::vector<std::pair<std::string, double>> band_weights;
  reference_config reference;
  change_config change;
  coregistration_config coregistration;
  anomaly_config anomaly;
  std::map<std::string, class_config> classes;  // by name

  // The canonical TOML text of this configuration (every key, defaults filled in), the
  // text stored in the `runs` table and hashed for --resume.
  std::string canonical_toml() const;

  // Field by field; equal configs have equal canonical_toml() and the other way round.
  bool operator==(const config&) const = default;
};

// The built-in configuration: the defaults above plus the classes railcar, ship and
// container_stack.
config default_config();

// cfg as commented TOML: every key, its value, a one-line comment. Parsing it gives cfg.
std::string config_text(const config& cfg);

// The text `sitewatch config --defaults` prints: config_text(default_config()).
std::string default_config_toml();

// Parses and validates a config file. Keys missing from the file take their defaults; a
// file with any [classes.*] table replaces the built-in class set. Throws sw::input_error
// naming the file, the key (e.g. "classes.railcar.length_m") and what is wrong.
config load_config(const std::string& path);

// Same, from text; `origin` names the source in messages.
config parse_config(const std::string& toml_text, const std::string& origin);

// Every key of the format as a dotted path ("gsd_m", "reference.window",
// "classes.NAME.length_m"), from the schema that drives the reader and the writer; a test
// holds docs/CONFIG.md to it. [bands] has no fixed keys and is not listed.
std::vector<std::string> config_key_paths();

std::string to_string(reference_strategy v);
std::string to_string(threshold_rule v);
std::string to_string(change_rule v);
std::string to_string(blur_rule v);
std::string to_string(polarity v);
std::string to_string(background_model v);
std::string to_string(split_rule v);
std::string to_string(placement v);
std::string to_string(static_rule v);

}  // namespace sw
