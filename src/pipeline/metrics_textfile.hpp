#pragma once

#include <filesystem>

#include "pipeline/run_summary.hpp"

namespace marquee::pipeline {

/// Writes <dir>/marquee_<command>.prom for node_exporter's textfile collector
/// (--collector.textfile.directory), atomically (a reader never sees half a file): when the
/// command last ran and last succeeded, its exit code, duration, rows, rejects, warnings, failed
/// checks and step times, so that on-call can alert on a stale or failing job. The last success
/// time is carried over from the previous file when this run failed.
void write_metrics_textfile(const std::filesystem::path& dir, const RunSummary& summary);

}  // namespace marquee::pipeline
