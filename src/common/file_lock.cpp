#include "common/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace marquee {

namespace {

/// A lock path that is a symbolic link (or another name of a file elsewhere) would have the
/// lock truncate and overwrite the file it leads to, so it is refused, never followed.
[[noreturn]] void refuse_redirected_lock(const std::filesystem::path& path, std::string_view what) {
  throw Error(ExitCode::kUsage,
              fmt::format("the run lock {} is {}; marquee does not open it, since the lock "
                          "would overwrite the file it leads to: remove {} (only the link, not "
                          "its target) and run again",
                          path.string(), what, path.string()));
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) {
    int error = errno;
    std::error_code ec;
    if (error == ELOOP && std::filesystem::is_symlink(path, ec)) {
      auto target = std::filesystem::read_symlink(path, ec);
      refuse_redirected_lock(path, ec ? std::string("a symbolic link")
                                      : fmt::format("a symbolic link to {}", target.string()));
    }
    throw Error(ExitCode::kUsage,
                fmt::format("cannot open the run lock {}: {}; choose a writable --workdir",
                            path.string(), std::strerror(error)));
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1) {
    bool regular = S_ISREG(st.st_mode);
    ::close(fd_);
    fd_ = -1;
    refuse_redirected_lock(
        path, regular ? "a hard link to a file that has other names" : "not a regular file");
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
