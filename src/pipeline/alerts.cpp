#include "pipeline/alerts.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "source/redact.hpp"
#include "source/retry.hpp"

namespace marquee::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

std::size_t discard_body(char*, std::size_t size, std::size_t count, void*) {
  return size * count;
}

/// What the receiver made of one POST.
struct WebhookAnswer {
  std::string problem;  ///< empty on a 2xx answer, else what went wrong ("HTTP 500", libcurl's)
  bool retryable = false;
  std::optional<std::chrono::seconds> retry_after;
};

/// One POST of `body`, within `timeout`.
WebhookAnswer post_once(const std::string& url, const std::string& body,
                        std::chrono::milliseconds timeout) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return {"curl_easy_init failed", false, std::nullopt};
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
      curl_slist_append(nullptr, "Content-Type: application/json"), curl_slist_free_all);
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, discard_body);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    return {error[0] ? std::string(error) : curl_easy_strerror(rc),
            source::is_retryable_curl_code(rc), std::nullopt};
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return {};
  std::optional<std::chrono::seconds> retry_after;
  curl_off_t seconds = -1;
  if (curl_easy_getinfo(curl.get(), CURLINFO_RETRY_AFTER, &seconds) == CURLE_OK && seconds > 0) {
    retry_after = std::chrono::seconds(seconds);
  }
  return {fmt::format("HTTP {}", status), source::is_retryable_status(status), retry_after};
}

void post_webhook(const AlertOptions& options, const json& payload) {
  if (options.webhook_url.empty()) return;
  std::string body = payload.dump();
  std::string event = payload.value("event", "alert");
  const std::string webhook = source::redacted(options.webhook_url);
  source::RetryPolicy budget(options.webhook_attempts - 1, options.webhook_backoff);
  for (int attempt = 1;; ++attempt) {
    WebhookAnswer answer = post_once(options.webhook_url, body, options.timeout);
    if (answer.problem.empty()) {
      spdlog::info("alert: {} posted to {} (attempt {})", event, webhook, attempt);
      return;
    }
    if (!answer.retryable || !budget.record_failure()) {
      spdlog::warn(
          "alert: the webhook {} did not take the {} alert after {} attempts ({}); check "
          "that the receiver is up",
          webhook, event, attempt, source::redacted_text(answer.problem));
      return;
    }
    budget.wait(fmt::format("alert: webhook {}", webhook), source::redacted_text(answer.problem),
                fmt::format("attempt {} of {}", attempt + 1, options.webhook_attempts),
                answer.retry_after);
  }
}

}  // namespace

json RunFailure::to_json() const {
  return {{"event", "failure"},
          {"run_id", run_id},
          {"step", step},
          {"exit_code", exit_code},
          {"message", source::redacted_text(message)},
          {"source", source::redacted(source)},
          {"batch", batch ? json(*batch) : json(nullptr)}};
}

int run_hook(const std::string& command, const std::string& input,
             const std::vector<std::pair<std::string, std::string>>& environment,
             std::chrono::milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  // A hook that exits without reading its stdin must not kill us with SIGPIPE.
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(fds[0], STDIN_FILENO);
    for (const auto& [name, value] : environment) ::setenv(name.c_str(), value.c_str(), 1);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[0]);
  if (pid < 0) {
    ::close(fds[1]);
    ::sigaction(SIGPIPE, &previous, nullptr);
    return -1;
  }
  const char* data = input.data();
  std::size_t left = input.size();
  while (left > 0) {
    ssize_t n = ::write(fds[1], data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  ::close(fds[1]);
  ::sigaction(SIGPIPE, &previous, nullptr);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (done < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void send_failure_alert(const AlertOptions& options, const RunFailure& failure) {
  json payload = failure.to_json();
  if (!options.on_failure.empty()) {
    std::vector<std::pair<std::string, std::string>> environment = {
        {"MARQUEE_RUN_ID", failure.run_id},
        {"MARQUEE_STEP", failure.step},
        {"MARQUEE_EXIT_CODE", std::to_string(failure.exit_code)},
        {"MARQUEE_MESSAGE", payload["message"].get<std::string>()},
        {"MARQUEE_SOURCE", payload["source"].get<std::string>()},
        {"MARQUEE_BATCH", failure.batch ? std::to_string(*failure.batch) : ""}};
    int status = run_hook(options.on_failure, payload.dump() + "\n", environment, options.timeout);
    if (status == 0) {
      spdlog::info("alert: --on-failure command ran");
    } else if (status < 0) {
      spdlog::warn(
          "alert: the --on-failure command did not finish within {} ms and was killed, "
          "or could not start; run it by hand to check it",
          options.timeout.count());
    } else {
      spdlog::warn("alert: the --on-failure command exited {}; run it by hand to check it", status);
    }
  }
  post_webhook(options, payload);
}

void send_recovered_alert(const AlertOptions& options, const json& recovered) {
  post_webhook(options, recovered);
}

RunHistory::RunHistory(const fs::path& workdir, const std::string& command)
    : path_(workdir / "state" / ("last_" + command + ".json")) {}

void RunHistory::record_failure(const RunFailure& failure) {
  json state = failure.to_json();
  state["status"] = "failed";
  state["finished_at"] = utc_now_iso8601();
  try {
    fs::create_directories(path_.parent_path());
    write_file_atomically(path_, state.dump(2) + "\n");
  } catch (const std::exception& e) {
    spdlog::warn("alert: cannot record the failure in {}: {}", path_.string(), e.what());
  }
}

std::optional<json> RunHistory::record_success(const std::string& run_id) {
  std::optional<json> previous_failure;
  std::error_code ec;
  if (fs::exists(path_, ec)) {
    try {
      std::ifstream in(path_);
      json previous = json::parse(in);
      if (previous.value("status", "") == "failed") {
        // Written by an older version, it may still name a source with its password.
        previous["message"] = source::redacted_text(previous.value("message", ""));
        previous["source"] = source::redacted(previous.value("source", ""));
        previous_failure = previous;
      }
    } catch (const std::exception& e) {
      spdlog::warn("alert: ignoring the unreadable {}: {}", path_.string(), e.what());
    }
  }
  json state = {{"status", "ok"}, {"run_id", run_id}, {"finished_at", utc_now_iso8601()}};
  try {
    fs::create_directories(path_.parent_path());
    write_file_atomically(path_, state.dump(2) + "\n");
  } catch (const std::exception& e) {
    spdlog::warn("alert: cannot record the success in {}: {}", path_.string(), e.what());
  }
  return previous_failure;
}

}  // namespace marquee::pipeline
