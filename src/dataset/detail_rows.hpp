#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataset/movie_row.hpp"

namespace marquee::dataset {

/// The files of the archive beside movies_metadata.csv (SPEC 3.5), in the order a batch loads
/// them: links before ratings, so that a report never sees a rating without its link's batch.
enum class DetailFile { kLinks, kKeywords, kCredits, kRatings };
inline constexpr DetailFile kDetailFiles[] = {DetailFile::kLinks, DetailFile::kKeywords,
                                              DetailFile::kCredits, DetailFile::kRatings};
/// The entry's base name: "links.csv".
std::string_view entry_name(DetailFile file);

/// One accepted row of links.csv: a MovieLens movie and the TMDB movie it is (none when the
/// tmdbId is empty: its ratings stay out of the rating reports).
struct LinkRow {
  std::int64_t movielens_id = 0;
  std::optional<std::string> imdb_id;  ///< as given ("0114709"): its leading zeros are its form
  std::optional<std::int64_t> tmdb_id;
};

/// One accepted row of ratings.csv. The rating is kept in half stars (1..10) so that every sum
/// is an exact integer.
struct RatingRow {
  std::int64_t user_id = 0;
  std::int64_t movielens_id = 0;
  int rating_halves = 0;
  std::int64_t rated_at = 0;  ///< seconds since 1970-01-01 UTC, as given
};

/// One accepted row of keywords.csv: a movie's whole keyword list (distinct ids).
struct KeywordsRow {
  std::int64_t movie_id = 0;
  std::vector<NamedItem> keywords;
};

/// A person as a credit names them; their latest name, gender and picture win.
struct PersonItem {
  std::int64_t id = 0;
  std::optional<std::string> name;
  std::optional<std::int64_t> gender;
  std::optional<std::string> profile_path;
};

struct CastItem {
  std::string credit_id;
  PersonItem person;
  std::optional<std::string> character;
  std::optional<std::int64_t> cast_order;
};

struct CrewItem {
  std::string credit_id;
  PersonItem person;
  std::optional<std::string> department;
  std::optional<std::string> job;
};

/// One accepted row of credits.csv: a movie's whole cast and crew (distinct credit ids).
struct CreditsRow {
  std::int64_t movie_id = 0;
  std::vector<CastItem> cast;
  std::vector<CrewItem> crew;
};

}  // namespace marquee::dataset
