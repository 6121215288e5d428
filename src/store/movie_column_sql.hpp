#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "dataset/movie_columns.hpp"

namespace marquee::store {

/// "imdb_id, title, …": the scalar movie columns of dataset::kMovieColumns, in order.
inline std::string movie_column_list(std::string_view prefix = "") {
  std::string out;
  for (const auto& c : dataset::kMovieColumns)
    out += fmt::format("{}{}{}", out.empty() ? "" : ", ", prefix, c.name);
  return out;
}

/// "imdb_id = s.imdb_id, title = s.title, …" for the movie columns of `table`.
inline std::string movie_columns_set_from(std::string_view table) {
  std::string out;
  for (const auto& c : dataset::kMovieColumns)
    out += fmt::format("{}{} = {}.{}", out.empty() ? "" : ", ", c.name, table, c.name);
  return out;
}

/// "?, ?, …": `n` portable placeholders.
inline std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

/// Calls `visit` with the column's value in `row`, as a const std::optional<T>& of the member's
/// type (std::string, bool, int, std::int64_t or double).
template <typename Visit>
void visit_movie_column(const dataset::MovieRow& row, const dataset::MovieColumn& column,
                        Visit&& visit) {
  std::visit(
      [&](auto field) {
        if constexpr (std::is_member_object_pointer_v<decltype(field)>) {
          visit(row.*field);
        } else {
          visit(field(row));
        }
      },
      column.field);
}

}  // namespace marquee::store
