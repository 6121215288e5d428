#pragma once

#include <string>
#include <string_view>

namespace marquee::format {

/// Appends one CSV field as SPEC 5 and pandas' to_csv (QUOTE_MINIMAL) write it: quoted only when
/// it holds a comma, a quote, CR or LF, with quotes doubled.
inline void append_csv_field(std::string& out, std::string_view value) {
  // One pass over the bytes (find_first_of called memchr on the set for every byte: 8% of
  // writing the reports).
  bool plain = true;
  for (char c : value) {
    if (c == ',' || c == '"' || c == '\r' || c == '\n') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace marquee::format
