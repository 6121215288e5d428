#include "store/batch_ledger.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/embedded_sql.hpp"
#include "store/report_aggregates.hpp"

namespace marquee::store {
namespace {

std::int64_t as_int(std::uint64_t n) {
  return static_cast<std::int64_t>(n);
}

}  // namespace

int BatchLedger::schema_version() {
  if (!db_.has_table("schema_version")) return 0;
  int version = 0;
  db_.run("SELECT coalesce(max(version), 0) FROM schema_version", {}, "reading the schema version",
          [&](const auto&, const std::vector<Cell>& row) { version = std::stoi(row[0].value()); });
  return version;
}

void BatchLedger::migrate() {
  db_.begin_migration();
  try {
    int version = schema_version();
    if (version > kSchemaVersion) {
      throw Error(ExitCode::kDatabase,
                  fmt::format("{}: the database has schema version {}, newer than this marquee "
                              "understands ({}); use a newer marquee or another --db",
                              db_.describe(), version, kSchemaVersion));
    }
    if (version == 0) {
      db_.run_script(std::string(db_.schema_version_table_sql()), "creating schema_version");
    }
    for (int v = version + 1; v <= kSchemaVersion; ++v) {
      db_.run_script(embedded_sql(fmt::format("schema/{}_v{}.sql", db_.schema_prefix(), v)),
                     fmt::format("migrating to schema version {}", v));
      // Version 5 keeps the report aggregates: a database migrated to it gets them computed.
      if (v == 5) ReportAggregates(db_).rebuild();
      // Version 6 logs the report changes of the batches after the last one loaded.
      if (v == 6) {
        std::int64_t last = 0;
        db_.run("SELECT COALESCE(MAX(id), 0) FROM ingest_batch", {}, "finding the last batch",
                [&](const auto&, const std::vector<Cell>& row) { last = std::stoll(*row[0]); });
        ReportAggregates(db_).reset_change_log(last);
      }
      SqlValue params[] = {std::int64_t{v}, utc_now_iso8601()};
      db_.run("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", params,
              "recording the schema version");
    }
    db_.run_script("COMMIT", "committing the migration");
  } catch (...) {
    db_.abandon_transaction();
    throw;
  }
}

std::int64_t BatchLedger::insert_batch(const BatchSource& source, std::string_view status,
                                       const std::string& message) {
  std::string now = utc_now_iso8601();
  SqlValue finished, text;
  if (!message.empty()) {
    finished = now;
    text = message;
  }
  SqlValue params[] = {source.source,
                       source.sha256,
                       source.etag,
                       db_.timestamp_value(source.staged_at),
                       now,
                       std::string(status),
                       text,
                       finished,
                       batch_data_time(source)};
  std::int64_t id = 0;
  db_.run(
      "INSERT INTO ingest_batch (source, sha256, etag, staged_at, started_at, status, message, "
      "finished_at, data_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      params, "recording the batch in ingest_batch",
      [&](const auto&, const std::vector<Cell>& row) { id = std::stoll(row[0].value()); });
  return id;
}

std::vector<BatchRecord> BatchLedger::select_batches(std::string_view where,
                                                     std::span<const SqlValue> params) {
  std::string sql = fmt::format(
      "SELECT id, source, sha256, coalesce(etag, ''), {}, {}, {}, status, rows_read, rows_loaded, "
      "rows_rejected, duplicate_superseded, warnings, older_than_loaded, {}, coalesce(message, "
      "''), "
      "movies_new, movies_updated, movies_unchanged, movies_removed FROM ingest_batch {}",
      db_.timestamp_text("staged_at"), db_.timestamp_text("started_at"),
      db_.timestamp_text("finished_at"), db_.timestamp_text("data_time"), where);
  std::vector<BatchRecord> out;
  db_.run(sql, params, "reading ingest_batch", [&](const auto&, const std::vector<Cell>& row) {
    auto text = [&](std::size_t c) { return row[c].value_or(""); };
    auto count = [&](std::size_t c) { return static_cast<std::uint64_t>(std::stoll(text(c))); };
    BatchRecord b;
    b.id = std::stoll(text(0));
    b.source = {text(1), text(2), text(3), text(4), text(14)};
    b.started_at = text(5);
    b.finished_at = text(6);
    b.status = text(7);
    b.counts = {count(8), count(9), count(10), count(11), count(12), count(13)};
    b.message = text(15);
    if (row[16] && row[17] && row[18] && row[19])
      b.counts.movies = MovieChanges{count(16), count(17), count(18), count(19)};
    out.push_back(std::move(b));
  });
  return out;
}

std::optional<BatchRecord> BatchLedger::loaded_batch(const std::string& sha256) {
  SqlValue params[] = {sha256};
  auto found =
      select_batches("WHERE sha256 = ? AND status = 'loaded' ORDER BY id DESC LIMIT 1", params);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<BatchRecord> BatchLedger::batches() {
  return select_batches("ORDER BY id", {});
}

void BatchLedger::record_check(std::int64_t batch_id, const std::string& check_name,
                               std::uint64_t failing,
                               const std::vector<std::string>& failing_keys) {
  SqlValue params[] = {batch_id, check_name, as_int(failing), json_string_array(failing_keys),
                       utc_now_iso8601()};
  db_.run(
      "INSERT INTO data_check_result (batch_id, check_name, failing, failing_keys, checked_at) "
      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (batch_id, check_name) DO UPDATE SET failing = "
      "excluded.failing, failing_keys = excluded.failing_keys, checked_at = excluded.checked_at",
      params, "recording a data check in data_check_result");
}

void BatchLedger::record_report_changes(std::int64_t batch_id,
                                        const std::vector<ReportChange>& changes) {
  for (const auto& c : changes) {
    SqlValue params[] = {batch_id,
                         c.report,
                         as_int(c.rows_added),
                         as_int(c.rows_changed),
                         as_int(c.rows_removed),
                         json_string_array(c.changed_keys),
                         utc_now_iso8601()};
    db_.run(
        "INSERT INTO report_change (batch_id, report, rows_added, rows_changed, rows_removed, "
        "changed_keys, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id, report) "
        "DO UPDATE SET rows_added = excluded.rows_added, rows_changed = excluded.rows_changed, "
        "rows_removed = excluded.rows_removed, changed_keys = excluded.changed_keys, "
        "recorded_at = excluded.recorded_at",
        params, "recording a report change in report_change");
  }
}

std::vector<ReportChange> BatchLedger::report_changes(std::int64_t batch_id) {
  SqlValue params[] = {batch_id};
  std::vector<ReportChange> out;
  db_.run(
      "SELECT report, rows_added, rows_changed, rows_removed, changed_keys FROM report_change "
      "WHERE batch_id = ?",
      params, "reading report_change", [&](const auto&, const std::vector<Cell>& row) {
        auto count = [&](std::size_t c) {
          return static_cast<std::uint64_t>(std::stoll(row[c].value_or("0")));
        };
        ReportChange c{row[0].value_or(""), count(1), count(2), count(3), {}};
        auto keys = nlohmann::json::parse(row[4].value_or("[]"), nullptr, false);
        if (keys.is_array()) {
          for (const auto& k : keys)
            if (k.is_string()) c.changed_keys.push_back(k.get<std::string>());
        }
        out.push_back(std::move(c));
      });
  // In the order the reports are written (the table keeps no order).
  auto rank = [](const std::string& name) {
    return static_cast<std::size_t>(std::find(kReportNames.begin(), kReportNames.end(), name) -
                                    kReportNames.begin());
  };
  std::stable_sort(out.begin(), out.end(), [&](const ReportChange& a, const ReportChange& b) {
    return rank(a.report) != rank(b.report) ? rank(a.report) < rank(b.report) : a.report < b.report;
  });
  return out;
}

std::uint64_t BatchLedger::remove_absent_from_snapshot(std::int64_t batch_id,
                                                       const std::string& data_time) {
  constexpr const char* kAbsent =
      "SELECT m.id FROM movie m JOIN ingest_batch b ON b.id = m.batch_id WHERE m.batch_id <> ? "
      "AND b.data_time <= ?";
  SqlValue params[] = {batch_id, data_time};
  std::uint64_t removed = 0;
  db_.run(fmt::format("SELECT COUNT(*) FROM ({}) AS absent", kAbsent), params,
          "counting the movies absent from the snapshot",
          [&](const auto&, const std::vector<Cell>& row) {
            removed = static_cast<std::uint64_t>(std::stoll(row[0].value_or("0")));
          });
  if (removed == 0) return 0;
  ReportAggregates(db_).note_prior(kAbsent, params);
  // A removed movie takes its keywords and credits along: they are the movie's, whichever
  // batch wrote them.
  for (const char* table : {"movie_genre", "movie_company", "movie_country", "movie_language",
                            "movie_keyword", "cast_credit", "crew_credit"}) {
    db_.run(fmt::format("DELETE FROM {} WHERE movie_id IN ({})", table, kAbsent), params,
            fmt::format("removing the {} rows of movies absent from the snapshot", table));
  }
  db_.run(fmt::format("DELETE FROM movie WHERE id IN ({})", kAbsent), params,
          "removing movies absent from the snapshot");
  return removed;
}

std::uint64_t BatchLedger::remove_rows_absent_from_snapshot(std::string_view table,
                                                            std::int64_t batch_id,
                                                            const std::string& data_time) {
  const std::string absent = fmt::format(
      "FROM {} WHERE batch_id <> ? AND batch_id IN (SELECT id FROM ingest_batch WHERE data_time "
      "<= ?)",
      table);
  SqlValue params[] = {batch_id, data_time};
  std::uint64_t removed = 0;
  db_.run("SELECT COUNT(*) " + absent, params,
          fmt::format("counting the {} rows absent from the snapshot", table),
          [&](const auto&, const std::vector<Cell>& row) {
            removed = static_cast<std::uint64_t>(std::stoll(row[0].value_or("0")));
          });
  if (removed > 0) {
    db_.run("DELETE " + absent, params,
            fmt::format("removing the {} rows absent from the snapshot", table));
  }
  return removed;
}

std::uint64_t BatchLedger::remove_file_rows_absent_from_snapshot(dataset::DetailFile file,
                                                                 std::int64_t batch_id,
                                                                 const std::string& data_time) {
  std::vector<std::string_view> tables;
  switch (file) {
    case dataset::DetailFile::kLinks:
      tables = {"link"};
      break;
    case dataset::DetailFile::kKeywords:
      tables = {"movie_keyword"};
      break;
    case dataset::DetailFile::kCredits:
      tables = {"cast_credit", "crew_credit"};
      break;
    case dataset::DetailFile::kRatings:
      tables = {"rating"};
      break;
  }
  std::uint64_t removed = 0;
  for (auto table : tables) removed += remove_rows_absent_from_snapshot(table, batch_id, data_time);
  if (file == dataset::DetailFile::kRatings && removed > 0) {
    db_.run("DELETE FROM rating_total", {}, "rebuilding rating_total");
    db_.run(
        "INSERT INTO rating_total (movielens_id, ratings, rating_halves) SELECT movielens_id, "
        "COUNT(*), SUM(CAST(rating * 2 AS INTEGER)) FROM rating GROUP BY movielens_id",
        {}, "rebuilding rating_total");
  }
  return removed;
}

std::vector<FileRecord> BatchLedger::select_files(std::string_view where,
                                                  std::span<const SqlValue> params) {
  std::vector<FileRecord> out;
  db_.run(fmt::format("SELECT f.file, f.status, f.crc32, f.bytes, f.rows_read, f.rows_loaded, "
                      "f.rows_rejected, f.duplicate_superseded, f.older_than_loaded, f.warnings, "
                      "b.snapshot FROM ingest_file f JOIN ingest_batch b ON b.id = f.batch_id {}",
                      where),
          params, "reading ingest_file", [&](const auto&, const std::vector<Cell>& row) {
            auto count = [&](std::size_t c) {
              return static_cast<std::uint64_t>(std::stoll(row[c].value_or("0")));
            };
            FileRecord f;
            f.file = row[0].value_or("");
            f.status = row[1].value_or("");
            if (row[2]) f.crc32 = static_cast<std::uint32_t>(std::stoll(*row[2]));
            f.bytes = count(3);
            f.counts.rows_read = count(4);
            f.counts.rows_loaded = count(5);
            f.counts.rows_rejected = count(6);
            f.counts.duplicate_superseded = count(7);
            f.counts.older_than_loaded = count(8);
            f.counts.warnings = count(9);
            const std::string snapshot = row[10].value_or("");
            f.snapshot = snapshot == "1" || snapshot == "t" || snapshot == "true";
            out.push_back(std::move(f));
          });
  return out;
}

std::optional<FileRecord> BatchLedger::last_loaded_file(std::string_view file) {
  SqlValue params[] = {std::string(file)};
  auto files = select_files(
      "WHERE f.file = ? AND b.status = 'loaded' ORDER BY f.batch_id DESC LIMIT 1", params);
  if (files.empty()) return std::nullopt;
  return files.front();
}

std::vector<FileRecord> BatchLedger::batch_files(std::int64_t batch_id) {
  SqlValue params[] = {batch_id};
  return select_files("WHERE f.batch_id = ? ORDER BY f.seq", params);
}

void BatchLedger::mark_loaded(std::int64_t batch_id, const BatchCounts& counts, bool snapshot,
                              const std::vector<FileRecord>& files) {
  std::int64_t seq = 0;
  for (const auto& f : files) {
    auto crc = [&]() -> SqlValue {
      if (!f.crc32) return std::nullopt;
      return std::int64_t{*f.crc32};
    };
    SqlValue row[] = {batch_id,
                      f.file,
                      f.status,
                      crc(),
                      as_int(f.bytes),
                      as_int(f.counts.rows_read),
                      as_int(f.counts.rows_loaded),
                      as_int(f.counts.rows_rejected),
                      as_int(f.counts.duplicate_superseded),
                      as_int(f.counts.older_than_loaded),
                      as_int(f.counts.warnings),
                      ++seq};
    db_.run(
        "INSERT INTO ingest_file (batch_id, file, status, crc32, bytes, rows_read, "
        "rows_loaded, rows_rejected, duplicate_superseded, older_than_loaded, warnings, seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        row, "recording the batch's files in ingest_file");
  }
  auto changed = [&](std::uint64_t MovieChanges::*member) -> SqlValue {
    if (!counts.movies) return std::nullopt;
    return as_int((*counts.movies).*member);
  };
  SqlValue params[] = {utc_now_iso8601(),
                       as_int(counts.rows_read),
                       as_int(counts.rows_loaded),
                       as_int(counts.rows_rejected),
                       as_int(counts.duplicate_superseded),
                       as_int(counts.warnings),
                       as_int(counts.older_than_loaded),
                       changed(&MovieChanges::added),
                       changed(&MovieChanges::updated),
                       changed(&MovieChanges::unchanged),
                       changed(&MovieChanges::removed),
                       batch_id};
  db_.run(fmt::format("UPDATE ingest_batch SET status = 'loaded', finished_at = ?, rows_read = ?, "
                      "rows_loaded = ?, rows_rejected = ?, duplicate_superseded = ?, warnings = ?, "
                      "older_than_loaded = ?, movies_new = ?, movies_updated = ?, "
                      "movies_unchanged = ?, movies_removed = ?, snapshot = {} WHERE id = ?",
                      snapshot ? "TRUE" : "FALSE"),
          params, "recording the batch counts in ingest_batch");
}

void BatchLedger::mark_failed(std::int64_t batch_id, const std::string& reason) {
  SqlValue params[] = {utc_now_iso8601(), reason, batch_id};
  db_.run(
      "UPDATE ingest_batch SET status = 'failed', finished_at = ?, message = ? WHERE id = ? AND "
      "status = 'started'",
      params, "marking the batch failed in ingest_batch");
}

BatchCounts counts_with_older(const BatchCounts& loaded, std::uint64_t older_than_loaded) {
  BatchCounts counts = loaded;
  counts.older_than_loaded = older_than_loaded;
  counts.rows_loaded -= std::min(counts.rows_loaded, counts.older_than_loaded);
  counts.duplicate_superseded += counts.older_than_loaded;
  return counts;
}

}  // namespace marquee::store
