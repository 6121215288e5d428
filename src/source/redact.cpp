#include "source/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "source/source.hpp"

namespace marquee::source {
namespace {

constexpr std::string_view kMask = "***";

/// The pieces of scheme://[user info@]host[:port][/path][?query][#fragment].
struct UrlParts {
  std::string_view prefix;  ///< "scheme://"
  std::optional<std::string_view> user_info;
  std::string_view host;  ///< with the port
  std::string_view path;
  std::optional<std::string_view> query;
  std::optional<std::string_view> fragment;
};

bool is_scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

bool is_scheme(std::string_view scheme) {
  return !scheme.empty() && std::isalpha(static_cast<unsigned char>(scheme.front())) &&
         std::all_of(scheme.begin(), scheme.end(), is_scheme_char);
}

/// host:port whose port is no number: a password with an unencoded '/', '?' or '#' cut the
/// authority short (https://user:pa/ss@host/), so its '@' comes later.
bool looks_cut_short(std::string_view authority) {
  if (authority.starts_with('[')) return false;
  auto colon = authority.find(':');
  if (colon == std::string_view::npos) return false;
  auto port = authority.substr(colon + 1);
  return std::any_of(port.begin(), port.end(),
                     [](char c) { return !std::isdigit(static_cast<unsigned char>(c)); });
}

std::optional<UrlParts> split_url(std::string_view url) {
  auto separator = url.find("://");
  if (separator == std::string_view::npos || !is_scheme(url.substr(0, separator))) {
    return std::nullopt;
  }
  UrlParts parts;
  parts.prefix = url.substr(0, separator + 3);
  const std::size_t begin = separator + 3;
  std::size_t end = std::min(url.find_first_of("/?#", begin), url.size());
  std::string_view authority = url.substr(begin, end - begin);
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    at += begin;
  } else if (looks_cut_short(authority)) {
    at = url.find('@', end);
    if (at != std::string_view::npos) end = std::min(url.find_first_of("/?#", at + 1), url.size());
  }
  if (at != std::string_view::npos) {
    parts.user_info = url.substr(begin, at - begin);
    parts.host = url.substr(at + 1, end - at - 1);
  } else {
    parts.host = authority;
  }
  std::string_view rest = url.substr(end);
  auto hash = rest.find('#');
  if (hash != std::string_view::npos) parts.fragment = rest.substr(hash + 1);
  rest = rest.substr(0, hash);
  auto question = rest.find('?');
  if (question != std::string_view::npos) parts.query = rest.substr(question + 1);
  parts.path = rest.substr(0, question);
  return parts;
}

/// Lower case and percent-decoded, so that X-Amz-Signature and x%2Damz%2Dsignature compare equal.
std::string normalized_name(std::string_view name) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '%' && i + 2 < name.size() && hex(name[i + 1]) >= 0 && hex(name[i + 2]) >= 0) {
      c = static_cast<char>(hex(name[i + 1]) * 16 + hex(name[i + 2]));
      i += 2;
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

/// Parameters of presigned and token links: AWS (X-Amz-Signature, X-Amz-Credential,
/// X-Amz-Security-Token, the older Signature and AWSAccessKeyId), Google (X-Goog-Signature),
/// Azure SAS (sig), CloudFront (Signature), and the usual token, password and API key names.
bool names_a_secret(std::string_view parameter) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "sig", "key", "pass", "pwd", "auth", "authorization", "session", "awsaccesskeyid"};
  static constexpr std::array<std::string_view, 10> kParts = {
      "signature", "credential", "token",   "secret",     "password",
      "passwd",    "apikey",     "api_key", "access_key", "private"};
  std::string name = normalized_name(parameter);
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end() ||
         std::any_of(kParts.begin(), kParts.end(),
                     [&](std::string_view part) { return name.find(part) != std::string::npos; });
}

/// name=value&… with the value of every secret parameter masked.
std::string masked_parameters(std::string_view parameters) {
  std::string out;
  for (;;) {
    auto amp = parameters.find('&');
    std::string_view parameter = parameters.substr(0, amp);
    auto equals = parameter.find('=');
    if (equals != std::string_view::npos && equals + 1 < parameter.size() &&
        names_a_secret(parameter.substr(0, equals))) {
      out += parameter.substr(0, equals + 1);
      out += kMask;
    } else {
      out += parameter;
    }
    if (amp == std::string_view::npos) return out;
    out += '&';
    parameters.remove_prefix(amp + 1);
  }
}

/// Where a URL quoted in running text ends.
bool ends_url(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '<' ||
         c == '>' || c == '`';
}

/// Punctuation after a quoted URL that belongs to the sentence ("… x.zip: HTTP 404").
bool is_trailing_punctuation(char c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == ')' ||
         c == ']' || c == '}';
}

}  // namespace

std::string redacted(std::string_view url) {
  auto parts = split_url(url);
  if (!parts) return std::string(url);
  std::string out(parts->prefix);
  if (parts->user_info) {
    auto colon = parts->user_info->find(':');
    if (colon != std::string_view::npos) {
      out += parts->user_info->substr(0, colon + 1);
    }
    out += kMask;
    out += '@';
  }
  out += parts->host;
  out += parts->path;
  if (parts->query) {
    out += '?';
    out += masked_parameters(*parts->query);
  }
  if (parts->fragment) {
    out += '#';
    out += masked_parameters(*parts->fragment);
  }
  return out;
}

std::string redacted_text(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  std::size_t separator = 0;
  while ((separator = text.find("://", separator)) != std::string_view::npos) {
    std::size_t start = separator;
    while (start > copied && is_scheme_char(text[start - 1])) --start;
    while (start < separator && !std::isalpha(static_cast<unsigned char>(text[start]))) ++start;
    std::size_t end = separator + 3;
    while (end < text.size() && !ends_url(text[end])) ++end;
    while (end > separator + 3 && is_trailing_punctuation(text[end - 1])) --end;
    if (start < separator) {
      out += text.substr(copied, start - copied);
      out += redacted(text.substr(start, end - start));
      copied = end;
    }
    separator = end;
  }
  out += text.substr(copied);
  return out;
}

std::string redact_url(const std::string& url) {
  auto parts = split_url(url);
  if (!parts) return url.substr(0, url.find_first_of("?#"));
  std::string out(parts->prefix);
  out += parts->host;
  out += parts->path;
  return out;
}

}  // namespace marquee::source
