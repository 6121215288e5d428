#pragma once

// The libcurl machinery that S3 and HTTP(S) sources share: one request, the same request retried
// per RetryPolicy, and a resumable download into a .part file. Internal to source/ (and its tests).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "source/source.hpp"

namespace marquee::source::detail {

struct SigV4Signing {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region;
  std::string service = "s3";
};

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  ///< "Name: value"
  std::optional<SigV4Signing> sigv4;
  bool follow_redirects = true;
  std::string connect_to;  ///< a CURLOPT_CONNECT_TO entry ("host:port:addr:port"), or empty
  std::string what;        ///< the target in messages and logs: no credentials, no query
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  ///< the final response's, lower-case names
  std::string body;                            ///< small bodies and error bodies (capped)

  /// The header's value, or "" ("etag", "content-length": lower case).
  std::string header(const std::string& lower_case_name) const;
};

enum class Method {
  kHead,
  kGet,    ///< body kept in HttpResponse::body (listings, errors)
  kProbe,  ///< GET that stops at the first body byte: the headers of a ranged GET for servers
           ///< that refuse HEAD
};

bool is_success(long status);

/// One request without retries. Throws marquee::Error(kSource) on a failure that retrying
/// cannot fix and TransientFailure on one that it may.
HttpResponse perform(const HttpRequest& request, Method method, const TransferOptions& options);

struct TransientFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// perform() again on transient failures and retryable statuses, as RetryPolicy (retry.hpp)
/// says. Returns the last response, which may still be a retryable status when the retries
/// ran out; throws marquee::Error(kSource) when the last attempt failed to connect.
HttpResponse perform_with_retries(const std::function<HttpRequest()>& make, Method method,
                                  const TransferOptions& options, int* retries = nullptr);

struct DownloadOutcome {
  DownloadReport report;
  std::optional<HttpResponse> refused;  ///< a final non-2xx status for the caller to explain
};

/// Fetches the object into `part` (see Source::download). `make` is called for every attempt,
/// so the caller may change the request between attempts (S3 re-signs for another region).
DownloadOutcome download_resumable(const std::function<HttpRequest()>& make,
                                   const std::filesystem::path& part, const ObjectInfo& expected,
                                   const TransferOptions& options);

/// ETag (quotes stripped), the whole object's size (Content-Range total for 206, else
/// Content-Length) and Last-Modified (as ISO 8601) of a response.
ObjectInfo object_info_from(const HttpResponse& response);

/// "Wed, 12 Oct 2009 17:50:00 GMT" -> "2009-10-12T17:50:00Z"; "" when it does not parse.
std::string http_date_to_iso8601(const std::string& http_date);
std::string strip_etag_quotes(std::string etag);

}  // namespace marquee::source::detail
