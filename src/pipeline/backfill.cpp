#include "pipeline/backfill.hpp"

#include <algorithm>
#include <fstream>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "source/aws_config.hpp"
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

}  // namespace

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
