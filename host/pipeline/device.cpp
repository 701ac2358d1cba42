#include "host/pipeline/device.hpp"

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "host/common/error.hpp"
#include "kernels/engine.hpp"

namespace sw {

std::string device_choice::describe() const {
  if (serial) return "serial";
  if (!cuda) return "cpu";
  return fmt::format("cuda:{}", fmt::join(gpus, ","));
}

std::string device_choice::models() const {
  if (!cuda) return {};
  std::vector<std::string> lines;
  const std::vector<std::string> all = kern::cuda_device_descriptions();
  for (const int g : gpus)
    if (g >= 0 && static_cast<std::size_t>(g) < all.size()) lines.push_back(all[g]);
  if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES"))
    lines.push_back(fmt::format("CUDA_VISIBLE_DEVICES={}", visible));
  return fmt::format("{}", fmt::join(lines, "\n"));
}

device_choice choose_device(const std::string& option) {
  device_choice d;
  const int available = kern::cuda_device_count();
  if (option == "cpu") return d;
  if (option == "serial") {
    d.serial = true;
    return d;
  }
  if (option == "auto") {
    if (available > 0) {
      d.cuda = true;
      for (int i = 0; i < available; ++i) d.gpus.push_back(i);
    }
    return d;
  }
  if (option.rfind("cuda", 0) != 0)
    throw input_error(
        fmt::format("--device {}: expected auto, cpu, serial, cuda or cuda:N[,M...]", option));
#if !defined(SW_WITH_CUDA)
  throw input_error(fmt::format(
      "--device {}: this sitewatch was built without CUDA (configure with the cuda preset)",
      option));
#endif
  if (available == 0) throw input_error(fmt::format("--device {}: no CUDA device found", option));
  d.cuda = true;
  if (option == "cuda") {
    for (int i = 0; i < available; ++i) d.gpus.push_back(i);
    return d;
  }
  if (option.size() < 6 || option[4] != ':')
    throw input_error(fmt::format("--device {}: expected cuda:N[,M...]", option));
  std::string_view rest(option);
  rest.remove_prefix(5);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    int v = -1;
    const auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || p != item.data() + item.size() || v < 0)
      throw input_error(fmt::format("--device {}: '{}' is not a device number", option, item));
    if (v >= available)
      throw input_error(fmt::format("--device {}: cuda:{} does not exist ({} device(s) found)",
                                    option, v, available));
    d.gpus.push_back(v);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return d;
}

}  // namespace sw
