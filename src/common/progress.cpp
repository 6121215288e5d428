#include "common/progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.hpp"

namespace marquee {
namespace {

std::atomic<bool> g_bar_on_terminal{false};

/// 1234567 -> "1,234,567".
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string duration_text(double seconds) {
  if (seconds < 1) return "under 1 s";
  if (seconds < 60) return fmt::format("{:.0f} s", seconds);
  return fmt::format("{:.0f} min {:02.0f} s", seconds / 60 - 0.5, std::fmod(seconds, 60.0));
}

}  // namespace

bool progress_bar_on_terminal() {
  return g_bar_on_terminal.load();
}

void set_progress_bar_on_terminal(bool on) {
  g_bar_on_terminal.store(on);
}

std::chrono::milliseconds progress_interval(bool bar) {
  if (const char* text = std::getenv("MARQUEE_PROGRESS_SECONDS"); text != nullptr) {
    char* end = nullptr;
    double seconds = std::strtod(text, &end);
    if (end != text && *end == '\0' && seconds > 0 && seconds < 86400) {
      return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
    }
  }
  if (bar) return std::chrono::milliseconds(200);
  return std::chrono::seconds(10);
}

ProgressMeter::ProgressMeter(std::string what, std::string unit, std::uint64_t total_bytes)
    : what_(std::move(what)),
      unit_(std::move(unit)),
      total_bytes_(total_bytes),
      bar_(progress_bar_on_terminal()),
      ticker_([this] { run(); }) {}

ProgressMeter::~ProgressMeter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  ticker_.join();
  if (drawn_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
}

std::string ProgressMeter::describe(const std::string& what, const std::string& unit,
                                    std::uint64_t units, std::uint64_t bytes,
                                    std::uint64_t total_bytes, double seconds) {
  const double mb = static_cast<double>(bytes) / 1e6;
  const double rate = seconds > 0 ? mb / seconds : 0;
  std::string text = fmt::format("{}: {} {}, ", what, grouped(units), unit);
  if (total_bytes > 0) {
    const double total_mb = static_cast<double>(total_bytes) / 1e6;
    const double share =
        std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_bytes));
    text +=
        fmt::format("{:.1f} of {:.1f} MB ({:.0f}%), {:.1f} MB/s", mb, total_mb, share * 100, rate);
    if (rate > 0 && bytes > 0 && bytes < total_bytes) {
      text += fmt::format(", about {} left", duration_text((total_mb - mb) / rate));
    }
  } else {
    text += fmt::format("{:.1f} MB, {:.1f} MB/s", mb, rate);
  }
  return text;
}

std::string ProgressMeter::text() const {
  const double seconds = seconds_since(started_);
  return describe(what_, unit_, units_.load(std::memory_order_relaxed),
                  bytes_.load(std::memory_order_relaxed), total_bytes_, seconds);
}

void ProgressMeter::run() {
  const auto interval = progress_interval(bar_);
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval, [&] { return stop_; })) {
    if (!bar_) {
      spdlog::info("progress: {}", text());
      continue;
    }
    std::string line = text();
    if (total_bytes_ > 0) {
      constexpr int kWidth = 24;
      const auto done = static_cast<int>(
          kWidth * std::min(1.0, static_cast<double>(bytes_.load(std::memory_order_relaxed)) /
                                     static_cast<double>(total_bytes_)));
      line = fmt::format("[{}{}] {}", std::string(static_cast<std::size_t>(done), '#'),
                         std::string(static_cast<std::size_t>(kWidth - done), '.'), line);
    }
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
}

}  // namespace marquee
