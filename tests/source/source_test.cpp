#include "source/source.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"

namespace marquee::source {
namespace {

TEST(SourceKind, S3Uri) {
  EXPECT_EQ(source_kind("s3://bucket/path/archive.zip"), SourceKind::kS3);
}

TEST(SourceKind, HttpAndHttpsUrls) {
  EXPECT_EQ(source_kind("https://example.com/archive.zip"), SourceKind::kHttp);
  EXPECT_EQ(source_kind("http://example.com/archive.zip?x=1"), SourceKind::kHttp);
}

TEST(SourceKind, FileUrlsAndPlainPathsAreFiles) {
  EXPECT_EQ(source_kind("file:///tmp/a%20b.zip"), SourceKind::kFile);
  EXPECT_EQ(source_kind("/tmp/archive.zip"), SourceKind::kFile);
  EXPECT_EQ(source_kind("relative/archive.zip"), SourceKind::kFile);
}

TEST(SourceKind, UnsupportedSchemeIsAUsageErrorWithoutCredentials) {
  try {
    source_kind("ftp://user:secret@example.com/archive.zip?token=t");
    FAIL() << "no Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_STREQ(e.what(),
                 "unsupported source ftp://example.com/archive.zip: use s3://, https://, http://, "
                 "file:// or a path");
  }
}

TEST(LocalPathOf, FileUrlIsPercentDecoded) {
  EXPECT_EQ(local_path_of("file:///tmp/a%20b.zip"), std::filesystem::path("/tmp/a b.zip"));
}

TEST(LocalPathOf, FileUrlOnLocalhost) {
  EXPECT_EQ(local_path_of("file://localhost/tmp/x.zip"), std::filesystem::path("/tmp/x.zip"));
}

TEST(LocalPathOf, PlainPathIsKeptAsWritten) {
  EXPECT_EQ(local_path_of("/tmp/a%20b.zip"), std::filesystem::path("/tmp/a%20b.zip"));
  EXPECT_EQ(local_path_of("data/dir"), std::filesystem::path("data/dir"));
}

TEST(LocalPathOf, RemoteAndUnsupportedSourcesHaveNone) {
  EXPECT_EQ(local_path_of("s3://bucket/archive.zip"), std::nullopt);
  EXPECT_EQ(local_path_of("http://example.com/archive.zip"), std::nullopt);
  EXPECT_EQ(local_path_of("https://example.com/archive.zip"), std::nullopt);
  EXPECT_EQ(local_path_of("ftp://example.com/archive.zip"), std::nullopt);
}

TEST(LocalPathOf, EmptyPathHasNone) {
  EXPECT_EQ(local_path_of(""), std::nullopt);
  EXPECT_EQ(local_path_of("file://"), std::nullopt);
}

TEST(OpenSource, FileUrlOpensTheDecodedPath) {
  auto opened = open_source("file:///tmp/a%20b.zip", {});
  ASSERT_TRUE(opened->local_path());
  EXPECT_EQ(*opened->local_path(), std::filesystem::path("/tmp/a b.zip"));
  EXPECT_EQ(opened->file_name(), "a_b.zip");
}

TEST(OpenSource, EmptySourceIsAUsageError) {
  try {
    open_source("", {});
    FAIL() << "no Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_STREQ(e.what(), "the source is empty: give a URL or a path");
  }
}

}  // namespace
}  // namespace marquee::source
