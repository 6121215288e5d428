#include "api/report_cache.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "report/report_query.hpp"

namespace marquee::api {
namespace {

using nlohmann::ordered_json;

/// Report columns served as JSON strings; every other column is an integer. avg_popularity and
/// avg_rating stay strings so that their decimals reach the client exactly as the CSV writes them.
bool is_text_column(std::string_view column) {
  return column == "company_name" || column == "genre_name" || column == "avg_popularity" ||
         column == "avg_rating";
}

bool is_total_column(std::string_view column) {
  return column.starts_with("total_");
}

bool fits_int64(std::string_view text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size();
}

std::int64_t parse_integer(std::string_view report, std::string_view column,
                           std::string_view text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw Error(
        ExitCode::kDatabase,
        fmt::format("report {} column {}: '{}' is not an integer; the report SQL and the API "
                    "disagree about the column types",
                    report, column, text));
  }
  return v;
}

std::string dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

/// One report, read in full: its columns and each row with its filter keys.
struct ReportRows {
  std::vector<std::string> columns;
  struct Row {
    std::int64_t company_id = 0, year = 0, genre_id = 0, movies = 0, rated_movies = 0, ratings = 0;
    CachedRow cached;
  };
  std::vector<Row> rows;
};

std::size_t column_index(const std::vector<std::string>& columns, std::string_view report,
                         std::string_view name) {
  auto it = std::find(columns.begin(), columns.end(), name);
  if (it == columns.end()) {
    throw Error(ExitCode::kDatabase,
                fmt::format("report {} has no column {}, which the API needs", report, name));
  }
  return static_cast<std::size_t>(it - columns.begin());
}

ReportRows read_report(store::Store& store, std::string_view name) {
  ReportRows out;
  // company_id, year, genre_id, movies, rated_movies, ratings; npos when absent
  std::vector<std::size_t> keys;
  auto find_optional = [&](const std::vector<std::string>& columns, std::string_view col) {
    auto it = std::find(columns.begin(), columns.end(), col);
    return it == columns.end() ? std::string::npos : static_cast<std::size_t>(it - columns.begin());
  };
  auto visit = [&](const std::vector<std::string>& columns, const std::vector<store::Cell>& row) {
    if (keys.empty()) {
      keys = {find_optional(columns, "company_id"),   column_index(columns, name, "year"),
              find_optional(columns, "genre_id"),     find_optional(columns, "movies"),
              find_optional(columns, "rated_movies"), find_optional(columns, "ratings")};
    }
    ordered_json obj = ordered_json::object();
    ReportRows::Row r;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const auto& cell = row[c];
      if (!cell) {
        obj[columns[c]] = nullptr;
      } else if (is_text_column(columns[c])) {
        obj[columns[c]] = *cell;
      } else if (is_total_column(columns[c]) && !fits_int64(*cell)) {
        // Exact beyond 64 bits (SPEC 5): a JSON number that big would lose digits in most
        // clients, so it is served as its decimal digits.
        obj[columns[c]] = *cell;
      } else {
        std::int64_t v = parse_integer(name, columns[c], *cell);
        obj[columns[c]] = v;
        if (c == keys[0]) r.company_id = v;
        if (c == keys[1]) r.cached.year = v;
        if (c == keys[2]) r.cached.genre_id = v;
        if (c == keys[3]) r.movies = v;
        if (c == keys[4]) r.rated_movies = v;
        if (c == keys[5]) r.ratings = v;
      }
    }
    r.year = r.cached.year;
    r.genre_id = r.cached.genre_id;
    r.cached.json = dump(obj);
    out.rows.push_back(std::move(r));
  };
  out.columns = report::read_report(store, name, visit);
  return out;
}

std::string columns_json(const std::vector<std::string>& columns) {
  return dump(ordered_json(columns));
}

std::string fold_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void widen_years(std::optional<std::int64_t>& first, std::optional<std::int64_t>& last,
                 std::int64_t year) {
  if (!first || year < *first) first = year;
  if (!last || year > *last) last = year;
}

/// Entries are sorted by id (the name queries order by it).
template <typename Entries>
auto* find_by_id(Entries& entries, std::int64_t id) {
  auto it = std::lower_bound(entries.begin(), entries.end(), id,
                             [](const auto& e, std::int64_t v) { return e.id < v; });
  return it != entries.end() && it->id == id ? &*it : nullptr;
}

template <typename Entry>
std::vector<Entry> read_names(store::Store& store, std::string_view table) {
  std::vector<Entry> out;
  // The table name comes from this file, never from a request.
  store.query(fmt::format("SELECT id, name FROM {} ORDER BY id", table), {},
              [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
                Entry e;
                e.id = parse_integer(table, "id", row[0].value_or(""));
                e.name = row[1].value_or("");
                out.push_back(std::move(e));
              });
  return out;
}

void fill_snapshot(store::Store& store, ReportSnapshot& snap) {
  snap.generation = read_store_state(store).generation();
  snap.companies = read_names<CompanyEntry>(store, "production_company");
  snap.genres = read_names<GenreEntry>(store, "genre");

  auto company_yearly = read_report(store, "company_yearly");
  snap.company_yearly_columns = columns_json(company_yearly.columns);
  for (auto& r : company_yearly.rows) {
    CompanyEntry* c = find_by_id(snap.companies, r.company_id);
    if (c == nullptr) continue;  // cannot happen: the report joins production_company
    c->movies += r.movies;
    widen_years(c->first_year, c->last_year, r.year);
    c->yearly.push_back(std::move(r.cached));
  }
  auto company_genre = read_report(store, "company_genre_yearly");
  snap.company_genre_columns = columns_json(company_genre.columns);
  for (auto& r : company_genre.rows) {
    if (CompanyEntry* c = find_by_id(snap.companies, r.company_id))
      c->genres.push_back(std::move(r.cached));
  }
  auto genre_yearly = read_report(store, "genre_yearly");
  snap.genre_yearly_columns = columns_json(genre_yearly.columns);
  for (auto& r : genre_yearly.rows) {
    if (GenreEntry* g = find_by_id(snap.genres, r.genre_id)) {
      g->movies += r.movies;
      widen_years(g->first_year, g->last_year, r.year);
    }
    snap.genre_yearly.push_back(std::move(r.cached));
  }
  auto most_popular = read_report(store, "most_popular_genre_by_year");
  snap.most_popular_columns = columns_json(most_popular.columns);
  for (auto& r : most_popular.rows) snap.most_popular.push_back(std::move(r.cached));
  auto genre_ratings = read_report(store, "genre_rating_yearly");
  snap.genre_rating_columns = columns_json(genre_ratings.columns);
  for (auto& r : genre_ratings.rows) {
    if (GenreEntry* g = find_by_id(snap.genres, r.genre_id)) {
      g->rated_movies += r.rated_movies;
      g->ratings += r.ratings;
    }
    snap.genre_ratings.push_back(std::move(r.cached));
  }
  auto company_ratings = read_report(store, "company_rating_yearly");
  snap.company_rating_columns = columns_json(company_ratings.columns);
  for (auto& r : company_ratings.rows) {
    if (CompanyEntry* c = find_by_id(snap.companies, r.company_id)) {
      c->rated_movies += r.rated_movies;
      c->ratings += r.ratings;
      c->rating_yearly.push_back(std::move(r.cached));
    }
  }

  std::vector<std::size_t> order(snap.companies.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
    snap.companies[i].folded_name = fold_ascii(snap.companies[i].name);
  }
  snap.companies_by_name = order;
  std::stable_sort(snap.companies_by_name.begin(), snap.companies_by_name.end(),
                   [&](std::size_t a, std::size_t b) {
                     return snap.companies[a].folded_name < snap.companies[b].folded_name;
                   });
  snap.companies_by_movies = order;
  std::stable_sort(snap.companies_by_movies.begin(), snap.companies_by_movies.end(),
                   [&](std::size_t a, std::size_t b) {
                     return snap.companies[a].movies > snap.companies[b].movies;
                   });
}

}  // namespace

const CompanyEntry* ReportSnapshot::company(std::int64_t id) const {
  return find_by_id(companies, id);
}

const GenreEntry* ReportSnapshot::genre(std::int64_t id) const {
  return find_by_id(genres, id);
}

std::string StoreState::generation() const {
  return fmt::format("{}/{}/{}", loaded_batches, last_batch_id.value_or(0),
                     last_finished_at.value_or(""));
}

StoreState read_store_state(store::Store& store) {
  StoreState state;
  store.query(
      "SELECT COUNT(*), MAX(id), MAX(finished_at) FROM ingest_batch WHERE status = 'loaded'", {},
      [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
        state.loaded_batches = parse_integer("ingest_batch", "count", row[0].value_or("0"));
        if (row[1]) state.last_batch_id = parse_integer("ingest_batch", "id", *row[1]);
        state.last_finished_at = row[2];
      });
  return state;
}

ReportSnapshot build_snapshot(store::Store& store) {
  auto start = std::chrono::steady_clock::now();
  ReportSnapshot snap;
  auto noop = [](const std::vector<std::string>&, const std::vector<store::Cell>&) {};
  // One read transaction, so the generation and the six reports describe the same state even
  // while a batch commits.
  store.query("BEGIN", {}, noop);
  try {
    fill_snapshot(store, snap);
    store.query("COMMIT", {}, noop);
  } catch (...) {
    try {
      store.query("ROLLBACK", {}, noop);
    } catch (...) {
    }
    throw;
  }
  snap.built_at = utc_now_iso8601();
  snap.build_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return snap;
}

std::shared_ptr<const ReportSnapshot> ReportCache::current(store::Store& store) {
  std::string generation = read_store_state(store).generation();
  if (auto snap = last(); snap && snap->generation == generation) return snap;
  std::lock_guard rebuild(rebuild_mutex_);
  // Another request may have rebuilt it while this one waited.
  if (auto snap = last(); snap && snap->generation == generation) return snap;
  auto fresh = std::make_shared<const ReportSnapshot>(build_snapshot(store));
  std::lock_guard lock(mutex_);
  snapshot_ = fresh;
  return fresh;
}

std::shared_ptr<const ReportSnapshot> ReportCache::last() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

}  // namespace marquee::api
