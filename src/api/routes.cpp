#include "api/routes.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/server.hpp"
#include "report/change_json.hpp"
#include "report/movie_list.hpp"

namespace marquee::api {
namespace {

using nlohmann::ordered_json;

constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kMaxEcho = 40;  ///< how much of a bad value an error message repeats

std::string dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string echo(std::string_view value) {
  if (value.size() <= kMaxEcho) return std::string(value);
  return std::string(value.substr(0, kMaxEcho)) + "...";
}

ParamSpec integer_param(std::string name, ParamIn in, std::int64_t min, std::int64_t max,
                        std::optional<std::int64_t> default_value, std::string description) {
  ParamSpec p;
  p.name = std::move(name);
  p.in = in;
  p.kind = ParamKind::kInteger;
  p.min = min;
  p.max = max;
  p.default_integer = default_value;
  p.description = std::move(description);
  return p;
}

ParamSpec year_param(std::string name, std::string description) {
  ParamSpec p = integer_param(std::move(name), ParamIn::kQuery, 1, 9999, std::nullopt,
                              std::move(description));
  p.kind = ParamKind::kYear;
  return p;
}

ParamSpec text_param(std::string name, std::size_t max_length, std::string description) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamKind::kText;
  p.max_length = max_length;
  p.description = std::move(description);
  return p;
}

ParamSpec choice_param(std::string name, std::vector<std::string> choices,
                       std::string description) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamKind::kChoice;
  p.choices = std::move(choices);
  p.description = std::move(description);
  return p;
}

ParamSpec id_param(std::string description) {
  return integer_param("id", ParamIn::kPath, 1, kMaxInt64, std::nullopt, std::move(description));
}

/// The release year of a report row, which a list of the movies behind it cannot do without.
ParamSpec row_year_param() {
  ParamSpec p = year_param("year", "The release year of the report row (required).");
  p.required = true;
  return p;
}

ParamSpec genre_param() {
  return integer_param("genre", ParamIn::kQuery, 1, kMaxInt64, std::nullopt,
                       "Only this genre id (see /api/genres).");
}

std::vector<ParamSpec> year_params() {
  return {year_param("year", "Only this release year."),
          year_param("from", "Only release years from this one on."),
          year_param("to", "Only release years up to this one.")};
}

ParamSpec limit_param(std::int64_t default_limit) {
  return integer_param("limit", ParamIn::kQuery, 1, 1000, default_limit, "Page size.");
}

ParamSpec offset_param() {
  return integer_param("offset", ParamIn::kQuery, 0, kMaxInt64, 0, "Items to skip.");
}

/// The release years a request asks for: year, from and to together (all must hold).
struct YearFilter {
  std::int64_t first = 1, last = 9999;
  bool contains(std::int64_t y) const { return y >= first && y <= last; }
};

YearFilter year_filter(const Args& args) {
  YearFilter f;
  auto from = args.integer("from");
  auto to = args.integer("to");
  if (from && to && *from > *to) {
    throw ParamError("from", fmt::format("from: {} is after to ({}); give from <= to", *from, *to));
  }
  if (auto year = args.integer("year")) f.first = f.last = *year;
  if (from) f.first = std::max(f.first, *from);
  if (to) f.last = std::min(f.last, *to);
  return f;
}

template <typename Keep>
std::string rows_body(const std::string& head, const std::string& columns,
                      const std::vector<CachedRow>& rows, Keep keep) {
  std::string joined;
  std::size_t count = 0;
  for (const auto& r : rows) {
    if (!keep(r)) continue;
    if (count++ > 0) joined += ',';
    joined += r.json;
  }
  return fmt::format("{{{}\"columns\":{},\"count\":{},\"rows\":[{}]}}", head, columns, count,
                     joined);
}

const CompanyEntry& company_arg(const ReportSnapshot& snap, const Args& args) {
  std::int64_t id = *args.integer("id");
  const CompanyEntry* c = snap.company(id);
  if (c == nullptr) {
    throw ParamError(
        "id", fmt::format("id: no production company has id {}; find ids at /api/companies", id));
  }
  return *c;
}

const GenreEntry& genre_id_arg(const ReportSnapshot& snap, const Args& args) {
  std::int64_t id = *args.integer("id");
  const GenreEntry* g = snap.genre(id);
  if (g == nullptr) {
    throw ParamError("id", fmt::format("id: no genre has id {}; find ids at /api/genres", id));
  }
  return *g;
}

std::optional<std::int64_t> genre_arg(const ReportSnapshot& snap, const Args& args) {
  auto id = args.integer("genre");
  if (id && snap.genre(*id) == nullptr) {
    throw ParamError("genre",
                     fmt::format("genre: no genre has id {}; find ids at /api/genres", *id));
  }
  return id;
}

ordered_json optional_json(const std::optional<std::int64_t>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}
ordered_json optional_json(const std::string& v) {
  return v.empty() ? ordered_json(nullptr) : ordered_json(v);
}

Reply list_companies(RequestContext& ctx, const Args& args) {
  auto snap = ctx.cache.current(ctx.store);
  std::string search = args.text("search").value_or("");
  std::string folded = search;
  for (char& c : folded) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string sort = *args.text("sort");
  std::int64_t limit = *args.integer("limit");
  std::int64_t offset = *args.integer("offset");

  ordered_json items = ordered_json::array();
  std::int64_t total = 0;
  auto consider = [&](const CompanyEntry& c) {
    if (!folded.empty() && c.folded_name.find(folded) == std::string::npos) return;
    if (total >= offset && total - offset < limit) {
      items.push_back({{"id", c.id},
                       {"name", c.name},
                       {"movies", c.movies},
                       {"first_year", optional_json(c.first_year)},
                       {"last_year", optional_json(c.last_year)},
                       {"rated_movies", c.rated_movies},
                       {"ratings", c.ratings}});
    }
    ++total;
  };
  if (sort == "id") {
    for (const auto& c : snap->companies) consider(c);
  } else {
    const auto& order = sort == "name" ? snap->companies_by_name : snap->companies_by_movies;
    for (std::size_t i : order) consider(snap->companies[i]);
  }
  ordered_json body = {
      {"total", total}, {"limit", limit}, {"offset", offset}, {"items", std::move(items)}};
  return {200, dump(body)};
}

std::string company_head(const CompanyEntry& c) {
  return fmt::format("\"company_id\":{},\"company_name\":{},", c.id, dump(ordered_json(c.name)));
}

Reply company_yearly(RequestContext& ctx, const Args& args) {
  auto snap = ctx.cache.current(ctx.store);
  const CompanyEntry& c = company_arg(*snap, args);
  YearFilter years = year_filter(args);
  return {200, rows_body(company_head(c), snap->company_yearly_columns, c.yearly,
                         [&](const CachedRow& r) { return years.contains(r.year); })};
}

Reply company_genres(RequestContext& ctx, const Args& args) {
  auto snap = ctx.cache.current(ctx.store);
  const CompanyEntry& c = company_arg(*snap, args);
  YearFilter years = year_filter(args);
  auto genre = genre_arg(*snap, args);
  return {200, rows_body(company_head(c), snap->company_genre_columns, c.genres,
                         [&](const CachedRow& r) {
                           return years.contains(r.year) && (!genre || r.genre_id == *genre);
                         })};
}

Reply company_ratings(RequestContext& ctx, const Args& args) {
  auto snap = ctx.cache.current(ctx.store);
  const CompanyEntry& c = company_arg(*snap, args);
  YearFilter years = year_filter(args);
  return {200, rows_body(company_head(c), snap->company_rating_columns, c.rating_yearly,
                         [&](const CachedRow& r) { return years.contains(r.year); })};
}

Reply list_genres(RequestContext& ctx, const Args&) {
  auto snap = ctx.cache.current(ctx.store);
  ordered_json items = ordered_json::array();
  for (const auto& g : snap->genres) {
    items.push_back({{"id", g.id},
                     {"name", g.name},
                     {"movies", g.movies},
                     {"first_year", optional_json(g.first_year)},
                     {"last_year", optional_json(g.last_year)},
                     {"rated_movies", g.rated_movies},
                     {"ratings", g.ratings}});
  }
  ordered_json body = {{"count", items.size()}, {"items", std::move(items)}};
  return {200, dump(body)};
}

Reply genre_yearly(RequestContext& ctx, const Args& args) {
  auto snap = ctx.cache.current(ctx.store);
  YearFilter years = year_filter(args);
  auto genre = genre_arg(*snap, args);
  return {200,
          rows_body("", snap->genre_yearly_columns, snap->genre_yearly, [&](const CachedRow& r) {
            return years.contains(r.year) && (!genre || r.genre_id == *genre);
          })};
}

Reply genre_rating_yearly(RequestContext& ctx, const Args& args) {
  auto snap = ctx.cache.current(ctx.store);
  YearFilter years = year_filter(args);
  auto genre = genre_arg(*snap, args);
  return {200,
          rows_body("", snap->genre_rating_columns, snap->genre_ratings, [&](const CachedRow& r) {
            return years.contains(r.year) && (!genre || r.genre_id == *genre);
          })};
}

std::string genre_head(const GenreEntry& g) {
  return fmt::format("\"genre_id\":{},\"genre_name\":{},", g.id, dump(ordered_json(g.name)));
}

Reply genre_ratings(RequestContext& ctx, const Args& args) {
  auto snap = ctx.cache.current(ctx.store);
  const GenreEntry& g = genre_id_arg(*snap, args);
  YearFilter years = year_filter(args);
  return {200, rows_body(genre_head(g), snap->genre_rating_columns, snap->genre_ratings,
                         [&](const CachedRow& r) {
                           return r.genre_id == g.id && years.contains(r.year);
                         })};
}

Reply most_popular(RequestContext& ctx, const Args& args) {
  auto snap = ctx.cache.current(ctx.store);
  YearFilter years = year_filter(args);
  return {200, rows_body("", snap->most_popular_columns, snap->most_popular,
                         [&](const CachedRow& r) { return years.contains(r.year); })};
}

Reply company_movies(RequestContext& ctx, const Args& args) {
  auto snap = ctx.cache.current(ctx.store);
  const CompanyEntry& c = company_arg(*snap, args);
  auto genre = genre_arg(*snap, args);
  report::MovieListing listing;
  listing.company = dataset::NamedItem{c.id, c.name};
  if (genre) listing.genre = dataset::NamedItem{*genre, snap->genre(*genre)->name};
  listing.year = *args.integer("year");
  listing.movies =
      ctx.store.group_movies({.company_id = c.id, .genre_id = genre, .year = listing.year});
  return {200, report::movie_list_json(listing)};
}

Reply genre_movies(RequestContext& ctx, const Args& args) {
  auto snap = ctx.cache.current(ctx.store);
  const GenreEntry& g = genre_id_arg(*snap, args);
  report::MovieListing listing;
  listing.genre = dataset::NamedItem{g.id, g.name};
  listing.year = *args.integer("year");
  listing.movies =
      ctx.store.group_movies({.company_id = {}, .genre_id = g.id, .year = listing.year});
  return {200, report::movie_list_json(listing)};
}

ordered_json batch_item(const store::BatchRecord& b) {
  const bool says = b.status == "loaded" && b.counts.movies.has_value();
  return {{"id", b.id},
          {"source", b.source.source},
          {"sha256", b.source.sha256},
          {"etag", optional_json(b.source.etag)},
          {"staged_at", optional_json(b.source.staged_at)},
          {"started_at", b.started_at},
          {"finished_at", optional_json(b.finished_at)},
          {"status", b.status},
          {"rows_read", b.counts.rows_read},
          {"rows_loaded", b.counts.rows_loaded},
          {"rows_rejected", b.counts.rows_rejected},
          {"duplicate_superseded", b.counts.duplicate_superseded},
          {"older_than_loaded", b.counts.older_than_loaded},
          {"warnings", b.counts.warnings},
          {"data_time", b.source.data_time},
          {"movies", says ? report::movie_changes_json(*b.counts.movies) : ordered_json(nullptr)}};
}

Reply list_batches(RequestContext& ctx, const Args& args) {
  auto batches = ctx.store.batches();
  std::reverse(batches.begin(), batches.end());  // newest first
  std::int64_t limit = *args.integer("limit");
  std::int64_t offset = *args.integer("offset");
  ordered_json items = ordered_json::array();
  for (std::size_t i = 0; i < batches.size(); ++i) {
    auto n = static_cast<std::int64_t>(i);
    if (n < offset || n - offset >= limit) continue;
    items.push_back(batch_item(batches[i]));
  }
  ordered_json body = {
      {"total", batches.size()}, {"limit", limit}, {"offset", offset}, {"items", std::move(items)}};
  return {200, dump(body)};
}

Reply batch_detail(RequestContext& ctx, const Args& args) {
  std::int64_t id = *args.integer("id");
  for (const auto& b : ctx.store.batches()) {
    if (b.id != id) continue;
    ordered_json body = batch_item(b);
    body["message"] = b.message.empty() ? ordered_json(nullptr) : ordered_json(b.message);
    ordered_json reports = ordered_json::object();
    for (const auto& c : ctx.store.report_changes(id))
      reports[c.report] = report::report_change_json(c);
    body["reports"] = std::move(reports);
    return {200, dump(body)};
  }
  throw ParamError("id", fmt::format("id: no batch has id {}; find ids at /api/batches", id));
}

Reply health(RequestContext& ctx, const Args&) {
  ordered_json body;
  try {
    StoreState state = read_store_state(ctx.store);
    auto snap = ctx.cache.last();
    body = {{"status", "ok"},
            {"engine", std::string(ctx.store.engine())},
            {"store", ctx.store.describe()},
            {"loaded_batches", state.loaded_batches},
            {"last_batch_id", optional_json(state.last_batch_id)},
            {"last_batch_finished_at",
             state.last_finished_at ? ordered_json(*state.last_finished_at) : nullptr},
            {"reports_built_at", snap ? ordered_json(snap->built_at) : nullptr}};
    return {200, dump(body)};
  } catch (const std::exception& e) {
    body = {{"status", "unavailable"}, {"error", e.what()}};
    return {503, dump(body)};
  }
}

Reply openapi(RequestContext&, const Args&) {
  static const std::string text = dump(openapi_document());
  return {200, text};
}

std::vector<RouteSpec> make_routes() {
  std::vector<RouteSpec> routes;
  routes.push_back(
      {.path = "/api/companies",
       .operation_id = "listCompanies",
       .summary = "Production companies, searchable by name",
       .description =
           "Every production company in the store with the number of its movies that have a "
           "release year (those the reports count), and how many of those have MovieLens "
           "ratings, with how many ratings.",
       .params = {text_param("search", 200,
                             "Case-insensitive (ASCII) substring of the company name."),
                  choice_param("sort", {"id", "name", "movies"},
                               "Order: by id, by name, or most movies first."),
                  limit_param(50), offset_param()},
       .response_schema = "CompanyList",
       .handler = list_companies});
  auto company_params = year_params();
  company_params.insert(company_params.begin(), id_param("Production company id."));
  routes.push_back(
      {.path = "/api/companies/{id}/yearly",
       .operation_id = "companyYearly",
       .summary =
           "A company's budget, revenue, profit and popularity per year (questions 1, 2, 3, 5)",
       .description = "Rows of company_yearly.csv for this company.",
       .params = company_params,
       .response_schema = "CompanyYearly",
       .handler = company_yearly});
  auto company_genre_params = company_params;
  company_genre_params.push_back(genre_param());
  routes.push_back({.path = "/api/companies/{id}/genres",
                    .operation_id = "companyGenres",
                    .summary = "A company's releases by genre per year (question 4)",
                    .description = "Rows of company_genre_yearly.csv for this company.",
                    .params = company_genre_params,
                    .response_schema = "CompanyGenres",
                    .handler = company_genres});
  routes.push_back(
      {.path = "/api/companies/{id}/ratings",
       .operation_id = "companyRatings",
       .summary = "The MovieLens ratings of a company's movies per year",
       .description =
           "Rows of company_rating_yearly.csv for this company: per release year, its movies with "
           "at least one rating, their ratings and the mean rating. No row for a year without "
           "ratings; none at all when no ratings are loaded.",
       .params = company_params,
       .response_schema = "CompanyRatings",
       .handler = company_ratings});
  routes.push_back(
      {.path = "/api/companies/{id}/movies",
       .operation_id = "companyMovies",
       .summary = "The movies behind a company's row of a year (with genre: of that genre)",
       .description =
           "The company's movies released in `year`: those its company_yearly row counts (with "
           "`genre`, its company_genre_yearly row), as many as that row's movies (releases). Most "
           "popular first, those without a popularity last, then by id.",
       .params = {id_param("Production company id."), row_year_param(), genre_param()},
       .response_schema = "CompanyMovies",
       .handler = company_movies});
  routes.push_back({.path = "/api/genres",
                    .operation_id = "listGenres",
                    .summary = "Genres",
                    .description =
                        "Every genre with the number of its movies that have a release year, and "
                        "how many of those have MovieLens ratings, with how many ratings.",
                    .params = {},
                    .response_schema = "GenreList",
                    .handler = list_genres});
  auto genre_yearly_params = year_params();
  genre_yearly_params.push_back(genre_param());
  routes.push_back({.path = "/api/genres/yearly",
                    .operation_id = "genreYearly",
                    .summary = "Budget, revenue and profit by genre by year (questions 7, 8, 9)",
                    .description = "Rows of genre_yearly.csv, ordered by year and popularity rank.",
                    .params = genre_yearly_params,
                    .response_schema = "GenreYearly",
                    .handler = genre_yearly});
  routes.push_back({.path = "/api/genres/most-popular",
                    .operation_id = "mostPopularGenre",
                    .summary = "The most popular genre of each year (question 6)",
                    .description = "Rows of most_popular_genre_by_year.csv.",
                    .params = year_params(),
                    .response_schema = "MostPopular",
                    .handler = most_popular});
  routes.push_back({.path = "/api/genres/ratings",
                    .operation_id = "genreRatingYearly",
                    .summary = "The MovieLens ratings of each genre's movies per year",
                    .description = "Rows of genre_rating_yearly.csv, ordered by year and genre id.",
                    .params = genre_yearly_params,
                    .response_schema = "GenreRatingYearly",
                    .handler = genre_rating_yearly});
  routes.push_back(
      {.path = "/api/genres/{id}/movies",
       .operation_id = "genreMovies",
       .summary = "The movies behind a genre's row of a year",
       .description =
           "The genre's movies released in `year`: those its genre_yearly row counts, as many as "
           "that row's movies. Most popular first, those without a popularity last, then by id.",
       .params = {id_param("Genre id (see /api/genres)."), row_year_param()},
       .response_schema = "GenreMovies",
       .handler = genre_movies});
  auto one_genre_params = year_params();
  one_genre_params.insert(one_genre_params.begin(), id_param("Genre id (see /api/genres)."));
  routes.push_back(
      {.path = "/api/genres/{id}/ratings",
       .operation_id = "genreRatings",
       .summary = "The MovieLens ratings of a genre's movies per year",
       .description =
           "Rows of genre_rating_yearly.csv for this genre: per release year, its movies with at "
           "least one rating, their ratings and the mean rating. No row for a year without "
           "ratings; none at all when no ratings are loaded.",
       .params = one_genre_params,
       .response_schema = "GenreRatings",
       .handler = genre_ratings});
  routes.push_back(
      {.path = "/api/batches",
       .operation_id = "listBatches",
       .summary = "What was loaded when, newest first",
       .description = "Rows of ingest_batch: loaded, failed and running batches with their counts.",
       .params = {limit_param(100), offset_param()},
       .response_schema = "BatchList",
       .handler = list_batches});
  routes.push_back(
      {.path = "/api/batches/{id}",
       .operation_id = "getBatch",
       .summary = "One batch and what it changed",
       .description =
           "The ingest_batch row with the movies the batch added, updated, found unchanged and "
           "removed, its failure message if it failed, and, for the last batch of a run that "
           "wrote the reports, how each report differs from the file it replaced.",
       .params = {id_param("Batch id (see /api/batches).")},
       .response_schema = "BatchDetail",
       .handler = batch_detail});
  routes.push_back({.path = "/health",
                    .operation_id = "health",
                    .summary = "Whether the store answers, and when the last batch was loaded",
                    .description = "503 with status unavailable when the store does not answer.",
                    .params = {},
                    .response_schema = "Health",
                    .handler = health});
  routes.push_back({.path = "/api/openapi.json",
                    .operation_id = "openapi",
                    .summary = "This description",
                    .description = "OpenAPI 3 document generated from the router's route table.",
                    .params = {},
                    .response_schema = "OpenApi",
                    .handler = openapi});
  return routes;
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t digits_from = text[0] == '-' ? 1 : 0;
  if (digits_from == text.size()) return std::nullopt;
  for (std::size_t i = digits_from; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

void parse_one(const ParamSpec& p, const std::string& value, Args& args) {
  switch (p.kind) {
    case ParamKind::kInteger:
    case ParamKind::kYear: {
      auto v = parse_int64(value);
      if (!v || *v < p.min || *v > p.max) {
        std::string range = p.max == kMaxInt64
                                ? fmt::format("an integer of at least {}", p.min)
                                : fmt::format("an integer from {} to {}", p.min, p.max);
        if (p.kind == ParamKind::kYear) range = fmt::format("a year from {} to {}", p.min, p.max);
        throw ParamError(p.name,
                         fmt::format("{}: expected {}, got '{}'", p.name, range, echo(value)));
      }
      args.set(p.name, *v);
      return;
    }
    case ParamKind::kText:
      if (value.size() > p.max_length) {
        throw ParamError(p.name, fmt::format("{}: longer than {} bytes", p.name, p.max_length));
      }
      args.set(p.name, value);
      return;
    case ParamKind::kChoice:
      if (std::find(p.choices.begin(), p.choices.end(), value) == p.choices.end()) {
        throw ParamError(p.name, fmt::format("{}: expected one of {}, got '{}'", p.name,
                                             fmt::join(p.choices, ", "), echo(value)));
      }
      args.set(p.name, value);
      return;
  }
}

}  // namespace

std::optional<std::int64_t> Args::integer(const std::string& name) const {
  auto it = integers_.find(name);
  return it == integers_.end() ? std::nullopt : std::optional(it->second);
}

std::optional<std::string> Args::text(const std::string& name) const {
  auto it = texts_.find(name);
  return it == texts_.end() ? std::nullopt : std::optional(it->second);
}

const std::vector<RouteSpec>& route_table() {
  static const std::vector<RouteSpec> routes = make_routes();
  return routes;
}

std::string route_regex(const RouteSpec& route) {
  std::string out;
  for (std::size_t i = 0; i < route.path.size(); ++i) {
    char c = route.path[i];
    if (c == '{') {
      i = route.path.find('}', i);
      out += "([^/]*)";
    } else if (c == '.' || c == '-') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

Args parse_args(const RouteSpec& route, const std::vector<std::string>& path_values,
                const std::multimap<std::string, std::string>& query) {
  std::vector<std::string> accepted;
  for (const auto& p : route.params) {
    if (p.in == ParamIn::kQuery) accepted.push_back(p.name);
  }
  for (auto it = query.begin(); it != query.end(); it = query.upper_bound(it->first)) {
    if (std::find(accepted.begin(), accepted.end(), it->first) == accepted.end()) {
      std::string takes =
          accepted.empty() ? "no parameters" : fmt::format("{}", fmt::join(accepted, ", "));
      throw ParamError(it->first, fmt::format("{}: unknown parameter; {} takes {}", echo(it->first),
                                              route.path, takes));
    }
    if (query.count(it->first) > 1)
      throw ParamError(it->first, fmt::format("{}: given more than once", it->first));
  }
  Args args;
  std::size_t path_index = 0;
  for (const auto& p : route.params) {
    std::string value;
    if (p.in == ParamIn::kPath) {
      value = path_index < path_values.size() ? path_values[path_index] : "";
      ++path_index;
      if (value.empty()) throw ParamError(p.name, fmt::format("{}: missing", p.name));
    } else if (auto it = query.find(p.name); it != query.end()) {
      value = it->second;
    }
    if (value.empty()) {
      if (p.required) {
        throw ParamError(p.name, fmt::format("{}: missing; {} needs it", p.name, route.path));
      }
      if (p.default_integer) args.set(p.name, *p.default_integer);
      if (p.kind == ParamKind::kChoice) args.set(p.name, p.choices.front());
      continue;
    }
    parse_one(p, value, args);
  }
  return args;
}

std::string error_body(std::string_view message, std::string_view parameter) {
  ordered_json body = {{"error", message}};
  if (!parameter.empty()) body["parameter"] = parameter;
  return dump(body);
}

std::vector<RouteInfo> api_routes() {
  std::vector<RouteInfo> out;
  for (const auto& r : route_table()) {
    RouteInfo info{.method = "GET", .path = r.path, .path_params = {}, .query_params = {}};
    for (const auto& p : r.params)
      (p.in == ParamIn::kPath ? info.path_params : info.query_params).push_back(p.name);
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace marquee::api
