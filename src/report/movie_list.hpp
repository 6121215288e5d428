#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataset/movie_row.hpp"
#include "store/store.hpp"

namespace marquee::report {

/// The columns of a list of the movies behind a report row, in the order CSV and JSON write them.
inline constexpr std::array<std::string_view, 6> kMovieListColumns = {
    "id", "title", "release_date", "budget", "revenue", "popularity"};

/// The movies behind one report row and the row they make up (`marquee movies`, the API).
struct MovieListing {
  std::optional<dataset::NamedItem> company;
  std::optional<dataset::NamedItem> genre;
  std::int64_t year = 0;
  std::vector<store::GroupMovie> movies;
};

/// One movie's cells as the reports write values (SPEC 5): integers in plain decimal, NULL as
/// nullopt, popularity with exactly six digits after the point.
std::vector<std::optional<std::string>> movie_cells(const store::GroupMovie& movie);

/// The movies as CSV: a header row of kMovieListColumns, LF line ends, fields quoted only when
/// they need it (format::append_csv_field), NULL as an empty field.
std::string movie_list_csv(const std::vector<store::GroupMovie>& movies);

/// The listing as JSON: a company's list has company_id, company_name, genre_id and genre_name
/// (null without a genre), a genre's list genre_id and genre_name; then year, columns, count
/// and rows, each row an object with exactly the columns' keys (integers as numbers, popularity
/// as its six-decimal string, NULL as null), as the API serves report rows.
std::string movie_list_json(const MovieListing& listing);

}  // namespace marquee::report
