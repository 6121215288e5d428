#pragma once

#include <chrono>
#include <filesystem>

namespace marquee::pipeline {

/// The run lock for loaders on one work directory: an flock(2) on <workdir>/marquee.lock. The
/// kernel drops it when the holder dies, so a crashed run never blocks the next one.
class RunLock {
 public:
  /// Waits up to `timeout` (zero: not at all), then throws marquee::Error(kLocked) naming the
  /// holder's pid and start time as written in the lock file.
  RunLock(const std::filesystem::path& path, std::chrono::milliseconds timeout);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace marquee::pipeline
