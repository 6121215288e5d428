// SigV4 against AWS's published example: "GET Object" with a Range header, from the S3 API
// reference (sig-v4-header-based-auth.html, "Example: GET Object").

#include <gtest/gtest.h>

#include <regex>

#include "common/sha256.hpp"
#include "source/http_transfer.hpp"
#include "source/local_http_server.hpp"
#include "source/sigv4.hpp"

namespace marquee::source {
namespace {

constexpr const char* kAccessKey = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kEmptyHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kExpectedSignature =
    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

SigV4Request aws_example() {
  return SigV4Request{"GET",
                      "/test.txt",
                      "",
                      {{"Host", "examplebucket.s3.amazonaws.com"},
                       {"Range", "bytes=0-9"},
                       {"x-amz-content-sha256", kEmptyHash},
                       {"x-amz-date", "20130524T000000Z"}},
                      kEmptyHash};
}

TEST(SigV4, CanonicalRequestMatchesTheAwsExample) {
  EXPECT_EQ(
      sigv4_canonical_request(aws_example()),
      "GET\n/test.txt\n\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "range:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\n"
      "host;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(sigv4_canonical_request(aws_example())),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
}

TEST(SigV4, SignatureMatchesTheAwsExample) {
  EXPECT_EQ(sigv4_signature(aws_example(), kSecretKey, "us-east-1", "s3", "20130524T000000Z"),
            kExpectedSignature);
}

TEST(SigV4, AuthorizationHeaderMatchesTheAwsExample) {
  AwsCredentials credentials{kAccessKey, kSecretKey, "", "test"};
  EXPECT_EQ(sigv4_authorization(aws_example(), credentials, "us-east-1", "s3", "20130524T000000Z"),
            std::string("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                        "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                        "Signature=") +
                kExpectedSignature);
}

TEST(SigV4, EmptyBodyHashIsTheSha256OfNothing) {
  EXPECT_EQ(sha256_hex(""), kEmptyHash);
}

// The requests marquee sends are signed by libcurl (CURLOPT_AWS_SIGV4). Given the example's
// date (libcurl takes a caller's x-amz-date), its Authorization header must be AWS's, byte for
// byte but for the separators.
TEST(SigV4, LibcurlSignsTheAwsExampleRequestIdentically) {
  testing::LocalHttpServer server([](const testing::HttpExchange&, int fd) {
    testing::send_all(fd, testing::http_response(200, {}, "0123456789"));
  });
  detail::HttpRequest request;
  request.url = "http://examplebucket.s3.amazonaws.com/test.txt";
  request.headers = {"Range: bytes=0-9", std::string("x-amz-content-sha256: ") + kEmptyHash,
                     "x-amz-date: 20130524T000000Z"};
  request.sigv4 = detail::SigV4Signing{kAccessKey, kSecretKey, "us-east-1", "s3"};
  request.connect_to = fmt::format("examplebucket.s3.amazonaws.com:80:127.0.0.1:{}", server.port());
  request.what = "example";
  detail::HttpResponse response = detail::perform(request, detail::Method::kGet, {});
  ASSERT_EQ(response.status, 200);
  ASSERT_EQ(server.request_count(), 1u);
  std::string authorization = server.requests()[0].header("authorization");
  authorization = std::regex_replace(authorization, std::regex(", "), ",");
  EXPECT_EQ(authorization,
            std::string("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                        "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                        "Signature=") +
                kExpectedSignature);
}

TEST(SigV4, UriEncodeKeepsUnreservedAndOptionallySlashes) {
  EXPECT_EQ(aws_uri_encode("project-data/the movies~dataset_1.zip", false),
            "project-data/the%20movies~dataset_1.zip");
  EXPECT_EQ(aws_uri_encode("a/b=c+d", true), "a%2Fb%3Dc%2Bd");
  EXPECT_EQ(aws_uri_encode("\xc3\xa9", true), "%C3%A9");
}

}  // namespace
}  // namespace marquee::source
