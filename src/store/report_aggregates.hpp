#pragma once

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
/// group, and removes the groups left with no movie. A first load instead fills the tables from
/// their definitions (sql/aggregates/<table>.sql) in one pass: rebuild().
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

  /// Brings the aggregates to the model as the batch leaves it; call once the batch's movies are
  /// final (after a snapshot's removals). A first load (`first_load`: the model was empty, so
  /// nothing was noted) computes them whole with rebuild(), any other batch applies its
  /// difference with apply().
  void finish_batch(bool first_load) { first_load ? rebuild() : apply(); }
  /// Applies the difference the noted movies make, group by group.
  void apply();
  /// Replaces the tables' contents by their definitions over the model.
  void rebuild();
  /// A query returning one row per group whose kept row differs from its definition over the
  /// model (missing, extra or different), as text naming the table and the key: what
  /// sql/checks/report_aggregates_match_model.sql runs.
  static std::string mismatch_sql();

 private:
  LedgerConnection& db_;
};

}  // namespace marquee::store
