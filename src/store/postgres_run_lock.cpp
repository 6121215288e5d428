#include "store/postgres_run_lock.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "store/postgres_session.hpp"
#include "store/postgres_store.hpp"

namespace marquee::store {
namespace {

/// Who holds the run lock, for the operator who must decide whether to wait or end it.
Error lock_held(PGconn* conn, const std::string& where, const RunLockOptions& options) {
  auto key = static_cast<std::uint64_t>(kRunLockKey);
  Result r(PQexec(
      conn,
      fmt::format(
          "SELECT l.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local "
          "socket'), coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', "
          "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') FROM pg_locks AS l LEFT JOIN pg_stat_activity "
          "AS a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
          "(SELECT oid FROM pg_database WHERE datname = current_database()) AND l.classid = {} "
          "AND l.objid = {} AND l.objsubid = 1",
          key >> 32, key & 0xffffffffU)
          .c_str()));
  std::string holder = "a session that has since ended";
  std::string pid;
  if (PQresultStatus(r.get()) == PGRES_TUPLES_OK && PQntuples(r.get()) > 0) {
    pid = text_of(r, 0, 0);
    holder = fmt::format("pid {}, application_name '{}', client {}, connected since {}", pid,
                         text_of(r, 0, 1), text_of(r, 0, 2), text_of(r, 0, 3));
  }
  std::string waited = options.no_wait
                           ? std::string()
                           : fmt::format(" after waiting {} ms", options.timeout.count());
  std::string what_to_do = pid.empty()
                               ? std::string("rerun")
                               : fmt::format(
                                     "wait for it to finish, or end a stuck one with SELECT "
                                     "pg_terminate_backend({})",
                                     pid);
  return Error(ExitCode::kLocked,
               fmt::format("{}: another marquee load holds the PostgreSQL advisory lock on this "
                           "database{} ({}); {}",
                           where, waited, holder, what_to_do));
}

class PostgresRunLease final : public RunLease {
 public:
  PostgresRunLease(const std::string& url, const RunLockOptions& options);
  ~PostgresRunLease() override { PQfinish(conn_); }  // ending the session releases the lock
  PostgresRunLease(const PostgresRunLease&) = delete;
  PostgresRunLease& operator=(const PostgresRunLease&) = delete;

 private:
  pg_conn* conn_ = nullptr;
};

PostgresRunLease::PostgresRunLease(const std::string& url, const RunLockOptions& options) {
  std::string where = describe_postgres_url(url);
  conn_ = connect(url, where);
  auto run = [&](const std::string& sql) { return Result(PQexec(conn_, sql.c_str())); };
  auto failed = [&](const Result& r, std::string_view what) {
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    return Error(ExitCode::kDatabase,
                 fmt::format("{}: {}: {}; {}", where, what, one_line(PQerrorMessage(conn_)),
                             statement_hint(state != nullptr ? state : "",
                                            PQstatus(conn_) == CONNECTION_BAD)));
  };
  try {
    // The lock lives as long as this session: no timeout may end it while the run goes on.
    run("SET statement_timeout = 0");
    run("SET idle_session_timeout = 0");
    run("SET idle_in_transaction_session_timeout = 0");
    bool acquired = false;
    if (options.no_wait) {
      Result r = run(fmt::format("SELECT pg_try_advisory_lock({})", kRunLockKey));
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) throw failed(r, "taking the run lock");
      acquired = text_of(r, 0, 0) == "t";
    } else {
      run(fmt::format("SET lock_timeout = {}", options.timeout.count()));
      Result r = run(fmt::format("SELECT pg_advisory_lock({})", kRunLockKey));
      if (PQresultStatus(r.get()) == PGRES_TUPLES_OK) {
        acquired = true;
      } else {
        const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
        if (state == nullptr || std::string_view(state) != "55P03") {
          throw failed(r, "waiting for the run lock");
        }
      }
      run("SET lock_timeout = 0");
    }
    if (!acquired) throw lock_held(conn_, where, options);
  } catch (...) {
    PQfinish(conn_);
    conn_ = nullptr;
    throw;
  }
}

}  // namespace

std::unique_ptr<RunLease> lock_postgres_run(const std::string& url, const RunLockOptions& options) {
  return std::make_unique<PostgresRunLease>(url, options);
}

}  // namespace marquee::store
