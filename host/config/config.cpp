#include "host/config/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>
#include <tuple>
#include <variant>

#include <toml++/toml.h>

#include "host/common/error.hpp"
#include "host/io/planet_names.hpp"
#include "kernels/reference.cuh"

namespace sw {

namespace {

// ---- enum names ---------------------------------------------------------------------------
// One table per enum, so parsing, printing and the "allowed:" lists cannot drift apart.

template <class E, std::size_t N = 3>
using enum_names = std::array<std::pair<E, std::string_view>, N>;

constexpr enum_names<reference_strategy, 4> k_strategy_names{
    {{reference_strategy::previous, "previous"},
     {reference_strategy::median, "median"},
     {reference_strategy::fixed, "fixed"},
     {reference_strategy::archive, "archive"}}};
constexpr enum_names<threshold_rule> k_threshold_names{{{threshold_rule::fixed, "fixed"},
                                                        {threshold_rule::kmad, "kmad"},
                                                        {threshold_rule::otsu, "otsu"}}};
constexpr enum_names<change_rule, 2> k_change_method_names{
    {{change_rule::cva, "cva"}, {change_rule::mad, "mad"}}};
constexpr enum_names<blur_rule, 2> k_blur_names{
    {{blur_rule::match, "match"}, {blur_rule::off, "off"}}};
constexpr enum_names<polarity> k_polarity_names{
    {{polarity::brighter, "brighter"}, {polarity::darker, "darker"}, {polarity::any, "any"}}};
constexpr enum_names<background_model, 2> k_background_names{
    {{background_model::reference, "reference"}, {background_model::local, "local"}}};
constexpr enum_names<split_rule, 2> k_split_names{
    {{split_rule::length, "length"}, {split_rule::none, "none"}}};
constexpr enum_names<placement, 2> k_placement_names{
    {{placement::anywhere, "anywhere"}, {placement::water, "water"}}};
constexpr enum_names<static_rule, 2> k_static_names{
    {{static_rule::exclude, "exclude"}, {static_rule::count, "count"}}};

template <class E, std::size_t N>
std::string enum_name(const std::array<std::pair<E, std::string_view>, N>& names, E v) {
  for (const auto& [e, s] : names)
    if (e == v) return std::string(s);
  return "?";
}

// ---- text helpers -------------------------------------------------------------------------

// Levenshtein distance, for the did-you-mean hints.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The closest candidate, or "" when none is close enough to be a plausible typo. The bound
// is generous (half the longer word) because "tresh" for "threshold" should still be caught.
std::string closest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  for (const auto c : candidates) {
    const std::size_t d = edit_distance(word, c);
    const std::size_t bound = std::max<std::size_t>(2, std::max(word.size(), c.size()) / 2);
    if (d <= bound && d < best_d) {
      best_d = d;
      best = std::string(c);
    }
  }
  return best;
}

std::string join(const std::vector<std::string_view>& v, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

// Shortest text that reads back to the same double (fmt's "{}"), always with a '.' or an
// exponent so that TOML reads it as a float.
std::string format_double(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // 'n': inf/nan never get here
  return s;
}

// A TOML basic string with the escapes TOML requires.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f)
          out += fmt::format("\\u{:04X}", static_cast<unsigned>(c));
        else
          out += ch;
    }
  }
  return out + "\"";
}

// A key as TOML writes it: bare where it can be, quoted otherwise.
std::string toml_key(std::string_view k) {
  const bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
  return bare ? std::string(k) : quote(k);
}

std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

// The value as the user wrote it (near enough), for messages.
std::string show(const toml::node& n) {
  if (auto s = n.as_string()) return quote(s->get());
  if (auto i = n.as_integer()) return fmt::format("{}", i->get());
  if (auto f = n.as_floating_point()) return fmt::format("{}", f->get());
  if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
  std::ostringstream os;
  if (auto d = n.as_date()) os << d->get();
  return os.str();
}

bool valid_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  const int y = std::stoi(std::string(s.substr(0, 4)));
  const unsigned m = static_cast<unsigned>(std::stoi(std::string(s.substr(5, 2))));
  const unsigned d = static_cast<unsigned>(std::stoi(std::string(s.substr(8, 2))));
  return std::chrono::year_month_day(std::chrono::year(y), std::chrono::month(m),
                                     std::chrono::day(d))
      .ok();
}

bool valid_class_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// ---- the schema ---------------------------------------------------------------------------
// One table of keys per section drives the unknown-key check, the reader (types, ranges,
// enum names), the writer (canonical text and `config --defaults`) and config_key_paths()
// (which a test holds docs/CONFIG.md to). Adding a key: one row here, plus its use.

// Allowed values of a float key: lo < v (lo_open) or lo <= v, and v <= hi.
struct num_range {
  double lo;
  bool lo_open;
  double hi;
};
constexpr double k_inf = std::numeric_limits<double>::infinity();
constexpr num_range k_positive{0.0, true, k_inf};
constexpr num_range k_non_negative{0.0, false, k_inf};

// An enum member, seen through its names table so that one key_spec type holds them all.
template <class S>
struct enum_member {
  std::string (*get)(const S&);
  bool (*set)(S&, std::string_view);  // false: not a name of the enum
  std::vector<std::string_view> (*names)();
};

template <class T>
struct member_of;
template <class S, class T>
struct member_of<T S::*> {
  using owner = S;
};

template <auto Member, const auto& Names>
enum_member<typename member_of<decltype(Member)>::owner> enum_of() {
  using S = typename member_of<decltype(Member)>::owner;
  return {[](const S& s) { return enum_name(Names, s.*Member); },
          [](S& s, std::string_view text) {
            for (const auto& [e, n] : Names)
              if (n == text) {
                s.*Member = e;
                return true;
              }
            return false;
          },
          [] {
            std::vector<std::string_view> v;
            for (const auto& [e, n] : Names) v.push_back(n);
            return v;
          }};
}

// A date key: a "YYYY-MM-DD" string ("" = unset) or a TOML date.
template <class S>
struct date_member {
  std::string S::*m;
};

template <class S>
struct key_spec {
  std::string_view key;
  std::variant<double S::*, int S::*, std::string S::*, date_member<S>, enum_member<S>> member;
  num_range range{};           // float keys: allowed values; integer keys: lo..hi
  std::string_view allowed{};  // float keys: the range in words, as messages print it
  std::string_view comment{};  // the one-line comment of `config --defaults`
  std::string_view example{};  // string keys: written commented out when unset (--defaults)
};

template <class S>
key_spec<S> real(std::string_view key, double S::*m, num_range r, std::string_view allowed,
                 std::string_view comment) {
  return {key, m, r, allowed, comment};
}
template <class S>
key_spec<S> integer(std::string_view key, int S::*m, long long lo, long long hi,
                    std::string_view comment) {
  return {key, m, {static_cast<double>(lo), false, static_cast<double>(hi)}, {}, comment};
}
template <class S>
key_spec<S> text(std::string_view key, std::string S::*m, std::string_view comment,
                 std::string_view example) {
  return {key, m, {}, {}, comment, example};
}
template <class S>
key_spec<S> date(std::string_view key, std::string S::*m, std::string_view comment,
                 std::string_view example) {
  return {key, date_member<S>{m}, {}, {}, comment, example};
}
template <class S>
key_spec<S> choice(std::string_view key, enum_member<S> e, std::string_view comment) {
  return {key, e, {}, {}, comment};
}

// Rows in canonical order: the order of the canonical text, which is hashed for --resume.
const std::vector<key_spec<config>> k_top_schema = {
    real("gsd_m", &config::gsd_m, k_positive, "> 0",
         "site grid pixel size (m) where the catalog gives none"),
    real("min_valid_fraction", &config::min_valid_fraction, {0.0, false, 1.0}, "0..1",
         "a zone with less clear coverage is not observable"),
    real("grid_margin_m", &config::grid_margin_m, k_non_negative, ">= 0",
         "margin (m) around a site's zones in its grid"),
};

const std::vector<key_spec<reference_config>> k_reference_schema = {
    choice("strategy", enum_of<&reference_config::strategy, k_strategy_names>(),
           "previous | median | fixed | archive"),
    integer("window", &reference_config::window, 1, kern::max_reference_members,
            "scenes in the median, 1..31 (archive: not used)"),
    integer("min_scenes", &reference_config::min_scenes, 1, std::numeric_limits<int>::max(),
            "observable scenes needed before the reference is used"),
    date("date", &reference_config::date, "for fixed: the scene nearest this date (YYYY-MM-DD)",
         "2023-08-15"),
    text("scene_id", &reference_config::scene_id, "for fixed: this scene (wins over date)",
         "20230815_013512_59_247d"),
};

const std::vector<key_spec<change_config>> k_change_schema = {
    choice("method", enum_of<&change_config::method, k_change_method_names>(),
           "cva (change vector of the normalised bands) | mad (IR-MAD's chi-square statistic)"),
    choice("threshold", enum_of<&change_config::threshold, k_threshold_names>(),
           "fixed | kmad | otsu"),
    real("k", &change_config::k, k_positive, "> 0",
         "for kmad: median + k * 1.4826 * MAD of the magnitude"),
    real("value", &change_config::value, k_positive, "> 0",
         "for fixed: threshold in reflectance x10000 (mad: in 100 x sqrt(chi2))"),
    real("edge_tolerance_px", &change_config::edge_tolerance_px, {0.0, false, 4.0},
         "between 0 and 4", "residual misregistration (px) a difference must survive (0: off)"),
    choice("blur", enum_of<&change_config::blur, k_blur_names>(),
           "match (the reference blurred or sharpened to the scene's sharpness) | off"),
};

const std::vector<key_spec<coregistration_config>> k_coregistration_schema = {
    integer("search_radius_px", &coregistration_config::search_radius_px, 0, 32,
            "0 turns co-registration off (0..32)"),
};

const std::vector<key_spec<anomaly_config>> k_anomaly_schema = {
    integer("window", &anomaly_config::window, 2, 100000,
            "previous observable rows the z-score looks at"),
    real("z", &anomaly_config::z, k_positive, "> 0", "|robust z| above this flags an anomaly"),
    integer("min_history", &anomaly_config::min_history, 1, 100000,
            "fewer previous observable rows: anomaly is empty"),
};

const std::vector<key_spec<class_config>> k_class_schema = {
    real("length_m", &class_config::length_m, k_positive, "> 0", "nominal object length (m)"),
    real("width_m", &class_config::width_m, k_positive, "> 0", "nominal object width (m)"),
    choice("polarity", enum_of<&class_config::object_polarity, k_polarity_names>(),
           "brighter | darker | any, relative to the background"),
    choice("background", enum_of<&class_config::background, k_background_names>(),
           "reference | local"),
    real("min_area_m2", &class_config::min_area_m2, k_non_negative, ">= 0",
         "smaller components are dropped"),
    real("max_area_m2", &class_config::max_area_m2, k_positive, "> 0",
         "larger components are dropped"),
    choice("split", enum_of<&class_config::split, k_split_names>(),
           "length: a component counts round(length / length_m); none: 1"),
    integer("open_px", &class_config::open_px, 0, 32,
            "opening radius (px) before labelling; 0 = none"),
    integer("close_px", &class_config::close_px, 0, 32,
            "closing radius (px) before labelling; 0 = none"),
    real("contrast_k", &class_config::contrast_k, k_positive, "> 0",
         "local: object vs the ring of its own background, in standard deviations"),
    real("min_contrast", &class_config::min_contrast, k_non_negative, ">= 0 (0: no minimum)",
         "local: and by at least this much brightness (reflectance x10000); 0 = no minimum"),
    choice("on", enum_of<&class_config::on, k_placement_names>(),
           "anywhere | water: local objects only on water"),
    choice("static_objects", enum_of<&class_config::static_objects, k_static_names>(),
           "exclude | count: local objects also in the reference at the same place"),
    real("max_length_m", &class_config::max_length_m, k_non_negative, ">= 0 (0: no limit)",
         "longer components are dropped; 0 = no limit"),
    real("max_width_m", &class_config::max_width_m, k_non_negative, ">= 0 (0: no limit)",
         "wider components are dropped; 0 = no limit"),
    real("min_elongation", &class_config::min_elongation, k_non_negative, ">= 0 (0: no limit)",
         "components with length / width below this are dropped; 0 = none"),
};

// The class keys in the orders the reader used before the schema: it read `split` before
// the area keys, and it offered did-you-mean candidates in the second order (closest() gives
// a tie to the first candidate). Following them keeps every message as it was. Keys not
// listed (new ones) follow in schema order, so a new key need not be added here.
constexpr std::array<std::string_view, 16> k_class_legacy_read_order = {
    "length_m",       "width_m",      "polarity",    "background",    "split",        "min_area_m2",
    "max_area_m2",    "open_px",      "close_px",    "contrast_k",    "min_contrast", "on",
    "static_objects", "max_length_m", "max_width_m", "min_elongation"};
constexpr std::array<std::string_view, 16> k_class_legacy_hint_order = {
    "length_m",     "min_area_m2", "max_area_m2",    "width_m",     "polarity", "background",
    "split",        "open_px",     "close_px",       "contrast_k",  "on",       "static_objects",
    "max_length_m", "max_width_m", "min_elongation", "min_contrast"};

// The rows of `schema`, those named in `first` first (in that order), then the rest.
template <class S, std::size_t N>
std::vector<const key_spec<S>*> ordered(const std::vector<key_spec<S>>& schema,
                                        const std::array<std::string_view, N>& first) {
  std::vector<const key_spec<S>*> out;
  for (const auto name : first)
    for (const auto& k : schema)
      if (k.key == name) out.push_back(&k);
  for (const auto& k : schema)
    if (std::find(first.begin(), first.end(), k.key) == first.end()) out.push_back(&k);
  return out;
}

template <class S>
std::vector<std::string_view> key_names(const std::vector<const key_spec<S>*>& keys) {
  std::vector<std::string_view> out;
  for (const auto* k : keys) out.push_back(k->key);
  return out;
}
template <class S>
std::vector<std::string_view> key_names(const std::vector<key_spec<S>>& schema) {
  std::vector<std::string_view> out;
  for (const auto& k : schema) out.push_back(k.key);
  return out;
}

class reader;

// Rules across keys of a section, checked after its keys are read.
void check_reference(reader& r, const toml::table& t, const reference_config& c);
void check_anomaly(reader& r, const toml::table& t, const anomaly_config& c);

// A [NAME] table of plain keys, mapped to one member struct of config.
template <class S>
struct section {
  std::string_view name;
  S config::*member;
  const std::vector<key_spec<S>>& keys;
  void (*check)(reader&, const toml::table&, const S&);  // null: no cross-key rules
};

// The fixed sections in file order; [bands] comes before them and [classes] after.
const auto k_sections = std::make_tuple(
    section<reference_config>{"reference", &config::reference, k_reference_schema, check_reference},
    section<change_config>{"change", &config::change, k_change_schema, nullptr},
    section<coregistration_config>{"coregistration", &config::coregistration,
                                   k_coregistration_schema, nullptr},
    section<anomaly_config>{"anomaly", &config::anomaly, k_anomaly_schema, check_anomaly});

// Calls f(section) for each of k_sections, in order.
template <class F>
void for_each_section(F&& f) {
  std::apply([&](const auto&... s) { (f(s), ...); }, k_sections);
}

// The keys allowed at the top level: the plain keys, then the tables.
const std::vector<std::string_view>& top_keys() {
  static const std::vector<std::string_view> keys = [] {
    std::vector<std::string_view> v = key_names(k_top_schema);
    v.push_back("bands");
    for_each_section([&](const auto& s) { v.push_back(s.name); });
    v.push_back("classes");
    return v;
  }();
  return keys;
}

const std::vector<std::string_view>& class_keys() {
  static const std::vector<std::string_view> keys =
      key_names(ordered(k_class_schema, k_class_legacy_hint_order));
  return keys;
}

// Tables with fixed keys ("" = the top level), for pointing a key in the wrong table to its
// place.
const std::vector<std::pair<std::string_view, std::vector<std::string_view>>>& known_tables() {
  static const auto tables = [] {
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> v;
    v.emplace_back("", top_keys());
    for_each_section([&](const auto& s) { v.emplace_back(s.name, key_names(s.keys)); });
    return v;
  }();
  return tables;
}

// ---- the reader ---------------------------------------------------------------------------

// Reads values out of a parsed document and collects every problem, so that one run of
// `sitewatch` shows the user all the mistakes of the file at once.
class reader {
 public:
  explicit reader(std::string origin) : origin_(std::move(origin)) {}

  void error(const toml::node* where, const std::string& what) {
    const auto line = where ? where->source().begin.line : 0;
    if (line > 0)
      errors_.push_back(fmt::format("{}: {} (line {})", origin_, what, line));
    else
      errors_.push_back(fmt::format("{}: {}", origin_, what));
  }

  void throw_if_errors() const {
    if (errors_.empty()) return;
    std::string msg;
    for (const auto& e : errors_) {
      if (!msg.empty()) msg += '\n';
      msg += e;
    }
    throw input_error(msg);
  }

  // Reports keys of `t` that are not in `allowed`. `prefix` is the dotted path of `t`.
  void check_keys(const toml::table& t, const std::string& prefix,
                  const std::vector<std::string_view>& allowed) {
    for (auto&& [k, v] : t) {
      const std::string_view key = k.str();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      const std::string path = join_path(prefix, key);
      std::string hint = elsewhere(key, prefix);
      if (hint.empty()) {
        const std::string near = closest(key, allowed);
        if (!near.empty()) hint = prefix.empty() ? near : prefix + "." + near;
      }
      error(&v, hint.empty() ? fmt::format("unknown key '{}'", path)
                             : fmt::format("unknown key '{}' (did you mean '{}'?)", path, hint));
    }
  }

  // The sub-table `key` of `t`, null when absent; an error when it is not a table.
  const toml::table* table(const toml::table& t, const std::string& prefix, std::string_view key) {
    const toml::node* n = t.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) {
      error(n, fmt::format("'{}' is {} ({}), expected a table", join_path(prefix, key),
                           type_name(n->type()), show(*n)));
      return nullptr;
    }
    return n->as_table();
  }

  // A float (integers accepted) in `r`, which `allowed` says in words; false when rejected.
  bool number_at(const toml::node& n, const std::string& path, double& out, const num_range& r,
                 std::string_view allowed) {
    double v;
    if (auto i = n.as_integer())
      v = static_cast<double>(i->get());
    else if (auto f = n.as_floating_point())
      v = f->get();
    else {
      error(&n,
            fmt::format("'{}' is {} ({}), expected a number", path, type_name(n.type()), show(n)));
      return false;
    }
    const bool in_range = (r.lo_open ? v > r.lo : v >= r.lo) && v <= r.hi;
    if (!std::isfinite(v) || !in_range) {
      error(&n, fmt::format("'{}' = {} is out of range (allowed: {})", path, show(n), allowed));
      return false;
    }
    out = v == 0.0 ? 0.0 : v;  // no -0.0: it would print differently from an equal 0.0
    return true;
  }

  // An integer in [lo, hi].
  void integer_at(const toml::node& n, const std::string& path, int& out, long long lo,
                  long long hi) {
    auto i = n.as_integer();
    if (!i) {
      error(&n, fmt::format("'{}' is {} ({}), expected an integer", path, type_name(n.type()),
                            show(n)));
      return;
    }
    const long long v = i->get();
    if (v < lo || v > hi) {
      const std::string allowed = hi == std::numeric_limits<int>::max()
                                      ? fmt::format(">= {}", lo)
                                      : fmt::format("{}..{}", lo, hi);
      error(&n, fmt::format("'{}' = {} is out of range (allowed: {})", path, v, allowed));
      return;
    }
    out = static_cast<int>(v);
  }

  // A string; false when it is not one.
  bool string_at(const toml::node& n, const std::string& path, std::string& out) {
    auto s = n.as_string();
    if (!s) {
      error(&n,
            fmt::format("'{}' is {} ({}), expected a string", path, type_name(n.type()), show(n)));
      return false;
    }
    out = s->get();
    return true;
  }

  // A "YYYY-MM-DD" string ("" = unset, so that canonical_toml() can write every key) or a
  // TOML date (date = 2023-08-15), which is as good as the string form.
  void date_at(const toml::node& n, const std::string& path, std::string& out) {
    if (auto d = n.as_date()) {
      out = fmt::format("{:04}-{:02}-{:02}", d->get().year, d->get().month, d->get().day);
    } else if (string_at(n, path, out)) {
      if (!out.empty() && !valid_date(out)) {
        error(&n, fmt::format("'{}' = {} is not a date (allowed: YYYY-MM-DD)", path, quote(out)));
        out.clear();
      }
    }
  }

  template <class S>
  void enum_at(const toml::node& n, const std::string& path, const enum_member<S>& e, S& s) {
    std::string text;
    if (!string_at(n, path, text) || e.set(s, text)) return;
    const std::vector<std::string_view> allowed = e.names();
    const std::string near = closest(text, allowed);
    error(&n, fmt::format("'{}' = {} is not allowed (allowed: {}){}", path, quote(text),
                          join(allowed, ", "),
                          near.empty() ? "" : fmt::format("; did you mean '{}'?", near)));
  }

  static std::string join_path(const std::string& prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
  }

 private:
  // A key put in the wrong table ("k = 4" at the top level) is best answered with the place
  // where that exact key lives.
  static std::string elsewhere(std::string_view key, const std::string& prefix) {
    if (prefix.rfind("classes.", 0) == 0) return "";
    for (const auto& [name, keys] : known_tables()) {
      if (name == prefix) continue;
      if (std::find(keys.begin(), keys.end(), key) != keys.end())
        return name.empty() ? std::string(key) : std::string(name) + "." + std::string(key);
    }
    const auto& ck = class_keys();
    if (prefix.empty() && std::find(ck.begin(), ck.end(), key) != ck.end())
      return fmt::format("classes.NAME.{}", key);
    return "";
  }

  std::string origin_;
  std::vector<std::string> errors_;
};

// Helper for std::visit over the member kinds of a key_spec.
template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>  // clang before 17 deduces no aggregate's template arguments
overloaded(F...)->overloaded<F...>;

// Reads key `k` of table `t` (if present) into `s`, checking its type and range.
template <class S>
void read_key(reader& r, const toml::table& t, const std::string& prefix, const key_spec<S>& k,
              S& s) {
  const toml::node* n = t.get(k.key);
  if (!n) return;
  const std::string path = reader::join_path(prefix, k.key);
  std::visit(overloaded{[&](double S::*m) { r.number_at(*n, path, s.*m, k.range, k.allowed); },
                        [&](int S::*m) {
                          r.integer_at(*n, path, s.*m, static_cast<long long>(k.range.lo),
                                       static_cast<long long>(k.range.hi));
                        },
                        [&](std::string S::*m) { r.string_at(*n, path, s.*m); },
                        [&](const date_member<S>& d) { r.date_at(*n, path, s.*(d.m)); },
                        [&](const enum_member<S>& e) { r.enum_at(*n, path, e, s); }},
             k.member);
}

void check_reference(reader& r, const toml::table& t, const reference_config& c) {
  // date = "" is "not set" (canonical_toml() writes it so), anything else is an attempt:
  // a bad date has been reported already and needs no second message here.
  const toml::node* d = t.get("date");
  const bool date_given = d && !(d->is_string() && d->as_string()->get().empty());
  if (c.strategy == reference_strategy::fixed && c.date.empty() && c.scene_id.empty() &&
      !date_given) {
    r.error(t.get("strategy"),
            "'reference.strategy' = \"fixed\" needs 'reference.date' (YYYY-MM-DD) or "
            "'reference.scene_id'");
  }
}

void check_anomaly(reader& r, const toml::table& t, const anomaly_config& c) {
  if (c.min_history <= c.window) return;
  const toml::node* n = t.get("min_history") ? t.get("min_history") : t.get("window");
  r.error(n ? n : &t, fmt::format("'anomaly.min_history' = {} is larger than 'anomaly.window' = {} "
                                  "(allowed: min_history <= window)",
                                  c.min_history, c.window));
}

void read_class(reader& r, const toml::table& t, const std::string& prefix, class_config& c) {
  static const auto read_order = ordered(k_class_schema, k_class_legacy_read_order);
  r.check_keys(t, prefix, class_keys());
  for (const auto* k : read_order) read_key(r, t, prefix, *k, c);
  if (c.min_area_m2 > c.max_area_m2) {
    const toml::node* n = t.get("min_area_m2") ? t.get("min_area_m2") : t.get("max_area_m2");
    r.error(n ? n : &t,
            fmt::format("'{0}.min_area_m2' = {1} is larger than '{0}.max_area_m2' = {2} "
                        "(allowed: min_area_m2 <= max_area_m2)",
                        prefix, c.min_area_m2, c.max_area_m2));
  }
}

// [bands]: name -> weight, kept in file order.
void read_bands(reader& r, const toml::table& bands, config& cfg) {
  // toml++ keeps a table's keys sorted, not in file order; the source position of each
  // key gives the file order back.
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [k, v] : bands) entries.emplace_back(&k, &v);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  bool any_positive = false;
  for (const auto& [k, v] : entries) {
    const std::string name(k->str());
    const std::string path = "bands." + toml_key(name);
    if (name.empty()) {
      r.error(v, "'bands' has an empty band name");
      continue;
    }
    // SPEC 1.1's names only: a name no scene can have would fail every scene at every site
    // (exit 3, hours into a run) instead of the config (exit 2, before any work).
    if (const std::string canonical = canonical_band_name(name); canonical != name) {
      const std::vector<std::string_view> allowed(known_band_names().begin(),
                                                  known_band_names().end());
      const std::string near = canonical.empty() ? closest(name, allowed) : canonical;
      r.error(v, fmt::format("'{}' is not a band name (allowed: {}){}", path, join(allowed, ", "),
                             near.empty() ? "" : fmt::format("; did you mean '{}'?", near)));
      continue;
    }
    double w = 1.0;
    if (!r.number_at(*v, path, w, k_non_negative, ">= 0")) continue;
    any_positive = any_positive || w > 0.0;
    cfg.band_weights.emplace_back(name, w);
  }
  if (!cfg.band_weights.empty() && !any_positive)
    r.error(&bands, "every weight in [bands] is 0 (allowed: at least one weight > 0)");
}

// [classes]: any such table replaces the built-in set (an empty one leaves no classes:
// change detection only).
void read_classes(reader& r, const toml::table& t, config& cfg) {
  for (auto&& [k, v] : t) {
    const std::string name(k.str());
    const std::string prefix = "classes." + toml_key(name);
    if (!valid_class_name(name)) {
      r.error(&v, fmt::format("class name {} is not allowed (allowed: lower-case letters, "
                              "digits and '_')",
                              quote(name)));
      continue;
    }
    if (name == "change") {
      r.error(&v, "class name \"change\" is reserved (a zone of class change counts nothing)");
      continue;
    }
    if (!v.is_table()) {
      r.error(&v, fmt::format("'{}' is {} ({}), expected a table", prefix, type_name(v.type()),
                              show(v)));
      continue;
    }
    class_config c;
    c.name = name;
    read_class(r, *v.as_table(), prefix, c);
    cfg.classes.emplace(name, c);
  }
}

config parse_table(const toml::table& root, reader& r) {
  config cfg;  // struct defaults; the built-in classes only when the file names none
  r.check_keys(root, "", top_keys());
  for (const auto& k : k_top_schema) read_key(r, root, "", k, cfg);
  if (const toml::table* bands = r.table(root, "", "bands")) read_bands(r, *bands, cfg);
  for_each_section([&](const auto& s) {
    const toml::table* t = r.table(root, "", s.name);
    if (!t) return;
    const std::string prefix(s.name);
    r.check_keys(*t, prefix, key_names(s.keys));
    auto& part = cfg.*(s.member);
    for (const auto& k : s.keys) read_key(r, *t, prefix, k, part);
    if (s.check) s.check(r, *t, part);
  });
  if (const toml::table* t = r.table(root, "", "classes"))
    read_classes(r, *t, cfg);
  else
    cfg.classes = default_config().classes;
  return cfg;
}

// ---- the writer ---------------------------------------------------------------------------

// Accumulates TOML text. With comments: the `config --defaults` text, where unset optional
// keys appear commented out as examples. Without: the canonical text, every key written.
struct toml_writer {
  bool comments;
  std::string out;

  void line(const std::string& kv, std::string_view comment) {
    if (comments && !comment.empty())
      out += fmt::format("{:<27} # {}\n", kv, comment);
    else
      out += kv + "\n";
  }

  template <class S>
  void keys(const std::vector<key_spec<S>>& schema, const S& s) {
    for (const auto& k : schema) line(key_value(k, s), k.comment);
  }

  template <class S>
  std::string key_value(const key_spec<S>& k, const S& s) const {
    auto str = [&](const std::string& v) {
      if (comments && v.empty() && !k.example.empty())
        return fmt::format("# {} = {}", k.key, quote(k.example));
      return fmt::format("{} = {}", k.key, quote(v));
    };
    return std::visit(
        overloaded{[&](double S::*m) { return fmt::format("{} = {}", k.key, format_double(s.*m)); },
                   [&](int S::*m) { return fmt::format("{} = {}", k.key, s.*m); },
                   [&](std::string S::*m) { return str(s.*m); },
                   [&](const date_member<S>& d) { return str(s.*(d.m)); },
                   [&](const enum_member<S>& e) {
                     return fmt::format("{} = {}", k.key, quote(e.get(s)));
                   }},
        k.member);
  }
};

// Writes the TOML text of `cfg`, sections and keys in schema order (see toml_writer).
std::string write_toml(const config& cfg, bool comments) {
  toml_writer w{comments, {}};
  if (comments) {
    w.out +=
        "# sitewatch configuration. Every key is optional; an unknown key is an error.\n"
        "# See docs/CONFIG.md.\n\n";
  }
  w.keys(k_top_schema, cfg);

  w.out += "\n";
  w.line("[bands]", "optional: band name -> weight in the change magnitude");
  if (cfg.band_weights.empty()) {
    if (comments)
      w.out += "# blue = 1.0  green = 1.0  red = 1.0  nir = 1.0  (empty: every band, weight 1)\n";
  } else {
    for (const auto& [name, weight] : cfg.band_weights)
      w.line(fmt::format("{} = {}", toml_key(name), format_double(weight)), "");
  }

  for_each_section([&](const auto& s) {
    w.out += fmt::format("\n[{}]\n", s.name);
    w.keys(s.keys, cfg.*(s.member));
  });

  // Always written, even when empty: an empty [classes] means "no classes", which differs
  // from leaving the table out (the built-in classes).
  w.out += "\n";
  w.line("[classes]", "object classes; any [classes.NAME] replaces the built-in set");
  for (const auto& [name, c] : cfg.classes) {
    w.out += fmt::format("\n[classes.{}]\n", toml_key(name));
    w.keys(k_class_schema, c);
  }
  return w.out;
}

}  // namespace

std::vector<std::string> config_key_paths() {
  std::vector<std::string> out;
  for (const auto& k : k_top_schema) out.emplace_back(k.key);
  for_each_section([&](const auto& s) {
    for (const auto& k : s.keys) out.push_back(fmt::format("{}.{}", s.name, k.key));
  });
  for (const auto& k : k_class_schema) out.push_back(fmt::format("classes.NAME.{}", k.key));
  return out;
}

std::string config::canonical_toml() const {
  return write_toml(*this, false);
}

config default_config() {
  config cfg;
  auto add = [&](const char* name, double length, double width, polarity pol, background_model bg,
                 double min_area, double max_area, split_rule split, int open_px, int close_px) {
    class_config c;
    c.name = name;
    c.length_m = length;
    c.width_m = width;
    c.object_polarity = pol;
    c.background = bg;
    c.min_area_m2 = min_area;
    c.max_area_m2 = max_area;
    c.split = split;
    c.open_px = open_px;
    c.close_px = close_px;
    cfg.classes.emplace(name, c);
  };
  add("railcar", 14.6, 3.2, polarity::any, background_model::reference, 25, 20000,
      split_rule::length, 0, 0);
  // Opening radius 1 for the local classes: one-pixel lines along zone edges (mixed pixels
  // of a quay or a yard border) would join objects up.
  add("ship", 120, 20, polarity::brighter, background_model::local, 300, 20000, split_rule::none, 1,
      1);
  // Ships on the water, the largest afloat ~400 x 60 m: longer or wider is a breakwater, a quay.
  cfg.classes["ship"].on = placement::water;
  cfg.classes["ship"].max_length_m = 450;
  cfg.classes["ship"].max_width_m = 90;
  add("container_stack", 36, 12, polarity::brighter, background_model::local, 150, 3000,
      split_rule::none, 1, 0);
  // Stacks stand for weeks: what is there is counted, whether or not the reference has it.
  cfg.classes["container_stack"].static_objects = static_rule::count;
  return cfg;
}

std::string config_text(const config& cfg) {
  return write_toml(cfg, true);
}

std::string default_config_toml() {
  return config_text(default_config());
}

config parse_config(const std::string& toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    const auto& p = e.source().begin;
    throw input_error(
        fmt::format("{}:{}:{}: TOML syntax error: {}", origin, p.line, p.column, e.description()));
  }
  reader r(origin);
  config cfg = parse_table(root, r);
  r.throw_if_errors();
  return cfg;
}

config load_config(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))  // an ifstream opens a folder and reads nothing
    throw input_error(fmt::format("{}: is a folder, not a config file", path));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw input_error(fmt::format("{}: cannot open the config file", path));
  std::ostringstream text;
  text << f.rdbuf();
  if (f.bad()) throw input_error(fmt::format("{}: cannot read the config file", path));
  return parse_config(text.str(), path);
}

std::string to_string(reference_strategy v) {
  return enum_name(k_strategy_names, v);
}
std::string to_string(threshold_rule v) {
  return enum_name(k_threshold_names, v);
}
std::string to_string(change_rule v) {
  return enum_name(k_change_method_names, v);
}
std::string to_string(blur_rule v) {
  return enum_name(k_blur_names, v);
}
std::string to_string(polarity v) {
  return enum_name(k_polarity_names, v);
}
std::string to_string(background_model v) {
  return enum_name(k_background_names, v);
}
std::string to_string(split_rule v) {
  return enum_name(k_split_names, v);
}
std::string to_string(placement v) {
  return enum_name(k_placement_names, v);
}
std::string to_string(static_rule v) {
  return enum_name(k_static_names, v);
}

}  // namespace sw
