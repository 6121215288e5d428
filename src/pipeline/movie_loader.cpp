#include "pipeline/movie_loader.hpp"

#include <chrono>
#include <exception>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/progress.hpp"
#include "format/csv_field.hpp"
#include "format/csv_reader.hpp"
#include "pipeline/bounded_queue.hpp"
#include "pipeline/interrupt.hpp"
#include "pipeline/reject_recorder.hpp"

namespace marquee::pipeline {

namespace {

AtomicFile open_rejects_file(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::create_directories(path.parent_path(), ignored);
  std::filesystem::path temporary = path;
  temporary += ".part";
  try {
    return AtomicFile(path, ExitCode::kDatabase, "the batch was rolled back", temporary);
  } catch (const Error& e) {
    // Only creating the file throws here: the work directory is not writable, a usage error.
    throw Error(ExitCode::kUsage, e.what());
  }
}

}  // namespace

RejectSink::RejectSink(const std::filesystem::path& path)
    : path_(path), file_(open_rejects_file(path)) {
  file_.write("line,reason,detail,record\n");
}

namespace {

/// The first `max_bytes` of UTF-8 `text` or fewer, never ending inside a character.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace

void RejectSink::add(const dataset::RowError& error) {
  std::string_view record = utf8_prefix(error.raw, kRecordBytes);
  std::string_view detail = utf8_prefix(error.detail, kDetailBytes);
  line_ = fmt::format("{},{},", error.line, dataset::to_string(error.reason));
  if (detail.size() == error.detail.size() && record.size() == error.raw.size()) {
    format::append_csv_field(line_, detail);
  } else {
    std::string noted(detail);
    if (detail.size() < error.detail.size()) noted += "\u2026";
    if (record.size() < error.raw.size()) {
      noted +=
          fmt::format(" (record cut to its first {} of {} bytes)", record.size(), error.raw.size());
    }
    format::append_csv_field(line_, noted);
  }
  line_.push_back(',');
  format::append_csv_field(line_, record);
  line_.push_back('\n');
  file_.write(line_);
}

const std::filesystem::path& RejectSink::finish() {
  file_.commit();
  return path_;
}

bool RejectBudget::exceeded(std::uint64_t rejected, std::uint64_t read) const {
  return read != 0 && static_cast<double>(rejected) / static_cast<double>(read) > max_ratio;
}

bool RejectBudget::certainly_exceeded(std::uint64_t rejected, std::uint64_t read,
                                      std::uint64_t more_records) const {
  // The final share is at least rejected / (read + more_records): more rejects only raise it,
  // and at most more_records can still come. Division rounds monotonically, so the double
  // comparison cannot pass where the final check fails.
  return read + more_records >= read && exceeded(rejected, read + more_records);
}

void RejectBudget::check(const FileStats& stats, std::string_view stored_name,
                         std::optional<std::int64_t> batch_id) const {
  if (exceeded(stats.rows_rejected, stats.rows_read)) {
    double ratio = static_cast<double>(stats.rows_rejected) / static_cast<double>(stats.rows_read);
    std::string left_out;
    if (stats.rejects_left_out > 0) {
      left_out = fmt::format(
          " (it holds the rejects up to the point where the limit was certainly passed; {} "
          "rejected records from line {} on were counted but left out of it)",
          stats.rejects_left_out, stats.rejects_left_out_from_line);
    }
    throw Error(
        ExitCode::kBadData,
        fmt::format("{}: {} of {} records rejected ({:.2f}%), above the reject limit of {:.2f}%; "
                    "{} — see {}{} and fix the data, or raise --max-reject-ratio",
                    stored_name, stats.rows_rejected, stats.rows_read, ratio * 100, max_ratio * 100,
                    batch_id ? fmt::format("nothing of batch {} was committed", *batch_id)
                             : std::string("a load would fail (validated only, nothing loaded)"),
                    stats.rejects_file.string(), left_out));
  }
}

namespace {

/// The first few names of a list for a log line, and how many more there are.
std::string first_names(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 30;
  std::size_t shown = std::min(names.size(), kShown);
  std::string out = fmt::format(
      "{}", fmt::join(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(shown), ", "));
  if (names.size() > shown) out += fmt::format(" and {} more", names.size() - shown);
  return out;
}

/// One line each for the header's columns that are not read, repeated or missing. A snapshot
/// replaces every movie, so there a missing column is an error: it would NULL it for all of them.
void check_header(const dataset::MovieRecordRules& rules, const std::string& file_label,
                  std::int64_t batch_id, bool snapshot) {
  if (!rules.unknown_columns().empty()) {
    spdlog::info("{}: columns not used by marquee: {}", file_label,
                 first_names(rules.unknown_columns()));
  }
  if (!rules.repeated_unknown_columns().empty()) {
    spdlog::warn("batch {}: {}: line 1: columns not used by marquee appear more than once: {}",
                 batch_id, file_label, first_names(rules.repeated_unknown_columns()));
  }
  if (rules.missing_columns().empty()) return;
  if (snapshot) {
    throw Error(ExitCode::kBadData,
                fmt::format("{}: line 1: the header lacks columns {}; a snapshot replaces every "
                            "movie, so these would become NULL for all of them — fix the header, "
                            "or load the file without --snapshot",
                            file_label, fmt::join(rules.missing_columns(), ", ")));
  }
  spdlog::warn("batch {}: {}: line 1: columns missing from the header, loaded as NULL: {}",
               batch_id, file_label, fmt::join(rules.missing_columns(), ", "));
}

/// Rejects are left out only once the batch certainly fails; should it pass after all (the file
/// held more records than its size allowed for), its rejects file would be incomplete.
void check_left_out(const FileStats& stats, const BatchGuards& guards, const std::string& name) {
  if (stats.rejects_left_out == 0 || guards.budget.exceeded(stats.rows_rejected, stats.rows_read)) {
    return;
  }
  throw Error(
      ExitCode::kBadData,
      fmt::format("{}: the file holds more records than its size of {} bytes allows for; {} "
                  "rejected records were left out of the rejects file, so the batch is not "
                  "committed — stage the archive again",
                  name, guards.input_bytes, stats.rejects_left_out));
}

/// A snapshot removes every movie it does not hold: one without an accepted record (a damaged
/// file, a header and nothing else) would empty the database.
void check_snapshot(const FileStats& stats, const BatchGuards& guards, const std::string& name,
                    std::int64_t batch_id) {
  if (stats.rows_loaded > 0) return;
  if (!guards.snapshot) {
    spdlog::warn("batch {}: {}: the file holds no accepted record ({} read); nothing is loaded",
                 batch_id, name, stats.rows_read);
    return;
  }
  throw Error(ExitCode::kBadData,
              fmt::format("{}: a snapshot without a single accepted record ({} read, {} "
                          "rejected) would remove every movie; nothing was committed — check "
                          "that the file is the whole dataset, or load it without --snapshot",
                          name, stats.rows_read, stats.rows_rejected));
}

}  // namespace

std::vector<std::string> read_header(format::CsvReader& reader, format::CsvRecord& record,
                                     const format::ByteSource& source) {
  if (!reader.next(record)) {
    throw Error(
        ExitCode::kBadData,
        fmt::format("{}: the file is empty (no header); the archive is damaged — stage it again",
                    source.name()));
  }
  return {record.fields.begin(), record.fields.end()};
}

FileStats load_movies(format::ByteSource& source, const std::string& file_label,
                      store::BatchWriter& writer, RejectSink& rejects,
                      const MovieLoadOptions& options, const BatchGuards& guards) {
  auto started = std::chrono::steady_clock::now();
  FileStats stats;
  stats.file = file_label;
  format::CsvReader reader(source, {options.read_buffer, options.max_record_bytes});
  format::CsvRecord record;
  std::vector<std::string> header_text = read_header(reader, record, source);
  std::vector<std::string_view> header(header_text.begin(), header_text.end());
  dataset::MovieRecordRules rules(header, source.name());
  check_header(rules, file_label, writer.batch_id(), guards.snapshot);
  for (const auto& w : rules.header_warnings()) stats.warnings.add(w.kind, w.line, w.detail);
  RejectRecorder recorder(rejects, guards, header.size(), writer.batch_id(), file_label);
  // Inflating, CSV and the Python literals run on a thread of their own while this one writes:
  // the two halves of a load take the two cores, and the queue bounds what waits between them
  // (kChunkRows movies a chunk, a few kB each).
  constexpr std::size_t kChunkRows = 1024;
  BoundedQueue<std::vector<dataset::MovieRow>> queue;
  const std::int64_t batch_id = writer.batch_id();
  ProgressMeter progress(file_label, "records", guards.input_bytes);
  std::uint64_t superseded = 0;
  auto parse = [&](BoundedQueue<std::vector<dataset::MovieRow>>& out) {
    std::vector<dataset::MovieRow> chunk;
    std::uint64_t counted_rows = 0, counted_bytes = 0;
    std::uint64_t bytes_read = record.raw.size();  // at most the bytes read: no line ends, no BOM
    while (reader.next(record)) {
      bytes_read += record.raw.size();
      // An empty line holds no data: it is no record (as pandas and the csv module see it
      // too), so a blank line or an extra newline at the end is not a field_count reject.
      if (record.raw.empty() && record.fields.size() == 1) continue;
      if (stop_signal() != 0) {
        stop_if_requested(fmt::format("in batch {} after {} records of {}", batch_id,
                                      stats.rows_read, file_label));
      }
      ++stats.rows_read;
      auto result = rules.apply(record, stats.warnings);
      if (auto* error = std::get_if<dataset::RowError>(&result)) {
        recorder.add(*error, bytes_read, stats);
        continue;
      }
      chunk.push_back(std::move(std::get<dataset::MovieRow>(result)));
      if (chunk.size() >= kChunkRows) {
        progress.add(stats.rows_read - counted_rows, bytes_read - counted_bytes);
        counted_rows = stats.rows_read;
        counted_bytes = bytes_read;
        if (!out.push(std::move(chunk))) return;
        chunk = {};
      }
    }
    if (!chunk.empty()) out.push(std::move(chunk));
  };
  run_two_threads(queue, parse, [&](const std::vector<dataset::MovieRow>& chunk) {
    superseded += writer.upsert_movies(chunk);
  });
  stats.duplicate_superseded = superseded;
  stats.rows_loaded = stats.rows_read - stats.rows_rejected - stats.duplicate_superseded;
  check_left_out(stats, guards, source.name());
  check_snapshot(stats, guards, source.name(), writer.batch_id());
  recorder.log_end(stats);
  stats.seconds = seconds_since(started);
  return stats;
}

}  // namespace marquee::pipeline
