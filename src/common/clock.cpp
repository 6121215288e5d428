#include "common/clock.hpp"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

namespace marquee {
namespace {

std::tm utc_parts(std::chrono::system_clock::time_point now) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

}  // namespace

std::string utc_now_iso8601() {
  auto now = std::chrono::system_clock::now();
  std::tm tm = utc_parts(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

std::string utc_now_compact() {
  std::tm tm = utc_parts(std::chrono::system_clock::now());
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<std::string> normalize_utc_timestamp(std::string_view text) {
  std::size_t at = 0;
  auto digits = [&](std::size_t n, int& out) {
    if (at + n > text.size()) return false;
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
      char c = text[at + i];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    at += n;
    return true;
  };
  auto literal = [&](char c) {
    if (at < text.size() && text[at] == c) {
      ++at;
      return true;
    }
    return false;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!digits(4, year) || !literal('-') || !digits(2, month) || !literal('-') || !digits(2, day)) {
    return std::nullopt;
  }
  if (at < text.size() && (text[at] == 'T' || text[at] == ' ')) {
    ++at;
    if (!digits(2, hour) || !literal(':') || !digits(2, minute)) return std::nullopt;
    if (literal(':')) {
      if (!digits(2, second)) return std::nullopt;
      if (literal('.')) {
        int scale = 100;
        std::size_t start = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
          millis += (text[at] - '0') * scale;
          scale /= 10;
          ++at;
        }
        if (at == start) return std::nullopt;
      }
    }
  }
  int offset_minutes = 0;
  if (at < text.size()) {
    char sign = text[at];
    if (sign == 'Z' || sign == 'z') {
      ++at;
    } else if (sign == '+' || sign == '-') {
      ++at;
      int oh = 0, om = 0;
      if (!digits(2, oh)) return std::nullopt;
      literal(':');
      if (!digits(2, om) || oh > 23 || om > 59) return std::nullopt;
      offset_minutes = (sign == '+' ? 1 : -1) * (oh * 60 + om);
    }
  }
  if (at != text.size()) return std::nullopt;
  using namespace std::chrono;
  year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                      std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  auto point = sys_days{date} + hours{hour} + minutes{minute} + seconds{second} +
               milliseconds{millis} - minutes{offset_minutes};
  auto day_point = floor<days>(point);
  year_month_day utc_date{day_point};
  auto time = point - day_point;
  auto h = duration_cast<hours>(time);
  auto m = duration_cast<minutes>(time - h);
  auto s = duration_cast<seconds>(time - h - m);
  auto ms = duration_cast<milliseconds>(time - h - m - s);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                     static_cast<int>(utc_date.year()), static_cast<unsigned>(utc_date.month()),
                     static_cast<unsigned>(utc_date.day()), h.count(), m.count(), s.count(),
                     ms.count());
}

double utc_epoch_seconds(std::string_view iso8601) {
  auto normalized = normalize_utc_timestamp(iso8601);
  if (!normalized) return 0;
  // "YYYY-MM-DDTHH:MM:SS.mmmZ"
  std::tm tm{};
  const std::string& t = *normalized;
  tm.tm_year = std::stoi(t.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(t.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(t.substr(8, 2));
  tm.tm_hour = std::stoi(t.substr(11, 2));
  tm.tm_min = std::stoi(t.substr(14, 2));
  tm.tm_sec = std::stoi(t.substr(17, 2));
  double millis = t.size() >= 23 ? std::stoi(t.substr(20, 3)) / 1000.0 : 0;
  return static_cast<double>(timegm(&tm)) + millis;
}

}  // namespace marquee
