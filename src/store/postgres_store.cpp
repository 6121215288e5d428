#include "store/postgres_store.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "format/utf8.hpp"
#include "store/embedded_sql.hpp"
#include "store/movie_id_set.hpp"

namespace marquee::store {
namespace {

/// Taken inside the migration transaction so that two processes opening a fresh database at
/// once migrate it one after the other.
constexpr std::int64_t kMigrationLockKey = 0x6d61727175656502;
constexpr unsigned kInt8Oid = 20;
constexpr const char* kIsoUtc = R"('YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')";

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;
using TextParam = std::optional<std::string>;

/// libpq and the server write multi-line messages; the operator gets one line.
std::string one_line(std::string_view text) {
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

/// Text sent to the server must be valid UTF-8 without NUL bytes, which PostgreSQL rejects.
std::string clean_text(std::string_view text) {
  std::string out;
  if (format::is_valid_utf8(text)) {
    out.assign(text);
  } else {
    format::append_utf8_replacing(text, out);
  }
  std::replace(out.begin(), out.end(), '\0', ' ');
  return out;
}

std::string connect_hint(std::string_view message) {
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

std::string statement_hint(std::string_view sqlstate, bool lost) {
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

void ignore_notice(void*, const char*) {}

/// Connects with client_encoding UTF8 and, unless the URL names one, application_name marquee
/// (that is how PostgresRunLock tells the operator who holds the lock).
PGconn* connect(const std::string& url, const std::string& where) {
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
    Result start(PQexec(conn_, copy_sql.c_str()));
    if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) {
      check(start, what);
      throw error(what, start.get());
    }
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
    std::optional<Error> failure;
    while (Result r{PQgetResult(conn_)}) {
      if (!failure && PQresultStatus(r.get()) != PGRES_COMMAND_OK) failure = error(what, r.get());
      if (lost()) break;
    }
    if (!failure && !sent) failure = error(what, nullptr);
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
  std::string where_;
  PGconn* conn_ = nullptr;
};

std::string text_of(const Result& r, int row, int col) {
  return PQgetisnull(r.get(), row, col) ? std::string()
                                        : std::string(PQgetvalue(r.get(), row, col));
}

std::int64_t int_of(const Result& r, int row, int col) {
  return std::stoll(PQgetvalue(r.get(), row, col));
}

/// A staged_at that PostgreSQL reads as a timestamp (YYYY-MM-DD…); anything else is not kept
/// rather than failing a batch over metadata.
TextParam timestamp_param(const std::string& text) {
  auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!digit(i)) return std::nullopt;
  }
  return clean_text(text);
}

/// Appends the fields of one row of COPY text format (tab-separated, \N for NULL).
class CopyRow {
 public:
  explicit CopyRow(std::string& out) : out_(out) {}
  ~CopyRow() { out_.back() = '\n'; }
  CopyRow(const CopyRow&) = delete;
  CopyRow& operator=(const CopyRow&) = delete;

  CopyRow& text(std::string_view v) {
    std::string fixed;
    if (!format::is_valid_utf8(v)) {
      format::append_utf8_replacing(v, fixed);
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
          break;  // NUL, which no PostgreSQL text can hold
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

 private:
  std::string& out_;
};

/// The movie columns that the model, the staging table and the history share.
constexpr std::string_view kMovieColumns[] = {"imdb_id",
                                              "title",
                                              "original_title",
                                              "original_language",
                                              "overview",
                                              "tagline",
                                              "homepage",
                                              "poster_path",
                                              "status",
                                              "adult",
                                              "video",
                                              "release_date",
                                              "release_year",
                                              "budget",
                                              "revenue",
                                              "popularity",
                                              "popularity_micros",
                                              "runtime",
                                              "vote_average",
                                              "vote_count",
                                              "collection_id"};

std::string movie_column_list() {
  std::string out;
  for (auto c : kMovieColumns) out += fmt::format("{}{}", out.empty() ? "" : ", ", c);
  return out;
}

/// "imdb_id = s.imdb_id, title = s.title, …" for the movie columns of `table`.
std::string set_from(std::string_view table) {
  std::string out;
  for (auto c : kMovieColumns)
    out += fmt::format("{}{} = {}.{}", out.empty() ? "" : ", ", c, table, c);
  return out;
}

class PostgresStore;

class PostgresBatchWriter final : public BatchWriter {
 public:
  PostgresBatchWriter(PostgresStore& store, std::int64_t batch_id, std::string data_time);
  ~PostgresBatchWriter() override;
  bool upsert_movie(const dataset::MovieRow& row) override;
  BatchCounts commit(const BatchCounts& counts, bool snapshot) override;
  void rollback(const std::string& reason) override;

 private:
  void create_staging_tables();
  void flush();
  void merge();
  void settle_names();
  /// batch_latest (movie_id, seq): each superseded movie and the seq of its last record.
  void copy_latest_records();
  /// Runs `step`; an error ends the batch, and every later call reports that first error.
  template <typename F>
  void guarded(F&& step);
  Session& session();

  PostgresStore& store_;
  bool open_ = false;
  std::optional<Error> failure_;
  std::int64_t seq_ = 0;
  const std::string data_time_;
  /// A loaded batch has a newer data time: the movies it wrote must not be replaced.
  bool newer_loaded_ = false;
  /// A snapshot of a newer data time is loaded: it kept or removed every movie as of a later
  /// time than this batch's, so no record of this batch is applied.
  bool behind_snapshot_ = false;
  /// The model had no movie: flushes only append to the staging tables, and one merge at commit
  /// writes every table in key order. Merging flush by flush into a movie table larger than
  /// shared_buffers touched random index pages, and the time per record grew with the load.
  bool bulk_ = false;
  bool latest_copied_ = false;
  /// Movies of the batch not applied because the database holds a newer version of them.
  std::unordered_set<std::int64_t> older_;
  MovieIdSet written_;
  /// Superseded ids and the seq of their latest record: only that record's names may settle.
  std::unordered_map<std::int64_t, std::int64_t> latest_seq_;
  /// Ids in the buffer and where their row's `winner` flag sits in movies_.
  std::unordered_map<std::int64_t, std::size_t> buffered_;
  std::size_t buffered_rows_ = 0;
  /// Ids in the buffer whose earlier record went out with an earlier flush.
  std::vector<std::int64_t> crossed_;
  std::string movies_, mentions_, coded_;  // COPY text for stage_movie, stage_mention, stage_coded
};

class PostgresStore final : public Store {
 public:
  PostgresStore(const std::string& url, const PostgresOptions& options)
      : options_(options), session_(url, describe_postgres_url(url)) {
    migrate();
  }

  std::string_view engine() const override { return "postgresql"; }
  std::string describe() const override { return session_.where(); }
  const PostgresOptions& options() const { return options_; }
  Session& session() { return session_; }
  void set_batch_open(bool open) { batch_open_ = open; }

  /// Every store call outside a batch may reconnect after a lost connection; inside one a
  /// reconnect would silently continue outside the batch's transaction, so it never does.
  Session& fresh_session() {
    if (!batch_open_) session_.reconnect_if_lost();
    return session_;
  }

  std::optional<BatchRecord> loaded_batch(const std::string& sha256) override {
    auto found = select_batches("WHERE sha256 = $1 AND status = 'loaded' ORDER BY id DESC LIMIT 1",
                                {sha256});
    if (found.empty()) return std::nullopt;
    return std::move(found.front());
  }

  std::unique_ptr<BatchWriter> begin_batch(const BatchSource& source) override {
    if (batch_open_) {
      throw Error(ExitCode::kDatabase,
                  fmt::format("{}: a batch is already open on this connection", describe()));
    }
    fresh_session();
    create_history_partitions();
    std::int64_t id = insert_batch_row(source, "started", "");
    return std::make_unique<PostgresBatchWriter>(*this, id, batch_data_time(source));
  }

  std::int64_t record_failed_batch(const BatchSource& source, const std::string& reason) override {
    fresh_session();
    return insert_batch_row(source, "failed", reason);
  }

  std::vector<BatchRecord> batches() override { return select_batches("ORDER BY id", {}); }

  void record_check(std::int64_t batch_id, const std::string& check_name, std::uint64_t failing,
                    const std::vector<std::string>& failing_keys) override {
    std::string keys = json_string_array(failing_keys);
    fresh_session().exec(
        "INSERT INTO data_check_result (batch_id, check_name, failing, failing_keys) VALUES ($1, "
        "$2, $3, $4::jsonb) ON CONFLICT (batch_id, check_name) DO UPDATE SET failing = "
        "excluded.failing, failing_keys = excluded.failing_keys, checked_at = now()",
        {std::to_string(batch_id), clean_text(check_name), std::to_string(failing),
         clean_text(keys)},
        "recording a data check in data_check_result");
  }

  std::vector<std::string> query(std::string_view sql, std::span<const Param> params,
                                 const RowVisitor& visit) override {
    PGconn* conn = fresh_session().get();
    std::string text = to_postgres_placeholders(sql);
    std::vector<std::string> values;
    std::vector<unsigned> types;
    for (const auto& p : params) {
      if (auto* n = std::get_if<std::int64_t>(&p)) {
        values.push_back(std::to_string(*n));
        types.push_back(kInt8Oid);
      } else {
        values.push_back(std::get<std::string>(p));
        // Unknown: the server infers the type from the context, as SQLite's affinity would.
        types.push_back(0);
      }
    }
    std::vector<const char*> pointers;
    for (const auto& v : values) pointers.push_back(v.c_str());
    if (PQsendQueryParams(conn, text.c_str(), static_cast<int>(pointers.size()), types.data(),
                          pointers.data(), nullptr, nullptr, 0) != 1) {
      throw session_.error("running a query", nullptr);
    }
    PQsetSingleRowMode(conn);  // stream rows: a report never sits whole in memory

    std::vector<std::string> columns;
    std::vector<Cell> row;
    std::optional<Error> failure;
    auto describe_columns = [&](const PGresult* r) {
      if (!columns.empty()) return;
      int n = PQnfields(r);
      for (int c = 0; c < n; ++c) columns.emplace_back(PQfname(r, c));
      row.resize(columns.size());
    };
    try {
      while (Result r{PQgetResult(conn)}) {
        auto status = PQresultStatus(r.get());
        if (failure) continue;
        if (status == PGRES_SINGLE_TUPLE) {
          describe_columns(r.get());
          for (int c = 0; c < static_cast<int>(columns.size()); ++c) {
            if (PQgetisnull(r.get(), 0, c)) {
              row[c].reset();
            } else {
              row[c].emplace(PQgetvalue(r.get(), 0, c),
                             static_cast<std::size_t>(PQgetlength(r.get(), 0, c)));
            }
          }
          visit(columns, row);
        } else if (status == PGRES_TUPLES_OK) {
          describe_columns(r.get());
        } else if (status != PGRES_COMMAND_OK) {
          failure = session_.error("running a query", r.get());
        }
        if (session_.lost()) break;
      }
    } catch (...) {
      // The visitor gave up: cancel the rest and drain, so the connection stays usable.
      if (PGcancel* cancel = PQgetCancel(conn)) {
        char buffer[256];
        PQcancel(cancel, buffer, sizeof buffer);
        PQfreeCancel(cancel);
      }
      while (Result r{PQgetResult(conn)}) {
        if (session_.lost()) break;
      }
      throw;
    }
    if (failure) throw *failure;
    return columns;
  }

  std::vector<std::string> prune_history(int keep_weeks) {
    Session& s = fresh_session();
    auto r = s.exec(
        "SELECT c.relname, i.inhdetachpending FROM pg_inherits i JOIN pg_class c ON c.oid = "
        "i.inhrelid WHERE i.inhparent = 'movie_version'::regclass AND c.relname ~ "
        "'^movie_version_w[0-9]{8}$' AND to_date(right(c.relname, 8), 'YYYYMMDD') + 7 <= "
        "date_trunc('week', now() AT TIME ZONE 'UTC')::date - 7 * $1::integer ORDER BY 1",
        {std::to_string(keep_weeks)}, "listing the movie_version partitions");
    std::vector<std::string> dropped;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      std::string name = text_of(r, i, 0);
      bool pending = text_of(r, i, 1) == "t";
      // CONCURRENTLY: reports reading movie_version are not blocked while a partition goes.
      s.exec(fmt::format("ALTER TABLE movie_version DETACH PARTITION {} {}", name,
                         pending ? "FINALIZE" : "CONCURRENTLY"),
             fmt::format("detaching partition {} of movie_version", name));
      s.exec(fmt::format("DROP TABLE {}", name), fmt::format("dropping partition {}", name));
      dropped.push_back(std::move(name));
    }
    return dropped;
  }

  std::int64_t insert_batch_row(const BatchSource& source, std::string_view status,
                                const std::string& message) {
    std::string now = utc_now_iso8601();
    TextParam finished, text;
    if (!message.empty()) {
      finished = now;
      text = clean_text(message);
    }
    auto r = session_.exec(
        "INSERT INTO ingest_batch (source, sha256, etag, staged_at, started_at, status, message, "
        "finished_at, data_time) VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7, "
        "$8::timestamptz, $9::timestamptz) RETURNING id",
        {clean_text(source.source), clean_text(source.sha256), clean_text(source.etag),
         timestamp_param(source.staged_at), now, std::string(status), text, finished,
         batch_data_time(source)},
        "recording the batch in ingest_batch");
    return int_of(r, 0, 0);
  }

 private:
  /// The history partitions of this week and the next, created ahead of the batch and outside
  /// its transaction so that the batch never meets a missing partition and never holds the
  /// lock that creating one takes on movie_version.
  void create_history_partitions() {
    auto r = session_.exec(
        "SELECT to_char(w, 'YYYYMMDD'), to_char(w, 'YYYY-MM-DD'), to_char(w + 7, 'YYYY-MM-DD') "
        "FROM (SELECT date_trunc('week', now() AT TIME ZONE 'UTC')::date + 7 * k AS w "
        "FROM generate_series(0, 1) AS k) AS weeks ORDER BY w",
        "finding the weeks of the movie_version partitions");
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      std::string name = "movie_version_w" + text_of(r, i, 0);
      session_.exec(fmt::format("CREATE TABLE IF NOT EXISTS {} PARTITION OF movie_version FOR "
                                "VALUES FROM ('{} 00:00:00+00') TO ('{} 00:00:00+00')",
                                name, text_of(r, i, 1), text_of(r, i, 2)),
                    fmt::format("creating partition {} of movie_version", name));
    }
  }

  std::vector<BatchRecord> select_batches(const std::string& where,
                                          const std::vector<TextParam>& params) {
    auto r = fresh_session().exec(
        fmt::format("SELECT id, source, sha256, coalesce(etag, ''), coalesce(to_char(staged_at AT "
                    "TIME ZONE 'UTC', {0}), ''), to_char(started_at AT TIME ZONE 'UTC', {0}), "
                    "coalesce(to_char(finished_at AT TIME ZONE 'UTC', {0}), ''), status, "
                    "rows_read, rows_loaded, rows_rejected, duplicate_superseded, warnings, "
                    "older_than_loaded, coalesce(to_char(data_time AT TIME ZONE 'UTC', {0}), '') "
                    "FROM ingest_batch {1}",
                    kIsoUtc, where),
        params, "reading ingest_batch");
    std::vector<BatchRecord> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      BatchRecord b;
      b.id = int_of(r, i, 0);
      b.source = {text_of(r, i, 1), text_of(r, i, 2), text_of(r, i, 3), text_of(r, i, 4),
                  text_of(r, i, 14)};
      b.started_at = text_of(r, i, 5);
      b.finished_at = text_of(r, i, 6);
      b.status = text_of(r, i, 7);
      auto count = [&](int c) { return static_cast<std::uint64_t>(int_of(r, i, c)); };
      b.counts = {count(8), count(9), count(10), count(11), count(12), count(13)};
      out.push_back(std::move(b));
    }
    return out;
  }

  /// Versioned migrations as on SQLite: schema_version holds the applied versions, each step
  /// runs sql/schema/postgres_v<N>.sql, all in one transaction.
  void migrate() {
    session_.exec("BEGIN", "starting the migration");
    try {
      session_.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockKey),
                    "locking the database for migration");
      auto has = session_.exec("SELECT to_regclass('schema_version') IS NOT NULL",
                               "reading the schema version");
      int version = 0;
      if (text_of(has, 0, 0) == "t") {
        auto r = session_.exec("SELECT coalesce(max(version), 0) FROM schema_version",
                               "reading the schema version");
        version = static_cast<int>(int_of(r, 0, 0));
      } else {
        session_.exec(
            "CREATE TABLE schema_version (version integer NOT NULL, applied_at timestamptz NOT "
            "NULL DEFAULT now())",
            "creating schema_version");
      }
      if (version > kSchemaVersion) {
        throw Error(ExitCode::kDatabase,
                    fmt::format("{}: the database has schema version {}, newer than this marquee "
                                "understands ({}); use a newer marquee or another --db",
                                describe(), version, kSchemaVersion));
      }
      for (int v = version + 1; v <= kSchemaVersion; ++v) {
        session_.exec(embedded_sql(fmt::format("schema/postgres_v{}.sql", v)),
                      fmt::format("migrating to schema version {}", v));
        session_.exec(fmt::format("INSERT INTO schema_version (version) VALUES ({})", v),
                      "recording the schema version");
      }
      session_.exec("COMMIT", "committing the migration");
    } catch (...) {
      if (!session_.lost()) Result(PQexec(session_.get(), "ROLLBACK"));
      throw;
    }
  }

  PostgresOptions options_;
  Session session_;
  bool batch_open_ = false;
};

PostgresBatchWriter::PostgresBatchWriter(PostgresStore& store, std::int64_t batch_id,
                                         std::string data_time)
    : store_(store), data_time_(std::move(data_time)) {
  batch_id_ = batch_id;
  try {
    session().exec("BEGIN", "starting the batch transaction");
    open_ = true;
    store_.set_batch_open(true);
    // The model is read by key a batch at a time, mostly from cache: with the default random
    // page cost of a spinning disk, the planner hashed whole link tables to replace the links of
    // a few thousand movies (a 1% batch on 727,000 movies: 0.3 s a table instead of 0.1 s).
    session().exec("SET LOCAL random_page_cost = 1.1", "setting the planner's page costs");
    create_staging_tables();
    auto newer = session().exec(
        "SELECT EXISTS (SELECT 1 FROM ingest_batch WHERE status = 'loaded' AND data_time > "
        "$1::timestamptz AND id <> $2::bigint)",
        {data_time_, std::to_string(batch_id_)}, "finding the batches of a newer data time");
    newer_loaded_ = text_of(newer, 0, 0) == "t";
    auto behind = session().exec(
        "SELECT EXISTS (SELECT 1 FROM ingest_batch WHERE status = 'loaded' AND snapshot AND "
        "data_time > $1::timestamptz AND id <> $2::bigint)",
        {data_time_, std::to_string(batch_id_)}, "finding the snapshots of a newer data time");
    behind_snapshot_ = text_of(behind, 0, 0) == "t";
    auto empty = session().exec("SELECT NOT EXISTS (SELECT 1 FROM movie)",
                                "checking whether the model is empty");
    bulk_ = text_of(empty, 0, 0) == "t" && !behind_snapshot_;
  } catch (const Error& e) {
    try {
      rollback(e.what());
    } catch (const Error&) {
    }
    throw;
  }
}

PostgresBatchWriter::~PostgresBatchWriter() {
  if (open_) {
    try {
      rollback("the batch was abandoned before it committed");
    } catch (...) {
    }
  }
}

Session& PostgresBatchWriter::session() {
  return store_.session();
}

template <typename F>
void PostgresBatchWriter::guarded(F&& step) {
  if (failure_) throw *failure_;
  if (!open_) {
    throw Error(ExitCode::kDatabase,
                fmt::format("{}: batch {} is no longer open", store_.describe(), batch_id_));
  }
  try {
    step();
  } catch (const Error& e) {
    failure_ = e;
    throw;
  }
}

/// Temporary, so never WAL-logged, and dropped with the transaction whichever way it ends.
/// stage_movie holds every buffered record, the superseded ones with winner false: collections,
/// countries and languages take their names from every record in file order, as on SQLite.
void PostgresBatchWriter::create_staging_tables() {
  session().exec(
      "CREATE TEMP TABLE stage_movie (winner boolean NOT NULL, seq bigint NOT NULL, id bigint NOT "
      "NULL, source_line bigint, imdb_id text, title text, original_title text, "
      "original_language text, overview text, tagline text, homepage text, poster_path text, "
      "status text, adult boolean, video boolean, release_date date, release_year integer, "
      "budget bigint, revenue bigint, popularity double precision, popularity_micros bigint, "
      "runtime double precision, vote_average double precision, vote_count double precision, "
      "collection_id bigint, collection_name text, collection_poster_path text, "
      "collection_backdrop_path text, stale boolean NOT NULL) ON COMMIT DROP",
      "creating the staging table stage_movie");
  // kind 0: a genre, 1: a production company.
  session().exec(
      "CREATE TEMP TABLE stage_mention (kind smallint NOT NULL, id bigint NOT NULL, name text NOT "
      "NULL, movie_id bigint NOT NULL, seq bigint NOT NULL) ON COMMIT DROP",
      "creating the staging table stage_mention");
  // kind 0: a production country, 1: a spoken language.
  session().exec(
      "CREATE TEMP TABLE stage_coded (kind smallint NOT NULL, code text NOT NULL, name text, "
      "movie_id bigint NOT NULL, seq bigint NOT NULL) ON COMMIT DROP",
      "creating the staging table stage_coded");
  session().exec("CREATE TEMP TABLE stage_replaced (id bigint NOT NULL) ON COMMIT DROP",
                 "creating the staging table stage_replaced");
  // The genre and company names of the records that won their flush, for settling at commit.
  session().exec(
      "CREATE TEMP TABLE batch_name (kind smallint NOT NULL, id bigint NOT NULL, name text NOT "
      "NULL, movie_id bigint NOT NULL, seq bigint NOT NULL) ON COMMIT DROP",
      "creating the staging table batch_name");
}

bool PostgresBatchWriter::upsert_movie(const dataset::MovieRow& row) {
  bool superseded = false;
  guarded([&] {
    std::int64_t seq = ++seq_;
    superseded = !written_.insert(row.id);
    if (superseded) {
      latest_seq_[row.id] = seq;
      if (auto it = buffered_.find(row.id); it != buffered_.end()) {
        movies_[it->second] = 'f';
      } else {
        crossed_.push_back(row.id);
      }
    }
    buffered_[row.id] = movies_.size();

    std::optional<double> popularity;
    if (row.popularity_micros) popularity = static_cast<double>(*row.popularity_micros) / 1e6;
    {
      CopyRow m(movies_);
      m.boolean(true).integer(seq).integer(row.id).integer(row.line);
      m.text(row.imdb_id).text(row.title).text(row.original_title).text(row.original_language);
      m.text(row.overview)
          .text(row.tagline)
          .text(row.homepage)
          .text(row.poster_path)
          .text(row.status);
      m.boolean(row.adult).boolean(row.video).text(row.release_date).integer(row.release_year);
      m.integer(row.budget).integer(row.revenue).real(popularity).integer(row.popularity_micros);
      m.real(row.runtime).real(row.vote_average).real(row.vote_count);
      if (row.collection) {
        const auto& c = *row.collection;
        m.integer(c.id).text(c.name).text(c.poster_path).text(c.backdrop_path);
      } else {
        m.null().null().null().null();
      }
      m.boolean(false);  // stale: set by merge() when the database holds a newer version
    }
    for (const auto& g : row.genres)
      CopyRow(mentions_).integer(0).integer(g.id).text(g.name).integer(row.id).integer(seq);
    for (const auto& c : row.companies)
      CopyRow(mentions_).integer(1).integer(c.id).text(c.name).integer(row.id).integer(seq);
    for (const auto& c : row.countries)
      CopyRow(coded_).integer(0).text(c.code).text(c.name).integer(row.id).integer(seq);
    for (const auto& l : row.languages)
      CopyRow(coded_).integer(1).text(l.code).text(l.name).integer(row.id).integer(seq);

    std::size_t bytes = movies_.size() + mentions_.size() + coded_.size();
    if (++buffered_rows_ >= store_.options().flush_rows || bytes >= store_.options().flush_bytes) {
      flush();
    }
  });
  return superseded;
}

void PostgresBatchWriter::flush() {
  if (movies_.empty()) return;
  Session& s = session();
  if (!bulk_) {
    s.exec("TRUNCATE stage_movie, stage_mention, stage_coded, stage_replaced",
           "emptying the staging tables");
  }
  s.copy_in("COPY stage_movie FROM STDIN", movies_, "copying movies into stage_movie");
  if (!mentions_.empty()) {
    s.copy_in("COPY stage_mention FROM STDIN", mentions_,
              "copying genres and companies into stage_mention");
  }
  if (!coded_.empty()) {
    s.copy_in("COPY stage_coded FROM STDIN", coded_,
              "copying countries and languages into stage_coded");
  }
  if (!bulk_) merge();
  movies_.clear();
  mentions_.clear();
  coded_.clear();
  buffered_.clear();
  buffered_rows_ = 0;
  crossed_.clear();
}

/// Moves one flush from the staging tables into the model. Dictionary rows come first (the link
/// tables reference them); then each winning movie replaces its row and all its link rows.
void PostgresBatchWriter::merge() {
  Session& s = session();
  std::vector<TextParam> batch{std::to_string(batch_id_)};
  std::vector<TextParam> data_time{data_time_};
  // Every record names its collection, countries and languages, even one older than the loaded
  // movie (in data-time order its names would have been written); a name is only ever replaced
  // by one of the same or a newer data time.
  s.exec(
      "INSERT INTO collection (id, name, poster_path, backdrop_path, data_time) SELECT DISTINCT "
      "ON (collection_id) collection_id, collection_name, collection_poster_path, "
      "collection_backdrop_path, $1::timestamptz FROM stage_movie WHERE collection_id IS NOT NULL "
      "ORDER BY collection_id, seq DESC ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
      "poster_path = excluded.poster_path, backdrop_path = excluded.backdrop_path, data_time = "
      "excluded.data_time WHERE collection.data_time <= excluded.data_time AND (collection.name, "
      "collection.poster_path, collection.backdrop_path, collection.data_time) IS DISTINCT FROM "
      "(excluded.name, excluded.poster_path, excluded.backdrop_path, excluded.data_time)",
      data_time, "writing collection");
  // Created on first sight with that name; commit settles the name from the last survivor.
  for (auto [kind, table] : {std::pair{0, "genre"}, std::pair{1, "production_company"}}) {
    s.exec(fmt::format("INSERT INTO {0} (id, name, data_time) SELECT DISTINCT ON (id) id, name, "
                       "$1::timestamptz FROM stage_mention AS m WHERE kind = {1} AND NOT EXISTS "
                       "(SELECT 1 FROM {0} AS t WHERE t.id = m.id) ORDER BY id, seq ON CONFLICT "
                       "(id) DO NOTHING",
                       table, kind),
           data_time, fmt::format("writing {}", table));
  }
  for (auto [kind, table, key] : {std::tuple{0, "production_country", "iso_3166_1"},
                                  std::tuple{1, "spoken_language", "iso_639_1"}}) {
    s.exec(fmt::format("INSERT INTO {0} ({1}, name, data_time) SELECT DISTINCT ON (code) code, "
                       "name, $1::timestamptz FROM stage_coded WHERE kind = {2} ORDER BY code, seq "
                       "DESC ON CONFLICT ({1}) DO UPDATE SET name = excluded.name, data_time = "
                       "excluded.data_time WHERE {0}.data_time <= excluded.data_time AND "
                       "({0}.name, {0}.data_time) IS DISTINCT FROM (excluded.name, "
                       "excluded.data_time)",
                       table, key, kind),
           data_time, fmt::format("writing {}", table));
  }
  // Only movies already in the model (from an earlier batch or flush) lose rows: a first load
  // deletes and updates nothing, and a later one touches the replaced movies by their keys.
  if (newer_loaded_) {
    // Last writer wins by data time: a movie a newer batch wrote keeps that version.
    auto stale = s.exec(
        "UPDATE stage_movie AS s SET stale = true FROM movie AS m JOIN ingest_batch AS b ON b.id "
        "= m.batch_id WHERE s.winner AND m.id = s.id AND b.data_time > $1::timestamptz RETURNING "
        "s.id",
        data_time, "finding the movies loaded with a newer data time");
    for (int i = 0; i < PQntuples(stale.get()); ++i) older_.insert(int_of(stale, i, 0));
  }
  if (behind_snapshot_) {
    auto stale =
        s.exec("UPDATE stage_movie SET stale = true WHERE winner AND NOT stale RETURNING id",
               "marking the records older than the last snapshot");
    for (int i = 0; i < PQntuples(stale.get()); ++i) older_.insert(int_of(stale, i, 0));
  }
  auto found = s.exec(
      "INSERT INTO stage_replaced (id) SELECT s.id FROM stage_movie AS s WHERE s.winner AND NOT "
      "s.stale AND EXISTS (SELECT 1 FROM movie AS m WHERE m.id = s.id)",
      "finding the movies the batch replaces");
  if (std::string_view(PQcmdTuples(found.get())) != "0") {
    s.exec("ANALYZE stage_replaced", "analyzing the staging tables");
    for (auto table : {"movie_genre", "movie_company", "movie_country", "movie_language"}) {
      s.exec(fmt::format("DELETE FROM {} AS t USING stage_replaced AS r WHERE t.movie_id = r.id",
                         table),
             fmt::format("replacing the {} rows of the batch's movies", table));
    }
    static const std::string update_movie = fmt::format(
        "UPDATE movie AS t SET {}, batch_id = $1::bigint, source_line = s.source_line FROM "
        "stage_movie AS s JOIN stage_replaced AS r ON r.id = s.id WHERE s.winner AND t.id = s.id",
        set_from("s"));
    s.exec(update_movie, batch, "writing movie");
  }
  static const std::string insert_movie = fmt::format(
      "INSERT INTO movie (id, {0}, batch_id, source_line) SELECT id, {0}, $1::bigint, source_line "
      "FROM stage_movie AS s WHERE s.winner AND NOT s.stale AND NOT EXISTS (SELECT 1 FROM "
      "stage_replaced AS r WHERE r.id = s.id) ORDER BY id",
      movie_column_list());
  s.exec(insert_movie, batch, "writing movie");
  for (auto [kind, table, column] :
       {std::tuple{0, "movie_genre", "genre_id"}, std::tuple{1, "movie_company", "company_id"}}) {
    s.exec(fmt::format(
               "INSERT INTO {} (movie_id, {}) SELECT m.movie_id, m.id FROM stage_mention "
               "AS m JOIN stage_movie AS s ON s.seq = m.seq WHERE s.winner AND NOT s.stale AND "
               "m.kind = {} ORDER BY 1, 2",
               table, column, kind),
           fmt::format("writing {}", table));
  }
  for (auto [kind, table, column] : {std::tuple{0, "movie_country", "iso_3166_1"},
                                     std::tuple{1, "movie_language", "iso_639_1"}}) {
    s.exec(fmt::format(
               "INSERT INTO {} (movie_id, {}) SELECT m.movie_id, m.code FROM stage_coded "
               "AS m JOIN stage_movie AS s ON s.seq = m.seq WHERE s.winner AND NOT s.stale AND "
               "m.kind = {} ORDER BY 1, 2",
               table, column, kind),
           fmt::format("writing {}", table));
  }
  s.exec(
      "INSERT INTO batch_name (kind, id, name, movie_id, seq) SELECT m.kind, m.id, m.name, "
      "m.movie_id, m.seq FROM stage_mention AS m JOIN stage_movie AS s ON s.seq = m.seq WHERE "
      "s.winner",
      "keeping the genre and company names of the batch");
  // loaded_at is now(), the batch transaction's start, so one batch's rows share one partition;
  // a record superseded in a later flush gives way to the record that replaced it.
  if (!crossed_.empty()) {
    std::string ids = "{";
    for (auto id : crossed_) ids += fmt::format("{}{}", ids.size() > 1 ? "," : "", id);
    s.exec(
        "DELETE FROM movie_version WHERE batch_id = $1::bigint AND loaded_at = now() AND movie_id "
        "= ANY ($2::bigint[])",
        {batch.front(), ids + "}"}, "replacing superseded rows of movie_version");
  }
  static const std::string insert_version = fmt::format(
      "INSERT INTO movie_version (movie_id, batch_id, loaded_at, source_line, {0}) SELECT id, "
      "$1::bigint, now(), source_line, {0} FROM stage_movie WHERE winner ORDER BY id",
      movie_column_list());
  s.exec(insert_version, batch, "writing movie_version");
}

/// SPEC 4: a genre or company takes its name from the last surviving record of the batch (in
/// file order) that mentions it. batch_name holds the mentions of every record that won its
/// flush; those of records superseded by a later flush go first.
void PostgresBatchWriter::copy_latest_records() {
  if (latest_copied_) return;
  Session& s = session();
  s.exec(
      "CREATE TEMP TABLE batch_latest (movie_id bigint NOT NULL, seq bigint NOT NULL) ON COMMIT "
      "DROP",
      "creating the staging table batch_latest");
  std::string rows;
  for (auto [id, seq] : latest_seq_) CopyRow(rows).integer(id).integer(seq);
  s.copy_in("COPY batch_latest FROM STDIN", rows, "copying superseded movies into batch_latest");
  latest_copied_ = true;
}

void PostgresBatchWriter::settle_names() {
  Session& s = session();
  if (!latest_seq_.empty()) {
    copy_latest_records();
    s.exec(
        "DELETE FROM batch_name AS b USING batch_latest AS l WHERE b.movie_id = l.movie_id AND "
        "b.seq <> l.seq",
        "dropping the names of superseded records");
  }
  for (auto [kind, table] : {std::pair{0, "genre"}, std::pair{1, "production_company"}}) {
    // The batch names the id unless a batch of a newer data time named it since.
    s.exec(fmt::format("UPDATE {0} AS t SET name = n.name, data_time = $1::timestamptz FROM "
                       "(SELECT DISTINCT ON (id) id, name FROM batch_name WHERE kind = {1} ORDER "
                       "BY id, seq DESC) AS n WHERE t.id = n.id AND t.data_time <= $1::timestamptz "
                       "AND (t.name, t.data_time) IS DISTINCT FROM (n.name, $1::timestamptz)",
                       table, kind),
           {data_time_}, fmt::format("settling {} names", table));
  }
}

BatchCounts PostgresBatchWriter::commit(const BatchCounts& loaded, bool snapshot) {
  BatchCounts counts = loaded;
  guarded([&] {
    flush();
    if (bulk_) {
      // Every record is staged: only the last record of a superseded movie wins, whichever
      // flush it came in, and one merge writes the model.
      Session& s = session();
      if (!latest_seq_.empty()) {
        copy_latest_records();
        s.exec(
            "UPDATE stage_movie AS s SET winner = (s.seq = l.seq) FROM batch_latest AS l WHERE "
            "s.id = l.movie_id AND s.winner <> (s.seq = l.seq)",
            "marking the last record of each superseded movie");
      }
      // No ANALYZE of the staging tables (a second of a one-second merge at scale 1): the
      // planner sizes a table it never analyzed from its pages, which is enough for hash joins.
      crossed_.clear();
      merge();
      // The model was empty: without statistics the next batch's plans guess (autovacuum would
      // analyze it only later). A small sample is enough for the keys' distinct counts.
      s.exec("SET LOCAL default_statistics_target = 10", "sizing the statistics sample");
      s.exec("ANALYZE movie, movie_genre, movie_company, movie_country, movie_language",
             "analyzing the model");
      s.exec("RESET default_statistics_target", "sizing the statistics sample");
    }
    settle_names();
    Session& s = session();
    if (snapshot) {
      // Absent movies go unless a batch of a newer data time wrote them.
      std::vector<TextParam> batch{std::to_string(batch_id_), data_time_};
      constexpr const char* kOlderBatch =
          "m.batch_id <> $1::bigint AND m.batch_id IN (SELECT id FROM ingest_batch WHERE "
          "data_time <= $2::timestamptz)";
      for (auto table : {"movie_genre", "movie_company", "movie_country", "movie_language"}) {
        s.exec(fmt::format("DELETE FROM {} AS t USING movie AS m WHERE m.id = t.movie_id AND {}",
                           table, kOlderBatch),
               batch,
               fmt::format("removing the {} rows of movies absent from the snapshot", table));
      }
      s.exec(fmt::format("DELETE FROM movie AS m WHERE {}", kOlderBatch), batch,
             "removing movies absent from the snapshot");
    }
    counts.older_than_loaded = older_.size();
    counts.rows_loaded -= std::min(counts.rows_loaded, counts.older_than_loaded);
    counts.duplicate_superseded += counts.older_than_loaded;
    auto n = [](std::uint64_t v) -> TextParam { return std::to_string(v); };
    s.exec(
        "UPDATE ingest_batch SET status = 'loaded', finished_at = $1::timestamptz, rows_read = $2, "
        "rows_loaded = $3, rows_rejected = $4, duplicate_superseded = $5, warnings = $6, "
        "older_than_loaded = $7, snapshot = $8 WHERE id = $9",
        {utc_now_iso8601(), n(counts.rows_read), n(counts.rows_loaded), n(counts.rows_rejected),
         n(counts.duplicate_superseded), n(counts.warnings), n(counts.older_than_loaded),
         std::string(snapshot ? "true" : "false"), std::to_string(batch_id_)},
        "recording the batch counts in ingest_batch");
    s.exec("COMMIT", "committing the batch");
    open_ = false;
    store_.set_batch_open(false);
  });
  return counts;
}

void PostgresBatchWriter::rollback(const std::string& reason) {
  if (open_) {
    open_ = false;
    store_.set_batch_open(false);
    if (!session().lost()) Result(PQexec(session().get(), "ROLLBACK"));
  }
  failure_.reset();
  movies_.clear();
  mentions_.clear();
  coded_.clear();
  buffered_.clear();
  crossed_.clear();
  // The status guard: a COMMIT whose reply was lost may have committed after all.
  store_.fresh_session().exec(
      "UPDATE ingest_batch SET status = 'failed', finished_at = $1::timestamptz, message = $2 "
      "WHERE id = $3 AND status = 'started'",
      {utc_now_iso8601(), clean_text(reason), std::to_string(batch_id_)},
      "marking the batch failed in ingest_batch");
}

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url, const PostgresOptions& options) {
  PostgresOptions checked = options;
  checked.flush_rows = std::max<std::size_t>(checked.flush_rows, 1);
  return std::make_unique<PostgresStore>(url, checked);
}

std::string describe_postgres_url(std::string_view url) {
  std::string text(url);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    // Unparseable: keep the scheme and host part, drop any user info and query.
    auto scheme = text.find("://");
    if (scheme == std::string::npos) return "postgresql://(unparseable URL)";
    auto rest = text.substr(scheme + 3);
    if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
    if (auto q = rest.find('?'); q != std::string::npos) rest.resize(q);
    return text.substr(0, scheme + 3) + rest;
  }
  std::string user, host, hostaddr, port, dbname;
  for (auto* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view k = o->keyword;
    if (k == "user") user = o->val;
    if (k == "host") host = o->val;
    if (k == "hostaddr") hostaddr = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") dbname = o->val;
  }
  PQconninfoFree(options);
  if (host.empty()) host = hostaddr;
  std::string out = "postgresql://";
  if (!user.empty()) out += user + "@";
  out += host;
  if (!port.empty()) out += ":" + port;
  out += "/" + dbname;
  return out;
}

std::string to_postgres_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 0;
  auto ident_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  std::size_t i = 0;
  // Copies through the first occurrence of `end` at or after `from` (or to the end of the text).
  auto copy_until = [&](std::size_t from, std::string_view end) {
    std::size_t at = sql.find(end, from);
    std::size_t stop = at == std::string_view::npos ? sql.size() : at + end.size();
    out.append(sql.substr(i, stop - i));
    i = stop;
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '?') {
      out += fmt::format("${}", ++next);
      ++i;
    } else if (c == '\'' || c == '"') {
      bool backslashes = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                         (i < 2 || !ident_char(sql[i - 2]));
      std::size_t j = i + 1;
      while (j < sql.size()) {
        if (backslashes && sql[j] == '\\') {
          j += 2;
        } else if (sql[j] == c) {
          if (j + 1 < sql.size() && sql[j + 1] == c) {
            j += 2;  // a doubled quote inside the literal
          } else {
            ++j;
            break;
          }
        } else {
          ++j;
        }
      }
      j = std::min(j, sql.size());
      out.append(sql.substr(i, j - i));
      i = j;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      copy_until(i, "\n");
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      std::size_t j = i + 2;
      int depth = 1;  // PostgreSQL block comments nest
      while (j < sql.size() && depth > 0) {
        if (sql.compare(j, 2, "/*") == 0) {
          ++depth;
          j += 2;
        } else if (sql.compare(j, 2, "*/") == 0) {
          --depth;
          j += 2;
        } else {
          ++j;
        }
      }
      j = std::min(j, sql.size());
      out.append(sql.substr(i, j - i));
      i = j;
    } else if (c == '$' && (i == 0 || !ident_char(sql[i - 1]))) {
      // A dollar-quoted string: $$…$$ or $tag$…$tag$ (but $1 is a parameter).
      std::size_t j = i + 1;
      while (j < sql.size() && ident_char(sql[j]) && sql[j] != '$') ++j;
      bool tag_ok = j < sql.size() && sql[j] == '$' &&
                    (j == i + 1 || std::isdigit(static_cast<unsigned char>(sql[i + 1])) == 0);
      if (tag_ok) {
        std::string_view tag = sql.substr(i, j + 1 - i);
        out.append(tag);
        i = j + 1;
        copy_until(i, tag);
      } else {
        out += c;
        ++i;
      }
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

PostgresRunLock::PostgresRunLock(const std::string& url, const RunLockOptions& options) {
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
    if (!acquired) {
      auto key = static_cast<std::uint64_t>(kRunLockKey);
      Result r = run(fmt::format(
          "SELECT l.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local "
          "socket'), coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', "
          "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') FROM pg_locks AS l LEFT JOIN pg_stat_activity "
          "AS a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
          "(SELECT oid FROM pg_database WHERE datname = current_database()) AND l.classid = {} "
          "AND l.objid = {} AND l.objsubid = 1",
          key >> 32, key & 0xffffffffU));
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
      throw Error(ExitCode::kLocked,
                  fmt::format("{}: another marquee load holds the PostgreSQL advisory lock on this "
                              "database{} ({}); {}",
                              where, waited, holder, what_to_do));
    }
  } catch (...) {
    PQfinish(conn_);
    conn_ = nullptr;
    throw;
  }
}

PostgresRunLock::~PostgresRunLock() {
  PQfinish(conn_);
}  // ending the session releases the lock

std::vector<std::string> prune_movie_versions(Store& store, int keep_weeks) {
  auto* postgres = dynamic_cast<PostgresStore*>(&store);
  if (postgres == nullptr) {
    throw Error(
        ExitCode::kUsage,
        fmt::format("marquee prune needs a PostgreSQL --db; {} keeps no movie_version history",
                    store.describe()));
  }
  if (keep_weeks < 0) {
    throw Error(ExitCode::kUsage,
                fmt::format("--keep {}: needs a number of weeks, 0 or more", keep_weeks));
  }
  return postgres->prune_history(keep_weeks);
}

}  // namespace marquee::store
