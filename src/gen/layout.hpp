#pragma once

// The layout of one dataset: how many of everything, and where the quirks go.

#include <cstdint>

#include "gen/generator.hpp"
#include "gen/random.hpp"

namespace marquee::gen {

struct Plan {
  std::uint64_t seed = 1;
  double scale = 1.0;
  std::uint64_t movies = 0;            ///< distinct ids in movies_metadata.csv
  std::uint64_t duplicated_ids = 0;    ///< ids with extra copies ...
  std::uint64_t identical_ids = 0;     ///< ... the first ones identical, the rest conflicting
  std::uint64_t doubled_ids = 0;       ///< ... the first ones with two extra copies, not one
  std::uint64_t bare_cr = 0;           ///< unquoted overviews holding a bare CR
  std::uint64_t blank_overviews = 0;   ///< overviews of spaces only, besides random ones
  std::uint64_t empty_tmdb_links = 0;  ///< links.csv rows with an empty tmdbId
  std::uint64_t orphan_links = 0;      ///< links.csv rows whose tmdbId is not a movie here
  std::uint64_t keyword_copies = 0;
  std::uint64_t credit_copies = 0;
  std::uint64_t credit_conflicts = 0;
  std::uint64_t ratings = 0;
  std::uint64_t ratings_small = 0;
  std::uint64_t companies = 0;  ///< synthetic company pool
  std::uint64_t collections = 0;
  std::uint64_t keywords = 0;
  std::uint64_t persons = 0;

  std::uint64_t extra_copies() const { return duplicated_ids + doubled_ids; }
  std::uint64_t link_rows() const {
    return movies + extra_copies() + empty_tmdb_links + orphan_links;
  }
};

Plan make_plan(const GenerateOptions& options);

/// Ids, names and schedules shared by every entry of one dataset.
class Dataset {
 public:
  explicit Dataset(const Plan& plan);

  const Plan& plan() const { return plan_; }
  std::uint64_t seed() const { return plan_.seed; }

  std::uint64_t tmdb_id(std::uint64_t movie) const { return 2 + movie_ids_(movie); }
  std::uint64_t orphan_tmdb_id(std::uint64_t k) const { return 2 + movie_ids_(plan_.movies + k); }
  /// imdb numbers: movies first, then repeated links, empty-tmdbId links, orphan links.
  std::uint64_t imdb_number(std::uint64_t index) const { return 1 + imdb_ids_(index); }

  /// The MovieLens movieId of link row r: dense at first, then with gaps, as in the real file.
  std::uint64_t movielens_id(std::uint64_t row) const;
  /// A link row drawn with a heavy-tailed popularity (some movies get most ratings).
  std::uint64_t popular_link_row(Rng& rng, std::uint64_t rows) const {
    std::uint64_t rank = rng.skewed_rank(rows, 2);
    return link_popularity_(rank) % rows;
  }

  bool is_bare_cr(std::uint64_t movie) const { return bare_cr_.contains(movie); }
  bool is_blank(std::uint64_t movie) const { return blank_.contains(movie); }
  /// One movie gets an empty release_date whatever the dice say, so small datasets have one.
  bool is_forced_undated(std::uint64_t movie) const {
    return plan_.movies >= 3 && movie == plan_.movies * 2 / 3 && !is_bare_cr(movie);
  }

  const Spread& duplicates() const { return duplicates_; }
  const Spread& empty_links() const { return empty_links_; }
  const Spread& orphan_links() const { return orphan_links_; }
  const Spread& keyword_copies() const { return keyword_copies_; }
  const Spread& credit_copies() const { return credit_copies_; }

  /// The movie that duplicate j copies: shortly before the place where its copies are written.
  std::uint64_t duplicate_source(std::uint64_t j) const;
  std::uint64_t duplicate_copies(std::uint64_t j) const { return j < plan_.doubled_ids ? 2 : 1; }
  bool duplicate_identical(std::uint64_t j) const { return j < plan_.identical_ids; }
  /// Index of the first extra copy of duplicate j among all extra copies.
  std::uint64_t first_copy_index(std::uint64_t j) const {
    return j + std::min(j, plan_.doubled_ids);
  }

  std::uint64_t company_id(std::uint64_t rank) const { return 100000 + company_ids_(rank); }
  std::uint64_t collection_id(std::uint64_t index) const { return 10 + collection_ids_(index); }
  std::uint64_t keyword_id(std::uint64_t rank) const { return 1 + keyword_ids_(rank); }
  std::uint64_t person_id(std::uint64_t rank) const { return 1 + person_ids_(rank); }

 private:
  Plan plan_;
  Permutation movie_ids_;
  Permutation imdb_ids_;
  Permutation link_popularity_;
  Permutation company_ids_;
  Permutation collection_ids_;
  Permutation keyword_ids_;
  Permutation person_ids_;
  Spread bare_cr_;
  Spread blank_;
  Spread duplicates_;
  Spread empty_links_;
  Spread orphan_links_;
  Spread keyword_copies_;
  Spread credit_copies_;
};

}  // namespace marquee::gen
