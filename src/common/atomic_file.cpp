#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace marquee {

std::string write_hint(int error, const std::filesystem::path& folder) {
  switch (error) {
    case ENOSPC:
    case EDQUOT:
      return fmt::format("free space on the filesystem of {}, then run again", folder.string());
    case EFBIG:
      return "raise the file size limit of the marquee process (ulimit -f), then run again";
    case EACCES:
    case EPERM:
    case EROFS:
      return fmt::format("make {} writable for marquee, then run again", folder.string());
    default:
      return fmt::format("check the free space and permissions of {}, then run again",
                         folder.string());
  }
}

void sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

AtomicFile::AtomicFile(std::filesystem::path target, ExitCode code, std::string kept,
                       std::filesystem::path temporary)
    : target_(std::move(target)),
      temporary_(std::move(temporary)),
      code_(code),
      kept_(std::move(kept)) {
  if (kept_.empty()) {
    kept_ = fmt::format("the previous {} is unchanged", target_.filename().string());
  }
  if (temporary_.empty()) {
    temporary_ = target_;
    temporary_ += fmt::format(".tmp-{}", ::getpid());
  }
  fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("create", errno);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void AtomicFile::write(std::string_view data) {
  buffer_.append(data);
  if (buffer_.size() >= (std::size_t{1} << 20)) flush();
}

void AtomicFile::flush() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  wrote(buffer_.size());
  buffer_.clear();
}

void AtomicFile::wrote(std::uint64_t bytes) {
  written_ += bytes;
#ifdef SYNC_FILE_RANGE_WRITE
  // Start writing the pages back now, while the rest is produced: the fsync at close then
  // waits for what is left instead of for the whole file (a patched 86 MB report spent 0.09 s
  // there). Only a hint: errors come from the fsync.
  if (written_ - kicked_ >= kWritebackBytes) {
    ::sync_file_range(fd_, static_cast<off64_t>(kicked_), static_cast<off64_t>(written_ - kicked_),
                      SYNC_FILE_RANGE_WRITE);
    kicked_ = written_;
  }
#endif
}

void AtomicFile::copy_from(int fd, std::uint64_t offset, std::uint64_t length) {
  flush();
  auto from = static_cast<off64_t>(offset);
  bool in_kernel = true;
  std::vector<char> bounce;
  while (length > 0) {
    std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(length, 1 << 30));
    ssize_t n = -1;
    if (in_kernel) {
      n = ::copy_file_range(fd, &from, fd_, nullptr, chunk, 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
        in_kernel = false;  // another filesystem or an old kernel: through a buffer
        continue;
      }
    } else {
      bounce.resize(std::min<std::size_t>(chunk, std::size_t{1} << 20));
      n = ::pread(fd, bounce.data(), bounce.size(), from);
      if (n > 0) {
        buffer_.assign(bounce.data(), static_cast<std::size_t>(n));
        flush();
        from += n;
      }
    }
    if (in_kernel && n > 0) wrote(static_cast<std::uint64_t>(n));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("copy into", errno);
    }
    if (n == 0) fail("copy into", EIO);  // the source ended early
    length -= static_cast<std::uint64_t>(n);
  }
}

void AtomicFile::close() {
  if (fd_ < 0) return;
  flush();
  std::string().swap(buffer_);  // the reports keep their files open until all are closed
  if (::fsync(fd_) != 0) fail("sync", errno);
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) fail("close", errno);
}

void AtomicFile::commit(SyncFolder sync) {
  close();
  std::error_code ec;
  std::filesystem::rename(temporary_, target_, ec);
  if (ec) {
    throw Error(code_,
                fmt::format("cannot rename {} into place: {}; {}; {}", target_.string(),
                            ec.message(), write_hint(ec.value(), target_.parent_path()), kept_));
  }
  committed_ = true;
  if (sync == SyncFolder::kNow) sync_directory(target_.parent_path());
}

void AtomicFile::fail(const char* what, int error) {
  throw Error(code_,
              fmt::format("cannot {} {}: {}; {}; {}", what, target_.string(), std::strerror(error),
                          write_hint(error, target_.parent_path()), kept_));
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text,
                           ExitCode code) {
  AtomicFile out(path, code);
  out.write(text);
  out.commit();
}

}  // namespace marquee
