#include "gen/text.hpp"

#include <charconv>

#include <fmt/format.h>

#include "gen/random.hpp"

namespace marquee::gen {

void append_uint(std::string& out, std::uint64_t value) {
  char buf[24];
  auto result = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, result.ptr);
}

void append_padded(std::string& out, std::uint64_t value, int width) {
  char buf[24];
  auto result = std::to_chars(buf, buf + sizeof buf, value);
  for (auto digits = result.ptr - buf; digits < width; ++digits) {
    out += '0';
  }
  out.append(buf, result.ptr);
}

void append_py_str(std::string& out, std::string_view text) {
  bool single = text.find('\'') != std::string_view::npos;
  bool dbl = text.find('"') != std::string_view::npos;
  char quote = single && !dbl ? '"' : '\'';
  out += quote;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0xad) {
      out += "\\xad";
      ++i;
    } else if (c == 0xe2 && i + 2 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0x80 &&
               static_cast<unsigned char>(text[i + 2]) >= 0x8b &&
               static_cast<unsigned char>(text[i + 2]) <= 0x8d) {
      out += fmt::format("\\u{:04x}", 0x2000 + (static_cast<unsigned char>(text[i + 2]) - 0x80));
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
}

void append_py_micros(std::string& out, std::uint64_t micros) {
  if (micros > 0 && micros < 100) {
    out += static_cast<char>('0' + (micros >= 10 ? micros / 10 : micros));
    if (micros >= 10 && micros % 10 != 0) {
      out += '.';
      out += static_cast<char>('0' + micros % 10);
    }
    out += micros >= 10 ? "e-05" : "e-06";
    return;
  }
  append_uint(out, micros / 1000000);
  out += '.';
  std::uint64_t fraction = micros % 1000000;
  if (fraction == 0) {
    out += '0';
    return;
  }
  char digits[6];
  for (int k = 5; k >= 0; --k) {
    digits[k] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int len = 6;
  while (digits[len - 1] == '0') {
    --len;
  }
  out.append(digits, static_cast<std::size_t>(len));
}

void append_image_path(std::string& out, std::uint64_t key) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  Rng rng(key);
  out += '/';
  for (int k = 0; k < 27; ++k) {
    out += kAlphabet[rng.below(kAlphabet.size())];
  }
  out += ".jpg";
}

void append_py_image_path(std::string& out, std::uint64_t key, bool none) {
  if (none) {
    out += "None";
    return;
  }
  out += '\'';
  append_image_path(out, key);
  out += '\'';
}

std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) {
    out += part;
  }
  return out;
}

void capitalize_ascii(std::string& text, std::size_t at) {
  if (at < text.size() && text[at] >= 'a' && text[at] <= 'z') {
    text[at] = static_cast<char>(text[at] - 'a' + 'A');
  }
}

}  // namespace marquee::gen
