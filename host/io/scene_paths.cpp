#include "host/io/scene_paths.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <unordered_set>

namespace sw {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string file_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dir_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return {};
  return slash == 0 ? std::string("/") : path.substr(0, slash);
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string stem_of(const std::string& name) {
  const auto dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

std::string extension_of(const std::string& name) {
  const auto dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? std::string() : lower(name.substr(dot + 1));
}

std::string url_to_gdal_path(const std::string& p) {
  if (istarts_with(p, "http://") || istarts_with(p, "https://")) return "/vsicurl/" + p;
  if (istarts_with(p, "s3://")) return "/vsis3/" + p.substr(5);
  if (istarts_with(p, "file://")) return p.substr(7);
  return p;
}

std::string absolute_gdal_path(const std::string& p) {
  std::string g = url_to_gdal_path(p);
  if (g.empty()) return g;
  // An archive handler's file is named relative to the working folder like any local path
  // ("/vsizip/a.zip/x"); "{...}" quotes a name with the handler's separators in it.
  for (const std::string_view handler :
       {"/vsizip/", "/vsitar/", "/vsigzip/", "/vsi7z/", "/vsirar/"})
    if (istarts_with(g, handler)) {
      const std::string inner = g.substr(handler.size());
      if (inner.empty() || inner.front() == '/' || inner.front() == '{') return g;
      return std::string(handler) + std::filesystem::absolute(inner).string();
    }
  if (g.front() == '/' || g.find("://") != std::string::npos) return g;
  return std::filesystem::absolute(g).string();
}

std::string resolve_listed_path(const std::string& ref, const std::string& dir) {
  if (std::string g = url_to_gdal_path(ref); g != ref) return g;
  if ((!ref.empty() && ref.front() == '/') || ref.find("://") != std::string::npos) return ref;
  return join_path(dir, ref);
}

bool is_network_path(const std::string& path) {
  for (const char* prefix : {"/vsicurl/", "/vsicurl?", "/vsis3/", "/vsigs/", "/vsiaz/", "/vsiadls/",
                             "/vsioss/", "/vsiswift/", "/vsiwebhdfs/"})
    if (path.rfind(prefix, 0) == 0) return true;
  return false;
}

bool skipped_extension(const std::string& ext) {
  static const std::unordered_set<std::string> skip{
      "json", "geojson",      "xml",      "ovr",      "hdr",    "txt", "csv", "md",  "aux", "prj",
      "tfw",  "tifw",         "tiffw",    "wld",      "jgw",    "j2w", "pgw", "msk", "qml", "sld",
      "html", "htm",          "log",      "toml",     "yaml",   "yml", "shp", "shx", "dbf", "cpg",
      "qix",  "sbn",          "sbx",      "md5",      "sha256", "imd", "rpb", "rpc", "til", "lst",
      "list", "gpkg-journal", "gpkg-wal", "gpkg-shm", "py",     "sh",  "pdf"};
  return skip.count(ext) > 0;
}

}  // namespace sw
