#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "staging/staging.hpp"

namespace marquee::pipeline {

/// The data time of a staged archive: its --as-of or its source's Last-Modified, else when it
/// was staged (normalized, so that it orders as text).
std::string data_time_of(const staging::StagedArchive& archive);

/// The backfill lane in data-time order, oldest first.
void sort_by_data_time(std::vector<staging::StagedArchive>& archives);

/// How far the backfill lane has come: archives staged into it and loaded from it, kept in
/// staging/state/backfill_progress.json.
struct BackfillProgress {
  std::uint64_t staged = 0;
  std::uint64_t loaded = 0;

  /// An unreadable file is logged and read as no progress: it only feeds `status`.
  static BackfillProgress read(const staging::StagingDirs& dirs);
  void write(const staging::StagingDirs& dirs) const;
};

/// How `backfill` dates its archives besides --as-of (StageOptions::as_of); at most one of the
/// three is given.
struct BackfillOptions {
  std::string as_of_pattern;             ///< AsOfPattern text over each archive's base name
  std::filesystem::path as_of_manifest;  ///< a CSV of file,as_of
  bool dry_run = false;                  ///< list the plan, stage nothing
};

/// One archive of a backfill and the data time it is staged with.
struct PlannedArchive {
  std::string source;  ///< as listed: a path, a URL, s3://bucket/key
  std::string as_of;   ///< normalized; empty: the source's Last-Modified or mtime when staged
  std::string origin;  ///< where as_of comes from, for the log and the dry run; empty with as_of
};

/// The base name of an archive source: the file name of a path, the last segment of an S3 key
/// or a URL's path; what --as-of-pattern and the manifest's `file` column are matched against.
std::string archive_base_name(const std::string& source);

/// Dates every archive by --as-of, the pattern or the manifest (else leaves it to the source).
/// All or nothing: an archive that does not match the pattern, or has no manifest row, fails
/// the whole backfill with Error(kUsage) naming it before anything is staged. A manifest row
/// that names no archive of the command is a warning (a year's manifest may serve one month).
std::vector<PlannedArchive> plan_backfill(const std::vector<std::string>& archives,
                                          const std::string& as_of, const BackfillOptions& options);

/// The dry run: one line per archive with its size and the data time it would get, from where.
/// Asks each source for its size and Last-Modified (one HEAD or stat each); writes nothing.
void print_backfill_plan(const std::vector<PlannedArchive>& plan,
                         const staging::StageOptions& stage, const std::filesystem::path& into,
                         std::ostream& out);

/// The archives a backfill SOURCE names: itself, the .zip files of a folder (by name), or every
/// .zip under an s3://bucket/prefix/ (ListObjectsV2, all pages).
std::vector<std::string> expand_backfill_source(const std::string& source,
                                                const staging::StageOptions& stage);

}  // namespace marquee::pipeline
