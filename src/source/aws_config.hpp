#pragma once

#include <optional>
#include <string>
#include <string_view>

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

}  // namespace marquee::source
