#pragma once

#include <cstdint>
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

/// The archives a backfill SOURCE names: itself, the .zip files of a folder (by name), or every
/// .zip under an s3://bucket/prefix/ (ListObjectsV2, all pages).
std::vector<std::string> expand_backfill_source(const std::string& source,
                                                const staging::StageOptions& stage);

}  // namespace marquee::pipeline
