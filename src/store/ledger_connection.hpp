#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace marquee::store {

/// A value bound to portable SQL; nullopt binds NULL.
using SqlValue = std::optional<Param>;

/// What the batch ledger needs of an engine: statements of portable SQL (`?` placeholders) on
/// the store's own connection, and the few things the two engines spell differently.
class LedgerConnection {
 public:
  virtual ~LedgerConnection() = default;
  /// The database for messages, as Store::describe.
  virtual std::string describe() const = 0;
  /// Runs one statement, `?` bound to params in order; `visit`, when given, gets each row.
  /// Errors are Error kDatabase naming `what`.
  virtual void run(std::string_view sql, std::span<const SqlValue> params, std::string_view what,
                   const RowVisitor& visit = nullptr) = 0;
  /// Runs statements without parameters: a schema migration script.
  virtual void run_script(const std::string& sql, std::string_view what) = 0;
  /// An SQL expression giving a timestamp column as "YYYY-MM-DDTHH:MM:SS.mmmZ", '' for NULL.
  virtual std::string timestamp_text(std::string_view column) const = 0;
  /// A caller's timestamp (a staged_at) as bound: kept as given, or NULL where the engine could
  /// not read it (a batch never fails over metadata).
  virtual SqlValue timestamp_value(const std::string& text) const = 0;
  /// sql/schema/<prefix>_vN.sql holds this engine's migrations.
  virtual std::string_view schema_prefix() const = 0;
  virtual bool has_table(std::string_view name) = 0;
  /// The CREATE TABLE of schema_version (version, applied_at) in this engine's types.
  virtual std::string_view schema_version_table_sql() const = 0;
  /// Opens the migration transaction, locked so that two processes migrate one after the other.
  virtual void begin_migration() = 0;
  /// Rolls back the open transaction after a failure; errors are ignored (the connection may
  /// be gone, which ended the transaction).
  virtual void abandon_transaction() noexcept = 0;
  /// An INSERT or UPDATE of a batch transaction as this engine runs it best knowing that any
  /// failure rolls the whole transaction back: SQLite's OR FAIL (no statement journal, see
  /// SqliteConnection::prepare_in_batch); PostgreSQL's as it is.
  virtual std::string in_batch(std::string_view sql) const { return std::string(sql); }
};

}  // namespace marquee::store
