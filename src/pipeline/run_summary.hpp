#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/movie_loader.hpp"
#include "store/store.hpp"

namespace marquee::pipeline {

/// One loaded batch, for the run summary.
struct LoadedBatch {
  std::int64_t batch_id = 0;
  store::BatchSource source;
  std::vector<FileStats> files;
};

/// What run_summary.json (SPEC 5) says of one run.
struct RunSummary {
  std::string run_id;
  std::string source;
  std::string sha256;
  std::string started_at;
  std::string database;  ///< Store::describe()
  std::vector<LoadedBatch> batches;
  std::uint64_t movies_without_year = 0;
  std::vector<std::filesystem::path> files_written;  ///< the summary itself is added
};

/// Writes the summary to `path` atomically, the sources redacted (source/redact.hpp).
void write_run_summary(const std::filesystem::path& path, const RunSummary& summary);

}  // namespace marquee::pipeline
