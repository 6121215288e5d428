#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "source/aws_config.hpp"
#include "source/source.hpp"

namespace marquee::source {

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

}  // namespace marquee::source
