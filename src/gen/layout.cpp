#include "gen/layout.hpp"

#include <algorithm>
#include <cmath>

namespace marquee::gen {
namespace {

std::uint64_t scaled(double real_count, double scale) {
  return static_cast<std::uint64_t>(std::llround(real_count * scale));
}

}  // namespace

Plan make_plan(const GenerateOptions& options) {
  Plan plan;
  plan.seed = options.seed;
  plan.scale = options.scale;
  const double s = options.scale;
  plan.movies = std::max<std::uint64_t>(1, scaled(45433, s));
  // The real file's quirks come in small numbers; keep at least one of each once the file is
  // big enough (100 movies) for them not to dominate it.
  const bool room = plan.movies >= 100;
  auto at_least_one = [&](double real) {
    return room ? std::max<std::uint64_t>(1, scaled(real, s)) : scaled(real, s);
  };
  plan.identical_ids = at_least_one(16);
  plan.duplicated_ids = plan.identical_ids + at_least_one(13);
  plan.doubled_ids = std::min(plan.duplicated_ids, scaled(1, s));
  plan.bare_cr = std::max<std::uint64_t>(1, scaled(3, s));
  plan.blank_overviews = std::max<std::uint64_t>(1, scaled(5, s));
  plan.empty_tmdb_links = at_least_one(219);
  plan.orphan_links = at_least_one(161);
  plan.keyword_copies = at_least_one(987);
  plan.credit_copies = at_least_one(44);
  plan.credit_conflicts = std::min(plan.credit_copies, at_least_one(7));
  plan.ratings = options.ratings_scale > 0 ? scaled(26024289, options.ratings_scale) : 1000;
  plan.ratings_small = std::clamp<std::uint64_t>(scaled(100004, s), 100, 100004);
  plan.companies = std::max<std::uint64_t>(64, scaled(40000, s));
  plan.collections = std::max<std::uint64_t>(8, scaled(1700, s));
  plan.keywords = std::max<std::uint64_t>(200, scaled(20000, s));
  plan.persons = std::max<std::uint64_t>(1000, scaled(400000, s));
  return plan;
}

Dataset::Dataset(const Plan& plan)
    : plan_(plan),
      movie_ids_(10 * (plan.movies + plan.orphan_links) + 10,
                 stream_key(plan.seed, Stream::kMovieIds)),
      imdb_ids_(std::max<std::uint64_t>(9000000, 8 * plan.link_rows()),
                stream_key(plan.seed, Stream::kImdbIds)),
      link_popularity_(plan.link_rows(), stream_key(plan.seed, Stream::kLinkIds)),
      company_ids_(4 * plan.companies, stream_key(plan.seed, Stream::kCompanyIds)),
      collection_ids_(60 * plan.collections, stream_key(plan.seed, Stream::kCollectionIds)),
      keyword_ids_(12 * plan.keywords, stream_key(plan.seed, Stream::kKeywordIds)),
      person_ids_(5 * plan.persons, stream_key(plan.seed, Stream::kPersonIds)),
      bare_cr_(plan.bare_cr, plan.movies, 4),
      blank_(plan.blank_overviews, plan.movies, 3),
      duplicates_(plan.duplicated_ids, plan.movies, 5),
      empty_links_(plan.empty_tmdb_links, plan.movies, 2),
      orphan_links_(plan.orphan_links, plan.movies, 6),
      keyword_copies_(plan.keyword_copies, plan.movies, 4),
      credit_copies_(plan.credit_copies, plan.movies, 1) {}

std::uint64_t Dataset::movielens_id(std::uint64_t row) const {
  std::uint64_t dense = plan_.link_rows() / 5;
  if (row < dense) {
    return row + 1;
  }
  return dense + 1 + (row - dense) * 4 + mix(plan_.seed, row) % 4;
}

std::uint64_t Dataset::duplicate_source(std::uint64_t j) const {
  std::uint64_t position = duplicates_.at(j);
  std::uint64_t spacing = plan_.movies / std::max<std::uint64_t>(1, plan_.duplicated_ids);
  std::uint64_t gap = mix(stream_key(plan_.seed, Stream::kDuplicates), j) %
                      (std::min<std::uint64_t>(spacing / 2, 1000) + 1);
  std::uint64_t source = position - std::min(gap, position);
  while (source > 0 && is_bare_cr(source)) {
    --source;
  }
  return source;
}

}  // namespace marquee::gen
