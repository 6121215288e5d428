#include "pipeline/status.hpp"

#include <fmt/format.h>

#include "pipeline/backfill.hpp"
#include "report/report_writer.hpp"
#include "source/redact.hpp"

namespace marquee::pipeline {
namespace fs = std::filesystem;
namespace {

void print_batches(store::Store& store, std::ostream& out) {
  constexpr const char* kRow =
      "{:>6}  {:<8}  {:<24}  {:<24}  {:>9}  {:>9}  {:>9}  {:>10}  {:>6}  {}\n";
  out << fmt::format(kRow, "batch", "status", "data time", "finished", "read", "loaded", "rejected",
                     "superseded", "older", "source");
  for (const auto& b : store.batches()) {
    out << fmt::format(kRow, b.id, b.status, b.source.data_time, b.finished_at, b.counts.rows_read,
                       b.counts.rows_loaded, b.counts.rows_rejected, b.counts.duplicate_superseded,
                       b.counts.older_than_loaded, source::redacted(b.source.source));
  }
}

void print_waiting(const staging::StagingDirs& dirs, std::size_t backfill_batches,
                   std::ostream& out) {
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
    auto progress = BackfillProgress::read(dirs);
    sort_by_data_time(waiting);
    out << fmt::format("backfill waiting in {}: {} ({} loaded of {} staged; {} per load)\n",
                       dirs.backfill().string(), waiting.size(), progress.loaded, progress.staged,
                       backfill_batches);
    for (const auto& a : waiting)
      out << fmt::format("  {} ({} bytes, data time {})\n", a.path.filename().string(), a.size,
                         data_time_of(a));
  }
}

}  // namespace

void print_status(store::Store& store, const staging::StagingDirs& dirs,
                  std::size_t backfill_batches, std::ostream& out) {
  out << fmt::format("database: {}\n", store.describe());
  print_batches(store, out);
  print_waiting(dirs, backfill_batches, out);
  out << fmt::format("movies loaded: {}\n", report::movie_count(store));
}

}  // namespace marquee::pipeline
