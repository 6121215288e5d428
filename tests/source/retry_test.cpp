#include "source/retry.hpp"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

namespace marquee::source {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RetryableStatus, ServerErrorsThrottlingAndRequestTimeout) {
  for (long status : {500L, 502L, 503L, 504L, 429L, 408L}) {
    EXPECT_TRUE(is_retryable_status(status)) << status;
  }
}

TEST(RetryableStatus, AnswersThatAnotherAttemptWouldRepeat) {
  for (long status : {200L, 206L, 301L, 400L, 401L, 403L, 404L, 416L}) {
    EXPECT_FALSE(is_retryable_status(status)) << status;
  }
}

TEST(RetryableCurlCode, TimeoutsResetsAndRefusedConnections) {
  for (CURLcode code :
       {CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_COULDNT_CONNECT,
        CURLE_COULDNT_RESOLVE_HOST, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING}) {
    EXPECT_TRUE(is_retryable_curl_code(code)) << code;
  }
}

TEST(RetryableCurlCode, MistakesThatRetryingCannotFix) {
  for (CURLcode code :
       {CURLE_OK, CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_WRITE_ERROR,
        CURLE_ABORTED_BY_CALLBACK, CURLE_PEER_FAILED_VERIFICATION}) {
    EXPECT_FALSE(is_retryable_curl_code(code)) << code;
  }
}

TEST(BackoffDelay, DoublesWithJitterInItsUpperHalf) {
  for (int attempt = 1; attempt <= 4; ++attempt) {
    milliseconds full(500LL << (attempt - 1));
    for (int i = 0; i < 50; ++i) {
      auto delay = backoff_delay(attempt, milliseconds(500), std::nullopt);
      EXPECT_GE(delay, full / 2) << attempt;
      EXPECT_LE(delay, full) << attempt;
    }
  }
}

TEST(BackoffDelay, IsCappedAtThirtySeconds) {
  EXPECT_LE(backoff_delay(40, milliseconds(500), std::nullopt), seconds(30));
}

TEST(BackoffDelay, WaitsAtLeastTheRetryAfterUpToAMinute) {
  EXPECT_GE(backoff_delay(1, milliseconds(10), seconds(3)), seconds(3));
  EXPECT_EQ(backoff_delay(1, milliseconds(10), seconds(3600)), seconds(60));
}

TEST(RetryPolicy, AllowsMaxRetriesFailuresInARow) {
  RetryPolicy budget(3, milliseconds(1));
  EXPECT_TRUE(budget.record_failure());
  EXPECT_TRUE(budget.record_failure());
  EXPECT_TRUE(budget.record_failure());
  EXPECT_FALSE(budget.record_failure());
  EXPECT_EQ(budget.failures_in_a_row(), 4);
}

TEST(RetryPolicy, ProgressStartsTheCountAgain) {
  RetryPolicy budget(1, milliseconds(1));
  EXPECT_TRUE(budget.record_failure());
  EXPECT_TRUE(budget.record_failure(/*progressed=*/true));
  EXPECT_EQ(budget.failures_in_a_row(), 0);
  EXPECT_TRUE(budget.record_failure());
  EXPECT_FALSE(budget.record_failure());
}

TEST(RetryPolicy, WaitStopsAtOnceWhenCancelled) {
  std::atomic<bool> stop{false};
  RetryPolicy budget(5, milliseconds(20'000), [&] { return stop.load(); });
  budget.record_failure();
  stop = true;
  auto started = std::chrono::steady_clock::now();
  try {
    budget.wait("s3://b/k", "HTTP 503", "retry 1 of 5");
    FAIL() << "no TransferCancelled";
  } catch (const TransferCancelled& e) {
    EXPECT_STREQ(e.what(), "s3://b/k: stopped while waiting to retry");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(2));
}

TEST(RetryPolicy, WaitTakesTheBackoff) {
  RetryPolicy budget(5, milliseconds(100));
  budget.record_failure();
  budget.record_failure();
  auto started = std::chrono::steady_clock::now();
  budget.wait("x", "HTTP 500", "retry 2 of 5");
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, milliseconds(100));
  EXPECT_LT(waited, seconds(2));
}

}  // namespace
}  // namespace marquee::source
