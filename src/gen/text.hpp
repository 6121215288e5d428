#pragma once

// The text of the fields: numbers as pandas prints them, and Python's repr() of the values inside
// the literal columns (the lists and dicts that pandas wrote with str()).

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace marquee::gen {

void append_uint(std::string& out, std::uint64_t value);
/// `value` with leading zeros up to `width` digits ("0114709" for IMDb numbers).
void append_padded(std::string& out, std::uint64_t value, int width);
/// Python's repr() of a str: single quotes, or double quotes when the text holds a single quote
/// and no double quote; characters Python does not print (controls, U+00AD, U+200B..U+200D)
/// escaped. The generator only emits these non-printable code points, so the list is complete
/// for its own text.
void append_py_str(std::string& out, std::string_view text);
/// Python's repr() of a float that has at most six decimals, from its value in millionths:
/// "21.946943", "81.0", "0.000308", and scientific below 1e-4 ("1.7e-05", "5e-06").
void append_py_micros(std::string& out, std::uint64_t micros);
/// A TMDB image path: '/' + 27 base-62 characters + ".jpg".
void append_image_path(std::string& out, std::uint64_t key);
/// An image path as a quoted Python str, or None.
void append_py_image_path(std::string& out, std::uint64_t key, bool none);
/// Concatenates in order. Braced lists are evaluated left to right, unlike the operands of a
/// chain of operator+, so calls to an Rng inside them happen in a fixed order.
std::string cat(std::initializer_list<std::string_view> parts);
void capitalize_ascii(std::string& text, std::size_t at);

/// Insertion sort for the handful of items of one list (std::sort on a std::array of a few
/// items trips GCC 12's -Warray-bounds).
template <typename T, typename Less>
void sort_small(T* first, T* last, Less less) {
  for (T* i = first; i != last; ++i) {
    for (T* j = i; j != first && less(*j, *(j - 1)); --j) {
      std::swap(*j, *(j - 1));
    }
  }
}

}  // namespace marquee::gen
