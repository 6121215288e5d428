#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace marquee::pipeline {

/// Where a failed (or recovered) run is announced. Both are optional; an alert that cannot be
/// delivered is logged as a warning and never changes the run's exit code.
struct AlertOptions {
  std::string on_failure;   ///< shell command (run with /bin/sh -c), the failure JSON on stdin
  std::string webhook_url;  ///< POSTed the same JSON (application/json)
  std::chrono::milliseconds timeout{10'000};  ///< per command run and per webhook attempt
  /// The first POST and up to 3 retries, as source::RetryPolicy retries any HTTP request: after
  /// a 5xx, 429, 408, timeout or refused connection, not after an answer that another attempt
  /// would only repeat (a 404).
  int webhook_attempts = 4;
  std::chrono::milliseconds webhook_backoff{500};  ///< doubled after each failed attempt, jittered
  bool configured() const { return !on_failure.empty() || !webhook_url.empty(); }
};

/// What went wrong, as the hook and the webhook receive it.
struct RunFailure {
  std::string run_id;
  std::string step;  ///< stage, load, report, backfill
  int exit_code = 0;
  std::string message;
  std::string source;
  std::optional<std::int64_t> batch;

  /// {"event":"failure", run_id, step, exit_code, message, source, batch (null when none)}, with
  /// the source and any URL in the message redacted (source/redact.hpp): this is what leaves the
  /// process, to the hook, the webhook and state/last_<command>.json.
  nlohmann::json to_json() const;
};

/// Runs the on-failure command and POSTs the webhook.
void send_failure_alert(const AlertOptions& options, const RunFailure& failure);

/// POSTs {"event":"recovered", run_id, previous_run_id, previous_step, previous_exit_code,
/// previous_message} to the webhook (the on-failure command is for failures only).
void send_recovered_alert(const AlertOptions& options, const nlohmann::json& recovered);

/// The outcome of the last run of one command (run, stage, load, backfill) in a work directory,
/// kept in <workdir>/state/last_<command>.json, so that the first success of that command after
/// it failed is reported once as `recovered`. Per command: when the steps run as separate tasks
/// (stage, then load), a stage that succeeds says nothing about a load that failed.
class RunHistory {
 public:
  RunHistory(const std::filesystem::path& workdir, const std::string& command);
  /// Records a failure.
  void record_failure(const RunFailure& failure);
  /// Records a success; returns the failure it follows (the JSON written by record_failure),
  /// or nullopt when the previous run succeeded too (or there was none).
  std::optional<nlohmann::json> record_success(const std::string& run_id);

 private:
  std::filesystem::path path_;
};

/// Runs `command` with /bin/sh -c, `input` on its stdin and `environment` added to ours; kills
/// its process group after `timeout`. Returns its exit status, or -1 when it timed out or could
/// not start.
int run_hook(const std::string& command, const std::string& input,
             const std::vector<std::pair<std::string, std::string>>& environment,
             std::chrono::milliseconds timeout);

}  // namespace marquee::pipeline
