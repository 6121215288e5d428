#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace marquee::api {

/// One report row as served: the keys requests filter it by, and the row as a JSON object whose
/// keys are the report's columns in CSV order (integers as numbers, avg_popularity and avg_rating
/// as the exact decimal strings, NULL as null).
struct CachedRow {
  std::int64_t year = 0;
  std::int64_t genre_id = 0;  ///< 0 in reports without a genre
  std::string json;
};

struct CompanyEntry {
  std::int64_t id = 0;
  std::string name;
  std::string folded_name;  ///< ASCII-lowercased, for search
  std::int64_t movies = 0;  ///< movies with a release year: the sum of company_yearly.movies
  /// Those of them with a rating, and their ratings: the sums of company_rating_yearly (a movie
  /// has one release year, so it counts once).
  std::int64_t rated_movies = 0, ratings = 0;
  std::optional<std::int64_t> first_year, last_year;
  std::vector<CachedRow> yearly;         ///< company_yearly.csv rows, by year
  std::vector<CachedRow> genres;         ///< company_genre_yearly.csv rows, by year, genre_id
  std::vector<CachedRow> rating_yearly;  ///< company_rating_yearly.csv rows, by year
};

struct GenreEntry {
  std::int64_t id = 0;
  std::string name;
  std::int64_t movies = 0;  ///< movies with a release year: the sum of genre_yearly.movies
  /// Those of them with a rating, and their ratings: the sums of genre_rating_yearly.
  std::int64_t rated_movies = 0, ratings = 0;
  std::optional<std::int64_t> first_year, last_year;
};

/// The six reports of SPEC 5 as of one database state, indexed for the API.
struct ReportSnapshot {
  std::string generation;  ///< see StoreState::generation()
  std::string built_at;    ///< ISO 8601 UTC
  double build_ms = 0;
  std::vector<CompanyEntry> companies;           ///< every production_company row, by id
  std::vector<std::size_t> companies_by_name;    ///< indexes into companies
  std::vector<std::size_t> companies_by_movies;  ///< most movies first, then by id
  std::vector<GenreEntry> genres;                ///< every genre row, by id
  std::vector<CachedRow> genre_yearly;           ///< genre_yearly.csv rows, in its order
  std::vector<CachedRow> most_popular;           ///< most_popular_genre_by_year.csv rows
  std::vector<CachedRow> genre_ratings;          ///< genre_rating_yearly.csv rows, in its order
  /// Each report's column names as a JSON array, in CSV order.
  std::string company_yearly_columns, company_genre_columns, genre_yearly_columns,
      most_popular_columns, genre_rating_columns, company_rating_columns;

  const CompanyEntry* company(std::int64_t id) const;
  const GenreEntry* genre(std::int64_t id) const;
};

/// What the loaded batches say about the database: enough to tell that the data changed, since
/// every change to the model is a loaded batch committed with its ingest_batch row.
struct StoreState {
  std::int64_t loaded_batches = 0;
  std::optional<std::int64_t> last_batch_id;
  std::optional<std::string> last_finished_at;
  std::string generation() const;
};

StoreState read_store_state(store::Store& store);

/// Runs the six sql/reports/ queries unchanged (no second copy of their logic) inside one read
/// transaction, plus the genre and company name lists. Throws marquee::Error.
ReportSnapshot build_snapshot(store::Store& store);

/// The current snapshot, rebuilt when a request finds the database's generation moved on.
/// Readers share an immutable snapshot; one rebuild runs at a time.
class ReportCache {
 public:
  /// Checks the generation on `store` (one small query) and rebuilds if it changed.
  std::shared_ptr<const ReportSnapshot> current(store::Store& store);
  /// The last snapshot built, without checking the database; null before the first.
  std::shared_ptr<const ReportSnapshot> last() const;

 private:
  mutable std::mutex mutex_;  ///< guards snapshot_
  std::mutex rebuild_mutex_;  ///< one rebuild at a time
  std::shared_ptr<const ReportSnapshot> snapshot_;
};

}  // namespace marquee::api
