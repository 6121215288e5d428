#include "pipeline/run_summary.hpp"

#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "source/redact.hpp"

namespace marquee::pipeline {
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
  return {{"rows_read", s.rows_read},
          {"rows_loaded", s.rows_loaded},
          {"rows_rejected", rejected_json(s)},
          {"duplicate_superseded", s.duplicate_superseded},
          {"older_than_loaded", s.older_than_loaded},
          {"warnings", warnings_json(s.warnings)},
          {"movies_without_year", s.movies_without_year},
          {"rejects_file", s.rejects_file.string()},
          {"seconds", s.seconds}};
}

}  // namespace

void write_run_summary(const std::filesystem::path& path, const RunSummary& summary) {
  nlohmann::json files = nlohmann::json::object();
  nlohmann::json batches = nlohmann::json::array();
  for (const auto& b : summary.batches) {
    batches.push_back({{"batch_id", b.batch_id},
                       {"source", source::redacted(b.source.source)},
                       {"sha256", b.source.sha256}});
    for (const auto& f : b.files) files[f.file] = stats_json(f);
  }
  std::vector<std::string> written;
  for (const auto& p : summary.files_written) written.push_back(p.string());
  written.push_back(path.string());
  nlohmann::json json = {
      {"run_id", summary.run_id},
      {"source", source::redacted(summary.source)},
      {"sha256", summary.sha256},
      {"started_at", summary.started_at},
      {"finished_at", utc_now_iso8601()},
      {"database", summary.database},
      {"batches", batches},
      {"files", files},
      {"movies_without_year", summary.movies_without_year},
      {"files_written", written},
  };
  write_file_atomically(path, json.dump(2) + "\n");
}

}  // namespace marquee::pipeline
