#include "pipeline/data_checks.hpp"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/embedded_sql.hpp"

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
      "release_year_in_range", "budget_and_revenue_positive", "batch_rows_balance"};
  return kNames;
}

std::vector<CheckResult> run_data_checks(store::Store& store) {
  std::vector<CheckResult> results;
  for (const auto& name : data_check_names()) {
    auto started = std::chrono::steady_clock::now();
    std::string sql = store::embedded_sql("checks/" + name + ".sql");
    std::vector<store::Param> params;
    if (name == "release_year_in_range") params.emplace_back(latest_plausible_year());
    CheckResult result{name, 0, {}, 0};
    store.query(sql, params, [&](const auto&, const std::vector<store::Cell>& row) {
      ++result.failing;
      if (result.examples.size() < kExamples) result.examples.push_back(row[0] ? *row[0] : "");
    });
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (result.failing == 0) {
      spdlog::info("check {}: passed in {:.2f}s", name, result.seconds);
    } else {
      spdlog::warn("check {}: {} failing keys (sql/checks/{}.sql), first: {}", name, result.failing,
                   name, fmt::join(result.examples, ", "));
    }
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace marquee::pipeline
