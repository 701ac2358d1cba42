// The config parser (host/config): any text is a config or a sw::input_error naming what is
// wrong; a config it accepts reads back the same from its canonical TOML.
#include <cstdlib>
#include <string>

#include "host/common/error.hpp"
#include "host/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  sw::config cfg;
  try {
    cfg = sw::parse_config(text, "fuzz.toml");
  } catch (const sw::input_error&) {
    return 0;  // the expected answer to a bad config
  }
  const std::string canonical = cfg.canonical_toml();
  // the canonical text must be a config too, and the same one
  if (sw::parse_config(canonical, "canonical.toml").canonical_toml() != canonical) std::abort();
  return 0;
}
