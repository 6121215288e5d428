#include "source/sigv4.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "common/sha256.hpp"

namespace marquee::source {
namespace {

std::string trim_value(std::string_view value) {
  // SigV4 trims the value and collapses inner runs of spaces to one.
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::vector<std::pair<std::string, std::string>> canonical_headers(const SigV4Request& request) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    headers.emplace_back(lower(name), trim_value(value));
  }
  std::sort(headers.begin(), headers.end());
  return headers;
}

std::string signed_headers(const SigV4Request& request) {
  std::string names;
  for (const auto& [name, value] : canonical_headers(request)) {
    if (!names.empty()) names += ';';
    names += name;
  }
  return names;
}

}  // namespace

std::string aws_uri_encode(std::string_view text, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string sigv4_canonical_request(const SigV4Request& request) {
  std::string canonical =
      fmt::format("{}\n{}\n{}\n", request.method, request.canonical_uri, request.canonical_query);
  for (const auto& [name, value] : canonical_headers(request)) {
    canonical += fmt::format("{}:{}\n", name, value);
  }
  canonical += fmt::format("\n{}\n{}", signed_headers(request), request.payload_hash);
  return canonical;
}

std::string sigv4_signature(const SigV4Request& request, std::string_view secret_access_key,
                            std::string_view region, std::string_view service,
                            std::string_view amz_date) {
  std::string_view date = amz_date.substr(0, 8);
  std::string scope = fmt::format("{}/{}/{}/aws4_request", date, region, service);
  std::string string_to_sign = fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", amz_date, scope,
                                           sha256_hex(sigv4_canonical_request(request)));
  std::string key = hmac_sha256(fmt::format("AWS4{}", secret_access_key), date);
  key = hmac_sha256(key, region);
  key = hmac_sha256(key, service);
  key = hmac_sha256(key, "aws4_request");
  return to_hex(hmac_sha256(key, string_to_sign));
}

std::string sigv4_authorization(const SigV4Request& request, const AwsCredentials& credentials,
                                std::string_view region, std::string_view service,
                                std::string_view amz_date) {
  return fmt::format(
      "AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request,SignedHeaders={},Signature={}",
      credentials.access_key_id, amz_date.substr(0, 8), region, service, signed_headers(request),
      sigv4_signature(request, credentials.secret_access_key, region, service, amz_date));
}

}  // namespace marquee::source
