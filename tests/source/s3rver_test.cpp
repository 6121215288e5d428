// S3 sources against s3rver (a real S3 emulator that ./test.sh starts). s3rver checks access key
// ids but not signatures; the signatures themselves are checked in sigv4_test and
// s3_client_test.

#include <gtest/gtest.h>

#include <fstream>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "source/s3_client.hpp"
#include "source/s3_test_support.hpp"
#include "source/source.hpp"

namespace marquee::source {
namespace {

using testing::kTestBucket;
using testing::ScopedEnv;
using testing::TempDir;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string s3_uri(const std::string& key) {
  return fmt::format("s3://{}/{}", kTestBucket, key);
}

TransferOptions fast_options() {
  TransferOptions options;
  options.base_backoff = std::chrono::milliseconds(5);
  options.max_retries = 2;
  return options;
}

TEST(S3Source, SignedDownload) {
  MARQUEE_REQUIRE_S3();
  ScopedEnv env;
  env.use_s3rver();
  std::string key = testing::unique_key("the-movies-dataset.zip");
  std::string body = testing::random_bytes(300'000, 1);
  testing::s3_upload(key, body);

  TempDir dir;
  auto source = open_source(s3_uri(key), fast_options());
  EXPECT_EQ(source->description(), s3_uri(key));
  EXPECT_EQ(source->file_name(), "the-movies-dataset.zip");
  ObjectInfo info = source->head();
  EXPECT_EQ(info.size, body.size());
  EXPECT_FALSE(info.etag.empty());
  EXPECT_FALSE(info.last_modified.empty());

  DownloadReport report = source->download(dir.path() / "a.part", info);
  EXPECT_EQ(report.fetched, body.size());
  EXPECT_EQ(report.resumed_from, 0u);
  EXPECT_EQ(report.object.etag, info.etag);
  EXPECT_EQ(read_file(dir.path() / "a.part"), body);
}

TEST(S3Source, UnsignedDownload) {
  MARQUEE_REQUIRE_S3();
  ScopedEnv env;
  env.use_s3rver();
  std::string key = testing::unique_key("public.zip");
  std::string body = testing::random_bytes(10'000, 2);
  testing::s3_upload(key, body);

  // No credentials at all, and credentials with --no-sign-request: both go unsigned, which
  // s3rver (like a public bucket) serves.
  env.unset("AWS_ACCESS_KEY_ID");
  env.unset("AWS_SECRET_ACCESS_KEY");
  EXPECT_FALSE(resolve_s3_settings(kTestBucket, false).credentials);
  TempDir dir;
  auto source = open_source(s3_uri(key), fast_options());
  source->download(dir.path() / "a.part", source->head());
  EXPECT_EQ(read_file(dir.path() / "a.part"), body);

  env.set("AWS_ACCESS_KEY_ID", "WRONGKEY");
  env.set("AWS_SECRET_ACCESS_KEY", "wrongsecret");
  TransferOptions unsigned_options = fast_options();
  unsigned_options.no_sign_request = true;
  auto unsigned_source = open_source(s3_uri(key), unsigned_options);
  unsigned_source->download(dir.path() / "b.part", unsigned_source->head());
  EXPECT_EQ(read_file(dir.path() / "b.part"), body);
}

TEST(S3Source, CredentialsFromAProfileInTheCredentialsFile) {
  MARQUEE_REQUIRE_S3();
  ScopedEnv env;
  env.use_s3rver();
  std::string key = testing::unique_key("profile.zip");
  std::string body = testing::random_bytes(5'000, 3);
  testing::s3_upload(key, body);

  TempDir dir;
  std::ofstream(dir.path() / "credentials")
      << "[default]\naws_access_key_id = WRONGKEY\naws_secret_access_key = wrong\n"
      << "[emulator]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n";
  env.unset("AWS_ACCESS_KEY_ID");
  env.unset("AWS_SECRET_ACCESS_KEY");
  env.set("AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "credentials").string());

  // The default profile holds a key s3rver does not know: it is what gets used.
  EXPECT_THROW(open_source(s3_uri(key), fast_options())->head(), Error);

  env.set("AWS_PROFILE", "emulator");
  auto settings = resolve_s3_settings(kTestBucket, false);
  ASSERT_TRUE(settings.credentials);
  EXPECT_NE(settings.credentials->origin.find("profile 'emulator'"), std::string::npos);
  auto source = open_source(s3_uri(key), fast_options());
  source->download(dir.path() / "a.part", source->head());
  EXPECT_EQ(read_file(dir.path() / "a.part"), body);
}

TEST(S3Source, WrongAccessKeyIs403WithExitCode2NamingTheObject) {
  MARQUEE_REQUIRE_S3();
  ScopedEnv env;
  env.use_s3rver();
  std::string key = testing::unique_key("denied.zip");
  testing::s3_upload(key, "x");
  env.set("AWS_ACCESS_KEY_ID", "NOTAKNOWNKEY");
  env.set("AWS_SECRET_ACCESS_KEY", "do-not-print-this-secret");

  TransferOptions options = fast_options();
  options.max_retries = 5;
  options.base_backoff = std::chrono::milliseconds(2000);  // a retry would show in the time
  auto started = std::chrono::steady_clock::now();
  try {
    open_source(s3_uri(key), options)->head();
    FAIL() << "expected access denied";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_EQ(error.code(), ExitCode::kSource);
    EXPECT_EQ(static_cast<int>(error.code()), 2);
    EXPECT_NE(message.find("access denied"), std::string::npos) << message;
    EXPECT_NE(message.find(s3_uri(key)), std::string::npos) << message;
    EXPECT_NE(message.find("403"), std::string::npos) << message;
    EXPECT_NE(message.find("credentials"), std::string::npos) << message;
    EXPECT_EQ(message.find("do-not-print-this-secret"), std::string::npos) << message;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1500));

  // A download (GET, with an XML body) says the same.
  TempDir dir;
  try {
    open_source(s3_uri(key), options)->download(dir.path() / "x.part", {});
    FAIL() << "expected access denied";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::kSource);
    EXPECT_NE(std::string(error.what()).find("InvalidAccessKeyId"), std::string::npos)
        << error.what();
  }
}

TEST(S3Source, MissingKeyIs404WithExitCode2) {
  MARQUEE_REQUIRE_S3();
  ScopedEnv env;
  env.use_s3rver();
  testing::s3_upload(testing::unique_key("present.zip"), "x");
  std::string key = testing::unique_key("absent.zip");
  try {
    open_source(s3_uri(key), fast_options())->head();
    FAIL() << "expected not found";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_EQ(error.code(), ExitCode::kSource);
    EXPECT_NE(message.find("not found"), std::string::npos) << message;
    EXPECT_NE(message.find(s3_uri(key)), std::string::npos) << message;
    EXPECT_NE(message.find("404"), std::string::npos) << message;
  }
}

TEST(S3Source, MissingBucketIs404) {
  MARQUEE_REQUIRE_S3();
  ScopedEnv env;
  env.use_s3rver();
  try {
    open_source("s3://no.such.bucket.marquee/x.zip", fast_options())->head();
    FAIL() << "expected not found";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::kSource);
    EXPECT_NE(std::string(error.what()).find("s3://no.such.bucket.marquee/x.zip"),
              std::string::npos);
  }
}

TEST(S3Source, PartIsResumedWithARangeRequest) {
  MARQUEE_REQUIRE_S3();
  ScopedEnv env;
  env.use_s3rver();
  std::string key = testing::unique_key("resume.zip");
  std::string body = testing::random_bytes(200'000, 4);
  testing::s3_upload(key, body);

  TempDir dir;
  auto part = dir.path() / "resume.zip.part";
  auto source = open_source(s3_uri(key), fast_options());
  ObjectInfo info = source->head();
  source->download(part, info);
  // An interrupted run: only the first 70,000 bytes made it, the ETag beside them.
  std::filesystem::resize_file(part, 70'000);
  ASSERT_TRUE(std::filesystem::exists(part_state_path(part)));

  DownloadReport report = open_source(s3_uri(key), fast_options())->download(part, info);
  EXPECT_EQ(report.resumed_from, 70'000u);
  EXPECT_EQ(report.fetched, body.size() - 70'000);
  EXPECT_FALSE(report.restarted);
  EXPECT_EQ(sha256_hex(read_file(part)), sha256_hex(body));
}

TEST(S3Source, PartOfAnotherObjectVersionStartsOver) {
  MARQUEE_REQUIRE_S3();
  ScopedEnv env;
  env.use_s3rver();
  std::string key = testing::unique_key("changed.zip");
  testing::s3_upload(key, testing::random_bytes(50'000, 5));

  TempDir dir;
  auto part = dir.path() / "changed.zip.part";
  auto source = open_source(s3_uri(key), fast_options());
  source->download(part, source->head());
  std::filesystem::resize_file(part, 20'000);

  std::string second = testing::random_bytes(60'000, 6);
  testing::s3_upload(key, second);  // a new version: a new ETag
  ObjectInfo info = source->head();
  DownloadReport report = source->download(part, info);
  EXPECT_EQ(report.resumed_from, 0u);
  EXPECT_EQ(report.fetched, second.size());
  EXPECT_EQ(read_file(part), second);
}

void upload_listing(const std::string& prefix) {
  for (int i = 0; i < 5; ++i) {
    testing::s3_upload(fmt::format("{}2024-0{}.zip", prefix, i + 1), std::string(10 + i, 'x'));
  }
  testing::s3_upload(testing::unique_key("elsewhere.zip"), "y");
}

void expect_listing(const std::vector<S3Object>& objects, const std::string& prefix) {
  ASSERT_EQ(objects.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(objects[i].key, fmt::format("{}2024-0{}.zip", prefix, i + 1));
    EXPECT_EQ(objects[i].size, static_cast<std::uint64_t>(10 + i));
    EXPECT_FALSE(objects[i].etag.empty());
    EXPECT_EQ(objects[i].etag.find('"'), std::string::npos);
  }
}

TEST(S3Source, ListObjectsV2UnderAPrefix) {
  MARQUEE_REQUIRE_S3();
  ScopedEnv env;
  env.use_s3rver();
  std::string prefix = testing::unique_key("backfill/");
  upload_listing(prefix);
  S3Client client(resolve_s3_settings(kTestBucket, false), fast_options());
  expect_listing(client.list({kTestBucket, prefix}), prefix);
}

TEST(S3Source, ListObjectsV2FollowsContinuationTokens) {
  MARQUEE_REQUIRE_S3();
  ScopedEnv env;
  env.use_s3rver();
  std::string prefix = testing::unique_key("backfill/");
  upload_listing(prefix);
  TransferOptions options = fast_options();
  options.max_retries = 0;
  S3Client client(resolve_s3_settings(kTestBucket, false), options);
  try {
    expect_listing(client.list({kTestBucket, prefix}, 2), prefix);
  } catch (const Error& error) {
    // s3rver 3.7 encrypts its continuation tokens with DES, which Node 17+ (OpenSSL 3) only
    // offers when started with --openssl-legacy-provider; without it a truncated listing is a
    // 500 InternalError. S3Client.ListFollowsContinuationTokensAndSignsTheQuery covers paging.
    if (std::string(error.what()).find("InternalError") == std::string::npos) throw;
    GTEST_SKIP() << "s3rver cannot page listings here (start node with "
                    "--openssl-legacy-provider): "
                 << error.what();
  }
}

}  // namespace
}  // namespace marquee::source
