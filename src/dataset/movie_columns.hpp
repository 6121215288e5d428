#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "dataset/movie_row.hpp"

namespace marquee::dataset {

using TextMember = std::optional<std::string> MovieRow::*;
using BoolMember = std::optional<bool> MovieRow::*;
using IntMember = std::optional<int> MovieRow::*;
using Int64Member = std::optional<std::int64_t> MovieRow::*;
using RealMember = std::optional<double> MovieRow::*;
/// A column computed from the row rather than held in one member.
using DerivedReal = std::optional<double> (*)(const MovieRow&);
using DerivedInt64 = std::optional<std::int64_t> (*)(const MovieRow&);
using MovieField = std::variant<TextMember, BoolMember, IntMember, Int64Member, RealMember,
                                DerivedReal, DerivedInt64>;

/// One scalar column of the movie table: its name in SQL (and in CSV) and where its value is.
struct MovieColumn {
  std::string_view name;
  MovieField field;
};

/// Popularity as a float for the column that SQL sums and averages approximately.
inline std::optional<double> popularity_of(const MovieRow& row) {
  if (!row.popularity_micros) return std::nullopt;
  return static_cast<double>(*row.popularity_micros) / 1e6;
}

inline std::optional<std::int64_t> collection_id_of(const MovieRow& row) {
  if (!row.collection) return std::nullopt;
  return row.collection->id;
}

/// The scalar movie columns in table order, between the key (id) and the load's own columns
/// (batch_id, source_line). Both stores write movie, its staging tables and movie_version from
/// this table: a new column is one row here, its MovieRow member and the schema migration.
inline constexpr MovieColumn kMovieColumns[] = {
    {"imdb_id", &MovieRow::imdb_id},
    {"title", &MovieRow::title},
    {"original_title", &MovieRow::original_title},
    {"original_language", &MovieRow::original_language},
    {"overview", &MovieRow::overview},
    {"tagline", &MovieRow::tagline},
    {"homepage", &MovieRow::homepage},
    {"poster_path", &MovieRow::poster_path},
    {"status", &MovieRow::status},
    {"adult", &MovieRow::adult},
    {"video", &MovieRow::video},
    {"release_date", &MovieRow::release_date},
    {"release_year", &MovieRow::release_year},
    {"budget", &MovieRow::budget},
    {"revenue", &MovieRow::revenue},
    {"popularity", &popularity_of},
    {"popularity_micros", &MovieRow::popularity_micros},
    {"runtime", &MovieRow::runtime},
    {"vote_average", &MovieRow::vote_average},
    {"vote_count", &MovieRow::vote_count},
    {"collection_id", &collection_id_of},
};

}  // namespace marquee::dataset
