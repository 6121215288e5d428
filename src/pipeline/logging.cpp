#include "pipeline/logging.hpp"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/progress.hpp"
#include "source/redact.hpp"

namespace marquee::pipeline {
namespace {

/// Hands every message on with the URLs in it redacted: the last guard that keeps a password
/// in a source, an endpoint or a webhook URL out of the terminal and the logs, whichever
/// module's message names it. A line without "://" goes through as it is.
class RedactingSink final : public spdlog::sinks::sink {
 public:
  explicit RedactingSink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {
    set_level(inner_->level());
  }
  void log(const spdlog::details::log_msg& message) override {
    std::string_view payload(message.payload.data(), message.payload.size());
    if (payload.find("://") == std::string_view::npos) return inner_->log(message);
    std::string text = source::redacted_text(payload);
    spdlog::details::log_msg copy = message;
    copy.payload = spdlog::string_view_t(text.data(), text.size());
    inner_->log(copy);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  spdlog::sink_ptr inner_;
};

std::mutex run_id_mutex;
std::string log_run_id;

/// One JSON object per line: what a log shipper (Fluent Bit, Vector, Loki's promtail) parses
/// without a regex. Invalid UTF-8 in a message is replaced, so every line is valid JSON.
class JsonLineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& dest) override {
    auto since_epoch = message.time.time_since_epoch();
    std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    nlohmann::ordered_json line = {
        {"time", fmt::format("{}.{:03}Z", stamp, millis)},
        {"level", std::string(spdlog::level::to_string_view(message.level).data(),
                              spdlog::level::to_string_view(message.level).size())},
        {"pid", static_cast<long long>(::getpid())},
    };
    {
      std::lock_guard lock(run_id_mutex);
      if (!log_run_id.empty()) line["run_id"] = log_run_id;
    }
    line["message"] = std::string(message.payload.data(), message.payload.size());
    std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    text += '\n';
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLineFormatter>();
  }
};

spdlog::level::level_enum terminal_level(Verbosity verbosity) {
  switch (verbosity) {
    case Verbosity::kQuiet:
      return spdlog::level::warn;
    case Verbosity::kVerbose:
      return spdlog::level::debug;
    case Verbosity::kNormal:
      break;
  }
  return spdlog::level::info;
}

/// no-color.org: NO_COLOR set to anything but the empty string turns colour off.
spdlog::color_mode terminal_colors() {
  const char* no_color = std::getenv("NO_COLOR");
  return no_color != nullptr && *no_color != '\0' ? spdlog::color_mode::never
                                                  : spdlog::color_mode::automatic;
}

}  // namespace

void set_log_run_id(const std::string& run_id) {
  std::lock_guard lock(run_id_mutex);
  log_run_id = run_id;
}

void setup_logging(const LogOptions& options) {
  const auto& log_dir = options.log_dir;
  std::vector<spdlog::sink_ptr> sinks;
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(terminal_colors());
  console->set_level(terminal_level(options.verbosity));
  sinks.push_back(console);
  if (!log_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(log_dir, ec);
    try {
      auto main_log =
          std::make_shared<spdlog::sinks::basic_file_sink_mt>((log_dir / kMainLogName).string());
      main_log->set_level(spdlog::level::debug);
      auto error_log =
          std::make_shared<spdlog::sinks::basic_file_sink_mt>((log_dir / kErrorLogName).string());
      error_log->set_level(spdlog::level::warn);
      sinks.push_back(main_log);
      sinks.push_back(error_log);
    } catch (const spdlog::spdlog_ex& e) {
      throw Error(ExitCode::kUsage,
                  fmt::format("cannot open the logs in {}: {}; choose a writable --log-dir "
                              "or --workdir",
                              log_dir.string(), e.what()));
    }
  }
  for (auto& sink : sinks) sink = std::make_shared<RedactingSink>(sink);
  auto logger = std::make_shared<spdlog::logger>("marquee", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::debug);
  if (options.format == LogFormat::kJson) {
    logger->set_formatter(std::make_unique<JsonLineFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l [pid %P] %v", spdlog::pattern_time_type::utc);
    sinks.front()->set_pattern("%^%l%$: %v");
  }
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  const char* term = std::getenv("TERM");
  set_progress_bar_on_terminal(
      ::isatty(STDERR_FILENO) == 1 && options.verbosity != Verbosity::kQuiet &&
      options.format == LogFormat::kText && (term == nullptr || std::string_view(term) != "dumb"));
}

}  // namespace marquee::pipeline
