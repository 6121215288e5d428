#pragma once

#include <stdexcept>
#include <string>

namespace marquee {

/// The process exit codes of SPEC section 7.
enum class ExitCode : int {
  kOk = 0,
  kUsage = 1,
  kSource = 2,    ///< source unreachable, not found, or access denied
  kBadData = 3,   ///< corrupt archive, missing entry, reject limit passed
  kDatabase = 4,  ///< any store failure
  kLocked = 5,    ///< another run holds the lock
};

/// An error that ends a batch or a run. The message is one line for the operator:
/// what failed, where (file and line, URL, table) and what to do about it.
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

}  // namespace marquee
