#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace marquee::report {

/// The four report files of SPEC 5, each the output of sql/reports/<name>.sql.
using store::kReportNames;

struct WrittenReport {
  std::string name;
  std::filesystem::path path;
  std::uint64_t rows = 0;
  double seconds = 0;  ///< the query and the write of the file
  /// How it differs from the file it replaced; nullopt when there was none.
  std::optional<store::ReportChange> changes = std::nullopt;
  /// Patched from the previous file and the change log (report_patch.hpp), not written whole.
  bool patched = false;
};

/// Runs every report query, all in one read snapshot of the database, and writes
/// movie_results/<name>.csv (the two large ones patched when report_patch.hpp allows, and
/// kStateFile recorded after). Each file is written in full to a temporary folder inside
/// results_dir (.reports.tmp-PID; one left by a killed process is removed first), synced, then
/// renamed into place, so a reader sees the previous report or the new one, never half of one.
/// Throws marquee::Error on failure (a full disk: exit 4), leaving the previous reports in place.
std::vector<WrittenReport> write_reports(store::Store& store,
                                         const std::filesystem::path& results_dir);

/// Movies left out of every report because they have no release year; with `batch`, only those
/// the batch wrote.
std::uint64_t movies_without_year(store::Store& store,
                                  std::optional<std::int64_t> batch = std::nullopt);

/// The movies in the model.
std::uint64_t movie_count(store::Store& store);

}  // namespace marquee::report
