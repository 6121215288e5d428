#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "format/utf8.hpp"

namespace marquee::store {

/// True when `text` goes into a store as it is: valid UTF-8 without NUL bytes. The check every
/// bound or copied value pays; only the rare text that fails it is copied by stored_text.
inline bool is_stored_as_is(std::string_view text) {
  return text.empty() ||
         (std::memchr(text.data(), '\0', text.size()) == nullptr && format::is_valid_utf8(text));
}

/// The text a store keeps, the same on every engine: each invalid UTF-8 sequence becomes U+FFFD
/// and each NUL a space. PostgreSQL rejects both in text; SQLite would keep them, and then the
/// same archive would read back differently from each engine.
inline std::string stored_text(std::string_view text) {
  if (is_stored_as_is(text)) return std::string(text);
  std::string out;
  if (format::is_valid_utf8(text)) {
    out.assign(text);
  } else {
    format::append_utf8_replacing(text, out);
  }
  std::replace(out.begin(), out.end(), '\0', ' ');
  return out;
}

}  // namespace marquee::store
