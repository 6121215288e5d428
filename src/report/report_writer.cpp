#include "report/report_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "common/error.hpp"

namespace marquee::report {
namespace {

/// A file written through a buffered descriptor, fsynced on close; errors name the file.
class OutputFile {
 public:
  explicit OutputFile(const std::filesystem::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot create");
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
    if (::fsync(fd_) != 0) fail("cannot sync");
    if (::close(fd_) != 0) {
      fd_ = -1;
      fail("cannot close");
    }
    fd_ = -1;
  }

 private:
  void flush() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("cannot write");
      }
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }
  [[noreturn]] void fail(const char* what) {
    throw Error(ExitCode::kDatabase,
                fmt::format("{} {}: {}; check the free space and permissions of that folder", what,
                            path_.string(), std::strerror(errno)));
  }

  std::filesystem::path path_;
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
  {
    OutputFile out(tmp);
    out.write(text);
    out.close();
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw Error(ExitCode::kDatabase,
                fmt::format("cannot rename {} into place: {}", path.string(), ec.message()));
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
  fs::path staging = results_dir.parent_path() /
                     fmt::format(".{}.tmp-{}", results_dir.filename().string(), ::getpid());
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) {
    throw Error(ExitCode::kDatabase,
                fmt::format("cannot create {}: {}", staging.string(), ec.message()));
  }
  std::vector<WrittenReport> written;
  try {
    for (std::string_view name : kReportNames) {
      WrittenReport report{std::string(name), results_dir / fmt::format("{}.csv", name), 0};
      OutputFile out(staging / report.path.filename());
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
    for (const auto& report : written) {
      fs::rename(staging / report.path.filename(), report.path);
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
