// Acquisition times of scenes (SPEC 1.1): the three ways a scene states when it was taken
// (RFC 3339 in JSON, the TIFF DateTime tag, a Planet item id), all read as UTC Unix seconds.
// Pure text handling, no GDAL, so each form is tested on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sw {

// Parses RFC 3339 ("2023-10-05T01:35:12.59Z", "...+09:00", fractional seconds optional)
// into Unix seconds (fraction dropped). Returns nullopt if the text is not RFC 3339.
std::optional<std::int64_t> parse_rfc3339(const std::string& text);
// "2023-10-05T01:35:12Z"
std::string format_rfc3339(std::int64_t unix_seconds);

// "YYYY:MM:DD HH:MM:SS", the TIFF 6.0 DateTime tag (no zone; taken as UTC). Dashes in the
// date are accepted too because some writers use them.
std::optional<std::int64_t> parse_tiff_datetime(std::string_view text);

// The id prefix YYYYMMDD_HHMMSS of a Planet item (UTC).
std::optional<std::int64_t> time_from_planet_id(std::string_view id);

// Reads exactly n ASCII digits at text[pos..pos+n), or -1. Shared with the Planet id check
// (host/io/planet_names.hpp), whose date part is the same digits.
int ascii_digits(std::string_view text, std::size_t pos, std::size_t n);

}  // namespace sw
