#include "pipeline/data_checks.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.hpp"

namespace marquee::pipeline {
namespace {

constexpr std::size_t kExamples = 10;

std::int64_t latest_plausible_year() {
  auto today = std::chrono::year_month_day(
      std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()));
  return static_cast<int>(today.year()) + 10;
}

}  // namespace

const std::vector<std::string>& data_check_names() {
  static const std::vector<std::string> kNames = {
      "link_rows_have_their_movie", "link_rows_have_their_genre_and_company",
      "release_year_in_range",      "budget_and_revenue_positive",
      "batch_rows_balance",         "rating_totals_match_ratings"};
  return kNames;
}

namespace {

/// The visitor that counts a check's failing keys (one per row) and keeps the first kExamples.
store::RowVisitor collect_into(CheckResult& result) {
  return [&result](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
    ++result.failing;
    if (result.examples.size() < kExamples) result.examples.push_back(row[0] ? *row[0] : "");
  };
}

/// Whether one of the batches read a ratings.csv (not skipped as unchanged).
bool loaded_ratings(store::Store& store, const std::vector<std::int64_t>& batches) {
  bool loaded = false;
  for (std::int64_t batch : batches) {
    store::Param id = batch;
    store.query(
        "SELECT COUNT(*) FROM ingest_file WHERE batch_id = ? AND file = 'ratings.csv' AND status "
        "= 'loaded'",
        {&id, 1}, [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
          loaded = loaded || (row[0] && *row[0] != "0");
        });
  }
  return loaded;
}

/// Times and logs a check that ran.
void finish_check(CheckResult& result, std::chrono::steady_clock::time_point started) {
  result.seconds = seconds_since(started);
  if (result.failing == 0) {
    spdlog::info("check {}: passed in {:.2f}s", result.name, result.seconds);
  } else {
    spdlog::warn("check {}: {} failing keys (sql/checks/{}.sql), first: {}", result.name,
                 result.failing, result.name, fmt::join(result.examples, ", "));
  }
}

}  // namespace

const std::vector<std::string>& whole_database_check_names() {
  static const std::vector<std::string> kNames = {
      "report_aggregates_match_model", "rating_totals_match_ratings", "link_rows_have_their_movie"};
  return kNames;
}

std::vector<CheckResult> run_whole_database_checks(store::Store& store) {
  std::vector<CheckResult> results;
  store::ReadSnapshot snapshot(store);
  for (const auto& name : whole_database_check_names()) {
    auto started = std::chrono::steady_clock::now();
    CheckResult result{name, 0, {}, 0};
    store.query(store::check_sql(name), {}, collect_into(result));
    finish_check(result, started);
    results.push_back(std::move(result));
  }
  return results;
}

std::vector<CheckResult> run_data_checks(store::Store& store,
                                         const std::vector<std::int64_t>& batches, bool snapshot) {
  std::vector<CheckResult> results;
  for (const auto& name : data_check_names()) {
    const auto& whole = whole_database_check_names();
    const bool whole_database = std::find(whole.begin(), whole.end(), name) != whole.end();
    if (name == "link_rows_have_their_movie" && !snapshot) continue;
    if (name == "rating_totals_match_ratings" && !loaded_ratings(store, batches)) continue;
    auto started = std::chrono::steady_clock::now();
    std::string sql = store::check_sql(name);
    CheckResult result{name, 0, {}, 0};
    const store::RowVisitor collect = collect_into(result);
    if (whole_database) {
      store.query(sql, {}, collect);
    } else {
      for (std::int64_t batch : batches) {
        std::vector<store::Param> params;
        if (name == "release_year_in_range") {
          params = {batch, latest_plausible_year()};
        } else if (name == "batch_rows_balance") {
          params = {batch};
        } else {
          params = {batch, batch};
        }
        store.query(sql, params, collect);
      }
    }
    finish_check(result, started);
    results.push_back(std::move(result));
  }
  return results;
}

bool data_checks_recorded(store::Store& store, std::int64_t batch) {
  store::Param id = batch;
  std::uint64_t recorded = 0;
  // Every check but the whole-database ones runs for every batch.
  store.query(
      "SELECT COUNT(*) FROM data_check_result WHERE batch_id = ? AND check_name NOT IN "
      "('link_rows_have_their_movie', 'rating_totals_match_ratings')",
      {&id, 1}, [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
        recorded = row[0] ? std::stoull(*row[0]) : 0;
      });
  return recorded + 2 >= data_check_names().size();
}

}  // namespace marquee::pipeline
