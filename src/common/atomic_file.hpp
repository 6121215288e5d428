#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace marquee {

/// What the operator can do when writing into `folder` failed with errno `error` (a full disk,
/// a file size limit, a read-only or foreign-owned folder).
std::string write_hint(int error, const std::filesystem::path& folder);

/// fsync of a folder, so that a rename into it survives a crash. Best effort: a filesystem
/// that cannot sync folders is not an error.
void sync_directory(const std::filesystem::path& dir);

/// A file that appears at `target` whole or not at all: written to a temporary file on the same
/// filesystem (by default `target.tmp-PID` beside it, so a leftover of a killed process says
/// whose it was), fsynced, renamed into place and the folder synced by commit(). Destroyed
/// without commit() it removes the temporary file and leaves `target` as it was. Every failure
/// throws Error(code) naming `target`, the cause, what to do (write_hint) and `kept` (default
/// "the previous NAME is unchanged").
class AtomicFile {
 public:
  AtomicFile(std::filesystem::path target, ExitCode code, std::string kept = {},
             std::filesystem::path temporary = {});
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Buffered; the buffer is written out at 1 MiB and at commit().
  void write(std::string_view data);
  /// Appends `length` bytes of the open file `fd` from `offset`, after what was written before:
  /// copy_file_range(2), so the bytes go from file to file inside the kernel (read and write
  /// where it is not supported). A short source is an Error naming the target too.
  void copy_from(int fd, std::uint64_t offset, std::uint64_t length);
  /// Writes the buffer out: what was written can be read from the temporary file.
  void flush();
  /// The bytes written so far, buffered ones included.
  std::uint64_t size() const { return written_ + buffer_.size(); }
  /// Flushes, fsyncs and closes: the temporary file holds the whole content. Several files that
  /// must all be complete before any replaces its target (the reports) close first, then commit.
  void close();
  /// Whether commit() syncs the target's folder: several files renamed into one folder (the
  /// reports) sync it once after the last with sync_directory.
  enum class SyncFolder { kNow, kByCaller };
  /// close() unless done, then renames into place and syncs the folder (unless kByCaller).
  void commit(SyncFolder sync = SyncFolder::kNow);
  /// What the messages of later failures say stays as it was.
  void set_kept(std::string kept) { kept_ = std::move(kept); }
  const std::filesystem::path& temporary_path() const { return temporary_; }

 private:
  /// Counts bytes that reached the file, and starts their writeback every kWritebackBytes.
  void wrote(std::uint64_t bytes);
  static constexpr std::uint64_t kWritebackBytes = std::uint64_t{8} << 20;
  [[noreturn]] void fail(const char* what, int error);

  std::filesystem::path target_;
  std::filesystem::path temporary_;
  ExitCode code_;
  std::string kept_;
  std::string buffer_;
  int fd_ = -1;
  bool committed_ = false;
  std::uint64_t written_ = 0, kicked_ = 0;
};

/// Writes `text` so that `path` is either the old file or the whole new one, never a part.
void write_file_atomically(const std::filesystem::path& path, std::string_view text,
                           ExitCode code = ExitCode::kDatabase);

}  // namespace marquee
