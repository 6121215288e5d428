#include "pipeline/detail_loader.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/progress.hpp"
#include "dataset/detail_rules.hpp"
#include "format/csv_reader.hpp"
#include "pipeline/bounded_queue.hpp"
#include "pipeline/interrupt.hpp"
#include "pipeline/reject_recorder.hpp"

namespace marquee::pipeline {
namespace {

using dataset::DetailFile;

bool is_movie(const std::vector<std::int64_t>& movie_ids, std::int64_t id) {
  return std::binary_search(movie_ids.begin(), movie_ids.end(), id);
}

/// Accepted rows of one file on their way from the parsing thread to the batch, in file order.
struct Chunk {
  std::vector<dataset::LinkRow> links;
  std::vector<dataset::RatingRow> ratings;
  std::vector<dataset::KeywordsRow> keywords;
  std::vector<dataset::CreditsRow> credits;
  std::size_t size() const {
    return links.size() + ratings.size() + keywords.size() + credits.size();
  }
};

using ChunkQueue = BoundedQueue<Chunk>;

/// Applies the rules to each record and gathers the accepted rows (keywords and credits of an
/// unknown movie are counted, not kept); runs on the parsing thread.
class RowGatherer {
 public:
  RowGatherer(DetailFile file, const std::vector<std::int64_t>& movie_ids)
      : file_(file), movie_ids_(movie_ids) {}

  /// The reason the record is rejected, or nullopt (its row, if kept, is in `chunk`).
  std::optional<dataset::RowError> take(const dataset::DetailRules& rules,
                                        const format::CsvRecord& record, FileStats& stats,
                                        Chunk& chunk) {
    switch (file_) {
      case DetailFile::kLinks: {
        auto e = rules.apply(record, link_, stats.warnings);
        if (!e) chunk.links.push_back(link_);
        return e;
      }
      case DetailFile::kRatings: {
        auto e = rules.apply(record, rating_);
        if (!e) chunk.ratings.push_back(rating_);
        return e;
      }
      case DetailFile::kKeywords: {
        auto e = rules.apply(record, keywords_, stats.warnings);
        if (!e && known(keywords_.movie_id, record.line, stats)) {
          chunk.keywords.push_back(std::move(keywords_));
        }
        return e;
      }
      case DetailFile::kCredits: {
        auto e = rules.apply(record, credits_, stats.warnings);
        if (!e && known(credits_.movie_id, record.line, stats)) {
          chunk.credits.push_back(std::move(credits_));
        }
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
  const std::vector<std::int64_t>& movie_ids_;
  dataset::LinkRow link_;
  dataset::RatingRow rating_;
  dataset::KeywordsRow keywords_;
  dataset::CreditsRow credits_;
};

void write_chunk(const Chunk& chunk, store::BatchWriter& writer) {
  for (const auto& r : chunk.links) writer.write_link(r);
  writer.write_ratings(chunk.ratings);
  for (const auto& r : chunk.keywords) writer.write_keywords(r);
  writer.write_credits_chunk(chunk.credits);
}

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
  std::vector<std::string> header_text = read_header(reader, record, source);
  std::vector<std::string_view> header(header_text.begin(), header_text.end());
  dataset::DetailRules rules(file, header, source.name());
  if (!rules.unknown_columns().empty()) {
    spdlog::info("{}: columns not used by marquee: {}", file_label,
                 fmt::join(rules.unknown_columns(), ", "));
  }
  writer.begin_detail_file(file, guards.input_bytes);
  RejectRecorder recorder(rejects, guards, header.size(), writer.batch_id(), file_label);
  // Inflating and parsing run on a thread of their own while this one writes: the two halves
  // of a load take the two cores. A chunk closes at kChunkRows rows or kChunkBytes of records,
  // whichever comes first: a credits row of the real file is 4 kB of literals, a rating 27
  // bytes.
  constexpr std::size_t kChunkRows = 4096;
  constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
  ChunkQueue queue;
  const std::int64_t batch_id = writer.batch_id();
  ProgressMeter progress(file_label, "records", guards.input_bytes);
  auto parse = [&](ChunkQueue& out) {
    RowGatherer gatherer(file, movie_ids);
    std::uint64_t counted_rows = 0;
    Chunk chunk;
    std::size_t chunk_bytes = 0;
    std::uint64_t bytes_read = record.raw.size();
    while (reader.next(record)) {
      bytes_read += record.raw.size();
      chunk_bytes += record.raw.size();
      if (record.raw.empty() && record.fields.size() == 1) continue;  // an empty line
      if (stop_signal() != 0) {
        stop_if_requested(fmt::format("in batch {} after {} records of {}", batch_id,
                                      stats.rows_read, file_label));
      }
      ++stats.rows_read;
      if (auto error = gatherer.take(rules, record, stats, chunk)) {
        recorder.add(*error, bytes_read, stats);
      }
      if (chunk.size() >= kChunkRows || chunk_bytes >= kChunkBytes) {
        progress.add(stats.rows_read - counted_rows, chunk_bytes);
        counted_rows = stats.rows_read;
        if (!out.push(std::move(chunk))) return;
        chunk = Chunk{};
        chunk_bytes = 0;
      }
    }
    if (chunk.size() > 0) out.push(std::move(chunk));
  };
  run_two_threads(queue, parse, [&](const Chunk& chunk) { write_chunk(chunk, writer); });
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
  recorder.log_end(stats);
  stats.seconds = seconds_since(started);
  return stats;
}

}  // namespace marquee::pipeline
