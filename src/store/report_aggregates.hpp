#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "store/ledger_connection.hpp"

namespace marquee::store {

/// The report aggregates of schema version 5 (report_company_year, report_genre_year,
/// report_company_genre_year): per group of SPEC 5 the counts and exact sums the reports are read
/// from, so that a batch costs what it changes, not what the database holds. Written once for
/// both engines over portable SQL on the batch's own connection and transaction.
///
/// A batch notes, before it first changes a movie (replaces its row or removes it), the movie's
/// version before the batch: its year, budget, revenue, popularity, genres and companies
/// (note_prior), and the ids of the movies it adds (note_new). apply() then subtracts each noted
/// movie's old contribution and adds the contribution of its row as the batch leaves it, per
/// group, and removes the groups left with no movie. A first load instead adds the tables up in
/// C++ over the new model (ModelAggregates, in each engine's writer) and starts the change log
/// anew (reset_change_log); rebuild() fills them from their definitions
/// (sql/aggregates/<table>.sql), as the schema's migration to version 5 does.
class ReportAggregates {
 public:
  explicit ReportAggregates(LedgerConnection& db) : db_(db) {}

  /// The aggregate tables, in the order reports read them.
  static constexpr std::string_view kTables[] = {"report_company_year", "report_genre_year",
                                                 "report_company_genre_year"};

  /// Creates the batch's notes (temporary tables, once per connection) and empties them. Call in
  /// the batch transaction before the first note.
  void begin_batch();
  /// The statements, to run in order, that note the version before the batch of the movies
  /// selected by `ids` (a query of one column named id, which may bind parameters with `?`), unless
  /// already noted by this batch. Engines that note a movie at a time prepare them once.
  static std::string note_prior_companies_sql(std::string_view ids);
  static std::string note_prior_genres_sql(std::string_view ids);
  static std::string note_prior_movie_sql(std::string_view ids);
  /// Notes the movies `ids` selects as new to the model (no version before the batch).
  static std::string note_new_sql(std::string_view ids);
  /// Runs the three note_prior statements with `params` bound in each.
  void note_prior(std::string_view ids, std::span<const SqlValue> params);

  /// Brings the aggregates to the model as a batch that is not a first load leaves it (call once
  /// its movies are final, after a snapshot's removals): applies the difference the noted movies
  /// make, group by group, and logs the company groups it changed in report_change_log (schema
  /// version 6).
  void apply(std::int64_t batch_id);
  /// Replaces the tables' contents by their definitions over the model.
  void rebuild();
  /// Empties report_change_log: it is whole from after batch `since` on, in a new epoch (after
  /// a rebuild no results folder written before may be patched).
  void reset_change_log(std::int64_t since);
  /// An INSERT logging as renamed (in the report_change_log column `log_column`, company_id or
  /// genre_id) the ids the query `renamed` selects (one column named id), for batch `batch_id`
  /// (SQL: a parameter or a literal). A writer runs it before it renames them.
  static std::string log_rename_sql(std::string_view log_column, std::string_view batch_id,
                                    std::string_view renamed);
  /// A batch that changes more company groups than this logs none: the log restarts after it and
  /// the next reports are written whole (as cheap as patching then).
  static constexpr std::int64_t kMaxLoggedChanges = 200000;
  /// How many batches back the log reaches; a results folder written before is written whole.
  static constexpr std::int64_t kLoggedBatches = 500;
  /// A query returning one row per group whose kept row differs from its definition over the
  /// model (missing, extra or different), as text naming the table and the key: what
  /// sql/checks/report_aggregates_match_model.sql runs.
  static std::string mismatch_sql();

 private:
  void log_changes(std::int64_t batch_id);

  LedgerConnection& db_;
};

}  // namespace marquee::store
