#include "store/model_aggregates.hpp"

namespace marquee::store {

void ModelAggregates::add_movie(const MovieFigures& movie, std::span<const std::int64_t> companies,
                                std::span<const std::int64_t> genres) {
  // sql/aggregates/report_company_year.sql for one movie: a value is split as x / 10^9 and
  // x % 10^9 (C++ and SQL both truncate toward zero), an absent one adds nothing.
  constexpr std::int64_t kE9 = 1000000000;
  std::array<std::int64_t, kFigureSums> sums{};
  sums[0] = 1;
  auto split = [&](std::size_t at, const std::optional<std::int64_t>& v) {
    if (!v) return;
    sums[at] = 1;
    sums[at + 1] = *v / kE9;
    sums[at + 2] = *v % kE9;
  };
  split(1, movie.budget);
  split(4, movie.revenue);
  if (movie.budget && movie.revenue) {
    sums[7] = 1;
    sums[8] = *movie.revenue / kE9 - *movie.budget / kE9;
    sums[9] = *movie.revenue % kE9 - *movie.budget % kE9;
  }
  split(10, movie.popularity_micros);

  for (std::int64_t company : companies) company_year.add({{company, movie.year}, sums});
  for (std::int64_t genre : genres) genre_year.add({{movie.year, genre}, sums});
  for (std::int64_t company : companies) {
    for (std::int64_t genre : genres) company_genre_year.add({{company, movie.year, genre}, {1}});
  }
}

}  // namespace marquee::store
