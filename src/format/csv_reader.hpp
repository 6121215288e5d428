#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "format/byte_source.hpp"

namespace marquee::format {

struct CsvOptions {
  /// Bytes read from the source at a time; tests use 1..16 so records straddle every boundary.
  std::size_t buffer_size = 1 << 16;
  /// A longer record fails the read (SPEC 3.2, --max-record-bytes).
  std::size_t max_record_bytes = std::size_t{16} << 20;
};

/// One record. The views stay valid until the next call to CsvReader::next.
struct CsvRecord {
  std::vector<std::string_view> fields;  ///< unescaped field values
  std::uint64_t line = 0;                ///< physical line (1-based) where the record starts
  std::string_view raw;                  ///< the record's bytes as read, without its line end
};

/// Streaming RFC 4180 reader, exactly the dialect of SPEC 3.2: LF or CRLF ends a record outside
/// quotes, a bare CR outside quotes is an ordinary character, a quote inside an unquoted field is
/// kept, "" inside quotes is one quote. Bytes are passed through as they are (no UTF-8 checks).
class CsvReader {
 public:
  explicit CsvReader(ByteSource& source, CsvOptions options = {});
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  /// Reads the next record into `out`; false at the end of input. Throws marquee::Error
  /// (ExitCode::kBadData) for a quote still open at the end of input, naming the line where it
  /// opened, and for a record longer than max_record_bytes.
  bool next(CsvRecord& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace marquee::format
