#include "pipeline/movie_loader.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "format/csv_field.hpp"
#include "format/csv_reader.hpp"
#include "pipeline/interrupt.hpp"

namespace marquee::pipeline {

RejectSink::RejectSink(const std::filesystem::path& path) : path_(path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  tmp_ = path;
  tmp_ += ".part";
  file_ = std::fopen(tmp_.c_str(), "wb");
  if (file_ == nullptr) {
    throw Error(ExitCode::kUsage,
                fmt::format("cannot create the rejects file {}: {}; choose a writable --workdir",
                            tmp_.string(), std::strerror(errno)));
  }
  buffer_ = "line,reason,detail,record\n";
}

RejectSink::~RejectSink() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

void RejectSink::add(const dataset::RowError& error) {
  buffer_ += fmt::format("{},{},", error.line, dataset::to_string(error.reason));
  format::append_csv_field(buffer_, error.detail);
  buffer_.push_back(',');
  format::append_csv_field(buffer_, error.raw);
  buffer_.push_back('\n');
  if (buffer_.size() > (1 << 20)) flush();
}

/// A rejects file that cannot be written fails the batch like a database error (exit 4, as a
/// report that cannot be written does): the batch rolls back and nothing of it is kept.
[[noreturn]] void RejectSink::fail(int error) const {
  throw Error(ExitCode::kDatabase,
              fmt::format("cannot write the rejects file {}: {}; free space under {} (or make it "
                          "writable), then run again; the batch was rolled back",
                          path_.string(), std::strerror(error), path_.parent_path().string()));
}

void RejectSink::flush() {
  if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    fail(errno);
  }
  buffer_.clear();
}

const std::filesystem::path& RejectSink::finish() {
  flush();
  if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0) fail(errno);
  std::fclose(file_);
  file_ = nullptr;
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) fail(ec.value());
  return path_;
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
