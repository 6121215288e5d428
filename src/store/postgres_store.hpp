#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

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
/// read_only then makes the session's transactions READ ONLY.
std::unique_ptr<Store> open_postgres_store(const std::string& url,
                                           const PostgresOptions& options = {},
                                           bool read_only = false);

/// The URL for messages and logs: user, host, port and database, never a password.
std::string describe_postgres_url(std::string_view url);

/// Rewrites the `?` placeholders of portable SQL to PostgreSQL's $1, $2, … in order, leaving
/// string literals, quoted identifiers, dollar-quoted strings and comments untouched.
std::string to_postgres_placeholders(std::string_view sql);

}  // namespace marquee::store
