#pragma once

// The Python-literal columns of movies_metadata.csv (belongs_to_collection, genres,
// production_companies, production_countries, spoken_languages), each written as pandas wrote
// str() of the list or dict: a CSV field, quoted when it holds a comma or a quote.

#include <cstdint>
#include <string>

#include "gen/layout.hpp"
#include "gen/random.hpp"
#include "gen/vocabulary.hpp"

namespace marquee::gen {

/// {'id': .., 'name': .., 'poster_path': .., 'backdrop_path': ..}, the same for every movie of
/// the collection.
void append_collection(std::string& out, const Dataset& data, std::uint64_t collection);
/// [{'id': 16, 'name': 'Animation'}, ...], each genre once.
void append_genres(std::string& out, Rng& rng);
/// [{'name': .., 'id': ..}, ...] sorted by id: a few real major companies, the rest synthetic.
void append_companies(std::string& out, Rng& rng, const Dataset& data);
/// [{'iso_3166_1': 'US', 'name': 'United States of America'}, ...]
void append_countries(std::string& out, Rng& rng);
/// [{'iso_639_1': 'en', 'name': 'English'}, ...], the original language first; names sometimes
/// empty, as TMDB has them.
void append_spoken_languages(std::string& out, Rng& rng, const Language& original);

}  // namespace marquee::gen
