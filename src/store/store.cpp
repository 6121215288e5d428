#include "store/store.hpp"

#include <cctype>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/embedded_sql.hpp"
#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"

namespace marquee::store {

DbUrl parse_db_url(std::string_view url) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return {DbUrl::Engine::kPostgres, std::string(url)};
  }
  // Any other scheme (mysql://, a misspelt postgresq://) is not a file to create.
  if (auto colon = url.find("://");
      colon != std::string_view::npos && colon > 0 && !url.starts_with("sqlite:")) {
    std::string_view scheme = url.substr(0, colon);
    bool is_scheme = std::isalpha(static_cast<unsigned char>(scheme[0])) != 0;
    for (char c : scheme) {
      is_scheme = is_scheme && (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' ||
                                c == '-' || c == '.');
    }
    if (is_scheme) {
      throw Error(ExitCode::kUsage,
                  fmt::format("--db {}://…: unknown database scheme '{}'; use postgresql://"
                              "user@host:port/db, sqlite:PATH or a file path",
                              scheme, scheme));
    }
  }
  std::string_view path = url.starts_with("sqlite:") ? url.substr(7) : url;
  if (path.empty()) throw Error(ExitCode::kUsage, "--db sqlite: needs a file path (sqlite:PATH)");
  return {DbUrl::Engine::kSqlite, std::string(path)};
}

std::unique_ptr<Store> open_store(const std::string& url, const OpenOptions& options) {
  DbUrl db = parse_db_url(url);
  if (db.engine == DbUrl::Engine::kPostgres) {
    return open_postgres_store(db.target, {}, options.read_only);
  }
  std::error_code ec;
  if (options.must_exist && !std::filesystem::exists(db.target, ec)) {
    throw Error(
        ExitCode::kDatabase,
        fmt::format(
            "sqlite:{}: no database there; load one first (marquee run SOURCE --workdir W) or "
            "point --db/--workdir at an existing one",
            db.target));
  }
  return open_sqlite_store(db.target, options.read_only);
}

ReadSnapshot::ReadSnapshot(Store& store) : store_(store) {
  store_.begin_read_snapshot();
}

ReadSnapshot::~ReadSnapshot() {
  try {
    store_.end_read_snapshot();
  } catch (...) {
    // A lost connection ended the transaction already; nothing was written in it.
  }
}

std::string batch_data_time(const BatchSource& source) {
  if (auto t = normalize_utc_timestamp(source.data_time)) return *t;
  return utc_now_iso8601();
}

std::string json_string_array(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string report_sql(std::string_view name) {
  return embedded_sql(fmt::format("reports/{}.sql", name));
}

std::string check_sql(std::string_view name) {
  std::string sql = embedded_sql(fmt::format("checks/{}.sql", name));
  // {{FILE}}: the text of sql/FILE, so that a check compares with a definition kept once.
  for (std::size_t at = sql.find("{{"); at != std::string::npos; at = sql.find("{{", at)) {
    std::size_t end = sql.find("}}", at);
    if (end == std::string::npos) break;
    std::string included = embedded_sql(sql.substr(at + 2, end - at - 2));
    sql.replace(at, end + 2 - at, included);
    at += included.size();
  }
  return sql;
}

}  // namespace marquee::store
