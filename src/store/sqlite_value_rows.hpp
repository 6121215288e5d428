#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>

#include "store/sqlite_connection.hpp"
#include "store/stored_text.hpp"

namespace marquee::store {

/// `value_rows(?)`: a table-valued function (sqlite_rows_module.hpp) over rows the caller
/// produces on demand, with the columns c0 to c31. `INSERT INTO t (…) SELECT c0, c1, … FROM
/// value_rows(?1)` writes a chunk of rows with one statement step instead of a step and a bind
/// per value for each row; with `WHERE true ON CONFLICT … DO UPDATE` the rows upsert in their
/// order, so the last row of a key is the one left, as one statement per row leaves it.
struct ValueRowsSource {
  static constexpr const char* kPointerType = "marquee.value_rows";
  static constexpr const char* kDeclaration =
      "CREATE TABLE x(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, "
      "c17, c18, c19, c20, c21, c22, c23, c24, c25, c26, c27, c28, c29, c30, c31, source HIDDEN)";
  static constexpr int kColumns = 32;

  /// `rows` rows, column `column` of row `row` set on `out` by `set` (sqlite3_result_int64,
  /// _text with SQLITE_STATIC, _null…); what `context` points to must outlive the step.
  std::size_t rows = 0;
  const void* context = nullptr;
  void (*set)(const void* context, std::size_t row, int column, sqlite3_context* out) = nullptr;

  std::size_t size() const { return rows; }
  void result(std::size_t row, int column, sqlite3_context* out) const {
    set(context, row, column, out);
  }
};

inline constexpr const char* kValueRowsPointer = ValueRowsSource::kPointerType;

/// "c0, c1, …" up to c<count - 1>: the first `count` columns of value_rows, for a SELECT.
inline std::string value_rows_columns(std::size_t count) {
  std::string columns;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) columns += ", ";
    columns += 'c';
    columns += std::to_string(i);
  }
  return columns;
}

/// Sets `text` as Statement::bind binds it: as stored_text keeps it, copied only when it needs
/// cleaning, else read in place (it must outlive the step).
inline void result_stored_text(sqlite3_context* out, std::string_view text) {
  if (is_stored_as_is(text)) {
    sqlite3_result_text(out, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  } else {
    const std::string stored = stored_text(text);
    sqlite3_result_text(out, stored.data(), static_cast<int>(stored.size()), SQLITE_TRANSIENT);
  }
}

/// Sets a value as Statement::bind binds it; nullopt is NULL.
inline void result_value(sqlite3_context* out, const std::optional<std::string>& v) {
  v ? result_stored_text(out, *v) : sqlite3_result_null(out);
}
inline void result_value(sqlite3_context* out, const std::optional<std::int64_t>& v) {
  v ? sqlite3_result_int64(out, *v) : sqlite3_result_null(out);
}
inline void result_value(sqlite3_context* out, const std::optional<int>& v) {
  v ? sqlite3_result_int64(out, *v) : sqlite3_result_null(out);
}
inline void result_value(sqlite3_context* out, const std::optional<bool>& v) {
  v ? sqlite3_result_int64(out, *v ? 1 : 0) : sqlite3_result_null(out);
}
inline void result_value(sqlite3_context* out, const std::optional<double>& v) {
  v ? sqlite3_result_double(out, *v) : sqlite3_result_null(out);
}

/// Runs `statement` with value_rows(?1) over `rows` (its other parameters bound before), column
/// `column` of a row set by `set(out, row, column)`. Does nothing for no rows.
template <typename Row, typename Set>
void run_value_rows(Statement& statement, const std::vector<Row>& rows, const char* what,
                    const Set& set) {
  if (rows.empty()) return;
  struct Context {
    const std::vector<Row>* rows;
    const Set* set;
  } context{&rows, &set};
  const ValueRowsSource source{
      rows.size(), &context, [](const void* c, std::size_t row, int column, sqlite3_context* out) {
        const auto* ctx = static_cast<const Context*>(c);
        (*ctx->set)(out, (*ctx->rows)[row], column);
      }};
  statement.bind_pointer(1, &source, kValueRowsPointer).run(what);
}

}  // namespace marquee::store
