// libFuzzer target for parse_py_literal (built and run by bench/fuzz.sh).
// Beyond "no crash, no sanitizer report", it checks two properties on every input:
// an error's offset lies within the input, and a parsed value written back as a literal
// (the way repr() would) parses to the same value.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "format/py_literal.hpp"

namespace {

using marquee::format::parse_py_literal;
using marquee::format::PyLiteralError;
using marquee::format::PyValue;

void write_literal(const PyValue& value, std::string& out);

void write_string(const std::string& text, std::string& out) {
  out += '\'';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\'' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7F) {
      // Bytes from 0x80 up stay raw: a \x escape would mean a code point, not a byte.
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += c;
    }
  }
  out += '\'';
}

void write_float(double real, std::string& out) {
  if (std::isinf(real)) {
    out += real < 0 ? "-1e999" : "1e999";
    return;
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", real);
  out += buffer;
  if (std::string_view(buffer).find_first_of(".e") == std::string_view::npos) out += ".0";
}

void write_items(const PyValue& value, char open, char close, std::string& out) {
  out += open;
  for (const PyValue& item : value.items) {
    write_literal(item, out);
    out += ", ";
  }
  out += close;
}

void write_literal(const PyValue& value, std::string& out) {
  switch (value.kind) {
    case PyValue::Kind::kNone:
      out += "None";
      break;
    case PyValue::Kind::kBool:
      out += value.boolean ? "True" : "False";
      break;
    case PyValue::Kind::kInt:
      out += std::to_string(value.integer);
      break;
    case PyValue::Kind::kFloat:
      write_float(value.real, out);
      break;
    case PyValue::Kind::kString:
      write_string(value.text, out);
      break;
    case PyValue::Kind::kList:
      write_items(value, '[', ']', out);
      break;
    case PyValue::Kind::kTuple:
      // A trailing comma keeps a tuple of one a tuple.
      write_items(value, '(', ')', out);
      break;
    case PyValue::Kind::kDict:
      out += '{';
      for (const auto& [key, item] : value.entries) {
        write_literal(key, out);
        out += ": ";
        write_literal(item, out);
        out += ", ";
      }
      out += '}';
      break;
  }
}

bool same(const PyValue& a, const PyValue& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case PyValue::Kind::kNone:
      return true;
    case PyValue::Kind::kBool:
      return a.boolean == b.boolean;
    case PyValue::Kind::kInt:
      return a.integer == b.integer;
    case PyValue::Kind::kFloat:
      return a.real == b.real && std::signbit(a.real) == std::signbit(b.real);
    case PyValue::Kind::kString:
      return a.text == b.text;
    case PyValue::Kind::kList:
    case PyValue::Kind::kTuple:
      if (a.items.size() != b.items.size()) return false;
      for (std::size_t i = 0; i < a.items.size(); ++i) {
        if (!same(a.items[i], b.items[i])) return false;
      }
      return true;
    case PyValue::Kind::kDict:
      if (a.entries.size() != b.entries.size()) return false;
      for (std::size_t i = 0; i < a.entries.size(); ++i) {
        if (!same(a.entries[i].first, b.entries[i].first) ||
            !same(a.entries[i].second, b.entries[i].second)) {
          return false;
        }
      }
      return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  PyValue value;
  try {
    value = parse_py_literal(text);
  } catch (const PyLiteralError& error) {
    if (error.offset() > size) {
      std::fprintf(stderr, "error offset %zu beyond input of %zu bytes: %s\n", error.offset(), size,
                   error.what());
      std::abort();
    }
    return 0;
  }
  std::string written;
  write_literal(value, written);
  try {
    if (!same(value, parse_py_literal(written))) {
      std::fprintf(stderr, "round trip changed the value: %s\n", written.c_str());
      std::abort();
    }
  } catch (const PyLiteralError& error) {
    std::fprintf(stderr, "round trip failed to parse: %s\n%s\n", error.what(), written.c_str());
    std::abort();
  }
  return 0;
}
