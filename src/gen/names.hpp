#pragma once

// Names that must be the same wherever an id appears (company, collection, keyword, person): each
// is a pure function of the seed and the id. And the titles of movies and collections.

#include <cstdint>
#include <string>

#include "gen/layout.hpp"
#include "gen/random.hpp"
#include "gen/vocabulary.hpp"

namespace marquee::gen {

std::string company_name(const Dataset& data, std::uint64_t id);
/// The keywords of the first ranks are the real file's most used ones.
std::string keyword_name(const Dataset& data, std::uint64_t rank, std::uint64_t id);

struct Person {
  std::string name;
  int gender;
  bool has_profile;
};

Person person(const Dataset& data, std::uint64_t id);

std::string english_title(Rng& rng);
/// A title in the language of a film (one of kLanguages with words of its own).
std::string native_title(Rng& rng, const Language& language);

}  // namespace marquee::gen
