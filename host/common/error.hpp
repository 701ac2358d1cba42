// Errors on the host side. Kernels never throw; everything around them does.
//
// - sw::input_error: the user's input is wrong (config, site catalog, scene, arguments).
//   The message is for the user: it names the file, the feature or key, and what is wrong.
// - sw::error: anything else that stops an operation (I/O failure, broken invariant).
//   SW_EXPECTS adds the source file and line, because it reports a bug or a system fault.
#pragma once

#include <stdexcept>
#include <string>

namespace sw {

class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class input_error : public error {
 public:
  using error::error;
};

namespace detail {
[[noreturn]] void throw_expects_failure(const std::string& message, const char* file, int line);
}  // namespace detail

}  // namespace sw

#define SW_EXPECTS(cond, msg)                                                    \
  do {                                                                           \
    if (!(cond)) ::sw::detail::throw_expects_failure((msg), __FILE__, __LINE__); \
  } while (0)
