#include "report/report_writer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"

namespace marquee::report {
namespace {

/// Removes what a killed marquee left in `folder`: ".reports.tmp-PID" folders and "NAME.tmp-PID"
/// files whose process is gone (a live one may be another marquee writing now).
void remove_abandoned_temporaries(const std::filesystem::path& folder) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    std::string name = entry.path().filename().string();
    auto at = name.rfind(".tmp-");
    if (at == std::string::npos || at + 5 == name.size()) continue;
    std::string digits = name.substr(at + 5);
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    auto pid = static_cast<pid_t>(std::stol(digits));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code removed;
    std::filesystem::remove_all(entry.path(), removed);
    if (!removed)
      spdlog::info("report: removed {}, left by a process that ended", entry.path().string());
  }
}

/// What the operator can do when writing into `folder` failed with `error`.
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

/// A file written through a buffered descriptor, fsynced on close. It is a temporary file that
/// becomes `target` once renamed, so errors name `target` (the temporary one is removed by the
/// caller) and say what stays as it was.
class OutputFile {
 public:
  OutputFile(const std::filesystem::path& path, const std::filesystem::path& target,
             std::string kept)
      : target_(target), kept_(std::move(kept)) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("create");
  }
  ~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(std::string_view data) {
    buffer_.append(data);
    if (buffer_.size() >= (1 << 20)) flush();
  }
  void close() {
    flush();
    if (::fsync(fd_) != 0) fail("sync");
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) fail("close");
  }

 private:
  void flush() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("write");
      }
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }
  [[noreturn]] void fail(const char* what) {
    int error = errno;
    throw Error(ExitCode::kDatabase,
                fmt::format("cannot {} {}: {}; {}; {}", what, target_.string(),
                            std::strerror(error), write_hint(error, target_.parent_path()), kept_));
  }

  std::filesystem::path target_;
  std::string kept_;
  int fd_ = -1;
  std::string buffer_;
};

void sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

void append_csv_field(std::string& out, std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  auto tmp = path;
  tmp += fmt::format(".tmp-{}", ::getpid());
  std::error_code ec;
  try {
    OutputFile out(tmp, path,
                   fmt::format("the previous {} is unchanged", path.filename().string()));
    out.write(text);
    out.close();
  } catch (...) {
    std::filesystem::remove(tmp, ec);
    throw;
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw Error(ExitCode::kDatabase,
                fmt::format("cannot rename {} into place: {}; {}", path.string(), ec.message(),
                            write_hint(ec.value(), path.parent_path())));
  }
  sync_directory(path.parent_path());
}

std::uint64_t movies_without_year(store::Store& store) {
  std::uint64_t count = 0;
  store.query("SELECT COUNT(*) FROM movie WHERE release_year IS NULL", {},
              [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
                count = row[0] ? std::stoull(*row[0]) : 0;
              });
  return count;
}

std::vector<WrittenReport> write_reports(store::Store& store,
                                         const std::filesystem::path& results_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(results_dir, ec);
  if (ec) {
    throw Error(ExitCode::kDatabase,
                fmt::format("cannot create {}: {}; choose a writable --workdir",
                            results_dir.string(), ec.message()));
  }
  remove_abandoned_temporaries(results_dir);
  // Inside results_dir, not beside it: a results folder that is a filesystem of its own (a
  // mounted volume) must still get its reports by rename, which cannot cross filesystems.
  fs::path staging = results_dir / fmt::format(".reports.tmp-{}", ::getpid());
  const std::string kept = "the previous reports are unchanged";
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) {
    int error = ec.value();
    fs::remove_all(staging, ec);
    throw Error(
        ExitCode::kDatabase,
        fmt::format("cannot create a temporary folder in {}: {}; {}; {}", results_dir.string(),
                    std::strerror(error), write_hint(error, results_dir), kept));
  }
  std::vector<WrittenReport> written;
  try {
    // The four reports answer from one state of the database, even with a load committing.
    store::ReadSnapshot snapshot(store);
    for (std::string_view name : kReportNames) {
      WrittenReport report{std::string(name), results_dir / fmt::format("{}.csv", name), 0};
      OutputFile out(staging / report.path.filename(), report.path, kept);
      std::string line;
      bool header_written = false;
      auto write_header = [&](const std::vector<std::string>& columns) {
        line.clear();
        for (std::size_t i = 0; i < columns.size(); ++i) {
          if (i > 0) line.push_back(',');
          append_csv_field(line, columns[i]);
        }
        line.push_back('\n');
        out.write(line);
        header_written = true;
      };
      std::string sql = store::report_sql(name);
      auto columns = store.query(
          sql, {},
          [&](const std::vector<std::string>& columns, const std::vector<store::Cell>& row) {
            if (!header_written) write_header(columns);
            line.clear();
            for (std::size_t i = 0; i < row.size(); ++i) {
              if (i > 0) line.push_back(',');
              if (row[i]) append_csv_field(line, *row[i]);
            }
            line.push_back('\n');
            out.write(line);
            ++report.rows;
          });
      if (!header_written) write_header(columns);  // no rows: a header-only file
      out.close();
      written.push_back(std::move(report));
    }
    std::size_t replaced = 0;
    for (const auto& report : written) {
      fs::rename(staging / report.path.filename(), report.path, ec);
      if (ec) {
        throw Error(ExitCode::kDatabase,
                    fmt::format("cannot rename the new {} into place: {}; {} of {} reports were "
                                "replaced, the others are the previous ones; {}",
                                report.path.string(), ec.message(), replaced, written.size(),
                                write_hint(ec.value(), results_dir)));
      }
      ++replaced;
    }
    sync_directory(results_dir);
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  fs::remove_all(staging, ec);
  return written;
}

}  // namespace marquee::report
