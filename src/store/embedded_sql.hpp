#pragma once

#include <string>
#include <string_view>

namespace marquee::store {

/// The text of a file under sql/ ("reports/genre_yearly.sql", "schema/sqlite_v1.sql"), compiled
/// into the binary at build time so that the SQL files in the repository are the only copy.
/// Throws std::out_of_range for an unknown name.
std::string embedded_sql(std::string_view name);

}  // namespace marquee::store
