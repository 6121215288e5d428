#pragma once

// The random values of a movie's plain columns, drawn as the real file distributes them.

#include <cstdint>
#include <string>

#include "gen/random.hpp"

namespace marquee::gen {

/// A budget or revenue in dollars: mostly millions, some tiny values as in the real file.
std::uint64_t money(Rng& rng);
/// A popularity in millionths, heavy-tailed up to 547.488298.
std::uint64_t popularity_micros(Rng& rng);
/// A release date YYYY-MM-DD from 1874 to 2020.
void append_date(std::string& out, Rng& rng);
/// A sentence of lower-case words, capitalized, with no comma when `plain` (for the overviews
/// that must stay unquoted).
void append_sentence(std::string& out, Rng& rng, bool plain);
/// An overview's text, empty for a movie without one; the caller quotes it as a CSV field.
void append_overview(std::string& text, Rng& rng);

}  // namespace marquee::gen
