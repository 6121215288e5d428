#include "common/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace marquee {

FileLock::FileLock(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw Error(ExitCode::kUsage,
                fmt::format("cannot open the run lock {}: {}; choose a writable --workdir",
                            path.string(), std::strerror(errno)));
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      ::close(fd_);
      throw Error(ExitCode::kLocked, fmt::format("cannot take the run lock {}: {}", path.string(),
                                                 std::strerror(errno)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      char holder[256] = {};
      ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
      std::string who =
          n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : "an unknown process";
      while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
      ::close(fd_);
      throw Error(
          ExitCode::kLocked,
          fmt::format("another marquee run holds the lock {} ({}); wait for it to finish, or "
                      "pass --lock-timeout SECONDS to wait",
                      path.string(), who));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string me = fmt::format("pid {} since {}\n", ::getpid(), utc_now_iso8601());
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] ssize_t w = ::pwrite(fd_, me.data(), me.size(), 0);
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace marquee
