#include "host/config/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>

#include <toml++/toml.h>

#include "host/common/error.hpp"
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

// ---- the reader ---------------------------------------------------------------------------

// Every key the format knows, by table, for unknown-key checks and did-you-mean hints.
const std::vector<std::string_view> k_top_keys = {
    "gsd_m",  "min_valid_fraction", "grid_margin_m", "bands",  "reference",
    "change", "coregistration",     "anomaly",       "classes"};
const std::vector<std::string_view> k_reference_keys = {"strategy", "window", "min_scenes", "date",
                                                        "scene_id"};
const std::vector<std::string_view> k_change_keys = {"method", "threshold", "k", "value",
                                                     "edge_tolerance_px"};
const std::vector<std::string_view> k_coregistration_keys = {"search_radius_px"};
const std::vector<std::string_view> k_anomaly_keys = {"window", "z", "min_history"};
const std::vector<std::string_view> k_class_keys = {
    "length_m",     "min_area_m2", "max_area_m2",    "width_m",     "polarity", "background",
    "split",        "open_px",     "close_px",       "contrast_k",  "on",       "static_objects",
    "max_length_m", "max_width_m", "min_elongation", "min_contrast"};

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
      const std::string path = prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
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

  // A float key (integers accepted); `ok` checks the range, `allowed` says it in words.
  template <class Pred>
  void number(const toml::table& t, const std::string& prefix, std::string_view key, double& out,
              Pred ok, std::string_view allowed) {
    if (const toml::node* n = t.get(key)) number_at(*n, join_path(prefix, key), out, ok, allowed);
  }

  // Same for a node already in hand; false when it was rejected.
  template <class Pred>
  bool number_at(const toml::node& n, const std::string& path, double& out, Pred ok,
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
    if (!std::isfinite(v) || !ok(v)) {
      error(&n, fmt::format("'{}' = {} is out of range (allowed: {})", path, show(n), allowed));
      return false;
    }
    out = v == 0.0 ? 0.0 : v;  // no -0.0: it would print differently from an equal 0.0
    return true;
  }

  // An integer key in [lo, hi].
  void integer(const toml::table& t, const std::string& prefix, std::string_view key, int& out,
               long long lo, long long hi) {
    const toml::node* n = t.get(key);
    if (!n) return;
    auto i = n->as_integer();
    if (!i) {
      error(n, fmt::format("'{}' is {} ({}), expected an integer", join_path(prefix, key),
                           type_name(n->type()), show(*n)));
      return;
    }
    const long long v = i->get();
    if (v < lo || v > hi) {
      const std::string allowed = hi == std::numeric_limits<int>::max()
                                      ? fmt::format(">= {}", lo)
                                      : fmt::format("{}..{}", lo, hi);
      error(n, fmt::format("'{}' = {} is out of range (allowed: {})", join_path(prefix, key), v,
                           allowed));
      return;
    }
    out = static_cast<int>(v);
  }

  // A string key; returns the node for follow-up messages, null when absent or not a string.
  const toml::node* string(const toml::table& t, const std::string& prefix, std::string_view key,
                           std::string& out) {
    const toml::node* n = t.get(key);
    if (!n) return nullptr;
    auto s = n->as_string();
    if (!s) {
      error(n, fmt::format("'{}' is {} ({}), expected a string", join_path(prefix, key),
                           type_name(n->type()), show(*n)));
      return nullptr;
    }
    out = s->get();
    return n;
  }

  template <class E, std::size_t N>
  void enumeration(const toml::table& t, const std::string& prefix, std::string_view key, E& out,
                   const std::array<std::pair<E, std::string_view>, N>& names) {
    std::string text;
    const toml::node* n = string(t, prefix, key, text);
    if (!n) return;
    std::vector<std::string_view> allowed;
    for (const auto& [e, s] : names) {
      if (s == text) {
        out = e;
        return;
      }
      allowed.push_back(s);
    }
    const std::string near = closest(text, allowed);
    error(n, fmt::format("'{}' = {} is not allowed (allowed: {}){}", join_path(prefix, key),
                         quote(text), join(allowed, ", "),
                         near.empty() ? "" : fmt::format("; did you mean '{}'?", near)));
  }

  static std::string join_path(const std::string& prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
  }

 private:
  // A key put in the wrong table ("k = 4" at the top level) is best answered with the place
  // where that exact key lives.
  static std::string elsewhere(std::string_view key, const std::string& prefix) {
    const std::pair<std::string_view, const std::vector<std::string_view>*> tables[] = {
        {"", &k_top_keys},
        {"reference", &k_reference_keys},
        {"change", &k_change_keys},
        {"coregistration", &k_coregistration_keys},
        {"anomaly", &k_anomaly_keys}};
    if (prefix.rfind("classes.", 0) == 0) return "";
    for (const auto& [name, keys] : tables) {
      if (name == prefix) continue;
      if (std::find(keys->begin(), keys->end(), key) != keys->end())
        return name.empty() ? std::string(key) : std::string(name) + "." + std::string(key);
    }
    if (prefix.empty() &&
        std::find(k_class_keys.begin(), k_class_keys.end(), key) != k_class_keys.end())
      return fmt::format("classes.NAME.{}", key);
    return "";
  }

  std::string origin_;
  std::vector<std::string> errors_;
};

auto positive = [](double v) { return v > 0.0; };
auto non_negative = [](double v) { return v >= 0.0; };

void read_class(reader& r, const toml::table& t, const std::string& prefix, class_config& c) {
  r.check_keys(t, prefix, k_class_keys);
  r.number(t, prefix, "length_m", c.length_m, positive, "> 0");
  r.number(t, prefix, "width_m", c.width_m, positive, "> 0");
  r.enumeration(t, prefix, "polarity", c.object_polarity, k_polarity_names);
  r.enumeration(t, prefix, "background", c.background, k_background_names);
  r.enumeration(t, prefix, "split", c.split, k_split_names);
  r.number(t, prefix, "min_area_m2", c.min_area_m2, non_negative, ">= 0");
  r.number(t, prefix, "max_area_m2", c.max_area_m2, positive, "> 0");
  r.integer(t, prefix, "open_px", c.open_px, 0, 32);
  r.integer(t, prefix, "close_px", c.close_px, 0, 32);
  r.number(t, prefix, "contrast_k", c.contrast_k, positive, "> 0");
  r.number(t, prefix, "min_contrast", c.min_contrast, non_negative, ">= 0 (0: no minimum)");
  r.enumeration(t, prefix, "on", c.on, k_placement_names);
  r.enumeration(t, prefix, "static_objects", c.static_objects, k_static_names);
  r.number(t, prefix, "max_length_m", c.max_length_m, non_negative, ">= 0 (0: no limit)");
  r.number(t, prefix, "max_width_m", c.max_width_m, non_negative, ">= 0 (0: no limit)");
  r.number(t, prefix, "min_elongation", c.min_elongation, non_negative, ">= 0 (0: no limit)");
  if (c.min_area_m2 > c.max_area_m2) {
    const toml::node* n = t.get("min_area_m2") ? t.get("min_area_m2") : t.get("max_area_m2");
    r.error(n ? n : &t,
            fmt::format("'{0}.min_area_m2' = {1} is larger than '{0}.max_area_m2' = {2} "
                        "(allowed: min_area_m2 <= max_area_m2)",
                        prefix, c.min_area_m2, c.max_area_m2));
  }
}

config parse_table(const toml::table& root, reader& r) {
  config cfg;  // struct defaults; the built-in classes only when the file names none
  r.check_keys(root, "", k_top_keys);
  r.number(root, "", "gsd_m", cfg.gsd_m, positive, "> 0");
  r.number(
      root, "", "min_valid_fraction", cfg.min_valid_fraction,
      [](double v) { return v >= 0.0 && v <= 1.0; }, "0..1");
  r.number(root, "", "grid_margin_m", cfg.grid_margin_m, non_negative, ">= 0");

  if (const toml::table* bands = r.table(root, "", "bands")) {
    // toml++ keeps a table's keys sorted, not in file order; the source position of each
    // key gives the file order back.
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (auto&& [k, v] : *bands) entries.emplace_back(&k, &v);
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
      double w = 1.0;
      if (!r.number_at(*v, path, w, non_negative, ">= 0")) continue;
      any_positive = any_positive || w > 0.0;
      cfg.band_weights.emplace_back(name, w);
    }
    if (!cfg.band_weights.empty() && !any_positive)
      r.error(bands, "every weight in [bands] is 0 (allowed: at least one weight > 0)");
  }

  if (const toml::table* t = r.table(root, "", "reference")) {
    r.check_keys(*t, "reference", k_reference_keys);
    r.enumeration(*t, "reference", "strategy", cfg.reference.strategy, k_strategy_names);
    r.integer(*t, "reference", "window", cfg.reference.window, 1, kern::max_reference_members);
    r.integer(*t, "reference", "min_scenes", cfg.reference.min_scenes, 1,
              std::numeric_limits<int>::max());
    bool date_given = false;
    if (const toml::node* n = t->get("date")) {
      // date = "" is "not set" (canonical_toml() writes it so), anything else is an attempt.
      date_given = !(n->is_string() && n->as_string()->get().empty());
      // A TOML date (date = 2023-08-15) is as good as the string form.
      if (auto d = n->as_date()) {
        cfg.reference.date =
            fmt::format("{:04}-{:02}-{:02}", d->get().year, d->get().month, d->get().day);
      } else if (r.string(*t, "reference", "date", cfg.reference.date)) {
        // "" means not set, so that canonical_toml() can write every key.
        if (!cfg.reference.date.empty() && !valid_date(cfg.reference.date)) {
          r.error(n, fmt::format("'reference.date' = {} is not a date (allowed: YYYY-MM-DD)",
                                 quote(cfg.reference.date)));
          cfg.reference.date.clear();
        }
      }
    }
    r.string(*t, "reference", "scene_id", cfg.reference.scene_id);
    if (cfg.reference.strategy == reference_strategy::fixed && cfg.reference.date.empty() &&
        cfg.reference.scene_id.empty() && !date_given) {
      r.error(t->get("strategy"),
              "'reference.strategy' = \"fixed\" needs 'reference.date' (YYYY-MM-DD) or "
              "'reference.scene_id'");
    }
  }

  if (const toml::table* t = r.table(root, "", "change")) {
    r.check_keys(*t, "change", k_change_keys);
    r.enumeration(*t, "change", "method", cfg.change.method, k_change_method_names);
    r.enumeration(*t, "change", "threshold", cfg.change.threshold, k_threshold_names);
    r.number(*t, "change", "k", cfg.change.k, positive, "> 0");
    r.number(*t, "change", "value", cfg.change.value, positive, "> 0");
    r.number(
        *t, "change", "edge_tolerance_px", cfg.change.edge_tolerance_px,
        [](double v) { return v >= 0.0 && v <= 4.0; }, "between 0 and 4");
  }

  if (const toml::table* t = r.table(root, "", "coregistration")) {
    r.check_keys(*t, "coregistration", k_coregistration_keys);
    r.integer(*t, "coregistration", "search_radius_px", cfg.coregistration.search_radius_px, 0, 32);
  }

  if (const toml::table* t = r.table(root, "", "anomaly")) {
    r.check_keys(*t, "anomaly", k_anomaly_keys);
    r.integer(*t, "anomaly", "window", cfg.anomaly.window, 2, 100000);
    r.number(*t, "anomaly", "z", cfg.anomaly.z, positive, "> 0");
    r.integer(*t, "anomaly", "min_history", cfg.anomaly.min_history, 1, 100000);
    if (cfg.anomaly.min_history > cfg.anomaly.window) {
      const toml::node* n = t->get("min_history") ? t->get("min_history") : t->get("window");
      r.error(n ? n : t,
              fmt::format("'anomaly.min_history' = {} is larger than 'anomaly.window' = {} "
                          "(allowed: min_history <= window)",
                          cfg.anomaly.min_history, cfg.anomaly.window));
    }
  }

  if (const toml::table* t = r.table(root, "", "classes")) {
    // Any [classes] table replaces the built-in set (an empty one leaves no classes: change
    // detection only).
    for (auto&& [k, v] : *t) {
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
  } else {
    cfg.classes = default_config().classes;
  }
  return cfg;
}

// ---- the writer ---------------------------------------------------------------------------

// Writes the TOML text of `cfg`. With comments: the `config --defaults` text, where unset
// optional keys appear commented out as examples. Without: the canonical text, every key
// written, in a fixed order.
std::string write_toml(const config& cfg, bool comments) {
  std::string out;
  auto line = [&](const std::string& kv, std::string_view comment) {
    if (comments && !comment.empty())
      out += fmt::format("{:<27} # {}\n", kv, comment);
    else
      out += kv + "\n";
  };
  auto num = [](std::string_view k, double v) {
    return fmt::format("{} = {}", k, format_double(v));
  };
  auto integer = [](std::string_view k, int v) { return fmt::format("{} = {}", k, v); };
  auto str = [](std::string_view k, std::string_view v) {
    return fmt::format("{} = {}", k, quote(v));
  };

  if (comments) {
    out +=
        "# sitewatch configuration. Every key is optional; an unknown key is an error.\n"
        "# See docs/CONFIG.md.\n\n";
  }
  line(num("gsd_m", cfg.gsd_m), "site grid pixel size (m) where the catalog gives none");
  line(num("min_valid_fraction", cfg.min_valid_fraction),
       "a zone with less clear coverage is not observable");
  line(num("grid_margin_m", cfg.grid_margin_m), "margin (m) around a site's zones in its grid");

  out += "\n";
  line("[bands]", "optional: band name -> weight in the change magnitude");
  if (cfg.band_weights.empty()) {
    if (comments)
      out += "# blue = 1.0  green = 1.0  red = 1.0  nir = 1.0  (empty: every band, weight 1)\n";
  } else {
    for (const auto& [name, w] : cfg.band_weights) line(num(toml_key(name), w), "");
  }

  out += "\n[reference]\n";
  line(str("strategy", to_string(cfg.reference.strategy)), "previous | median | fixed | archive");
  line(integer("window", cfg.reference.window), "scenes in the median, 1..31 (archive: not used)");
  line(integer("min_scenes", cfg.reference.min_scenes),
       "observable scenes needed before the reference is used");
  if (!comments || !cfg.reference.date.empty())
    line(str("date", cfg.reference.date), "for fixed: the scene nearest this date (YYYY-MM-DD)");
  else
    line("# date = \"2023-08-15\"", "for fixed: the scene nearest this date (YYYY-MM-DD)");
  if (!comments || !cfg.reference.scene_id.empty())
    line(str("scene_id", cfg.reference.scene_id), "for fixed: this scene (wins over date)");
  else
    line("# scene_id = \"20230815_013512_59_247d\"", "for fixed: this scene (wins over date)");

  out += "\n[change]\n";
  line(str("method", to_string(cfg.change.method)),
       "cva (change vector of the normalised bands) | mad (IR-MAD's chi-square statistic)");
  line(str("threshold", to_string(cfg.change.threshold)), "fixed | kmad | otsu");
  line(num("k", cfg.change.k), "for kmad: median + k * 1.4826 * MAD of the magnitude");
  line(num("value", cfg.change.value),
       "for fixed: threshold in reflectance x10000 (mad: in 100 x sqrt(chi2))");
  line(num("edge_tolerance_px", cfg.change.edge_tolerance_px),
       "residual misregistration (px) a difference must survive (0: off)");

  out += "\n[coregistration]\n";
  line(integer("search_radius_px", cfg.coregistration.search_radius_px),
       "0 turns co-registration off (0..32)");

  out += "\n[anomaly]\n";
  line(integer("window", cfg.anomaly.window), "previous observable rows the z-score looks at");
  line(num("z", cfg.anomaly.z), "|robust z| above this flags an anomaly");
  line(integer("min_history", cfg.anomaly.min_history),
       "fewer previous observable rows: anomaly is empty");

  // Always written, even when empty: an empty [classes] means "no classes", which differs
  // from leaving the table out (the built-in classes).
  out += "\n";
  line("[classes]", "object classes; any [classes.NAME] replaces the built-in set");
  for (const auto& [name, c] : cfg.classes) {
    out += fmt::format("\n[classes.{}]\n", toml_key(name));
    line(num("length_m", c.length_m), "nominal object length (m)");
    line(num("width_m", c.width_m), "nominal object width (m)");
    line(str("polarity", to_string(c.object_polarity)),
         "brighter | darker | any, relative to the background");
    line(str("background", to_string(c.background)), "reference | local");
    line(num("min_area_m2", c.min_area_m2), "smaller components are dropped");
    line(num("max_area_m2", c.max_area_m2), "larger components are dropped");
    line(str("split", to_string(c.split)),
         "length: a component counts round(length / length_m); none: 1");
    line(integer("open_px", c.open_px), "opening radius (px) before labelling; 0 = none");
    line(integer("close_px", c.close_px), "closing radius (px) before labelling; 0 = none");
    line(num("contrast_k", c.contrast_k),
         "local: object vs the ring of its own background, in standard deviations");
    line(num("min_contrast", c.min_contrast),
         "local: and by at least this much brightness (reflectance x10000); 0 = no minimum");
    line(str("on", to_string(c.on)), "anywhere | water: local objects only on water");
    line(str("static_objects", to_string(c.static_objects)),
         "exclude | count: local objects also in the reference at the same place");
    line(num("max_length_m", c.max_length_m), "longer components are dropped; 0 = no limit");
    line(num("max_width_m", c.max_width_m), "wider components are dropped; 0 = no limit");
    line(num("min_elongation", c.min_elongation),
         "components with length / width below this are dropped; 0 = none");
  }
  return out;
}

}  // namespace

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

std::string default_config_toml() {
  return write_toml(default_config(), true);
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
