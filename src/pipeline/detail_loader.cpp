#include "pipeline/detail_loader.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "dataset/detail_rules.hpp"
#include "format/csv_reader.hpp"
#include "pipeline/interrupt.hpp"
#include "pipeline/reject_recorder.hpp"

namespace marquee::pipeline {
namespace {

using dataset::DetailFile;

bool is_movie(const std::vector<std::int64_t>& movie_ids, std::int64_t id) {
  return std::binary_search(movie_ids.begin(), movie_ids.end(), id);
}

/// One accepted row into the batch: false when its movie is unknown (keywords, credits).
class RowSink {
 public:
  RowSink(DetailFile file, store::BatchWriter& writer, const std::vector<std::int64_t>& movie_ids)
      : file_(file), writer_(writer), movie_ids_(movie_ids) {}

  /// Applies the rules to the record; the reason it is rejected, or nullopt.
  std::optional<dataset::RowError> take(const dataset::DetailRules& rules,
                                        const format::CsvRecord& record, FileStats& stats) {
    switch (file_) {
      case DetailFile::kLinks: {
        auto e = rules.apply(record, link_, stats.warnings);
        if (!e) writer_.write_link(link_);
        return e;
      }
      case DetailFile::kRatings: {
        auto e = rules.apply(record, rating_);
        if (!e) writer_.write_rating(rating_);
        return e;
      }
      case DetailFile::kKeywords: {
        auto e = rules.apply(record, keywords_, stats.warnings);
        if (!e && known(keywords_.movie_id, record.line, stats)) writer_.write_keywords(keywords_);
        return e;
      }
      case DetailFile::kCredits: {
        auto e = rules.apply(record, credits_, stats.warnings);
        if (!e && known(credits_.movie_id, record.line, stats)) writer_.write_credits(credits_);
        return e;
      }
    }
    return std::nullopt;
  }

 private:
  bool known(std::int64_t id, std::uint64_t line, FileStats& stats) {
    if (is_movie(movie_ids_, id)) return true;
    stats.warnings.add(dataset::WarningKind::kUnknownMovie, line,
                       fmt::format("id {} is no movie of the model; not loaded", id));
    return false;
  }

  DetailFile file_;
  store::BatchWriter& writer_;
  const std::vector<std::int64_t>& movie_ids_;
  dataset::LinkRow link_;
  dataset::RatingRow rating_;
  dataset::KeywordsRow keywords_;
  dataset::CreditsRow credits_;
};

}  // namespace

FileStats load_detail_file(DetailFile file, format::ByteSource& source,
                           const std::string& file_label, store::BatchWriter& writer,
                           RejectSink& rejects, const MovieLoadOptions& options,
                           const BatchGuards& guards, const std::vector<std::int64_t>& movie_ids) {
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
  dataset::DetailRules rules(file, header, source.name());
  if (!rules.unknown_columns().empty()) {
    spdlog::info("{}: columns not used by marquee: {}", file_label,
                 fmt::join(rules.unknown_columns(), ", "));
  }
  writer.begin_detail_file(file, guards.input_bytes);
  RejectRecorder recorder(rejects, guards, header.size(), writer.batch_id(), file_label);
  RowSink sink(file, writer, movie_ids);
  std::uint64_t bytes_read = record.raw.size();
  while (reader.next(record)) {
    bytes_read += record.raw.size();
    if (record.raw.empty() && record.fields.size() == 1) continue;  // an empty line: no record
    if (stop_signal() != 0 && (stats.rows_read & 0xFFF) == 0) {
      stop_if_requested(fmt::format("in batch {} after {} records of {}", writer.batch_id(),
                                    stats.rows_read, file_label));
    }
    ++stats.rows_read;
    if (auto error = sink.take(rules, record, stats)) recorder.add(*error, bytes_read, stats);
  }
  if (stats.rejects_left_out > 0 && !guards.budget.exceeded(stats.rows_rejected, stats.rows_read)) {
    throw Error(ExitCode::kBadData,
                fmt::format("{}: the file holds more records than its size of {} bytes allows "
                            "for; {} rejected records were left out of the rejects file, so the "
                            "batch is not committed — stage the archive again",
                            source.name(), guards.input_bytes, stats.rejects_left_out));
  }
  const std::uint64_t accepted = stats.rows_read - stats.rows_rejected;
  if (guards.snapshot && accepted == 0) {
    throw Error(ExitCode::kBadData,
                fmt::format("{}: a snapshot without a single accepted record ({} read, {} "
                            "rejected) would remove every row of the file; nothing was committed "
                            "— check that the file is whole, or load it without --snapshot",
                            source.name(), stats.rows_read, stats.rows_rejected));
  }
  // Past the reject limit the batch fails: nothing is merged into the model.
  if (!guards.budget.exceeded(stats.rows_rejected, stats.rows_read)) {
    auto outcome = writer.end_detail_file(file, guards.snapshot);
    stats.duplicate_superseded = outcome.superseded;
    stats.older_than_loaded = outcome.older_than_loaded;
  }
  stats.rows_loaded = accepted - std::min(accepted, stats.duplicate_superseded);
  recorder.log_summary(stats);
  for (const auto& w : stats.warnings.examples()) {
    spdlog::warn("batch {}: {}: line {}: {}: {}", writer.batch_id(), file_label, w.line,
                 dataset::to_string(w.kind), w.detail);
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return stats;
}

}  // namespace marquee::pipeline
