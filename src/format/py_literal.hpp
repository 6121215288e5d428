#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace marquee::format {

/// A value of Python's literal syntax as repr() writes it (SPEC 3.3).
struct PyValue {
  // A user-provided, non-constexpr destructor: with an implicit one, clang 14 in C++20 mode
  // needs std::pair<PyValue, PyValue> complete while instantiating it, and fails.
  PyValue() = default;
  PyValue(const PyValue&) = default;
  PyValue(PyValue&&) noexcept = default;
  PyValue& operator=(const PyValue&) = default;
  PyValue& operator=(PyValue&&) noexcept = default;
  ~PyValue() {}

  enum class Kind { kNone, kBool, kInt, kFloat, kString, kList, kTuple, kDict };
  Kind kind = Kind::kNone;
  bool boolean = false;
  std::int64_t integer = 0;    ///< kInt (an int that does not fit in 64 bits fails the parse)
  double real = 0.0;           ///< kFloat
  std::string text;            ///< kString, UTF-8
  std::vector<PyValue> items;  ///< kList, kTuple
  std::vector<std::pair<PyValue, PyValue>> entries;  ///< kDict, in source order

  /// For a dict: the value of the last entry whose key is the string `key`, or nullptr.
  const PyValue* find(std::string_view key) const;
  bool is_none() const { return kind == Kind::kNone; }
};

/// A parse failure: the byte offset into the text and what was expected there.
class PyLiteralError : public std::runtime_error {
 public:
  PyLiteralError(std::size_t offset, const std::string& message)
      : std::runtime_error(message), offset_(offset) {}
  std::size_t offset() const { return offset_; }

 private:
  std::size_t offset_;
};

/// Parses one literal; surrounding whitespace is allowed, trailing text is an error.
PyValue parse_py_literal(std::string_view text);

}  // namespace marquee::format
