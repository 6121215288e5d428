#pragma once

// One record of movies_metadata.csv, a pure function of (seed, movie, variant).

#include <cstdint>
#include <string>
#include <string_view>

#include "gen/layout.hpp"

namespace marquee::gen {

inline constexpr std::string_view kMoviesHeader =
    "adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,"
    "original_title,overview,popularity,poster_path,production_companies,production_countries,"
    "release_date,revenue,runtime,spoken_languages,status,tagline,title,video,vote_average,"
    "vote_count\n";

/// What the manifest counts about a written record.
struct MovieFacts {
  bool empty_date = false;
  bool bare_cr = false;
};

/// Writes one record of movie `movie`. `variant` 0 is the movie itself; a conflicting copy
/// (variant > 0) changes popularity and votes, and for some copies the budget or the date.
MovieFacts append_movie(std::string& out, const Dataset& data, std::uint64_t movie,
                        std::uint64_t variant);

}  // namespace marquee::gen
