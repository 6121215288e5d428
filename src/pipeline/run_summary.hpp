#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
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
  double seconds = 0;  ///< wall time from opening the batch to its commit
  /// What the batch changed (nullopt when the store did not say: a dry run).
  std::optional<store::MovieChanges> movies = std::nullopt;
};

/// One step of a run (stage, load, checks, report) and its wall time.
struct StepTiming {
  std::string name;
  std::string started_at;  ///< ISO 8601 UTC
  double seconds = 0;
  bool failed = false;  ///< the step ended by an error
};

/// Records a step into `steps` when it goes out of scope, failed when an exception ends it.
class StepTimer {
 public:
  StepTimer(std::vector<StepTiming>& steps, std::string name);
  ~StepTimer();
  StepTimer(const StepTimer&) = delete;
  StepTimer& operator=(const StepTimer&) = delete;
  /// The step failed without an exception leaving it (an archive that went to failed/).
  void fail() { step_.failed = true; }

 private:
  std::vector<StepTiming>& steps_;
  StepTiming step_;
  std::chrono::steady_clock::time_point started_;
  int exceptions_ = 0;
};

/// The outcome of one data check (sql/checks/) for one batch.
struct CheckOutcome {
  std::int64_t batch_id = 0;
  std::string name;
  std::uint64_t failing = 0;
  double seconds = 0;
};

/// One report file written.
struct ReportOutcome {
  std::string name;
  std::filesystem::path path;
  std::uint64_t rows = 0;
  double seconds = 0;
  /// Against the file it replaced; nullopt when there was none.
  std::optional<store::ReportChange> changes = std::nullopt;
};

/// What run_summary.json (SPEC 5) says of one run. The SPEC 5 fields (run_id, source, sha256,
/// the times, `files` by entry name, movies_without_year, files_written) keep their place;
/// `batches` holds each batch with its own files, so a run that loads several loses none.
struct RunSummary {
  std::string run_id;
  std::string command;  ///< run, stage, load, backfill
  std::string version;  ///< marquee's
  std::string source;
  std::string sha256;
  std::string started_at;
  std::string database;              ///< Store::describe()
  std::string status = "succeeded";  ///< or "failed"
  int exit_code = 0;
  std::string error;  ///< the failure's one line, when failed
  std::vector<LoadedBatch> batches;
  std::vector<StepTiming> steps;
  std::vector<CheckOutcome> checks;
  std::vector<ReportOutcome> reports;
  std::uint64_t movies_without_year = 0;
  std::vector<std::filesystem::path> files_written;  ///< the summary itself is added
};

/// Writes the summary to `path` atomically, the sources redacted (source/redact.hpp).
void write_run_summary(const std::filesystem::path& path, const RunSummary& summary);

/// <workdir>/state/runs/: one summary per run (every command that changes something, whether it
/// succeeded or failed), named <run_id>.json; the oldest beyond `keep` are removed.
std::filesystem::path run_history_dir(const std::filesystem::path& workdir);
void prune_run_history(const std::filesystem::path& dir, std::size_t keep);
inline constexpr std::size_t kRunHistoryKept = 500;

}  // namespace marquee::pipeline
