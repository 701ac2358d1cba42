// Helpers shared by the tests: temporary directories that clean up after themselves, text
// files, CSV tables (one reader), the sitewatch binary as a process (one runner).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "host/config/config.hpp"

extern char** environ;

namespace sw::test {

// A fresh directory under the system temp dir, removed when the object dies.
class temp_dir {
 public:
  temp_dir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "sw";
    for (auto& c : name)
      if (c == '/') c = '_';
    std::random_device rd;
    path_ =
        std::filesystem::temp_directory_path() / ("sitewatch-" + name + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return (path_ / rel).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The config at `from` with `edit` applied to it, written to `to` by sitewatch's own writer:
// tests change configs through the struct, so a change in the text's layout cannot break
// them.
template <class Edit>
void write_edited_config(const std::string& from, const std::string& to, Edit edit) {
  sw::config c = sw::load_config(from);
  edit(c);
  write_text(to, sw::config_text(c));
}

// One line of a CSV file as cells (double quotes group cells with commas; no escaped quotes).
inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  bool quoted = false;
  for (char c : line) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted) {
      out.push_back(cell);
      cell.clear();
    } else
      cell += c;
  }
  out.push_back(cell);
  return out;
}

// A CSV file with a header row, as cells.
struct csv_table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  // The index of a column, -1 when absent.
  int col(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  }
};

inline csv_table read_csv_table(const std::string& path) {
  std::ifstream f(path);
  csv_table t;
  std::string line;
  if (std::getline(f, line)) t.header = split_csv_line(line);
  while (std::getline(f, line))
    if (!line.empty()) t.rows.push_back(split_csv_line(line));
  return t;
}

// One CSV row by column name.
using csv_row = std::map<std::string, std::string>;

// A CSV file with a header row, each row by column name.
inline std::vector<csv_row> read_csv(const std::string& path) {
  const csv_table t = read_csv_table(path);
  std::vector<csv_row> rows;
  for (const auto& cells : t.rows) {
    csv_row r;
    for (std::size_t i = 0; i < t.header.size() && i < cells.size(); ++i) r[t.header[i]] = cells[i];
    rows.push_back(std::move(r));
  }
  return rows;
}

#ifdef SW_BINARY
// The sitewatch binary as users and outside tests call it.
struct process_result {
  int code = -1;       // exit code; -1 when it did not exit normally
  std::string output;  // stdout and stderr together (or stdout alone)
};

// Runs a shell command line and waits for it; `output` holds what it wrote to stdout.
inline process_result run_shell(const std::string& cmd) {
  process_result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p)) r.output += buf.data();
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs `sitewatch ARGS` (ARGS as a shell would split them) and waits for it; `output` holds
// stdout and stderr, or stdout only when `with_stderr` is false.
inline process_result run_sitewatch(const std::string& args, bool with_stderr = true) {
  return run_shell(std::string(SW_BINARY) + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null"));
}

// As run_sitewatch (stdout and stderr), from the folder `cwd`, with the environment's
// assignments `env` ("A=1 B=2") added.
inline process_result run_sitewatch_in(const std::string& cwd, const std::string& env,
                                       const std::string& args) {
  return run_shell("cd '" + cwd + "' && env " + env + " " + SW_BINARY + " " + args + " 2>&1");
}

// Starts `sitewatch args...` without waiting (to be killed, or waited for with wait_exit);
// its stdout and stderr go to `log` when given, else where the test's go. Returns the pid,
// -1 when it could not start.
inline pid_t spawn_sitewatch(const std::vector<std::string>& args, const std::string& log = "") {
  std::vector<std::string> copy = args;
  std::string bin = SW_BINARY;
  std::vector<char*> argv{bin.data()};
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!log.empty()) {
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, SW_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// The exit code of a spawned process; -1 when a signal ended it.
inline int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
#endif

}  // namespace sw::test
