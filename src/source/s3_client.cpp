#include "source/s3_client.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "source/http_transfer.hpp"
#include "source/redact.hpp"
#include "source/retry.hpp"
#include "source/sigv4.hpp"

namespace marquee::source {
namespace {

using detail::HttpRequest;
using detail::HttpResponse;
using detail::Method;

std::string xml_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    auto semicolon = text.find(';', i);
    if (semicolon == std::string_view::npos) {
      out += text[i];
      continue;
    }
    std::string_view entity = text.substr(i + 1, semicolon - i - 1);
    if (entity == "amp") {
      out += '&';
    } else if (entity == "lt") {
      out += '<';
    } else if (entity == "gt") {
      out += '>';
    } else if (entity == "quot") {
      out += '"';
    } else if (entity == "apos") {
      out += '\'';
    } else if (entity.starts_with('#')) {
      bool hex = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X');
      unsigned long code =
          std::strtoul(std::string(entity.substr(hex ? 2 : 1)).c_str(), nullptr, hex ? 16 : 10);
      if (code < 0x80) {
        out += static_cast<char>(code);
      } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
      } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
      }
    } else {
      out += text.substr(i, semicolon - i + 1);
    }
    i = semicolon;
  }
  return out;
}

/// The text of the first <tag>…</tag> in `xml` (S3's responses are flat enough for this).
std::string xml_value(std::string_view xml, std::string_view tag) {
  std::string open = fmt::format("<{}>", tag);
  std::string close = fmt::format("</{}>", tag);
  auto begin = xml.find(open);
  if (begin == std::string_view::npos) return {};
  begin += open.size();
  auto end = xml.find(close, begin);
  if (end == std::string_view::npos) return {};
  return xml_decode(xml.substr(begin, end - begin));
}

std::vector<std::string_view> xml_blocks(std::string_view xml, std::string_view tag) {
  std::string open = fmt::format("<{}>", tag);
  std::string close = fmt::format("</{}>", tag);
  std::vector<std::string_view> blocks;
  for (std::size_t at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at)) {
    auto end = xml.find(close, at);
    if (end == std::string_view::npos) break;
    blocks.push_back(xml.substr(at + open.size(), end - at - open.size()));
    at = end + close.size();
  }
  return blocks;
}

const std::string kEmptyBodySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

HttpRequest s3_request(const S3Settings& settings, const S3Location& location,
                       const std::string& canonical_query) {
  HttpRequest request;
  request.url = s3_object_url(settings, location);
  if (!canonical_query.empty()) request.url += "?" + canonical_query;
  request.what = redacted(location.uri());
  request.follow_redirects = false;  // a region redirect must be re-signed, see S3Client
  if (settings.credentials) {
    const AwsCredentials& credentials = *settings.credentials;
    request.sigv4 = detail::SigV4Signing{credentials.access_key_id, credentials.secret_access_key,
                                         settings.region, "s3"};
    // S3 rejects SigV4 requests without it; GET and HEAD have empty bodies.
    request.headers.push_back("x-amz-content-sha256: " + kEmptyBodySha256);
    if (!credentials.session_token.empty()) {
      request.headers.push_back("x-amz-security-token: " + credentials.session_token);
    }
  }
  return request;
}

/// The region S3 names in a wrong-region answer, if this is one.
std::optional<std::string> region_hint(const HttpResponse& response) {
  if (response.status != 301 && response.status != 307 && response.status != 400) {
    return std::nullopt;
  }
  std::string code = xml_value(response.body, "Code");
  if (response.status == 400 && !code.empty() && code != "AuthorizationHeaderMalformed") {
    return std::nullopt;
  }
  std::string region = response.header("x-amz-bucket-region");
  if (region.empty()) region = xml_value(response.body, "Region");
  if (region.empty()) return std::nullopt;
  return region;
}

std::string where(const S3Settings& settings) {
  if (settings.endpoint.empty()) return "AWS region " + settings.region;
  return fmt::format("endpoint {} (region {})", redacted(settings.endpoint), settings.region);
}

Error s3_error(const HttpResponse& response, const S3Location& location, const S3Settings& settings,
               int retries) {
  const std::string name = redacted(location.uri());
  std::string code = xml_value(response.body, "Code");
  std::string message = xml_value(response.body, "Message");
  std::string status = code.empty() ? fmt::format("HTTP {}", response.status)
                                    : fmt::format("HTTP {} {}", response.status, code);
  std::string signing = settings.credentials
                            ? "signed with credentials from " + settings.credentials->origin
                            : std::string("unsigned");
  switch (response.status) {
    case 401:
    case 403:
      return Error(
          ExitCode::kSource,
          fmt::format("access denied to {} ({}) at {}, {}: check the credentials "
                      "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE), that they may "
                      "read this object, and the region (AWS_REGION){}",
                      name, status, where(settings), signing,
                      settings.credentials ? "; a public bucket also works with --no-sign-request"
                                           : "; the bucket is not public, so set credentials"));
    case 404:
      return Error(ExitCode::kSource,
                   fmt::format("not found: {} ({}) at {}: check the bucket and key names and the "
                               "region (AWS_REGION) or endpoint (AWS_ENDPOINT_URL)",
                               name, status, where(settings)));
    case 301:
    case 307:
    case 400:
      if (auto region = region_hint(response)) {
        return Error(ExitCode::kSource,
                     fmt::format("{} is in region {}, not {} ({}): set AWS_REGION={}", name,
                                 *region, settings.region, status, *region));
      }
      break;
    default:
      if (is_retryable_status(response.status)) {
        return Error(ExitCode::kSource,
                     fmt::format("{}: {} at {} after {} retries: the service is failing; try "
                                 "again later",
                                 name, status, where(settings), retries));
      }
  }
  return Error(ExitCode::kSource,
               fmt::format("{}: {}{} at {}: check the bucket, key and region", name, status,
                           message.empty() ? "" : " (" + message + ")", where(settings)));
}

}  // namespace

S3Client::S3Client(S3Settings settings, TransferOptions options)
    : settings_(std::move(settings)), options_(std::move(options)) {}

bool S3Client::move_to_region(const std::string& region) {
  if (moved_region_ || region == settings_.region) return false;
  spdlog::info("S3 bucket answers from region {}, not {}; re-signing for {}", region,
               settings_.region, region);
  settings_.region = region;
  moved_region_ = true;
  return true;
}

ObjectInfo S3Client::head(const S3Location& location) {
  for (;;) {
    int retries = 0;
    HttpResponse response = detail::perform_with_retries(
        [&] { return s3_request(settings_, location, ""); }, Method::kHead, options_, &retries);
    if (detail::is_success(response.status)) return detail::object_info_from(response);
    if (auto region = region_hint(response); region && move_to_region(*region)) continue;
    throw s3_error(response, location, settings_, retries);
  }
}

DownloadReport S3Client::download(const S3Location& location, const ObjectInfo& expected,
                                  const std::filesystem::path& part) {
  for (;;) {
    detail::DownloadOutcome outcome = detail::download_resumable(
        [&] { return s3_request(settings_, location, ""); }, part, expected, options_);
    if (!outcome.refused) return outcome.report;
    if (auto region = region_hint(*outcome.refused); region && move_to_region(*region)) continue;
    throw s3_error(*outcome.refused, location, settings_, outcome.report.retries);
  }
}

std::vector<S3Object> S3Client::list(const S3Location& prefix, int page_size) {
  std::vector<S3Object> objects;
  S3Location bucket{prefix.bucket, ""};
  std::string token;
  for (;;) {
    // SigV4 wants the query sorted by name and encoded; build it that way so any signer agrees.
    std::vector<std::string> query;
    if (!token.empty()) query.push_back("continuation-token=" + aws_uri_encode(token, true));
    query.push_back("list-type=2");
    query.push_back(fmt::format("max-keys={}", page_size));
    if (!prefix.key.empty()) query.push_back("prefix=" + aws_uri_encode(prefix.key, true));
    std::string canonical_query = fmt::format("{}", fmt::join(query, "&"));

    int retries = 0;
    HttpResponse response;
    for (;;) {
      response = detail::perform_with_retries(
          [&] {
            HttpRequest request = s3_request(settings_, bucket, canonical_query);
            request.what = redacted(prefix.uri());
            return request;
          },
          Method::kGet, options_, &retries);
      if (detail::is_success(response.status)) break;
      if (auto region = region_hint(response); region && move_to_region(*region)) continue;
      throw s3_error(response, prefix, settings_, retries);
    }

    for (std::string_view block : xml_blocks(response.body, "Contents")) {
      S3Object object;
      object.key = xml_value(block, "Key");
      object.etag = detail::strip_etag_quotes(xml_value(block, "ETag"));
      object.size = std::strtoull(xml_value(block, "Size").c_str(), nullptr, 10);
      object.last_modified = xml_value(block, "LastModified");
      objects.push_back(std::move(object));
    }
    token = xml_value(response.body, "NextContinuationToken");
    if (xml_value(response.body, "IsTruncated") != "true" || token.empty()) break;
  }
  std::sort(objects.begin(), objects.end(),
            [](const S3Object& a, const S3Object& b) { return a.key < b.key; });
  return objects;
}

}  // namespace marquee::source
