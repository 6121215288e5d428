#pragma once

#include <zip.h>

#include <filesystem>

namespace marquee::gen {

/// The archive file as libzip writes it: a writable zip_source that writes in place, at the
/// offsets libzip asks for (it goes back to fill in each entry's local header), into a file that
/// already exists and that its owner syncs and renames (the temporary file of an AtomicFile).
/// Unlike libzip's own file source it makes no temporary file of its own, so syncing the file
/// that was given syncs what libzip wrote. The file reads as empty: the archive starts empty.
class ZipFileSink {
 public:
  explicit ZipFileSink(std::filesystem::path file);
  ~ZipFileSink();
  ZipFileSink(const ZipFileSink&) = delete;
  ZipFileSink& operator=(const ZipFileSink&) = delete;

  /// A new zip_source over this sink, for zip_open_from_source; it must not outlive the sink.
  zip_source_t* make_source(zip_error_t* error);
  /// errno of the last failed system call, 0 when none failed.
  int system_error() const { return system_error_; }

 private:
  static zip_int64_t callback(void* state, void* data, zip_uint64_t len, zip_source_cmd_t cmd);
  zip_int64_t handle(void* data, zip_uint64_t len, zip_source_cmd_t cmd);
  zip_int64_t stat(void* data, zip_uint64_t len);
  zip_int64_t begin_write();
  zip_int64_t write(const void* data, zip_uint64_t len);
  zip_int64_t seek_write(void* data, zip_uint64_t len);
  zip_int64_t commit_write();
  void close_file();
  zip_int64_t fail(int zip_code, int error);

  std::filesystem::path file_;
  zip_error_t error_;
  int fd_ = -1;
  zip_uint64_t position_ = 0;
  zip_uint64_t size_ = 0;
  int system_error_ = 0;
};

}  // namespace marquee::gen
