#include "format/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace marquee::format {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the run of ASCII bytes at the start of [p, end): most text in the dataset is ASCII,
// so it is skipped 8 bytes at a time.
std::size_t ascii_prefix(const unsigned char* p, const unsigned char* end) {
  const unsigned char* start = p;
  while (end - p >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    if ((word & 0x8080808080808080ULL) != 0) {
      break;
    }
    p += 8;
  }
  while (p < end && *p < 0x80) {
    ++p;
  }
  return static_cast<std::size_t>(p - start);
}

// The sequence at p (p < end, *p >= 0x80), by Table 3-7 of the Unicode standard. Returns its
// length when it is well formed; otherwise minus the length of its maximal subpart (the longest
// prefix that some well-formed sequence starts with, at least the first byte), which is what one
// U+FFFD replaces.
int classify(const unsigned char* p, const unsigned char* end) {
  const unsigned char lead = p[0];
  int length;
  unsigned char low = 0x80;  // range of the second byte; the later ones are always 80..BF
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) {
      low = 0xA0;  // no overlongs
    } else if (lead == 0xED) {
      high = 0x9F;  // no surrogates
    }
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) {
      low = 0x90;  // no overlongs
    } else if (lead == 0xF4) {
      high = 0x8F;  // nothing past U+10FFFF
    }
  } else {
    return -1;
  }
  const std::ptrdiff_t available = end - p;
  for (int i = 1; i < length; ++i) {
    if (i >= available) {
      return -i;
    }
    const unsigned char c = p[i];
    if (c < low || c > high) {
      return -i;
    }
    low = 0x80;
    high = 0xBF;
  }
  return length;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  for (;;) {
    p += ascii_prefix(p, end);
    if (p == end) {
      return true;
    }
    const int n = classify(p, end);
    if (n < 0) {
      return false;
    }
    p += n;
  }
}

std::size_t append_utf8_replacing(std::string_view text, std::string& out) {
  const auto* const first = reinterpret_cast<const unsigned char*>(text.data());
  const auto* p = first;
  const auto* end = p + text.size();
  std::size_t replaced = 0;
  const auto* copied = p;  // bytes before this are in out already
  for (;;) {
    p += ascii_prefix(p, end);
    if (p == end) {
      break;
    }
    const int n = classify(p, end);
    if (n > 0) {
      p += n;
      continue;
    }
    out.append(text.data() + (copied - first), static_cast<std::size_t>(p - copied));
    out.append(kReplacement);
    ++replaced;
    p += -n;
    copied = p;
  }
  out.append(text.data() + (copied - first), static_cast<std::size_t>(end - copied));
  return replaced;
}

}  // namespace marquee::format
