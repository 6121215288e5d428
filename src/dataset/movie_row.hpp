#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace marquee::dataset {

/// An (id, name) item of a `genres` or `production_companies` list.
struct NamedItem {
  std::int64_t id = 0;
  std::string name;
};

/// A `production_countries` (iso_3166_1) or `spoken_languages` (iso_639_1) item.
struct CodedItem {
  std::string code;
  std::string name;
};

struct Collection {
  std::int64_t id = 0;
  std::optional<std::string> name;
  std::optional<std::string> poster_path;
  std::optional<std::string> backdrop_path;
};

/// One accepted record of movies_metadata.csv, normalized. Empty text fields are NULL.
struct MovieRow {
  std::int64_t id = 0;
  std::uint64_t line = 0;  ///< physical line where the record starts
  std::optional<std::string> imdb_id, title, original_title, original_language, overview, tagline,
      homepage, poster_path, status;
  std::optional<bool> adult, video;
  std::optional<std::string> release_date;  ///< YYYY-MM-DD, NULL when empty or invalid
  std::optional<int> release_year;
  /// 0 in the source means unknown (SPEC 3.4), so it is NULL here, never a zero that would drag
  /// sums and averages down.
  std::optional<std::int64_t> budget, revenue;
  /// Popularity in millionths: SPEC 5 keeps six decimals so that group means are exact.
  std::optional<std::int64_t> popularity_micros;
  std::optional<double> runtime, vote_average, vote_count;
  std::optional<Collection> collection;
  std::vector<NamedItem> genres;     ///< distinct ids, first appearance order
  std::vector<NamedItem> companies;  ///< distinct ids, first appearance order
  std::vector<CodedItem> countries;
  std::vector<CodedItem> languages;
};

}  // namespace marquee::dataset
