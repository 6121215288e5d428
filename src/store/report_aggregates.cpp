#include "store/report_aggregates.hpp"

#include <chrono>
#include <random>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.hpp"
#include "store/embedded_sql.hpp"
#include "store/store.hpp"

namespace marquee::store {
namespace {

/// The batch's notes (begin_batch): the movies it replaced as they were, and as it leaves them.
constexpr const char* kNotes[] = {"agg_prior_movie", "agg_prior_genre", "agg_prior_company",
                                  "agg_new_movie",   "agg_new_genre",   "agg_new_company"};

/// One aggregate table: its key (the groups), the link tables a movie joins it by, and whether
/// it keeps the sums (or only the count of movies). The joins are CROSS JOINs with their
/// conditions in the WHERE: SQLite then reads the batch's few noted movies first and finds their
/// rows by key, where left to itself (no statistics) it scanned a whole link table and read every
/// movie (12.7 s for a 1% batch on 727,000 movies); PostgreSQL plans them as any join.
struct AggregateTable {
  std::string_view name;
  std::string_view key;         ///< the key columns, in table order
  std::string_view new_join;    ///< joins of `m` (agg_new_movie) to its groups
  std::string_view new_on;      ///< their conditions
  std::string_view prior_join;  ///< joins of `p` (agg_prior_movie) to its groups
  std::string_view prior_on;    ///< their conditions
  std::string_view key_select;  ///< the key columns as selected from either join
  bool sums = true;
  /// report_change_log's (company_id, year, genre_id) of a changed group; empty: not logged (the
  /// genre reports are small and written whole).
  std::string_view logged_key = {};
};

constexpr AggregateTable kAggregates[] = {
    {"report_company_year", "company_id, year", "CROSS JOIN agg_new_company c", "c.movie_id = m.id",
     "CROSS JOIN agg_prior_company c", "c.movie_id = p.id", "c.company_id", true,
     "company_id, year, NULL"},
    {"report_genre_year", "year, genre_id", "CROSS JOIN agg_new_genre g", "g.movie_id = m.id",
     "CROSS JOIN agg_prior_genre g", "g.movie_id = p.id", "g.genre_id", true},
    {"report_company_genre_year", "company_id, year, genre_id",
     "CROSS JOIN agg_new_company c CROSS JOIN agg_new_genre g",
     "c.movie_id = m.id AND g.movie_id = m.id",
     "CROSS JOIN agg_prior_company c CROSS JOIN agg_prior_genre g",
     "c.movie_id = p.id AND g.movie_id = p.id", "c.company_id, g.genre_id", false,
     "company_id, year, genre_id"},
};

/// The columns an aggregate keeps beyond its key, each as a sum over the signed contributions
/// `d` (sign +1 for a movie as the batch leaves it, -1 for its version before): the same
/// arithmetic as sql/aggregates/report_company_year.sql, movie by movie.
struct KeptColumn {
  std::string_view name;
  std::string_view delta;
};
constexpr std::string_view kBoth = "d.budget IS NOT NULL AND d.revenue IS NOT NULL";
const KeptColumn kSumColumns[] = {
    {"movies", "SUM(d.sign)"},
    {"budget_movies", "SUM(CASE WHEN d.budget IS NOT NULL THEN d.sign ELSE 0 END)"},
    {"budget_e9", "COALESCE(SUM(d.sign * (d.budget / 1000000000)), 0)"},
    {"budget_e0", "COALESCE(SUM(d.sign * (d.budget % 1000000000)), 0)"},
    {"revenue_movies", "SUM(CASE WHEN d.revenue IS NOT NULL THEN d.sign ELSE 0 END)"},
    {"revenue_e9", "COALESCE(SUM(d.sign * (d.revenue / 1000000000)), 0)"},
    {"revenue_e0", "COALESCE(SUM(d.sign * (d.revenue % 1000000000)), 0)"},
    {"profit_movies",
     "SUM(CASE WHEN d.budget IS NOT NULL AND d.revenue IS NOT NULL THEN d.sign ELSE 0 END)"},
    {"profit_e9",
     "COALESCE(SUM(CASE WHEN d.budget IS NOT NULL AND d.revenue IS NOT NULL THEN d.sign * "
     "(d.revenue / 1000000000 - d.budget / 1000000000) END), 0)"},
    {"profit_e0",
     "COALESCE(SUM(CASE WHEN d.budget IS NOT NULL AND d.revenue IS NOT NULL THEN d.sign * "
     "(d.revenue % 1000000000 - d.budget % 1000000000) END), 0)"},
    {"popularity_movies", "SUM(CASE WHEN d.popularity_micros IS NOT NULL THEN d.sign ELSE 0 END)"},
    {"popularity_e9", "COALESCE(SUM(d.sign * (d.popularity_micros / 1000000000)), 0)"},
    {"popularity_e0", "COALESCE(SUM(d.sign * (d.popularity_micros % 1000000000)), 0)"},
};

/// The statements that apply one table's differences, in order: the differences per group into
/// agg_delta_<table> (the groups the batch changed), added to the kept rows (a new group starts
/// at 0), then the groups left with no movie removed. Only groups whose difference is not zero
/// are written: a movie replaced by an equal version changes nothing, and on PostgreSQL an
/// upsert that changes nothing still writes a new row version.
std::span<const KeptColumn> kept_columns(const AggregateTable& table) {
  std::span<const KeptColumn> kept = kSumColumns;
  return table.sums ? kept : kept.first(1);  // movies only
}

/// The condition on a row of agg_delta_<table> (its columns prefixed by `row`, "d." for an
/// alias) that the group changed.
std::string nonzero_sql(const AggregateTable& table, std::string_view row = "") {
  std::string nonzero;
  for (const auto& column : kept_columns(table))
    nonzero += fmt::format("{}{}{} <> 0", nonzero.empty() ? "" : " OR ", row, column.name);
  return nonzero;
}

std::vector<std::string> apply_sql(const AggregateTable& table) {
  std::string columns = std::string(table.key);
  std::string deltas = std::string(table.key);
  std::string updates, same_key;
  for (const auto& column : kept_columns(table)) {
    columns += fmt::format(", {}", column.name);
    deltas += fmt::format(", {}", column.delta);
    updates += fmt::format("{0}{1} = t.{1} + d.{1}", updates.empty() ? "" : ", ", column.name);
  }
  const std::string changed = nonzero_sql(table, "d.");
  for (std::string_view key = table.key; !key.empty();) {
    std::size_t end = std::min(key.find(", "), key.size());
    same_key +=
        fmt::format("{0}t.{1} = d.{1}", same_key.empty() ? "" : " AND ", key.substr(0, end));
    key.remove_prefix(std::min(end + 2, key.size()));
  }
  constexpr std::string_view kValues =
      "m.release_year AS year, m.budget, m.revenue, m.popularity_micros";
  constexpr std::string_view kPriorValues =
      "p.release_year AS year, p.budget, p.revenue, p.popularity_micros";
  const std::string delta = fmt::format("agg_delta_{}", table.name);
  return {
      fmt::format("DELETE FROM {}", delta),
      fmt::format("INSERT INTO {0} ({1}) SELECT {2} FROM ("
                  "SELECT 1 AS sign, {3}, {4} FROM agg_new_movie m {5} WHERE {6} "
                  "UNION ALL "
                  "SELECT -1 AS sign, {3}, {7} FROM agg_prior_movie p {8} "
                  "WHERE {9} AND p.existed = 1 AND p.release_year IS NOT NULL"
                  ") AS d GROUP BY {10}",
                  delta, columns, deltas, table.key_select, kValues, table.new_join, table.new_on,
                  kPriorValues, table.prior_join, table.prior_on, table.key),
      // The groups that exist take the difference, then the new ones are inserted: an UPDATE
      // and an INSERT rather than one upsert, whose DO UPDATE makes SQLite keep a statement
      // journal of every page it changes (see LedgerConnection::in_batch).
      fmt::format("UPDATE {0} AS t SET {1} FROM {2} AS d WHERE ({3}) AND {4}", table.name, updates,
                  delta, changed, same_key),
      fmt::format("INSERT INTO {0} ({1}) SELECT {1} FROM {2} AS d WHERE ({3}) AND NOT EXISTS "
                  "(SELECT 1 FROM {0} AS t WHERE {4})",
                  table.name, columns, delta, changed, same_key),
      fmt::format("DELETE FROM {0} WHERE movies = 0 AND ({1}) IN (SELECT {1} FROM {2} WHERE "
                  "movies < 0)",
                  table.name, table.key, delta),
  };
}

}  // namespace

void ReportAggregates::begin_batch() {
  for (const char* ddl :
       {"CREATE TEMP TABLE IF NOT EXISTS agg_prior_movie (id BIGINT PRIMARY KEY, existed SMALLINT "
        "NOT NULL, release_year BIGINT, budget BIGINT, revenue BIGINT, popularity_micros BIGINT)",
        "CREATE TEMP TABLE IF NOT EXISTS agg_prior_genre (movie_id BIGINT NOT NULL, genre_id "
        "BIGINT NOT NULL, PRIMARY KEY (movie_id, genre_id))",
        "CREATE TEMP TABLE IF NOT EXISTS agg_prior_company (movie_id BIGINT NOT NULL, company_id "
        "BIGINT NOT NULL, PRIMARY KEY (movie_id, company_id))",
        // The same of each noted movie as the batch leaves it, with a year, read from the model
        // once instead of once for each aggregate.
        "CREATE TEMP TABLE IF NOT EXISTS agg_new_movie (id BIGINT PRIMARY KEY, release_year "
        "BIGINT, budget BIGINT, revenue BIGINT, popularity_micros BIGINT)",
        "CREATE TEMP TABLE IF NOT EXISTS agg_new_genre (movie_id BIGINT NOT NULL, genre_id "
        "BIGINT NOT NULL, PRIMARY KEY (movie_id, genre_id))",
        "CREATE TEMP TABLE IF NOT EXISTS agg_new_company (movie_id BIGINT NOT NULL, company_id "
        "BIGINT NOT NULL, PRIMARY KEY (movie_id, company_id))"}) {
    db_.run(ddl, {}, "creating the batch's notes for the report aggregates");
  }
  for (const char* table : kNotes)
    db_.run(fmt::format("DELETE FROM {}", table), {}, "emptying the batch's notes");
  // One table of differences per aggregate, shaped like it.
  for (std::string_view table : kTables) {
    db_.run(fmt::format("CREATE TEMP TABLE IF NOT EXISTS agg_delta_{0} AS SELECT * FROM {0} "
                        "WHERE false",
                        table),
            {}, "creating the batch's notes for the report aggregates");
  }
}

namespace {

/// Notes the rows of a link table (movie_company, movie_genre) of the movies `ids` selects into
/// its agg_prior_ table, for a movie not noted yet.
std::string note_prior_links_sql(std::string_view link_table, std::string_view column,
                                 std::string_view noted, std::string_view ids) {
  return fmt::format(
      "INSERT INTO {2} (movie_id, {1}) SELECT l.movie_id, l.{1} FROM {0} l WHERE l.movie_id IN "
      "({3}) AND NOT EXISTS (SELECT 1 FROM agg_prior_movie p WHERE p.id = l.movie_id)",
      link_table, column, noted, ids);
}

}  // namespace

std::string ReportAggregates::note_prior_companies_sql(std::string_view ids) {
  return note_prior_links_sql("movie_company", "company_id", "agg_prior_company", ids);
}

std::string ReportAggregates::note_prior_genres_sql(std::string_view ids) {
  return note_prior_links_sql("movie_genre", "genre_id", "agg_prior_genre", ids);
}

// A movie noted already keeps its first note: ON CONFLICT DO NOTHING, not NOT EXISTS on the table
// being written, which made SQLite copy each one-row SELECT aside before inserting it (0.17 s of a
// 1% batch at scale 16 for its new movies). The WHERE before ON CONFLICT is SQLite's grammar.
std::string ReportAggregates::note_prior_movie_sql(std::string_view ids) {
  return fmt::format(
      "INSERT INTO agg_prior_movie (id, existed, release_year, budget, revenue, "
      "popularity_micros) SELECT v.id, 1, v.release_year, v.budget, v.revenue, "
      "v.popularity_micros FROM movie v WHERE v.id IN ({}) ON CONFLICT (id) DO NOTHING",
      ids);
}

std::string ReportAggregates::note_new_sql(std::string_view ids) {
  return fmt::format(
      "INSERT INTO agg_prior_movie (id, existed) SELECT n.id, 0 FROM ({}) AS n WHERE true ON "
      "CONFLICT (id) DO NOTHING",
      ids);
}

void ReportAggregates::note_prior(std::string_view ids, std::span<const SqlValue> params) {
  // The links first: they are noted only for a movie not noted yet.
  db_.run(note_prior_companies_sql(ids), params, "noting the companies of the replaced movies");
  db_.run(note_prior_genres_sql(ids), params, "noting the genres of the replaced movies");
  db_.run(note_prior_movie_sql(ids), params, "noting the replaced movies");
}

void ReportAggregates::apply(std::int64_t batch_id) {
  auto started = std::chrono::steady_clock::now();
  db_.run(
      "INSERT INTO agg_new_movie (id, release_year, budget, revenue, popularity_micros) SELECT "
      "m.id, m.release_year, m.budget, m.revenue, m.popularity_micros FROM agg_prior_movie t "
      "CROSS JOIN movie m WHERE m.id = t.id AND m.release_year IS NOT NULL",
      {}, "noting the batch's movies as it leaves them");
  for (auto [link, column, noted] : {std::tuple{"movie_company", "company_id", "agg_new_company"},
                                     std::tuple{"movie_genre", "genre_id", "agg_new_genre"}}) {
    db_.run(fmt::format("INSERT INTO {2} (movie_id, {1}) SELECT l.movie_id, l.{1} FROM "
                        "agg_new_movie t CROSS JOIN {0} l WHERE l.movie_id = t.id",
                        link, column, noted),
            {}, "noting the batch's movies as it leaves them");
  }
  for (const auto& table : kAggregates) {
    for (const auto& statement : apply_sql(table)) {
      const bool writes = !statement.starts_with("DELETE ");
      db_.run(writes ? db_.in_batch(statement) : statement, {},
              fmt::format("updating {}", table.name));
    }
  }
  log_changes(batch_id);
  for (const char* table : kNotes)
    db_.run(fmt::format("DELETE FROM {}", table), {}, "emptying the batch's notes");
  spdlog::debug("store: report aggregates updated by the batch's difference in {:.3f}s",
                seconds_since(started));
}

void ReportAggregates::rebuild() {
  for (const auto& table : kAggregates) {
    auto started = std::chrono::steady_clock::now();
    db_.run(fmt::format("DELETE FROM {}", table.name), {}, fmt::format("emptying {}", table.name));
    // The definitions give the groups in key order: the reports read the table by its key,
    // and PostgreSQL then finds its rows in heap order (read at random, company_genre_yearly at
    // scale 16 took 1.7 s more); SQLite's GROUP BY gives that order anyway.
    db_.run(fmt::format("INSERT INTO {} {}", table.name,
                        embedded_sql(fmt::format("aggregates/{}.sql", table.name))),
            {}, fmt::format("computing {}", table.name));
    spdlog::debug("store: computed {} from the model in {:.3f}s", table.name,
                  seconds_since(started));
  }
}

namespace {

std::int64_t single_integer(LedgerConnection& db, std::string_view sql,
                            std::span<const SqlValue> params, std::string_view what) {
  std::int64_t value = 0;
  db.run(sql, params, what, [&](const auto&, const std::vector<Cell>& row) {
    value = row[0] ? std::stoll(*row[0]) : 0;
  });
  return value;
}

}  // namespace

void ReportAggregates::log_changes(std::int64_t batch_id) {
  std::int64_t changed = 0;
  for (const auto& table : kAggregates) {
    if (table.logged_key.empty()) continue;
    changed += single_integer(
        db_,
        fmt::format("SELECT COUNT(*) FROM agg_delta_{} WHERE {}", table.name, nonzero_sql(table)),
        {}, "counting the groups the batch changed");
  }
  if (changed > kMaxLoggedChanges) {
    // A change this large is cheaper to write whole: the log starts after this batch, and every
    // results folder written before it gets all its rows anew.
    SqlValue since[] = {batch_id};
    db_.run("DELETE FROM report_change_log", {}, "emptying the report change log");
    db_.run("UPDATE report_change_log_since SET batch_id = ?", since,
            "moving the start of the report change log");
    return;
  }
  for (const auto& table : kAggregates) {
    if (table.logged_key.empty()) continue;
    SqlValue batch[] = {batch_id};
    db_.run(fmt::format("INSERT INTO report_change_log (batch_id, company_id, year, genre_id) "
                        "SELECT ?, {} FROM agg_delta_{} WHERE {}",
                        table.logged_key, table.name, nonzero_sql(table)),
            batch, "logging the groups the batch changed");
  }
  // The log keeps the last kLoggedBatches batches: a results folder older than that is written
  // whole again.
  SqlValue bound[] = {batch_id - kLoggedBatches};
  db_.run("DELETE FROM report_change_log WHERE batch_id <= ?", bound,
          "pruning the report change log");
  SqlValue since[] = {batch_id - kLoggedBatches, batch_id - kLoggedBatches};
  db_.run("UPDATE report_change_log_since SET batch_id = ? WHERE batch_id < ?", since,
          "moving the start of the report change log");
}

void ReportAggregates::reset_change_log(std::int64_t since) {
  std::random_device random;
  std::string epoch =
      fmt::format("{:08x}{:08x}{:08x}{:08x}", random(), random(), random(), random());
  SqlValue params[] = {since, epoch};
  db_.run("DELETE FROM report_change_log", {}, "emptying the report change log");
  db_.run("DELETE FROM report_change_log_since", {}, "emptying the report change log");
  db_.run("INSERT INTO report_change_log_since (batch_id, epoch) VALUES (?, ?)", params,
          "starting the report change log");
}

std::string ReportAggregates::log_rename_sql(std::string_view log_column, std::string_view batch_id,
                                             std::string_view renamed) {
  return fmt::format("INSERT INTO report_change_log (batch_id, {}) SELECT {}, r.id FROM ({}) AS r",
                     log_column, batch_id, renamed);
}

std::string ReportAggregates::mismatch_sql() {
  return check_sql("report_aggregates_match_model");
}

}  // namespace marquee::store
