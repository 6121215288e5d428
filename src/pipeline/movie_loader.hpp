#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "common/atomic_file.hpp"
#include "dataset/record_rules.hpp"
#include "format/byte_source.hpp"
#include "store/store.hpp"

namespace marquee::pipeline {

/// The accounting of one loaded file (SPEC 3.4 and the run summary of SPEC 5).
struct FileStats {
  std::string file;
  std::uint64_t rows_read = 0;
  std::uint64_t rows_loaded = 0;
  std::uint64_t rows_rejected = 0;
  std::uint64_t duplicate_superseded = 0;
  /// Part of duplicate_superseded: records whose movie is loaded with a newer data time.
  std::uint64_t older_than_loaded = 0;
  std::map<std::string, std::uint64_t> rejected_by_reason;
  dataset::WarningTally warnings;
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
class RejectSink {
 public:
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
  /// rows_rejected / rows_read is above max_ratio; a file without records passes.
  void check(const FileStats& stats, std::string_view stored_name, std::int64_t batch_id) const;
};

struct MovieLoadOptions {
  std::size_t max_record_bytes = std::size_t{16} << 20;
  std::size_t read_buffer = 1 << 20;
};

/// Streams movies_metadata.csv through the record rules into the batch. Rejects go to `rejects`,
/// never silently away; the counts always balance: read = loaded + rejected + superseded.
FileStats load_movies(format::ByteSource& source, const std::string& file_label,
                      store::BatchWriter& writer, RejectSink& rejects,
                      const MovieLoadOptions& options);

}  // namespace marquee::pipeline
