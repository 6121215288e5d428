#include "report/report_writer.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <future>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/file_lock.hpp"
#include "common/progress.hpp"
#include "report/company_index.hpp"
#include "report/report_diff.hpp"
#include "report/report_line.hpp"
#include "report/report_patch.hpp"
#include "report/report_query.hpp"

namespace marquee::report {
namespace {

/// Removes what a killed marquee left in `folder`: ".reports.tmp-PID" folders and "NAME.tmp-PID"
/// files whose process is gone (a live one may be another marquee writing now).
void remove_abandoned_temporaries(const std::filesystem::path& folder) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    std::string name = entry.path().filename().string();
    auto at = name.rfind(".tmp-");
    if (at == std::string::npos || at + 5 == name.size()) continue;
    std::string digits = name.substr(at + 5);
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    auto pid = static_cast<pid_t>(std::stol(digits));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code removed;
    std::filesystem::remove_all(entry.path(), removed);
    if (!removed)
      spdlog::info("report: removed {}, left by a process that ended", entry.path().string());
  }
}

}  // namespace

namespace {

std::uint64_t count_of(store::Store& store, std::string_view sql,
                       std::span<const store::Param> params = {}) {
  std::uint64_t count = 0;
  store.query(sql, params,
              [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
                count = row[0] ? std::stoull(*row[0]) : 0;
              });
  return count;
}

}  // namespace

std::uint64_t movies_without_year(store::Store& store, std::optional<std::int64_t> batch) {
  if (!batch) return count_of(store, "SELECT COUNT(*) FROM movie WHERE release_year IS NULL");
  store::Param id = *batch;
  // `+batch_id`: found through the partial index of the few movies without a year. By batch_id
  // instead, SQLite (no statistics) read every movie a first load wrote, 0.09 s at scale 1.
  return count_of(store, "SELECT COUNT(*) FROM movie WHERE +batch_id = ? AND release_year IS NULL",
                  {&id, 1});
}

std::uint64_t movie_count(store::Store& store) {
  return count_of(store, "SELECT COUNT(*) FROM movie");
}

namespace {

/// The header and every row of one report query, as SPEC 5 writes CSV, into `out`; with
/// `index`, where each company's rows start.
std::uint64_t write_report_rows(store::Store& store, std::string_view name, AtomicFile& out,
                                CompanyIndexWriter* index, ProgressMeter& progress) {
  std::uint64_t rows = 0;
  std::string line;
  bool header_written = false;
  std::size_t company_at = 0;
  auto append_line = [&](const auto& cells, auto&& text_of) {
    line.clear();
    append_report_line(line, cells, text_of);
    out.write(line);
    progress.add(1, line.size());
  };
  auto header = [&](const std::vector<std::string>& columns) {
    append_line(columns, [](const std::string& c) { return std::optional<std::string_view>(c); });
    header_written = true;
    company_at = static_cast<std::size_t>(std::find(columns.begin(), columns.end(), "company_id") -
                                          columns.begin());
    if (index != nullptr && company_at == columns.size())
      throw std::logic_error(fmt::format("report {} has no company_id to index", name));
  };
  auto columns = read_report(
      store, name,
      [&](const std::vector<std::string>& columns, const std::vector<store::Cell>& row) {
        if (!header_written) header(columns);
        if (index != nullptr) {
          const store::Cell& cell = row.at(company_at);
          std::string_view company = cell ? std::string_view(*cell) : std::string_view();
          std::int64_t id = 0;
          auto [end, ec] = std::from_chars(company.data(), company.data() + company.size(), id);
          if (ec != std::errc{} || end != company.data() + company.size())
            throw std::logic_error(fmt::format("report {}: company_id '{}'", name, company));
          index->note(id, out.size(), rows);
        }
        append_line(row, [](const store::Cell& c) {
          return c ? std::optional<std::string_view>(*c) : std::nullopt;
        });
        ++rows;
      });
  if (!header_written) header(columns);  // no rows: a header-only file
  if (index != nullptr) index->finish(rows, out.size());
  return rows;
}

/// A temporary folder inside results_dir for the new reports (one left by a killed process is
/// removed first). Inside, not beside: a results folder that is a filesystem of its own (a
/// mounted volume) must still get its reports by rename, which cannot cross filesystems.
std::filesystem::path make_report_staging(const std::filesystem::path& results_dir,
                                          const std::string& kept) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(results_dir, ec);
  if (ec) {
    throw Error(ExitCode::kDatabase,
                fmt::format("cannot create {}: {}; choose a writable --workdir",
                            results_dir.string(), ec.message()));
  }
  remove_abandoned_temporaries(results_dir);
  fs::path staging = results_dir / fmt::format(".reports.tmp-{}", ::getpid());
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) {
    int error = ec.value();
    fs::remove_all(staging, ec);
    throw Error(
        ExitCode::kDatabase,
        fmt::format("cannot create a temporary folder in {}: {}; {}; {}", results_dir.string(),
                    std::strerror(error), write_hint(error, results_dir), kept));
  }
  return staging;
}

/// The order the reports are written in, as indexes into kReportNames: the two largest
/// (company_genre_yearly, company_yearly) first.
constexpr std::array<std::size_t, kReportNames.size()> kWriteOrder = {1, 0, 2, 3, 4, 5};
static_assert(kReportNames[1] == "company_genre_yearly" && kReportNames[0] == "company_yearly");

}  // namespace

std::vector<WrittenReport> write_reports(store::Store& store,
                                         const std::filesystem::path& results_dir) {
  namespace fs = std::filesystem;
  const std::string kept = "the previous reports are unchanged";
  fs::path staging = make_report_staging(results_dir, kept);
  // One writer of a results folder at a time: the state a patch relies on (kStateFile) must
  // describe the files that are there, not those of another process that replaced them since.
  std::optional<FileLock> writer;
  try {
    writer.emplace(results_dir / kLockFile, std::chrono::minutes(10));
  } catch (...) {
    std::error_code removed;
    fs::remove_all(staging, removed);
    throw;
  }
  std::vector<WrittenReport> written;
  std::error_code ec;
  try {
    std::vector<std::unique_ptr<AtomicFile>> files(kReportNames.size());
    // The company indexes of the patched reports (company_index.hpp), committed with them.
    std::vector<std::unique_ptr<AtomicFile>> index_files(kReportNames.size());
    // Each report is compared with the file it replaces on a thread of its own while the next
    // one is written, so the hourly run's reports take both cores; the largest go first, so
    // that their comparisons overlap the writing of the others.
    std::vector<std::future<std::optional<store::ReportChange>>> diffs(kReportNames.size());
    for (std::string_view name : kReportNames) {
      written.push_back({std::string(name), results_dir / fmt::format("{}.csv", name), 0});
    }
    std::vector<std::optional<store::ReportChange>> patched(kReportNames.size());
    // Each file is fsynced on a thread of its own while the next report is written.
    std::vector<std::future<void>> closed(kReportNames.size());
    std::optional<ReportPatcher> patcher;
    {
      // The reports answer from one state of the database, even with a load committing.
      store::ReadSnapshot snapshot(store);
      patcher.emplace(store, results_dir);
      ProgressMeter progress("reports", "rows written", 0);
      for (std::size_t i : kWriteOrder) {
        WrittenReport& report = written[i];
        fs::path staged = staging / report.path.filename();
        const fs::path index_path = company_index_path(results_dir, report.name);
        std::optional<CompanyIndexWriter> index;
        // Its temporary files go first when they are made again: the new ones take their names.
        auto open_files = [&] {
          index.reset();
          files[i].reset();
          index_files[i].reset();
          files[i] = std::make_unique<AtomicFile>(report.path, ExitCode::kDatabase, kept, staged);
          if (is_patched_report(report.name)) {
            index_files[i] = std::make_unique<AtomicFile>(index_path, ExitCode::kDatabase, kept,
                                                          staging / index_path.filename());
            index.emplace(*index_files[i]);
          }
        };
        open_files();
        auto started = std::chrono::steady_clock::now();
        if (patcher->can_patch(report.name)) {
          // Only the rows of the keys changed since the file was written are read; the patch
          // counts the changes as it goes.
          try {
            report.rows =
                patcher->patch(report.name, *files[i], *index, progress, patched[i].emplace());
          } catch (const PatchMismatch& e) {
            spdlog::warn("report: cannot patch {} ({}); writing it whole", report.path.string(),
                         e.what());
            patched[i].reset();
            open_files();
          }
        }
        if (!patched[i]) {
          report.rows =
              write_report_rows(store, report.name, *files[i], index ? &*index : nullptr, progress);
        }
        files[i]->flush();  // whole in the file now: the diff below reads it
        closed[i] = std::async(std::launch::async,
                               [file = files[i].get(), index_file = index_files[i].get()] {
                                 file->close();
                                 if (index_file != nullptr) index_file->close();
                               });
        if (!patched[i]) {
          diffs[i] =
              std::async(std::launch::async, diff_report, kReportNames[i], report.path, staged);
        }
        report.seconds = seconds_since(started);
        spdlog::debug("report: {}: {} rows in {:.3f}s{}", report.name, report.rows, report.seconds,
                      patched[i] ? " (patched)" : "");
      }
    }
    for (auto& c : closed) c.get();
    for (std::size_t i = 0; i < diffs.size(); ++i) {
      written[i].patched = patched[i].has_value();
      written[i].changes = patched[i] ? patched[i] : diffs[i].get();
    }
    // No state while the files are replaced: a crash in between leaves none, never a wrong one.
    patcher->forget();
    for (std::size_t replaced = 0; replaced < files.size(); ++replaced) {
      files[replaced]->set_kept(
          fmt::format("{} of {} reports were replaced, the others are the previous ones", replaced,
                      files.size()));
      files[replaced]->commit(AtomicFile::SyncFolder::kByCaller);
    }
    for (auto& index_file : index_files)
      if (index_file) index_file->commit(AtomicFile::SyncFolder::kByCaller);
    sync_directory(results_dir);
    patcher->record();
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  fs::remove_all(staging, ec);
  return written;
}

}  // namespace marquee::report
