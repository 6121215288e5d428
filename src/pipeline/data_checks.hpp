#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace marquee::pipeline {

/// What a failing data check does to the run: `warn` logs it, `error` also ends the run with
/// exit 3 (the batches stay committed; the check looks at the whole database).
enum class CheckMode { kWarn, kError };

/// One check of sql/checks/: a query returning the keys that break a rule.
struct CheckResult {
  std::string name;  ///< the file's stem, e.g. release_year_in_range
  std::uint64_t failing = 0;
  std::vector<std::string> examples;  ///< the first failing keys, for the log
  double seconds = 0;
};

/// The checks, in the order they run (file names under sql/checks/, without .sql).
const std::vector<std::string>& data_check_names();

/// Runs the checks over the rows of `batches` (the ones this run committed), so that their cost
/// follows the batch, not the database; link_rows_have_their_movie reads the whole database and
/// runs only when `snapshot` (the loads that delete movies), and rating_totals_match_ratings reads
/// the whole rating table and runs only after a batch that read ratings.csv. Logs one line per
/// check.
std::vector<CheckResult> run_data_checks(store::Store& store,
                                         const std::vector<std::int64_t>& batches, bool snapshot);

/// The checks that read the whole database, in the order `marquee check` runs them:
/// report_aggregates_match_model (the kept report aggregates equal a recompute from the model),
/// rating_totals_match_ratings and link_rows_have_their_movie.
const std::vector<std::string>& whole_database_check_names();

/// Runs them over one snapshot of the database (`marquee check`), logging one line per check.
/// They cost what computing every report from scratch costs, so loads do not run the first one.
std::vector<CheckResult> run_whole_database_checks(store::Store& store);

/// Whether the checks of `batch` are in data_check_result: a batch committed by a run that then
/// failed (a full disk after the commit) has none, and the next run checks it.
bool data_checks_recorded(store::Store& store, std::int64_t batch);

}  // namespace marquee::pipeline
