// Helpers shared by the tests: temporary directories that clean up after themselves, text
// files, CSV tables.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

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

// One CSV row by column name.
using csv_row = std::map<std::string, std::string>;

// A CSV file with a header row (double quotes group cells with commas; no escaped quotes).
inline std::vector<csv_row> read_csv(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::vector<csv_row> rows;
  auto split = [](const std::string& l) {
    std::vector<std::string> out;
    std::string cell;
    bool quoted = false;
    for (char c : l) {
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
  };
  if (!std::getline(f, line)) return rows;
  const std::vector<std::string> head = split(line);
  while (std::getline(f, line)) {
    const auto cells = split(line);
    csv_row r;
    for (std::size_t i = 0; i < head.size() && i < cells.size(); ++i) r[head[i]] = cells[i];
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace sw::test
