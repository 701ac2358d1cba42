#include "host/common/error.hpp"

#include <fmt/format.h>

namespace sw::detail {

void throw_expects_failure(const std::string& message, const char* file, int line) {
  throw error(fmt::format("{} ({}:{})", message, file, line));
}

}  // namespace sw::detail
