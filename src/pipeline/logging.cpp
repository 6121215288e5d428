#include "pipeline/logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include "common/error.hpp"

namespace marquee::pipeline {

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
  auto logger = std::make_shared<spdlog::logger>("marquee", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::debug);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l [pid %P] %v", spdlog::pattern_time_type::utc);
  console->set_pattern("%^%l%$: %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace marquee::pipeline
