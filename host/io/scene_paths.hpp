// File names of scene archives as text. GDAL paths use '/' on every platform we build for,
// /vsizip/ and URLs included, so plain string handling is enough and avoids CPLGetPath's
// thread-local buffers.
#pragma once

#include <string>
#include <string_view>

namespace sw {

std::string lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

std::string file_name(const std::string& path);
std::string dir_name(const std::string& path);  // "" without a '/', "/" for "/x"
std::string join_path(const std::string& dir, const std::string& name);
// Name without its last extension ("a.b.tif" -> "a.b"); a leading dot is not an extension.
std::string stem_of(const std::string& name);
std::string extension_of(const std::string& name);  // lower case, without the dot

// A URL as a GDAL path: http(s):// through /vsicurl/, s3:// through /vsis3/, file:// as the
// local path it names; anything else (a GDAL or local path) as it is.
std::string url_to_gdal_path(const std::string& p);

// A path as the user gave it (--scenes, --sites, --config), absolute: a URL as
// url_to_gdal_path, a relative local path against the working folder, also the archive inside
// a /vsizip/, /vsitar/, /vsigzip/, /vsi7z/ or /vsirar/ path; other GDAL paths as they are. So
// that what is recorded of a run (the scenes and runs tables) can be found from any folder.
std::string absolute_gdal_path(const std::string& p);

// A path named in a list file or a catalogue, as a GDAL path: a URL as url_to_gdal_path, an
// absolute path (or one with another scheme) as it is, a relative one against `dir` (the
// naming document's folder, itself a GDAL path, so a list or catalogue read through
// /vsicurl/ resolves its relative paths through /vsicurl/ too).
std::string resolve_listed_path(const std::string& ref, const std::string& dir);

// Whether a GDAL path is on a network file system (/vsicurl/, /vsis3/, /vsigs/, /vsiaz/,
// /vsiadls/, /vsioss/, /vsiswift/, /vsiwebhdfs/), where every stat is a request.
bool is_network_path(const std::string& path);

// Sidecars, catalogs, documents: never scenes, and cheaper to drop by name than to hand to
// every GDAL driver's Identify (which would read their first bytes).
bool skipped_extension(const std::string& ext);

}  // namespace sw
