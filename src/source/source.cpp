#include "source/source.hpp"

#include <sys/stat.h>

#include <cctype>
#include <ctime>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "source/http_transfer.hpp"
#include "source/redact.hpp"
#include "source/retry.hpp"
#include "source/s3_client.hpp"

namespace marquee::source {
namespace {

std::string percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

/// The last segment of a path, made safe as a file name in staging: letters, digits, '.', '-'
/// and '_' kept, anything else '_', no leading dot. Empty when nothing is left.
std::string safe_file_name(std::string_view path) {
  auto slash = path.find_last_of('/');
  std::string segment(slash == std::string_view::npos ? path : path.substr(slash + 1));
  std::string name;
  for (unsigned char c : segment) {
    name += (std::isalnum(c) || c == '.' || c == '-' || c == '_') ? static_cast<char>(c) : '_';
  }
  while (!name.empty() && name.front() == '.') name.erase(0, 1);
  return name;
}

std::string url_path(std::string_view url) {
  auto scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  auto end = rest.find_first_of("?#");
  rest = rest.substr(0, end);
  auto slash = rest.find('/');
  return slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash));
}

std::string iso8601_of(std::time_t seconds) {
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

class S3Source final : public Source {
 public:
  S3Source(S3Location location, const TransferOptions& options)
      : location_(std::move(location)),
        client_(resolve_s3_settings(location_.bucket, options.no_sign_request), options),
        description_(redacted(location_.uri())),
        file_name_(safe_file_name(location_.key)) {
    const S3Settings& settings = client_.settings();
    spdlog::info("source {}: {} at {}, {}", description_,
                 settings.path_style ? "path-style" : "virtual-host-style",
                 settings.endpoint.empty()
                     ? "AWS region " + settings.region
                     : redacted(settings.endpoint) + " (region " + settings.region + ")",
                 settings.credentials
                     ? "signed with credentials from " + settings.credentials->origin
                     : std::string("unsigned"));
  }

  const std::string& description() const override { return description_; }
  const std::string& file_name() const override { return file_name_; }
  ObjectInfo head() override { return client_.head(location_); }
  DownloadReport download(const std::filesystem::path& part, const ObjectInfo& expected) override {
    return client_.download(location_, expected, part);
  }

 private:
  S3Location location_;
  S3Client client_;
  std::string description_;
  std::string file_name_;
};

class HttpSource final : public Source {
 public:
  HttpSource(std::string url, const TransferOptions& options)
      : url_(std::move(url)),
        options_(options),
        description_(redact_url(url_)),
        file_name_(safe_file_name(percent_decode(url_path(url_)))) {}

  const std::string& description() const override { return description_; }
  const std::string& file_name() const override { return file_name_; }

  ObjectInfo head() override {
    int retries = 0;
    auto response = detail::perform_with_retries([&] { return request(); }, detail::Method::kHead,
                                                 options_, &retries);
    if (detail::is_success(response.status)) return detail::object_info_from(response);
    if (response.status == 403 || response.status == 405 || response.status == 501) {
      // Some servers (and presigned GET links) refuse HEAD: ask for the first byte instead.
      auto probe = detail::perform_with_retries(
          [&] {
            auto ranged = request();
            ranged.headers.push_back("Range: bytes=0-0");
            return ranged;
          },
          detail::Method::kProbe, options_, &retries);
      if (detail::is_success(probe.status)) return detail::object_info_from(probe);
      response = probe;
    }
    throw error_for(response, retries);
  }

  DownloadReport download(const std::filesystem::path& part, const ObjectInfo& expected) override {
    auto outcome = detail::download_resumable([&] { return request(); }, part, expected, options_);
    if (outcome.refused) throw error_for(*outcome.refused, outcome.report.retries);
    return outcome.report;
  }

 private:
  detail::HttpRequest request() const {
    detail::HttpRequest request;
    request.url = url_;
    request.what = description_;
    return request;
  }

  Error error_for(const detail::HttpResponse& response, int retries) const {
    switch (response.status) {
      case 404:
      case 410:
        return Error(ExitCode::kSource, fmt::format("not found: {} (HTTP {}): check the URL",
                                                    description_, response.status));
      case 401:
      case 403:
        return Error(ExitCode::kSource,
                     fmt::format("access denied: {} (HTTP {}): check the URL, whether it needs "
                                 "credentials, and that a signed link has not expired",
                                 description_, response.status));
      default:
        if (is_retryable_status(response.status)) {
          return Error(ExitCode::kSource,
                       fmt::format("{}: HTTP {} after {} retries: the server is failing; try "
                                   "again later",
                                   description_, response.status, retries));
        }
        return Error(ExitCode::kSource,
                     fmt::format("{}: HTTP {}: check the URL", description_, response.status));
    }
  }

  std::string url_;
  TransferOptions options_;
  std::string description_;
  std::string file_name_;
};

class FileSource final : public Source {
 public:
  explicit FileSource(const std::filesystem::path& path)
      : path_(std::filesystem::absolute(path).lexically_normal()),
        description_(path_.string()),
        file_name_(safe_file_name(path_.filename().string())) {}

  const std::string& description() const override { return description_; }
  const std::string& file_name() const override { return file_name_; }
  std::optional<std::filesystem::path> local_path() const override { return path_; }

  ObjectInfo head() override {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      throw Error(ExitCode::kSource,
                  fmt::format("source file not found or not a regular file: {}: check the path",
                              description_));
    }
    ObjectInfo info;
    info.size = static_cast<std::uint64_t>(st.st_size);
    info.last_modified = iso8601_of(st.st_mtime);
    return info;
  }

  DownloadReport download(const std::filesystem::path& part, const ObjectInfo&) override {
    DownloadReport report;
    report.object = head();
    std::error_code error;
    std::filesystem::copy_file(path_, part, std::filesystem::copy_options::overwrite_existing,
                               error);
    if (error) {
      throw Error(ExitCode::kSource, fmt::format("cannot copy {} to {}: {}; check the staging "
                                                 "folder's permissions and free space",
                                                 description_, part.string(), error.message()));
    }
    std::filesystem::remove(part_state_path(part), error);
    report.fetched = std::filesystem::file_size(part);
    return report;
  }

 private:
  std::filesystem::path path_;
  std::string description_;
  std::string file_name_;
};

void require_name(const std::string& name, const std::string& source) {
  if (name.empty()) {
    throw Error(ExitCode::kUsage,
                fmt::format("source {} names no file: give the archive's full URL or key "
                            "(e.g. s3://bucket/path/archive.zip)",
                            redacted(source)));
  }
}

}  // namespace

std::filesystem::path part_state_path(const std::filesystem::path& part) {
  auto path = part;
  path += ".meta";
  return path;
}

SourceKind source_kind(std::string_view source) {
  if (source.starts_with("s3://")) return SourceKind::kS3;
  if (source.starts_with("https://") || source.starts_with("http://")) return SourceKind::kHttp;
  if (!source.starts_with("file://") && source.find("://") != std::string_view::npos) {
    throw Error(ExitCode::kUsage,
                fmt::format("unsupported source {}: use s3://, https://, http://, file:// or a "
                            "path",
                            redact_url(std::string(source))));
  }
  return SourceKind::kFile;
}

std::optional<std::filesystem::path> local_path_of(std::string_view source) {
  std::string path;
  if (source.starts_with("file://")) {
    path = percent_decode(source.substr(7));
    if (path.starts_with("localhost/")) path.erase(0, 9);
  } else if (source.find("://") == std::string_view::npos) {
    path = std::string(source);
  }
  if (path.empty()) return std::nullopt;
  return path;
}

std::unique_ptr<Source> open_source(const std::string& source, const TransferOptions& options) {
  switch (source_kind(source)) {
    case SourceKind::kS3: {
      auto location = parse_s3_uri(source);
      if (!location || location->key.empty() || location->key.ends_with('/')) {
        throw Error(ExitCode::kUsage,
                    fmt::format("{} is not an S3 object: write s3://bucket/path/archive.zip",
                                redacted(source)));
      }
      auto opened = std::make_unique<S3Source>(std::move(*location), options);
      require_name(opened->file_name(), source);
      return opened;
    }
    case SourceKind::kHttp: {
      auto opened = std::make_unique<HttpSource>(source, options);
      require_name(opened->file_name(), opened->description());
      return opened;
    }
    case SourceKind::kFile:
      break;
  }
  auto path = local_path_of(source);
  if (!path) throw Error(ExitCode::kUsage, "the source is empty: give a URL or a path");
  auto opened = std::make_unique<FileSource>(*path);
  require_name(opened->file_name(), source);
  return opened;
}

}  // namespace marquee::source
