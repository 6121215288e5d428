#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "store/postgres_store.hpp"

namespace marquee::store {
namespace {

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

/// Where the quoted literal or identifier starting at `i` ends (just past its closing quote).
std::size_t quoted_end(std::string_view sql, std::size_t i) {
  char quote = sql[i];
  bool backslashes = quote == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                     (i < 2 || !ident_char(sql[i - 2]));
  std::size_t j = i + 1;
  while (j < sql.size()) {
    if (backslashes && sql[j] == '\\') {
      j += 2;
    } else if (sql[j] == quote) {
      if (j + 1 < sql.size() && sql[j + 1] == quote) {
        j += 2;  // a doubled quote inside the literal
      } else {
        return j + 1;
      }
    } else {
      ++j;
    }
  }
  return sql.size();
}

/// Where the block comment starting at `i` ends; PostgreSQL block comments nest.
std::size_t block_comment_end(std::string_view sql, std::size_t i) {
  std::size_t j = i + 2;
  int depth = 1;
  while (j < sql.size() && depth > 0) {
    if (sql.compare(j, 2, "/*") == 0) {
      ++depth;
      j += 2;
    } else if (sql.compare(j, 2, "*/") == 0) {
      --depth;
      j += 2;
    } else {
      ++j;
    }
  }
  return std::min(j, sql.size());
}

/// Just past the first `end` at or after `from`, or the end of the text.
std::size_t past(std::string_view sql, std::size_t from, std::string_view end) {
  std::size_t at = sql.find(end, from);
  return at == std::string_view::npos ? sql.size() : at + end.size();
}

/// The end of a dollar-quoted string ($$…$$ or $tag$…$tag$) starting at `i`, or 0 when the `$`
/// starts none ($1 is a parameter).
std::size_t dollar_quoted_end(std::string_view sql, std::size_t i) {
  if (i > 0 && ident_char(sql[i - 1])) return 0;
  std::size_t j = i + 1;
  while (j < sql.size() && ident_char(sql[j]) && sql[j] != '$') ++j;
  bool tag_ok = j < sql.size() && sql[j] == '$' &&
                (j == i + 1 || std::isdigit(static_cast<unsigned char>(sql[i + 1])) == 0);
  if (!tag_ok) return 0;
  return past(sql, j + 1, sql.substr(i, j + 1 - i));
}

/// Where the text that `?` cannot occur in as a placeholder, starting at `i`, ends; `i` itself
/// when none starts there.
std::size_t skipped_end(std::string_view sql, std::size_t i) {
  char c = sql[i];
  bool two = i + 1 < sql.size();
  if (c == '\'' || c == '"') return quoted_end(sql, i);
  if (c == '-' && two && sql[i + 1] == '-') return past(sql, i, "\n");
  if (c == '/' && two && sql[i + 1] == '*') return block_comment_end(sql, i);
  if (c == '$') {
    if (std::size_t end = dollar_quoted_end(sql, i); end != 0) return end;
  }
  return i;
}

}  // namespace

std::string to_postgres_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 0;
  std::size_t i = 0;
  while (i < sql.size()) {
    if (sql[i] == '?') {
      out += fmt::format("${}", ++next);
      ++i;
    } else if (std::size_t end = skipped_end(sql, i); end != i) {
      out.append(sql.substr(i, end - i));
      i = end;
    } else {
      out += sql[i];
      ++i;
    }
  }
  return out;
}

}  // namespace marquee::store
