#include "pipeline/movie_loader.hpp"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "format/csv_field.hpp"
#include "format/csv_reader.hpp"
#include "pipeline/interrupt.hpp"

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

void RejectSink::add(const dataset::RowError& error) {
  line_ = fmt::format("{},{},", error.line, dataset::to_string(error.reason));
  format::append_csv_field(line_, error.detail);
  line_.push_back(',');
  format::append_csv_field(line_, error.raw);
  line_.push_back('\n');
  file_.write(line_);
}

const std::filesystem::path& RejectSink::finish() {
  file_.commit();
  return path_;
}

void RejectBudget::check(const FileStats& stats, std::string_view stored_name,
                         std::int64_t batch_id) const {
  double ratio =
      stats.rows_read == 0 ? 0.0 : static_cast<double>(stats.rows_rejected) / stats.rows_read;
  if (ratio > max_ratio) {
    throw Error(
        ExitCode::kBadData,
        fmt::format("{}: {} of {} records rejected ({:.2f}%), above the reject limit of {:.2f}%; "
                    "nothing of batch {} was committed — see {} and fix the data, or raise "
                    "--max-reject-ratio",
                    stored_name, stats.rows_rejected, stats.rows_read, ratio * 100, max_ratio * 100,
                    batch_id, stats.rejects_file.string()));
  }
}

FileStats load_movies(format::ByteSource& source, const std::string& file_label,
                      store::BatchWriter& writer, RejectSink& rejects,
                      const MovieLoadOptions& options) {
  auto started = std::chrono::steady_clock::now();
  FileStats stats;
  stats.file = file_label;
  format::CsvReader reader(source, {options.read_buffer, options.max_record_bytes});
  format::CsvRecord record;
  if (!reader.next(record)) {
    throw Error(
        ExitCode::kBadData,
        fmt::format("{}: the file is empty (no header); the archive is damaged — stage it again",
                    source.name()));
  }
  std::vector<std::string> header_text(record.fields.begin(), record.fields.end());
  std::vector<std::string_view> header(header_text.begin(), header_text.end());
  dataset::MovieRecordRules rules(header, source.name());
  if (!rules.unknown_columns().empty()) {
    spdlog::info("{}: columns not used by marquee: {}", file_label,
                 fmt::join(rules.unknown_columns(), ", "));
  }
  if (!rules.missing_columns().empty()) {
    spdlog::warn("batch {}: {}: line 1: columns missing from the header, loaded as NULL: {}",
                 writer.batch_id(), file_label, fmt::join(rules.missing_columns(), ", "));
  }
  constexpr std::uint64_t kLoggedRejects = 50;
  while (reader.next(record)) {
    // An empty line holds no data: it is no record (as pandas and the csv module see it too),
    // so a blank line or an extra newline at the end is not a field_count reject.
    if (record.raw.empty() && record.fields.size() == 1) continue;
    if (stop_signal() != 0) {
      stop_if_requested(fmt::format("in batch {} after {} records of {}", writer.batch_id(),
                                    stats.rows_read, file_label));
    }
    ++stats.rows_read;
    auto result = rules.apply(record, stats.warnings);
    if (auto* error = std::get_if<dataset::RowError>(&result)) {
      ++stats.rows_rejected;
      ++stats.rejected_by_reason[std::string(dataset::to_string(error->reason))];
      if (stats.rows_rejected <= kLoggedRejects) {
        spdlog::warn("batch {}: {}: line {}: rejected ({}): {}", writer.batch_id(), file_label,
                     error->line, dataset::to_string(error->reason), error->detail);
      }
      rejects.add(*error);
      continue;
    }
    if (writer.upsert_movie(std::get<dataset::MovieRow>(result))) ++stats.duplicate_superseded;
  }
  stats.rows_loaded = stats.rows_read - stats.rows_rejected - stats.duplicate_superseded;
  if (stats.rows_rejected > kLoggedRejects) {
    spdlog::warn("batch {}: {}: {} more rejected records are in the rejects file",
                 writer.batch_id(), file_label, stats.rows_rejected - kLoggedRejects);
  }
  for (const auto& w : stats.warnings.examples()) {
    spdlog::warn("batch {}: {}: line {}: {}: {}", writer.batch_id(), file_label, w.line,
                 dataset::to_string(w.kind), w.detail);
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return stats;
}

}  // namespace marquee::pipeline
