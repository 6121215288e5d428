#pragma once

#include <cstdint>

#include "dataset/movie_row.hpp"

namespace marquee::dataset {

/// A 64-bit digest of everything a record puts in the model: every movie column, the
/// collection, and the genres, companies, countries and languages with their names, the lists
/// taken as sets (the model keeps no order). Equal records give equal digests on every run and
/// machine; the line a record is on is not part of it. A batch compares it with the loaded
/// version's to tell an updated movie from an unchanged one (a 2^-64 chance of calling a
/// changed record unchanged).
std::int64_t content_hash(const MovieRow& row);

}  // namespace marquee::dataset
