#pragma once

// What the S3 tests share: the s3rver endpoint that ./test.sh starts, signed uploads through
// libcurl, a scoped environment and a temporary folder.

#include <curl/curl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/sha256.hpp"
#include "source/sigv4.hpp"

namespace marquee::testing {

/// s3rver's built-in account.
inline constexpr const char* kS3AccessKey = "S3RVER";
inline constexpr const char* kS3SecretKey = "S3RVER";
/// Dots in the name, like the canonical bucket, so path-style addressing is exercised.
inline constexpr const char* kTestBucket = "com.marquee.test-data";

inline std::string s3_test_endpoint() {
  const char* value = std::getenv("MARQUEE_TEST_S3_ENDPOINT");
  return value ? value : "";
}

#define MARQUEE_REQUIRE_S3()                                                                  \
  do {                                                                                        \
    if (::marquee::testing::s3_test_endpoint().empty()) {                                     \
      GTEST_SKIP() << "MARQUEE_TEST_S3_ENDPOINT is not set (./test.sh starts s3rver for it)"; \
    }                                                                                         \
  } while (0)

/// Sets and unsets environment variables for one test, restoring them afterwards.
class ScopedEnv {
 public:
  ScopedEnv() {
    // Nothing from the machine's own AWS set-up may leak into a test.
    for (const char* name :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
          "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"}) {
      unset(name);
    }
    set("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/marquee-test/credentials");
    set("AWS_CONFIG_FILE", "/nonexistent/marquee-test/config");
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

  void set(const std::string& name, const std::string& value) {
    save(name);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(const std::string& name) {
    save(name);
    ::unsetenv(name.c_str());
  }
  /// Points the S3 code at s3rver with its credentials.
  void use_s3rver() {
    set("AWS_ENDPOINT_URL", s3_test_endpoint());
    set("AWS_ACCESS_KEY_ID", kS3AccessKey);
    set("AWS_SECRET_ACCESS_KEY", kS3SecretKey);
  }

 private:
  void save(const std::string& name) {
    if (saved_.count(name)) return;
    const char* value = std::getenv(name.c_str());
    saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "marquee-test.XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A signed PUT to s3rver: the bucket when `key` is empty, else an object. Returns the status.
inline long s3_put(const std::string& bucket, const std::string& key, const std::string& body,
                   const std::string& access_key = kS3AccessKey,
                   const std::string& secret_key = kS3SecretKey) {
  CURL* curl = curl_easy_init();
  std::string url = fmt::format("{}/{}", s3_test_endpoint(), bucket);
  if (!key.empty()) url += "/" + source::aws_uri_encode(key, false);
  curl_slist* headers = nullptr;
  std::string content_hash = "x-amz-content-sha256: " + sha256_hex(body);
  headers = curl_slist_append(headers, content_hash.c_str());
  headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
  curl_easy_setopt(curl, CURLOPT_USERNAME, access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, secret_key.c_str());
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION,
      +[](char*, std::size_t size, std::size_t count, void*) -> std::size_t {
        return size * count;
      });
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status;
}

/// Creates the test bucket (already there is fine) and uploads `body` under `key`.
inline void s3_upload(const std::string& key, const std::string& body) {
  long bucket_status = s3_put(kTestBucket, "", "");
  ASSERT_TRUE(bucket_status == 200 || bucket_status == 409)
      << "creating the bucket: HTTP " << bucket_status;
  ASSERT_EQ(s3_put(kTestBucket, key, body), 200) << "uploading " << key;
}

/// Bytes that do not compress and differ per seed.
inline std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (auto& byte : bytes) byte = static_cast<char>(random() & 0xff);
  return bytes;
}

/// A key no other test (or earlier run against the same s3rver) uses.
inline std::string unique_key(const std::string& stem) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return fmt::format("tests/{}/{}-{}/{}", info ? info->test_suite_name() : "x",
                     info ? info->name() : "x", ::getpid(), stem);
}

}  // namespace marquee::testing

namespace marquee::source {
/// tests/staging checks archive hashes as source::sha256_hex, the name from before SHA-256 moved
/// to common/.
using marquee::sha256_hex;
}  // namespace marquee::source
