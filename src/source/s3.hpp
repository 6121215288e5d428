#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "source/source.hpp"

namespace marquee::source {

struct S3Location {
  std::string bucket;
  std::string key;  ///< may be empty (a bucket or a prefix to list)
  std::string uri() const { return "s3://" + bucket + "/" + key; }
};

/// Parses s3://bucket/key; nullopt when `uri` is not of that form.
std::optional<S3Location> parse_s3_uri(std::string_view uri);

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  ///< sent as x-amz-security-token when set
  std::string origin;  ///< where they were found, for messages ("environment", "profile x in …")
};

/// Credentials in the order the AWS tools use: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
/// (+AWS_SESSION_TOKEN), then the profile AWS_PROFILE (default "default") in the shared
/// credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials), then the same
/// profile in the config file. nullopt when none are configured.
std::optional<AwsCredentials> find_aws_credentials();

/// How requests to one bucket are made.
struct S3Settings {
  std::optional<AwsCredentials> credentials;  ///< nullopt: requests go unsigned
  std::string region;
  std::string endpoint;  ///< scheme://host[:port], no trailing slash; empty: AWS for `region`
  bool path_style = false;
};

/// Reads the settings from the environment: credentials (unless no_sign_request); the region
/// from AWS_REGION, AWS_DEFAULT_REGION, the profile's `region` in the config file (AWS_CONFIG_FILE,
/// default ~/.aws/config), else us-east-1 — except that a bucket whose region is known (the
/// canonical com.guild.us-west-2.public-data) uses it when no custom endpoint is set; the
/// endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL. Path-style addressing when the bucket
/// name holds a dot (virtual hosts break TLS there) or the endpoint is custom.
S3Settings resolve_s3_settings(std::string_view bucket, bool no_sign_request);

/// The https://… (or endpoint) URL of an object, path- or virtual-host-style per `settings`.
std::string s3_object_url(const S3Settings& settings, const S3Location& location);

/// AWS's UriEncode: every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper case); '/' kept unless
/// encode_slash.
std::string aws_uri_encode(std::string_view text, bool encode_slash);

struct S3Object {
  std::string key;
  std::string etag;  ///< quotes stripped
  std::uint64_t size = 0;
  std::string last_modified;  ///< ISO 8601 as S3 lists it
};

/// Requests to one bucket. Follows a 301 PermanentRedirect or a 400 AuthorizationHeaderMalformed
/// that names another region once, re-signed for that region. 403 and 404 throw
/// marquee::Error(kSource) naming s3://bucket/key and what to check.
class S3Client {
 public:
  S3Client(S3Settings settings, TransferOptions options);

  ObjectInfo head(const S3Location& location);
  DownloadReport download(const S3Location& location, const ObjectInfo& expected,
                          const std::filesystem::path& part);
  /// Every object under the prefix location.key (ListObjectsV2, following continuation tokens),
  /// in key order; page_size is max-keys per request.
  std::vector<S3Object> list(const S3Location& prefix, int page_size = 1000);

  const S3Settings& settings() const { return settings_; }

 private:
  /// Moves to the region S3 named in a redirect, once per client; false when already moved.
  bool move_to_region(const std::string& region);

  S3Settings settings_;
  TransferOptions options_;
  bool moved_region_ = false;
};

/// A request as SigV4 sees it. libcurl signs the real requests (CURLOPT_AWS_SIGV4); this is the
/// reference the tests hold libcurl's Authorization headers to, checked itself against AWS's
/// published example.
struct SigV4Request {
  std::string method;
  std::string canonical_uri;    ///< already URI-encoded path, e.g. "/test.txt"
  std::string canonical_query;  ///< already encoded and sorted, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  ///< signed headers, any case
  std::string payload_hash;  ///< hex SHA-256 of the body, or UNSIGNED-PAYLOAD
};

std::string sigv4_canonical_request(const SigV4Request& request);
/// The hex signature for `amz_date` ("20130524T000000Z") in region/service.
std::string sigv4_signature(const SigV4Request& request, std::string_view secret_access_key,
                            std::string_view region, std::string_view service,
                            std::string_view amz_date);
/// The full Authorization header value ("AWS4-HMAC-SHA256 Credential=…,SignedHeaders=…,
/// Signature=…").
std::string sigv4_authorization(const SigV4Request& request, const AwsCredentials& credentials,
                                std::string_view region, std::string_view service,
                                std::string_view amz_date);

/// Hex SHA-256 of `data` (the empty-body hash for x-amz-content-sha256).
std::string sha256_hex(std::string_view data);

}  // namespace marquee::source
