#include "source/aws_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <spdlog/spdlog.h>

#include "source/sigv4.hpp"

namespace marquee::source {
namespace {

/// Buckets whose region is a fact of the dataset, so the first request goes to the right place.
constexpr std::pair<std::string_view, std::string_view> kKnownBucketRegions[] = {
    {"com.guild.us-west-2.public-data", "us-west-2"},
};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::filesystem::path aws_file(const char* variable, const char* default_name) {
  std::string path = env(variable);
  std::string home = env("HOME");
  if (!path.empty()) {
    if (path.starts_with("~/") && !home.empty()) path = home + path.substr(1);
    return path;
  }
  if (home.empty()) return {};
  return std::filesystem::path(home) / ".aws" / default_name;
}

using IniSection = std::map<std::string, std::string>;
using IniFile = std::map<std::string, IniSection>;

/// The AWS shared files: [section] headers, key = value lines, # and ; comments.
IniFile read_ini(const std::filesystem::path& path) {
  IniFile ini;
  if (path.empty()) return ini;
  std::ifstream in(path);
  std::string line;
  IniSection* section = nullptr;
  while (std::getline(in, line)) {
    std::string text = trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[' && text.back() == ']') {
      section = &ini[trim(std::string_view(text).substr(1, text.size() - 2))];
      continue;
    }
    auto equals = text.find('=');
    if (!section || equals == std::string::npos) continue;
    (*section)[trim(std::string_view(text).substr(0, equals))] =
        trim(std::string_view(text).substr(equals + 1));
  }
  return ini;
}

std::string profile_name() {
  std::string profile = env("AWS_PROFILE");
  return profile.empty() ? "default" : profile;
}

const IniSection* config_section(const IniFile& config, const std::string& profile) {
  for (const std::string& name : {"profile " + profile, profile == "default" ? profile : ""}) {
    if (name.empty()) continue;
    if (auto it = config.find(name); it != config.end()) return &it->second;
  }
  return nullptr;
}

std::optional<AwsCredentials> credentials_in(const IniSection& section, std::string origin) {
  auto get = [&](const char* key) {
    auto it = section.find(key);
    return it == section.end() ? std::string() : it->second;
  };
  AwsCredentials credentials{get("aws_access_key_id"), get("aws_secret_access_key"),
                             get("aws_session_token"), std::move(origin)};
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return std::nullopt;
  }
  return credentials;
}

}  // namespace

std::optional<S3Location> parse_s3_uri(std::string_view uri) {
  constexpr std::string_view kScheme = "s3://";
  if (!uri.starts_with(kScheme)) return std::nullopt;
  uri.remove_prefix(kScheme.size());
  auto slash = uri.find('/');
  S3Location location;
  location.bucket = std::string(uri.substr(0, slash));
  if (slash != std::string_view::npos) location.key = std::string(uri.substr(slash + 1));
  if (location.bucket.empty()) return std::nullopt;
  return location;
}

std::optional<AwsCredentials> find_aws_credentials() {
  std::string id = env("AWS_ACCESS_KEY_ID");
  std::string secret = env("AWS_SECRET_ACCESS_KEY");
  if (!id.empty() && !secret.empty()) {
    return AwsCredentials{id, secret, env("AWS_SESSION_TOKEN"), "environment (AWS_ACCESS_KEY_ID)"};
  }
  if (!id.empty() || !secret.empty()) {
    spdlog::warn("only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set; ignoring them");
  }

  std::string profile = profile_name();
  auto credentials_file = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
  IniFile credentials = read_ini(credentials_file);
  if (auto it = credentials.find(profile); it != credentials.end()) {
    if (auto found = credentials_in(it->second,
                                    "profile '" + profile + "' in " + credentials_file.string())) {
      return found;
    }
  }
  auto config_file = aws_file("AWS_CONFIG_FILE", "config");
  IniFile config = read_ini(config_file);
  if (const IniSection* section = config_section(config, profile)) {
    if (auto found =
            credentials_in(*section, "profile '" + profile + "' in " + config_file.string())) {
      return found;
    }
  }
  if (!env("AWS_PROFILE").empty()) {
    spdlog::warn("AWS_PROFILE={} has no credentials in {} or {}; requests go unsigned", profile,
                 credentials_file.string(), config_file.string());
  }
  return std::nullopt;
}

S3Settings resolve_s3_settings(std::string_view bucket, bool no_sign_request) {
  S3Settings settings;
  if (!no_sign_request) settings.credentials = find_aws_credentials();

  settings.endpoint = env("AWS_ENDPOINT_URL_S3");
  if (settings.endpoint.empty()) settings.endpoint = env("AWS_ENDPOINT_URL");
  while (settings.endpoint.ends_with('/')) settings.endpoint.pop_back();

  settings.region = env("AWS_REGION");
  if (settings.region.empty()) settings.region = env("AWS_DEFAULT_REGION");
  if (settings.region.empty()) {
    IniFile config = read_ini(aws_file("AWS_CONFIG_FILE", "config"));
    if (const IniSection* section = config_section(config, profile_name())) {
      if (auto it = section->find("region"); it != section->end()) settings.region = it->second;
    }
  }
  if (settings.endpoint.empty()) {
    for (const auto& [known, region] : kKnownBucketRegions) {
      if (bucket == known) settings.region = std::string(region);
    }
  }
  if (settings.region.empty()) settings.region = "us-east-1";

  settings.path_style = bucket.find('.') != std::string_view::npos || !settings.endpoint.empty();
  return settings;
}

std::string s3_object_url(const S3Settings& settings, const S3Location& location) {
  std::string key = aws_uri_encode(location.key, false);
  if (settings.path_style) {
    std::string base = settings.endpoint.empty()
                           ? "https://s3." + settings.region + ".amazonaws.com"
                           : settings.endpoint;
    return base + "/" + location.bucket + (location.key.empty() ? "" : "/" + key);
  }
  if (settings.endpoint.empty()) {
    return "https://" + location.bucket + ".s3." + settings.region + ".amazonaws.com/" + key;
  }
  auto scheme_end = settings.endpoint.find("://");
  std::string scheme =
      scheme_end == std::string::npos ? "https://" : settings.endpoint.substr(0, scheme_end + 3);
  std::string host = scheme_end == std::string::npos ? settings.endpoint
                                                     : settings.endpoint.substr(scheme_end + 3);
  return scheme + location.bucket + "." + host + "/" + key;
}

}  // namespace marquee::source
