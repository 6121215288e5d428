#pragma once

#include <chrono>
#include <filesystem>

namespace marquee {

/// An exclusive flock(2) on a lock file, held while the object lives: the run lock of a work
/// directory (<workdir>/marquee.lock) and of a SQLite database. The kernel drops it when the
/// holder dies, so a crashed run never blocks the next one.
class FileLock {
 public:
  /// Waits up to `timeout` (zero: not at all), then throws marquee::Error(kLocked) naming the
  /// holder's pid and start time as written in the lock file. A lock path that is a symbolic
  /// link, a hard link or not a regular file is never followed or written (the lock rewrites
  /// its file): marquee::Error(kUsage) saying to remove it.
  FileLock(const std::filesystem::path& path, std::chrono::milliseconds timeout);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace marquee
