// The command line as users and outside tests call it (SPEC 3, 5): exit codes, messages
// that name the file and the key, help on every command.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "test_util.hpp"

namespace {

using sw::test::run_sitewatch;

const char* k_sites = R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"site_id":"yard","class":"railcar"},
 "geometry":{"type":"Polygon","coordinates":[[[130.60,42.42],[130.61,42.42],[130.61,42.43],[130.60,42.43],[130.60,42.42]]]}}]})";

TEST(cli, help_on_every_command) {
  for (const char* cmd :
       {"", "run", "synth", "export", "report", "merge", "bench", "info", "config"}) {
    const auto r = run_sitewatch(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << cmd << ": " << r.output;
  }
}

TEST(cli, no_command_and_unknown_option_are_usage_errors) {
  EXPECT_EQ(run_sitewatch("").code, 2);
  EXPECT_EQ(run_sitewatch("run --scenes a --sites b --out c --bogus").code, 2);
  EXPECT_EQ(run_sitewatch("run --sites b --out c").code, 2) << "--scenes is required";
}

TEST(cli, config_defaults_prints_every_section_and_parses_back) {
  sw::test::temp_dir d;
  const auto r = run_sitewatch("config --defaults");
  ASSERT_EQ(r.code, 0);
  for (const char* k :
       {"gsd_m", "[reference]", "[change]", "[coregistration]", "[anomaly]", "[classes.railcar]"})
    EXPECT_NE(r.output.find(k), std::string::npos) << k;
  sw::test::write_text(d / "defaults.toml", r.output);
  sw::test::write_text(d / "sites.geojson", k_sites);
  // a run with that config gets past validation (it then finds no scenes: exit 2 naming PATH)
  const auto run =
      run_sitewatch("run --scenes " + (d / "nothing") + " --sites " + (d / "sites.geojson") +
                    " --config " + (d / "defaults.toml") + " --out " + (d / "o.gpkg") + " -q");
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.output.find("nothing"), std::string::npos) << run.output;
}

TEST(cli, invalid_config_stops_before_any_work_naming_file_and_key) {
  sw::test::temp_dir d;
  sw::test::write_text(d / "bad.toml", "[change]\ntresh = 3\n");
  sw::test::write_text(d / "sites.geojson", k_sites);
  std::filesystem::create_directories(d / "scenes");
  const auto r =
      run_sitewatch("run --scenes " + (d / "scenes") + " --sites " + (d / "sites.geojson") +
                    " --config " + (d / "bad.toml") + " --out " + (d / "o.gpkg"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("bad.toml"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("change.tresh"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(d / "o.gpkg")) << "nothing written before validation";
}

TEST(cli, invalid_catalog_names_the_feature) {
  sw::test::temp_dir d;
  sw::test::write_text(d / "sites.geojson", R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"site_id":"yard","class":"railcr"},
 "geometry":{"type":"Polygon","coordinates":[[[130.60,42.42],[130.61,42.42],[130.61,42.43],[130.60,42.42]]]}}]})");
  std::filesystem::create_directories(d / "scenes");
  const auto r = run_sitewatch("run --scenes " + (d / "scenes") + " --sites " +
                               (d / "sites.geojson") + " --out " + (d / "o.gpkg"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("sites.geojson"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("railcr"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("yard"), std::string::npos) << r.output;
}

TEST(cli, cuda_request_without_cuda_is_a_clear_usage_error) {
  if (run_sitewatch("info").output.find("CUDA device: cuda:0") != std::string::npos)
    GTEST_SKIP() << "this machine has a CUDA device";
  sw::test::temp_dir d;
  sw::test::write_text(d / "sites.geojson", k_sites);
  const auto r = run_sitewatch("run --scenes " + (d / "x") + " --sites " + (d / "sites.geojson") +
                               " --out " + (d / "o.gpkg") + " --device cuda:0");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("--device cuda:0"), std::string::npos) << r.output;
}

TEST(cli, info_reports_backends_and_devices) {
  const auto r = run_sitewatch("info");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("backends: cpu"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("GDAL"), std::string::npos);
  EXPECT_NE(r.output.find("CUDA devices") == std::string::npos ? r.output.find("CUDA device")
                                                               : r.output.find("CUDA devices"),
            std::string::npos);
}

TEST(cli, a_broken_scene_is_recorded_and_the_run_exits_3) {
  sw::test::temp_dir d;
  const auto s =
      run_sitewatch("synth --out " + (d / "a") + " --dates 4 --scale 0.05 --start 2023-10-01 -q");
  ASSERT_EQ(s.code, 0) << s.output;
  // truncate one data asset
  std::string victim;
  for (const auto& e : std::filesystem::recursive_directory_iterator(d / "a/scenes"))
    if (e.path().string().find("AnalyticMS_SR") != std::string::npos) victim = e.path().string();
  ASSERT_FALSE(victim.empty());
  std::filesystem::resize_file(victim, std::filesystem::file_size(victim) / 2);
  const auto r = run_sitewatch("run --scenes " + (d / "a/scenes") + " --sites " +
                               (d / "a/sites.geojson") + " --config " + (d / "a/config.toml") +
                               " --out " + (d / "o.gpkg") + " --csv " + (d / "csv") + " -q");
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_TRUE(std::filesystem::exists(d / "csv/site_counts.csv"));
  const auto q =
      run_sitewatch("export " + (d / "o.gpkg") + " --format geojson --out " + (d / "gj"));
  EXPECT_EQ(q.code, 0) << q.output;
  const std::string scenes = sw::test::read_text(d / "gj/scenes.geojson");
  EXPECT_NE(scenes.find("\"failed\""), std::string::npos);
}

}  // namespace

// `sitewatch bench` end to end on a small synthesised archive: both modes ran every pair,
// the read-only rounds wrote nothing, the tile cache shared blocks between the sites, and
// the JSON carries what the table prints.
TEST(cli, bench_runs_both_modes_and_writes_its_json) {
  sw::test::temp_dir d;
  const std::string json = d / "bench.json";
  const auto r = run_sitewatch(
      "bench --synth-dates 4 --synth-scale 0.05 --repeat 1 --threads 2 "
      "--device cpu --json " +
      json);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("read-only"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("source blocks per run"), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(sw::test::read_text(json));
  const auto& full = j.at("full");
  const auto& read = j.at("read_only");
  EXPECT_GT(full.at("pairs").get<long long>(), 0);
  EXPECT_EQ(full.at("pairs_written"), full.at("pairs"));
  EXPECT_EQ(full.at("pairs_failed"), 0);
  EXPECT_EQ(read.at("pairs"), full.at("pairs"));
  EXPECT_EQ(read.at("pairs_written"), 0);  // reads and warps only
  EXPECT_GT(full.at("wall_s").get<double>(), 0.0);
  EXPECT_GT(read.at("stage_s").at("read_decode_warp").get<double>(), 0.0);
  EXPECT_EQ(read.at("stage_s").at("compute").get<double>(), 0.0);
  EXPECT_GT(full.at("stage_s").at("compute").get<double>(), 0.0);
  // the synthetic sites lie close together: their windows share source blocks
  EXPECT_GT(full.at("source_blocks").at("decoded").get<long long>(), 0);
  EXPECT_GT(full.at("source_blocks").at("shared").get<long long>(), 0);
  EXPECT_GT(j.at("full_over_read_only").get<double>(), 0.0);
}

// Issue 14: the command line a user meets first.
TEST(cli, no_command_help_and_unknown_commands_list_the_commands) {
  const auto none = run_sitewatch("");
  EXPECT_EQ(none.code, 2);
  const auto help = run_sitewatch("help");
  EXPECT_EQ(help.code, 0);
  const auto unknown = run_sitewatch("bogus");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.output.find("unknown command 'bogus'"), std::string::npos) << unknown.output;
  for (const auto* r : {&none, &help, &unknown})
    for (const char* cmd : {"run", "synth", "export", "report", "merge", "bench", "info", "config"})
      EXPECT_NE(r->output.find(std::string("\n  ") + cmd + " "), std::string::npos)
          << cmd << " not listed in: " << r->output;
  // the usage line names the program, not the path it was started from
  EXPECT_NE(help.output.find("Usage: sitewatch "), std::string::npos) << help.output;
  const auto run_help = run_sitewatch("help run");
  EXPECT_EQ(run_help.code, 0);
  EXPECT_NE(run_help.output.find("Usage: sitewatch run"), std::string::npos) << run_help.output;
}

TEST(cli, config_check_prints_the_effective_config_or_every_error) {
  sw::test::temp_dir d;
  sw::test::write_text(d / "good.toml", "gsd_m = 5.0\n[reference]\nwindow = 9\n");
  const auto good = run_sitewatch("config --check " + (d / "good.toml"), false);
  EXPECT_EQ(good.code, 0) << good.output;
  EXPECT_NE(good.output.find("gsd_m = 5.0"), std::string::npos) << good.output;
  EXPECT_NE(good.output.find("window = 9"), std::string::npos) << good.output;
  EXPECT_NE(good.output.find("[classes.railcar]"), std::string::npos) << "defaults filled in";
  sw::test::write_text(d / "bad.toml", "gsd_m = \"x\"\nbogus = 1\n");
  const auto bad = run_sitewatch("config --check " + (d / "bad.toml"));
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_NE(bad.output.find("unknown key 'bogus'"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("'gsd_m' is a string"), std::string::npos) << bad.output;
  EXPECT_EQ(run_sitewatch("config").code, 2) << "--defaults or --check is required";
}

TEST(cli, log_lines_go_to_stderr_and_to_the_log_file) {
  sw::test::temp_dir d;
  const auto s =
      run_sitewatch("synth --out " + (d / "a") + " --dates 3 --scale 0.05 --start 2023-10-01 -q");
  ASSERT_EQ(s.code, 0) << s.output;
  const std::string args = "run --scenes " + (d / "a/scenes") + " --sites " +
                           (d / "a/sites.geojson") + " --config " + (d / "a/config.toml");
  const auto out = run_sitewatch(args + " --out " + (d / "o1.gpkg"), false);
  EXPECT_EQ(out.code, 0);
  EXPECT_EQ(out.output.find("[info]"), std::string::npos) << "log lines on stdout: " << out.output;
  const auto logged = run_sitewatch(args + " --out " + (d / "o2.gpkg") +
                                    " --log-level debug --log-file " + (d / "run.log"));
  EXPECT_EQ(logged.code, 0) << logged.output;
  const std::string log = sw::test::read_text(d / "run.log");
  EXPECT_NE(log.find("[info] indexing scenes"), std::string::npos) << log;
  EXPECT_NE(log.find("[debug]"), std::string::npos) << "--log-level debug: " << log;
  EXPECT_EQ(run_sitewatch(args + " --out " + (d / "o3.gpkg") + " --log-level loud").code, 2);
}
