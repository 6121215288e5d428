#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/error.hpp"
#include "store/ledger_connection.hpp"
#include "store/stored_text.hpp"

namespace marquee::store {

/// The Error kDatabase for SQLite's last failure on `db`: "<where>: <what>: <message>". A write
/// refused because the connection or the file is read-only says so and what to do about it.
Error sqlite_error(sqlite3* db, std::string_view where, std::string_view what);

/// One prepared statement; reset after each use so it can run again.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, std::string_view sql, std::string where)
      : db_(db), where_(std::move(where)) {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt_, nullptr) != SQLITE_OK) {
      throw Error(ExitCode::kDatabase,
                  fmt::format("{}: cannot prepare a statement: {}", where_, sqlite3_errmsg(db)));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& other) noexcept
      : db_(other.db_), where_(std::move(other.where_)), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  Statement& operator=(Statement&& other) noexcept {
    std::swap(db_, other.db_);
    std::swap(where_, other.where_);
    std::swap(stmt_, other.stmt_);
    return *this;
  }

  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  /// Binding a temporary would leave SQLite a dangling pointer (values are bound SQLITE_STATIC).
  Statement& bind(int i, std::string&& v) = delete;
  /// Binds the text as stored_text keeps it, as PostgreSQL does; only text that needs cleaning
  /// is copied.
  Statement& bind(int i, std::string_view v) {
    if (is_stored_as_is(v)) {
      // SQLITE_STATIC: every bound value outlives the step; statements are reset after each use.
      sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    } else {
      std::string stored = stored_text(v);
      sqlite3_bind_text(stmt_, i, stored.data(), static_cast<int>(stored.size()), SQLITE_TRANSIENT);
    }
    return *this;
  }
  /// Binds a pointer for a table-valued function to read (sqlite3_bind_pointer); it must
  /// outlive the step.
  Statement& bind_pointer(int i, const void* p, const char* type) {
    sqlite3_bind_pointer(stmt_, i, const_cast<void*>(p), type, nullptr);
    return *this;
  }
  Statement& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  template <typename T>
  Statement& bind(int i, const std::optional<T>& v) {
    if (v) return bind(i, *v);
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  Statement& bind(int i, const std::optional<bool>& v) {
    if (v) return bind(i, std::int64_t{*v ? 1 : 0});
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  Statement& bind(int i, const std::optional<int>& v) {
    if (v) return bind(i, std::int64_t{*v});
    sqlite3_bind_null(stmt_, i);
    return *this;
  }

  /// Steps once; true when a row is available.
  bool step(const char* what) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Error error = sqlite_error(db_, where_, what);
    sqlite3_reset(stmt_);
    throw error;
  }
  void run(const char* what) {
    step(what);
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3* db_ = nullptr;
  std::string where_;  ///< the database, for messages
  sqlite3_stmt* stmt_ = nullptr;
};

/// One SQLite connection (WAL, the loader's pragmas) with errors as Error kDatabase naming the
/// database and what was being done.
class SqliteConnection final : public LedgerConnection {
 public:
  explicit SqliteConnection(const std::filesystem::path& path);
  ~SqliteConnection() override { sqlite3_close_v2(db_); }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* get() const { return db_; }
  const std::filesystem::path& path() const { return path_; }
  std::string describe() const override { return "sqlite:" + path_.string(); }
  void exec(std::string_view sql, const char* what = nullptr);
  /// Sets the journal mode ("wal", "delete") without waiting: SQLite changes it only while no
  /// other connection has the database open. Whether the database is now in that mode.
  bool try_journal_mode(std::string_view mode) noexcept;
  Statement prepare(std::string_view sql) { return Statement(db_, sql, describe()); }
  /// A statement of a batch transaction that writes (`sql` an INSERT or UPDATE), prepared OR
  /// FAIL instead of SQLite's default OR ABORT. Under OR ABORT SQLite keeps a statement journal
  /// so that a failing statement can undo its own rows first: an hourly batch on top of scale 16
  /// wrote 224 MB of them to temporary files. A batch needs none: any failure in it rolls the
  /// whole transaction back (BatchWriter::rollback), and a statement of one row has nothing of
  /// its own to undo under either.
  Statement prepare_in_batch(std::string_view sql) { return prepare(in_batch(sql)); }
  /// `sql` with its leading INSERT or UPDATE made INSERT OR FAIL or UPDATE OR FAIL.
  static std::string or_fail(std::string_view sql);
  std::string in_batch(std::string_view sql) const override { return or_fail(sql); }
  /// Store::query: every cell as text.
  std::vector<std::string> query(std::string_view sql, std::span<const Param> params,
                                 const RowVisitor& visit);

  void run(std::string_view sql, std::span<const SqlValue> params, std::string_view what,
           const RowVisitor& visit = nullptr) override;
  void run_script(const std::string& sql, std::string_view what) override;
  std::string timestamp_text(std::string_view column) const override {
    return fmt::format("coalesce({}, '')", column);
  }
  SqlValue timestamp_value(const std::string& text) const override { return text; }
  std::string_view schema_prefix() const override { return "sqlite"; }
  bool has_table(std::string_view name) override;
  std::string_view schema_version_table_sql() const override {
    return "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)";
  }
  void begin_migration() override { exec("BEGIN IMMEDIATE", "locking the database for migration"); }
  void abandon_transaction() noexcept override {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  std::vector<std::string> step_rows(Statement& st, std::string_view what, const RowVisitor& visit);
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

}  // namespace marquee::store
