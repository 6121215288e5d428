#include "source/retry.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <random>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace marquee::source {
namespace {

constexpr std::chrono::milliseconds kMaxBackoff{30'000};
constexpr std::chrono::milliseconds kMaxRetryAfter{60'000};
constexpr std::chrono::milliseconds kCancelPoll{100};

}  // namespace

bool is_retryable_status(long status) {
  return status >= 500 || status == 429 || status == 408;
}

bool is_retryable_curl_code(int code) {
  switch (static_cast<CURLcode>(code)) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base_backoff,
                                        std::optional<std::chrono::seconds> retry_after) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  auto full = base_backoff * (1LL << std::min(attempt - 1, 20));
  full = std::min<std::chrono::milliseconds>(full, kMaxBackoff);
  std::uniform_int_distribution<long long> jitter(0, full.count() / 2);
  std::chrono::milliseconds delay(full.count() - full.count() / 2 + jitter(random));
  if (retry_after) {
    delay = std::max(delay, std::min<std::chrono::milliseconds>(*retry_after, kMaxRetryAfter));
  }
  return delay;
}

RetryPolicy::RetryPolicy(int max_retries, std::chrono::milliseconds base_backoff,
                         std::function<bool()> cancelled)
    : max_retries_(max_retries), base_backoff_(base_backoff), cancelled_(std::move(cancelled)) {}

RetryPolicy::RetryPolicy(const TransferOptions& options)
    : RetryPolicy(options.max_retries, options.base_backoff, options.cancelled) {}

bool RetryPolicy::record_failure(bool progressed) {
  failures_in_a_row_ = progressed ? 0 : failures_in_a_row_ + 1;
  return failures_in_a_row_ <= max_retries_;
}

void RetryPolicy::wait(const std::string& what, const std::string& reason, const std::string& note,
                       std::optional<std::chrono::seconds> retry_after) const {
  auto delay = backoff_delay(std::max(1, failures_in_a_row_), base_backoff_, retry_after);
  spdlog::warn("{}: {}; retrying in {} ms ({})", what, reason, delay.count(), note);
  auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (cancelled_ && cancelled_()) {
      throw TransferCancelled(fmt::format("{}: stopped while waiting to retry", what));
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        until - std::chrono::steady_clock::now(), kCancelPoll));
  }
}

}  // namespace marquee::source
