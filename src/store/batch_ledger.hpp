#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/ledger_connection.hpp"
#include "store/store.hpp"

namespace marquee::store {

/// ingest_batch, data_check_result and schema_version, written once for both engines over
/// portable SQL: the record of which batches were loaded, how, and with what counts.
class BatchLedger {
 public:
  explicit BatchLedger(LedgerConnection& db) : db_(db) {}

  /// Versioned migrations: each step runs sql/schema/<engine>_v<N>.sql, all in one transaction.
  /// A database of a newer schema version fails clearly (Error kDatabase).
  void migrate();
  /// A new ingest_batch row; with a message it is finished at once (a failed batch).
  std::int64_t insert_batch(const BatchSource& source, std::string_view status,
                            const std::string& message);
  std::optional<BatchRecord> loaded_batch(const std::string& sha256);
  std::vector<BatchRecord> batches();
  void record_check(std::int64_t batch_id, const std::string& check_name, std::uint64_t failing,
                    const std::vector<std::string>& failing_keys);
  void record_report_changes(std::int64_t batch_id, const std::vector<ReportChange>& changes);
  std::vector<ReportChange> report_changes(std::int64_t batch_id);
  /// Removes the movies (and their link rows) that a snapshot batch did not hold, unless a batch
  /// of a newer data time wrote them. Returns how many movies it removed.
  std::uint64_t remove_absent_from_snapshot(std::int64_t batch_id, const std::string& data_time);
  /// Removes the rows of `table` (one with a batch_id column) that a snapshot batch did not
  /// write, unless a batch of a newer data time wrote them. Returns how many it removed.
  std::uint64_t remove_rows_absent_from_snapshot(std::string_view table, std::int64_t batch_id,
                                                 const std::string& data_time);
  /// The same for the tables of one of the other files (SPEC 3.5: "a snapshot batch also removes
  /// the rows of that file that it does not hold"); after ratings are removed, rating_total is
  /// counted again from the ratings that stay.
  std::uint64_t remove_file_rows_absent_from_snapshot(dataset::DetailFile file,
                                                      std::int64_t batch_id,
                                                      const std::string& data_time);
  /// Records the batch loaded with its counts and its files' records; the caller commits.
  void mark_loaded(std::int64_t batch_id, const BatchCounts& counts, bool snapshot,
                   const std::vector<FileRecord>& files = {});
  std::optional<FileRecord> last_loaded_file(std::string_view file);
  std::vector<FileRecord> batch_files(std::int64_t batch_id);
  /// Marks a started batch failed. The status guard: a COMMIT whose reply was lost may have
  /// committed after all, and a loaded batch stays loaded.
  void mark_failed(std::int64_t batch_id, const std::string& reason);

 private:
  int schema_version();
  std::vector<FileRecord> select_files(std::string_view where, std::span<const SqlValue> params);
  std::vector<BatchRecord> select_batches(std::string_view where, std::span<const SqlValue> params);
  LedgerConnection& db_;
};

/// The counts a batch is recorded with: the movies found older than the loaded version move
/// from rows_loaded to duplicate_superseded and older_than_loaded.
BatchCounts counts_with_older(const BatchCounts& counts, std::uint64_t older_than_loaded);

}  // namespace marquee::store
