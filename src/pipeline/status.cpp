#include "pipeline/status.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "pipeline/backfill.hpp"
#include "report/change_json.hpp"
#include "report/report_writer.hpp"
#include "source/redact.hpp"

namespace marquee::pipeline {
namespace fs = std::filesystem;
namespace {

/// A failed batch kept nothing: its counts are not zeros read but no counts at all.
std::string count_of(const store::BatchRecord& b, std::uint64_t n) {
  return b.status == "loaded" ? std::to_string(n) : "-";
}

/// What the batch changed, movie by movie; "-" for a batch that did not say (failed, or loaded
/// before schema version 3).
std::string change_of(const store::BatchRecord& b, std::uint64_t store::MovieChanges::*member) {
  if (b.status != "loaded" || !b.counts.movies) return "-";
  return std::to_string((*b.counts.movies).*member);
}

void print_batches(const std::vector<store::BatchRecord>& batches, std::ostream& out) {
  constexpr const char* kRow =
      "{:>6}  {:<8}  {:<24}  {:<24}  {:>9}  {:>9}  {:>9}  {:>10}  {:>6}  {:>7}  {:>7}  {:>9}  "
      "{:>7}  {}\n";
  out << fmt::format(kRow, "batch", "status", "data time", "finished", "read", "loaded", "rejected",
                     "superseded", "older", "new", "updated", "unchanged", "removed", "source");
  for (const auto& b : batches) {
    const auto& c = b.counts;
    using M = store::MovieChanges;
    out << fmt::format(kRow, b.id, b.status, b.source.data_time, b.finished_at,
                       count_of(b, c.rows_read), count_of(b, c.rows_loaded),
                       count_of(b, c.rows_rejected), count_of(b, c.duplicate_superseded),
                       count_of(b, c.older_than_loaded), change_of(b, &M::added),
                       change_of(b, &M::updated), change_of(b, &M::unchanged),
                       change_of(b, &M::removed), source::redacted(b.source.source));
  }
  for (const auto& b : batches) {
    if (b.status == "failed" && !b.message.empty()) {
      out << fmt::format("batch {} failed: {}\n", b.id, source::redacted_text(b.message));
    }
  }
}

struct Waiting {
  std::vector<staging::StagedArchive> incoming, backfill;
  BackfillProgress progress;
  bool has_incoming = false, has_backfill = false;
};

Waiting waiting_in(const staging::StagingDirs& dirs) {
  Waiting w;
  std::error_code ec;
  w.has_incoming = fs::is_directory(dirs.incoming(), ec);
  if (w.has_incoming) w.incoming = staging::pending(dirs.incoming());
  w.has_backfill = fs::is_directory(dirs.backfill(), ec);
  if (w.has_backfill) {
    w.backfill = staging::pending(dirs.backfill());
    w.progress = BackfillProgress::read(dirs);
    sort_by_data_time(w.backfill);
  }
  return w;
}

void print_waiting(const staging::StagingDirs& dirs, std::size_t backfill_batches, const Waiting& w,
                   std::ostream& out) {
  if (w.has_incoming) {
    out << fmt::format("waiting in {}: {}\n", dirs.incoming().string(), w.incoming.size());
    for (const auto& a : w.incoming)
      out << fmt::format("  {} ({} bytes, staged {})\n", a.path.filename().string(), a.size,
                         a.staged_at);
  }
  if (w.has_backfill) {
    out << fmt::format("backfill waiting in {}: {} ({} loaded of {} staged; {} per load)\n",
                       dirs.backfill().string(), w.backfill.size(), w.progress.loaded,
                       w.progress.staged, backfill_batches);
    for (const auto& a : w.backfill)
      out << fmt::format("  {} ({} bytes, data time {})\n", a.path.filename().string(), a.size,
                         data_time_of(a));
  }
}

nlohmann::ordered_json batch_json(const store::BatchRecord& b) {
  nlohmann::ordered_json j = {{"batch_id", b.id},
                              {"status", b.status},
                              {"source", source::redacted(b.source.source)},
                              {"sha256", b.source.sha256},
                              {"data_time", b.source.data_time},
                              {"started_at", b.started_at},
                              {"finished_at", b.finished_at}};
  if (b.status == "loaded") {
    j["rows_read"] = b.counts.rows_read;
    j["rows_loaded"] = b.counts.rows_loaded;
    j["rows_rejected"] = b.counts.rows_rejected;
    j["duplicate_superseded"] = b.counts.duplicate_superseded;
    j["older_than_loaded"] = b.counts.older_than_loaded;
    j["warnings"] = b.counts.warnings;
  }
  if (!b.message.empty()) j["message"] = source::redacted_text(b.message);
  return j;
}

nlohmann::ordered_json archives_json(const std::vector<staging::StagedArchive>& archives) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& a : archives) {
    out.push_back({{"file", a.path.string()},
                   {"source", source::redacted(a.source)},
                   {"bytes", a.size},
                   {"sha256", a.sha256},
                   {"staged_at", a.staged_at},
                   {"data_time", data_time_of(a)}});
  }
  return out;
}

/// The report rows the last loaded batch changed, as recorded when its run wrote the reports.
void print_report_changes(store::Store& store, const std::vector<store::BatchRecord>& batches,
                          std::ostream& out) {
  for (auto b = batches.rbegin(); b != batches.rend(); ++b) {
    if (b->status != "loaded") continue;
    auto changes = store.report_changes(b->id);
    if (changes.empty()) return;
    out << fmt::format("report rows changed after batch {}:\n", b->id);
    for (const auto& c : changes) {
      out << fmt::format(
          "  {}: {} added, {} changed, {} removed{}{}\n", c.report, c.rows_added, c.rows_changed,
          c.rows_removed, c.changed_keys.empty() ? "" : "; first: ",
          fmt::join(c.changed_keys.begin(),
                    c.changed_keys.begin() + static_cast<std::ptrdiff_t>(
                                                 std::min<std::size_t>(c.changed_keys.size(), 3)),
                    ", "));
    }
    return;
  }
}

nlohmann::ordered_json batch_changes_json(store::Store& store, const store::BatchRecord& b) {
  nlohmann::ordered_json reports = nlohmann::ordered_json::object();
  if (b.status == "loaded") {
    for (const auto& c : store.report_changes(b.id))
      reports[c.report] = report::report_change_json(c);
  }
  return {{"movies", b.counts.movies && b.status == "loaded"
                         ? report::movie_changes_json(*b.counts.movies)
                         : nlohmann::ordered_json(nullptr)},
          {"reports", reports}};
}

}  // namespace

void print_status(store::Store& store, const staging::StagingDirs& dirs,
                  std::size_t backfill_batches, std::ostream& out) {
  out << fmt::format("database: {}\n", store.describe());
  auto batches = store.batches();
  print_batches(batches, out);
  print_report_changes(store, batches, out);
  print_waiting(dirs, backfill_batches, waiting_in(dirs), out);
  out << fmt::format("movies loaded: {}\n", report::movie_count(store));
}

void print_status_json(store::Store& store, const staging::StagingDirs& dirs,
                       std::size_t backfill_batches, std::ostream& out) {
  nlohmann::ordered_json batches = nlohmann::ordered_json::array();
  for (const auto& b : store.batches()) {
    auto j = batch_json(b);
    j["changes"] = batch_changes_json(store, b);
    batches.push_back(std::move(j));
  }
  Waiting w = waiting_in(dirs);
  nlohmann::ordered_json json = {
      {"database", store.describe()},
      {"batches", batches},
      {"incoming", archives_json(w.incoming)},
      {"backfill",
       {{"waiting", archives_json(w.backfill)},
        {"loaded", w.progress.loaded},
        {"staged", w.progress.staged},
        {"per_load", backfill_batches}}},
      {"movies_loaded", report::movie_count(store)},
      {"movies_without_year", report::movies_without_year(store)},
  };
  out << json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

}  // namespace marquee::pipeline
