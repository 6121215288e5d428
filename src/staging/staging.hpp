#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <vector>
#include "source/source.hpp"

namespace marquee::staging {

/// The folders of SPEC 6 under the work directory.
struct StagingDirs {
  std::filesystem::path root;  ///< <workdir>/staging
  std::filesystem::path incoming() const { return root / "incoming"; }
  std::filesystem::path archive() const { return root / "archive"; }
  std::filesystem::path failed() const { return root / "failed"; }
  std::filesystem::path backfill() const { return root / "backfill"; }
  /// The last ETag staged from each source (<sha1 of the source>.json), for the unchanged skip.
  std::filesystem::path state() const { return root / "state"; }
  void create() const;
};

/// What is known about one staged archive; kept beside it as <archive>.meta.json.
struct StagedArchive {
  std::filesystem::path path;  ///< the complete .zip inside incoming/ (or backfill/)
  std::string source;          ///< the URL or path it came from (no credentials)
  std::string sha256;          ///< hex of the whole file
  std::string etag;            ///< as the server sent it, quotes stripped; empty for files
  std::string last_modified;   ///< RFC 7231 date from the server or the file's mtime, ISO 8601
  std::string staged_at;       ///< ISO 8601 UTC
  std::uint64_t size = 0;
};

struct StageOptions {
  int max_retries = 5;                          ///< retries on 5xx/429/timeouts/resets
  std::chrono::milliseconds base_backoff{500};  ///< doubled each retry, with jitter
  std::chrono::seconds connect_timeout{15};
  std::chrono::seconds low_speed_time{60};  ///< abort a transfer stalled this long
  bool no_sign_request = false;             ///< S3 unsigned even with credentials
  bool progress = false;                    ///< progress bar (only when on a terminal)
  /// The data time recorded as the archive's last_modified instead of the source's
  /// Last-Modified or mtime (ISO 8601); empty: the source's.
  std::string as_of;
  /// Polled during downloads: true stops them (source::TransferCancelled, the .part kept).
  std::function<bool()> cancelled;
};

/// The transfer settings of StageOptions (S3 listings use them too).
source::TransferOptions transfer_options(const StageOptions& options);

struct StageResult {
  StagedArchive archive;
  bool downloaded = false;  ///< false when skipped (same ETag as the last staged) or local
  bool skipped_unchanged = false;
  std::uint64_t resumed_from = 0;  ///< bytes of an interrupted .part that were kept
  std::uint64_t fetched = 0;       ///< bytes transferred by this call
  int retries = 0;
};

/// Stages SOURCE (s3://, https://, http://, file://, a plain path) into dirs.incoming(): download
/// to <name>.part (resuming with Range when the ETag matches), verify the size and that the ZIP
/// central directory is readable, fsync, rename, and write the .meta.json beside it. Skips the
/// download (one HEAD request) when the source's ETag equals the last one staged from it.
/// Throws marquee::Error with kSource (2) for unreachable/403/404, kBadData (3) for a file that
/// is not a complete ZIP.
StageResult stage(const std::string& source, const StagingDirs& dirs, const StageOptions& options);

/// The same into another folder of `dirs` (the backfill lane: dirs.backfill()), so that
/// archives staged there never wait in front of the hourly ones in incoming/.
StageResult stage(const std::string& source, const StagingDirs& dirs, const StageOptions& options,
                  const std::filesystem::path& into);

/// Complete archives waiting in `folder` (incoming/ or backfill/), oldest staged first.
std::vector<StagedArchive> pending(const std::filesystem::path& folder);

/// Moves a loaded archive (and its meta) to archive/ and returns where it now lies. archive/
/// keeps one copy per sha256: when a file of the same content is there already (an unchanged
/// source staged and loaded again), the new copy is deleted and the kept one returned.
std::filesystem::path mark_loaded(const StagedArchive& archive, const StagingDirs& dirs);
/// Moves a failed archive (and its meta) to failed/ with <name>.reason beside it.
void mark_failed(const StagedArchive& archive, const StagingDirs& dirs, const std::string& reason);

/// Hex SHA-256 of a file, streamed.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace marquee::staging
