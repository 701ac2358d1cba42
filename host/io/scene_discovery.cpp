#include "host/io/scene_discovery.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

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

// A file a scene could not be made of (missing, a dangling link, a FIFO): a failed scene,
// with the time its name gives, when it stands for one (`as_scene`); else a warning.
void unusable(const std::string& path, const std::string& why, discovery& d, bool as_scene) {
  if (!as_scene) {
    spdlog::warn("{}", why);
    return;
  }
  scene_info s;
  s.path = path;
  if (identify_by_name(s, file_name(path))) time_from_id(s);
  s.error = why;
  d.failed.push_back(std::move(s));
}

// A Planet UDM2 or metadata file, or a kind of file that is never a scene (sidecars, vectors).
bool sidecar_or_not_a_scene(const std::string& name) {
  const auto planet = parse_planet_name(name);
  return (planet && planet->role != planet_role::data) || skipped_extension(extension_of(name));
}

// Local files only: a /vsi path has no symbolic links.
bool is_link(const std::string& full) {
  struct stat lst {};
  return full.rfind("/vsi", 0) != 0 && ::lstat(full.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode);
}

// A symbolic link (is_link) whose target does not exist is reported here, as a failed scene
// when its name is a scene's data file, else with a warning: a dangling link must not
// vanish from the archive in silence. False when the target exists.
bool dangling_link(const std::string& full, discovery& d) {
  struct stat st {};
  if (::stat(full.c_str(), &st) == 0) return false;
  std::string target(4096, '\0');
  const ssize_t n = ::readlink(full.c_str(), target.data(), target.size() - 1);
  target.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  unusable(full, fmt::format("{}: symbolic link to {}, which does not exist", full, target), d,
           !sidecar_or_not_a_scene(file_name(full)));
  return true;
}

// A named pipe, socket or device among the scenes: never opened (a FIFO's open blocks until
// a writer comes); a failed scene when its name is a scene's data file, else a warning.
void not_a_file(const std::string& full, discovery& d) {
  const auto planet = parse_planet_name(file_name(full));
  unusable(full,
           fmt::format("{}: not a regular file (a named pipe, socket or device), not read", full),
           d, planet && planet->role == planet_role::data);
}

// Whether the directory is searched: a local directory reached a second time (a symbolic
// link loop such as `ln -s . a/loop`, or two links to one folder) is skipped with a warning,
// by device and inode, so that a walk always ends.
bool first_visit(const std::string& dir, discovery& d) {
  if (dir.rfind("/vsi", 0) == 0) return true;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return true;  // VSIOpenDir reports it
  if (d.dirs_seen
          .insert({static_cast<unsigned long long>(st.st_dev),
                   static_cast<unsigned long long>(st.st_ino)})
          .second)
    return true;
  spdlog::warn(
      "{}: a directory already searched (a symbolic link loop or a second link to it), "
      "skipped",
      dir);
  return false;
}

// Whether `zip` is a valid zip archive with no entries. GDAL's /vsizip/ cannot open one as a
// folder, exactly as it cannot open a broken zip, so the end-of-central-directory record
// (PKWARE APPNOTE 4.3.16: signature PK\5\6, then the entry count at offset 10) is read here:
// an empty zip is that record alone (22 bytes, or more with a comment).
bool empty_zip(const std::string& zip) {
  VSILFILE* f = VSIFOpenL(zip.c_str(), "rb");
  if (f == nullptr) return false;
  unsigned char eocd[22] = {};
  const bool read = VSIFReadL(eocd, 1, sizeof eocd, f) == sizeof eocd;
  VSIFCloseL(f);
  return read && std::memcmp(eocd, "PK\x05\x06", 4) == 0 && eocd[10] == 0 && eocd[11] == 0;
}

// Whether a GDAL path is /vsizip/ of an empty zip: an empty folder, which GDAL can neither
// list nor stat.
bool empty_zip_root(const std::string& path) {
  const std::string root = strip_trailing_slashes(path);
  return root.rfind("/vsizip/", 0) == 0 && empty_zip(root.substr(8));
}

// One directory level at a time (GDAL's own recursion follows links into loops forever).
void walk_dir(const std::string& root_in, discovery& d) {
  const std::string root = strip_trailing_slashes(root_in);
  if (!first_visit(root, d)) return;
  VSIDIR* dir = VSIOpenDir(root.c_str(), 0, nullptr);
  if (!dir && empty_zip_root(root)) return;  // no files
  if (!dir)
    throw input_error(
        fmt::format("{}: cannot list directory: {}", root, gdal_last_error("listing failed")));
  std::vector<std::string> zips, subdirs;
  while (const VSIDIREntry* e = VSIGetNextDirEntry(dir)) {
    const std::string rel = e->pszName;
    // Dot files are system or editor droppings (.DS_Store, ._x.tif AppleDouble, .git).
    if (rel.empty() || hidden_component(rel)) continue;
    const std::string full = join_path(root, rel);
    const bool link = is_link(full);
    if (link && dangling_link(full, d)) continue;
    int mode = e->nMode;
    // a listing may give a link's own mode: what it points to decides (VSIStatL follows)
    if (!e->bModeKnown || link) {
      VSIStatBufL st;
      if (VSIStatL(full.c_str(), &st) != 0) continue;
      mode = st.st_mode;
    }
    if (VSI_ISDIR(mode)) {
      subdirs.push_back(full);
      continue;
    }
    if (!VSI_ISREG(mode) && full.rfind("/vsi", 0) != 0) {  // opening a FIFO blocks forever
      not_a_file(full, d);
      continue;
    }
    d.census.add(full);
    if (extension_of(rel) == "zip")
      zips.push_back(full);
    else
      d.files.push_back({full, false});
  }
  VSICloseDir(dir);
  for (const auto& sub : subdirs) walk_dir(sub, d);
  walk_zips(zips, d);
}

void add_path(const std::string& path, discovery& d, bool allow_list, const std::string& list);

// A text file with one path per line; # comments and blank lines skipped; URLs read through
// GDAL's network file systems (http(s):// through /vsicurl/, s3:// through /vsis3/), relative
// paths resolved against the list file's directory.
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
    add_path(resolve_listed_path(line, base), d, false, list_path);
  }
}

// A top-level PATH that is a file: a list of paths, or a raster?
bool looks_like_list(const std::string& path) {
  const std::string name = file_name(path);
  if (parse_planet_name(name)) return false;
  const std::string ext = extension_of(name);
  if (ext == "txt" || ext == "lst" || ext == "list") return true;
  if (skipped_extension(ext)) return false;
  if (const network_open_scope network(path);
      GDALIdentifyDriverEx(path.c_str(), GDAL_OF_RASTER, nullptr, nullptr))
    return false;
  // Anything else that reads as text is taken for a list (a raster GDAL cannot identify
  // would fail anyway); binary content is not.
  VSILFILE* f = VSIFOpenL(path.c_str(), "rb");
  if (!f) return false;
  char head[4096];
  const std::size_t n = VSIFReadL(head, 1, sizeof head, f);
  VSIFCloseL(f);
  return n > 0 && std::memchr(head, '\0', n) == nullptr;
}

void add_missing(const std::string& path, discovery& d, const std::string& list) {
  // A listed sidecar that is missing only costs its scene the mask or metadata.
  unusable(path, fmt::format("{}: no such file (listed in {})", path, list), d,
           !sidecar_or_not_a_scene(file_name(path)));
}

void add_path(const std::string& path, discovery& d, bool allow_list, const std::string& list) {
  VSIStatBufL st;
  if (empty_zip_root(path)) return;  // an empty folder, not a missing one
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
    // "/vsizip/a.zip" of a zip holding one file stats as that file (GDAL opens it through
    // the zip's own name): it is the zip's root all the same
    walk_dir(istarts_with(path, "/vsizip/") ? path : "/vsizip/" + path, d);
  } else if (allow_list && looks_like_list(path)) {
    read_list(path, d);
  } else {
    d.files.push_back({path, true});
  }
}

}  // namespace

discovery discover(const std::string& path) {
  discovery d;
  // A local path is made absolute first, so that every path found under it is: the scenes
  // table then names files (a zip's /vsizip/ members included) that `report` finds from any
  // folder.
  const std::string top = absolute_gdal_path(path);
  add_path(top, d, true, {});
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
