#include "host/config/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "host/common/error.hpp"
#include "test_util.hpp"

namespace {

using sw::config;
using sw::parse_config;

// The message of the input_error that parsing `text` throws ("" when it does not throw).
std::string error_of(const std::string& text, const std::string& origin = "config.toml") {
  try {
    parse_config(text, origin);
  } catch (const sw::input_error& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_CONTAINS(haystack, needle)                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "expected to find: " << (needle) << "\nin: " << (haystack)

TEST(config, defaults_text_parses_to_default_config) {
  const config parsed = parse_config(sw::default_config_toml(), "defaults");
  EXPECT_EQ(parsed, sw::default_config());
  EXPECT_EQ(parsed.canonical_toml(), sw::default_config().canonical_toml());
}

// docs/CONFIG.md has a table row "| `key` |" for every key of the schema, in the section of
// its table, so that a key added to the schema cannot go undocumented.
TEST(config, docs_list_every_key) {
  std::ifstream f(std::string(SW_SOURCE_DIR) + "/docs/CONFIG.md");
  ASSERT_TRUE(f) << "docs/CONFIG.md not found";
  std::ostringstream text;
  text << f.rdbuf();
  const std::string docs = text.str();
  // The text of the section whose heading is `heading`, up to the next "## ".
  auto section = [&](const std::string& heading) {
    const auto at = docs.find("\n## " + heading + "\n");
    if (at == std::string::npos) return std::string();
    const auto end = docs.find("\n## ", at + 1);
    return docs.substr(at, end == std::string::npos ? std::string::npos : end - at);
  };
  const std::vector<std::string> paths = sw::config_key_paths();
  EXPECT_GT(paths.size(), 30u);
  for (const std::string& path : paths) {
    const auto dot = path.rfind('.');
    const std::string table = dot == std::string::npos ? "" : path.substr(0, dot);
    const std::string key = path.substr(dot == std::string::npos ? 0 : dot + 1);
    const std::string heading = table.empty() ? "Top level" : "`[" + table + "]`";
    EXPECT_CONTAINS(section(heading), "| `" + key + "` |") << "key " << path;
  }
}

TEST(config, defaults_text_has_every_key_with_a_comment) {
  const std::string text = sw::default_config_toml();
  for (const char* key : {"gsd_m = 3.0",
                          "min_valid_fraction = 0.5",
                          "grid_margin_m = 60.0",
                          "[bands]",
                          "[reference]",
                          "strategy = \"median\"",
                          "window = 7",
                          "min_scenes = 3",
                          "# date = \"2023-08-15\"",
                          "# scene_id = ",
                          "[change]",
                          "method = \"cva\"",
                          "threshold = \"kmad\"",
                          "k = 4.0",
                          "edge_tolerance_px = 0.5",
                          "value = 800.0",
                          "[coregistration]",
                          "search_radius_px = 4",
                          "[anomaly]",
                          "window = 20",
                          "z = 4.0",
                          "min_history = 5",
                          "[classes.railcar]",
                          "[classes.ship]",
                          "[classes.container_stack]",
                          "length_m = 14.6",
                          "polarity = \"any\"",
                          "background = \"local\"",
                          "split = \"none\"",
                          "open_px = 0",
                          "close_px = 1",
                          "contrast_k = 6.0",
                          "min_contrast = 0.0",
                          "on = \"water\"",
                          "on = \"anywhere\"",
                          "static_objects = \"count\"",
                          "static_objects = \"exclude\"",
                          "max_length_m = 450.0",
                          "max_width_m = 90.0",
                          "min_elongation = 0.0"})
    EXPECT_CONTAINS(text, key);
  // Every key-value line carries a comment.
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    if (line.find(" = ") != std::string::npos && line[0] != '#') {
      EXPECT_CONTAINS(line, " # ");
    }
    pos = end + 1;
  }
}

TEST(config, empty_file_gives_defaults) {
  EXPECT_EQ(parse_config("", "empty.toml"), sw::default_config());
  EXPECT_EQ(parse_config("# just a comment\n", "c.toml"), sw::default_config());
}

TEST(config, default_classes) {
  const config cfg = sw::default_config();
  ASSERT_EQ(cfg.classes.size(), 3u);
  const auto& railcar = cfg.classes.at("railcar");
  EXPECT_EQ(railcar.name, "railcar");
  EXPECT_EQ(railcar.length_m, 14.6);
  EXPECT_EQ(railcar.width_m, 3.2);
  EXPECT_EQ(railcar.object_polarity, sw::polarity::any);
  EXPECT_EQ(railcar.background, sw::background_model::reference);
  EXPECT_EQ(railcar.min_area_m2, 25.0);
  EXPECT_EQ(railcar.max_area_m2, 20000.0);
  EXPECT_EQ(railcar.split, sw::split_rule::length);
  EXPECT_EQ(railcar.open_px, 0);
  EXPECT_EQ(railcar.close_px, 0);
  const auto& ship = cfg.classes.at("ship");
  EXPECT_EQ(ship.length_m, 120.0);
  EXPECT_EQ(ship.width_m, 20.0);
  EXPECT_EQ(ship.object_polarity, sw::polarity::brighter);
  EXPECT_EQ(ship.background, sw::background_model::local);
  EXPECT_EQ(ship.min_area_m2, 300.0);
  EXPECT_EQ(ship.split, sw::split_rule::none);
  EXPECT_EQ(ship.close_px, 1);
  EXPECT_EQ(ship.open_px, 1);
  const auto& stack = cfg.classes.at("container_stack");
  EXPECT_EQ(stack.length_m, 36.0);
  EXPECT_EQ(stack.width_m, 12.0);
  EXPECT_EQ(stack.min_area_m2, 150.0);
  EXPECT_EQ(stack.max_area_m2, 3000.0);
  EXPECT_EQ(stack.close_px, 0);
  EXPECT_EQ(stack.open_px, 1);
  // ships on water and of ship size; stacks counted however long they stand
  EXPECT_EQ(ship.on, sw::placement::water);
  EXPECT_EQ(ship.max_length_m, 450.0);
  EXPECT_EQ(ship.max_width_m, 90.0);
  EXPECT_EQ(ship.static_objects, sw::static_rule::exclude);
  EXPECT_EQ(stack.static_objects, sw::static_rule::count);
  EXPECT_EQ(stack.on, sw::placement::anywhere);
}

TEST(config, reads_the_local_class_keys) {
  const config cfg = parse_config(R"([classes.boat]
background = "local"
contrast_k = 4.5
min_contrast = 1500
on = "water"
static_objects = "count"
max_length_m = 80
max_width_m = 20
min_elongation = 2.5
)",
                                  "c.toml");
  const sw::class_config& boat = cfg.classes.at("boat");
  EXPECT_EQ(boat.contrast_k, 4.5);
  EXPECT_EQ(boat.min_contrast, 1500.0);
  EXPECT_EQ(boat.on, sw::placement::water);
  EXPECT_EQ(boat.static_objects, sw::static_rule::count);
  EXPECT_EQ(boat.max_length_m, 80.0);
  EXPECT_EQ(boat.max_width_m, 20.0);
  EXPECT_EQ(boat.min_elongation, 2.5);
  EXPECT_EQ(parse_config(cfg.canonical_toml(), "canonical"), cfg);
  // defaults of a user class: anywhere, static objects excluded, no shape limits
  const sw::class_config truck =
      parse_config("[classes.truck]\nlength_m = 8\n", "c").classes.at("truck");
  EXPECT_EQ(truck.on, sw::placement::anywhere);
  EXPECT_EQ(truck.static_objects, sw::static_rule::exclude);
  EXPECT_EQ(truck.contrast_k, 6.0);
  EXPECT_EQ(truck.max_length_m, 0.0);
}

TEST(config, reads_every_key) {
  const config cfg = parse_config(R"(
gsd_m = 1.5
min_valid_fraction = 0.25
grid_margin_m = 30

[bands]
nir = 2.0
red = 1
blue = 0.5

[reference]
strategy = "fixed"
window = 3
min_scenes = 2
date = "2023-08-15"
scene_id = "20230815_013512_59_247d"

[change]
method = "mad"
threshold = "fixed"
k = 3.5
value = 600

[coregistration]
search_radius_px = 0

[anomaly]
window = 10
z = 3
min_history = 4
)",
                                  "c.toml");
  EXPECT_EQ(cfg.gsd_m, 1.5);
  EXPECT_EQ(cfg.min_valid_fraction, 0.25);
  EXPECT_EQ(cfg.grid_margin_m, 30.0);
  // File order, not key order.
  const std::vector<std::pair<std::string, double>> bands{
      {"nir", 2.0}, {"red", 1.0}, {"blue", 0.5}};
  EXPECT_EQ(cfg.band_weights, bands);
  EXPECT_EQ(cfg.reference.strategy, sw::reference_strategy::fixed);
  EXPECT_EQ(cfg.reference.window, 3);
  EXPECT_EQ(cfg.reference.min_scenes, 2);
  EXPECT_EQ(cfg.reference.date, "2023-08-15");
  EXPECT_EQ(cfg.reference.scene_id, "20230815_013512_59_247d");
  EXPECT_EQ(cfg.change.method, sw::change_rule::mad);
  EXPECT_EQ(cfg.change.threshold, sw::threshold_rule::fixed);
  EXPECT_EQ(cfg.change.k, 3.5);
  EXPECT_EQ(cfg.change.value, 600.0);
  EXPECT_EQ(cfg.coregistration.search_radius_px, 0);
  EXPECT_EQ(cfg.anomaly.window, 10);
  EXPECT_EQ(cfg.anomaly.z, 3.0);
  EXPECT_EQ(cfg.anomaly.min_history, 4);
  EXPECT_EQ(cfg.classes, sw::default_config().classes);  // no [classes]: the built-ins

  // And the canonical text reads back to the same configuration, band order included.
  EXPECT_EQ(parse_config(cfg.canonical_toml(), "canonical"), cfg);
}

TEST(config, load_config_reads_a_file_and_names_it) {
  sw::test::temp_dir dir;
  const std::string path = dir / "my.toml";
  sw::test::write_text(path, "gsd_m = 4\n");
  EXPECT_EQ(sw::load_config(path).gsd_m, 4.0);
  sw::test::write_text(path, "gsd_m = -4\n");
  try {
    sw::load_config(path);
    FAIL() << "no throw";
  } catch (const sw::input_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
  }
  EXPECT_THROW(sw::load_config(dir / "missing.toml"), sw::input_error);
}

TEST(config, unknown_keys_are_errors_with_a_hint) {
  EXPECT_CONTAINS(error_of("[change]\ntresh = \"kmad\"\n"),
                  "config.toml: unknown key 'change.tresh' (did you mean 'change.threshold'?)");
  EXPECT_CONTAINS(error_of("gsd = 3\n"), "unknown key 'gsd' (did you mean 'gsd_m'?)");
  EXPECT_CONTAINS(error_of("[chnage]\nk = 3\n"), "unknown key 'chnage' (did you mean 'change'?)");
  // A key in the wrong table points to where it lives.
  EXPECT_CONTAINS(error_of("search_radius_px = 3\n"),
                  "did you mean 'coregistration.search_radius_px'?");
  EXPECT_CONTAINS(error_of("[classes.boat]\nlenght_m = 3\n"),
                  "unknown key 'classes.boat.lenght_m' (did you mean 'classes.boat.length_m'?)");
  EXPECT_CONTAINS(error_of("[anomaly]\nwindow = 20\nfoo_bar_baz = 1\n"),
                  "unknown key 'anomaly.foo_bar_baz' (line 3)");
  EXPECT_CONTAINS(error_of("[reference]\nstratgy = \"median\"\n"), "'reference.strategy'");
}

TEST(config, wrong_types_are_errors) {
  EXPECT_CONTAINS(error_of("gsd_m = \"3\"\n"), "'gsd_m' is a string (\"3\"), expected a number");
  EXPECT_CONTAINS(error_of("gsd_m = true\n"), "'gsd_m' is a boolean");
  EXPECT_CONTAINS(error_of("[reference]\nwindow = 2.5\n"),
                  "'reference.window' is a float (2.5), expected an integer");
  EXPECT_CONTAINS(error_of("[reference]\nstrategy = 3\n"),
                  "'reference.strategy' is an integer (3), expected a string");
  EXPECT_CONTAINS(error_of("[bands]\nred = \"high\"\n"), "'bands.red' is a string");
  EXPECT_CONTAINS(error_of("change = 3\n"), "'change' is an integer (3), expected a table");
  EXPECT_CONTAINS(error_of("[classes]\nboat = 3\n"), "'classes.boat' is an integer");
}

TEST(config, integers_are_accepted_for_floats) {
  const config cfg = parse_config("gsd_m = 5\n[change]\nk = 3\n[bands]\nred = 2\n", "c.toml");
  EXPECT_EQ(cfg.gsd_m, 5.0);
  EXPECT_EQ(cfg.change.k, 3.0);
  EXPECT_EQ(cfg.band_weights.at(0).second, 2.0);
}

TEST(config, out_of_range_values_are_errors) {
  EXPECT_CONTAINS(error_of("gsd_m = 0\n"), "'gsd_m' = 0 is out of range (allowed: > 0)");
  EXPECT_CONTAINS(error_of("gsd_m = -1.5\n"), "'gsd_m' = -1.5 is out of range");
  EXPECT_CONTAINS(error_of("gsd_m = inf\n"), "'gsd_m' = inf is out of range");
  EXPECT_CONTAINS(error_of("gsd_m = nan\n"), "'gsd_m' = nan is out of range");
  EXPECT_CONTAINS(error_of("min_valid_fraction = 1.5\n"),
                  "'min_valid_fraction' = 1.5 is out of range (allowed: 0..1)");
  EXPECT_EQ(error_of("min_valid_fraction = 0\n"), "");
  EXPECT_EQ(error_of("min_valid_fraction = 1\n"), "");
  EXPECT_CONTAINS(error_of("grid_margin_m = -1\n"), "'grid_margin_m' = -1 is out of range");
  EXPECT_CONTAINS(error_of("[reference]\nwindow = 0\n"),
                  "'reference.window' = 0 is out of range (allowed: 1..31)");
  EXPECT_CONTAINS(error_of("[reference]\nwindow = 32\n"), "'reference.window' = 32");
  EXPECT_EQ(error_of("[reference]\nwindow = 31\n"), "");
  EXPECT_CONTAINS(error_of("[reference]\nmin_scenes = 0\n"), "'reference.min_scenes' = 0");
  EXPECT_CONTAINS(error_of("[change]\nk = 0\n"), "'change.k' = 0 is out of range (allowed: > 0)");
  EXPECT_CONTAINS(error_of("[change]\nvalue = -5\n"), "'change.value' = -5");
  EXPECT_CONTAINS(error_of("[coregistration]\nsearch_radius_px = 33\n"),
                  "'coregistration.search_radius_px' = 33 is out of range (allowed: 0..32)");
  EXPECT_CONTAINS(error_of("[coregistration]\nsearch_radius_px = -1\n"), "= -1 is out of range");
  EXPECT_CONTAINS(error_of("[anomaly]\nz = 0\n"), "'anomaly.z' = 0");
  EXPECT_CONTAINS(error_of("[anomaly]\nwindow = 3\n"),
                  "'anomaly.min_history' = 5 is larger than 'anomaly.window' = 3");
  EXPECT_CONTAINS(error_of("[bands]\nred = -1\n"), "'bands.red' = -1 is out of range");
  EXPECT_CONTAINS(error_of("[bands]\nred = 0\nnir = 0\n"), "every weight in [bands] is 0");
  // SPEC 1.1's band names only, refused before any work rather than failing every scene
  EXPECT_CONTAINS(error_of("[bands]\nswir = 1\n"),
                  "'bands.swir' is not a band name (allowed: coastal_blue, blue, green_i, green, "
                  "yellow, red, rededge, nir, pan)");
  EXPECT_CONTAINS(error_of("[bands]\nred_edge = 1\n"), "did you mean 'rededge'?");
  EXPECT_CONTAINS(error_of("[bands]\nnri = 1\n"), "did you mean 'nir'?");
  EXPECT_CONTAINS(error_of("[classes.boat]\nlength_m = 0\n"),
                  "'classes.boat.length_m' = 0 is out of range (allowed: > 0)");
  EXPECT_CONTAINS(error_of("[classes.boat]\nwidth_m = -2\n"), "'classes.boat.width_m' = -2");
  EXPECT_CONTAINS(error_of("[classes.boat]\nmin_area_m2 = 500\nmax_area_m2 = 400\n"),
                  "'classes.boat.min_area_m2' = 500 is larger than 'classes.boat.max_area_m2'");
  EXPECT_CONTAINS(error_of("[classes.boat]\nopen_px = 40\n"),
                  "'classes.boat.open_px' = 40 is out of range (allowed: 0..32)");
  EXPECT_CONTAINS(error_of("[classes.boat]\nclose_px = -1\n"), "'classes.boat.close_px' = -1");
}

TEST(config, bad_enum_strings_are_errors) {
  EXPECT_CONTAINS(error_of("[reference]\nstrategy = \"medain\"\n"),
                  "'reference.strategy' = \"medain\" is not allowed (allowed: previous, median, "
                  "fixed, archive); did you mean 'median'?");
  EXPECT_CONTAINS(error_of("[change]\nthreshold = \"mad\"\n"), "(allowed: fixed, kmad, otsu)");
  EXPECT_CONTAINS(error_of("[change]\nmethod = \"irmad\"\n"),
                  "'change.method' = \"irmad\" is not allowed (allowed: cva, mad)");
  EXPECT_CONTAINS(error_of("[classes.boat]\npolarity = \"bright\"\n"),
                  "'classes.boat.polarity' = \"bright\" is not allowed (allowed: brighter, "
                  "darker, any)");
  EXPECT_CONTAINS(error_of("[classes.boat]\nbackground = \"global\"\n"),
                  "(allowed: reference, local)");
  EXPECT_CONTAINS(error_of("[classes.boat]\nsplit = \"area\"\n"), "(allowed: length, none)");
  EXPECT_CONTAINS(error_of("[classes.boat]\non = \"sea\"\n"),
                  "'classes.boat.on' = \"sea\" is not allowed (allowed: anywhere, water)");
  EXPECT_CONTAINS(error_of("[classes.boat]\nstatic_objects = \"keep\"\n"),
                  "(allowed: exclude, count)");
  EXPECT_CONTAINS(error_of("[classes.boat]\ncontrast_k = 0\n"), "'classes.boat.contrast_k' = 0");
  EXPECT_CONTAINS(error_of("[classes.boat]\nmin_contrast = -1\n"),
                  "'classes.boat.min_contrast' = -1");
  EXPECT_CONTAINS(error_of("[classes.boat]\nmax_length_m = -1\n"),
                  "'classes.boat.max_length_m' = -1");
}

TEST(config, fixed_reference_needs_a_date_or_scene) {
  EXPECT_CONTAINS(error_of("[reference]\nstrategy = \"fixed\"\n"),
                  "'reference.strategy' = \"fixed\" needs 'reference.date'");
  EXPECT_CONTAINS(error_of("[reference]\nstrategy = \"fixed\"\ndate = \"\"\n"),
                  "needs 'reference.date'");
  EXPECT_EQ(error_of("[reference]\nstrategy = \"fixed\"\nscene_id = \"abc\"\n"), "");
  const config cfg = parse_config("[reference]\nstrategy = \"fixed\"\ndate = 2023-08-15\n", "c");
  EXPECT_EQ(cfg.reference.date, "2023-08-15");  // a TOML date works as well as a string
  EXPECT_CONTAINS(error_of("[reference]\nstrategy = \"fixed\"\ndate = \"2023-02-30\"\n"),
                  "'reference.date' = \"2023-02-30\" is not a date (allowed: YYYY-MM-DD)");
  EXPECT_CONTAINS(error_of("[reference]\ndate = \"15.08.2023\"\n"), "is not a date");
  // The bad date is reported, not a second "needs a date" on top of it.
  EXPECT_EQ(error_of("[reference]\nstrategy = \"fixed\"\ndate = \"2023-13-01\"\n").find("needs"),
            std::string::npos);
}

TEST(config, class_names_are_checked) {
  EXPECT_CONTAINS(error_of("[classes.Railcar]\n"), "class name \"Railcar\" is not allowed");
  EXPECT_CONTAINS(error_of("[classes.\"rail car\"]\n"), "class name \"rail car\" is not allowed");
  EXPECT_CONTAINS(error_of("[classes.change]\n"), "class name \"change\" is reserved");
  EXPECT_EQ(error_of("[classes.truck_2]\n"), "");
}

TEST(config, syntax_errors_give_line_and_column) {
  const std::string msg = error_of("gsd_m = 3\n[change\nk = 2\n");
  EXPECT_EQ(msg.rfind("config.toml:2:", 0), 0u) << msg;
  EXPECT_CONTAINS(msg, "TOML syntax error");
  EXPECT_EQ(error_of("a = 1\na = 2\n").rfind("config.toml:2:", 0), 0u);
}

TEST(config, all_problems_are_reported_at_once) {
  const std::string msg = error_of("gsd_m = -1\n[change]\ntresh = 1\nk = 0\n");
  EXPECT_CONTAINS(msg, "'gsd_m' = -1");
  EXPECT_CONTAINS(msg, "'change.tresh'");
  EXPECT_CONTAINS(msg, "'change.k' = 0");
  EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 2) << msg;
}

TEST(config, user_classes_replace_the_built_in_ones) {
  const config cfg = parse_config("[classes.truck]\nlength_m = 8\npolarity = \"darker\"\n", "c");
  ASSERT_EQ(cfg.classes.size(), 1u);
  const sw::class_config& truck = cfg.classes.at("truck");
  EXPECT_EQ(truck.name, "truck");
  EXPECT_EQ(truck.length_m, 8.0);
  EXPECT_EQ(truck.object_polarity, sw::polarity::darker);
  // Keys left out take the class_config defaults, not those of any built-in class.
  sw::class_config defaults;
  EXPECT_EQ(truck.width_m, defaults.width_m);
  EXPECT_EQ(truck.background, defaults.background);
  EXPECT_EQ(truck.close_px, defaults.close_px);
  EXPECT_EQ(truck.max_area_m2, defaults.max_area_m2);

  // An empty [classes] table means no classes at all (change detection only), and that
  // survives the canonical text.
  const config none = parse_config("[classes]\n", "c");
  EXPECT_TRUE(none.classes.empty());
  EXPECT_TRUE(parse_config(none.canonical_toml(), "c").classes.empty());
}

TEST(config, canonical_text_is_stable_and_tells_configs_apart) {
  const config a = parse_config("gsd_m = 3\n[change]\nk = 4\n", "a");
  const config b =
      parse_config("# same values\ngsd_m   =   3.0   # a comment\n\n[change]\nk = 4.0\n", "b");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.canonical_toml(), b.canonical_toml());
  EXPECT_EQ(a.canonical_toml(), sw::default_config().canonical_toml());
  EXPECT_EQ(a.canonical_toml().find('#'), std::string::npos);  // no comments to drift

  const config c = parse_config("[change]\nk = 4.5\n", "c");
  EXPECT_NE(a, c);
  EXPECT_NE(a.canonical_toml(), c.canonical_toml());

  // Every key is written, even the unset optional ones.
  const std::string text = a.canonical_toml();
  for (const char* key : {"date = \"\"", "scene_id = \"\"", "[bands]", "[classes]", "min_history"})
    EXPECT_CONTAINS(text, key);

  // Floats keep every bit through the text.
  config d = sw::default_config();
  d.gsd_m = 0.1 + 0.2;
  d.change.value = 1e-7;
  d.classes.at("ship").length_m = 123.456789012345678;
  d.band_weights = {{"red", 1.0 / 3.0}, {"rededge", 2.0}};
  const config back = parse_config(d.canonical_toml(), "d");
  EXPECT_EQ(back, d);
  EXPECT_EQ(back.canonical_toml(), d.canonical_toml());
  EXPECT_NE(d.canonical_toml(), sw::default_config().canonical_toml());

  // Band order is part of the configuration.
  const config e = parse_config("[bands]\nred = 1\nnir = 1\n", "e");
  const config f = parse_config("[bands]\nnir = 1\nred = 1\n", "f");
  EXPECT_NE(e.canonical_toml(), f.canonical_toml());
}

TEST(config, enum_names) {
  EXPECT_EQ(sw::to_string(sw::reference_strategy::previous), "previous");
  EXPECT_EQ(sw::to_string(sw::reference_strategy::median), "median");
  EXPECT_EQ(sw::to_string(sw::reference_strategy::fixed), "fixed");
  EXPECT_EQ(sw::to_string(sw::threshold_rule::kmad), "kmad");
  EXPECT_EQ(sw::to_string(sw::threshold_rule::otsu), "otsu");
  EXPECT_EQ(sw::to_string(sw::polarity::brighter), "brighter");
  EXPECT_EQ(sw::to_string(sw::polarity::any), "any");
  EXPECT_EQ(sw::to_string(sw::background_model::local), "local");
  EXPECT_EQ(sw::to_string(sw::split_rule::none), "none");
}

}  // namespace
