// HTTP(S) and file sources against a local server that injects faults.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "source/local_http_server.hpp"
#include "source/s3_test_support.hpp"
#include "source/source.hpp"

namespace marquee::source {
namespace {

using testing::http_response;
using testing::HttpExchange;
using testing::LocalHttpServer;
using testing::send_all;
using testing::serve_object;
using testing::TempDir;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TransferOptions fast_options() {
  TransferOptions options;
  options.base_backoff = std::chrono::milliseconds(5);
  options.max_retries = 3;
  options.low_speed_time = std::chrono::seconds(1);
  return options;
}

TEST(HttpSource, RetriesServerErrorsThenSucceeds) {
  const std::string body = testing::random_bytes(50'000, 10);
  std::atomic<int> gets{0};
  LocalHttpServer server([&](const HttpExchange& request, int fd) {
    if (request.method == "GET" && ++gets <= 2) {
      send_all(fd, http_response(503, {}, "busy"));
      return;
    }
    serve_object(request, fd, body, "v1");
  });
  auto source = open_source(server.url("/data/archive.zip"), fast_options());
  EXPECT_EQ(source->file_name(), "archive.zip");
  TempDir dir;
  DownloadReport report = source->download(dir.path() / "a.part", source->head());
  EXPECT_EQ(report.retries, 2);
  EXPECT_EQ(read_file(dir.path() / "a.part"), body);
  EXPECT_EQ(gets, 3);
}

TEST(HttpSource, HeadIsRetriedOn500And429) {
  std::atomic<int> seen{0};
  LocalHttpServer server([&](const HttpExchange& request, int fd) {
    int n = ++seen;
    if (n == 1) return (void)send_all(fd, http_response(500, {}, ""));
    if (n == 2) return (void)send_all(fd, http_response(429, {"Retry-After: 0"}, ""));
    serve_object(request, fd, "abc", "v1");
  });
  ObjectInfo info = open_source(server.url("/a.zip"), fast_options())->head();
  EXPECT_EQ(info.size, 3u);
  EXPECT_EQ(info.etag, "v1");
  EXPECT_EQ(info.last_modified, "2022-10-12T17:50:00Z");
  EXPECT_EQ(seen, 3);
}

TEST(HttpSource, NotFoundFailsAtOnceWithExitCode2) {
  LocalHttpServer server(
      [](const HttpExchange&, int fd) { send_all(fd, http_response(404, {}, "no such thing")); });
  TransferOptions options = fast_options();
  options.max_retries = 5;
  options.base_backoff = std::chrono::milliseconds(2000);
  auto started = std::chrono::steady_clock::now();
  std::string url = server.url("/missing/archive.zip");
  try {
    open_source(url, options)->head();
    FAIL() << "expected not found";
  } catch (const Error& error) {
    EXPECT_EQ(static_cast<int>(error.code()), 2);
    EXPECT_NE(std::string(error.what()).find(url), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("check the URL"), std::string::npos) << error.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1500));
  EXPECT_EQ(server.request_count(), 1u);
}

TEST(HttpSource, GivesUpAfterTheRetriesWithExitCode2) {
  LocalHttpServer server(
      [](const HttpExchange&, int fd) { send_all(fd, http_response(502, {}, "bad gateway")); });
  TransferOptions options = fast_options();
  options.max_retries = 2;
  try {
    open_source(server.url("/a.zip"), options)->head();
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::kSource);
    EXPECT_NE(std::string(error.what()).find("502 after 2 retries"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(server.request_count(), 3u);
}

TEST(HttpSource, UnreachableServerIsExitCode2AfterRetries) {
  int port = 0;
  {
    LocalHttpServer closed([](const HttpExchange&, int) {});
    port = closed.port();
  }
  TransferOptions options = fast_options();
  options.max_retries = 1;
  try {
    open_source(fmt::format("http://127.0.0.1:{}/a.zip", port), options)->head();
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::kSource);
    EXPECT_NE(std::string(error.what()).find("gave up after 1 retries"), std::string::npos)
        << error.what();
  }
}

TEST(HttpSource, ConnectionDroppedMidBodyIsResumed) {
  const std::string body = testing::random_bytes(120'000, 11);
  std::atomic<int> gets{0};
  LocalHttpServer server([&](const HttpExchange& request, int fd) {
    if (request.method == "GET" && ++gets == 1) {
      send_all(fd, fmt::format("HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: {}\r\n"
                               "Connection: close\r\n\r\n",
                               body.size()));
      send_all(fd, std::string_view(body).substr(0, 45'000));
      return;
    }
    serve_object(request, fd, body, "v1");
  });
  auto source = open_source(server.url("/a.zip"), fast_options());
  TempDir dir;
  DownloadReport report = source->download(dir.path() / "a.part", source->head());
  EXPECT_EQ(report.retries, 1);
  EXPECT_EQ(report.fetched, body.size());
  EXPECT_EQ(sha256_hex(read_file(dir.path() / "a.part")), sha256_hex(body));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);  // HEAD, GET, GET with Range
  EXPECT_EQ(requests[2].header("range"), "bytes=45000-");
}

TEST(HttpSource, SlowResponseTimesOutAndIsRetried) {
  const std::string body = "a small archive";
  std::atomic<int> gets{0};
  LocalHttpServer server([&](const HttpExchange& request, int fd) {
    if (request.method == "GET" && ++gets == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));
      return;
    }
    serve_object(request, fd, body, "v1");
  });
  auto source = open_source(server.url("/a.zip"), fast_options());
  TempDir dir;
  auto started = std::chrono::steady_clock::now();
  DownloadReport report = source->download(dir.path() / "a.part", source->head());
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(900));
  EXPECT_EQ(report.retries, 1);
  EXPECT_EQ(read_file(dir.path() / "a.part"), body);
}

TEST(HttpSource, BodyShorterThanItsContentLengthNeverCompletes) {
  const std::string body = testing::random_bytes(10'000, 12);
  LocalHttpServer server([&](const HttpExchange& request, int fd) {
    if (request.method == "HEAD") return serve_object(request, fd, body, "v1");
    // Ignores Range and always stops halfway.
    send_all(fd, fmt::format("HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: {}\r\n"
                             "Connection: close\r\n\r\n",
                             body.size()));
    send_all(fd, std::string_view(body).substr(0, 5'000));
  });
  TransferOptions options = fast_options();
  options.max_retries = 2;
  auto source = open_source(server.url("/a.zip"), options);
  TempDir dir;
  try {
    source->download(dir.path() / "a.part", source->head());
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::kSource);
    EXPECT_NE(std::string(error.what()).find("run again to resume"), std::string::npos)
        << error.what();
  }
  EXPECT_LT(std::filesystem::file_size(dir.path() / "a.part"), body.size());
}

TEST(HttpSource, ChangedETagBetweenAttemptsRestartsFromZero) {
  const std::string first = testing::random_bytes(80'000, 13);
  const std::string second = testing::random_bytes(90'000, 14);
  std::atomic<int> gets{0};
  LocalHttpServer server([&](const HttpExchange& request, int fd) {
    if (request.method == "HEAD") return serve_object(request, fd, first, "v1");
    if (++gets == 1) {
      send_all(fd, fmt::format("HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: {}\r\n"
                               "Connection: close\r\n\r\n",
                               first.size()));
      send_all(fd, std::string_view(first).substr(0, 30'000));
      return;
    }
    serve_object(request, fd, second, "v2");  // replaced while we were away
  });
  auto source = open_source(server.url("/a.zip"), fast_options());
  TempDir dir;
  DownloadReport report = source->download(dir.path() / "a.part", source->head());
  EXPECT_TRUE(report.restarted);
  EXPECT_EQ(report.object.etag, "v2");
  EXPECT_EQ(report.object.size, second.size());
  EXPECT_EQ(read_file(dir.path() / "a.part"), second);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);  // HEAD, GET (dropped), GET Range (v2: refused), GET
  EXPECT_EQ(requests[2].header("range"), "bytes=30000-");
  EXPECT_EQ(requests[3].header("range"), "");
}

TEST(HttpSource, PartFromAnEarlierRunIsResumedWhenTheETagMatches) {
  const std::string body = testing::random_bytes(64'000, 15);
  LocalHttpServer server(
      [&](const HttpExchange& request, int fd) { serve_object(request, fd, body, "v1"); });
  TempDir dir;
  auto part = dir.path() / "a.part";
  auto source = open_source(server.url("/a.zip"), fast_options());
  ObjectInfo info = source->head();
  source->download(part, info);
  std::filesystem::resize_file(part, 24'000);

  DownloadReport report = open_source(server.url("/a.zip"), fast_options())->download(part, info);
  EXPECT_EQ(report.resumed_from, 24'000u);
  EXPECT_EQ(report.fetched, body.size() - 24'000);
  EXPECT_EQ(sha256_hex(read_file(part)), sha256_hex(body));
  EXPECT_EQ(server.requests().back().header("range"), "bytes=24000-");
}

TEST(HttpSource, ServerIgnoringRangeStartsTheFileOver) {
  const std::string body = testing::random_bytes(20'000, 16);
  LocalHttpServer server([&](const HttpExchange& request, int fd) {
    HttpExchange without_range = request;
    without_range.headers.erase("range");
    serve_object(without_range, fd, body, "v1");
  });
  TempDir dir;
  auto part = dir.path() / "a.part";
  auto source = open_source(server.url("/a.zip"), fast_options());
  ObjectInfo info = source->head();
  source->download(part, info);
  std::filesystem::resize_file(part, 5'000);
  DownloadReport report = source->download(part, info);
  EXPECT_EQ(report.resumed_from, 0u);
  EXPECT_EQ(read_file(part), body);
}

TEST(HttpSource, PartWithoutAMatchingValidatorStartsOver) {
  const std::string body = testing::random_bytes(20'000, 17);
  LocalHttpServer server(
      [&](const HttpExchange& request, int fd) { serve_object(request, fd, body, "v1"); });
  TempDir dir;
  auto part = dir.path() / "a.part";
  std::ofstream(part) << "bytes from somewhere else";
  auto source = open_source(server.url("/a.zip"), fast_options());
  DownloadReport report = source->download(part, source->head());
  EXPECT_EQ(report.resumed_from, 0u);
  EXPECT_EQ(read_file(part), body);
  EXPECT_EQ(server.requests().back().header("range"), "");
}

TEST(HttpSource, HeadRefusedFallsBackToARangedGet) {
  const std::string body = testing::random_bytes(3'000, 18);
  LocalHttpServer server([&](const HttpExchange& request, int fd) {
    if (request.method == "HEAD") return (void)send_all(fd, http_response(405, {}, ""));
    serve_object(request, fd, body, "v9");
  });
  ObjectInfo info = open_source(server.url("/signed.zip?sig=x"), fast_options())->head();
  EXPECT_EQ(info.size, body.size());
  EXPECT_EQ(info.etag, "v9");
  EXPECT_EQ(server.requests().back().header("range"), "bytes=0-0");
  EXPECT_EQ(server.requests().back().target, "/signed.zip?sig=x");
}

TEST(HttpSource, DescriptionHoldsNoCredentialsOrQuery) {
  auto source = open_source(
      "https://user:pa55@example.com/path/the%20file.zip?X-Amz-Signature=abc&X-Amz-Credential=k",
      {});
  EXPECT_EQ(source->description(), "https://example.com/path/the%20file.zip");
  EXPECT_EQ(source->file_name(), "the_file.zip");
  EXPECT_EQ(redact_url("http://host/a.zip#frag"), "http://host/a.zip");
}

TEST(SourceUri, RejectsUnsupportedSchemesAndNamelessUrls) {
  auto code_of = [](const std::string& uri) {
    try {
      open_source(uri, {});
    } catch (const Error& error) {
      return error.code();
    }
    return ExitCode::kOk;
  };
  EXPECT_EQ(code_of("ftp://example.com/a.zip"), ExitCode::kUsage);
  EXPECT_EQ(code_of("https://example.com/"), ExitCode::kUsage);
  EXPECT_EQ(code_of("s3://bucket-only"), ExitCode::kUsage);
  EXPECT_EQ(code_of("s3://bucket/prefix/"), ExitCode::kUsage);
}

TEST(FileSource, PlainPathsAndFileUrisAreCopied) {
  TempDir dir;
  const std::string body = testing::random_bytes(4'000, 19);
  std::ofstream(dir.path() / "local archive.zip", std::ios::binary) << body;
  for (const std::string& uri : {(dir.path() / "local archive.zip").string(),
                                 "file://" + (dir.path() / "local%20archive.zip").string()}) {
    auto source = open_source(uri, {});
    ASSERT_TRUE(source->local_path());
    EXPECT_EQ(*source->local_path(), dir.path() / "local archive.zip");
    EXPECT_EQ(source->file_name(), "local_archive.zip");
    ObjectInfo info = source->head();
    EXPECT_EQ(info.size, body.size());
    EXPECT_TRUE(info.etag.empty());
    EXPECT_FALSE(info.last_modified.empty());
    DownloadReport report = source->download(dir.path() / "copy.part", info);
    EXPECT_EQ(report.fetched, body.size());
    EXPECT_EQ(read_file(dir.path() / "copy.part"), body);
  }
}

TEST(FileSource, MissingFileIsExitCode2) {
  try {
    open_source("/nonexistent/marquee/archive.zip", {})->head();
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::kSource);
    EXPECT_NE(std::string(error.what()).find("/nonexistent/marquee/archive.zip"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace marquee::source
