#pragma once

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/error.hpp"
#include "format/utf8.hpp"
#include "store/stored_text.hpp"

namespace marquee::store {

inline constexpr unsigned kInt8Oid = 20;
inline constexpr const char* kIsoUtc = R"('YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')";

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;
using TextParam = std::optional<std::string>;

/// libpq and the server write multi-line messages; the operator gets one line.
inline std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

inline std::string connect_hint(std::string_view message) {
  auto has = [&](std::string_view s) { return message.find(s) != std::string_view::npos; };
  if (has("password authentication failed") || has("no password supplied")) {
    return "check the user and password (in --db, PGPASSWORD or ~/.pgpass)";
  }
  if (has("database") && has("does not exist")) {
    return "create the database (createdb NAME) or fix the database name in --db";
  }
  if (has("role") && has("does not exist")) return "create the role or fix the user name in --db";
  if (has("Connection refused") || has("could not connect") || has("timeout expired") ||
      has("No such file or directory")) {
    return "check that the server is running and accepts TCP/IP connections on that host and port";
  }
  if (has("could not translate host name")) return "check the host name in --db";
  return "check the --db URL and that the server accepts connections";
}

inline std::string statement_hint(std::string_view sqlstate, bool lost) {
  if (lost) {
    return "the connection to the server was lost, so nothing of the open transaction was "
           "committed; check the server and rerun";
  }
  if (sqlstate == "57014") {
    return "the statement was canceled (statement_timeout or an operator); raise "
           "statement_timeout for this role or rerun when the server is less busy";
  }
  if (sqlstate == "55P03") {
    return "a lock wait timed out (lock_timeout); rerun when the table is free";
  }
  if (sqlstate == "53100") return "the server is out of disk space; free space and rerun";
  if (sqlstate == "53200") return "the server is out of memory; rerun when it is less busy";
  if (sqlstate == "53300") return "the server has too many connections; rerun later";
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return "a concurrent transaction conflicted; rerun";
  }
  if (sqlstate == "42501") return "grant the --db user the privileges it needs on this database";
  return "see the server log for details";
}

inline void ignore_notice(void*, const char*) {}

/// Connects with client_encoding UTF8 and, unless the URL names one, application_name marquee
/// (that is how PostgresRunLock tells the operator who holds the lock).
inline PGconn* connect(const std::string& url, const std::string& where) {
  const char* const keywords[] = {"connect_timeout", "dbname", "client_encoding",
                                  "fallback_application_name", nullptr};
  const char* const values[] = {"10", url.c_str(), "UTF8", "marquee", nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, 1);
  if (conn == nullptr) throw Error(ExitCode::kDatabase, where + ": cannot connect: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    // libpq's own hint follows on a tab-indented line; ours replaces it.
    if (auto tab = message.find("\n\t"); tab != std::string::npos) message.resize(tab);
    message = one_line(message);
    throw Error(ExitCode::kDatabase,
                fmt::format("{}: cannot connect: {}; {}", where, message, connect_hint(message)));
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  return conn;
}

/// One libpq connection with errors turned into one-line Error kDatabase messages that name the
/// database (never its password) and what was being done.
class Session {
 public:
  Session(const std::string& url, std::string where) : where_(std::move(where)) {
    conn_ = connect(url, where_);
  }
  ~Session() { PQfinish(conn_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  PGconn* get() const { return conn_; }
  const std::string& where() const { return where_; }
  bool lost() const { return PQstatus(conn_) == CONNECTION_BAD; }

  /// Reconnects after a lost connection; only ever between transactions.
  void reconnect_if_lost() {
    if (!lost()) return;
    PQreset(conn_);
    if (lost()) {
      std::string message = PQerrorMessage(conn_);
      if (auto tab = message.find("\n\t"); tab != std::string::npos) message.resize(tab);
      message = one_line(message);
      throw Error(ExitCode::kDatabase, fmt::format("{}: cannot reconnect: {}; {}", where_, message,
                                                   connect_hint(message)));
    }
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  }

  Result exec(const std::string& sql, std::string_view what) {
    Result r(PQexec(conn_, sql.c_str()));
    check(r, what);
    return r;
  }

  Result exec(const std::string& sql, const std::vector<TextParam>& params, std::string_view what,
              const std::vector<unsigned>& types = {}) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    Result r(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()),
                          types.empty() ? nullptr : types.data(), values.data(), nullptr, nullptr,
                          0));
    check(r, what);
    return r;
  }

  /// COPY … FROM STDIN in text format; `data` is whole lines.
  void copy_in(const std::string& copy_sql, std::string_view data, std::string_view what) {
    start_copy(copy_sql, PGRES_COPY_IN, what);
    constexpr std::size_t kChunk = std::size_t{1} << 20;
    bool sent = true;
    for (std::size_t at = 0; at < data.size() && sent; at += kChunk) {
      std::size_t n = std::min(kChunk, data.size() - at);
      sent = PQputCopyData(conn_, data.data() + at, static_cast<int>(n)) == 1;
    }
    if (sent) {
      sent = PQputCopyEnd(conn_, nullptr) == 1;
    } else {
      PQputCopyEnd(conn_, "marquee could not send the data");
    }
    std::optional<Error> failure = copy_result(what);
    if (!failure && !sent) failure = error(what, nullptr);
    if (failure) throw *failure;
  }

  /// COPY … TO STDOUT in text format: `row` gets each line (its newline included) as it
  /// arrives, so the result is never held whole. When `row` throws, the rest of the rows are read
  /// and dropped (the connection stays usable) and its exception is the one thrown.
  template <typename Row>
  void copy_out(const std::string& copy_sql, std::string_view what, Row&& row) {
    start_copy(copy_sql, PGRES_COPY_OUT, what);
    std::exception_ptr failed;
    for (;;) {
      char* line = nullptr;
      const int n = PQgetCopyData(conn_, &line, 0);
      if (n < 0) break;  // -1: all sent; -2: failed, and the result below says why
      if (!failed) {
        try {
          row(std::string_view(line, static_cast<std::size_t>(n)));
        } catch (...) {
          failed = std::current_exception();
        }
      }
      PQfreemem(line);
    }
    std::optional<Error> failure = copy_result(what);
    if (failed) std::rethrow_exception(failed);
    if (failure) throw *failure;
  }

  void check(const Result& r, std::string_view what) const {
    if (r) {
      auto status = PQresultStatus(r.get());
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
        return;
      }
    }
    throw error(what, r.get());
  }

  Error error(std::string_view what, const PGresult* r) const {
    auto field = [&](int code) -> std::string {
      const char* v = r != nullptr ? PQresultErrorField(r, code) : nullptr;
      return v != nullptr ? v : "";
    };
    std::string sqlstate = field(PG_DIAG_SQLSTATE);
    std::string primary = field(PG_DIAG_MESSAGE_PRIMARY);
    if (primary.empty()) primary = PQerrorMessage(conn_);
    if (primary.empty()) primary = "unknown error";
    std::string detail = field(PG_DIAG_MESSAGE_DETAIL);
    std::string table = field(PG_DIAG_TABLE_NAME);
    bool lost_connection = lost() || sqlstate.starts_with("57P") || sqlstate.starts_with("08");
    std::string message = fmt::format("{}: {}: {}", where_, what, primary);
    if (!table.empty() && what.find(table) == std::string_view::npos) {
      message += fmt::format(" (table {})", table);
    }
    if (!detail.empty()) message += fmt::format(" ({})", detail);
    message += "; " + statement_hint(sqlstate, lost_connection);
    return Error(ExitCode::kDatabase, one_line(message));
  }

 private:
  /// Starts COPY `copy_sql`; the server must answer `expected` (PGRES_COPY_IN or _OUT).
  void start_copy(const std::string& copy_sql, ExecStatusType expected, std::string_view what) {
    Result start(PQexec(conn_, copy_sql.c_str()));
    if (!start || PQresultStatus(start.get()) != expected) {
      check(start, what);
      throw error(what, start.get());
    }
  }

  /// The end of a COPY: reads its results, the first failure among them (nullopt when none).
  std::optional<Error> copy_result(std::string_view what) {
    std::optional<Error> failure;
    while (Result r{PQgetResult(conn_)}) {
      if (!failure && PQresultStatus(r.get()) != PGRES_COMMAND_OK) failure = error(what, r.get());
      if (lost()) break;
    }
    return failure;
  }

  std::string where_;
  PGconn* conn_ = nullptr;
};

inline std::string text_of(const Result& r, int row, int col) {
  return PQgetisnull(r.get(), row, col) ? std::string()
                                        : std::string(PQgetvalue(r.get(), row, col));
}

inline std::int64_t int_of(const Result& r, int row, int col) {
  return std::stoll(PQgetvalue(r.get(), row, col));
}

/// A staged_at that PostgreSQL reads as a timestamp (YYYY-MM-DD…); anything else is not kept
/// rather than failing a batch over metadata.
inline TextParam timestamp_param(const std::string& text) {
  auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!digit(i)) return std::nullopt;
  }
  return stored_text(text);
}

/// Appends the fields of one row of COPY text format (tab-separated, \N for NULL).
class CopyRow {
 public:
  explicit CopyRow(std::string& out) : out_(out) {}
  ~CopyRow() { out_.back() = '\n'; }
  CopyRow(const CopyRow&) = delete;
  CopyRow& operator=(const CopyRow&) = delete;

  /// The text as stored_text keeps it; the escaping below turns a NUL into the same space.
  CopyRow& text(std::string_view v) {
    std::string fixed;
    if (!format::is_valid_utf8(v)) {
      fixed = stored_text(v);
      v = fixed;
    }
    static constexpr std::string_view kSpecial("\\\n\r\t\0", 5);
    for (;;) {
      auto at = v.find_first_of(kSpecial);
      out_.append(v.substr(0, at));
      if (at == std::string_view::npos) break;
      switch (v[at]) {
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default:
          out_ += ' ';
          break;  // NUL, as stored_text has it
      }
      v.remove_prefix(at + 1);
    }
    out_ += '\t';
    return *this;
  }
  CopyRow& text(const std::string& v) { return text(std::string_view(v)); }
  CopyRow& text(const std::optional<std::string>& v) { return v ? text(*v) : null(); }
  CopyRow& integer(std::int64_t v) {
    fmt::format_to(std::back_inserter(out_), "{}\t", v);
    return *this;
  }
  template <typename T>
  CopyRow& integer(const std::optional<T>& v) {
    return v ? integer(static_cast<std::int64_t>(*v)) : null();
  }
  CopyRow& real(const std::optional<double>& v) {
    if (!v) return null();
    fmt::format_to(std::back_inserter(out_), "{}\t", *v);
    return *this;
  }
  CopyRow& boolean(const std::optional<bool>& v) {
    if (!v) return null();
    out_ += *v ? "t\t" : "f\t";
    return *this;
  }
  CopyRow& null() {
    out_ += "\\N\t";
    return *this;
  }
  CopyRow& value(const std::optional<std::string>& v) { return text(v); }
  CopyRow& value(const std::optional<bool>& v) { return boolean(v); }
  CopyRow& value(const std::optional<int>& v) { return integer(v); }
  CopyRow& value(const std::optional<std::int64_t>& v) { return integer(v); }
  CopyRow& value(const std::optional<double>& v) { return real(v); }

 private:
  std::string& out_;
};

}  // namespace marquee::store
