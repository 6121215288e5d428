#pragma once

#include <filesystem>
#include <string>

namespace marquee::pipeline {

/// How much the terminal shows; the main log always has everything (debug included).
enum class Verbosity { kQuiet, kNormal, kVerbose };
/// kJson: one JSON object per line ({"time","level","pid","run_id","message"}), on the terminal
/// and in both logs, for log shippers.
enum class LogFormat { kText, kJson };

struct LogOptions {
  std::filesystem::path log_dir;  ///< empty: only the terminal
  Verbosity verbosity = Verbosity::kNormal;
  LogFormat format = LogFormat::kText;
};

/// Sends spdlog's default logger to the main log (<log_dir>/data-engineer-project.log) and the
/// terminal, and warnings and errors also to <log_dir>/error.log (SPEC 6). The terminal shows
/// info and up (kQuiet: warnings and errors; kVerbose: debug too), in colour only when stderr
/// is a terminal and NO_COLOR is unset or empty (no-color.org).
void setup_logging(const LogOptions& options);

/// The run id the JSON log lines carry from now on.
void set_log_run_id(const std::string& run_id);

inline constexpr const char* kMainLogName = "data-engineer-project.log";
inline constexpr const char* kErrorLogName = "error.log";

}  // namespace marquee::pipeline
