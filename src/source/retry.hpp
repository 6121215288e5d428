#pragma once

// The one retry policy of every HTTP request marquee makes (S3, HTTP(S) sources and the alert
// webhook): which outcomes are worth another attempt, how many failures in a row are allowed,
// and how long to wait between attempts.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "source/source.hpp"

namespace marquee::source {

/// 5xx, 429 and 408: an answer worth another attempt.
bool is_retryable_status(long status);

/// A libcurl result (CURLcode) worth another attempt: a name that did not resolve, a refused or
/// reset connection, a timeout, a transfer that ended early.
bool is_retryable_curl_code(int code);

/// The wait before retry `attempt` (1-based): base * 2^(attempt-1) capped at 30 s, its upper
/// half random (so that clients retrying together spread out), and at least a Retry-After the
/// server asked for (capped at 60 s).
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base_backoff,
                                        std::optional<std::chrono::seconds> retry_after);

/// The failures of one request (or one download) against its budget. A download counts only the
/// attempts in a row that added no byte, so a long transfer over a flaky link still finishes.
class RetryPolicy {
 public:
  RetryPolicy(int max_retries, std::chrono::milliseconds base_backoff,
              std::function<bool()> cancelled = {});
  /// max_retries, base_backoff and cancelled of the transfer.
  explicit RetryPolicy(const TransferOptions& options);

  /// Counts a failed attempt. `progressed`: it moved the transfer forward, which starts the
  /// count of failures in a row again. False when the failures in a row exceed max_retries:
  /// time to give up.
  bool record_failure(bool progressed = false);
  int failures_in_a_row() const { return failures_in_a_row_; }
  int max_retries() const { return max_retries_; }

  /// Logs "WHAT: REASON; retrying in N ms (NOTE)" and waits backoff_delay() for the failures in
  /// a row, polling `cancelled` every 100 ms; throws TransferCancelled when it says stop.
  void wait(const std::string& what, const std::string& reason, const std::string& note,
            std::optional<std::chrono::seconds> retry_after = std::nullopt) const;

 private:
  int max_retries_;
  std::chrono::milliseconds base_backoff_;
  std::function<bool()> cancelled_;
  int failures_in_a_row_ = 0;
};

}  // namespace marquee::source
