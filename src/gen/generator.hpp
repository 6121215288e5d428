#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace marquee::gen {

/// How big a synthetic "The Movies Dataset" archive to write, and where.
struct GenerateOptions {
  /// 1.0 is the size of the real dataset: 45,433 distinct movies in 45,463 records, about 34 MB
  /// of movies_metadata.csv. Credits are kept smaller than the real ones (see credits_entry.cpp).
  double scale = 1.0;
  /// Same seed, same options: byte-identical archive. The generator uses its own PRNG and no
  /// std:: distributions, so the bytes do not depend on the standard library either.
  std::uint64_t seed = 1;
  /// ratings.csv holds 26,024,289 x ratings_scale rows. At 0 (the default) it still holds a
  /// token 1,000 rows so that every entry of the real archive is present and non-empty.
  double ratings_scale = 0.0;
  /// The archive to write. It appears atomically (written as out + ".part", synced, then
  /// renamed), with the manifest beside it as out + ".manifest.json", which appears first.
  std::filesystem::path out;
  /// Write movies_metadata.csv only.
  bool movies_only = false;
};

/// What movies_metadata.csv holds, in the terms of the loader's accounting (SPEC 3.4). With no
/// invalid rows: rows_read = records, rows_loaded = distinct_ids, duplicate_superseded =
/// records - distinct_ids, movies_without_year = empty_release_dates.
struct MoviesManifest {
  std::uint64_t records = 0;         ///< data records (a record holding a bare CR counts once)
  std::uint64_t distinct_ids = 0;    ///< movies
  std::uint64_t duplicated_ids = 0;  ///< ids that appear more than once
  std::uint64_t duplicate_extra_copies = 0;  ///< records - distinct_ids
  std::uint64_t identical_copies = 0;        ///< extra copies byte-identical to the record before
  std::uint64_t conflicting_copies = 0;      ///< extra copies that differ (the last one wins)
  std::uint64_t bare_cr_records = 0;         ///< unquoted overviews holding a bare CR
  /// Distinct ids whose last record has an empty release_date (movies without a year).
  std::uint64_t empty_release_dates = 0;
  std::uint64_t invalid_rows = 0;  ///< records a loader must reject; the generator writes none
};

/// One entry of the archive: data rows (header excluded) and uncompressed bytes, plus counts
/// of the quirks it holds (for example "empty_tmdb_ids" in links.csv).
struct EntryManifest {
  std::string name;
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  std::map<std::string, std::uint64_t> details;
};

struct Manifest {
  std::uint64_t seed = 0;
  double scale = 0.0;
  double ratings_scale = 0.0;
  bool movies_only = false;
  MoviesManifest movies;
  std::vector<EntryManifest> entries;  ///< in archive order

  const EntryManifest* entry(const std::string& name) const;
  nlohmann::json to_json() const;
};

/// Writes the archive (options.out) and its manifest (options.out + ".manifest.json").
/// Memory stays flat whatever the scale: each CSV is produced row by row while libzip deflates
/// it straight into the archive. Throws marquee::Error(kUsage) for bad options and when the
/// archive or the manifest cannot be written (the message names the file, the cause and a hint).
Manifest generate(const GenerateOptions& options);

}  // namespace marquee::gen
