#include "pipeline/metrics_textfile.hpp"

#include <chrono>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "common/prometheus.hpp"

namespace marquee::pipeline {
namespace fs = std::filesystem;
namespace {

double now_epoch_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

/// The value of `metric` in a textfile this function wrote before, 0 when there is none.
double previous_value(const fs::path& file, const std::string& metric) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(metric, 0) == 0 && line.size() > metric.size() && line[metric.size()] == ' ') {
      try {
        return std::stod(line.substr(metric.size() + 1));
      } catch (const std::exception&) {
        return 0;
      }
    }
  }
  return 0;
}

struct Totals {
  std::uint64_t read = 0, loaded = 0, rejected = 0, warnings = 0;
};

Totals totals_of(const RunSummary& summary) {
  Totals t;
  for (const auto& batch : summary.batches) {
    for (const auto& file : batch.files) {
      t.read += file.rows_read;
      t.loaded += file.rows_loaded;
      t.rejected += file.rows_rejected;
      t.warnings += file.warnings.total();
    }
  }
  return t;
}

void gauge(std::string& out, const std::string& name, const std::string& help,
           const std::string& labels, double value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{}{{{}}} {}\n", name, help, name, name, labels,
                     value);
}

}  // namespace

void write_metrics_textfile(const fs::path& dir, const RunSummary& summary) {
  fs::path file = dir / fmt::format("marquee_{}.prom", summary.command);
  const std::string labels = fmt::format("command=\"{}\"", prometheus_label(summary.command));
  const double now = now_epoch_seconds();
  const bool succeeded = summary.exit_code == 0;
  const std::string success_metric =
      fmt::format("marquee_last_success_timestamp_seconds{{{}}}", labels);
  const double last_success = succeeded ? now : previous_value(file, success_metric);
  Totals t = totals_of(summary);
  std::uint64_t failed_checks = 0;
  for (const auto& check : summary.checks) failed_checks += check.failing > 0 ? 1 : 0;

  std::string out;
  gauge(out, "marquee_last_run_timestamp_seconds", "When the command last finished.", labels, now);
  gauge(out, "marquee_last_success_timestamp_seconds",
        "When the command last succeeded (0: never here).", labels, last_success);
  gauge(out, "marquee_last_run_succeeded", "1 when the last run succeeded, else 0.", labels,
        succeeded ? 1 : 0);
  gauge(out, "marquee_last_run_exit_code", "The exit code of the last run (SPEC 7).", labels,
        summary.exit_code);
  gauge(out, "marquee_last_run_duration_seconds", "Wall time of the last run.", labels,
        std::max(0.0, now - utc_epoch_seconds(summary.started_at)));
  gauge(out, "marquee_last_run_batches_loaded", "Batches the last run committed.", labels,
        static_cast<double>(summary.batches.size()));
  gauge(out, "marquee_last_run_rows_read", "Records read by the last run.", labels,
        static_cast<double>(t.read));
  gauge(out, "marquee_last_run_rows_loaded", "Records loaded by the last run.", labels,
        static_cast<double>(t.loaded));
  gauge(out, "marquee_last_run_rows_rejected", "Records rejected by the last run.", labels,
        static_cast<double>(t.rejected));
  gauge(out, "marquee_last_run_warnings", "Record warnings of the last run.", labels,
        static_cast<double>(t.warnings));
  gauge(out, "marquee_last_run_failed_checks", "Data checks that found failing keys.", labels,
        static_cast<double>(failed_checks));
  out +=
      "# HELP marquee_last_run_step_duration_seconds Wall time of each step of the last run.\n"
      "# TYPE marquee_last_run_step_duration_seconds gauge\n";
  for (const auto& step : summary.steps) {
    out += fmt::format("marquee_last_run_step_duration_seconds{{{},step=\"{}\"}} {}\n", labels,
                       prometheus_label(step.name), step.seconds);
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  write_file_atomically(file, out);
}

}  // namespace marquee::pipeline
