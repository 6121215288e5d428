#include "store/sqlite_store.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/file_lock.hpp"
#include "store/batch_ledger.hpp"
#include "store/sqlite_batch_writer.hpp"
#include "store/sqlite_connection.hpp"

namespace marquee::store {
namespace {

/// The run lock of a SQLite database: a FileLock on <database file>.lock beside it, so that two
/// work directories sharing one --db never load at once.
class SqliteRunLease final : public RunLease {
 public:
  SqliteRunLease(const std::filesystem::path& path, std::chrono::milliseconds timeout)
      : lock_(path, timeout) {}

 private:
  FileLock lock_;
};

/// A database no other process can open (in memory): nothing to lock.
class EmptyRunLease final : public RunLease {};

/// Waiting "as long as it takes" for a FileLock, whose zero timeout means not at all.
constexpr std::chrono::milliseconds kWaitForever = std::chrono::hours(24 * 365 * 10);

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::filesystem::path& path, bool read_only) : db_(path), ledger_(db_) {
    ledger_.migrate();
    if (read_only) db_.exec("PRAGMA query_only = ON", "making the connection read-only");
  }

  std::string_view engine() const override { return "sqlite"; }
  std::string describe() const override { return db_.describe(); }

  std::optional<BatchRecord> loaded_batch(const std::string& sha256) override {
    return ledger_.loaded_batch(sha256);
  }

  std::unique_ptr<BatchWriter> begin_batch(const BatchSource& source) override {
    std::int64_t id = ledger_.insert_batch(source, "started", "");
    return std::make_unique<SqliteBatchWriter>(db_, ledger_, id, batch_data_time(source));
  }

  std::int64_t record_failed_batch(const BatchSource& source, const std::string& reason) override {
    return ledger_.insert_batch(source, "failed", reason);
  }

  std::vector<BatchRecord> batches() override { return ledger_.batches(); }

  void record_check(std::int64_t batch_id, const std::string& check_name, std::uint64_t failing,
                    const std::vector<std::string>& failing_keys) override {
    ledger_.record_check(batch_id, check_name, failing, failing_keys);
  }

  void record_report_changes(std::int64_t batch_id,
                             const std::vector<ReportChange>& changes) override {
    ledger_.record_report_changes(batch_id, changes);
  }

  std::vector<ReportChange> report_changes(std::int64_t batch_id) override {
    return ledger_.report_changes(batch_id);
  }

  std::optional<FileRecord> last_loaded_file(std::string_view file) override {
    return ledger_.last_loaded_file(file);
  }

  std::vector<FileRecord> batch_files(std::int64_t batch_id) override {
    return ledger_.batch_files(batch_id);
  }

  std::vector<std::string> query(std::string_view sql, std::span<const Param> params,
                                 const RowVisitor& visit) override {
    return db_.query(sql, params, visit);
  }

  std::unique_ptr<RunLease> lock_run(const RunLockOptions& options) override {
    const auto& path = db_.path();
    if (path.empty() || path == ":memory:") return std::make_unique<EmptyRunLease>();
    std::chrono::milliseconds timeout{0};
    if (!options.no_wait) timeout = options.timeout.count() > 0 ? options.timeout : kWaitForever;
    return std::make_unique<SqliteRunLease>(path.string() + ".lock", timeout);
  }

  /// Deferred: WAL readers keep the snapshot of their first read.
  void begin_read_snapshot() override { db_.exec("BEGIN DEFERRED", "starting a read snapshot"); }
  void end_read_snapshot() override { db_.exec("COMMIT", "ending a read snapshot"); }

  std::vector<std::string> prune_history(int) override {
    throw Error(
        ExitCode::kUsage,
        fmt::format("marquee prune needs a PostgreSQL --db; {} keeps no movie_version history",
                    describe()));
  }

 private:
  SqliteConnection db_;
  BatchLedger ledger_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path, bool read_only) {
  return std::make_unique<SqliteStore>(path, read_only);
}

}  // namespace marquee::store
