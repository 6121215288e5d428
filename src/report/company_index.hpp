#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/atomic_file.hpp"
#include "common/file_descriptor.hpp"

namespace marquee::report {

/// Where each company's rows begin in a patched report (company_yearly.csv,
/// company_genre_yearly.csv), kept beside it as ".NAME.index". A patch reads the old file only
/// around the companies with changes and copies the rest by byte range, without reading it: the
/// hourly run's reports then read what changed, not the whole 86 MB file of scale 16.
///
/// The file: a magic line, then per company 'E' and three varints (the company id's difference
/// from the previous one, modulo 2^64, then the offset's and the row number's differences), then
/// 'T', the report's data rows and bytes as varints, and an FNV-1a 64 checksum of everything
/// before it (8 bytes, little-endian). It is written and read front to back, so its memory is a
/// buffer, whatever the number of companies.
struct CompanyStart {
  std::int64_t company = 0;
  std::uint64_t offset = 0;  ///< of the company's first row in the report file
  std::uint64_t row = 0;     ///< its number among the data rows, from 0
};

/// An index that cannot be used: missing, cut short, out of order, not matching its report.
struct CompanyIndexUnusable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The index of a report, written as the report is: note() before each data row.
class CompanyIndexWriter {
 public:
  explicit CompanyIndexWriter(AtomicFile& out);
  CompanyIndexWriter(const CompanyIndexWriter&) = delete;
  CompanyIndexWriter& operator=(const CompanyIndexWriter&) = delete;

  /// A data row of `company` starts at `offset`, the report's row number `row` (from 0). Rows
  /// come in company order; only the first of each company is kept.
  void note(std::int64_t company, std::uint64_t offset, std::uint64_t row);
  /// The report ended with `rows` data rows and `bytes` bytes.
  void finish(std::uint64_t rows, std::uint64_t bytes);

 private:
  void put(std::string_view bytes);

  AtomicFile& out_;
  std::string chunk_;
  std::uint64_t checksum_;
  CompanyStart last_;
  bool any_ = false;
};

/// An index read front to back, its entries checked against the report's size as they come;
/// the checksum and the totals are checked by the next() that gives nullopt.
class CompanyIndexReader {
 public:
  /// Throws CompanyIndexUnusable when the file cannot be opened or is not an index.
  CompanyIndexReader(const std::filesystem::path& path, std::uint64_t report_bytes);
  CompanyIndexReader(const CompanyIndexReader&) = delete;
  CompanyIndexReader& operator=(const CompanyIndexReader&) = delete;

  /// The next company start, or nullopt after the last (the totals are then read).
  std::optional<CompanyStart> next();
  /// The report's data rows and bytes, once next() gave nullopt.
  std::uint64_t rows() const { return rows_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  unsigned char byte();
  std::uint64_t varint();

  FileDescriptor file_;  ///< closed also when the constructor throws (a wrong magic line)
  std::string buffer_;
  std::size_t at_ = 0, end_ = 0;
  std::uint64_t checksum_;
  std::uint64_t report_bytes_;
  CompanyStart last_;
  bool any_ = false, done_ = false;
  std::uint64_t rows_ = 0, bytes_ = 0;
};

/// The index file of a report in `results_dir`.
std::filesystem::path company_index_path(const std::filesystem::path& results_dir,
                                         std::string_view report);

}  // namespace marquee::report
