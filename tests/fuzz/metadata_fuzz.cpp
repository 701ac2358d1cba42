// The metadata JSON reader (host/io/scene_json, through describe): a Planet item's
// _metadata.json beside a valid scene. Whatever the JSON, the scene is described: usable,
// or with `error` set (a bad time, an id naming another item); describe never throws.
#include <cstdlib>
#include <string>

#include "fuzz_input.hpp"
#include "host/io/scene.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& scene = sw::fuzz::valid_scene();
  const std::string json =
      sw::fuzz::as_file(std::string(sw::fuzz::k_scene_id) + "_metadata.json", data, size);
  const sw::scene_info s = sw::describe_scene(scene, "", json);
  if (s.error.empty() && s.acquired.empty()) std::abort();  // usable means dated
  return 0;
}
