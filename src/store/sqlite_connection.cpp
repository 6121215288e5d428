#include "store/sqlite_connection.hpp"

#include <cerrno>
#include <cstring>

#include "store/sqlite_rating_feed.hpp"
#include "store/sqlite_rows_module.hpp"
#include "store/sqlite_value_rows.hpp"

namespace marquee::store {
namespace {

/// How long a statement waits for another connection's lock before it fails.
constexpr int kBusyTimeoutMs = 30000;

}  // namespace

Error sqlite_error(sqlite3* db, std::string_view where, std::string_view what) {
  std::string message = sqlite3_errmsg(db);
  const int primary = sqlite3_extended_errcode(db) & 0xff;
  const int system = sqlite3_system_errno(db);
  const int extended = sqlite3_extended_errcode(db);
  const bool full =
      primary == SQLITE_FULL || system == ENOSPC || system == EFBIG || system == EDQUOT;
  if (full || extended == SQLITE_IOERR_WRITE || extended == SQLITE_IOERR_FSYNC) {
    return Error(
        ExitCode::kDatabase,
        fmt::format("{}: {}: {} ({}); {}: free space where the database and its -wal or -journal "
                    "file are, then run again — a batch that had not committed is "
                    "rolled back and loads again",
                    where, what, message, system != 0 ? std::strerror(system) : "a write failed",
                    full ? "the disk (or the file size limit) is full"
                         : "a write failed, most often for a full disk or file size "
                           "limit (else check the disk)"));
  }
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    return Error(ExitCode::kDatabase,
                 fmt::format("{}: {}: {}; the file is damaged or not a SQLite database: restore "
                             "it from a backup, or move it aside and load the dataset again into "
                             "a new one",
                             where, what, message));
  }
  if (primary != SQLITE_READONLY) {
    return Error(ExitCode::kDatabase, fmt::format("{}: {}: {}", where, what, message));
  }
  // SQLite says "attempt to write a readonly database" both when this connection was opened to
  // read only (PRAGMA query_only) and when the file or its folder is not writable.
  bool query_only = false;
  sqlite3_exec(
      db, "PRAGMA query_only",
      [](void* out, int, char** values, char**) {
        *static_cast<bool*>(out) = values[0] != nullptr && std::string_view(values[0]) == "1";
        return 0;
      },
      &query_only, nullptr);
  return Error(ExitCode::kDatabase,
               fmt::format("{}: {}: the database is read-only ({}); {}", where, what, message,
                           query_only ? "this command opens it read-only and writes nothing"
                                      : "check that the file and its folder are writable"));
}

SqliteConnection::SqliteConnection(const std::filesystem::path& path) : path_(path) {
  // NOMUTEX: a connection is only ever used by one thread at a time (the loader's writing
  // thread, one API worker), so SQLite's per-call locking (7% of a first load's CPU) is spared.
  int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ExitCode::kDatabase,
                fmt::format("{}: cannot open the database: {}; check that the folder exists and "
                            "is writable",
                            describe(), msg));
  }
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  if (register_rows_module<RatingRowsSource>(db_, "rating_rows") != SQLITE_OK) {
    throw sqlite_error(db_, describe(), "registering rating_rows");
  }
  if (register_rows_module<ValueRowsSource>(db_, "value_rows") != SQLITE_OK) {
    throw sqlite_error(db_, describe(), "registering value_rows");
  }
  // A new database gets 16 KiB pages (a database that exists keeps its own): a first load of
  // 26 million ratings appends a quarter as many pages as with 4 KiB, and took 20% less time;
  // 64 KiB pages were faster still for that, but make every random read of an hourly upsert
  // sixteen times larger.
  exec("PRAGMA page_size = 16384");
  exec("PRAGMA journal_mode = WAL");
  exec("PRAGMA synchronous = FULL");
  // The loader keeps references whole inside its one transaction (placeholders before links,
  // links replaced with their movie, snapshot deletes explicit), so SQLite's per-row foreign
  // key checks, which doubled the load time, are off; the keys stay declared in the schema.
  exec("PRAGMA foreign_keys = OFF");
  exec("PRAGMA cache_size = -16384");
  exec("PRAGMA journal_size_limit = 67108864");
}

std::string SqliteConnection::or_fail(std::string_view sql) {
  for (std::string_view verb : {std::string_view("INSERT "), std::string_view("UPDATE ")}) {
    if (sql.starts_with(verb) && !sql.substr(verb.size()).starts_with("OR ")) {
      return fmt::format("{}OR FAIL {}", verb, sql.substr(verb.size()));
    }
  }
  throw std::logic_error(fmt::format("not an INSERT or UPDATE: {}", sql.substr(0, 60)));
}

void SqliteConnection::exec(std::string_view sql, const char* what) {
  std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    throw sqlite_error(db_, describe(), what != nullptr ? what : text.substr(0, 60));
  }
}

bool SqliteConnection::try_journal_mode(std::string_view mode) noexcept {
  sqlite3_busy_timeout(db_, 0);
  std::string now;
  const std::string sql = fmt::format("PRAGMA main.journal_mode = {}", mode);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    if (const unsigned char* text = sqlite3_column_text(st, 0))
      now = reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(st);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  return now == mode;
}

std::vector<std::string> SqliteConnection::step_rows(Statement& st, std::string_view what,
                                                     const RowVisitor& visit) {
  int ncol = sqlite3_column_count(st.get());
  std::vector<std::string> columns;
  for (int c = 0; c < ncol; ++c) columns.emplace_back(sqlite3_column_name(st.get(), c));
  std::vector<Cell> row(static_cast<std::size_t>(ncol));
  std::string what_text(what);
  while (st.step(what_text.c_str())) {
    if (!visit) continue;
    for (int c = 0; c < ncol; ++c) {
      if (sqlite3_column_type(st.get(), c) == SQLITE_NULL) {
        row[c].reset();
      } else {
        auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), c));
        assign_cell(row[c], {text, static_cast<std::size_t>(sqlite3_column_bytes(st.get(), c))});
      }
    }
    visit(columns, row);
  }
  return columns;
}

std::vector<std::string> SqliteConnection::query(std::string_view sql,
                                                 std::span<const Param> params,
                                                 const RowVisitor& visit) {
  auto st = prepare(sql);
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (auto* n = std::get_if<std::int64_t>(&params[i])) {
      st.bind(static_cast<int>(i + 1), *n);
    } else {
      st.bind(static_cast<int>(i + 1), std::string_view(std::get<std::string>(params[i])));
    }
  }
  return step_rows(st, "query", visit);
}

void SqliteConnection::run(std::string_view sql, std::span<const SqlValue> params,
                           std::string_view what, const RowVisitor& visit) {
  auto st = prepare(sql);
  for (std::size_t i = 0; i < params.size(); ++i) {
    int at = static_cast<int>(i + 1);
    if (!params[i]) {
      st.bind_null(at);
    } else if (auto* n = std::get_if<std::int64_t>(&*params[i])) {
      st.bind(at, *n);
    } else {
      st.bind(at, std::string_view(std::get<std::string>(*params[i])));
    }
  }
  step_rows(st, what, visit);
}

void SqliteConnection::run_script(const std::string& sql, std::string_view what) {
  exec(sql, std::string(what).c_str());
}

bool SqliteConnection::has_table(std::string_view name) {
  auto st = prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  st.bind(1, name);
  return st.step("reading the schema version");
}

}  // namespace marquee::store
