#include "host/io/scene_discovery.hpp"

#include <algorithm>
#include <cstring>

#include <cpl_vsi.h>
#include <fmt/format.h>
#include <gdal.h>
#include <spdlog/spdlog.h>

#include "host/common/error.hpp"
#include "host/io/planet_names.hpp"
#include "host/io/scene_describe.hpp"

namespace sw {

namespace {

bool hidden_component(const std::string& rel) {
  std::size_t start = 0;
  while (start < rel.size()) {
    if (rel[start] == '.') return true;
    const auto slash = rel.find('/', start);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return false;
}

std::string strip_trailing_slashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

void walk_dir(const std::string& root, discovery& d);

// Planet orders arrive as zips: they are searched as if they were folders.
void walk_zips(const std::vector<std::string>& zips, discovery& d) {
  for (const auto& z : zips) {
    // /vsizip//vsis3/... chains fine, but GDAL splits a path at its first ".zip", so a zip
    // inside a zip is left alone.
    if (z.rfind("/vsizip/", 0) == 0) {
      spdlog::debug("{}: a zip inside a zip, not searched", z);
      continue;
    }
    try {
      walk_dir("/vsizip/" + z, d);
    } catch (const input_error& e) {
      spdlog::warn("{} (skipped)", e.what());
    }
  }
}

void walk_dir(const std::string& root_in, discovery& d) {
  const std::string root = strip_trailing_slashes(root_in);
  VSIDIR* dir = VSIOpenDir(root.c_str(), -1, nullptr);
  if (!dir)
    throw input_error(
        fmt::format("{}: cannot list directory: {}", root, gdal_last_error("listing failed")));
  std::vector<std::string> zips;
  while (const VSIDIREntry* e = VSIGetNextDirEntry(dir)) {
    const std::string rel = e->pszName;
    // Dot files are system or editor droppings (.DS_Store, ._x.tif AppleDouble, .git).
    if (rel.empty() || hidden_component(rel)) continue;
    const std::string full = join_path(root, rel);
    int mode = e->nMode;
    if (!e->bModeKnown) {
      VSIStatBufL st;
      if (VSIStatL(full.c_str(), &st) != 0) continue;
      mode = st.st_mode;
    }
    if (VSI_ISDIR(mode)) continue;
    d.census.add(full);
    if (extension_of(rel) == "zip")
      zips.push_back(full);
    else
      d.files.push_back({full, false});
  }
  VSICloseDir(dir);
  walk_zips(zips, d);
}

bool is_absolute_gdal_path(const std::string& p) {
  return (!p.empty() && p.front() == '/') || p.find("://") != std::string::npos;
}

void add_path(const std::string& path, discovery& d, bool allow_list, const std::string& list);

// A text file with one path per line; # comments and blank lines skipped; relative paths
// resolved against the list file's directory.
void read_list(const std::string& list_path, discovery& d) {
  const std::string text = vsi_read_file(list_path, 256 << 20);
  const std::string base = dir_name(list_path);
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    if (line.front() == '#') continue;
    const std::string p = is_absolute_gdal_path(line) ? line : join_path(base, line);
    add_path(p, d, false, list_path);
  }
}

// A top-level PATH that is a file: a list of paths, or a raster?
bool looks_like_list(const std::string& path) {
  const std::string name = file_name(path);
  if (parse_planet_name(name)) return false;
  const std::string ext = extension_of(name);
  if (ext == "txt" || ext == "lst" || ext == "list") return true;
  if (skipped_extension(ext)) return false;
  if (GDALIdentifyDriverEx(path.c_str(), GDAL_OF_RASTER, nullptr, nullptr)) return false;
  // Anything else that reads as text is taken for a list (a raster GDAL cannot identify
  // would fail anyway); binary content is not.
  VSILFILE* f = VSIFOpenL(path.c_str(), "rb");
  if (!f) return false;
  char head[4096];
  const std::size_t n = VSIFReadL(head, 1, sizeof head, f);
  VSIFCloseL(f);
  return n > 0 && std::memchr(head, '\0', n) == nullptr;
}

scene_info missing_scene(const std::string& path, const std::string& list) {
  scene_info s;
  s.path = path;
  if (identify_by_name(s, file_name(path))) time_from_id(s);
  s.error = fmt::format("{}: no such file (listed in {})", path, list);
  return s;
}

void add_missing(const std::string& path, discovery& d, const std::string& list) {
  // A listed sidecar that is missing only costs its scene the mask or metadata.
  const std::string name = file_name(path);
  const auto planet = parse_planet_name(name);
  if ((planet && planet->role != planet_role::data) || skipped_extension(extension_of(name)))
    spdlog::warn("{}: no such file (listed in {})", path, list);
  else
    d.failed.push_back(missing_scene(path, list));
}

void add_path(const std::string& path, discovery& d, bool allow_list, const std::string& list) {
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) != 0) {
    if (!allow_list) {
      add_missing(path, d, list);
      return;
    }
    throw input_error(fmt::format("{}: no such file or directory", path));
  }
  if (VSI_ISDIR(st.st_mode)) {
    walk_dir(path, d);
  } else if (extension_of(file_name(path)) == "zip") {
    walk_dir("/vsizip/" + path, d);
  } else if (allow_list && looks_like_list(path)) {
    read_list(path, d);
  } else {
    d.files.push_back({path, true});
  }
}

}  // namespace

discovery discover(const std::string& path) {
  discovery d;
  add_path(path, d, true, {});
  d.census.freeze();
  // The same file reached twice (a list naming it twice, a folder and a file inside it).
  std::sort(d.files.begin(), d.files.end(), [](const candidate& a, const candidate& b) {
    return a.path != b.path ? a.path < b.path : a.listed > b.listed;
  });
  d.files.erase(
      std::unique(d.files.begin(), d.files.end(),
                  [](const candidate& a, const candidate& b) { return a.path == b.path; }),
      d.files.end());
  return d;
}

}  // namespace sw
