// STAC input (host/io/stac): any JSON is not STAC (nullopt), scenes (each usable or with
// `error` set), or a sw::input_error naming the document. Beside the document lies a valid
// scene for hrefs to name.
#include <cstdlib>

#include <cpl_conv.h>

#include "fuzz_input.hpp"
#include "host/common/error.hpp"
#include "host/io/stac.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // hrefs may be URLs: fail them at once (there is no network here, and a slow one would
  // read as a hang)
  static const bool offline = [] {
    CPLSetConfigOption("GDAL_HTTP_TIMEOUT", "1");
    CPLSetConfigOption("GDAL_HTTP_CONNECTTIMEOUT", "1");
    CPLSetConfigOption("GDAL_HTTP_MAX_RETRY", "0");
    return true;
  }();
  (void)offline;
  (void)sw::fuzz::valid_scene();  // what the seeds' items name
  const std::string path = sw::fuzz::as_file("items.json", data, size);
  try {
    if (const auto scenes = sw::index_stac(path))
      for (const auto& s : *scenes)
        if (s.error.empty() && s.acquired.empty()) std::abort();
  } catch (const sw::input_error&) {
  }
  return 0;
}
