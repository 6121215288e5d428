#include "report/movie_list.hpp"

#include <nlohmann/json.hpp>

#include "format/csv_field.hpp"
#include "report/exact_sum.hpp"

namespace marquee::report {
namespace {

using nlohmann::ordered_json;

std::optional<std::string> decimal(const std::optional<std::int64_t>& v) {
  if (!v) return std::nullopt;
  return std::to_string(*v);
}

ordered_json json_of(const std::optional<std::int64_t>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json json_of(const std::optional<std::string>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json row_json(const store::GroupMovie& movie) {
  auto cells = movie_cells(movie);
  const std::vector<ordered_json> values = {movie.id,
                                            json_of(movie.title),
                                            json_of(movie.release_date),
                                            json_of(movie.budget),
                                            json_of(movie.revenue),
                                            json_of(cells[5])};
  ordered_json row = ordered_json::object();
  for (std::size_t i = 0; i < kMovieListColumns.size(); ++i)
    row[std::string(kMovieListColumns[i])] = values[i];
  return row;
}

}  // namespace

std::vector<std::optional<std::string>> movie_cells(const store::GroupMovie& movie) {
  std::optional<std::string> popularity;
  if (movie.popularity_micros) popularity = micros_to_decimal(*movie.popularity_micros);
  return {std::to_string(movie.id), movie.title, movie.release_date, decimal(movie.budget),
          decimal(movie.revenue),   popularity};
}

std::string movie_list_csv(const std::vector<store::GroupMovie>& movies) {
  std::string out;
  for (std::size_t i = 0; i < kMovieListColumns.size(); ++i) {
    if (i > 0) out += ',';
    out += kMovieListColumns[i];
  }
  out += '\n';
  for (const auto& movie : movies) {
    auto cells = movie_cells(movie);
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      if (cells[i]) format::append_csv_field(out, *cells[i]);
    }
    out += '\n';
  }
  return out;
}

std::string movie_list_json(const MovieListing& listing) {
  ordered_json body = ordered_json::object();
  if (listing.company) {
    body["company_id"] = listing.company->id;
    body["company_name"] = listing.company->name;
  }
  if (listing.company || listing.genre) {
    body["genre_id"] = listing.genre ? ordered_json(listing.genre->id) : ordered_json(nullptr);
    body["genre_name"] = listing.genre ? ordered_json(listing.genre->name) : ordered_json(nullptr);
  }
  body["year"] = listing.year;
  body["columns"] = ordered_json::array();
  for (auto column : kMovieListColumns) body["columns"].push_back(std::string(column));
  body["count"] = listing.movies.size();
  body["rows"] = ordered_json::array();
  for (const auto& movie : listing.movies) body["rows"].push_back(row_json(movie));
  return body.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace marquee::report
