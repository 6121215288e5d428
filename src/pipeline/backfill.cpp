#include "pipeline/backfill.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "format/csv_reader.hpp"
#include "pipeline/as_of_pattern.hpp"
#include "source/aws_config.hpp"
#include "source/redact.hpp"
#include "source/s3_client.hpp"
#include "source/source.hpp"

namespace marquee::pipeline {
namespace fs = std::filesystem;
namespace {

fs::path progress_path(const staging::StagingDirs& dirs) {
  return dirs.state() / "backfill_progress.json";
}

std::vector<std::string> list_s3_archives(const source::S3Location& location,
                                          const staging::StageOptions& stage) {
  source::S3Client client(source::resolve_s3_settings(location.bucket, stage.no_sign_request),
                          staging::transfer_options(stage));
  std::vector<std::string> archives;
  for (const auto& object : client.list(location)) {
    if (object.key.ends_with(".zip")) {
      archives.push_back(source::S3Location{location.bucket, object.key}.uri());
    }
  }
  return archives;
}

std::vector<std::string> list_local_archives(const fs::path& dir) {
  std::vector<std::string> archives;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".zip") {
      archives.push_back(entry.path().string());
    }
  }
  std::sort(archives.begin(), archives.end());
  return archives;
}

/// One row of --as-of-manifest.
struct ManifestRow {
  std::string file;   ///< a base name or a source as listed
  std::string as_of;  ///< normalized
  std::uint64_t line = 0;
  std::string used_by;  ///< the archive it dated, once one did
};

[[noreturn]] void bad_manifest(const fs::path& path, std::uint64_t line, const std::string& why) {
  throw Error(ExitCode::kUsage,
              fmt::format("--as-of-manifest {}{}: {}; nothing was staged", path.string(),
                          line == 0 ? "" : fmt::format(" line {}", line), why));
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || !fs::is_regular_file(path)) {
    bad_manifest(path, 0, "cannot be read; give a CSV file with the header file,as_of");
  }
  return text.str();
}

/// The columns of `header` named `file` and `as_of` (a UTF-8 byte order mark before the first
/// name is not part of it).
std::pair<std::size_t, std::size_t> manifest_columns(const fs::path& path,
                                                     const format::CsvRecord& header) {
  std::optional<std::size_t> file, as_of;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    std::string_view name = header.fields[i];
    if (i == 0 && name.starts_with("\xEF\xBB\xBF")) name.remove_prefix(3);
    if (name == "file") file = i;
    if (name == "as_of") as_of = i;
  }
  if (!file || !as_of) {
    bad_manifest(path, header.line, "the header must name the columns file and as_of");
  }
  return {*file, *as_of};
}

ManifestRow manifest_row(const fs::path& path, const format::CsvRecord& record,
                         std::pair<std::size_t, std::size_t> columns) {
  auto [file, as_of] = columns;
  if (record.fields.size() <= std::max(file, as_of)) {
    bad_manifest(path, record.line,
                 fmt::format("{} fields, too few for file and as_of", record.fields.size()));
  }
  ManifestRow row{std::string(record.fields[file]), "", record.line, ""};
  if (row.file.empty()) bad_manifest(path, record.line, "the file column is empty");
  auto time = normalize_utc_timestamp(record.fields[as_of]);
  if (!time) {
    bad_manifest(path, record.line,
                 fmt::format("'{}' is not an ISO 8601 time (use 2025-03-01 or "
                             "2025-03-01T12:00:00Z)",
                             record.fields[as_of]));
  }
  row.as_of = *time;
  return row;
}

/// Every row of the manifest; throws Error(kUsage) naming the line of the first bad one.
std::vector<ManifestRow> read_manifest(const fs::path& path) {
  auto input = format::string_source(read_text(path), path.string());
  format::CsvReader reader(*input);
  format::CsvRecord record;
  std::vector<ManifestRow> rows;
  std::map<std::string, std::uint64_t> first_line;
  try {
    if (!reader.next(record))
      bad_manifest(path, 0, "it is empty: the header file,as_of is missing");
    auto columns = manifest_columns(path, record);
    while (reader.next(record)) {
      if (record.fields.size() == 1 && record.fields[0].empty()) continue;  // a blank line
      rows.push_back(manifest_row(path, record, columns));
      auto [seen, fresh] = first_line.emplace(rows.back().file, record.line);
      if (!fresh) {
        bad_manifest(path, record.line,
                     fmt::format("{} is named again (first on line {}); keep "
                                 "one row per archive",
                                 rows.back().file, seen->second));
      }
    }
  } catch (const Error& e) {
    if (e.code() == ExitCode::kUsage) throw;
    bad_manifest(path, 0, e.what());
  }
  return rows;
}

/// The manifest row dating SOURCE: the one naming it as listed, else its base name. A base name
/// that would date two archives is ambiguous.
ManifestRow* manifest_row_for(std::vector<ManifestRow>& rows, const std::string& source,
                              const fs::path& path) {
  std::string base = archive_base_name(source);
  std::string absolute = source;
  if (auto local = source::local_path_of(source)) {
    absolute = fs::absolute(*local).lexically_normal().string();
  }
  ManifestRow* by_base = nullptr;
  for (auto& row : rows) {
    if (row.file == source || row.file == absolute) return &row;
    if (row.file == base) by_base = &row;
  }
  if (by_base && !by_base->used_by.empty() && by_base->used_by != source) {
    bad_manifest(
        path, by_base->line,
        fmt::format("{} names both {} and {}; write the whole source in the file column",
                    by_base->file, source::redacted(by_base->used_by), source::redacted(source)));
  }
  return by_base;
}

/// "X (and N more: …)" for the first of several archives that fail the same way.
std::string and_more(const std::vector<std::string>& names) {
  if (names.size() < 2) return "";
  std::vector<std::string> rest(names.begin() + 1,
                                names.begin() + std::min<std::size_t>(names.size(), 4));
  return fmt::format(" (and {} more: {}{})", names.size() - 1, fmt::join(rest, ", "),
                     names.size() > 4 ? ", …" : "");
}

std::vector<PlannedArchive> plan_by_pattern(const std::vector<std::string>& archives,
                                            const std::string& text) {
  AsOfPattern pattern(text);
  std::vector<PlannedArchive> plan;
  std::vector<std::string> mismatched;
  std::string first_reason;
  for (const auto& archive : archives) {
    AsOfMatch match = pattern.match(archive_base_name(archive));
    if (!match.data_time) {
      if (mismatched.empty()) first_reason = match.mismatch;
      mismatched.push_back(source::redacted(archive));
      continue;
    }
    plan.push_back({archive, *match.data_time, fmt::format("--as-of-pattern '{}'", text)});
  }
  if (!mismatched.empty()) {
    throw Error(ExitCode::kUsage,
                fmt::format("backfill: {} does not match --as-of-pattern '{}': {}{}; rename it, "
                            "move it out of the folder or date it with --as-of-manifest; nothing "
                            "was staged",
                            mismatched[0], text, first_reason, and_more(mismatched)));
  }
  return plan;
}

std::vector<PlannedArchive> plan_by_manifest(const std::vector<std::string>& archives,
                                             const fs::path& path) {
  auto rows = read_manifest(path);
  std::vector<PlannedArchive> plan;
  std::vector<std::string> missing;
  for (const auto& archive : archives) {
    ManifestRow* row = manifest_row_for(rows, archive, path);
    if (!row) {
      missing.push_back(source::redacted(archive));
      continue;
    }
    row->used_by = archive;
    plan.push_back(
        {archive, row->as_of,
         fmt::format("--as-of-manifest {} line {}", path.filename().string(), row->line)});
  }
  if (!missing.empty()) {
    bad_manifest(path, 0,
                 fmt::format("no row names {} (file {}){}; add a row file,as_of for every archive",
                             missing[0], archive_base_name(missing[0]), and_more(missing)));
  }
  for (const auto& row : rows) {
    if (row.used_by.empty()) {
      spdlog::warn(
          "backfill: --as-of-manifest {} line {} names {}, which is no archive of this "
          "backfill; ignored",
          path.string(), row.line, row.file);
    }
  }
  return plan;
}

/// "mtime" for a local file, else "Last-Modified"; what the source's own time is called.
std::string source_time_name(const std::string& archive) {
  return source::local_path_of(archive) ? "mtime" : "Last-Modified";
}

}  // namespace

std::string archive_base_name(const std::string& source) {
  if (auto location = source::parse_s3_uri(source)) {
    return location->key.substr(location->key.find_last_of('/') + 1);
  }
  if (auto local = source::local_path_of(source)) return local->filename().string();
  std::string url = source::redact_url(source);  // no query, no fragment
  auto host = url.find("://");
  auto path = url.find('/', host == std::string::npos ? 0 : host + 3);
  return path == std::string::npos ? "" : url.substr(url.find_last_of('/') + 1);
}

std::vector<PlannedArchive> plan_backfill(const std::vector<std::string>& archives,
                                          const std::string& as_of,
                                          const BackfillOptions& options) {
  if (!options.as_of_pattern.empty()) return plan_by_pattern(archives, options.as_of_pattern);
  if (!options.as_of_manifest.empty()) return plan_by_manifest(archives, options.as_of_manifest);
  std::string time = normalize_utc_timestamp(as_of).value_or(as_of);
  std::vector<PlannedArchive> plan;
  for (const auto& archive : archives) {
    plan.push_back({archive, time, time.empty() ? "" : "--as-of"});
  }
  return plan;
}

void print_backfill_plan(const std::vector<PlannedArchive>& plan,
                         const staging::StageOptions& stage, const fs::path& into,
                         std::ostream& out) {
  out << fmt::format("backfill dry run: {} archives would be staged into {}; nothing is staged\n",
                     plan.size(), into.string());
  for (const auto& archive : plan) {
    auto source = source::open_source(archive.source, staging::transfer_options(stage));
    source::ObjectInfo info = source->head();
    std::string size = info.size ? fmt::format("{} bytes", *info.size) : "size unknown";
    std::string time = archive.as_of, origin = archive.origin;
    if (time.empty()) {
      auto own = normalize_utc_timestamp(info.last_modified);
      time = own.value_or("(none known)");
      origin = own ? source_time_name(archive.source) : "the time it is staged";
    }
    out << fmt::format("{}  {}  data time {}  from {}\n", source->description(), size, time,
                       origin);
  }
}

std::string data_time_of(const staging::StagedArchive& archive) {
  return normalize_utc_timestamp(archive.last_modified)
      .value_or(normalize_utc_timestamp(archive.staged_at).value_or(""));
}

void sort_by_data_time(std::vector<staging::StagedArchive>& archives) {
  std::stable_sort(archives.begin(), archives.end(),
                   [](const auto& a, const auto& b) { return data_time_of(a) < data_time_of(b); });
}

BackfillProgress BackfillProgress::read(const staging::StagingDirs& dirs) {
  BackfillProgress progress;
  try {
    std::ifstream in(progress_path(dirs));
    if (!in) return progress;
    auto state = nlohmann::json::parse(in);
    progress.staged = state.value("staged", std::uint64_t{0});
    progress.loaded = state.value("loaded", std::uint64_t{0});
  } catch (const std::exception& e) {
    spdlog::warn("backfill: ignoring the unreadable {}: {}", progress_path(dirs).string(),
                 e.what());
  }
  return progress;
}

void BackfillProgress::write(const staging::StagingDirs& dirs) const {
  nlohmann::json state = {{"staged", staged}, {"loaded", loaded}};
  write_file_atomically(progress_path(dirs), state.dump(2) + "\n");
}

std::vector<std::string> expand_backfill_source(const std::string& source,
                                                const staging::StageOptions& stage) {
  if (auto location = source::parse_s3_uri(source);
      location && (location->key.empty() || location->key.ends_with('/'))) {
    auto archives = list_s3_archives(*location, stage);
    spdlog::info("backfill: {} lists {} .zip archives", source, archives.size());
    return archives;
  }
  std::error_code ec;
  if (auto dir = source::local_path_of(source); dir && fs::is_directory(*dir, ec)) {
    auto archives = list_local_archives(*dir);
    spdlog::info("backfill: {} holds {} .zip archives", source, archives.size());
    return archives;
  }
  return {source};
}

}  // namespace marquee::pipeline
