#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

struct pg_conn;

namespace marquee::store {

struct PostgresOptions {
  /// A batch buffers this many movie records in memory, then COPYs them into its staging tables
  /// and merges them; memory stays bounded whatever the size of the archive.
  std::size_t flush_rows = 10000;
  /// ...or this many bytes of COPY text, whichever comes first.
  std::size_t flush_bytes = std::size_t{64} << 20;
};

/// The production store. `url` is a libpq connection URI (postgresql://user:pass@host:port/db,
/// query parameters such as sslmode or options allowed), passed to libpq as is, so PGPASSWORD,
/// ~/.pgpass and the other PG* variables work as for psql. Creates or migrates the schema;
/// connection failures and a database of a newer schema version throw Error kDatabase.
std::unique_ptr<Store> open_postgres_store(const std::string& url,
                                           const PostgresOptions& options = {});

/// The URL for messages and logs: user, host, port and database, never a password.
std::string describe_postgres_url(std::string_view url);

/// Rewrites the `?` placeholders of portable SQL to PostgreSQL's $1, $2, … in order, leaving
/// string literals, quoted identifiers, dollar-quoted strings and comments untouched.
std::string to_postgres_placeholders(std::string_view sql);

/// The advisory-lock key of the run lock: one loader per database at a time.
inline constexpr std::int64_t kRunLockKey = 0x6d61727175656501;  // "marquee" + 1

struct RunLockOptions {
  bool no_wait = false;  ///< fail at once (exit 5) when another run holds the lock
  /// How long to wait for the lock unless no_wait; zero waits as long as it takes.
  std::chrono::milliseconds timeout{0};
};

/// The run lock of a PostgreSQL database: a session advisory lock (kRunLockKey) held on a
/// connection of its own for as long as the object lives, so a batch connection that fails and
/// reconnects never drops it, and a crashed run's lock goes with its connection. Throws
/// Error kLocked naming the holder's pid and application when another run holds it, and
/// Error kDatabase when the server cannot be reached.
class PostgresRunLock {
 public:
  explicit PostgresRunLock(const std::string& url, const RunLockOptions& options = {});
  ~PostgresRunLock();
  PostgresRunLock(const PostgresRunLock&) = delete;
  PostgresRunLock& operator=(const PostgresRunLock&) = delete;

 private:
  pg_conn* conn_ = nullptr;
};

/// `marquee prune --keep WEEKS`: detaches and drops the movie_version partitions of weeks that
/// ended before the start of the week `keep_weeks` weeks before the current one (0 keeps only
/// the current week). Returns the names of the dropped partitions. Throws Error kUsage when the
/// store is not PostgreSQL or keep_weeks is negative.
std::vector<std::string> prune_movie_versions(Store& store, int keep_weeks);

}  // namespace marquee::store
