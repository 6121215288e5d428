#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

#include "source/s3.hpp"

namespace marquee::source {
namespace {

using Digest = std::array<unsigned char, 32>;

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    hex[2 * i] = kHex[data[i] >> 4];
    hex[2 * i + 1] = kHex[data[i] & 0xf];
  }
  return hex;
}

Digest hmac(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
            &length)) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return out;
}

std::string_view as_view(const Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

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

std::string sha256_hex(std::string_view data) {
  Digest digest{};
  unsigned int length = 0;
  if (!EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr)) {
    throw std::runtime_error("SHA-256 failed");
  }
  return to_hex(digest.data(), length);
}

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
  Digest key = hmac(fmt::format("AWS4{}", secret_access_key), date);
  key = hmac(as_view(key), region);
  key = hmac(as_view(key), service);
  key = hmac(as_view(key), "aws4_request");
  Digest signature = hmac(as_view(key), string_to_sign);
  return to_hex(signature.data(), signature.size());
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
