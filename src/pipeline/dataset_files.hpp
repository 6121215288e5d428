#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/byte_source.hpp"
#include "format/zip_archive.hpp"

namespace marquee::pipeline {

/// The CSV files of one dataset, from a ZIP archive or a folder, matched by base name (SPEC 3.1).
class DatasetFiles {
 public:
  /// Throws marquee::Error(kBadData) for a corrupt archive or two entries with one base name.
  static DatasetFiles from_zip(const std::filesystem::path& zip);
  static DatasetFiles from_directory(const std::filesystem::path& dir);
  /// One CSV file of the dataset (movies_metadata.csv, as a pandas user would pass it), read in
  /// place as a folder holding only it would be.
  static DatasetFiles from_csv_file(const std::filesystem::path& csv);

  struct File {
    std::string base_name;    ///< "movies_metadata.csv"
    std::string stored_name;  ///< the name in the archive ("data/movies_metadata.csv")
    std::uint64_t size = 0;
    /// The CRC-32 the ZIP directory gives the entry; nullopt for a file on disk.
    std::optional<std::uint32_t> crc32;
    std::function<std::unique_ptr<format::ByteSource>()> open;
  };
  const std::vector<File>& files() const { return files_; }
  const File* find(std::string_view base_name) const;
  const std::string& label() const { return label_; }
  /// The identity of a folder of CSVs: the SHA-256 of its files' names (each with a NUL after
  /// it) and contents, in name order.
  std::string content_sha256() const;

 private:
  void add(File file);
  std::string label_;
  std::shared_ptr<format::ZipArchive> zip_;
  std::vector<File> files_;
};

}  // namespace marquee::pipeline
