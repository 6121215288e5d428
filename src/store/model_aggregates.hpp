#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "store/group_sums.hpp"

namespace marquee::store {

/// What a movie adds to the report aggregates: its release year and the values summed.
struct MovieFigures {
  std::int64_t year = 0;
  std::optional<std::int64_t> budget, revenue, popularity_micros;
};

/// The sums of report_company_year and report_genre_year, in their table order: movies,
/// budget_movies, budget_e9, budget_e0, revenue_movies, revenue_e9, revenue_e0, profit_movies,
/// profit_e9, profit_e0, popularity_movies, popularity_e9, popularity_e0.
inline constexpr std::size_t kFigureSums = 13;

/// Memory for the report aggregates of a first load, on either engine: at scale 1 (45,000
/// movies) the groups fit, at scale 16 they go through sorted runs on disk (group_sums.hpp).
inline constexpr std::size_t kFirstLoadAggregateMemory = std::size_t{16} << 20;

/// The three report aggregates of a whole model, added up in C++ in one pass over its movies
/// (any order) instead of SQL's GROUP BY over a three-way join: what sql/aggregates/ defines, row
/// for row (sql/checks/report_aggregates_match_model proves it in the tests). Keys in table
/// order: (company_id, year), (year, genre_id), (company_id, year, genre_id). Memory is bounded
/// by `memory_bytes` (group_sums.hpp).
class ModelAggregates {
 public:
  /// `memory_bytes` in all, shared as the groups are: years × genres are few.
  explicit ModelAggregates(std::size_t memory_bytes)
      : company_year("report_company_year", memory_bytes / 2),
        genre_year("report_genre_year", memory_bytes / 16),
        company_genre_year("report_company_genre_year", memory_bytes * 7 / 16) {}

  /// A movie with a release year, its companies and its genres each named once (the link
  /// tables' keys).
  void add_movie(const MovieFigures& movie, std::span<const std::int64_t> companies,
                 std::span<const std::int64_t> genres);

  /// Calls `write(sums, table)` for each of the three with its table's name, in the order of
  /// ReportAggregates::kTables: how each engine writes the groups it added up.
  template <typename Write>
  void write_tables(Write&& write) {
    write(company_year, "report_company_year");
    write(genre_year, "report_genre_year");
    write(company_genre_year, "report_company_genre_year");
  }

  GroupSums<2, kFigureSums> company_year;
  GroupSums<2, kFigureSums> genre_year;
  GroupSums<3, 1> company_genre_year;
};

}  // namespace marquee::store
