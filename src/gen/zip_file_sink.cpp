#include "gen/zip_file_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace marquee::gen {

ZipFileSink::ZipFileSink(std::filesystem::path file) : file_(std::move(file)) {
  zip_error_init(&error_);
}

ZipFileSink::~ZipFileSink() {
  close_file();
  zip_error_fini(&error_);
}

zip_source_t* ZipFileSink::make_source(zip_error_t* error) {
  return zip_source_function_create(&ZipFileSink::callback, this, error);
}

zip_int64_t ZipFileSink::callback(void* state, void* data, zip_uint64_t len, zip_source_cmd_t cmd) {
  return static_cast<ZipFileSink*>(state)->handle(data, len, cmd);
}

zip_int64_t ZipFileSink::handle(void* data, zip_uint64_t len, zip_source_cmd_t cmd) {
  switch (cmd) {
    case ZIP_SOURCE_OPEN:
    case ZIP_SOURCE_READ:
    case ZIP_SOURCE_CLOSE:
    case ZIP_SOURCE_TELL:
    case ZIP_SOURCE_FREE:
      return 0;  // reading sees an empty file
    case ZIP_SOURCE_SEEK:
      return zip_source_seek_compute_offset(0, 0, data, len, &error_) < 0 ? -1 : 0;
    case ZIP_SOURCE_STAT:
      return stat(data, len);
    case ZIP_SOURCE_ERROR:
      return zip_error_to_data(&error_, data, len);
    case ZIP_SOURCE_SUPPORTS:
      return ZIP_SOURCE_SUPPORTS_WRITABLE;
    case ZIP_SOURCE_BEGIN_WRITE:
      return begin_write();
    case ZIP_SOURCE_WRITE:
      return write(data, len);
    case ZIP_SOURCE_SEEK_WRITE:
      return seek_write(data, len);
    case ZIP_SOURCE_TELL_WRITE:
      return static_cast<zip_int64_t>(position_);
    case ZIP_SOURCE_COMMIT_WRITE:
      return commit_write();
    case ZIP_SOURCE_ROLLBACK_WRITE:
      close_file();
      return 0;
    case ZIP_SOURCE_REMOVE:
      // An archive with no entries is no archive: the file is left empty.
      return ::truncate(file_.c_str(), 0) == 0 ? 0 : fail(ZIP_ER_REMOVE, errno);
    default:
      zip_error_set(&error_, ZIP_ER_OPNOTSUPP, 0);
      return -1;
  }
}

zip_int64_t ZipFileSink::stat(void* data, zip_uint64_t len) {
  auto* st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &error_);
  if (st == nullptr) {
    return -1;
  }
  zip_stat_init(st);
  st->size = 0;
  st->valid |= ZIP_STAT_SIZE;
  return sizeof(zip_stat_t);
}

zip_int64_t ZipFileSink::begin_write() {
  close_file();
  fd_ = ::open(file_.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) {
    return fail(ZIP_ER_OPEN, errno);
  }
  position_ = 0;
  size_ = 0;
  return 0;
}

zip_int64_t ZipFileSink::write(const void* data, zip_uint64_t len) {
  const auto* bytes = static_cast<const char*>(data);
  zip_uint64_t done = 0;
  while (done < len) {
    ssize_t n = ::pwrite(fd_, bytes + done, len - done, static_cast<off_t>(position_ + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(ZIP_ER_WRITE, errno);
    }
    done += static_cast<zip_uint64_t>(n);
  }
  position_ += done;
  size_ = std::max(size_, position_);
  return static_cast<zip_int64_t>(done);
}

zip_int64_t ZipFileSink::seek_write(void* data, zip_uint64_t len) {
  zip_int64_t offset = zip_source_seek_compute_offset(position_, size_, data, len, &error_);
  if (offset < 0) {
    return -1;
  }
  position_ = static_cast<zip_uint64_t>(offset);
  return 0;
}

zip_int64_t ZipFileSink::commit_write() {
  int rc = ::close(fd_);
  fd_ = -1;
  return rc == 0 ? 0 : fail(ZIP_ER_CLOSE, errno);
}

void ZipFileSink::close_file() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

zip_int64_t ZipFileSink::fail(int zip_code, int error) {
  system_error_ = error;
  zip_error_set(&error_, zip_code, error);
  return -1;
}

}  // namespace marquee::gen
