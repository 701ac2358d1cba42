// SHA-256 (OpenSSL) for the reproducibility columns of the `runs` table.
#pragma once

#include <string>
#include <string_view>

namespace sw {

// Lower-case hex SHA-256 of the bytes.
std::string sha256_hex(std::string_view bytes);

}  // namespace sw
