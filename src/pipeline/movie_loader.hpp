#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/atomic_file.hpp"
#include "dataset/record_rules.hpp"
#include "format/byte_source.hpp"
#include "format/csv_reader.hpp"
#include "store/store.hpp"

namespace marquee::pipeline {

/// The accounting of one loaded file (SPEC 3.4 and the run summary of SPEC 5).
struct FileStats {
  std::string file;
  /// "loaded", or "unchanged": the entry's CRC-32 and size equal those of the last batch that
  /// loaded it, so it was not read again (its counts are zero).
  std::string status = "loaded";
  std::uint64_t rows_read = 0;
  std::uint64_t rows_loaded = 0;
  std::uint64_t rows_rejected = 0;
  std::uint64_t duplicate_superseded = 0;
  /// Part of duplicate_superseded: records whose movie is loaded with a newer data time.
  std::uint64_t older_than_loaded = 0;
  std::map<std::string, std::uint64_t> rejected_by_reason;
  dataset::WarningTally warnings;
  /// Rejected records counted but not written to the rejects file, because the reject limit was
  /// certainly passed (the batch fails) before them; the first of them is at that line.
  std::uint64_t rejects_left_out = 0;
  std::uint64_t rejects_left_out_from_line = 0;
  std::uint64_t movies_without_year = 0;
  std::filesystem::path rejects_file;
  double seconds = 0;
};

/// Writes rejected records to rejects/<batch_id>/<entry>.rejects.csv (columns
/// line,reason,detail,record) through a temporary file renamed into place by finish(); destroyed
/// unfinished, it leaves nothing at the path. A file that cannot be created is a usage error
/// (exit 1: the work directory is not writable); one that cannot be written fails the batch like
/// a database error (exit 4, as a report that cannot be written does): the batch rolls back and
/// nothing of it is kept.
///
/// A record longer than kRecordBytes is written cut to its first kRecordBytes (at a character),
/// and its detail says so with the record's full size: no real record comes near that size, and
/// a few bad records of 16 MiB (--max-record-bytes) must not make a rejects file of gigabytes.
/// The line number leads to the whole record in the source. A detail is cut at kDetailBytes.
class RejectSink {
 public:
  static constexpr std::size_t kRecordBytes = std::size_t{64} << 10;
  static constexpr std::size_t kDetailBytes = std::size_t{4} << 10;

  explicit RejectSink(const std::filesystem::path& path);
  void add(const dataset::RowError& error);
  /// Completes the file; returns its path.
  const std::filesystem::path& finish();

 private:
  std::filesystem::path path_;
  AtomicFile file_;
  std::string line_;
};

/// The reject limit of SPEC 3.4: a file whose share of rejected records is above `max_ratio`
/// fails the batch, so that a damaged or foreign file never replaces good data.
struct RejectBudget {
  double max_ratio = 0.01;
  /// Throws Error(kBadData) naming the file, the counts, the batch and the rejects file when
  /// rows_rejected / rows_read is above max_ratio (and how many rejects were left out of the
  /// file, if any); a file without records passes.
  /// Without a batch_id the file was only validated (`marquee validate`, `load --dry-run`).
  void check(const FileStats& stats, std::string_view stored_name,
             std::optional<std::int64_t> batch_id) const;
  bool exceeded(std::uint64_t rejected, std::uint64_t read) const;
  /// True when the file fails the limit whatever follows: even if each of the at most
  /// `more_records` records still to come were accepted, rejected / read would stay above it.
  bool certainly_exceeded(std::uint64_t rejected, std::uint64_t read,
                          std::uint64_t more_records) const;
};

struct MovieLoadOptions {
  std::size_t max_record_bytes = std::size_t{16} << 20;
  std::size_t read_buffer = 1 << 20;
};

/// What the batch will do with the file, so that the loader can stop a bad one early.
struct BatchGuards {
  /// The batch's reject limit (--max-reject-ratio). With input_bytes it tells when the limit is
  /// certainly passed: rejects after that point are counted, not written (the batch fails).
  RejectBudget budget;
  /// The size of the file in bytes (a ZIP entry's uncompressed size), 0 when unknown. It bounds
  /// how many records can still follow: an accepted record holds at least one byte a field.
  std::uint64_t input_bytes = 0;
  /// The batch is a snapshot (--snapshot) and removes every movie it does not hold: it must
  /// hold at least one accepted record and every column the rules read.
  bool snapshot = false;
};

/// Reads the header record of a file of the dataset into `record`; returns its column names.
/// Throws Error(kBadData) for an empty file (no header): the archive is damaged.
std::vector<std::string> read_header(format::CsvReader& reader, format::CsvRecord& record,
                                     const format::ByteSource& source);

/// Streams movies_metadata.csv through the record rules into the batch. Rejects go to `rejects`
/// (once the batch certainly fails, only to the counts and rejects_left_out), never silently
/// away; the counts always balance: read = loaded + rejected + superseded.
/// Throws Error(kBadData) for a header the rules refuse (see MovieRecordRules) and for a
/// snapshot without accepted records or with columns missing, before anything is committed.
FileStats load_movies(format::ByteSource& source, const std::string& file_label,
                      store::BatchWriter& writer, RejectSink& rejects,
                      const MovieLoadOptions& options, const BatchGuards& guards = {});

}  // namespace marquee::pipeline
