#include "pipeline/job.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <optional>
#include <ostream>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/file_lock.hpp"
#include "pipeline/dataset_files.hpp"
#include "pipeline/interrupt.hpp"
#include "report/report_writer.hpp"
#include "source/s3_client.hpp"
#include "store/postgres_store.hpp"

namespace marquee::pipeline {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kMoviesFile = "movies_metadata.csv";

/// Entries the dataset ships that this version reads no table from; logged, never an error.
bool is_known_optional(std::string_view name) {
  return name == "links.csv" || name == "keywords.csv" || name == "credits.csv" ||
         name == "ratings.csv";
}
bool is_ignored_subset(std::string_view name) {
  return name == "links_small.csv" || name == "ratings_small.csv";
}

std::string new_run_id() {
  std::random_device rd;
  return fmt::format("{}-{:04x}", utc_now_compact(), rd() & 0xffff);
}

/// A folder of CSVs is identified by the hash of its files' names and contents.
std::string sha256_of_files(const DatasetFiles& files) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  for (const auto& f : files.files()) {
    EVP_DigestUpdate(ctx.get(), f.base_name.data(), f.base_name.size() + 1);
    auto src = f.open();
    while (std::size_t n = src->read(buf)) EVP_DigestUpdate(ctx.get(), buf.data(), n);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

fs::path local_directory(const std::string& source) {
  std::string path = source.starts_with("file://") ? source.substr(7) : source;
  std::error_code ec;
  if (!source.starts_with("s3://") && !source.starts_with("http://") &&
      !source.starts_with("https://") && fs::is_directory(path, ec)) {
    return path;
  }
  return {};
}

nlohmann::json stats_json(const FileStats& s) {
  nlohmann::json warnings = {{"total", s.warnings.total()}};
  for (std::size_t k = 0; k < dataset::kWarningKinds; ++k) {
    auto kind = static_cast<dataset::WarningKind>(k);
    warnings[std::string(dataset::to_string(kind))] = s.warnings.count(kind);
  }
  nlohmann::json rejected = {{"total", s.rows_rejected}};
  for (auto reason : {dataset::RejectReason::kFieldCount, dataset::RejectReason::kBadId,
                      dataset::RejectReason::kBadBool, dataset::RejectReason::kBadNumber,
                      dataset::RejectReason::kBadLiteral}) {
    std::string name(dataset::to_string(reason));
    auto it = s.rejected_by_reason.find(name);
    rejected[name] = it == s.rejected_by_reason.end() ? 0 : it->second;
  }
  return {{"rows_read", s.rows_read},
          {"rows_loaded", s.rows_loaded},
          {"rows_rejected", rejected},
          {"duplicate_superseded", s.duplicate_superseded},
          {"older_than_loaded", s.older_than_loaded},
          {"warnings", warnings},
          {"movies_without_year", s.movies_without_year},
          {"rejects_file", s.rejects_file.string()},
          {"seconds", s.seconds}};
}

/// The archives a backfill SOURCE names: itself, the .zip files of a folder (by name), or every
/// .zip under an s3://bucket/prefix/ (ListObjectsV2, all pages).
std::vector<std::string> expand_backfill_source(const std::string& source,
                                                const staging::StageOptions& stage) {
  if (auto location = source::parse_s3_uri(source);
      location && (location->key.empty() || location->key.ends_with('/'))) {
    source::S3Client client(source::resolve_s3_settings(location->bucket, stage.no_sign_request),
                            staging::transfer_options(stage));
    std::vector<std::string> archives;
    for (const auto& object : client.list(*location)) {
      if (object.key.ends_with(".zip")) {
        archives.push_back(source::S3Location{location->bucket, object.key}.uri());
      }
    }
    spdlog::info("backfill: {} lists {} .zip archives", source, archives.size());
    return archives;
  }
  if (fs::path dir = local_directory(source); !dir.empty()) {
    std::vector<std::string> archives;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file() && entry.path().extension() == ".zip") {
        archives.push_back(entry.path().string());
      }
    }
    std::sort(archives.begin(), archives.end());
    spdlog::info("backfill: {} holds {} .zip archives", source, archives.size());
    return archives;
  }
  return {source};
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

/// The data time of a staged archive: its --as-of or its source's Last-Modified, else when it
/// was staged (normalized, so that it orders as text).
std::string data_time_of(const staging::StagedArchive& archive) {
  return normalize_utc_timestamp(archive.last_modified)
      .value_or(normalize_utc_timestamp(archive.staged_at).value_or(""));
}

/// The backfill lane in data-time order, oldest first.
void sort_by_data_time(std::vector<staging::StagedArchive>& archives) {
  std::stable_sort(archives.begin(), archives.end(),
                   [](const auto& a, const auto& b) { return data_time_of(a) < data_time_of(b); });
}

/// How far the backfill lane has come: archives staged into it and loaded from it.
struct BackfillProgress {
  std::uint64_t staged = 0;
  std::uint64_t loaded = 0;
};

fs::path backfill_progress_path(const staging::StagingDirs& dirs) {
  return dirs.state() / "backfill_progress.json";
}

BackfillProgress read_backfill_progress(const staging::StagingDirs& dirs) {
  BackfillProgress progress;
  try {
    std::ifstream in(backfill_progress_path(dirs));
    if (!in) return progress;
    auto state = nlohmann::json::parse(in);
    progress.staged = state.value("staged", std::uint64_t{0});
    progress.loaded = state.value("loaded", std::uint64_t{0});
  } catch (const std::exception& e) {
    spdlog::warn("backfill: ignoring the unreadable {}: {}", backfill_progress_path(dirs).string(),
                 e.what());
  }
  return progress;
}

void write_backfill_progress(const staging::StagingDirs& dirs, const BackfillProgress& progress) {
  nlohmann::json state = {{"staged", progress.staged}, {"loaded", progress.loaded}};
  write_file_atomically(backfill_progress_path(dirs), state.dump(2) + "\n");
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
  // A SIGINT or SIGTERM stops a download at once instead of after its last byte.
  options_.stage.cancelled = [] { return stop_signal() != 0; };
  std::error_code ec;
  fs::create_directories(options_.workdir, ec);
  if (ec || !fs::is_directory(options_.workdir)) {
    throw Error(ExitCode::kUsage,
                fmt::format("cannot create the work directory {}: {}; choose another --workdir",
                            options_.workdir.string(), ec.message()));
  }
}

store::Store& Job::store() {
  if (!store_) {
    store_ = store::open_store(options_.effective_db_url());
    spdlog::info("store: {}", store_->describe());
  }
  return *store_;
}

void Job::stage(const std::string& source) {
  step_ = "stage";
  current_source_ = source;
  auto dirs = options_.staging_dirs();
  dirs.create();
  auto result = stage_or_stop(source, dirs, options_.stage, dirs.incoming());
  if (result.skipped_unchanged) {
    spdlog::info("stage: {} unchanged since it was last staged (ETag {}); nothing downloaded",
                 source, result.archive.etag);
  } else {
    spdlog::info("stage: wrote {} ({} bytes, sha256 {})", result.archive.path.string(),
                 result.archive.size, result.archive.sha256);
    written_.push_back(result.archive.path);
  }
}

void Job::load_files(const DatasetFiles& files, const store::BatchSource& source) {
  if (auto previous = store().loaded_batch(source.sha256)) {
    spdlog::info("load: {} has the sha256 of batch {} loaded at {}; nothing to do", source.source,
                 previous->id, previous->finished_at);
    return;
  }
  const auto* movies = files.find(kMoviesFile);
  if (movies == nullptr) {
    std::string message = fmt::format(
        "{}: the required entry {} is missing; this is not The Movies Dataset "
        "archive, or it is incomplete — stage a complete one",
        files.label(), kMoviesFile);
    store().record_failed_batch(source, message);
    throw Error(ExitCode::kBadData, message);
  }
  for (const auto& f : files.files()) {
    if (f.base_name == kMoviesFile) continue;
    if (is_ignored_subset(f.base_name)) {
      spdlog::info("load: {}: {} is a subset of the full files; ignored", files.label(),
                   f.stored_name);
    } else if (is_known_optional(f.base_name)) {
      spdlog::info("load: {}: {} ({} bytes) is not needed for the reports; not loaded",
                   files.label(), f.stored_name, f.size);
    } else {
      spdlog::info("load: {}: unknown entry {} skipped", files.label(), f.stored_name);
    }
  }

  auto writer = store().begin_batch(source);
  const std::int64_t batch_id = writer->batch_id();
  current_batch_ = batch_id;
  spdlog::info("load: batch {} from {} (sha256 {})", batch_id, source.source, source.sha256);
  LoadedBatch batch{batch_id, source, {}};
  fs::path rejects_path = options_.workdir / "rejects" / std::to_string(batch_id) /
                          fmt::format("{}.rejects.csv", fs::path(kMoviesFile).stem().string());
  try {
    RejectSink rejects(rejects_path);
    auto input = movies->open();
    FileStats stats = load_movies(*input, std::string(kMoviesFile), *writer, rejects,
                                  {options_.max_record_bytes, 1 << 20});
    stats.rejects_file = rejects.finish();
    written_.push_back(stats.rejects_file);
    double ratio =
        stats.rows_read == 0 ? 0.0 : static_cast<double>(stats.rows_rejected) / stats.rows_read;
    if (ratio > options_.max_reject_ratio) {
      throw Error(
          ExitCode::kBadData,
          fmt::format("{}: {} of {} records rejected ({:.2f}%), above the reject limit of {:.2f}%; "
                      "nothing of batch {} was committed — see {} and fix the data, or raise "
                      "--max-reject-ratio",
                      movies->stored_name, stats.rows_rejected, stats.rows_read, ratio * 100,
                      options_.max_reject_ratio * 100, batch_id, stats.rejects_file.string()));
    }
    store::BatchCounts counts{stats.rows_read,        stats.rows_loaded,
                              stats.rows_rejected,    stats.duplicate_superseded,
                              stats.warnings.total(), 0};
    counts = writer->commit(counts, options_.snapshot);
    stats.rows_loaded = counts.rows_loaded;
    stats.duplicate_superseded = counts.duplicate_superseded;
    stats.older_than_loaded = counts.older_than_loaded;
    store::Param id = batch_id;
    store().query("SELECT COUNT(*) FROM movie WHERE batch_id = ? AND release_year IS NULL",
                  {&id, 1},
                  [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
                    stats.movies_without_year = row[0] ? std::stoull(*row[0]) : 0;
                  });
    spdlog::info(
        "load: batch {} committed (data time {}): {} read, {} loaded, {} rejected, {} duplicates "
        "superseded (of which {} older than the version loaded), {} warnings, {} without a year, "
        "in {:.2f}s{}",
        batch_id, source.data_time.empty() ? "the load time" : source.data_time, stats.rows_read,
        stats.rows_loaded, stats.rows_rejected, stats.duplicate_superseded, stats.older_than_loaded,
        stats.warnings.total(), stats.movies_without_year, stats.seconds,
        options_.snapshot ? " (snapshot: movies absent from it were removed)" : "");
    if (stats.warnings.total() > 0) {
      spdlog::warn(
          "batch {}: {}: {} warnings (values set to NULL or items dropped); the first of each kind "
          "are above",
          batch_id, kMoviesFile, stats.warnings.total());
    }
    batch.files.push_back(std::move(stats));
  } catch (const Error& e) {
    writer->rollback(e.what());
    throw Error(e.code(), fmt::format("batch {}: {}", batch_id, e.what()));
  } catch (const Interrupted& e) {
    writer->rollback(e.what());
    throw;
  } catch (const std::exception& e) {
    writer->rollback(e.what());
    throw Error(ExitCode::kDatabase, fmt::format("batch {}: {}", batch_id, e.what()));
  }
  loaded_.push_back(std::move(batch));
  current_batch_.reset();
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
  staging::mark_loaded(archive, dirs);
  written_.push_back(dirs.archive() / archive.path.filename());
  spdlog::info("load: {} moved to {}", archive.path.filename().string(), dirs.archive().string());
}

std::unique_ptr<store::PostgresRunLock> Job::database_lock() {
  // The file lock guards this work directory; PostgreSQL's advisory lock guards the database
  // against loaders on other machines.
  if (store().engine() != "postgresql") return nullptr;
  store::RunLockOptions lock_options;
  lock_options.no_wait = options_.lock_timeout.count() == 0;
  lock_options.timeout = options_.lock_timeout;
  return std::make_unique<store::PostgresRunLock>(options_.effective_db_url(), lock_options);
}

void Job::load() {
  step_ = "load";
  auto dirs = options_.staging_dirs();
  dirs.create();
  FileLock lock(options_.workdir / "marquee.lock", options_.lock_timeout);
  auto db_lock = database_lock();
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
  // A bad archive goes to failed/ and the next one still loads (a later hourly archive must not
  // wait behind a corrupt one); the run then ends with the first bad archive's error. Any other
  // failure (the database, the lock) stops at once and leaves the archive where it is.
  std::optional<Error> first_bad;
  std::size_t bad = 0;
  std::optional<std::int64_t> first_bad_batch;
  std::string first_bad_source;
  const std::size_t loaded_before = loaded_.size();
  for (const auto& archive : waiting) {
    stop_if_requested(fmt::format("before {}", archive.path.filename().string()));
    try {
      load_staged(archive);
      if (archive.path.parent_path() == dirs.backfill()) {
        auto progress = read_backfill_progress(dirs);
        ++progress.loaded;
        write_backfill_progress(dirs, progress);
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
  if (loaded_.size() > loaded_before) check_data(loaded_before);
  if (first_bad) {
    current_batch_ = first_bad_batch;  // the alert names the first bad archive, as the message
    current_source_ = first_bad_source;
    if (bad == 1) throw *first_bad;
    throw Error(ExitCode::kBadData,
                fmt::format("{} (and {} more archives failed; see {})", first_bad->what(), bad - 1,
                            dirs.failed().string()));
  }
}

void Job::check_data(std::size_t first_new_batch) {
  step_ = "checks";
  std::vector<std::int64_t> batches;
  for (std::size_t i = first_new_batch; i < loaded_.size(); ++i) {
    batches.push_back(loaded_[i].batch_id);
  }
  std::vector<std::string> failed;
  for (std::int64_t batch : batches) {
    for (const auto& result : run_data_checks(store(), {batch}, options_.snapshot)) {
      store().record_check(batch, result.name, result.failing, result.examples);
      if (result.failing > 0) {
        failed.push_back(fmt::format("{} ({} in batch {})", result.name, result.failing, batch));
      }
    }
  }
  if (!failed.empty() && options_.checks == CheckMode::kError) {
    throw Error(ExitCode::kBadData,
                fmt::format("data checks failed after the load: {}; the batches stay committed — "
                            "the failing keys are in the log and in the table data_check_result: "
                            "fix the source and load a corrected archive, or run with "
                            "--checks=warn",
                            fmt::join(failed, ", ")));
  }
  step_ = "load";
}

void Job::report() {
  step_ = "report";
  auto started = std::chrono::steady_clock::now();
  auto reports = report::write_reports(store(), options_.effective_results_dir());
  for (const auto& r : reports) {
    spdlog::info("report: wrote {} ({} rows)", r.path.string(), r.rows);
    written_.push_back(r.path);
  }
  spdlog::info("report: {} movies have no release year and are in no report; {} reports in {:.2f}s",
               report::movies_without_year(store()), reports.size(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void Job::write_summary(const std::string& source, const std::string& sha256) {
  fs::path path = options_.effective_results_dir() / "run_summary.json";
  nlohmann::json files = nlohmann::json::object();
  nlohmann::json batches = nlohmann::json::array();
  for (const auto& b : loaded_) {
    batches.push_back(
        {{"batch_id", b.batch_id}, {"source", b.source.source}, {"sha256", b.source.sha256}});
    for (const auto& f : b.files) files[f.file] = stats_json(f);
  }
  std::vector<std::string> written;
  for (const auto& p : written_) written.push_back(p.string());
  written.push_back(path.string());
  nlohmann::json summary = {
      {"run_id", run_id_},
      {"source", source},
      {"sha256", sha256},
      {"started_at", started_at_},
      {"finished_at", utc_now_iso8601()},
      {"database", store().describe()},
      {"batches", batches},
      {"files", files},
      {"movies_without_year", report::movies_without_year(store())},
      {"files_written", written},
  };
  write_file_atomically(path, summary.dump(2) + "\n");
  written_.push_back(path);
}

void Job::run(const std::string& source) {
  spdlog::info("run {}: source {}", run_id_, source);
  current_source_ = source;
  std::string sha256;
  if (fs::path dir = local_directory(source); !dir.empty()) {
    step_ = "load";
    FileLock lock(options_.workdir / "marquee.lock", options_.lock_timeout);
    auto db_lock = database_lock();
    auto files = DatasetFiles::from_directory(dir);
    sha256 = sha256_of_files(files);
    std::string now = utc_now_iso8601();
    load_files(files, {fs::absolute(dir).string(), sha256, "", now, now});
    if (!loaded_.empty()) check_data(0);
  } else {
    step_ = "stage";
    auto dirs = options_.staging_dirs();
    dirs.create();
    auto staged = stage_or_stop(source, dirs, options_.stage, dirs.incoming());
    sha256 = staged.archive.sha256;
    load();
  }
  report();
  write_summary(source, sha256);
  std::vector<std::string> names;
  for (const auto& p : written_) names.push_back(p.string());
  spdlog::info("run {}: done; files written: {}", run_id_, fmt::join(names, ", "));
}

void Job::status(std::ostream& out) {
  auto all = store().batches();
  out << fmt::format("database: {}\n", store().describe());
  constexpr const char* kRow =
      "{:>6}  {:<8}  {:<24}  {:<24}  {:>9}  {:>9}  {:>9}  {:>10}  {:>6}  {}\n";
  out << fmt::format(kRow, "batch", "status", "data time", "finished", "read", "loaded", "rejected",
                     "superseded", "older", "source");
  for (const auto& b : all) {
    out << fmt::format(kRow, b.id, b.status, b.source.data_time, b.finished_at, b.counts.rows_read,
                       b.counts.rows_loaded, b.counts.rows_rejected, b.counts.duplicate_superseded,
                       b.counts.older_than_loaded, b.source.source);
  }
  auto dirs = options_.staging_dirs();
  std::error_code ec;
  if (fs::is_directory(dirs.incoming(), ec)) {
    auto waiting = staging::pending(dirs.incoming());
    out << fmt::format("waiting in {}: {}\n", dirs.incoming().string(), waiting.size());
    for (const auto& a : waiting)
      out << fmt::format("  {} ({} bytes, staged {})\n", a.path.filename().string(), a.size,
                         a.staged_at);
  }
  if (fs::is_directory(dirs.backfill(), ec)) {
    auto waiting = staging::pending(dirs.backfill());
    auto progress = read_backfill_progress(dirs);
    sort_by_data_time(waiting);
    out << fmt::format("backfill waiting in {}: {} ({} loaded of {} staged; {} per load)\n",
                       dirs.backfill().string(), waiting.size(), progress.loaded, progress.staged,
                       options_.backfill_batches);
    for (const auto& a : waiting)
      out << fmt::format("  {} ({} bytes, data time {})\n", a.path.filename().string(), a.size,
                         data_time_of(a));
  }
  std::uint64_t movies = 0;
  store().query("SELECT COUNT(*) FROM movie", {},
                [&](const auto&, const std::vector<store::Cell>& row) {
                  movies = row[0] ? std::stoull(*row[0]) : 0;
                });
  out << fmt::format("movies loaded: {}\n", movies);
}

void Job::backfill(const std::vector<std::string>& sources) {
  step_ = "backfill";
  auto dirs = options_.staging_dirs();
  dirs.create();
  std::vector<std::string> archives;
  for (const auto& source : sources) {
    current_source_ = source;
    auto expanded = expand_backfill_source(source, options_.stage);
    archives.insert(archives.end(), expanded.begin(), expanded.end());
  }
  if (archives.empty()) {
    spdlog::info("backfill: no archives found in {}", fmt::join(sources, ", "));
    return;
  }
  std::uint64_t staged = 0;
  for (const auto& archive : archives) {
    stop_if_requested(fmt::format("before staging {}", archive));
    current_source_ = archive;
    auto result = stage_or_stop(archive, dirs, options_.stage, dirs.backfill());
    if (result.skipped_unchanged) continue;
    ++staged;
    written_.push_back(result.archive.path);
    spdlog::info("backfill: staged {} as {} (data time {})", archive,
                 result.archive.path.filename().string(),
                 result.archive.last_modified.empty() ? "unknown" : result.archive.last_modified);
  }
  auto progress = read_backfill_progress(dirs);
  progress.staged += staged;
  write_backfill_progress(dirs, progress);
  spdlog::info(
      "backfill: {} of {} archives staged into {}; `marquee load` takes {} per run after "
      "incoming/",
      staged, archives.size(), dirs.backfill().string(), options_.backfill_batches);
}

void Job::notify_failure(int exit_code, const std::string& message) {
  RunFailure failure{run_id_,         step_.empty() ? "start" : step_,
                     exit_code,       message,
                     current_source_, current_batch_};
  RunHistory(options_.workdir, options_.command).record_failure(failure);
  if (options_.alerts.configured()) send_failure_alert(options_.alerts, failure);
}

void Job::notify_success() {
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
