// Finding the files of a scene archive (SPEC 1.1): directories, zips and list files walked
// into one list of candidate files. Internal to index_scenes (host/io/scene.hpp), split out
// so that walking is apart from grouping and describing what was found.
#pragma once

#include <set>
#include <utility>

#include <cstddef>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <cpl_string.h>

#include "host/io/gdal_util.hpp"
#include "host/io/scene.hpp"
#include "host/io/scene_paths.hpp"

namespace sw {

// What the walk learnt, so that describing a scene needs no further directory listings or
// stats: sidecar JSONs are looked up in `files`, and GDAL gets each directory's names as its
// sibling list (the same list it would otherwise read itself on every open).
struct file_census {
  std::unordered_set<std::string> files;
  std::unordered_map<std::string, std::vector<std::string>> names_by_dir;
  std::unordered_map<std::string, CPLStringList> siblings_by_dir;

  // GDAL caps its own sibling listing at 1000 names; beyond that it stats instead, and so
  // do we rather than copy a huge list into every open.
  static constexpr std::size_t max_siblings = 1000;

  void add(const std::string& path) {
    if (files.insert(path).second) names_by_dir[dir_name(path)].push_back(file_name(path));
  }
  void freeze() {
    for (const auto& [dir, names] : names_by_dir) {
      if (names.size() > max_siblings) continue;
      CPLStringList list;
      for (const auto& n : names) list.AddString(n.c_str());
      siblings_by_dir.emplace(dir, std::move(list));
    }
  }
  // Null: let GDAL look for itself.
  CSLConstList siblings(const std::string& path) const {
    const auto it = siblings_by_dir.find(dir_name(path));
    return it == siblings_by_dir.end() ? nullptr : it->second.List();
  }
  bool exists(const std::string& path) const {
    // A directory we walked is known completely; anything else needs a stat.
    if (names_by_dir.count(dir_name(path)) > 0) return files.count(path) > 0;
    return vsi_path_exists(path);
  }
};

struct candidate {
  std::string path;
  bool listed = false;  // named explicitly (PATH itself or a list line), not found by a walk
};

struct discovery {
  std::vector<candidate> files;    // sorted by path, each path once
  std::vector<scene_info> failed;  // listed paths that do not exist
  file_census census;              // frozen
  // (device, inode) of every local directory searched: a walk never enters one twice
  std::set<std::pair<unsigned long long, unsigned long long>> dirs_seen;
};

// Walks PATH as index_scenes describes it. Throws sw::input_error when PATH does not exist.
discovery discover(const std::string& path);

}  // namespace sw
