#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "store/postgres_store.hpp"
#include "store/store.hpp"

namespace marquee::store::test {

using Rows = std::vector<std::vector<std::string>>;

/// The URL with its database name replaced.
inline std::string with_database(const std::string& url, const std::string& db) {
  auto authority = url.find("://");
  auto slash = url.find('/', authority == std::string::npos ? 0 : authority + 3);
  auto query = url.find('?');
  std::string head = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return head + "/" + db + tail;
}

inline std::string with_parameter(const std::string& url, const std::string& parameter) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + parameter;
}

/// A plain libpq session for what the tests do behind the store's back.
class Admin {
 public:
  explicit Admin(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      ADD_FAILURE() << "cannot connect to " << url << ": " << PQerrorMessage(conn_);
    }
  }
  ~Admin() { PQfinish(conn_); }
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  Rows exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    Rows rows;
    auto status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    } else {
      for (int i = 0; i < PQntuples(r); ++i) {
        rows.emplace_back();
        for (int c = 0; c < PQnfields(r); ++c) {
          rows.back().push_back(PQgetisnull(r, i, c) ? "NULL" : PQgetvalue(r, i, c));
        }
      }
    }
    PQclear(r);
    return rows;
  }
  std::string value(const std::string& sql) {
    auto rows = exec(sql);
    return rows.empty() || rows[0].empty() ? "" : rows[0][0];
  }

 private:
  PGconn* conn_;
};

/// Every cell as text, NULL as "NULL".
inline Rows select(Store& store, std::string_view sql, std::vector<Param> params = {}) {
  Rows rows;
  store.query(sql, params, [&](const std::vector<std::string>&, const std::vector<Cell>& row) {
    rows.emplace_back();
    for (const auto& cell : row) rows.back().push_back(cell.value_or("NULL"));
  });
  return rows;
}

inline std::string count(Store& store, std::string_view table) {
  return select(store, fmt::format("SELECT COUNT(*) FROM {}", table))[0][0];
}

/// A movie of the year 2000 on its own source line (each call takes the next line).
inline dataset::MovieRow movie(std::int64_t id, std::vector<dataset::NamedItem> genres = {},
                               std::vector<dataset::NamedItem> companies = {}) {
  static std::uint64_t line = 1;
  dataset::MovieRow row;
  row.id = id;
  row.line = ++line;
  row.title = fmt::format("Movie {}", id);
  row.release_date = "2000-01-01";
  row.release_year = 2000;
  row.genres = std::move(genres);
  row.companies = std::move(companies);
  return row;
}

inline dataset::MovieRow with_budget(dataset::MovieRow row, std::optional<std::int64_t> budget) {
  row.budget = budget;
  return row;
}

inline BatchSource source(const std::string& name, const std::string& data_time = "") {
  return {"file:///data/" + name + ".zip", "sha-" + name, "", "2026-01-05T10:00:00.000Z",
          data_time};
}

/// A PostgreSQL database of its own, created on MARQUEE_TEST_PG's server and dropped after.
class ScratchPostgresDatabase {
 public:
  ScratchPostgresDatabase(std::string server_url, std::string name)
      : server_url_(std::move(server_url)), name_(std::move(name)) {
    Admin(server_url_).exec("CREATE DATABASE " + name_);
  }
  ~ScratchPostgresDatabase() {
    Admin(server_url_).exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", name_));
  }
  ScratchPostgresDatabase(const ScratchPostgresDatabase&) = delete;
  ScratchPostgresDatabase& operator=(const ScratchPostgresDatabase&) = delete;
  const std::string& name() const { return name_; }
  std::string url() const { return with_database(server_url_, name_); }

 private:
  std::string server_url_, name_;
};

inline std::string scratch_postgres_name() {
  std::random_device random;
  return fmt::format("marquee_t_{:08x}{:08x}", random(), random());
}

/// One engine the store contract runs on. flush_rows 0 opens through open_store with the
/// engine's defaults; PostgreSQL may also be run with small COPY flushes, so that duplicates
/// meet both inside one COPY buffer and across flushes.
struct StoreEngine {
  std::string name;
  std::string engine;  ///< what Store::engine() says
  std::size_t flush_rows = 0;
};

inline std::string engine_test_name(const ::testing::TestParamInfo<StoreEngine>& info) {
  return info.param.name;
}

/// What gtest shows after "GetParam() =" (in failures, --gtest_list_tests and so the names
/// gtest_discover_tests gives CTest): the engine's name rather than the struct's bytes, which
/// hold heap pointers and so changed from one build to the next.
inline void PrintTo(const StoreEngine& engine, std::ostream* os) {
  *os << engine.name;
}

/// Each test gets fresh, empty databases: SQLite files in a folder of its own, or PostgreSQL
/// databases created on the MARQUEE_TEST_PG server (the test skips when it is unset).
/// database(0) is the usual one; a test may ask for further independent ones.
class StoreContractTest : public ::testing::TestWithParam<StoreEngine> {
 protected:
  void SetUp() override {
    if (postgres()) {
      const char* base = std::getenv("MARQUEE_TEST_PG");
      if (base == nullptr || *base == '\0') {
        GTEST_SKIP() << "MARQUEE_TEST_PG is not set; ./test.sh starts a server and sets it";
      }
      server_url_ = base;
    } else {
      const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
      std::string test = fmt::format("{}-{}", info->test_suite_name(), info->name());
      std::replace(test.begin(), test.end(), '/', '-');
      dir_ = std::filesystem::temp_directory_path() /
             fmt::format("marquee-contract-{}-{}", ::getpid(), test);
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
    }
  }
  void TearDown() override {
    postgres_databases_.clear();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  bool postgres() const { return GetParam().engine == "postgresql"; }

  /// The URL of the `which`-th fresh database of this test.
  std::string url(std::size_t which = 0) {
    if (!postgres()) return "sqlite:" + (dir_ / fmt::format("db{}", which)).string();
    while (postgres_databases_.size() <= which) {
      postgres_databases_.push_back(
          std::make_unique<ScratchPostgresDatabase>(server_url_, scratch_postgres_name()));
    }
    return postgres_databases_[which]->url();
  }

  /// How messages name the `which`-th database: its file path or its PostgreSQL database name.
  std::string database_name(std::size_t which = 0) {
    url(which);
    return postgres() ? postgres_databases_[which]->name()
                      : (dir_ / fmt::format("db{}", which)).string();
  }

  /// A database that is not there and cannot be created by opening it.
  std::string unopenable_url() {
    if (!postgres()) return "sqlite:" + (dir_ / "no-such-folder" / "db").string();
    return with_database(server_url_, database_name() + "_missing");
  }

  /// A database that is not there (a mistyped --workdir or database name).
  std::string missing_url() {
    if (!postgres()) return "sqlite:" + (dir_ / "missing-db").string();
    return with_database(server_url_, database_name() + "_missing");
  }

  std::unique_ptr<Store> open(const OpenOptions& options = {}, std::size_t which = 0) {
    if (GetParam().flush_rows == 0) return open_store(url(which), options);
    PostgresOptions postgres_options;
    postgres_options.flush_rows = GetParam().flush_rows;
    return open_postgres_store(url(which), postgres_options, options.read_only);
  }

  /// Runs a statement on the database behind the store's back.
  void exec_behind_the_store(const std::string& sql) {
    if (postgres()) {
      Admin(url()).exec(sql);
      return;
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "db0").c_str(), &db), SQLITE_OK);
    char* message = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
        << sql << ": " << (message ? message : "");
    sqlite3_free(message);
    sqlite3_close(db);
  }

 private:
  std::string server_url_;
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<ScratchPostgresDatabase>> postgres_databases_;
};

}  // namespace marquee::store::test
