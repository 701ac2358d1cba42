// The site catalog loader (host/io/sites): any GeoJSON text is a catalog or a
// sw::input_error naming the file, the feature and what is wrong.
#include "fuzz_input.hpp"
#include "host/common/error.hpp"
#include "host/config/config.hpp"
#include "host/io/sites.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const sw::config cfg = sw::default_config();
  const std::string path = sw::fuzz::as_file("sites.geojson", data, size);
  try {
    (void)sw::load_sites(path, cfg);
  } catch (const sw::input_error&) {
  }
  return 0;
}
