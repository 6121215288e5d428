#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "format/byte_source.hpp"

namespace marquee::format {

struct ZipEntry {
  std::string name;  ///< the name as stored (never used as a path on disk)
  std::uint64_t index = 0;
  std::uint64_t size = 0;
  std::uint64_t compressed_size = 0;
  std::uint32_t crc = 0;
};

/// A ZIP archive read with libzip (stored or deflated entries, ZIP64); deflated entries are
/// inflated by ISA-L when marquee is built with it, by zlib otherwise.
class ZipArchive {
 public:
  /// Throws marquee::Error(kBadData) when the file is not a readable ZIP.
  explicit ZipArchive(const std::filesystem::path& path);
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  const std::vector<ZipEntry>& entries() const;
  /// Streams one entry. Reading throws marquee::Error(kBadData) naming the entry on a CRC
  /// mismatch, truncated data or compressed data that does not inflate.
  std::unique_ptr<ByteSource> open(const ZipEntry& entry) const;
  const std::filesystem::path& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace marquee::format
