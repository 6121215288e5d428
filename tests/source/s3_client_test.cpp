// S3Client against a local server that plays S3: what it sends (signed by libcurl, checked
// with the reference signer), unsigned requests, and wrong-region answers.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <regex>
#include <sstream>

#include "common/error.hpp"
#include "source/local_http_server.hpp"
#include "source/s3_client.hpp"
#include "source/s3_test_support.hpp"
#include "source/sigv4.hpp"

namespace marquee::source {
namespace {

using testing::http_response;
using testing::HttpExchange;
using testing::LocalHttpServer;
using testing::send_all;

constexpr const char* kEmptyHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct ParsedAuthorization {
  std::string access_key_id, date, region, service, signed_headers, signature;
};

std::optional<ParsedAuthorization> parse_authorization(const std::string& header) {
  static const std::regex pattern(
      R"(AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, ?)"
      R"(SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64}))");
  std::smatch match;
  if (!std::regex_match(header, match, pattern)) return std::nullopt;
  return ParsedAuthorization{match[1], match[2], match[3], match[4], match[5], match[6]};
}

/// Recomputes the signature of a captured request with the reference signer.
::testing::AssertionResult signed_correctly(const HttpExchange& request,
                                            const std::string& secret) {
  auto authorization = parse_authorization(request.header("authorization"));
  if (!authorization) {
    return ::testing::AssertionFailure()
           << "no SigV4 Authorization header: " << request.header("authorization");
  }
  SigV4Request canonical;
  canonical.method = request.method;
  canonical.canonical_uri = request.path();
  canonical.canonical_query = request.query();
  std::vector<std::string> query_parts;
  std::stringstream query(request.query());
  for (std::string part; std::getline(query, part, '&');) query_parts.push_back(part);
  if (!std::is_sorted(query_parts.begin(), query_parts.end())) {
    return ::testing::AssertionFailure() << "query not in canonical order: " << request.query();
  }
  std::stringstream names(authorization->signed_headers);
  for (std::string name; std::getline(names, name, ';');) {
    canonical.headers.emplace_back(name, request.header(name));
  }
  canonical.payload_hash = request.header("x-amz-content-sha256");
  std::string expected =
      sigv4_signature(canonical, secret, authorization->region, "s3", request.header("x-amz-date"));
  if (expected != authorization->signature) {
    return ::testing::AssertionFailure()
           << "signature " << authorization->signature << " but the reference signer says "
           << expected << " for\n"
           << sigv4_canonical_request(canonical);
  }
  return ::testing::AssertionSuccess();
}

S3Settings local_settings(const LocalHttpServer& server, bool with_credentials) {
  S3Settings settings;
  if (with_credentials)
    settings.credentials = AwsCredentials{"LOCALKEY", "localsecret", "", "test"};
  settings.region = "us-east-1";
  settings.endpoint = server.base_url();
  settings.path_style = true;
  return settings;
}

TransferOptions fast_options() {
  TransferOptions options;
  options.base_backoff = std::chrono::milliseconds(5);
  options.max_retries = 2;
  return options;
}

void answer_head(int fd, std::size_t size, const std::string& etag) {
  send_all(fd, http_response(200,
                             {"ETag: \"" + etag + "\"", fmt::format("Content-Length: {}", size),
                              "Last-Modified: Fri, 24 May 2013 00:00:00 GMT"},
                             "", false));
}

TEST(S3Client, HeadIsSignedWithSigV4AndTheContentHash) {
  LocalHttpServer server([](const HttpExchange&, int fd) { answer_head(fd, 1234, "abc"); });
  S3Client client(local_settings(server, true), fast_options());
  ObjectInfo info = client.head({"com.marquee.bucket", "dir/the movies.zip"});
  EXPECT_EQ(info.etag, "abc");
  EXPECT_EQ(info.size, 1234u);
  EXPECT_EQ(info.last_modified, "2013-05-24T00:00:00Z");

  ASSERT_EQ(server.request_count(), 1u);
  HttpExchange request = server.requests()[0];
  EXPECT_EQ(request.method, "HEAD");
  EXPECT_EQ(request.target, "/com.marquee.bucket/dir/the%20movies.zip");
  EXPECT_EQ(request.header("x-amz-content-sha256"), kEmptyHash);
  auto authorization = parse_authorization(request.header("authorization"));
  ASSERT_TRUE(authorization);
  EXPECT_EQ(authorization->access_key_id, "LOCALKEY");
  EXPECT_EQ(authorization->region, "us-east-1");
  EXPECT_NE(authorization->signed_headers.find("x-amz-content-sha256"), std::string::npos);
  EXPECT_TRUE(signed_correctly(request, "localsecret"));
  EXPECT_EQ(request.raw.find("localsecret"), std::string::npos);
}

TEST(S3Client, SessionTokenIsSentAndSigned) {
  LocalHttpServer server([](const HttpExchange&, int fd) { answer_head(fd, 1, "t"); });
  S3Settings settings = local_settings(server, true);
  settings.credentials->session_token = "the-session-token";
  S3Client client(settings, fast_options());
  client.head({"bucket", "key.zip"});
  HttpExchange request = server.requests().at(0);
  EXPECT_EQ(request.header("x-amz-security-token"), "the-session-token");
  auto authorization = parse_authorization(request.header("authorization"));
  ASSERT_TRUE(authorization);
  EXPECT_NE(authorization->signed_headers.find("x-amz-security-token"), std::string::npos);
  EXPECT_TRUE(signed_correctly(request, "localsecret"));
}

TEST(S3Client, WithoutCredentialsRequestsGoUnsigned) {
  LocalHttpServer server([](const HttpExchange&, int fd) { answer_head(fd, 1, "u"); });
  S3Client client(local_settings(server, false), fast_options());
  client.head({"bucket", "key.zip"});
  HttpExchange request = server.requests().at(0);
  EXPECT_TRUE(request.header("authorization").empty());
  EXPECT_TRUE(request.header("x-amz-date").empty());
}

TEST(S3Client, ListFollowsContinuationTokensAndSignsTheQuery) {
  LocalHttpServer server([](const HttpExchange& request, int fd) {
    bool second = request.query().find("continuation-token=") != std::string::npos;
    std::string body =
        second ? "<ListBucketResult><IsTruncated>false</IsTruncated>"
                 "<Contents><Key>backfill/2024/b&amp;c.zip</Key><ETag>&quot;e2&quot;</ETag>"
                 "<Size>20</Size><LastModified>2024-01-02T00:00:00.000Z</LastModified></Contents>"
                 "</ListBucketResult>"
               : "<ListBucketResult><IsTruncated>true</IsTruncated>"
                 "<NextContinuationToken>tok/en+==</NextContinuationToken>"
                 "<Contents><Key>backfill/2024/a.zip</Key><ETag>&quot;e1&quot;</ETag>"
                 "<Size>10</Size><LastModified>2024-01-01T00:00:00.000Z</LastModified></Contents>"
                 "</ListBucketResult>";
    send_all(fd, http_response(200, {"Content-Type: application/xml"}, body));
  });
  S3Client client(local_settings(server, true), fast_options());
  auto objects = client.list({"bucket.with.dots", "backfill/2024/"}, 1);
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0].key, "backfill/2024/a.zip");
  EXPECT_EQ(objects[0].etag, "e1");
  EXPECT_EQ(objects[0].size, 10u);
  EXPECT_EQ(objects[1].key, "backfill/2024/b&c.zip");
  EXPECT_EQ(objects[1].last_modified, "2024-01-02T00:00:00.000Z");

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target,
            "/bucket.with.dots?list-type=2&max-keys=1&prefix=backfill%2F2024%2F");
  EXPECT_EQ(requests[1].target,
            "/bucket.with.dots?continuation-token=tok%2Fen%2B%3D%3D&list-type=2&max-keys=1&"
            "prefix=backfill%2F2024%2F");
  EXPECT_TRUE(signed_correctly(requests[0], "localsecret"));
  EXPECT_TRUE(signed_correctly(requests[1], "localsecret"));
}

TEST(S3Client, PermanentRedirectIsFollowedOnceReSignedForTheNamedRegion) {
  LocalHttpServer server([](const HttpExchange& request, int fd) {
    if (request.header("authorization").find("/eu-west-1/") == std::string::npos) {
      send_all(fd, http_response(301, {"x-amz-bucket-region: eu-west-1"}, ""));
    } else {
      answer_head(fd, 7, "moved");
    }
  });
  S3Client client(local_settings(server, true), fast_options());
  ObjectInfo info = client.head({"bucket", "key.zip"});
  EXPECT_EQ(info.etag, "moved");
  EXPECT_EQ(client.settings().region, "eu-west-1");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(parse_authorization(requests[0].header("authorization"))->region, "us-east-1");
  EXPECT_EQ(parse_authorization(requests[1].header("authorization"))->region, "eu-west-1");
  EXPECT_TRUE(signed_correctly(requests[1], "localsecret"));
}

TEST(S3Client, AuthorizationHeaderMalformedNamingARegionIsFollowedForDownloads) {
  const std::string body = "the object's bytes";
  LocalHttpServer server([&](const HttpExchange& request, int fd) {
    if (request.header("authorization").find("/ap-southeast-2/") == std::string::npos) {
      send_all(fd, http_response(400, {"Content-Type: application/xml"},
                                 "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the "
                                 "region 'us-east-1' is wrong; expecting 'ap-southeast-2'"
                                 "</Message><Region>ap-southeast-2</Region></Error>"));
    } else {
      testing::serve_object(request, fd, body, "etag-1");
    }
  });
  testing::TempDir dir;
  S3Client client(local_settings(server, true), fast_options());
  ObjectInfo expected{"etag-1", body.size(), ""};
  DownloadReport report = client.download({"bucket", "key.zip"}, expected, dir.path() / "k.part");
  EXPECT_EQ(report.fetched, body.size());
  EXPECT_EQ(client.settings().region, "ap-southeast-2");
  std::ifstream in(dir.path() / "k.part");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), body);
}

TEST(S3Client, ASecondRedirectIsNotFollowed) {
  std::atomic<int> seen{0};
  LocalHttpServer server([&](const HttpExchange&, int fd) {
    ++seen;
    send_all(fd, http_response(301,
                               {seen == 1 ? "x-amz-bucket-region: eu-west-1"
                                          : "x-amz-bucket-region: eu-north-1"},
                               ""));
  });
  S3Client client(local_settings(server, true), fast_options());
  try {
    client.head({"bucket", "key.zip"});
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::kSource);
    EXPECT_NE(std::string(error.what()).find("AWS_REGION=eu-north-1"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(server.request_count(), 2u);
}

TEST(S3Client, AnUnrelatedBadRequestIsNotARedirect) {
  LocalHttpServer server([](const HttpExchange&, int fd) {
    send_all(fd, http_response(400, {}, "<Error><Code>InvalidArgument</Code></Error>"));
  });
  S3Client client(local_settings(server, true), fast_options());
  testing::TempDir dir;
  try {
    client.download({"bucket", "key.zip"}, {}, dir.path() / "x.part");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::kSource);
    EXPECT_NE(std::string(error.what()).find("InvalidArgument"), std::string::npos);
  }
  EXPECT_EQ(server.request_count(), 1u);
}

}  // namespace
}  // namespace marquee::source
