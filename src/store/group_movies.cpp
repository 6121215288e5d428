#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "common/error.hpp"
#include "store/embedded_sql.hpp"
#include "store/store.hpp"

namespace marquee::store {
namespace {

std::int64_t integer_cell(const Cell& cell, std::string_view column) {
  std::int64_t v = 0;
  const std::string text = cell.value_or("");
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw Error(ExitCode::kDatabase,
                fmt::format("movie {}: '{}' is not an integer; the schema and sql/movies/ "
                            "disagree, rebuild marquee from one revision",
                            column, text));
  }
  return v;
}

std::optional<std::int64_t> optional_integer(const Cell& cell, std::string_view column) {
  if (!cell) return std::nullopt;
  return integer_cell(cell, column);
}

/// The id that text of decimal digits names; nullopt for anything else (a genre's name).
std::optional<std::int64_t> decimal_id(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

char fold(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

}  // namespace

std::vector<GroupMovie> Store::group_movies(const MovieGroup& group) {
  std::string file;
  std::vector<Param> params;
  if (group.company_id && group.genre_id) {
    file = "movies/company_genre_year.sql";
    params = {*group.company_id, *group.genre_id, group.year};
  } else if (group.company_id) {
    file = "movies/company_year.sql";
    params = {*group.company_id, group.year};
  } else if (group.genre_id) {
    file = "movies/genre_year.sql";
    params = {*group.genre_id, group.year};
  } else {
    throw Error(ExitCode::kUsage, "a group of movies needs a company, a genre or both");
  }
  std::vector<GroupMovie> movies;
  query(embedded_sql(file), params,
        [&](const std::vector<std::string>&, const std::vector<Cell>& row) {
          GroupMovie m;
          m.id = integer_cell(row.at(0), "id");
          m.title = row.at(1);
          m.release_date = row.at(2);
          m.budget = optional_integer(row.at(3), "budget");
          m.revenue = optional_integer(row.at(4), "revenue");
          m.popularity_micros = optional_integer(row.at(5), "popularity_micros");
          movies.push_back(std::move(m));
        });
  return movies;
}

std::optional<std::string> Store::company_name(std::int64_t id) {
  std::optional<std::string> name;
  std::vector<Param> params = {id};
  query("SELECT name FROM production_company WHERE id = ?", params,
        [&](const std::vector<std::string>&, const std::vector<Cell>& row) {
          name = row.at(0).value_or("");
        });
  return name;
}

std::optional<dataset::NamedItem> Store::find_genre(std::string_view id_or_name) {
  // The genre table is small (20 rows in the real data): matched here rather than with SQL's
  // lower(), which folds non-ASCII letters on PostgreSQL but not on SQLite.
  std::vector<dataset::NamedItem> genres;
  query("SELECT id, name FROM genre ORDER BY id", {},
        [&](const std::vector<std::string>&, const std::vector<Cell>& row) {
          genres.push_back({integer_cell(row.at(0), "genre id"), row.at(1).value_or("")});
        });
  const auto id = decimal_id(id_or_name);
  for (const auto& g : genres) {
    if (id ? g.id == *id : equal_ignoring_ascii_case(g.name, id_or_name)) return g;
  }
  return std::nullopt;
}

}  // namespace marquee::store
