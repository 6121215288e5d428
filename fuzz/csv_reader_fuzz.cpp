// libFuzzer target for format::CsvReader. The first byte picks a buffer size and a record limit;
// the rest is the CSV. Whatever the bytes, the reader must not crash, and it must read them the
// same way with every buffer size: the same records (fields, line, raw) and the same error.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "format/byte_source.hpp"
#include "format/csv_reader.hpp"

namespace {

using marquee::Error;
using marquee::ExitCode;
using marquee::format::CsvOptions;
using marquee::format::CsvReader;
using marquee::format::CsvRecord;

struct Row {
  std::vector<std::string> fields;
  std::uint64_t line;
  std::string raw;
  bool operator==(const Row&) const = default;
};

struct Outcome {
  std::vector<Row> rows;
  std::optional<std::string> error;
  bool operator==(const Outcome&) const = default;
};

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

Outcome read(std::string_view text, CsvOptions options) {
  Outcome outcome;
  auto source = marquee::format::string_source(std::string(text), "fuzz.csv");
  CsvReader reader(*source, options);
  CsvRecord record;
  try {
    while (reader.next(record)) {
      // Every view lies in memory that can be read; raw is never longer than the limit.
      check(record.raw.size() <= options.max_record_bytes);
      Row row{{}, record.line, std::string(record.raw)};
      for (const std::string_view field : record.fields) {
        row.fields.emplace_back(field);
      }
      check(!row.fields.empty());
      check(outcome.rows.empty() || row.line > outcome.rows.back().line);
      outcome.rows.push_back(std::move(row));
    }
  } catch (const Error& e) {
    check(e.code() == ExitCode::kBadData);
    outcome.error = e.what();
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::uint8_t knob = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  // Small limits now and then, so that the --max-record-bytes path is exercised too.
  const std::size_t max_record_bytes = (knob & 0x80) != 0 ? 1 + (knob & 0x1F) : 1 << 20;

  // One read of the whole input is the reference; then every record straddles reads.
  const Outcome expected =
      read(text, {.buffer_size = text.size() + 1, .max_record_bytes = max_record_bytes});
  for (const std::size_t buffer_size :
       {std::size_t{1} + (knob & 0x0F), std::size_t{1}, std::size_t{64}}) {
    check(read(text, {.buffer_size = buffer_size, .max_record_bytes = max_record_bytes}) ==
          expected);
  }

  // Raw bytes of the records, joined by what ended them, give back the input (less a BOM).
  if (!expected.error) {
    std::size_t at = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    for (const Row& row : expected.rows) {
      check(text.substr(at, row.raw.size()) == row.raw);
      at += row.raw.size();
      if (text.substr(at, 2) == "\r\n") {
        at += 2;
      } else if (text.substr(at, 1) == "\n") {
        at += 1;
      }
    }
    check(at == text.size());
  }
  return 0;
}
