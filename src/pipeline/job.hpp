#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataset/detail_rows.hpp"
#include "pipeline/alerts.hpp"
#include "pipeline/backfill.hpp"
#include "pipeline/data_checks.hpp"
#include "pipeline/dataset_files.hpp"
#include "pipeline/movie_loader.hpp"
#include "pipeline/run_summary.hpp"
#include "staging/staging.hpp"
#include "store/store.hpp"

namespace marquee::pipeline {

/// Everything a run can be told on the command line, with the defaults of SPEC 6.
struct JobOptions {
  std::filesystem::path workdir = "working_directory";
  std::string db_url;                 ///< empty: sqlite:<workdir>/marquee.db
  std::filesystem::path log_dir;      ///< empty: <workdir>/log
  std::filesystem::path results_dir;  ///< empty: <workdir>/movie_results
  bool snapshot = false;              ///< the batch is the whole truth: absent movies go
  double max_reject_ratio = 0.01;     ///< SPEC 3.4's default reject limit
  std::size_t max_record_bytes = std::size_t{16} << 20;
  std::chrono::milliseconds lock_timeout{0};
  staging::StageOptions stage;
  AlertOptions alerts;
  CheckMode checks = CheckMode::kWarn;  ///< whether failing data checks fail the run (exit 3)
  std::size_t backfill_batches = 1;     ///< backfill archives loaded per `load`, after incoming/
  BackfillOptions backfill;             ///< how `backfill` dates its archives; its dry run
  std::string command = "run";          ///< the CLI command, for the per-command run history
  /// node_exporter's textfile directory: marquee_<command>.prom after each run (empty: none).
  std::filesystem::path metrics_textfile_dir;

  std::string effective_db_url() const;
  std::filesystem::path effective_log_dir() const;
  std::filesystem::path effective_results_dir() const;
  staging::StagingDirs staging_dirs() const { return {workdir / "staging"}; }
};

/// The steps of a run. Each throws marquee::Error (with its exit code) for what ends the run.
class Job {
 public:
  explicit Job(JobOptions options);
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  /// stage + load + report, then run_summary.json.
  void run(const std::string& source);
  /// Downloads only.
  void stage(const std::string& source);
  /// Loads every complete archive in staging/incoming/, oldest first, under the run lock.
  void load();
  /// `marquee validate SOURCE`: reads SOURCE as a load would (a remote one is downloaded into a
  /// temporary folder, removed after), applies the record rules and the reject limit, writes the
  /// rejects to rejects/validate-<run_id>/, and opens no database. Throws what the load would.
  void validate(const std::string& source);
  /// `marquee load --dry-run`: validate() of every archive load() would take, none moved.
  void validate_staged();
  /// Writes the reports from what is loaded.
  void report();
  /// Prints the batches loaded and what waits in staging.
  void status(std::ostream& out, bool json = false);
  /// Stages each SOURCE (an archive, a folder of .zip files, or an s3://bucket/prefix/ listed
  /// with ListObjectsV2) into staging/backfill/, for `load` to trickle in after incoming/, each
  /// with the data time of JobOptions::backfill (plan_backfill). A dry run prints the plan to
  /// `plan_out` and writes nothing into staging/.
  void backfill(const std::vector<std::string>& sources, std::ostream& plan_out);
  void backfill(const std::vector<std::string>& sources);

  /// Announces a failed run (--on-failure, --alert-webhook) and records it in
  /// <workdir>/state/last_<command>.json; the step, source and batch are the ones in progress.
  void notify_failure(int exit_code, const std::string& message);
  /// Records a successful run; the first success after a failure logs and posts `recovered`.
  void notify_success();

  const std::vector<LoadedBatch>& loaded() const { return loaded_; }

  /// The summary of this run so far (run_summary.json and <workdir>/state/runs/<run_id>.json).
  RunSummary summary(int exit_code, const std::string& error);

 private:
  store::Store& store();
  /// The locks a load holds: the work directory's file lock, then the store's own (SQLite: a
  /// lock file beside the database; PostgreSQL: an advisory lock guarding it against loaders on
  /// other machines).
  struct LoadLocks;
  LoadLocks lock_for_load();
  void load_files(const DatasetFiles& files, const store::BatchSource& source);
  /// movies_metadata.csv into the open batch, its rejects file, the reject limit, and the end of
  /// the batch's movies (finish_movies); `changes` gets what the batch changed.
  FileStats load_movies_file(const DatasetFiles::File& movies, store::BatchWriter& writer,
                             std::optional<store::MovieChanges>& changes);
  /// links, keywords, credits and ratings (SPEC 3.5) into the open batch after its movies, each
  /// with its rejects file and reject limit; an entry equal to the one last loaded is skipped.
  /// Appends each file's stats and record.
  void load_detail_files(const DatasetFiles& files, store::BatchWriter& writer,
                         const std::optional<store::MovieChanges>& changes,
                         std::vector<FileStats>& stats, std::vector<store::FileRecord>& records);
  /// One of the other files through its rules into `writer` (a batch or a validation's dry
  /// run), its rejects in rejects/<rejects_folder>/ (kept in written_); the caller checks the
  /// reject limit.
  FileStats read_detail_file(dataset::DetailFile file, const DatasetFiles::File& entry,
                             store::BatchWriter& writer, const std::string& rejects_folder,
                             const std::vector<std::int64_t>& movie_ids);
  static store::FileRecord file_record(const FileStats& stats, const DatasetFiles::File& entry);
  /// The rejects file of an entry in a batch (or a validation): rejects/<batch>/<stem>.rejects.csv.
  std::filesystem::path rejects_path(const std::string& batch, std::string_view entry) const;
  void record_report_changes(const std::vector<store::ReportChange>& changes);
  void load_staged(const staging::StagedArchive& archive);
  FileStats validate_files(const DatasetFiles& files);
  /// Every archive the backfill SOURCES name (folders and S3 prefixes listed).
  std::vector<std::string> backfill_archives(const std::vector<std::string>& sources);
  /// incoming/ in order, then up to --backfill-batches of the backfill lane, oldest data first.
  std::vector<staging::StagedArchive> archives_to_load(const staging::StagingDirs& dirs);
  /// Runs sql/checks/ over the batches loaded_[first_new_batch…] and those of unchecked_;
  /// throws Error(kBadData) in CheckMode::kError when one fails. In a `run` with --checks=warn
  /// it only notes the batches, for checks_beside_reports().
  void check_data(std::size_t first_new_batch);
  /// The checks of `batches`, now, on this connection.
  void check_now(const std::vector<std::int64_t>& batches);
  /// What a run's checks found, for record_checks().
  struct ChecksDone;
  /// Records what the checks found (data_check_result, the summary, the log) and throws what
  /// check_data() throws.
  void record_checks(const ChecksDone& done);
  /// The reports, with the noted batches' checks on a second connection beside them: in
  /// --checks=warn a failing check changes no report, so the two read the committed batches at
  /// once on two cores (the checks then the reports took one after the other before).
  void checks_beside_reports();
  /// movie_results/run_summary.json, beside the reports of a `run` that succeeded.
  void write_summary();
  /// <workdir>/state/runs/<run_id>.json, for every command that changes something, succeeded or
  /// failed. One that cannot be written is a warning: it must not turn a run into a failure.
  void write_run_history(int exit_code, const std::string& error);
  /// The wall time of the steps of the batch being loaded, for its committed log line (the
  /// time of reading the movies file is its FileStats.seconds).
  struct BatchStepSeconds {
    double finish_movies = 0;  ///< settling names, snapshot removals, report aggregates
    double detail_files = 0;   ///< the other files of the archive, each read and applied
    double commit = 0;
  };
  BatchStepSeconds step_seconds_;
  void log_batch_committed(const store::BatchSource& source, std::int64_t batch_id,
                           const FileStats& stats, double seconds) const;

  JobOptions options_;
  std::unique_ptr<store::Store> store_;
  std::vector<LoadedBatch> loaded_;
  /// Batches loaded before this run whose checks were never recorded (that run failed after
  /// its commit); this run checks them.
  std::vector<std::int64_t> unchecked_;
  /// A `run` in --checks=warn: check_data() notes its batches in deferred_checks_, and the locks
  /// of the load stay held until checks_beside_reports() has recorded their checks.
  bool defer_checks_ = false;
  std::vector<std::int64_t> deferred_checks_;
  std::unique_ptr<LoadLocks> held_locks_;
  std::vector<std::filesystem::path> written_;
  std::vector<StepTiming> steps_;
  std::vector<CheckOutcome> checks_;
  std::vector<ReportOutcome> reports_;
  std::string summary_source_, summary_sha256_;
  std::string run_id_;
  std::string started_at_;
  std::string step_;  ///< what the run is doing, for alerts
  std::string current_source_;
  std::optional<std::int64_t> current_batch_;
  /// The command only reads (status, report, a load with nothing staged): the database must
  /// exist already, so that a wrong --workdir fails instead of creating an empty one.
  bool database_must_exist_ = false;
};

}  // namespace marquee::pipeline
