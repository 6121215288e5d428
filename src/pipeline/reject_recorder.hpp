#pragma once

#include <cstdint>
#include <string>

#include <spdlog/spdlog.h>

#include "pipeline/movie_loader.hpp"

namespace marquee::pipeline {

/// Counts each reject, logs the first few and writes it to the rejects file, until the reject
/// limit is certainly passed: from there on the batch fails whatever follows, and a reject is
/// only counted, so that a file of bad records never makes a rejects file of gigabytes.
class RejectRecorder {
 public:
  RejectRecorder(RejectSink& sink, const BatchGuards& guards, std::size_t header_fields,
                 std::int64_t batch_id, const std::string& file_label)
      : sink_(sink),
        guards_(guards),
        min_record_bytes_(std::max<std::uint64_t>(header_fields, 1)),
        batch_id_(batch_id),
        file_label_(file_label) {}

  /// `bytes_read`: at most the bytes read so far, which bounds the records still to come (an
  /// accepted record holds at least a byte a field: its commas and a digit of its id).
  void add(const dataset::RowError& error, std::uint64_t bytes_read, FileStats& stats) {
    ++stats.rows_rejected;
    ++stats.rejected_by_reason[std::string(dataset::to_string(error.reason))];
    if (stats.rows_rejected <= kLogged) {
      spdlog::warn("batch {}: {}: line {}: rejected ({}): {}", batch_id_, file_label_, error.line,
                   dataset::to_string(error.reason), error.detail);
    }
    if (stats.rejects_left_out_from_line == 0 && guards_.input_bytes > 0) {
      std::uint64_t left = guards_.input_bytes > bytes_read ? guards_.input_bytes - bytes_read : 0;
      std::uint64_t more = left / min_record_bytes_;
      if (guards_.budget.certainly_exceeded(stats.rows_rejected, stats.rows_read, more)) {
        stats.rejects_left_out_from_line = error.line;
        spdlog::warn(
            "batch {}: {}: line {}: the reject limit of {:.2f}% is passed whatever follows ({} of "
            "{} records rejected, at most {} more in the {} bytes left); the batch will fail, so "
            "later rejects are counted but not written to the rejects file",
            batch_id_, file_label_, error.line, guards_.budget.max_ratio * 100, stats.rows_rejected,
            stats.rows_read, more, left);
      }
    }
    if (stats.rejects_left_out_from_line != 0) {
      ++stats.rejects_left_out;
    } else {
      sink_.add(error);
    }
  }

  /// The end of a file: how many rejects the log left out, and the first warnings of each kind.
  void log_end(const FileStats& stats) const {
    log_summary(stats);
    for (const auto& w : stats.warnings.examples()) {
      spdlog::warn("batch {}: {}: line {}: {}: {}", batch_id_, file_label_, w.line,
                   dataset::to_string(w.kind), w.detail);
    }
  }

  void log_summary(const FileStats& stats) const {
    if (const std::uint64_t written = stats.rows_rejected - stats.rejects_left_out;
        written > kLogged) {
      spdlog::warn("batch {}: {}: {} more rejected records are in the rejects file", batch_id_,
                   file_label_, written - kLogged);
    }
    if (stats.rejects_left_out > 0) {
      spdlog::warn(
          "batch {}: {}: {} rejected records from line {} on were left out of the rejects file "
          "(the reject limit was certainly passed before them)",
          batch_id_, file_label_, stats.rejects_left_out, stats.rejects_left_out_from_line);
    }
  }

 private:
  static constexpr std::uint64_t kLogged = 50;
  RejectSink& sink_;
  const BatchGuards& guards_;
  std::uint64_t min_record_bytes_;
  std::int64_t batch_id_;
  const std::string& file_label_;
};

}  // namespace marquee::pipeline
