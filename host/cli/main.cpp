// sitewatch command line (SPEC 3). Each subcommand's options map onto a plain options
// struct of host/; this file only parses, dispatches and turns exceptions into exit codes:
// 0 success, 1 failure of the whole run, 2 bad usage or invalid input (arguments, config,
// site catalog), 3 finished but some scenes failed.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "build_info.hpp"
#include "host/common/error.hpp"
#include "host/config/config.hpp"
#include "host/io/gdal_util.hpp"
#include "host/output/export.hpp"
#include "host/output/merge.hpp"
#include "host/output/report.hpp"
#include "host/pipeline/bench.hpp"
#include "host/pipeline/run.hpp"
#include "host/synth/synth.hpp"
#include "kernels/engine.hpp"

#include <gdal.h>
#include <oneapi/tbb/version.h>

namespace {

std::string join_args(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i) s += ' ';
    s += argv[i];
  }
  return s;
}

void print_info() {
  std::printf("sitewatch %s (git %s, %s build)\n", sw::build::version, sw::build::git_hash,
              sw::build::build_type);
  std::printf("compiler: %s\n", sw::build::cxx_compiler);
#if defined(SW_WITH_CUDA)
  std::printf("backends: cpu, cuda\n");
#else
  std::printf("backends: cpu (built without CUDA)\n");
#endif
  if (*sw::build::sanitizers) std::printf("sanitizers: %s\n", sw::build::sanitizers);
  std::printf("GDAL: %s\n", GDALVersionInfo("RELEASE_NAME"));
  std::printf("oneTBB: %d.%d\n", TBB_VERSION_MAJOR, TBB_VERSION_MINOR);
  std::printf("CCCL: %s\n", sw::build::cccl_include);
  const auto devices = sw::kern::cuda_device_descriptions();
  if (devices.empty()) std::printf("CUDA devices: none\n");
  for (const auto& d : devices) std::printf("CUDA device: %s\n", d.c_str());
}

// One options struct per subcommand; CLI11 binds to their members, so they must stay put
// (they live in main) from add_*_command until dispatch.
struct run_cli {
  sw::run_options opts;
  CLI::App* cmd = nullptr;
};

struct synth_cli {
  sw::synth_options opts;
  bool all_assets = false, full_scenes = false;
  CLI::App* cmd = nullptr;
};

struct export_cli {
  std::string in, format = "csv", out;
  CLI::App* cmd = nullptr;
};

struct report_cli {
  sw::report_options opts;
  CLI::App* cmd = nullptr;
};

struct merge_cli {
  std::vector<std::string> inputs;
  std::string out;
  bool overwrite = false;
  CLI::App* cmd = nullptr;
};

struct bench_cli {
  sw::bench_options opts;
  CLI::App* cmd = nullptr;
};

struct config_cli {
  bool defaults = false;
  std::string check;  // a config file to validate
  CLI::App* cmd = nullptr;
};

// Global: where log lines go and how many (any subcommand takes them, before or after it).
struct log_cli {
  std::string level = "info";
  std::string file;
};

struct commands {
  log_cli log;
  run_cli run;
  synth_cli synth;
  export_cli exp;
  report_cli report;
  merge_cli merge;
  bench_cli bench;
  CLI::App* info = nullptr;
  config_cli cfg;
};

void add_run_command(CLI::App& app, run_cli& c) {
  sw::run_options& ro = c.opts;
  auto* run =
      app.add_subcommand("run", "Process a scene archive for a site catalog into a GeoPackage");
  run->add_option("--scenes", ro.scenes, "Directory (searched recursively), list file, or raster")
      ->required();
  run->add_option("--sites", ro.sites, "Site catalog: any OGR vector source (GeoJSON, GPKG, ...)")
      ->required();
  run->add_option("--out", ro.out, "Output GeoPackage")->required();
  run->add_option("--config", ro.config_path,
                  "Config TOML (default: `sitewatch config --defaults`)");
  run->add_option("--device", ro.device,
                  "auto | cpu | cuda | cuda:N[,M...] | serial (the GPU's code path on the CPU, "
                  "no parallel loops within a site: for checking)")
      ->default_val("auto");
  run->add_option("--threads", ro.threads,
                  "Worker threads (0: the CPUs this process may use: its affinity mask, "
                  "SLURM_CPUS_PER_TASK; more are capped to them)")
      ->default_val(0);
  run->add_option("--memory-budget", ro.memory_budget,
                  "Memory limit, e.g. 4G (default: a quarter of RAM, or three quarters of the "
                  "cgroup memory limit when lower; refused below what one site needs)");
  run->add_option("--shard", ro.shard,
                  "I/N: process shard I of N (each site whole in one shard, the shards balanced "
                  "by their (site, scene) pairs)");
  run->add_flag("--resume", ro.resume,
                "Continue an interrupted run into the same output; skips finished pairs, refuses a "
                "different config");
  run->add_flag("--overwrite", ro.overwrite, "Replace an existing output");
  run->add_option("--csv", ro.csv_dir, "Also write site_counts.csv and detections.csv here");
  run->add_option("--rasters", ro.rasters_dir,
                  "Also write per site and scene change rasters (COG) here");
  run->add_flag("--quiet,-q", ro.quiet,
                "No progress or info lines (warnings, errors and the failed scenes still show)");
  c.cmd = run;
}

void add_synth_command(CLI::App& app, synth_cli& c) {
  sw::synth_options& so = c.opts;
  auto* synth =
      app.add_subcommand("synth", "Write a synthetic Planet-style archive with ground truth");
  synth->add_option("--out", so.out_dir, "Output directory")->required();
  synth->add_option("--scenario", so.scenario, "tumen | tumen-hard | quiet")
      ->default_val(so.scenario);
  synth->add_option("--seed", so.seed, "Random seed")->default_val(so.seed);
  synth->add_option("--dates", so.dates, "Number of acquisition dates")->default_val(so.dates);
  synth->add_option("--start", so.start_date, "First date, YYYY-MM-DD")->default_val(so.start_date);
  synth
      ->add_option("--scale", so.scale,
                   "Scene size as a fraction of a full SuperDove scene (10800 x 6500 px), 0.05..1")
      ->default_val(so.scale);
  synth->add_option("--threads", so.threads, "Worker threads (0: all cores)")->default_val(0);
  synth->add_flag("--all-assets", c.all_assets,
                  "Write every UDM2 and metadata file (default: leave out one of each in 15, as "
                  "real archives do)");
  synth->add_flag("--full-scenes", c.full_scenes,
                  "Every data asset a full scene, no _clip products (for throughput archives)");
  synth->add_flag("--quiet,-q", so.quiet, "No log output");
  c.cmd = synth;
}

void add_export_command(CLI::App& app, export_cli& c) {
  auto* exp = app.add_subcommand("export", "Flat exports of a results GeoPackage");
  exp->add_option("results", c.in, "results.gpkg")->required();
  exp->add_option("--format", c.format, "csv | geojson")
      ->check(CLI::IsMember({"csv", "geojson"}))
      ->default_val("csv");
  exp->add_option("--out", c.out, "Output directory")->required();
  c.cmd = exp;
}

void add_report_command(CLI::App& app, report_cli& c) {
  sw::report_options& rep = c.opts;
  auto* report =
      app.add_subcommand("report", "Per-site time series and detection chips as one HTML page");
  report->add_option("results", rep.results, "results.gpkg")->required();
  report->add_option("--out", rep.out, "report.html")->required();
  report->add_option("--chips", rep.chips, "Image chips per site")->default_val(rep.chips);
  c.cmd = report;
}

void add_merge_command(CLI::App& app, merge_cli& c) {
  auto* merge = app.add_subcommand("merge", "Join the GeoPackages of shard runs into one");
  merge->add_option("inputs", c.inputs, "results of `run --shard I/N`")->required();
  merge->add_option("--out", c.out, "Output GeoPackage")->required();
  merge->add_flag("--overwrite", c.overwrite, "Replace an existing output");
  c.cmd = merge;
}

void add_bench_command(CLI::App& app, bench_cli& c) {
  sw::bench_options& bo = c.opts;
  auto* bench = app.add_subcommand(
      "bench", "Throughput of run on an archive (given or synthesised) next to the decode bound");
  bench->add_option("--scenes", bo.scenes, "Archive to measure (default: synthesise one)");
  bench->add_option("--sites", bo.sites, "Site catalog of that archive");
  bench->add_option("--config", bo.config_path, "Config of that archive");
  bench->add_option("--synth-dates", bo.synth_dates, "Dates of the synthesised archive")
      ->default_val(bo.synth_dates);
  bench->add_option("--synth-scale", bo.synth_scale, "Scene scale of the synthesised archive")
      ->default_val(bo.synth_scale);
  bench->add_option("--device", bo.device, "auto | cpu | cuda[:N,...] | serial")
      ->default_val("cpu");
  bench->add_option("--threads", bo.threads, "Worker threads (0: all cores)")->default_val(0);
  bench->add_option("--repeat", bo.repeat, "Rounds of (read-only, full) runs; medians reported")
      ->default_val(bo.repeat);
  bench->add_option("--memory-budget", bo.memory_budget, "As for run");
  bench->add_option("--json", bo.json_path, "Also write the report as JSON here");
  bench->add_option("--work-dir", bo.work_dir,
                    "Keep the archive and outputs here (default: a temporary directory)");
  c.cmd = bench;
}

void add_info_and_config_commands(CLI::App& app, commands& c) {
  c.info = app.add_subcommand("info", "Version, build options, devices found");
  c.cfg.cmd = app.add_subcommand("config", "Configuration helpers: --defaults or --check FILE");
  auto* defaults = c.cfg.cmd->add_flag("--defaults", c.cfg.defaults,
                                       "Print the default config with every key and a comment");
  auto* check = c.cfg.cmd->add_option(
      "--check", c.cfg.check,
      "Validate FILE: print the effective config (defaults filled in) and exit 0, or every "
      "error and exit 2");
  defaults->excludes(check);
  c.cfg.cmd->require_option(1);
}

// The order of add_subcommand is the order of `sitewatch --help`.
void add_commands(CLI::App& app, commands& c) {
  app.name("sitewatch");  // not argv[0]'s full path in the usage line
  app.require_subcommand(1);
  app.fallthrough();  // global options also after the subcommand (set before adding them)
  app.add_option("--log-level", c.log.level, "trace | debug | info | warn | error | off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->default_val("info");
  app.add_option("--log-file", c.log.file, "Also append the log lines to this file");
  app.set_version_flag("--version",
                       std::string(sw::build::version) + " (git " + sw::build::git_hash + ")");
  app.footer(
      "Log lines go to stderr (stdout is for command output), also to --log-file.\n"
      "Exit codes: 0 success, 1 the run failed, 2 bad usage or invalid input, 3 finished "
      "but some scenes failed (see the scenes table), 130/143/153 stopped by "
      "SIGINT/SIGTERM/SIGXFSZ (a file-size limit; --resume finishes it).");
  add_run_command(app, c.run);
  add_synth_command(app, c.synth);
  add_export_command(app, c.exp);
  add_report_command(app, c.report);
  add_merge_command(app, c.merge);
  add_bench_command(app, c.bench);
  add_info_and_config_commands(app, c);
}

int run_synth(synth_cli& c) {
  sw::synth_options& so = c.opts;
  so.drop_assets = !c.all_assets;
  so.clip_products = !c.full_scenes;
  const auto s = sw::write_synthetic_archive(so);
  if (!so.quiet)
    std::printf("wrote %d scenes, %d sites, %d truth rows (%.1f MiB) to %s\n", s.scenes, s.sites,
                s.truth_rows, s.bytes / 1048576.0, so.out_dir.c_str());
  return 0;
}

int run_merge(const merge_cli& c) {
  const auto m = sw::merge_outputs(c.inputs, c.out, c.overwrite);
  std::printf("merged %d outputs into %s: %lld site_counts rows, %lld detections, %lld scenes",
              m.inputs, c.out.c_str(), m.count_rows, m.detection_rows, m.scenes);
  if (m.duplicate_pairs > 0)
    std::printf("; %lld (site, scene) pairs were in more than one input (kept the first)",
                m.duplicate_pairs);
  std::printf("\n");
  return 0;
}

// Whether `name` is one of the app's commands (asked of the app: no second list to keep).
bool is_command(const CLI::App& app, const std::string& name) {
  return !app.get_subcommands([&](const CLI::App* c) { return c->check_name(name); }).empty();
}

// Log lines on stderr (stdout is for what a command prints: a config, info, a merge's
// summary), and in --log-file when given. --quiet keeps warnings and errors.
void setup_logging(const log_cli& l, bool quiet) {
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
  if (!l.file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(l.file, false));
    } catch (const spdlog::spdlog_ex& e) {
      throw sw::input_error(fmt::format("--log-file {}: {}", l.file, e.what()));
    }
  }
  auto logger = std::make_shared<spdlog::logger>("sitewatch", sinks.begin(), sinks.end());
  spdlog::set_default_logger(logger);
  auto level = spdlog::level::from_str(l.level);
  if (quiet && level < spdlog::level::warn) level = spdlog::level::warn;
  spdlog::set_level(level);
}

// `sitewatch`, `sitewatch help [COMMAND]` and an unknown command, which CLI11 would answer
// with "A subcommand is required" only: the commands are listed. nullopt: parse as usual.
std::optional<int> answer_without_command(CLI::App& app, int argc, char** argv) {
  if (argc < 2) {
    std::fputs(app.help().c_str(), stderr);
    return sw::exit_usage;
  }
  const std::string first = argv[1];
  if (first == "help") {
    const bool known = argc > 2 && is_command(app, argv[2]);
    if (!known) {
      std::fputs(app.help().c_str(), stdout);
      return 0;
    }
    try {  // as `sitewatch COMMAND --help`, so the usage line has the full command
      app.parse(std::string(argv[2]) + " --help", false);
    } catch (const CLI::ParseError& e) {
      return app.exit(e);
    }
    return 0;
  }
  if (!first.empty() && first[0] != '-' && !is_command(app, first)) {
    std::fprintf(stderr, "sitewatch: unknown command '%s'\n\n%s", first.c_str(),
                 app.help().c_str());
    return sw::exit_usage;
  }
  return std::nullopt;
}

// The chosen subcommand's exit code; exceptions are left to main.
int dispatch(commands& c, int argc, char** argv) {
  setup_logging(c.log, *c.run.cmd && c.run.opts.quiet);
  if (*c.run.cmd) {
    c.run.opts.command_line = join_args(argc, argv);
    return sw::run_batch(c.run.opts);
  }
  if (*c.synth.cmd) return run_synth(c.synth);
  if (*c.report.cmd) {
    sw::write_report(c.report.opts);
    return 0;
  }
  if (*c.merge.cmd) return run_merge(c.merge);
  if (*c.bench.cmd) {
    c.bench.opts.command_line = join_args(argc, argv);
    return sw::bench_command(c.bench.opts);
  }
  if (*c.exp.cmd) {
    sw::export_tables(c.exp.in,
                      c.exp.format == "csv" ? sw::export_format::csv : sw::export_format::geojson,
                      c.exp.out);
    return 0;
  }
  if (*c.info) {
    sw::gdal_init();
    print_info();
    return 0;
  }
  if (*c.cfg.cmd) {
    if (!c.cfg.check.empty()) {  // throws input_error with every error found: exit 2
      std::fputs(sw::load_config(c.cfg.check).canonical_toml().c_str(), stdout);
      return 0;
    }
    std::fputs(sw::default_config_toml().c_str(), stdout);
    return 0;
  }
  return sw::exit_usage;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "sitewatch: counts objects and measures change at fixed sites in archives of "
      "Planet-style satellite scenes, on CPU or CUDA, into per-site tables (GeoPackage)."};
  commands cmds;
  add_commands(app, cmds);
  if (const auto early = answer_without_command(app, argc, argv)) return *early;

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : sw::exit_usage;
  }

  try {
    return dispatch(cmds, argc, argv);
  } catch (const sw::input_error& e) {
    std::fprintf(stderr, "sitewatch: %s\n", e.what());
    return sw::exit_usage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sitewatch: error: %s\n", e.what());
    return sw::exit_failed;
  }
}
