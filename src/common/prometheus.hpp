#pragma once

#include <string>
#include <string_view>

namespace marquee {

/// A label value of the Prometheus text format: backslash, quote and newline escaped.
inline std::string prometheus_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace marquee
