#include "pipeline/logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "common/error.hpp"
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

}  // namespace

void setup_logging(const std::filesystem::path& log_dir, bool verbose) {
  std::vector<spdlog::sink_ptr> sinks;
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  console->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  console->set_pattern("%^%l%$: %v");
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
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l [pid %P] %v", spdlog::pattern_time_type::utc);
  console->set_pattern("%^%l%$: %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace marquee::pipeline
