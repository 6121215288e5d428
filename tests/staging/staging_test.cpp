#include "staging/staging.hpp"

#include <gtest/gtest.h>
#include <zip.h>

#include <atomic>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "source/local_http_server.hpp"
#include "source/s3_test_support.hpp"
#include "source/source.hpp"

namespace marquee::staging {
namespace {

namespace fs = std::filesystem;
using testing::HttpExchange;
using testing::LocalHttpServer;
using testing::ScopedEnv;
using testing::send_all;
using testing::serve_object;
using testing::TempDir;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

/// A ZIP with stored (uncompressed) entries, so its size follows its content.
std::string zip_bytes(const std::vector<std::pair<std::string, std::string>>& entries) {
  TempDir dir;
  fs::path path = dir.path() / "built.zip";
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (!archive) throw std::runtime_error("zip_open failed");
  for (const auto& [name, content] : entries) {
    zip_source_t* source = zip_source_buffer(archive, content.data(), content.size(), 0);
    zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_OVERWRITE);
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }
  if (zip_close(archive) != 0) throw std::runtime_error("zip_close failed");
  return read_file(path);
}

std::string dataset_zip(unsigned seed, std::size_t size = 40'000) {
  return zip_bytes({{"movies_metadata.csv", testing::random_bytes(size, seed)},
                    {"links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n"}});
}

StageOptions fast_options() {
  StageOptions options;
  options.base_backoff = std::chrono::milliseconds(5);
  options.max_retries = 2;
  options.low_speed_time = std::chrono::seconds(2);
  return options;
}

/// Every file name in `folder`, sorted.
std::vector<std::string> listing(const fs::path& folder) {
  std::vector<std::string> names;
  if (!fs::exists(folder)) return names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class Staging : public ::testing::Test {
 protected:
  TempDir work;
  StagingDirs dirs{work.path() / "staging"};
  fs::path outside = work.path() / "downloads";
  void SetUp() override { fs::create_directories(outside); }
};

TEST_F(Staging, LocalFileIsCopiedVerifiedAndDescribed) {
  std::string bytes = dataset_zip(1);
  write_file(outside / "the-movies-dataset.zip", bytes);
  StageResult result = stage((outside / "the-movies-dataset.zip").string(), dirs, fast_options());

  EXPECT_FALSE(result.downloaded);
  EXPECT_FALSE(result.skipped_unchanged);
  EXPECT_EQ(result.archive.path, dirs.incoming() / "the-movies-dataset.zip");
  EXPECT_EQ(read_file(result.archive.path), bytes);
  EXPECT_EQ(result.archive.sha256, sha256_file(outside / "the-movies-dataset.zip"));
  EXPECT_EQ(result.archive.size, bytes.size());
  EXPECT_EQ(result.archive.source, (outside / "the-movies-dataset.zip").string());
  EXPECT_TRUE(result.archive.etag.empty());
  EXPECT_FALSE(result.archive.last_modified.empty());
  EXPECT_FALSE(result.archive.staged_at.empty());
  EXPECT_EQ(
      listing(dirs.incoming()),
      (std::vector<std::string>{"the-movies-dataset.zip", "the-movies-dataset.zip.meta.json"}));

  auto meta =
      nlohmann::json::parse(read_file(dirs.incoming() / "the-movies-dataset.zip.meta.json"));
  EXPECT_EQ(meta["sha256"], result.archive.sha256);
  EXPECT_EQ(meta["size"], bytes.size());
  EXPECT_EQ(meta["source"], result.archive.source);
  EXPECT_EQ(meta["staged_at"], result.archive.staged_at);
  EXPECT_TRUE(meta.contains("etag"));
  EXPECT_TRUE(meta.contains("last_modified"));

  auto waiting = pending(dirs.incoming());
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].path, result.archive.path);
  EXPECT_EQ(waiting[0].sha256, result.archive.sha256);
}

TEST_F(Staging, FileAlreadyInIncomingIsStagedInPlace) {
  dirs.create();
  std::string bytes = dataset_zip(2);
  write_file(dirs.incoming() / "dropped.zip", bytes);
  StageResult result = stage("file://" + (dirs.incoming() / "dropped.zip").string(), dirs, {});
  EXPECT_EQ(result.archive.path, dirs.incoming() / "dropped.zip");
  EXPECT_EQ(result.archive.sha256, sha256_file(dirs.incoming() / "dropped.zip"));
  EXPECT_EQ(listing(dirs.incoming()),
            (std::vector<std::string>{"dropped.zip", "dropped.zip.meta.json"}));
  EXPECT_EQ(pending(dirs.incoming()).size(), 1u);

  StageResult again = stage((dirs.incoming() / "dropped.zip").string(), dirs, {});
  EXPECT_EQ(again.archive.staged_at, result.archive.staged_at);
  EXPECT_EQ(listing(dirs.incoming()).size(), 2u);
}

TEST_F(Staging, NotAZipIsBadDataAndNothingIsStaged) {
  write_file(outside / "archive.zip", "<html>this is an error page, not an archive</html>");
  try {
    stage((outside / "archive.zip").string(), dirs, {});
    FAIL() << "expected bad data";
  } catch (const Error& error) {
    EXPECT_EQ(static_cast<int>(error.code()), 3);
    EXPECT_NE(std::string(error.what()).find("archive.zip"), std::string::npos) << error.what();
  }
  EXPECT_TRUE(listing(dirs.incoming()).empty());
  EXPECT_TRUE(pending(dirs.incoming()).empty());
}

TEST_F(Staging, TruncatedZipIsBadData) {
  std::string bytes = dataset_zip(3);
  write_file(outside / "archive.zip", bytes.substr(0, bytes.size() / 2));
  try {
    stage((outside / "archive.zip").string(), dirs, {});
    FAIL() << "expected bad data";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::kBadData);
  }
  EXPECT_TRUE(listing(dirs.incoming()).empty());
}

TEST_F(Staging, SameNameWithOtherContentGetsAUniqueName) {
  // Each archive made once: a zip holds its entries' times, so a second call a second later
  // would not give the same bytes.
  const std::string four = dataset_zip(4), five = dataset_zip(5);
  write_file(outside / "archive.zip", four);
  StageResult first = stage((outside / "archive.zip").string(), dirs, {});
  write_file(outside / "archive.zip", five);
  StageResult second = stage((outside / "archive.zip").string(), dirs, {});

  EXPECT_EQ(first.archive.path.filename(), "archive.zip");
  EXPECT_NE(second.archive.path, first.archive.path);
  EXPECT_TRUE(second.archive.path.filename().string().starts_with("archive."));
  EXPECT_EQ(second.archive.path.extension(), ".zip");
  EXPECT_TRUE(read_file(first.archive.path) == four);
  EXPECT_TRUE(read_file(second.archive.path) == five);
  auto waiting = pending(dirs.incoming());
  ASSERT_EQ(waiting.size(), 2u);
  EXPECT_EQ(waiting[0].path, first.archive.path);
  EXPECT_EQ(waiting[1].path, second.archive.path);
}

TEST_F(Staging, SameContentTwiceIsStagedOnce) {
  write_file(outside / "archive.zip", dataset_zip(6));
  StageResult first = stage((outside / "archive.zip").string(), dirs, {});
  StageResult second = stage((outside / "archive.zip").string(), dirs, {});
  EXPECT_EQ(second.archive.path, first.archive.path);
  EXPECT_EQ(second.archive.staged_at, first.archive.staged_at);
  EXPECT_EQ(listing(dirs.incoming()),
            (std::vector<std::string>{"archive.zip", "archive.zip.meta.json"}));
}

void write_meta(const fs::path& archive, const std::string& staged_at, char sha256_digit = 'a') {
  write_file(archive, "zip bytes");
  nlohmann::json meta{{"source", "s3://b/" + archive.filename().string()},
                      {"sha256", std::string(64, sha256_digit)},
                      {"etag", "e"},
                      {"last_modified", ""},
                      {"staged_at", staged_at},
                      {"size", 9}};
  write_file(archive.string() + ".meta.json", meta.dump());
}

TEST_F(Staging, PendingListsCompleteArchivesOldestFirst) {
  dirs.create();
  write_meta(dirs.incoming() / "c.zip", "2026-01-01T00:00:00.000Z");
  write_meta(dirs.incoming() / "b.zip", "2026-01-02T00:00:00.000Z");
  write_meta(dirs.incoming() / "a.zip", "2026-01-02T00:00:00.000Z");
  write_file(dirs.incoming() / "no-meta.zip", "an archive whose meta was never written");
  write_file(dirs.incoming() / "d.zip.part", "half a download");
  write_file(dirs.incoming() / "lost.zip.meta.json", "{}");  // its archive is gone
  write_file(dirs.incoming() / "broken.zip", "x");
  write_file(dirs.incoming() / "broken.zip.meta.json", "{not json");

  auto waiting = pending(dirs.incoming());
  ASSERT_EQ(waiting.size(), 3u);
  EXPECT_EQ(waiting[0].path.filename(), "c.zip");
  EXPECT_EQ(waiting[1].path.filename(), "a.zip");
  EXPECT_EQ(waiting[2].path.filename(), "b.zip");
  EXPECT_EQ(waiting[0].source, "s3://b/c.zip");
  EXPECT_EQ(waiting[0].size, 9u);
  EXPECT_TRUE(pending(work.path() / "no-such-folder").empty());
}

TEST_F(Staging, MarkLoadedMovesTheArchiveAndItsMeta) {
  dirs.create();
  write_meta(dirs.incoming() / "a.zip", "2026-01-01T00:00:00.000Z");
  mark_loaded(pending(dirs.incoming()).at(0), dirs);
  EXPECT_TRUE(listing(dirs.incoming()).empty());
  EXPECT_EQ(listing(dirs.archive()), (std::vector<std::string>{"a.zip", "a.zip.meta.json"}));
  EXPECT_EQ(pending(dirs.archive()).size(), 1u);

  // The next hourly archive of the same name, with other content, does not overwrite the first.
  write_meta(dirs.incoming() / "a.zip", "2026-01-01T01:00:00.000Z", 'b');
  fs::path kept = mark_loaded(pending(dirs.incoming()).at(0), dirs);
  EXPECT_NE(kept, dirs.archive() / "a.zip");
  EXPECT_EQ(kept.parent_path(), dirs.archive());
  EXPECT_EQ(listing(dirs.archive()).size(), 4u);
  EXPECT_EQ(pending(dirs.archive()).size(), 2u);
}

TEST_F(Staging, MarkLoadedKeepsOneCopyPerSha256) {
  dirs.create();
  write_meta(dirs.incoming() / "a.zip", "2026-01-01T00:00:00.000Z");
  mark_loaded(pending(dirs.incoming()).at(0), dirs);
  write_meta(dirs.incoming() / "a.zip", "2026-01-01T01:00:00.000Z");
  fs::path kept = mark_loaded(pending(dirs.incoming()).at(0), dirs);
  EXPECT_EQ(kept, dirs.archive() / "a.zip");
  EXPECT_TRUE(listing(dirs.incoming()).empty());
  EXPECT_EQ(listing(dirs.archive()), (std::vector<std::string>{"a.zip", "a.zip.meta.json"}));
  EXPECT_EQ(pending(dirs.archive()).at(0).staged_at, "2026-01-01T00:00:00.000Z");
}

TEST_F(Staging, MarkLoadedFindsTheSameContentUnderAnotherName) {
  dirs.create();
  write_meta(dirs.incoming() / "a.zip", "2026-01-01T00:00:00.000Z");
  mark_loaded(pending(dirs.incoming()).at(0), dirs);
  write_meta(dirs.backfill() / "renamed.zip", "2026-01-01T01:00:00.000Z");
  fs::path kept = mark_loaded(pending(dirs.backfill()).at(0), dirs);
  EXPECT_EQ(kept, dirs.archive() / "a.zip");
  EXPECT_TRUE(listing(dirs.backfill()).empty());
  EXPECT_EQ(listing(dirs.archive()).size(), 2u);
}

TEST_F(Staging, MarkFailedWritesTheReasonBeside) {
  dirs.create();
  write_meta(dirs.incoming() / "bad.zip", "2026-01-01T00:00:00.000Z");
  write_meta(dirs.incoming() / "good.zip", "2026-01-01T00:00:01.000Z");
  mark_failed(pending(dirs.incoming()).at(0), dirs, "CRC mismatch in ratings.csv");
  EXPECT_EQ(listing(dirs.failed()),
            (std::vector<std::string>{"bad.zip", "bad.zip.meta.json", "bad.zip.reason"}));
  EXPECT_EQ(read_file(dirs.failed() / "bad.zip.reason"), "CRC mismatch in ratings.csv\n");
  auto waiting = pending(dirs.incoming());
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].path.filename(), "good.zip");
}

TEST_F(Staging, InterruptedDownloadLeavesOnlyAPartThatTheNextRunResumes) {
  const std::string bytes = dataset_zip(7, 200'000);
  std::atomic<bool> drop{true};
  LocalHttpServer server([&](const HttpExchange& request, int fd) {
    if (request.method == "GET" && drop) {
      send_all(fd, fmt::format("HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: {}\r\n"
                               "Connection: close\r\n\r\n",
                               bytes.size()));
      send_all(fd, std::string_view(bytes).substr(0, 80'000));
      return;
    }
    serve_object(request, fd, bytes, "v1");
  });
  StageOptions options = fast_options();
  options.max_retries = 0;
  try {
    stage(server.url("/data/movies.zip"), dirs, options);
    FAIL() << "expected the download to fail";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::kSource);
  }
  EXPECT_EQ(listing(dirs.incoming()),
            (std::vector<std::string>{"movies.zip.part", "movies.zip.part.meta"}));
  EXPECT_EQ(fs::file_size(dirs.incoming() / "movies.zip.part"), 80'000u);
  EXPECT_TRUE(pending(dirs.incoming()).empty());

  drop = false;
  StageResult result = stage(server.url("/data/movies.zip"), dirs, fast_options());
  EXPECT_TRUE(result.downloaded);
  EXPECT_EQ(result.resumed_from, 80'000u);
  EXPECT_EQ(result.fetched, bytes.size() - 80'000);
  EXPECT_EQ(result.archive.sha256, source::sha256_hex(bytes));
  EXPECT_EQ(result.archive.etag, "v1");
  EXPECT_EQ(result.archive.last_modified, "2022-10-12T17:50:00Z");
  EXPECT_EQ(listing(dirs.incoming()),
            (std::vector<std::string>{"movies.zip", "movies.zip.meta.json"}));
  EXPECT_EQ(server.requests().back().header("range"), "bytes=80000-");
}

TEST_F(Staging, BodyShorterThanAnnouncedIsNeverRenamedIntoIncoming) {
  const std::string bytes = dataset_zip(8, 50'000);
  LocalHttpServer server([&](const HttpExchange& request, int fd) {
    if (request.method == "HEAD") return serve_object(request, fd, bytes, "v1");
    send_all(fd, fmt::format("HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: {}\r\n"
                             "Connection: close\r\n\r\n",
                             bytes.size()));
    send_all(fd, std::string_view(bytes).substr(0, bytes.size() - 100));
  });
  EXPECT_THROW(stage(server.url("/movies.zip"), dirs, fast_options()), Error);
  for (const auto& name : listing(dirs.incoming())) {
    EXPECT_TRUE(name.starts_with("movies.zip.part")) << name;
  }
  EXPECT_TRUE(pending(dirs.incoming()).empty());
}

TEST_F(Staging, CorruptDownloadIsBadDataAndItsPartIsRemoved) {
  const std::string bytes = "not a zip at all, but the server says it is";
  LocalHttpServer server(
      [&](const HttpExchange& request, int fd) { serve_object(request, fd, bytes, "v1"); });
  try {
    stage(server.url("/movies.zip"), dirs, fast_options());
    FAIL() << "expected bad data";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::kBadData);
    EXPECT_NE(std::string(error.what()).find(server.url("/movies.zip")), std::string::npos);
  }
  EXPECT_TRUE(listing(dirs.incoming()).empty());
}

TEST_F(Staging, UnchangedETagSkipsTheDownload) {
  std::string bytes = dataset_zip(9);
  std::string etag = "v1";
  std::mutex mutex;
  LocalHttpServer server([&](const HttpExchange& request, int fd) {
    std::lock_guard lock(mutex);
    serve_object(request, fd, bytes, etag);
  });
  StageResult first = stage(server.url("/movies.zip"), dirs, fast_options());
  EXPECT_TRUE(first.downloaded);
  std::size_t requests_before = server.request_count();

  StageResult second = stage(server.url("/movies.zip"), dirs, fast_options());
  EXPECT_TRUE(second.skipped_unchanged);
  EXPECT_FALSE(second.downloaded);
  EXPECT_EQ(second.archive.sha256, first.archive.sha256);
  EXPECT_EQ(server.request_count(), requests_before + 1);
  EXPECT_EQ(server.requests().back().method, "HEAD");
  EXPECT_EQ(pending(dirs.incoming()).size(), 1u);

  {
    std::lock_guard lock(mutex);
    bytes = dataset_zip(10);
    etag = "v2";
  }
  StageResult third = stage(server.url("/movies.zip"), dirs, fast_options());
  EXPECT_FALSE(third.skipped_unchanged);
  EXPECT_EQ(third.archive.etag, "v2");
  EXPECT_EQ(pending(dirs.incoming()).size(), 2u);
}

TEST_F(Staging, S3SourceIsStagedSkippedWhenUnchangedAndResumed) {
  MARQUEE_REQUIRE_S3();
  ScopedEnv env;
  env.use_s3rver();
  std::string key = testing::unique_key("the-movies-dataset.zip");
  std::string uri = fmt::format("s3://{}/{}", testing::kTestBucket, key);
  std::string bytes = dataset_zip(11, 300'000);
  testing::s3_upload(key, bytes);

  StageResult first = stage(uri, dirs, fast_options());
  EXPECT_TRUE(first.downloaded);
  EXPECT_EQ(first.archive.source, uri);
  EXPECT_EQ(first.archive.sha256, source::sha256_hex(bytes));
  EXPECT_FALSE(first.archive.etag.empty());
  EXPECT_EQ(first.archive.path, dirs.incoming() / "the-movies-dataset.zip");

  StageResult second = stage(uri, dirs, fast_options());
  EXPECT_TRUE(second.skipped_unchanged);

  // A new version, interrupted after 100,000 bytes, then staged: only the rest is fetched.
  std::string next = dataset_zip(12, 300'000);
  testing::s3_upload(key, next);
  source::TransferOptions transfer;
  auto s3 = source::open_source(uri, transfer);
  fs::path part = dirs.incoming() / "the-movies-dataset.zip.part";
  s3->download(part, s3->head());
  fs::resize_file(part, 100'000);

  StageResult third = stage(uri, dirs, fast_options());
  EXPECT_TRUE(third.downloaded);
  EXPECT_EQ(third.resumed_from, 100'000u);
  EXPECT_EQ(third.fetched, next.size() - 100'000);
  EXPECT_EQ(third.archive.sha256, source::sha256_hex(next));
  EXPECT_EQ(sha256_file(third.archive.path), source::sha256_hex(next));
  EXPECT_NE(third.archive.path, first.archive.path);  // the name was taken by the first
  EXPECT_EQ(pending(dirs.incoming()).size(), 2u);
}

TEST_F(Staging, S3AccessDeniedIsExitCode2AndStagesNothing) {
  MARQUEE_REQUIRE_S3();
  ScopedEnv env;
  env.use_s3rver();
  std::string key = testing::unique_key("denied.zip");
  testing::s3_upload(key, dataset_zip(13));
  env.set("AWS_ACCESS_KEY_ID", "NOTAKNOWNKEY");
  try {
    stage(fmt::format("s3://{}/{}", testing::kTestBucket, key), dirs, fast_options());
    FAIL() << "expected access denied";
  } catch (const Error& error) {
    EXPECT_EQ(static_cast<int>(error.code()), 2);
    EXPECT_NE(std::string(error.what()).find(key), std::string::npos) << error.what();
  }
  EXPECT_TRUE(listing(dirs.incoming()).empty());
}

TEST(Sha256File, MatchesAKnownDigest) {
  TempDir dir;
  write_file(dir.path() / "abc", "abc");
  EXPECT_EQ(sha256_file(dir.path() / "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace marquee::staging
