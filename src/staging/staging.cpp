#include "staging/staging.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/sha256.hpp"
#include "format/zip_archive.hpp"
#include "source/source.hpp"

namespace marquee::staging {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kMetaSuffix = ".meta.json";

fs::path with_suffix(const fs::path& path, std::string_view suffix) {
  fs::path out = path;
  out += std::string(suffix);
  return out;
}

fs::path meta_path(const fs::path& archive) {
  return with_suffix(archive, kMetaSuffix);
}

[[noreturn]] void io_failure(const char* what, const fs::path& path) {
  throw Error(ExitCode::kSource,
              fmt::format("cannot {} {}: {}; check the staging folder's permissions and free space",
                          what, path.string(), std::strerror(errno)));
}

void fsync_path(const fs::path& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) io_failure("open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) io_failure("fsync", path);
}

/// Writes `text` so that `path` is either the old file or the whole new one, never a part.
void write_atomically(const fs::path& path, const std::string& text) {
  write_file_atomically(path, text, ExitCode::kSource);
}

json to_json(const StagedArchive& archive) {
  return json{{"source", archive.source},
              {"sha256", archive.sha256},
              {"etag", archive.etag},
              {"last_modified", archive.last_modified},
              {"staged_at", archive.staged_at},
              {"size", archive.size},
              {"file", archive.path.filename().string()}};
}

StagedArchive from_json(const json& meta, const fs::path& path) {
  StagedArchive archive;
  archive.path = path;
  archive.source = meta.at("source").get<std::string>();
  archive.sha256 = meta.at("sha256").get<std::string>();
  archive.etag = meta.value("etag", "");
  archive.last_modified = meta.value("last_modified", "");
  archive.staged_at = meta.at("staged_at").get<std::string>();
  archive.size = meta.at("size").get<std::uint64_t>();
  return archive;
}

void write_meta(const StagedArchive& archive) {
  write_atomically(meta_path(archive.path), to_json(archive).dump(2) + "\n");
}

StagedArchive read_meta(const fs::path& archive_path) {
  std::ifstream in(meta_path(archive_path));
  return from_json(json::parse(in), archive_path);
}

/// <stem>.<UTC stamp><ext> (then -2, -3, …) for a name that is taken in `folder`.
fs::path unique_path(const fs::path& folder, const fs::path& name) {
  std::string stem = name.stem().string();
  std::string extension = name.extension().string();
  std::string stamp = utc_now_compact();
  fs::path candidate = folder / fmt::format("{}.{}{}", stem, stamp, extension);
  for (int n = 2; fs::exists(candidate) || fs::exists(meta_path(candidate)); ++n) {
    candidate = folder / fmt::format("{}.{}-{}{}", stem, stamp, n, extension);
  }
  return candidate;
}

std::string sha1_hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha1(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

/// The incoming lane keeps its historical key; another lane keys by its folder name too.
fs::path state_path(const StagingDirs& dirs, const std::string& source, const fs::path& into) {
  if (into == dirs.incoming()) return dirs.state() / (sha1_hex(source) + ".json");
  return dirs.state() / (sha1_hex(into.filename().string() + ":" + source) + ".json");
}

/// The archive last staged from `source`, when its ETag is on record.
std::optional<StagedArchive> last_staged(const StagingDirs& dirs, const std::string& source,
                                         const fs::path& into) {
  fs::path path = state_path(dirs, source, into);
  if (!fs::exists(path)) return std::nullopt;
  try {
    std::ifstream in(path);
    json state = json::parse(in);
    if (state.at("source").get<std::string>() != source) return std::nullopt;
    return from_json(state, into / state.at("file").get<std::string>());
  } catch (const std::exception& error) {
    spdlog::warn("ignoring unreadable staging state {}: {}", path.string(), error.what());
    return std::nullopt;
  }
}

void remember_staged(const StagingDirs& dirs, const StagedArchive& archive, const fs::path& into) {
  if (archive.etag.empty()) return;
  write_atomically(state_path(dirs, archive.source, into), to_json(archive).dump(2) + "\n");
}

/// Throws Error(kBadData) unless `path` is a ZIP whose central directory reads.
void check_zip(const fs::path& path, const std::string& source) {
  try {
    format::ZipArchive archive(path);
  } catch (const Error& error) {
    if (error.code() != ExitCode::kBadData) throw;
    throw Error(ExitCode::kBadData,
                fmt::format("{} is not a complete ZIP archive ({}); it was not staged: check that "
                            "the source names the dataset archive, then stage it again",
                            source, error.what()));
  }
}

void remove_part(const fs::path& part) {
  std::error_code ignored;
  fs::remove(part, ignored);
  fs::remove(source::part_state_path(part), ignored);
}

/// Verifies a finished .part and moves it to its name in incoming/ with its meta beside it.
StagedArchive finalize(const fs::path& part, const std::string& name,
                       const std::string& description, const source::DownloadReport& report,
                       const fs::path& into, const std::string& last_modified) {
  std::uint64_t size = fs::file_size(part);
  if (report.object.size && size != *report.object.size) {
    remove_part(part);
    throw Error(ExitCode::kBadData,
                fmt::format("{}: received {} bytes but the source announced {}; nothing was "
                            "staged: run the stage again",
                            description, size, *report.object.size));
  }
  try {
    check_zip(part, description);
  } catch (const Error&) {
    remove_part(part);
    throw;
  }
  fsync_path(part, false);
  std::string sha256 = sha256_file(part);

  fs::path target = into / name;
  if (fs::exists(target)) {
    std::string existing_sha256 =
        fs::exists(meta_path(target)) ? read_meta(target).sha256 : sha256_file(target);
    if (existing_sha256 == sha256) {
      remove_part(part);
      if (fs::exists(meta_path(target))) return read_meta(target);
      StagedArchive archive{target,        description,       sha256, report.object.etag,
                            last_modified, utc_now_iso8601(), size};
      write_meta(archive);
      return archive;
    }
    target = unique_path(into, name);
  }
  fs::rename(part, target);
  fsync_path(into, true);
  std::error_code ignored;
  fs::remove(source::part_state_path(part), ignored);

  StagedArchive archive{target,        description,       sha256, report.object.etag,
                        last_modified, utc_now_iso8601(), size};
  write_meta(archive);
  return archive;
}

/// A local file that already sits in incoming/: checked and described, not copied.
StagedArchive stage_in_place(const fs::path& path, const std::string& description,
                             const source::ObjectInfo& info, const std::string& as_of) {
  if (fs::exists(meta_path(path))) return read_meta(path);
  check_zip(path, description);
  StagedArchive archive{path,
                        description,
                        sha256_file(path),
                        "",
                        as_of.empty() ? info.last_modified : as_of,
                        utc_now_iso8601(),
                        fs::file_size(path)};
  write_meta(archive);
  return archive;
}

bool directly_inside(const fs::path& file, const fs::path& folder) {
  std::error_code error;
  fs::path parent = fs::weakly_canonical(file.parent_path(), error);
  if (error) return false;
  fs::path canonical_folder = fs::weakly_canonical(folder, error);
  return !error && parent == canonical_folder;
}

/// The archive in `folder` whose meta records the sha256 of `archive`, if there is one.
std::optional<fs::path> archived_copy_of(const StagedArchive& archive, const fs::path& folder) {
  if (archive.sha256.empty()) return std::nullopt;
  for (const StagedArchive& kept : pending(folder)) {
    if (kept.sha256 == archive.sha256 && kept.path != archive.path) return kept.path;
  }
  return std::nullopt;
}

fs::path move_with_meta(const StagedArchive& archive, const fs::path& folder,
                        const std::string* reason) {
  fs::create_directories(folder);
  fs::path name = archive.path.filename();
  fs::path target = folder / name;
  if (fs::exists(target) || fs::exists(meta_path(target))) target = unique_path(folder, name);
  if (reason) write_atomically(with_suffix(target, ".reason"), *reason + "\n");
  // The meta goes first: without it the archive is no longer pending, whatever happens next.
  if (fs::exists(meta_path(archive.path))) fs::rename(meta_path(archive.path), meta_path(target));
  fs::rename(archive.path, target);
  fsync_path(archive.path.parent_path(), true);
  fsync_path(folder, true);
  spdlog::info("staging: moved {} to {}", archive.path.string(), target.string());
  return target;
}

}  // namespace

void StagingDirs::create() const {
  for (const fs::path& folder : {incoming(), archive(), failed(), backfill(), state()}) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) {
      throw Error(ExitCode::kUsage,
                  fmt::format("cannot create {}: {}; choose a writable --workdir (or make this "
                              "one writable)",
                              folder.string(), ec.message()));
    }
  }
}

std::string sha256_file(const fs::path& path) {
  try {
    return sha256_file_hex(path);
  } catch (const std::system_error& e) {
    errno = e.code().value();
    io_failure("read", path);
  }
}

StageResult stage(const std::string& source_text, const StagingDirs& dirs,
                  const StageOptions& options) {
  return stage(source_text, dirs, options, dirs.incoming());
}

source::TransferOptions transfer_options(const StageOptions& options) {
  source::TransferOptions transfer;
  transfer.max_retries = options.max_retries;
  transfer.base_backoff = options.base_backoff;
  transfer.connect_timeout = options.connect_timeout;
  transfer.low_speed_time = options.low_speed_time;
  transfer.no_sign_request = options.no_sign_request;
  transfer.progress = options.progress;
  transfer.cancelled = options.cancelled;
  return transfer;
}

StageResult stage(const std::string& source_text, const StagingDirs& dirs,
                  const StageOptions& options, const fs::path& into) {
  auto started = std::chrono::steady_clock::now();
  dirs.create();
  std::unique_ptr<source::Source> source =
      source::open_source(source_text, transfer_options(options));
  const std::string& description = source->description();

  StageResult result;
  source::ObjectInfo info = source->head();
  if (auto local = source->local_path(); local && directly_inside(*local, into)) {
    result.archive = stage_in_place(*local, description, info, options.as_of);
    spdlog::info("stage {}: already in {}, staged in place (sha256 {})", description, into.string(),
                 result.archive.sha256);
    return result;
  }
  if (!info.etag.empty()) {
    if (auto last = last_staged(dirs, description, into); last && last->etag == info.etag) {
      result.archive = *last;
      result.skipped_unchanged = true;
      spdlog::info("stage {}: unchanged (ETag {}), staged as {} at {}; nothing to download",
                   description, info.etag, last->path.filename().string(), last->staged_at);
      return result;
    }
  }

  fs::path part = into / (source->file_name() + ".part");
  source::DownloadReport report = source->download(part, info);
  result.archive = finalize(part, source->file_name(), description, report, into,
                            options.as_of.empty() ? report.object.last_modified : options.as_of);
  result.downloaded = !source->local_path().has_value();
  result.resumed_from = report.resumed_from;
  result.fetched = report.fetched;
  result.retries = report.retries;
  remember_staged(dirs, result.archive, into);

  double seconds = seconds_since(started);
  spdlog::info(
      "stage {}: staged {} ({} bytes, sha256 {}, ETag {}; {} bytes fetched, {} resumed, {} "
      "retries) in {:.1f} s",
      description, result.archive.path.string(), result.archive.size, result.archive.sha256,
      result.archive.etag.empty() ? "none" : result.archive.etag, result.fetched,
      result.resumed_from, result.retries, seconds);
  return result;
}

std::vector<StagedArchive> pending(const fs::path& folder) {
  std::vector<StagedArchive> archives;
  if (!fs::is_directory(folder)) return archives;
  for (const auto& entry : fs::directory_iterator(folder)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !name.ends_with(kMetaSuffix)) continue;
    fs::path archive_path = folder / name.substr(0, name.size() - kMetaSuffix.size());
    if (!fs::is_regular_file(archive_path)) continue;
    try {
      archives.push_back(read_meta(archive_path));
    } catch (const std::exception& error) {
      spdlog::warn("staging: ignoring {}: its meta is unreadable ({})", archive_path.string(),
                   error.what());
    }
  }
  std::sort(archives.begin(), archives.end(), [](const StagedArchive& a, const StagedArchive& b) {
    return std::tie(a.staged_at, a.path) < std::tie(b.staged_at, b.path);
  });
  return archives;
}

fs::path mark_loaded(const StagedArchive& archive, const StagingDirs& dirs) {
  if (auto kept = archived_copy_of(archive, dirs.archive())) {
    // The meta goes first, as in move_with_meta: without it the copy is no longer pending.
    fs::remove(meta_path(archive.path));
    fs::remove(archive.path);
    fsync_path(archive.path.parent_path(), true);
    spdlog::info(
        "staging: {} has the content of {} (sha256 {}); dropped it instead of keeping "
        "a second copy",
        archive.path.string(), kept->string(), archive.sha256);
    return *kept;
  }
  return move_with_meta(archive, dirs.archive(), nullptr);
}

void mark_failed(const StagedArchive& archive, const StagingDirs& dirs, const std::string& reason) {
  move_with_meta(archive, dirs.failed(), &reason);
}

}  // namespace marquee::staging
