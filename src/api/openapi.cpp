#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/routes.hpp"
#include "api/server.hpp"

namespace marquee::api {
namespace {

using nlohmann::ordered_json;

ordered_json integer(bool nullable = false) {
  ordered_json s = {{"type", "integer"}, {"format", "int64"}};
  if (nullable) s["nullable"] = true;
  return s;
}

/// An exact total (SPEC 5): a number while it fits 64 bits, else its decimal digits as a string.
ordered_json total() {
  return {
      {"nullable", true},
      {"oneOf",
       {{{"type", "integer"}, {"format", "int64"}},
        {{"type", "string"}, {"pattern", "^-?[0-9]+$"}}}},
      {"description", "exact total; beyond the int64 range served as a string of decimal digits"}};
}

ordered_json string(bool nullable = false) {
  ordered_json s = {{"type", "string"}};
  if (nullable) s["nullable"] = true;
  return s;
}

ordered_json popularity() {
  return {{"type", "string"},
          {"nullable", true},
          {"pattern", "^-?[0-9]+\\.[0-9]{6}$"},
          {"description",
           "Mean popularity rounded half to even to exactly six decimals, as the report CSV writes "
           "it; a string so "
           "that no digit is lost. Null when no movie of the group has a popularity."}};
}

ordered_json rating() {
  return {{"type", "string"},
          {"pattern", "^[0-9]+\\.[0-9]{4}$"},
          {"description",
           "Mean rating (0.5 to 5 stars) of the group's ratings, rounded half to even to exactly "
           "four decimals, as the report CSV writes it; a string so that no digit is lost. Never "
           "null: a group without ratings has no row."}};
}

ordered_json ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

/// An object schema whose properties are all required, in the order the API writes them.
ordered_json object(std::vector<std::pair<std::string, ordered_json>> properties,
                    std::string description = "") {
  ordered_json props = ordered_json::object();
  ordered_json required = ordered_json::array();
  for (auto& [name, schema] : properties) {
    required.push_back(name);
    props[name] = std::move(schema);
  }
  ordered_json s = {
      {"type", "object"}, {"required", std::move(required)}, {"properties", std::move(props)}};
  if (!description.empty()) s["description"] = std::move(description);
  return s;
}

ordered_json array_of(const std::string& name) {
  return {{"type", "array"}, {"items", ref(name)}};
}

ordered_json columns() {
  return {{"type", "array"},
          {"items", {{"type", "string"}}},
          {"description", "The report's columns, in CSV order."}};
}

/// Whom the rows of a response are about, named before them.
enum class RowsOf { kAll, kCompany, kGenre };

/// Responses carrying report rows: the report's columns and its rows with exactly those keys.
ordered_json rows_response(const std::string& row, RowsOf of) {
  std::vector<std::pair<std::string, ordered_json>> props;
  if (of == RowsOf::kCompany) {
    props.emplace_back("company_id", integer());
    props.emplace_back("company_name", string());
  } else if (of == RowsOf::kGenre) {
    props.emplace_back("genre_id", integer());
    props.emplace_back("genre_name", string());
  }
  props.emplace_back("columns", columns());
  props.emplace_back("count", integer());
  props.emplace_back("rows", array_of(row));
  return object(std::move(props));
}

ordered_json movie_popularity() {
  return {{"type", "string"},
          {"nullable", true},
          {"pattern", "^-?[0-9]+\\.[0-9]{6}$"},
          {"description",
           "The movie's popularity with exactly six decimals, as stored and as the reports count "
           "it; null when unknown."}};
}

/// The movies behind one report row, with the row's keys before them.
ordered_json movies_response(bool of_company) {
  std::vector<std::pair<std::string, ordered_json>> props;
  if (of_company) {
    props.emplace_back("company_id", integer());
    props.emplace_back("company_name", string());
  }
  props.emplace_back("genre_id", integer(of_company));
  props.emplace_back("genre_name", string(of_company));
  props.emplace_back("year", integer());
  props.emplace_back("columns", columns());
  props.emplace_back("count", integer());
  props.emplace_back("rows", array_of("MovieRow"));
  return object(std::move(props));
}

ordered_json page(const std::string& item) {
  return object({{"total", integer()},
                 {"limit", integer()},
                 {"offset", integer()},
                 {"items", array_of(item)}});
}

ordered_json schemas() {
  ordered_json s = ordered_json::object();
  s["Error"] = object(
      {{"error", string()}, {"parameter", string()}},
      "A rejected request. `parameter` names the offending parameter; it is absent for unknown "
      "routes and store failures.");
  s["Error"]["required"] = {"error"};
  s["CompanyYearlyRow"] = object({{"company_id", integer()},
                                  {"company_name", string()},
                                  {"year", integer()},
                                  {"movies", integer()},
                                  {"budget_movies", integer()},
                                  {"total_budget", total()},
                                  {"revenue_movies", integer()},
                                  {"total_revenue", total()},
                                  {"profit_movies", integer()},
                                  {"total_profit", total()},
                                  {"avg_popularity", popularity()}},
                                 "One row of company_yearly.csv.");
  s["CompanyGenreRow"] = object({{"company_id", integer()},
                                 {"company_name", string()},
                                 {"year", integer()},
                                 {"genre_id", integer()},
                                 {"genre_name", string()},
                                 {"releases", integer()}},
                                "One row of company_genre_yearly.csv.");
  s["GenreYearlyRow"] = object({{"year", integer()},
                                {"genre_id", integer()},
                                {"genre_name", string()},
                                {"movies", integer()},
                                {"avg_popularity", popularity()},
                                {"popularity_rank", integer()},
                                {"budget_movies", integer()},
                                {"total_budget", total()},
                                {"revenue_movies", integer()},
                                {"total_revenue", total()},
                                {"profit_movies", integer()},
                                {"total_profit", total()}},
                               "One row of genre_yearly.csv.");
  s["MostPopularRow"] = object({{"year", integer()},
                                {"genre_id", integer()},
                                {"genre_name", string()},
                                {"movies", integer()},
                                {"avg_popularity", popularity()}},
                               "One row of most_popular_genre_by_year.csv.");
  s["GenreRatingRow"] = object({{"year", integer()},
                                {"genre_id", integer()},
                                {"genre_name", string()},
                                {"rated_movies", integer()},
                                {"ratings", integer()},
                                {"avg_rating", rating()}},
                               "One row of genre_rating_yearly.csv: the genre's movies of the "
                               "year with at least one MovieLens rating, and their ratings.");
  s["CompanyRatingRow"] = object({{"company_id", integer()},
                                  {"company_name", string()},
                                  {"year", integer()},
                                  {"rated_movies", integer()},
                                  {"ratings", integer()},
                                  {"avg_rating", rating()}},
                                 "One row of company_rating_yearly.csv: the company's movies of "
                                 "the year with at least one MovieLens rating, and their ratings.");
  s["MovieRow"] = object({{"id", integer()},
                          {"title", string(true)},
                          {"release_date", string(true)},
                          {"budget", integer(true)},
                          {"revenue", integer(true)},
                          {"popularity", movie_popularity()}},
                         "One movie behind a report row; null budget or revenue is unknown.");
  s["Company"] =
      object({{"id", integer()},
              {"name", string()},
              {"movies", integer()},
              {"first_year", integer(true)},
              {"last_year", integer(true)},
              {"rated_movies", integer()},
              {"ratings", integer()}},
             "`movies` counts the company's movies that have a release year: the sum of its "
             "company_yearly movies. `rated_movies` and `ratings` are the sums of its "
             "company_rating_yearly rows: those movies with a MovieLens rating, and their ratings "
             "(0 when none are loaded).");
  s["Genre"] = object({{"id", integer()},
                       {"name", string()},
                       {"movies", integer()},
                       {"first_year", integer(true)},
                       {"last_year", integer(true)},
                       {"rated_movies", integer()},
                       {"ratings", integer()}},
                      "`movies` counts the genre's movies that have a release year: the sum of "
                      "its genre_yearly movies. `rated_movies` and `ratings` are the sums of its "
                      "genre_rating_yearly rows (0 when no ratings are loaded).");
  s["Batch"] = object({{"id", integer()},
                       {"source", string()},
                       {"sha256", string()},
                       {"etag", string(true)},
                       {"staged_at", string(true)},
                       {"started_at", string()},
                       {"finished_at", string(true)},
                       {"status", {{"type", "string"}, {"enum", {"started", "loaded", "failed"}}}},
                       {"rows_read", integer()},
                       {"rows_loaded", integer()},
                       {"rows_rejected", integer()},
                       {"duplicate_superseded", integer()},
                       {"older_than_loaded", integer()},
                       {"warnings", integer()},
                       {"data_time", string()},
                       {"movies", {{"nullable", true}, {"allOf", {ref("MovieChanges")}}}}},
                      "One row of ingest_batch. data_time orders the versions of a movie: a "
                      "record never replaces one of a newer data time (older_than_loaded counts "
                      "those, inside duplicate_superseded).");
  s["CompanyList"] = page("Company");
  s["CompanyYearly"] = rows_response("CompanyYearlyRow", RowsOf::kCompany);
  s["CompanyGenres"] = rows_response("CompanyGenreRow", RowsOf::kCompany);
  s["CompanyRatings"] = rows_response("CompanyRatingRow", RowsOf::kCompany);
  s["GenreList"] = object({{"count", integer()}, {"items", array_of("Genre")}});
  s["GenreYearly"] = rows_response("GenreYearlyRow", RowsOf::kAll);
  s["MostPopular"] = rows_response("MostPopularRow", RowsOf::kAll);
  s["GenreRatingYearly"] = rows_response("GenreRatingRow", RowsOf::kAll);
  s["GenreRatings"] = rows_response("GenreRatingRow", RowsOf::kGenre);
  s["CompanyMovies"] = movies_response(true);
  s["GenreMovies"] = movies_response(false);
  s["BatchList"] = page("Batch");
  s["MovieChanges"] = object({{"new", integer()},
                              {"updated", integer()},
                              {"unchanged", integer()},
                              {"removed", integer()}},
                             "What a loaded batch did to the movies, against the state before it: "
                             "null for a batch that failed or was loaded before schema version 3.");
  s["ReportChange"] = object({{"rows_added", integer()},
                              {"rows_changed", integer()},
                              {"rows_removed", integer()},
                              {"changed_keys", {{"type", "array"}, {"items", string()}}}},
                             "How a report file differs from the one it replaced, by the report's "
                             "key; changed_keys holds the first 20.");
  // A Batch with two more properties, flat so that clients see one object.
  ordered_json detail = s["Batch"];
  detail["properties"]["message"] = string(true);
  detail["properties"]["reports"] = {{"type", "object"},
                                     {"additionalProperties", ref("ReportChange")}};
  detail["required"].push_back("message");
  detail["required"].push_back("reports");
  detail["description"] =
      "One row of ingest_batch with its failure message (null unless it failed) and how each "
      "report differs from the file it replaced, by report name (empty unless the batch was the "
      "last of a run that wrote the reports).";
  s["BatchDetail"] = std::move(detail);
  s["Health"] = object({{"status", {{"type", "string"}, {"enum", {"ok"}}}},
                        {"engine", string()},
                        {"store", string()},
                        {"loaded_batches", integer()},
                        {"last_batch_id", integer(true)},
                        {"last_batch_finished_at", string(true)},
                        {"reports_built_at", string(true)}});
  s["Unavailable"] =
      object({{"status", {{"type", "string"}, {"enum", {"unavailable"}}}}, {"error", string()}});
  s["OpenApi"] = {{"type", "object"}, {"description", "This document."}};
  return s;
}

ordered_json parameter(const ParamSpec& p) {
  ordered_json schema;
  switch (p.kind) {
    case ParamKind::kInteger:
    case ParamKind::kYear:
      schema = integer();
      schema["minimum"] = p.min;
      if (p.max != std::numeric_limits<std::int64_t>::max()) schema["maximum"] = p.max;
      if (p.default_integer) schema["default"] = *p.default_integer;
      break;
    case ParamKind::kText:
      schema = {{"type", "string"}, {"maxLength", p.max_length}};
      break;
    case ParamKind::kChoice:
      schema = {{"type", "string"}, {"enum", p.choices}, {"default", p.choices.front()}};
      break;
  }
  return {{"name", p.name},
          {"in", p.in == ParamIn::kPath ? "path" : "query"},
          {"required", p.in == ParamIn::kPath || p.required},
          {"description", p.description},
          {"schema", std::move(schema)}};
}

ordered_json json_content(const std::string& schema) {
  return {{"application/json", {{"schema", ref(schema)}}}};
}

}  // namespace

nlohmann::ordered_json openapi_document() {
  ordered_json paths = ordered_json::object();
  for (const auto& route : route_table()) {
    ordered_json params = ordered_json::array();
    for (const auto& p : route.params) params.push_back(parameter(p));
    ordered_json responses = {
        {"200", {{"description", "OK"}, {"content", json_content(route.response_schema)}}}};
    if (!route.params.empty()) {
      responses["400"] = {
          {"description",
           "A parameter is malformed, out of range, unknown, repeated, or names no company or "
           "genre; `parameter` says which."},
          {"content", json_content("Error")}};
    }
    if (route.path == "/health") {
      responses["503"] = {{"description", "The store does not answer."},
                          {"content", json_content("Unavailable")}};
    } else if (route.path != "/api/openapi.json") {
      responses["503"] = {{"description", "The store failed while answering."},
                          {"content", json_content("Error")}};
    }
    paths[route.path]["get"] = {{"operationId", route.operation_id},
                                {"summary", route.summary},
                                {"description", route.description},
                                {"parameters", std::move(params)},
                                {"responses", std::move(responses)}};
  }
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "marquee API"},
            {"version", "1.0.0"},
            {"description",
             "Read-only answers to the questions of SPEC section 2, and the MovieLens ratings "
             "per genre and per company, from the same sql/reports/ queries as the report CSVs "
             "and with the same digits. Integers are JSON numbers; avg_popularity is the CSV's "
             "six-decimal string, avg_rating its four-decimal string; an empty CSV field is "
             "null. An empty query value counts as absent."}}},
          {"paths", std::move(paths)},
          {"components", {{"schemas", schemas()}}}};
}

}  // namespace marquee::api
