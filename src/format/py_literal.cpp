#include "format/py_literal.hpp"

#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace marquee::format {

const PyValue* PyValue::find(std::string_view key) const {
  if (kind != Kind::kDict) return nullptr;
  // Python keeps the last of duplicate keys, so search from the back.
  for (std::size_t i = entries.size(); i-- > 0;) {
    const auto& [entry_key, value] = entries[i];
    if (entry_key.kind == Kind::kString && entry_key.text == key) return &value;
  }
  return nullptr;
}

namespace {

/// Deeper input is never real data; the limit keeps hostile input from overflowing the stack.
constexpr int kMaxDepth = 256;

/// Containers this deep or deeper do not reserve from the size of their previous sibling.
constexpr int kHintedDepths = 8;
/// Without a sibling to go by: most real lists and dicts hold 2 to 8 elements.
constexpr std::uint32_t kFirstReserve = 4;
/// A sibling much larger than the rest would have every later one over-allocate.
constexpr std::uint32_t kMaxHint = 64;

constexpr std::uint32_t kReplacementCharacter = 0xFFFD;

// Bit 0: ends a run of plain bytes in a '-quoted string; bit 1: in a "-quoted one.
// A raw line break ends the run too: Python rejects it as an unterminated string.
constexpr std::array<std::uint8_t, 256> kStringStops = [] {
  std::array<std::uint8_t, 256> table{};
  table['\''] = 1;
  table['"'] = 2;
  table['\\'] = 3;
  table['\n'] = 3;
  table['\r'] = 3;
  return table;
}();

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_octal(char c) {
  return c >= '0' && c <= '7';
}

// Bytes that continue a Python identifier: `Nonex` or `1abc` is one token, not two.
bool is_identifier_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Surrogates cannot be encoded in UTF-8; they become U+FFFD, as invalid CSV bytes do.
void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point >= 0xD800 && code_point <= 0xDFFF) code_point = kReplacementCharacter;
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

/// The first byte at or after p that ends a run of plain string bytes: the closing quote, a
/// backslash or a line break. Real strings are short, so the scan works 16 bytes at a time only
/// when that many remain.
const char* find_string_stop(const char* p, const char* end, char quote, std::uint8_t stop) {
#if defined(__SSE2__)
  const __m128i quotes = _mm_set1_epi8(quote);
  const __m128i backslashes = _mm_set1_epi8('\\');
  const __m128i line_feeds = _mm_set1_epi8('\n');
  const __m128i returns = _mm_set1_epi8('\r');
  while (end - p >= 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hits = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(bytes, quotes), _mm_cmpeq_epi8(bytes, backslashes)),
        _mm_or_si128(_mm_cmpeq_epi8(bytes, line_feeds), _mm_cmpeq_epi8(bytes, returns)));
    const int mask = _mm_movemask_epi8(hits);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p != end && (kStringStops[static_cast<unsigned char>(*p)] & stop) == 0) ++p;
  return p;
}

bool is_hashable(const PyValue& value) {
  switch (value.kind) {
    case PyValue::Kind::kList:
    case PyValue::Kind::kDict:
      return false;
    case PyValue::Kind::kTuple:
      for (const PyValue& item : value.items) {
        if (!is_hashable(item)) return false;
      }
      return true;
    default:
      return true;
  }
}

/// A recursive-descent parser over one literal. Elements are parsed in place, at the end of
/// their container's vector.
class Parser {
 public:
  explicit Parser(std::string_view text)
      : begin_(text.data()), pos_(text.data()), end_(text.data() + text.size()) {}

  PyValue parse_document() {
    PyValue result;
    skip_space();
    parse_value(result, 0);
    skip_space();
    if (pos_ != end_) fail("expected end of input");
    return result;
  }

 private:
  std::size_t offset() const { return static_cast<std::size_t>(pos_ - begin_); }

  std::string found() const {
    if (pos_ == end_) return "end of input";
    const auto byte = static_cast<unsigned char>(*pos_);
    if (byte >= 0x20 && byte < 0x7F) return std::string("'") + *pos_ + "'";
    static constexpr char kHex[] = "0123456789abcdef";
    return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xF];
  }

  static std::string with_note(std::string message, const std::string& note) {
    if (!note.empty()) message += " (" + note + ")";
    return message;
  }

  /// "expected ',' or ']' at offset 17, found '}'": what the grammar allowed and what was there.
  [[noreturn]] void fail(const std::string& expected, const std::string& note = {}) const {
    throw PyLiteralError(offset(), with_note(expected + " at offset " + std::to_string(offset()) +
                                                 ", found " + found(),
                                             note));
  }

  /// For a token that is well formed but not allowed, such as an int beyond 64 bits.
  [[noreturn]] void fail_at(const char* where, const std::string& problem) const {
    const auto at = static_cast<std::size_t>(where - begin_);
    throw PyLiteralError(at, problem + " at offset " + std::to_string(at));
  }

  std::string offset_of(const char* where) const { return std::to_string(where - begin_); }

  void skip_space() {
    while (pos_ != end_ && is_space(*pos_)) ++pos_;
  }

  bool at_keyword(std::string_view word) const {
    const auto left = static_cast<std::size_t>(end_ - pos_);
    if (left < word.size() || std::memcmp(pos_, word.data(), word.size()) != 0) return false;
    return left == word.size() || !is_identifier_byte(pos_[word.size()]);
  }

  void parse_value(PyValue& out, int depth) {
    const char c = pos_ != end_ ? *pos_ : '\0';
    switch (c) {
      case '\'':
      case '"':
        out.kind = PyValue::Kind::kString;
        parse_string(out.text);
        return;
      case '[':
        parse_list(out, depth + 1);
        return;
      case '{':
        parse_dict(out, depth + 1);
        return;
      case '(':
        parse_tuple(out, depth + 1);
        return;
      case 'N':
        if (at_keyword("None")) {
          pos_ += 4;
          out.kind = PyValue::Kind::kNone;
          return;
        }
        break;
      case 'T':
        if (at_keyword("True")) {
          pos_ += 4;
          out.kind = PyValue::Kind::kBool;
          out.boolean = true;
          return;
        }
        break;
      case 'F':
        if (at_keyword("False")) {
          pos_ += 5;
          out.kind = PyValue::Kind::kBool;
          out.boolean = false;
          return;
        }
        break;
      default:
        if (is_digit(c) || c == '.' || c == '-' || c == '+') {
          parse_number(out);
          return;
        }
        break;
    }
    fail("expected a value (string, number, None, True, False, list, tuple or dict)");
  }

  /// Opens a container: checks the depth and skips the bracket and the space after it.
  void enter(int depth) {
    if (depth > kMaxDepth) {
      fail_at(pos_, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    ++pos_;
    skip_space();
  }

  // Python allows one trailing comma: "[1, 2,]". After a comma, true means the closer follows.
  bool comma_then_close(char close) {
    ++pos_;
    skip_space();
    if (pos_ != end_ && *pos_ == close) {
      ++pos_;
      return true;
    }
    return false;
  }

  /// After an element: true when the container closes, false when another element follows.
  bool element_end(char close, const char* expected) {
    skip_space();
    if (pos_ != end_ && *pos_ == ',') return comma_then_close(close);
    if (pos_ != end_ && *pos_ == close) {
      ++pos_;
      return true;
    }
    fail(expected);
  }

  // emplace_back() would value-initialize, zero-filling each element before constructing it;
  // moving from a blank value (which stays blank) costs a few stores instead.
  PyValue& append_blank(std::vector<PyValue>& items) {
    items.push_back(std::move(blank_));
    return items.back();
  }

  // Siblings tend to share a shape (every cast entry has the same 8 keys), so a container
  // reserves the size of the last one closed at its depth: one allocation instead of three.
  // Counting the elements ahead was tried: scanning every byte once more cost more than growing.
  enum HintKind { kSequence, kMapping };

  void reserve_like_sibling(HintKind hint_kind, int depth, auto& elements) {
    const std::uint32_t hint = depth < kHintedDepths ? size_hints_[hint_kind][depth] : 0;
    elements.reserve(hint != 0 ? hint : kFirstReserve);
  }

  void remember_size(HintKind hint_kind, int depth, std::size_t size) {
    if (depth < kHintedDepths) {
      size_hints_[hint_kind][depth] = static_cast<std::uint32_t>(size < kMaxHint ? size : kMaxHint);
    }
  }

  void parse_items(std::vector<PyValue>& items, char close, const char* expected, int depth) {
    for (;;) {
      parse_value(append_blank(items), depth);
      if (element_end(close, expected)) return;
    }
  }

  void parse_list(PyValue& out, int depth) {
    enter(depth);
    out.kind = PyValue::Kind::kList;
    if (pos_ != end_ && *pos_ == ']') {
      ++pos_;
      return;
    }
    reserve_like_sibling(kSequence, depth, out.items);
    parse_items(out.items, ']', "expected ',' or ']'", depth);
    remember_size(kSequence, depth, out.items.size());
  }

  // "()" is the empty tuple and "(x,)" a tuple of one, but "(x)" is only x in parentheses.
  void parse_tuple(PyValue& out, int depth) {
    enter(depth);
    if (pos_ != end_ && *pos_ == ')') {
      ++pos_;
      out.kind = PyValue::Kind::kTuple;
      return;
    }
    PyValue first;
    parse_value(first, depth);
    skip_space();
    if (pos_ != end_ && *pos_ == ')') {
      ++pos_;
      out = std::move(first);
      return;
    }
    if (pos_ == end_ || *pos_ != ',') fail("expected ',' or ')'");
    out.kind = PyValue::Kind::kTuple;
    reserve_like_sibling(kSequence, depth, out.items);
    out.items.push_back(std::move(first));
    if (!comma_then_close(')')) parse_items(out.items, ')', "expected ',' or ')'", depth);
    remember_size(kSequence, depth, out.items.size());
  }

  void parse_dict(PyValue& out, int depth) {
    enter(depth);
    out.kind = PyValue::Kind::kDict;
    if (pos_ != end_ && *pos_ == '}') {
      ++pos_;
      return;
    }
    reserve_like_sibling(kMapping, depth, out.entries);
    for (;;) {
      auto& [key, value] = out.entries.emplace_back(std::move(blank_), std::move(blank_));
      const char* key_start = pos_;
      parse_value(key, depth);
      if (!is_hashable(key)) fail_at(key_start, "unhashable dict key (a list or dict)");
      skip_space();
      if (pos_ == end_ || *pos_ != ':') fail("expected ':'");
      ++pos_;
      skip_space();
      parse_value(value, depth);
      if (element_end('}', "expected ',' or '}'")) break;
    }
    remember_size(kMapping, depth, out.entries.size());
  }

  void parse_string(std::string& out) {
    const char quote = *pos_;
    const char* open = pos_;
    const std::uint8_t stop = quote == '\'' ? 1 : 2;
    ++pos_;
    for (;;) {
      const char* run = pos_;
      pos_ = find_string_stop(pos_, end_, quote, stop);
      out.append(run, pos_);
      if (pos_ == end_ || *pos_ == '\n' || *pos_ == '\r') {
        fail(std::string("expected ") + quote,
             "to close the string opened at offset " + offset_of(open));
      }
      if (*pos_ == quote) {
        ++pos_;
        return;
      }
      parse_escape(out);
    }
  }

  std::uint32_t hex_digits(const char* escape, int count, const char* name) {
    std::uint32_t value = 0;
    for (int i = 0; i < count; ++i) {
      const int digit = pos_ != end_ ? hex_value(*pos_) : -1;
      if (digit < 0) {
        fail("expected a hex digit", std::string(name) + " escape at offset " + offset_of(escape) +
                                         " needs " + std::to_string(count) + " hex digits");
      }
      value = value * 16 + static_cast<std::uint32_t>(digit);
      ++pos_;
    }
    return value;
  }

  // The escapes of a Python str literal; an unknown one such as \q keeps its backslash.
  void parse_escape(std::string& out) {
    const char* escape = pos_;
    ++pos_;
    if (pos_ == end_) return;  // the caller reports the unterminated string
    const char c = *pos_++;
    switch (c) {
      case '\n':
        return;
      case '\r':
        if (pos_ != end_ && *pos_ == '\n') ++pos_;
        return;
      case '\\':
      case '\'':
      case '"':
        out.push_back(c);
        return;
      case 'a':
        out.push_back('\a');
        return;
      case 'b':
        out.push_back('\b');
        return;
      case 'f':
        out.push_back('\f');
        return;
      case 'n':
        out.push_back('\n');
        return;
      case 'r':
        out.push_back('\r');
        return;
      case 't':
        out.push_back('\t');
        return;
      case 'v':
        out.push_back('\v');
        return;
      case 'x':
        append_utf8(out, hex_digits(escape, 2, "\\xXX"));
        return;
      case 'u':
        append_utf8(out, hex_digits(escape, 4, "\\uXXXX"));
        return;
      case 'U': {
        const std::uint32_t code_point = hex_digits(escape, 8, "\\UXXXXXXXX");
        if (code_point > 0x10FFFF) fail_at(escape, "\\U escape beyond U+10FFFF");
        append_utf8(out, code_point);
        return;
      }
      case 'N':
        fail_at(escape, "unsupported \\N{...} named escape");
      default:
        break;
    }
    if (is_octal(c)) {
      std::uint32_t value = static_cast<std::uint32_t>(c - '0');
      for (int i = 0; i < 2 && pos_ != end_ && is_octal(*pos_); ++i) {
        value = value * 8 + static_cast<std::uint32_t>(*pos_++ - '0');
      }
      append_utf8(out, value);
      return;
    }
    out.push_back('\\');
    pos_ = escape + 1;
  }

  void parse_number(PyValue& out) {
    const char* start = pos_;
    bool negative = false;
    if (*pos_ == '-' || *pos_ == '+') {
      negative = *pos_ == '-';
      ++pos_;
      skip_space();
    }
    const char* digits = pos_;
    while (pos_ != end_ && is_digit(*pos_)) ++pos_;
    const char* int_end = pos_;
    bool is_float = false;
    if (pos_ != end_ && *pos_ == '.') {
      is_float = true;
      ++pos_;
      while (pos_ != end_ && is_digit(*pos_)) ++pos_;
    }
    const std::size_t digit_count = static_cast<std::size_t>(pos_ - digits) - (is_float ? 1 : 0);
    if (digit_count == 0) {
      pos_ = digits;
      fail(start == digits ? "expected a digit" : "expected a number after the sign");
    }
    std::int64_t exponent = 0;
    if (pos_ != end_ && (*pos_ == 'e' || *pos_ == 'E')) {
      is_float = true;
      ++pos_;
      bool exponent_negative = false;
      if (pos_ != end_ && (*pos_ == '-' || *pos_ == '+')) exponent_negative = *pos_++ == '-';
      if (pos_ == end_ || !is_digit(*pos_)) fail("expected a digit in the exponent");
      while (pos_ != end_ && is_digit(*pos_)) {
        if (exponent < 1'000'000) exponent = exponent * 10 + (*pos_ - '0');
        ++pos_;
      }
      if (exponent_negative) exponent = -exponent;
    }
    if (pos_ != end_ && is_identifier_byte(*pos_)) {
      fail("expected the end of the number",
           "hex, underscores and complex numbers are not supported");
    }
    if (is_float) {
      out.kind = PyValue::Kind::kFloat;
      out.real = parse_float(digits, int_end, exponent);
      if (negative) out.real = -out.real;
      return;
    }
    out.kind = PyValue::Kind::kInt;
    out.integer = parse_int(start, digits, int_end, negative);
  }

  std::int64_t parse_int(const char* start, const char* digits, const char* end, bool negative) {
    // Python rejects "012" (an old octal spelling) but allows "000".
    if (*digits == '0' && end - digits > 1) {
      for (const char* p = digits; p != end; ++p) {
        if (*p != '0') fail_at(digits, "int with leading zeros");
      }
      return 0;
    }
    const std::uint64_t limit =
        negative ? std::uint64_t{1} << 63 : std::uint64_t{std::numeric_limits<std::int64_t>::max()};
    std::uint64_t magnitude = 0;
    for (const char* p = digits; p != end; ++p) {
      const auto digit = static_cast<std::uint64_t>(*p - '0');
      if (magnitude > (limit - digit) / 10) {
        fail_at(start, "int outside the 64-bit range");
      }
      magnitude = magnitude * 10 + digit;
    }
    if (!negative) return static_cast<std::int64_t>(magnitude);
    return magnitude == limit ? std::numeric_limits<std::int64_t>::min()
                              : -static_cast<std::int64_t>(magnitude);
  }

  // Like Python, a float too large is inf and one too small is 0.0 rather than an error.
  double parse_float(const char* digits, const char* int_end, std::int64_t exponent) const {
    double value = 0.0;
    const auto result = std::from_chars(digits, pos_, value, std::chars_format::general);
    if (result.ec != std::errc::result_out_of_range) return value;
    std::int64_t magnitude = exponent;
    const char* first = digits;
    while (first != int_end && *first == '0') ++first;
    if (first != int_end) {
      magnitude += int_end - first - 1;
    } else {
      for (const char* p = int_end + 1; p < pos_ && is_digit(*p); ++p) {
        --magnitude;
        if (*p != '0') break;
      }
    }
    return magnitude >= 0 ? std::numeric_limits<double>::infinity() : 0.0;
  }

  const char* begin_;
  const char* pos_;
  const char* end_;
  PyValue blank_;
  std::array<std::array<std::uint32_t, kHintedDepths>, 2> size_hints_{};
};

}  // namespace

// Where this differs from Python's ast.literal_eval, always outside what repr() writes: a lone
// surrogate (\ud800) becomes U+FFFD, since UTF-8 cannot hold it; ints beyond 64 bits, \N{...}
// escapes, sets, bytes, string prefixes, adjacent strings, comments, underscores in numbers,
// a bare top-level tuple (1, 2 without parentheses) and a sign before a parenthesis are errors.
PyValue parse_py_literal(std::string_view text) {
  return Parser(text).parse_document();
}

}  // namespace marquee::format
