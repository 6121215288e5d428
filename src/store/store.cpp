#include "store/store.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/clock.hpp"

#include "common/error.hpp"
#include "store/embedded_sql.hpp"
#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"

namespace marquee::store {

std::unique_ptr<Store> open_store(const std::string& url) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return open_postgres_store(url);
  }
  std::string path = url.starts_with("sqlite:") ? url.substr(7) : url;
  if (path.empty()) throw Error(ExitCode::kUsage, "--db sqlite: needs a file path (sqlite:PATH)");
  return open_sqlite_store(path);
}

ReadSnapshot::ReadSnapshot(Store& store) : store_(store) {
  store_.query(store_.engine() == "postgresql" ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                                               : "BEGIN DEFERRED",
               {}, [](const auto&, const auto&) {});
}

ReadSnapshot::~ReadSnapshot() {
  try {
    store_.query("COMMIT", {}, [](const auto&, const auto&) {});
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

}  // namespace marquee::store
