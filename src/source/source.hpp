#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace marquee::source {

/// How transfers behave; the same for S3, HTTP(S) and files.
struct TransferOptions {
  /// Retries on 5xx/429/timeouts/resets. A download counts only the attempts in a row that
  /// added no byte to the file, so a long transfer over a flaky link still finishes.
  int max_retries = 5;
  std::chrono::milliseconds base_backoff{500};  ///< doubled each retry, with jitter
  std::chrono::seconds connect_timeout{15};
  std::chrono::seconds low_speed_time{60};  ///< abort a transfer that moved no byte this long
  bool no_sign_request = false;             ///< S3 requests unsigned even when credentials exist
  bool progress = false;                    ///< a progress bar, when stderr is a terminal
  /// Polled during every transfer and retry wait; when it returns true the transfer stops at
  /// once with TransferCancelled (a .part stays, to resume). Empty: never.
  std::function<bool()> cancelled;
};

/// A transfer stopped because TransferOptions::cancelled said so (SIGINT/SIGTERM).
struct TransferCancelled : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// What the server (or the file system) says about an object before it is fetched.
struct ObjectInfo {
  std::string etag;                   ///< quotes stripped; empty when there is none (files)
  std::optional<std::uint64_t> size;  ///< the whole object's length, when known
  std::string last_modified;          ///< ISO 8601 UTC, empty when unknown
};

struct DownloadReport {
  ObjectInfo object;               ///< as the response that completed the file described it
  std::uint64_t resumed_from = 0;  ///< bytes of an earlier .part that were kept (Range resume)
  std::uint64_t fetched = 0;       ///< bytes received in this call
  int retries = 0;                 ///< failed attempts that were retried
  bool restarted = false;          ///< the object changed under the .part (ETag), so it began again
};

/// One place to fetch an archive from: s3://bucket/key, http(s)://…, file://… or a path.
class Source {
 public:
  virtual ~Source() = default;

  /// The source for logs, messages and records: never holds credentials or a query string.
  virtual const std::string& description() const = 0;
  /// A safe file name for the archive in staging (the last path segment, sanitized).
  virtual const std::string& file_name() const = 0;
  /// The file itself when the source is local, so a caller may use it in place.
  virtual std::optional<std::filesystem::path> local_path() const { return std::nullopt; }

  /// One HEAD request (a stat for files). Throws marquee::Error(kSource) for 403/404 and for
  /// a server that stays unreachable after the retries.
  virtual ObjectInfo head() = 0;

  /// Fetches the whole object into `part`. A `part` left by an earlier call is resumed with a
  /// Range request when the object's ETag is still the one recorded beside it in
  /// part_state_path(part); otherwise it starts from zero. Retries per TransferOptions. On
  /// return `part` holds exactly the object's bytes; the caller verifies, fsyncs and renames it
  /// and then removes part_state_path(part).
  virtual DownloadReport download(const std::filesystem::path& part,
                                  const ObjectInfo& expected) = 0;
};

/// What a source names, by its form.
enum class SourceKind { kS3, kHttp, kFile };

/// s3://… is kS3; https://… and http://… kHttp; file://… and a plain path kFile. Throws
/// marquee::Error(kUsage) for any other scheme.
SourceKind source_kind(std::string_view source);

/// The local path a source names: a file:// URL's path, percent-decoded (file://localhost/x is
/// /x), or a plain path as written. nullopt for every other scheme and for an empty path. Never
/// throws: a caller may ask before it knows the source is valid.
std::optional<std::filesystem::path> local_path_of(std::string_view source);

/// Opens SOURCE by its form: s3://bucket/key, https://…, http://…, file://…, or a plain path.
/// S3 settings (credentials, region, endpoint) come from the environment as the AWS tools read
/// them (see aws_config.hpp). Throws marquee::Error(kUsage) for an unsupported scheme or a URL
/// without a file name.
std::unique_ptr<Source> open_source(const std::string& source, const TransferOptions& options);

/// Where download() keeps the validator (ETag) that a resumed .part must still match.
std::filesystem::path part_state_path(const std::filesystem::path& part);

/// A URL without user info, query or fragment: what Source::description() is made of, so that
/// it stays the same when a presigned link is signed anew (the staging state is keyed by it).
/// To name a source as given, with its query kept but masked, use redacted() (redact.hpp).
std::string redact_url(const std::string& url);

}  // namespace marquee::source
