#include "pipeline/job.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <exception>
#include <future>
#include <iostream>
#include <optional>
#include <ostream>
#include <random>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/file_lock.hpp"
#include "dataset/detail_rules.hpp"
#include "pipeline/backfill.hpp"
#include "pipeline/detail_loader.hpp"
#include "pipeline/dry_run_writer.hpp"
#include "pipeline/interrupt.hpp"
#include "pipeline/logging.hpp"
#include "pipeline/metrics_textfile.hpp"
#include "pipeline/status.hpp"
#include "report/report_patch.hpp"
#include "report/report_writer.hpp"
#include "source/redact.hpp"
#include "source/source.hpp"

namespace marquee::pipeline {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kMoviesFile = "movies_metadata.csv";

/// The entries of SPEC 3.5, loaded after the movies when the archive has them.
bool is_detail_file(std::string_view name) {
  for (auto file : dataset::kDetailFiles) {
    if (dataset::entry_name(file) == name) return true;
  }
  return false;
}
bool is_ignored_subset(std::string_view name) {
  return name == "links_small.csv" || name == "ratings_small.csv";
}

void log_other_entries(const DatasetFiles& files) {
  for (const auto& f : files.files()) {
    if (f.base_name == kMoviesFile) continue;
    if (is_ignored_subset(f.base_name)) {
      spdlog::info("load: {}: {} is a subset of the full files; ignored", files.label(),
                   f.stored_name);
    } else if (!is_detail_file(f.base_name)) {
      spdlog::info("load: {}: unknown entry {} skipped", files.label(), f.stored_name);
    }
  }
}

std::string missing_movies_message(const DatasetFiles& files) {
  return fmt::format(
      "{}: the required entry {} is missing; this is not The Movies Dataset archive, or it is "
      "incomplete — stage a complete one",
      files.label(), kMoviesFile);
}

std::string reasons_of(const FileStats& stats) {
  std::vector<std::string> parts;
  for (const auto& [reason, count] : stats.rejected_by_reason) {
    parts.push_back(fmt::format("{} {}", count, reason));
  }
  return parts.empty() ? "" : fmt::format(" ({})", fmt::join(parts, ", "));
}

/// A folder of its own for what `validate` downloads: the real staging state never sees it.
class ValidationFolder {
 public:
  explicit ValidationFolder(const fs::path& workdir)
      : dirs_{workdir / "staging" / fmt::format("validate.tmp-{}", ::getpid())} {
    std::error_code ec;
    fs::remove_all(dirs_.root, ec);
    dirs_.create();
  }
  ~ValidationFolder() {
    std::error_code ec;
    fs::remove_all(dirs_.root, ec);
  }
  ValidationFolder(const ValidationFolder&) = delete;
  ValidationFolder& operator=(const ValidationFolder&) = delete;
  const staging::StagingDirs& dirs() const { return dirs_; }

 private:
  staging::StagingDirs dirs_;
};

std::string new_run_id() {
  std::random_device rd;
  return fmt::format("{}-{:04x}", utc_now_compact(), rd() & 0xffff);
}

/// A SOURCE that is a local folder of CSVs (loaded in place, not staged).
std::optional<fs::path> local_directory(const std::string& source) {
  std::error_code ec;
  auto path = source::local_path_of(source);
  if (path && fs::is_directory(*path, ec)) return path;
  return std::nullopt;
}

/// A local .csv file of the dataset, loaded in place like a folder (not staged as a ZIP).
std::optional<fs::path> local_csv_file(const std::string& source) {
  std::error_code ec;
  auto path = source::local_path_of(source);
  if (path && fs::is_regular_file(*path, ec) && path->extension() == ".csv") return path;
  return std::nullopt;
}

/// staging::stage, with a download stopped by SIGINT/SIGTERM turned into Interrupted (its .part
/// stays for the next stage to resume).
staging::StageResult stage_or_stop(const std::string& source, const staging::StagingDirs& dirs,
                                   const staging::StageOptions& options,
                                   const std::filesystem::path& into) {
  try {
    return staging::stage(source, dirs, options, into);
  } catch (const source::TransferCancelled& e) {
    int signal_number = stop_signal();
    throw Interrupted(signal_number == 0 ? SIGTERM : signal_number,
                      fmt::format("interrupted by {}: {}; nothing was staged: run the same "
                                  "command again to resume the download",
                                  signal_number == SIGINT ? "SIGINT" : "SIGTERM", e.what()));
  }
}

}  // namespace

std::string JobOptions::effective_db_url() const {
  return db_url.empty() ? "sqlite:" + (workdir / "marquee.db").string() : db_url;
}
fs::path JobOptions::effective_log_dir() const {
  return log_dir.empty() ? workdir / "log" : log_dir;
}
fs::path JobOptions::effective_results_dir() const {
  return results_dir.empty() ? workdir / "movie_results" : results_dir;
}

Job::Job(JobOptions options)
    : options_(std::move(options)), run_id_(new_run_id()), started_at_(utc_now_iso8601()) {
  set_log_run_id(run_id_);
  // A SIGINT or SIGTERM stops a download at once instead of after its last byte.
  options_.stage.cancelled = [] { return stop_signal() != 0; };
  std::error_code ec;
  fs::create_directories(options_.workdir, ec);
  if (ec || !fs::is_directory(options_.workdir)) {
    throw Error(ExitCode::kUsage,
                fmt::format("cannot create the work directory {}: {}; choose another --workdir",
                            options_.workdir.string(), ec.message()));
  }
  spdlog::debug(
      "run {}: {} in {}; database {}; logs in {}; reports in {}; reject limit {}; checks {}; "
      "lock timeout {} ms",
      run_id_, options_.command, options_.workdir.string(), options_.effective_db_url(),
      options_.effective_log_dir().string(), options_.effective_results_dir().string(),
      options_.max_reject_ratio, options_.checks == CheckMode::kError ? "error" : "warn",
      options_.lock_timeout.count());
}

store::Store& Job::store() {
  if (!store_) {
    store_ = store::open_store(options_.effective_db_url(), {.must_exist = database_must_exist_});
    spdlog::info("store: {}", store_->describe());
  }
  return *store_;
}

void Job::stage(const std::string& source) {
  step_ = "stage";
  StepTimer timer(steps_, "stage");
  current_source_ = source;
  auto dirs = options_.staging_dirs();
  dirs.create();
  auto result = stage_or_stop(source, dirs, options_.stage, dirs.incoming());
  if (result.skipped_unchanged) {
    spdlog::info("stage: {} unchanged since it was last staged (ETag {}); nothing downloaded",
                 source::redacted(source), result.archive.etag);
  } else {
    spdlog::info("stage: wrote {} ({} bytes, sha256 {})", result.archive.path.string(),
                 result.archive.size, result.archive.sha256);
    written_.push_back(result.archive.path);
  }
}

struct Job::LoadLocks {
  FileLock workdir;
  std::unique_ptr<store::RunLease> database;
};

Job::~Job() = default;

Job::LoadLocks Job::lock_for_load() {
  store::RunLockOptions lock_options;
  lock_options.no_wait = options_.lock_timeout.count() == 0;
  lock_options.timeout = options_.lock_timeout;
  // Braced initialization runs in order: the work directory's lock is taken first.
  return {FileLock(options_.workdir / "marquee.lock", options_.lock_timeout),
          store().lock_run(lock_options)};
}

namespace {

/// Rolls the batch back after `reason`; returns what the error message must add when the batch
/// could not be marked failed (the database may be what failed), so that the first error is the
/// one the operator reads. A batch that committed has nothing to roll back and stays loaded.
std::string roll_back(store::BatchWriter& writer, const std::string& reason) {
  try {
    writer.rollback(reason);
    return "";
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return fmt::format(
        " (nothing of the batch was kept, but its ingest_batch row could not be marked failed "
        "and stays 'started': {})",
        e.what());
  }
}

}  // namespace

void Job::load_files(const DatasetFiles& files, const store::BatchSource& source) {
  if (auto previous = store().loaded_batch(source.sha256)) {
    spdlog::info("load: {} has the sha256 of batch {} loaded at {}; nothing to do", source.source,
                 previous->id, previous->finished_at);
    if (!data_checks_recorded(store(), previous->id)) {
      spdlog::warn(
          "load: batch {} was committed by a run that stopped before its data checks; "
          "checking it now",
          previous->id);
      unchecked_.push_back(previous->id);
    }
    return;
  }
  const auto* movies = files.find(kMoviesFile);
  if (movies == nullptr) {
    std::string message = missing_movies_message(files);
    store().record_failed_batch(source, message);
    throw Error(ExitCode::kBadData, message);
  }
  log_other_entries(files);
  for (const auto& f : files.files()) {
    spdlog::debug("load: {}: entry {} ({} bytes)", files.label(), f.stored_name, f.size);
  }

  const auto opened = std::chrono::steady_clock::now();
  auto writer = store().begin_batch(source);
  const std::int64_t batch_id = writer->batch_id();
  current_batch_ = batch_id;
  spdlog::info("load: batch {} from {} (sha256 {})", batch_id, source.source, source.sha256);
  LoadedBatch batch{batch_id, source, {}, 0};
  FileStats stats;
  std::vector<FileStats> details;
  std::vector<store::FileRecord> records;
  try {
    stats = load_movies_file(*movies, *writer, batch.movies);
    records.push_back(file_record(stats, *movies));
    const auto details_started = std::chrono::steady_clock::now();
    load_detail_files(files, *writer, batch.movies, details, records);
    const auto committing = std::chrono::steady_clock::now();
    step_seconds_.detail_files =
        std::chrono::duration<double>(committing - details_started).count();
    writer->commit_loaded(records);
    step_seconds_.commit = seconds_since(committing);
  } catch (const Error& e) {
    std::string undone = roll_back(*writer, e.what());
    throw Error(e.code(), fmt::format("batch {}: {}{}", batch_id, e.what(), undone));
  } catch (const Interrupted& e) {
    roll_back(*writer, e.what());
    throw;
  } catch (const std::exception& e) {
    std::string undone = roll_back(*writer, e.what());
    throw Error(ExitCode::kDatabase, fmt::format("batch {}: {}{}", batch_id, e.what(), undone));
  }
  // Committed: whatever fails from here, the batch is loaded (and a later run checks it).
  batch.seconds = seconds_since(opened);
  stats.movies_without_year = report::movies_without_year(store(), batch_id);
  log_batch_committed(source, batch_id, stats, batch.seconds);
  if (batch.movies) {
    const auto& c = *batch.movies;
    spdlog::info("load: batch {} changed {} movies: {} new, {} updated, {} removed; {} unchanged",
                 batch_id, c.added + c.updated + c.removed, c.added, c.updated, c.removed,
                 c.unchanged);
  }
  batch.files.push_back(std::move(stats));
  for (auto& d : details) batch.files.push_back(std::move(d));
  loaded_.push_back(std::move(batch));
  current_batch_.reset();
}

fs::path Job::rejects_path(const std::string& batch, std::string_view entry) const {
  return options_.workdir / "rejects" / batch /
         fmt::format("{}.rejects.csv", fs::path(entry).stem().string());
}

FileStats Job::load_movies_file(const DatasetFiles::File& movies, store::BatchWriter& writer,
                                std::optional<store::MovieChanges>& changes) {
  const std::int64_t batch_id = writer.batch_id();
  RejectSink rejects(rejects_path(std::to_string(batch_id), kMoviesFile));
  auto input = movies.open();
  FileStats stats = load_movies(*input, std::string(kMoviesFile), writer, rejects,
                                {options_.max_record_bytes, 1 << 20},
                                {{options_.max_reject_ratio}, movies.size, options_.snapshot});
  stats.rejects_file = rejects.finish();
  written_.push_back(stats.rejects_file);
  RejectBudget{options_.max_reject_ratio}.check(stats, movies.stored_name, batch_id);
  store::BatchCounts counts{stats.rows_read,        stats.rows_loaded,
                            stats.rows_rejected,    stats.duplicate_superseded,
                            stats.warnings.total(), 0};
  const auto finishing = std::chrono::steady_clock::now();
  counts = writer.finish_movies(counts, options_.snapshot);
  step_seconds_.finish_movies = seconds_since(finishing);
  changes = counts.movies;
  stats.rows_loaded = counts.rows_loaded;
  stats.duplicate_superseded = counts.duplicate_superseded;
  stats.older_than_loaded = counts.older_than_loaded;
  return stats;
}

namespace {

/// Whether an entry equal (CRC-32 and size) to the one the last batch loaded may be skipped.
/// Links and ratings depend on nothing else. Keywords and credits name movies: a batch that
/// added movies must read them again, since rows of then-unknown movies were not loaded. A
/// snapshot skips only behind a snapshot load of the same entry, whose load removed what the
/// entry does not hold (a plain load does not).
bool may_skip(dataset::DetailFile file, const DatasetFiles::File& entry,
              const std::optional<store::FileRecord>& last,
              const std::optional<store::MovieChanges>& changes, bool snapshot) {
  if (!entry.crc32 || !last || !last->crc32) return false;
  if (*last->crc32 != *entry.crc32 || last->bytes != entry.size) return false;
  if (snapshot && !last->snapshot) return false;
  if (file == dataset::DetailFile::kKeywords || file == dataset::DetailFile::kCredits) {
    return changes && changes->added == 0;
  }
  return true;
}

}  // namespace

store::FileRecord Job::file_record(const FileStats& stats, const DatasetFiles::File& entry) {
  store::FileRecord r;
  r.file = entry.base_name;
  r.status = stats.status;
  r.crc32 = entry.crc32;
  r.bytes = entry.size;
  r.counts = store::BatchCounts{stats.rows_read,        stats.rows_loaded,
                                stats.rows_rejected,    stats.duplicate_superseded,
                                stats.warnings.total(), stats.older_than_loaded};
  return r;
}

FileStats Job::read_detail_file(dataset::DetailFile file, const DatasetFiles::File& entry,
                                store::BatchWriter& writer, const std::string& rejects_folder,
                                const std::vector<std::int64_t>& movie_ids) {
  const std::string name(dataset::entry_name(file));
  RejectSink rejects(rejects_path(rejects_folder, name));
  auto input = entry.open();
  FileStats stats =
      load_detail_file(file, *input, name, writer, rejects, {options_.max_record_bytes, 1 << 20},
                       {{options_.max_reject_ratio}, entry.size, options_.snapshot}, movie_ids);
  stats.rejects_file = rejects.finish();
  written_.push_back(stats.rejects_file);
  return stats;
}

void Job::load_detail_files(const DatasetFiles& files, store::BatchWriter& writer,
                            const std::optional<store::MovieChanges>& changes,
                            std::vector<FileStats>& stats,
                            std::vector<store::FileRecord>& records) {
  const std::int64_t batch_id = writer.batch_id();
  std::optional<std::vector<std::int64_t>> movie_ids;
  for (auto file : dataset::kDetailFiles) {
    const std::string name(dataset::entry_name(file));
    const auto* entry = files.find(name);
    if (entry == nullptr) continue;
    if (may_skip(file, *entry, store().last_loaded_file(name), changes, options_.snapshot)) {
      FileStats skipped;
      skipped.file = name;
      skipped.status = "unchanged";
      spdlog::info(
          "load: batch {}: {} is unchanged since the last batch that loaded it (CRC-32 {:08x}, "
          "{} bytes); not read again",
          batch_id, entry->stored_name, *entry->crc32, entry->size);
      records.push_back(file_record(skipped, *entry));
      stats.push_back(std::move(skipped));
      continue;
    }
    if (!movie_ids &&
        (file == dataset::DetailFile::kKeywords || file == dataset::DetailFile::kCredits)) {
      movie_ids = writer.movie_ids();
    }
    static const std::vector<std::int64_t> kNoMovies;
    spdlog::info("load: batch {}: reading {} ({} bytes)", batch_id, entry->stored_name,
                 entry->size);
    FileStats s = read_detail_file(file, *entry, writer, std::to_string(batch_id),
                                   movie_ids ? *movie_ids : kNoMovies);
    RejectBudget{options_.max_reject_ratio}.check(s, entry->stored_name, batch_id);
    spdlog::info(
        "load: batch {}: {}: {} read, {} loaded, {} rejected{}, {} duplicates superseded (of "
        "which {} older than the version loaded), {} warnings, in {:.2f}s",
        batch_id, name, s.rows_read, s.rows_loaded, s.rows_rejected, reasons_of(s),
        s.duplicate_superseded, s.older_than_loaded, s.warnings.total(), s.seconds);
    records.push_back(file_record(s, *entry));
    stats.push_back(std::move(s));
  }
}

void Job::log_batch_committed(const store::BatchSource& source, std::int64_t batch_id,
                              const FileStats& stats, double seconds) const {
  spdlog::info(
      "load: batch {} committed (data time {}): {}: {} read, {} loaded, {} rejected, {} "
      "duplicates superseded (of which {} older than the version loaded), {} warnings, {} "
      "without a year; the batch took {:.2f}s: reading {} {:.2f}s, settling the movies and the "
      "report aggregates {:.2f}s, the other files {:.2f}s, the commit {:.2f}s{}",
      batch_id, source.data_time.empty() ? "the load time" : source.data_time, kMoviesFile,
      stats.rows_read, stats.rows_loaded, stats.rows_rejected, stats.duplicate_superseded,
      stats.older_than_loaded, stats.warnings.total(), stats.movies_without_year, seconds,
      kMoviesFile, stats.seconds, step_seconds_.finish_movies, step_seconds_.detail_files,
      step_seconds_.commit,
      options_.snapshot ? " (snapshot: movies absent from it were removed)" : "");
  if (stats.warnings.total() > 0) {
    spdlog::warn(
        "batch {}: {}: {} warnings (values set to NULL or items dropped); the first of each kind "
        "are above",
        batch_id, kMoviesFile, stats.warnings.total());
  }
}

void Job::load_staged(const staging::StagedArchive& archive) {
  store::BatchSource source{archive.source, archive.sha256, archive.etag, archive.staged_at,
                            data_time_of(archive)};
  current_source_ = archive.source;
  auto dirs = options_.staging_dirs();
  try {
    std::optional<DatasetFiles> files;
    try {
      files = DatasetFiles::from_zip(archive.path);
    } catch (const Error& e) {
      if (e.code() == ExitCode::kBadData) store().record_failed_batch(source, e.what());
      throw;
    }
    load_files(*files, source);
  } catch (const Error& e) {
    if (e.code() == ExitCode::kBadData) {
      staging::mark_failed(archive, dirs, e.what());
      spdlog::info("load: {} moved to {} with its reason beside it",
                   archive.path.filename().string(), dirs.failed().string());
    }
    throw;
  }
  fs::path kept = staging::mark_loaded(archive, dirs);
  written_.push_back(kept);
  spdlog::info("load: {} is kept as {}", archive.path.filename().string(), kept.string());
}

FileStats Job::validate_files(const DatasetFiles& files) {
  const auto* movies = files.find(kMoviesFile);
  if (movies == nullptr) throw Error(ExitCode::kBadData, missing_movies_message(files));
  log_other_entries(files);
  RejectSink rejects(rejects_path(fmt::format("validate-{}", run_id_), kMoviesFile));
  DryRunWriter writer;
  auto input = movies->open();
  FileStats stats = load_movies(*input, std::string(kMoviesFile), writer, rejects,
                                {options_.max_record_bytes, 1 << 20},
                                {{options_.max_reject_ratio}, movies->size, options_.snapshot});
  stats.rejects_file = rejects.finish();
  stats.movies_without_year = writer.movies_without_year();
  written_.push_back(stats.rejects_file);
  spdlog::info(
      "validate: {}: {}: {} read, {} movies valid, {} rejected{}, {} duplicates superseded, {} "
      "warnings, {} without a year; rejects in {}; in {:.2f}s; nothing was loaded",
      files.label(), movies->stored_name, stats.rows_read, stats.rows_loaded, stats.rows_rejected,
      reasons_of(stats), stats.duplicate_superseded, stats.warnings.total(),
      stats.movies_without_year, stats.rejects_file.string(), stats.seconds);
  RejectBudget{options_.max_reject_ratio}.check(stats, movies->stored_name, std::nullopt);
  const std::vector<std::int64_t> movie_ids = writer.movie_ids();
  for (auto file : dataset::kDetailFiles) {
    const std::string name(dataset::entry_name(file));
    const auto* entry = files.find(name);
    if (entry == nullptr) continue;
    FileStats s =
        read_detail_file(file, *entry, writer, fmt::format("validate-{}", run_id_), movie_ids);
    spdlog::info(
        "validate: {}: {}: {} read, {} valid, {} rejected{}, {} duplicates superseded, {} "
        "warnings; rejects in {}; in {:.2f}s; nothing was loaded",
        files.label(), entry->stored_name, s.rows_read, s.rows_loaded, s.rows_rejected,
        reasons_of(s), s.duplicate_superseded, s.warnings.total(), s.rejects_file.string(),
        s.seconds);
    RejectBudget{options_.max_reject_ratio}.check(s, entry->stored_name, std::nullopt);
  }
  return stats;
}

void Job::validate(const std::string& source) {
  step_ = "validate";
  StepTimer timer(steps_, "validate");
  current_source_ = source;
  std::error_code ec;
  if (auto dir = local_directory(source)) {
    validate_files(DatasetFiles::from_directory(*dir));
  } else if (auto csv = local_csv_file(source)) {
    validate_files(DatasetFiles::from_csv_file(*csv));
  } else if (auto path = source::local_path_of(source); path && fs::is_regular_file(*path, ec)) {
    validate_files(DatasetFiles::from_zip(*path));
  } else {
    ValidationFolder folder(options_.workdir);
    auto staged = stage_or_stop(source, folder.dirs(), options_.stage, folder.dirs().incoming());
    validate_files(DatasetFiles::from_zip(staged.archive.path));
  }
}

void Job::validate_staged() {
  step_ = "validate";
  StepTimer timer(steps_, "validate");
  auto dirs = options_.staging_dirs();
  auto waiting = archives_to_load(dirs);
  std::optional<Error> first_bad;
  for (const auto& archive : waiting) {
    current_source_ = archive.source;
    try {
      validate_files(DatasetFiles::from_zip(archive.path));
    } catch (const Error& e) {
      if (e.code() != ExitCode::kBadData) throw;
      spdlog::warn("validate: {}: a load would move it to {}: {}", archive.path.filename().string(),
                   dirs.failed().string(), e.what());
      if (!first_bad) first_bad = e;
    }
  }
  spdlog::info("validate: {} archives waiting; nothing was loaded or moved (--dry-run)",
               waiting.size());
  if (first_bad) throw *first_bad;
}

std::vector<staging::StagedArchive> Job::archives_to_load(const staging::StagingDirs& dirs) {
  auto waiting = staging::pending(dirs.incoming());
  if (waiting.empty()) spdlog::info("load: nothing waiting in {}", dirs.incoming().string());
  // The backfill lane: oldest data first, a few per run, so that it never delays the hourly flow.
  auto backfill = staging::pending(dirs.backfill());
  sort_by_data_time(backfill);
  if (!backfill.empty()) {
    std::size_t take = std::min(backfill.size(), options_.backfill_batches);
    spdlog::info("load: {} archives wait in {}; loading {} after incoming/ (--backfill-batches)",
                 backfill.size(), dirs.backfill().string(), take);
    waiting.insert(waiting.end(), backfill.begin(),
                   backfill.begin() + static_cast<std::ptrdiff_t>(take));
  }
  return waiting;
}

void Job::load() {
  step_ = "load";
  auto dirs = options_.staging_dirs();
  // Nothing staged: a load that would only create an empty database is a wrong --workdir.
  database_must_exist_ =
      staging::pending(dirs.incoming()).empty() && staging::pending(dirs.backfill()).empty();
  dirs.create();
  std::unique_ptr<LoadLocks> locks(new LoadLocks(lock_for_load()));
  auto waiting = archives_to_load(dirs);
  // A bad archive goes to failed/ and the next one still loads (a later hourly archive must not
  // wait behind a corrupt one); the run then ends with the first bad archive's error. Any other
  // failure (the database, the lock) stops at once and leaves the archive where it is.
  std::optional<Error> first_bad;
  std::size_t bad = 0;
  std::optional<std::int64_t> first_bad_batch;
  std::string first_bad_source;
  const std::size_t loaded_before = loaded_.size();
  std::optional<StepTimer> timer;
  if (!waiting.empty()) timer.emplace(steps_, "load");
  for (const auto& archive : waiting) {
    stop_if_requested(fmt::format("before {}", archive.path.filename().string()));
    try {
      load_staged(archive);
      if (archive.path.parent_path() == dirs.backfill()) {
        auto progress = BackfillProgress::read(dirs);
        ++progress.loaded;
        progress.write(dirs);
      }
    } catch (const Error& e) {
      if (e.code() != ExitCode::kBadData) throw;
      ++bad;
      if (!first_bad) {
        first_bad = e;
        first_bad_batch = current_batch_;
        first_bad_source = current_source_;
      }
      spdlog::warn("load: {} failed and was moved to {}; going on with the next archive",
                   archive.path.filename().string(), dirs.failed().string());
    }
  }
  if (timer && first_bad) timer->fail();
  timer.reset();
  if (loaded_.size() > loaded_before || !unchecked_.empty()) check_data(loaded_before);
  if (first_bad && !deferred_checks_.empty()) {
    // The run ends here: the good archives' batches are checked before it does.
    check_now(std::exchange(deferred_checks_, {}));
  }
  if (!deferred_checks_.empty()) held_locks_ = std::move(locks);
  if (first_bad) {
    current_batch_ = first_bad_batch;  // the alert names the first bad archive, as the message
    current_source_ = first_bad_source;
    if (bad == 1) throw *first_bad;
    throw Error(ExitCode::kBadData,
                fmt::format("{} (and {} more archives failed; see {})", first_bad->what(), bad - 1,
                            dirs.failed().string()));
  }
}

struct Job::ChecksDone {
  std::vector<std::pair<std::int64_t, std::vector<CheckResult>>> batches;
  /// Set when the checks of a batch did not run to the end; the batches before it are done.
  std::exception_ptr failure;
  /// Set when the checks' own connection could not be opened: they have not run.
  std::optional<std::string> no_connection;
  double seconds = 0;
};

namespace {

/// `e`, said of a committed batch whose checks it stopped.
Error checks_stopped(std::int64_t batch, const Error& e) {
  return Error(e.code(), fmt::format("batch {} is loaded, but its data checks did not run to "
                                     "the end: {}; the next run checks it",
                                     batch, e.what()));
}

/// The checks of each batch in turn, until one cannot run.
void run_checks(store::Store& store, const std::vector<std::int64_t>& batches, bool snapshot,
                std::vector<std::pair<std::int64_t, std::vector<CheckResult>>>& done) {
  for (std::int64_t batch : batches) {
    try {
      done.emplace_back(batch, run_data_checks(store, {batch}, snapshot));
    } catch (const Error& e) {
      throw checks_stopped(batch, e);
    }
  }
}

}  // namespace

void Job::check_data(std::size_t first_new_batch) {
  std::vector<std::int64_t> batches;
  for (std::size_t i = first_new_batch; i < loaded_.size(); ++i) {
    batches.push_back(loaded_[i].batch_id);
  }
  batches.insert(batches.end(), unchecked_.begin(), unchecked_.end());
  unchecked_.clear();
  if (defer_checks_) {
    deferred_checks_.insert(deferred_checks_.end(), batches.begin(), batches.end());
    return;
  }
  check_now(batches);
}

void Job::check_now(const std::vector<std::int64_t>& batches) {
  step_ = "checks";
  ChecksDone done;
  {
    StepTimer timer(steps_, "checks");
    try {
      run_checks(store(), batches, options_.snapshot, done.batches);
    } catch (...) {
      done.failure = std::current_exception();
    }
  }
  record_checks(done);
  step_ = "load";
}

void Job::record_checks(const ChecksDone& done) {
  std::vector<std::string> failed;
  for (const auto& [batch, results] : done.batches) {
    try {
      for (const auto& result : results) {
        store().record_check(batch, result.name, result.failing, result.examples);
      }
    } catch (const Error& e) {
      throw checks_stopped(batch, e);
    }
    for (const auto& result : results) {
      checks_.push_back({batch, result.name, result.failing, result.seconds});
      if (result.failing > 0) {
        failed.push_back(fmt::format("{} ({} in batch {})", result.name, result.failing, batch));
      }
    }
  }
  if (done.failure) std::rethrow_exception(done.failure);
  if (!failed.empty() && options_.checks == CheckMode::kError) {
    throw Error(ExitCode::kBadData,
                fmt::format("data checks failed after the load: {}; the batches stay committed — "
                            "the failing keys are in the log and in the table data_check_result: "
                            "fix the source and load a corrected archive, or run with "
                            "--checks=warn",
                            fmt::join(failed, ", ")));
  }
}

void Job::checks_beside_reports() {
  if (deferred_checks_.empty()) {
    held_locks_.reset();
    report();
    return;
  }
  std::vector<std::int64_t> batches = std::move(deferred_checks_);
  deferred_checks_.clear();
  StepTiming step{"checks", utc_now_iso8601(), 0, false};
  const std::size_t step_at = steps_.size();  // the checks start first: listed before the report
  // The checks' own connection, read-only; opened on their thread, so that its cost (a
  // PostgreSQL connection) is beside the reports too.
  auto checking = std::async(std::launch::async, [url = options_.effective_db_url(), batches,
                                                  snapshot = options_.snapshot] {
    ChecksDone done;
    auto started = std::chrono::steady_clock::now();
    std::unique_ptr<store::Store> store;
    try {
      store = store::open_store(url, {.read_only = true, .must_exist = true});
    } catch (const std::exception& e) {
      done.no_connection = e.what();
    }
    if (store) {
      try {
        run_checks(*store, batches, snapshot, done.batches);
      } catch (...) {
        done.failure = std::current_exception();
      }
    }
    done.seconds = seconds_since(started);
    return done;
  });
  // Whatever happens to the reports, the checks are waited for and recorded, and the locks
  // are released after them: a run that starts meanwhile must not check the batches again.
  auto finish = [&] {
    ChecksDone done = checking.get();
    if (done.no_connection) {
      // No second connection to be had (a role's connection limit, a full server): the checks
      // run on the run's connection after the reports, as they ran before the reports once.
      spdlog::warn("checks: no connection of their own ({}); running them after the reports",
                   *done.no_connection);
      auto started = std::chrono::steady_clock::now();
      try {
        run_checks(store(), batches, options_.snapshot, done.batches);
      } catch (...) {
        done.failure = std::current_exception();
      }
      done.seconds += seconds_since(started);
    }
    step.seconds = done.seconds;
    step.failed = done.failure != nullptr;
    steps_.insert(steps_.begin() + static_cast<std::ptrdiff_t>(std::min(step_at, steps_.size())),
                  step);
    step_ = "checks";
    record_checks(done);
    held_locks_.reset();
  };
  try {
    report();
  } catch (...) {
    const std::string failed_step = step_;  // the alert names the report, whose error goes on
    try {
      finish();
    } catch (const std::exception& e) {
      spdlog::warn("checks: {}", e.what());
    }
    held_locks_.reset();
    step_ = failed_step;
    throw;
  }
  try {
    finish();
  } catch (...) {
    held_locks_.reset();
    throw;
  }
}

void Job::report() {
  step_ = "report";
  database_must_exist_ = true;  // reports of no database are a wrong --workdir, not empty files
  StepTimer timer(steps_, "report");
  auto started = std::chrono::steady_clock::now();
  auto reports = report::write_reports(store(), options_.effective_results_dir());
  std::vector<store::ReportChange> changes;
  for (const auto& r : reports) {
    if (r.changes) {
      spdlog::info(
          "report: wrote {} ({} rows; against the previous file {} added, {} changed, "
          "{} removed)",
          r.path.string(), r.rows, r.changes->rows_added, r.changes->rows_changed,
          r.changes->rows_removed);
      changes.push_back(*r.changes);
    } else {
      spdlog::info("report: wrote {} ({} rows)", r.path.string(), r.rows);
    }
    written_.push_back(r.path);
    reports_.push_back({r.name, r.path, r.rows, r.seconds, r.changes});
  }
  record_report_changes(changes);
  std::error_code ec;
  for (const auto& r : reports) {
    if (!report::is_patched_report(r.name)) continue;
    fs::path index = report::company_index_path(options_.effective_results_dir(), r.name);
    if (fs::exists(index, ec)) written_.push_back(index);
  }
  fs::path state = options_.effective_results_dir() / report::kStateFile;
  if (fs::exists(state, ec)) written_.push_back(state);
  auto patched = std::count_if(reports.begin(), reports.end(),
                               [](const report::WrittenReport& r) { return r.patched; });
  spdlog::info(
      "report: {} movies have no release year and are in no report; {} reports in {:.2f}s{}",
      report::movies_without_year(store()), reports.size(), seconds_since(started),
      patched == 0
          ? std::string()
          : fmt::format(" ({} patched: only the rows the change log names were read)", patched));
}

/// The reports written after this run's loads say what its last batch changed in them
/// (report_change, for status and /api/batches/{id}). The files are written by then: a failure
/// to record it is a warning, not a failed run.
void Job::record_report_changes(const std::vector<store::ReportChange>& changes) {
  if (loaded_.empty() || changes.empty()) return;
  const std::int64_t batch_id = loaded_.back().batch_id;
  try {
    store().record_report_changes(batch_id, changes);
  } catch (const std::exception& e) {
    spdlog::warn("report: could not record what batch {} changed in the reports: {}", batch_id,
                 e.what());
  }
}

RunSummary Job::summary(int exit_code, const std::string& error) {
  RunSummary s;
  s.run_id = run_id_;
  s.command = options_.command;
  s.version = MARQUEE_VERSION;
  s.source = summary_source_.empty() ? current_source_ : summary_source_;
  s.sha256 = summary_sha256_;
  s.started_at = started_at_;
  s.database = store_ ? store_->describe() : options_.effective_db_url();
  s.status = exit_code == 0 ? "succeeded" : "failed";
  s.exit_code = exit_code;
  s.error = error;
  s.batches = loaded_;
  s.steps = steps_;
  s.checks = checks_;
  s.reports = reports_;
  s.files_written = written_;
  return s;
}

void Job::write_summary() {
  fs::path path = options_.effective_results_dir() / "run_summary.json";
  RunSummary s = summary(0, "");
  s.movies_without_year = report::movies_without_year(store());
  write_run_summary(path, s);
  written_.push_back(path);
}

void Job::write_run_history(int exit_code, const std::string& error) {
  fs::path dir = run_history_dir(options_.workdir);
  fs::path path = dir / fmt::format("{}.json", run_id_);
  try {
    std::error_code ec;
    fs::create_directories(dir, ec);
    write_run_summary(path, summary(exit_code, error));
    prune_run_history(dir, kRunHistoryKept);
    spdlog::debug("run {}: summary in {}", run_id_, path.string());
  } catch (const std::exception& e) {
    spdlog::warn("run {}: could not write its summary {}: {}", run_id_, path.string(), e.what());
  }
  if (options_.metrics_textfile_dir.empty()) return;
  try {
    write_metrics_textfile(options_.metrics_textfile_dir, summary(exit_code, error));
  } catch (const std::exception& e) {
    spdlog::warn("run {}: could not write the metrics textfile in {}: {}", run_id_,
                 options_.metrics_textfile_dir.string(), e.what());
  }
}

void Job::run(const std::string& source) {
  spdlog::info("run {}: source {}", run_id_, source::redacted(source));
  defer_checks_ = options_.checks == CheckMode::kWarn;
  current_source_ = source;
  summary_source_ = source;
  auto dir = local_directory(source);
  auto csv = dir ? std::nullopt : local_csv_file(source);
  if (dir || csv) {
    step_ = "load";
    std::unique_ptr<LoadLocks> locks(new LoadLocks(lock_for_load()));
    {
      StepTimer timer(steps_, "load");
      auto files = dir ? DatasetFiles::from_directory(*dir) : DatasetFiles::from_csv_file(*csv);
      std::string sha256 = files.content_sha256();
      summary_sha256_ = sha256;
      std::string now = utc_now_iso8601();
      // --as-of dates a folder or a CSV file as it dates an archive (it was ignored here).
      const std::string& as_of = options_.stage.as_of;
      load_files(files, {fs::absolute(dir ? *dir : *csv).string(), sha256, "", now,
                         as_of.empty() ? now : as_of});
    }
    if (!loaded_.empty() || !unchecked_.empty()) check_data(0);
    if (!deferred_checks_.empty()) held_locks_ = std::move(locks);
  } else {
    step_ = "stage";
    auto dirs = options_.staging_dirs();
    dirs.create();
    std::optional<StepTimer> timer(std::in_place, steps_, "stage");
    auto staged = stage_or_stop(source, dirs, options_.stage, dirs.incoming());
    timer.reset();
    summary_sha256_ = staged.archive.sha256;
    load();
  }
  checks_beside_reports();
  write_summary();
  std::vector<std::string> names;
  for (const auto& p : written_) names.push_back(p.string());
  spdlog::info("run {}: done; files written: {}", run_id_, fmt::join(names, ", "));
}

void Job::status(std::ostream& out, bool json) {
  database_must_exist_ = true;
  if (json) {
    print_status_json(store(), options_.staging_dirs(), options_.backfill_batches, out);
  } else {
    print_status(store(), options_.staging_dirs(), options_.backfill_batches, out);
  }
}

std::vector<std::string> Job::backfill_archives(const std::vector<std::string>& sources) {
  std::vector<std::string> archives;
  for (const auto& source : sources) {
    current_source_ = source;
    auto expanded = expand_backfill_source(source, options_.stage);
    archives.insert(archives.end(), expanded.begin(), expanded.end());
  }
  if (archives.empty()) {
    std::vector<std::string> named;
    for (const auto& source : sources) named.push_back(source::redacted(source));
    spdlog::info("backfill: no archives found in {}", fmt::join(named, ", "));
  }
  return archives;
}

void Job::backfill(const std::vector<std::string>& sources) {
  backfill(sources, std::cout);
}

void Job::backfill(const std::vector<std::string>& sources, std::ostream& plan_out) {
  step_ = "backfill";
  StepTimer timer(steps_, "backfill");
  auto dirs = options_.staging_dirs();
  auto archives = backfill_archives(sources);
  if (archives.empty()) return;
  // Every archive is dated before the first is staged: a name that does not match stages none.
  auto plan = plan_backfill(archives, options_.stage.as_of, options_.backfill);
  if (options_.backfill.dry_run) {
    print_backfill_plan(plan, options_.stage, dirs.backfill(), plan_out);
    return;
  }
  dirs.create();
  std::uint64_t staged = 0;
  for (const auto& archive : plan) {
    stop_if_requested(fmt::format("before staging {}", source::redacted(archive.source)));
    current_source_ = archive.source;
    staging::StageOptions stage = options_.stage;
    stage.as_of = archive.as_of;
    auto result = stage_or_stop(archive.source, dirs, stage, dirs.backfill());
    if (result.skipped_unchanged) continue;
    ++staged;
    written_.push_back(result.archive.path);
    spdlog::info("backfill: staged {} as {} (data time {}{})", source::redacted(archive.source),
                 result.archive.path.filename().string(),
                 result.archive.last_modified.empty() ? "unknown" : result.archive.last_modified,
                 archive.origin.empty() ? "" : ", from " + archive.origin);
  }
  auto progress = BackfillProgress::read(dirs);
  progress.staged += staged;
  progress.write(dirs);
  spdlog::info(
      "backfill: {} of {} archives staged into {}; `marquee load` takes {} per run after "
      "incoming/",
      staged, archives.size(), dirs.backfill().string(), options_.backfill_batches);
}

void Job::notify_failure(int exit_code, const std::string& message) {
  if (options_.backfill.dry_run) return;  // an operator trying a plan, not a run that failed
  RunFailure failure{run_id_,         step_.empty() ? "start" : step_,
                     exit_code,       message,
                     current_source_, current_batch_};
  write_run_history(exit_code, message);
  RunHistory(options_.workdir, options_.command).record_failure(failure);
  if (options_.alerts.configured()) send_failure_alert(options_.alerts, failure);
}

void Job::notify_success() {
  if (options_.backfill.dry_run) return;  // nothing ran, nothing recovered
  write_run_history(0, "");
  auto previous = RunHistory(options_.workdir, options_.command).record_success(run_id_);
  if (!previous) return;
  spdlog::info("recovered: run {} succeeded after run {} failed in {} (exit {}): {}", run_id_,
               previous->value("run_id", ""), previous->value("step", ""),
               previous->value("exit_code", 0), previous->value("message", ""));
  nlohmann::json recovered = {{"event", "recovered"},
                              {"run_id", run_id_},
                              {"previous_run_id", previous->value("run_id", "")},
                              {"previous_step", previous->value("step", "")},
                              {"previous_exit_code", previous->value("exit_code", 0)},
                              {"previous_message", previous->value("message", "")}};
  if (!options_.alerts.webhook_url.empty()) send_recovered_alert(options_.alerts, recovered);
}

}  // namespace marquee::pipeline
