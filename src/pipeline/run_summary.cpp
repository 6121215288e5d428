#include "pipeline/run_summary.hpp"

#include <algorithm>
#include <exception>

#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "report/change_json.hpp"
#include "source/redact.hpp"

namespace marquee::pipeline {
namespace fs = std::filesystem;
namespace {

nlohmann::json warnings_json(const dataset::WarningTally& tally) {
  nlohmann::json warnings = {{"total", tally.total()}};
  for (std::size_t k = 0; k < dataset::kWarningKinds; ++k) {
    auto kind = static_cast<dataset::WarningKind>(k);
    warnings[std::string(dataset::to_string(kind))] = tally.count(kind);
  }
  return warnings;
}

nlohmann::json rejected_json(const FileStats& s) {
  nlohmann::json rejected = {{"total", s.rows_rejected}};
  for (auto reason : {dataset::RejectReason::kFieldCount, dataset::RejectReason::kBadId,
                      dataset::RejectReason::kBadBool, dataset::RejectReason::kBadNumber,
                      dataset::RejectReason::kBadLiteral}) {
    std::string name(dataset::to_string(reason));
    auto it = s.rejected_by_reason.find(name);
    rejected[name] = it == s.rejected_by_reason.end() ? 0 : it->second;
  }
  return rejected;
}

nlohmann::json stats_json(const FileStats& s) {
  return {{"status", s.status},
          {"rows_read", s.rows_read},
          {"rows_loaded", s.rows_loaded},
          {"rows_rejected", rejected_json(s)},
          {"duplicate_superseded", s.duplicate_superseded},
          {"older_than_loaded", s.older_than_loaded},
          {"warnings", warnings_json(s.warnings)},
          {"movies_without_year", s.movies_without_year},
          {"rejects_file", s.rejects_file.string()},
          {"seconds", s.seconds}};
}

nlohmann::json batch_json(const LoadedBatch& b) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& f : b.files) files[f.file] = stats_json(f);
  return {{"batch_id", b.batch_id},
          {"source", source::redacted(b.source.source)},
          {"sha256", b.source.sha256},
          {"data_time", store::batch_data_time(b.source)},
          {"seconds", b.seconds},
          {"movies", b.movies ? nlohmann::json(report::movie_changes_json(*b.movies)) : nullptr},
          {"files", files}};
}

nlohmann::json steps_json(const std::vector<StepTiming>& steps) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : steps) {
    out.push_back({{"step", s.name},
                   {"started_at", s.started_at},
                   {"seconds", s.seconds},
                   {"status", s.failed ? "failed" : "succeeded"}});
  }
  return out;
}

nlohmann::json checks_json(const std::vector<CheckOutcome>& checks) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : checks) {
    out.push_back({{"batch_id", c.batch_id},
                   {"check", c.name},
                   {"failing", c.failing},
                   {"passed", c.failing == 0},
                   {"seconds", c.seconds}});
  }
  return out;
}

nlohmann::json reports_json(const std::vector<ReportOutcome>& reports) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& r : reports) {
    out[r.name] = {
        {"file", r.path.string()},
        {"rows", r.rows},
        {"seconds", r.seconds},
        {"changes", r.changes ? nlohmann::json(report::report_change_json(*r.changes)) : nullptr}};
  }
  return out;
}

}  // namespace

StepTimer::StepTimer(std::vector<StepTiming>& steps, std::string name)
    : steps_(steps),
      step_{std::move(name), utc_now_iso8601(), 0, false},
      started_(std::chrono::steady_clock::now()),
      exceptions_(std::uncaught_exceptions()) {}

StepTimer::~StepTimer() {
  step_.seconds = seconds_since(started_);
  step_.failed = step_.failed || std::uncaught_exceptions() > exceptions_;
  try {
    steps_.push_back(std::move(step_));
  } catch (...) {  // out of memory while unwinding: the timing is not worth a terminate
  }
}

void write_run_summary(const fs::path& path, const RunSummary& summary) {
  nlohmann::json files = nlohmann::json::object();
  nlohmann::json batches = nlohmann::json::array();
  for (const auto& b : summary.batches) {
    batches.push_back(batch_json(b));
    // SPEC 5's per-file view keeps its shape: a file that several batches loaded shows the
    // last one there, and each batch's own figures are in `batches`.
    for (const auto& f : b.files) files[f.file] = stats_json(f);
  }
  std::vector<std::string> written;
  for (const auto& p : summary.files_written) written.push_back(p.string());
  written.push_back(path.string());
  nlohmann::ordered_json json = {
      {"run_id", summary.run_id},
      {"command", summary.command},
      {"version", summary.version},
      {"status", summary.status},
      {"exit_code", summary.exit_code},
      {"source", source::redacted(summary.source)},
      {"sha256", summary.sha256},
      {"started_at", summary.started_at},
      {"finished_at", utc_now_iso8601()},
      {"database", summary.database},
      {"batches", batches},
      {"files", files},
      {"steps", steps_json(summary.steps)},
      {"checks", checks_json(summary.checks)},
      {"reports", reports_json(summary.reports)},
      {"movies_without_year", summary.movies_without_year},
      {"files_written", written},
  };
  if (!summary.error.empty()) json["error"] = source::redacted_text(summary.error);
  write_file_atomically(
      path, json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
}

fs::path run_history_dir(const fs::path& workdir) {
  return workdir / "state" / "runs";
}

void prune_run_history(const fs::path& dir, std::size_t keep) {
  std::vector<fs::path> runs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") runs.push_back(entry.path());
  }
  if (runs.size() <= keep) return;
  // Run ids start with the UTC time (YYYYMMDDTHHMMSSZ), so names order by age.
  std::sort(runs.begin(), runs.end());
  for (std::size_t i = 0; i + keep < runs.size(); ++i) fs::remove(runs[i], ec);
}

}  // namespace marquee::pipeline
