// The scene describer (host/io/scene_describe): any bytes under a Planet asset's name are a
// described scene or one with `error` set naming the file; describe never throws. (GDAL's
// own decoders are fuzzed by OSS-Fuzz; this is about what sitewatch does with what GDAL
// hands back: band counts, types, geotransforms, nodata, footprints.)
#include <cstdlib>

#include "fuzz_input.hpp"
#include "host/io/scene.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      sw::fuzz::as_file("20230905_101112_22_2403_3B_AnalyticMS_SR.tif", data, size);
  const sw::scene_info s = sw::describe_scene(path, "", "");
  if (s.error.empty() && s.acquired.empty()) std::abort();
  return 0;
}
