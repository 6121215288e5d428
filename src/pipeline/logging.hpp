#pragma once

#include <filesystem>

namespace marquee::pipeline {

/// Sends spdlog's default logger to the main log (<log_dir>/data-engineer-project.log) and the
/// terminal, and warnings and errors also to <log_dir>/error.log (SPEC 6). Without a log_dir
/// only the terminal is used.
void setup_logging(const std::filesystem::path& log_dir, bool verbose);

inline constexpr const char* kMainLogName = "data-engineer-project.log";
inline constexpr const char* kErrorLogName = "error.log";

}  // namespace marquee::pipeline
