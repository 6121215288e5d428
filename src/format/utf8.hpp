#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace marquee::format {

/// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view text);

/// Appends `text` to `out`, each maximal invalid subsequence replaced by U+FFFD (as Python's
/// errors="replace" does); returns how many replacements were made.
std::size_t append_utf8_replacing(std::string_view text, std::string& out);

}  // namespace marquee::format
