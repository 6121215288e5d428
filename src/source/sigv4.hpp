#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "source/aws_config.hpp"

namespace marquee::source {

/// AWS's UriEncode: every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper case); '/' kept unless
/// encode_slash.
std::string aws_uri_encode(std::string_view text, bool encode_slash);

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

}  // namespace marquee::source
