#include "dataset/record_rules.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "common/error.hpp"
#include "dataset/movie_columns.hpp"
#include "format/py_literal.hpp"
#include "format/utf8.hpp"

namespace marquee::dataset {
namespace {

using format::PyValue;

/// The columns the rules parse themselves. Every other text column of kMovieColumns is plain text,
/// taken as it is (empty is NULL), so that a new one needs no edit here.
enum Column : int {
  kAdult,
  kCollection,
  kBudget,
  kGenres,
  kId,
  kPopularity,
  kCompanies,
  kCountries,
  kReleaseDate,
  kRevenue,
  kRuntime,
  kLanguages,
  kVideo,
  kVoteAverage,
  kVoteCount,
  kColumnCount
};

constexpr std::array<std::string_view, kColumnCount> kColumnNames = {"adult",
                                                                     "belongs_to_collection",
                                                                     "budget",
                                                                     "genres",
                                                                     "id",
                                                                     "popularity",
                                                                     "production_companies",
                                                                     "production_countries",
                                                                     "release_date",
                                                                     "revenue",
                                                                     "runtime",
                                                                     "spoken_languages",
                                                                     "video",
                                                                     "vote_average",
                                                                     "vote_count"};

struct PlainTextColumn {
  std::string_view name;
  TextMember member = nullptr;
};

constexpr bool is_plain_text(const MovieColumn& column) {
  return std::holds_alternative<TextMember>(column.field) &&
         std::find(kColumnNames.begin(), kColumnNames.end(), column.name) == kColumnNames.end();
}

constexpr std::size_t kPlainTextCount = static_cast<std::size_t>(
    std::count_if(std::begin(kMovieColumns), std::end(kMovieColumns), is_plain_text));

constexpr std::array<PlainTextColumn, kPlainTextCount> kPlainTextColumns = [] {
  std::array<PlainTextColumn, kPlainTextCount> out{};
  std::size_t n = 0;
  for (const MovieColumn& column : kMovieColumns) {
    if (is_plain_text(column)) out[n++] = {column.name, std::get<TextMember>(column.field)};
  }
  return out;
}();

/// Every column the rules read: theirs (indexed by Column), then the plain text columns.
constexpr std::size_t kKnownColumns = kColumnCount + kPlainTextCount;

constexpr std::array<std::string_view, kKnownColumns> kKnownColumnNames = [] {
  std::array<std::string_view, kKnownColumns> out{};
  std::copy(kColumnNames.begin(), kColumnNames.end(), out.begin());
  for (std::size_t t = 0; t < kPlainTextCount; ++t)
    out[kColumnCount + t] = kPlainTextColumns[t].name;
  return out;
}();

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == y;
         });
}

std::optional<bool> parse_bool(std::string_view s, bool& ok) {
  ok = true;
  if (s.empty()) return std::nullopt;
  if (iequals(s, "true")) return true;
  if (iequals(s, "false")) return false;
  ok = false;
  return std::nullopt;
}

std::optional<std::string> text_or_null(std::string_view s) {
  if (s.empty()) return std::nullopt;
  return std::string(s);
}

const std::string* string_of(const PyValue* v) {
  return v != nullptr && v->kind == PyValue::Kind::kString ? &v->text : nullptr;
}

std::optional<std::string> optional_string(const PyValue* v) {
  const std::string* s = string_of(v);
  if (s == nullptr) return std::nullopt;
  return *s;
}

bool is_sequence(const PyValue& v) {
  return v.kind == PyValue::Kind::kList || v.kind == PyValue::Kind::kTuple;
}

struct ParsedLiterals {
  std::optional<PyValue> collection, genres, companies, countries, languages;
};

}  // namespace

std::string_view to_string(RejectReason reason) {
  switch (reason) {
    case RejectReason::kFieldCount:
      return "field_count";
    case RejectReason::kBadId:
      return "bad_id";
    case RejectReason::kBadBool:
      return "bad_bool";
    case RejectReason::kBadNumber:
      return "bad_number";
    case RejectReason::kBadLiteral:
      return "bad_literal";
  }
  return "unknown";
}

std::string_view to_string(WarningKind kind) {
  switch (kind) {
    case WarningKind::kInvalidUtf8:
      return "invalid_utf8";
    case WarningKind::kBadReleaseDate:
      return "bad_release_date";
    case WarningKind::kBadGenreItem:
      return "bad_genre_item";
    case WarningKind::kBadCompanyItem:
      return "bad_company_item";
    case WarningKind::kPopularityRounded:
      return "popularity_rounded";
    case WarningKind::kBadCountryItem:
      return "bad_country_item";
    case WarningKind::kBadLanguageItem:
      return "bad_language_item";
    case WarningKind::kBadCollection:
      return "bad_collection";
    case WarningKind::kUnknownMovie:
      return "unknown_movie";
    case WarningKind::kDroppedItem:
      return "dropped_item";
  }
  return "unknown";
}

void WarningTally::add(WarningKind kind, std::uint64_t line, std::string detail) {
  auto& n = counts_[static_cast<std::size_t>(kind)];
  if (n < kKeep) examples_.push_back({kind, line, std::move(detail)});
  ++n;
}

std::uint64_t WarningTally::total() const {
  std::uint64_t t = 0;
  for (auto n : counts_) t += n;
  return t;
}

namespace {

/// Bytes of a UTF-8 character from its first byte (1 for a stray continuation byte).
std::size_t utf8_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

/// printable(), telling whether the text was cut.
std::string printable_text(std::string_view text, std::size_t max_bytes, bool& cut) {
  // Each byte of the input gives at least one byte of output, so a few bytes past max_bytes are
  // all that can show; a character split at that boundary is never reached.
  constexpr std::size_t kSlack = 4;
  cut = text.size() > max_bytes + kSlack;
  std::string valid;
  format::append_utf8_replacing(text.substr(0, max_bytes + kSlack), valid);
  std::string out;
  for (std::size_t i = 0; i < valid.size();) {
    const auto c = static_cast<unsigned char>(valid[i]);
    std::size_t length = std::min(utf8_length(c), valid.size() - i);
    std::string escaped;
    if (c == '\0') {
      escaped = "\\0";
    } else if (c == '\r') {
      escaped = "\\r";
    } else if (c == '\n') {
      escaped = "\\n";
    } else if (c == '\t') {
      escaped = "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      escaped = fmt::format("\\x{:02x}", c);
    }
    std::string_view piece = escaped.empty() ? std::string_view(valid).substr(i, length) : escaped;
    if (out.size() + piece.size() > max_bytes) {
      cut = true;
      break;
    }
    out.append(piece);
    i += length;
  }
  if (cut) out += "\u2026";
  return out;
}

/// Digits, optionally a point and zeros only: the shape of budget and revenue (SPEC 3.4).
bool is_money_shaped(std::string_view text) {
  std::size_t point = text.find('.');
  if (!is_digits(text.substr(0, point))) return false;
  if (point == std::string_view::npos) return true;
  std::string_view zeros = text.substr(point + 1);
  return !zeros.empty() && zeros.find_first_not_of('0') == std::string_view::npos;
}

}  // namespace

std::string printable(std::string_view text, std::size_t max_bytes) {
  bool cut = false;
  return printable_text(text, max_bytes, cut);
}

std::string quote_value(std::string_view text) {
  bool cut = false;
  std::string out = "'" + printable_text(text, 100, cut) + "'";
  if (cut) out += fmt::format(" ({} bytes)", text.size());
  return out;
}

std::optional<std::int64_t> parse_money(std::string_view text) {
  if (!is_money_shaped(text)) return std::nullopt;
  std::string_view digits = text.substr(0, text.find('.'));
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

namespace {

/// Splits a decimal number into its significant digits and a power of ten; false if malformed.
bool decompose_number(std::string_view s, bool& negative, std::string& digits,
                      long long& exponent) {
  std::size_t i = 0;
  negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  std::size_t int_start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  std::string_view int_part = s.substr(int_start, i - int_start);
  std::string_view frac_part;
  if (i < s.size() && s[i] == '.') {
    std::size_t frac_start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    frac_part = s.substr(frac_start, i - frac_start);
  }
  if (int_part.empty() && frac_part.empty()) return false;
  long long exp10 = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    std::size_t exp_start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (exp10 < 1'000'000'000) exp10 = exp10 * 10 + (s[i] - '0');
      ++i;
    }
    if (i == exp_start) return false;
    if (exp_negative) exp10 = -exp10;
  }
  if (i != s.size()) return false;
  digits.assign(int_part);
  digits.append(frac_part);
  exponent = exp10 - static_cast<long long>(frac_part.size());
  std::size_t first = digits.find_first_not_of('0');
  digits.erase(0, first == std::string::npos ? digits.size() : first);
  return true;
}

}  // namespace

bool is_number(std::string_view text) {
  bool negative = false;
  std::string digits;
  long long exponent = 0;
  return decompose_number(text, negative, digits, exponent);
}

std::optional<double> parse_real(std::string_view text) {
  bool negative = false;
  std::string digits;
  long long exponent = 0;
  if (!decompose_number(text, negative, digits, exponent)) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);  // from_chars takes no plus sign
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (end != text.data() + text.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // The value is at least 1 when its significant digits reach past the point: too large for a
    // double. Otherwise it is too small for one, and 0 is the nearest value.
    if (static_cast<long long>(digits.size()) + exponent > 0) return std::nullopt;
    return 0.0;
  }
  if (ec != std::errc() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_micros(std::string_view text, bool& rounded) {
  rounded = false;
  bool negative = false;
  std::string digits;
  long long exponent = 0;
  if (!decompose_number(text, negative, digits, exponent)) return std::nullopt;
  if (digits.empty()) return 0;
  long long shift = exponent + 6;  // value in millionths = digits * 10^shift
  std::string kept;
  if (shift >= 0) {
    if (static_cast<long long>(digits.size()) + shift > 18) return std::nullopt;
    kept = digits + std::string(static_cast<std::size_t>(shift), '0');
  } else {
    long long drop = -shift;
    std::size_t keep_len = drop >= static_cast<long long>(digits.size())
                               ? 0
                               : digits.size() - static_cast<std::size_t>(drop);
    kept = digits.substr(0, keep_len);
    // The dropped part as a fraction of one unit: compare with one half, digit by digit.
    std::string dropped = digits.substr(keep_len);
    if (drop > static_cast<long long>(digits.size())) {
      dropped.insert(0, static_cast<std::size_t>(drop) - digits.size(), '0');
    }
    rounded = dropped.find_first_not_of('0') != std::string::npos;
    int cmp = 0;  // dropped vs 0.5
    if (!dropped.empty()) {
      if (dropped[0] > '5') {
        cmp = 1;
      } else if (dropped[0] < '5') {
        cmp = -1;
      } else {
        cmp = dropped.find_first_not_of('0', 1) != std::string::npos ? 1 : 0;
      }
    } else {
      cmp = -1;
    }
    if (kept.size() > 18) return std::nullopt;
    std::int64_t value = 0;
    for (char c : kept) value = value * 10 + (c - '0');
    bool odd = value % 2 != 0;
    if (cmp > 0 || (cmp == 0 && odd)) ++value;
    return negative ? -value : value;
  }
  std::int64_t value = 0;
  for (char c : kept) value = value * 10 + (c - '0');
  return negative ? -value : value;
}

std::optional<int> parse_date_year(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (!is_digits(s.substr(0, 4)) || !is_digits(s.substr(5, 2)) || !is_digits(s.substr(8, 2))) {
    return std::nullopt;
  }
  int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int month = (s[5] - '0') * 10 + (s[6] - '0');
  int day = (s[8] - '0') * 10 + (s[9] - '0');
  if (year < 1 || month < 1 || month > 12 || day < 1) return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max_day = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  if (day > max_day) return std::nullopt;
  return year;
}

namespace {

/// The header's names for a message: each printable and short, and no more than the first few.
std::string header_for_message(const std::vector<std::string_view>& header) {
  constexpr std::size_t kShown = 30;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < header.size() && i < kShown; ++i) {
    names.push_back(printable(header[i], 40));
  }
  std::string out = fmt::format("{}", fmt::join(names, ","));
  if (header.size() > kShown) out += fmt::format(" and {} more", header.size() - kShown);
  return out;
}

/// A line break in a column name. Outside quotes only a bare CR can get there, and a file whose
/// lines all end with a bare CR reads as one header holding every record: say so.
[[noreturn]] void throw_line_break(const std::string& file_label, std::size_t column,
                                   std::string_view name) {
  bool bare_cr = false;
  for (std::size_t at = name.find('\r'); at != std::string_view::npos;
       at = name.find('\r', at + 1)) {
    bare_cr = bare_cr || at + 1 == name.size() || name[at + 1] != '\n';
  }
  throw Error(
      ExitCode::kBadData,
      bare_cr ? fmt::format("{}: line 1: column {} of the header, {}, holds a bare CR: the "
                            "file's lines seem to end with CR only (old Mac line ends), which "
                            "are no line ends in this CSV dialect (SPEC 3.2), so the whole file "
                            "would read as one header and no records — convert its line ends "
                            "to LF (for example with tr '\\r' '\\n') and stage it again",
                            file_label, column, quote_value(name))
              : fmt::format("{}: line 1: column {} of the header, {}, holds a line break; the "
                            "header is damaged — fix it and stage the file again",
                            file_label, column, quote_value(name)));
}

}  // namespace

MovieRecordRules::MovieRecordRules(const std::vector<std::string_view>& header,
                                   std::string file_label)
    : file_label_(std::move(file_label)), field_count_(header.size()), column_(kKnownColumns, -1) {
  std::vector<std::size_t> bad_text;  // 1-based columns whose names hold invalid UTF-8 or a NUL
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i].find_first_of("\r\n") != std::string_view::npos) {
      throw_line_break(file_label_, i + 1, header[i]);
    }
    if (!format::is_valid_utf8(header[i]) || header[i].find('\0') != std::string_view::npos) {
      bad_text.push_back(i + 1);
    }
  }
  std::unordered_map<std::string_view, std::size_t> unknown_at;  // first column of each name
  constexpr std::size_t kRepeatedShown = 30;
  std::size_t repeated_more = 0;
  for (std::size_t i = 0; i < header.size(); ++i) {
    auto it = std::find(kKnownColumnNames.begin(), kKnownColumnNames.end(), header[i]);
    if (it != kKnownColumnNames.end()) {
      int& column = column_[static_cast<std::size_t>(it - kKnownColumnNames.begin())];
      if (column >= 0) {
        throw Error(ExitCode::kBadData,
                    fmt::format("{}: line 1: column '{}' appears twice (columns {} and {}); "
                                "marquee cannot tell which one holds the data — fix the header",
                                file_label_, *it, column + 1, i + 1));
      }
      column = static_cast<int>(i);
      continue;
    }
    auto [first, added] = unknown_at.try_emplace(header[i], i);
    if (added) {
      unknown_columns_.push_back(printable(header[i]));
    } else if (repeated_unknown_columns_.size() < kRepeatedShown) {
      repeated_unknown_columns_.push_back(
          fmt::format("{} (columns {} and {})", quote_value(header[i]), first->second + 1, i + 1));
    } else {
      ++repeated_more;
    }
  }
  if (repeated_more > 0) {
    repeated_unknown_columns_.push_back(fmt::format("and {} more", repeated_more));
  }
  if (!bad_text.empty()) {
    constexpr std::size_t kShown = 20;
    std::size_t shown = std::min(bad_text.size(), kShown);
    header_warnings_.push_back(
        {WarningKind::kInvalidUtf8, 1,
         fmt::format("header: the names of columns {}{} hold invalid UTF-8 or a NUL byte; shown "
                     "with U+FFFD and \\0",
                     fmt::join(bad_text.begin(),
                               bad_text.begin() + static_cast<std::ptrdiff_t>(shown), ", "),
                     bad_text.size() > shown ? fmt::format(" and {} more", bad_text.size() - shown)
                                             : std::string())});
  }
  if (column_[kId] < 0) {
    throw Error(ExitCode::kBadData,
                fmt::format("{}: line 1: the header has no 'id' column (found {} columns: {}); the "
                            "file is not movies_metadata.csv or its header is damaged",
                            file_label_, header.size(), header_for_message(header)));
  }
  for (std::size_t c = 0; c < kKnownColumns; ++c) {
    if (column_[c] < 0) missing_columns_.emplace_back(kKnownColumnNames[c]);
  }
  std::sort(missing_columns_.begin(), missing_columns_.end());
}

namespace {

/// Why a record is rejected, before its line and text are attached.
struct Rejection {
  RejectReason reason;
  std::string detail;
};

/// One record on its way through the rules: the field of each known column (invalid UTF-8
/// replaced) and the warnings, which count only if the record is accepted.
struct RecordFields {
  std::uint64_t line = 0;
  std::array<std::string_view, kKnownColumns> field{};
  std::array<std::string, kKnownColumns> repaired;
  std::vector<Warning> pending;

  std::string_view operator[](std::size_t column) const { return field[column]; }
  void warn(WarningKind kind, std::string detail) {
    pending.push_back({kind, line, std::move(detail)});
  }
};

/// Picks each known column's field out of the record. Fields with invalid UTF-8 are replaced by
/// sanitized copies; one warning per record.
void gather_fields(const format::CsvRecord& record, const std::vector<int>& column,
                   RecordFields& out) {
  out.line = record.line;
  bool utf8_replaced = false;
  for (std::size_t c = 0; c < kKnownColumns; ++c) {
    if (column[c] < 0) continue;
    std::string_view v = record.fields[static_cast<std::size_t>(column[c])];
    if (!format::is_valid_utf8(v)) {
      format::append_utf8_replacing(v, out.repaired[c]);
      v = out.repaired[c];
      utf8_replaced = true;
    }
    out.field[c] = v;
  }
  if (utf8_replaced) out.warn(WarningKind::kInvalidUtf8, "invalid UTF-8 replaced by U+FFFD");
}

std::optional<Rejection> parse_id(std::string_view id, MovieRow& row) {
  auto [id_end, id_ec] = std::from_chars(id.data(), id.data() + id.size(), row.id);
  if (is_digits(id) && id_ec == std::errc::result_out_of_range) {
    return Rejection{RejectReason::kBadId,
                     fmt::format("id {} is out of range (above {})", quote_value(id),
                                 std::numeric_limits<std::int64_t>::max())};
  }
  if (!is_digits(id) || id_ec != std::errc() || id_end != id.data() + id.size() || row.id <= 0) {
    return Rejection{RejectReason::kBadId,
                     fmt::format("id {} is not a positive integer", quote_value(id))};
  }
  return std::nullopt;
}

std::optional<Rejection> parse_flags(const RecordFields& f, MovieRow& row) {
  bool ok = true;
  row.adult = parse_bool(f[kAdult], ok);
  if (!ok) {
    return Rejection{RejectReason::kBadBool,
                     fmt::format("adult {} is not True or False", quote_value(f[kAdult]))};
  }
  row.video = parse_bool(f[kVideo], ok);
  if (!ok) {
    return Rejection{RejectReason::kBadBool,
                     fmt::format("video {} is not True or False", quote_value(f[kVideo]))};
  }
  return std::nullopt;
}

/// budget and revenue: 0 means unknown (SPEC 3.4), so it stays NULL.
std::optional<Rejection> parse_amounts(const RecordFields& f, MovieRow& row) {
  for (int c : {kBudget, kRevenue}) {
    if (f[c].empty()) continue;
    auto money = parse_money(f[c]);
    if (!money && is_money_shaped(f[c])) {
      return Rejection{RejectReason::kBadNumber,
                       fmt::format("{} {} is out of range (above {})", kColumnNames[c],
                                   quote_value(f[c]), std::numeric_limits<std::int64_t>::max())};
    }
    if (!money) {
      return Rejection{RejectReason::kBadNumber, fmt::format("{} {} is not a non-negative integer",
                                                             kColumnNames[c], quote_value(f[c]))};
    }
    if (*money != 0) (c == kBudget ? row.budget : row.revenue) = *money;
  }
  return std::nullopt;
}

/// popularity, vote_average, vote_count and runtime: numbers or empty. A number out of the
/// range its column stores is bad_number too, as popularity has always been: "1e400" is no
/// runtime, and storing it as 0 (what from_chars leaves behind) would hide it.
std::optional<Rejection> parse_measures(RecordFields& f, MovieRow& row) {
  for (int c : {kPopularity, kVoteAverage, kVoteCount, kRuntime}) {
    if (!f[c].empty() && !is_number(f[c])) {
      return Rejection{RejectReason::kBadNumber,
                       fmt::format("{} {} is not a number", kColumnNames[c], quote_value(f[c]))};
    }
  }
  if (!f[kPopularity].empty()) {
    bool rounded = false;
    row.popularity_micros = parse_micros(f[kPopularity], rounded);
    if (!row.popularity_micros) {
      return Rejection{RejectReason::kBadNumber,
                       fmt::format("popularity {} is out of range", quote_value(f[kPopularity]))};
    }
    if (rounded) {
      f.warn(WarningKind::kPopularityRounded,
             fmt::format("popularity {} rounded to six decimals", quote_value(f[kPopularity])));
    }
  }
  struct RealColumn {
    int column;
    std::optional<double>* out;
  };
  for (auto [c, out] :
       {RealColumn{kRuntime, &row.runtime}, RealColumn{kVoteAverage, &row.vote_average},
        RealColumn{kVoteCount, &row.vote_count}}) {
    if (f[c].empty()) continue;
    *out = parse_real(f[c]);
    if (!*out) {
      return Rejection{RejectReason::kBadNumber,
                       fmt::format("{} {} is out of range", kColumnNames[c], quote_value(f[c]))};
    }
  }
  return std::nullopt;
}

/// One Python-literal column: a list, or (for the collection) a dict or None.
std::optional<Rejection> parse_literal(int column, std::string_view text, bool list,
                                       std::optional<PyValue>& out) {
  if (text.empty()) return std::nullopt;
  try {
    out = format::parse_py_literal(text);
  } catch (const format::PyLiteralError& e) {
    return Rejection{
        RejectReason::kBadLiteral,
        fmt::format("{}: {} (at byte {})", kColumnNames[column], e.what(), e.offset())};
  }
  if (list && !is_sequence(*out)) {
    return Rejection{RejectReason::kBadLiteral,
                     fmt::format("{}: expected a list", kColumnNames[column])};
  }
  if (!list && out->kind != PyValue::Kind::kDict && !out->is_none()) {
    return Rejection{RejectReason::kBadLiteral,
                     fmt::format("{}: expected a dict or None", kColumnNames[column])};
  }
  return std::nullopt;
}

std::optional<Rejection> parse_literals(const RecordFields& f, ParsedLiterals& lit) {
  struct LiteralColumn {
    int column;
    std::optional<PyValue>* out;
    bool list;
  };
  for (auto [c, out, list] :
       {LiteralColumn{kCollection, &lit.collection, false},
        LiteralColumn{kGenres, &lit.genres, true}, LiteralColumn{kCompanies, &lit.companies, true},
        LiteralColumn{kCountries, &lit.countries, true},
        LiteralColumn{kLanguages, &lit.languages, true}}) {
    if (auto rejection = parse_literal(c, f[c], list, *out)) return rejection;
  }
  return std::nullopt;
}

/// The reject rules of SPEC 3.4 in their order; the first that fails rejects the record. The
/// values they parse go into `row` and `lit`.
std::optional<Rejection> apply_reject_rules(RecordFields& f, MovieRow& row, ParsedLiterals& lit) {
  if (auto rejection = parse_id(f[kId], row)) return rejection;
  if (auto rejection = parse_flags(f, row)) return rejection;
  if (auto rejection = parse_amounts(f, row)) return rejection;
  if (auto rejection = parse_measures(f, row)) return rejection;
  return parse_literals(f, lit);
}

void fill_accepted_values(RecordFields& f, MovieRow& row) {
  for (std::size_t t = 0; t < kPlainTextCount; ++t) {
    row.*kPlainTextColumns[t].member = text_or_null(f[kColumnCount + t]);
  }
  if (!f[kReleaseDate].empty()) {
    if (auto year = parse_date_year(f[kReleaseDate])) {
      row.release_date = std::string(f[kReleaseDate]);
      row.release_year = *year;
    } else {
      f.warn(WarningKind::kBadReleaseDate,
             fmt::format("release_date {} is not a YYYY-MM-DD date; stored as NULL",
                         quote_value(f[kReleaseDate])));
    }
  }
}

void fill_collection(const std::optional<PyValue>& collection, RecordFields& f, MovieRow& row) {
  if (!collection || collection->kind != PyValue::Kind::kDict) return;
  const PyValue* cid = collection->find("id");
  if (cid != nullptr && cid->kind == PyValue::Kind::kInt) {
    row.collection = Collection{cid->integer, optional_string(collection->find("name")),
                                optional_string(collection->find("poster_path")),
                                optional_string(collection->find("backdrop_path"))};
  } else {
    f.warn(WarningKind::kBadCollection,
           "belongs_to_collection has no integer 'id'; stored as NULL");
  }
}

/// Items with an integer 'id' and a string 'name' (genres, production_companies).
void fill_named_items(const std::optional<PyValue>& list, std::vector<NamedItem>& out,
                      WarningKind kind, std::string_view column, RecordFields& f) {
  if (!list) return;
  for (const PyValue& item : list->items) {
    const PyValue* iid = item.kind == PyValue::Kind::kDict ? item.find("id") : nullptr;
    const std::string* name =
        item.kind == PyValue::Kind::kDict ? string_of(item.find("name")) : nullptr;
    if (iid == nullptr || iid->kind != PyValue::Kind::kInt || name == nullptr) {
      f.warn(kind,
             fmt::format("{}: an item without an integer 'id' and a string 'name' was dropped",
                         column));
      continue;
    }
    // A repeated id counts once; its last name in the list is the one kept.
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const NamedItem& n) { return n.id == iid->integer; });
    if (same != out.end()) {
      same->name = *name;
    } else {
      out.push_back({iid->integer, *name});
    }
  }
}

/// Items keyed by a string code (production_countries, spoken_languages); the name may be absent.
void fill_coded_items(const std::optional<PyValue>& list, std::vector<CodedItem>& out,
                      std::string_view key, WarningKind kind, std::string_view column,
                      RecordFields& f) {
  if (!list) return;
  for (const PyValue& item : list->items) {
    const std::string* code =
        item.kind == PyValue::Kind::kDict ? string_of(item.find(key)) : nullptr;
    const std::string* name =
        item.kind == PyValue::Kind::kDict ? string_of(item.find("name")) : nullptr;
    if (code == nullptr || code->empty()) {
      f.warn(kind, fmt::format("{}: an item without a string '{}' was dropped", column, key));
      continue;
    }
    auto same =
        std::find_if(out.begin(), out.end(), [&](const CodedItem& n) { return n.code == *code; });
    if (same != out.end()) {
      if (name != nullptr) same->name = *name;
    } else {
      out.push_back({*code, name != nullptr ? *name : std::string()});
    }
  }
}

/// What the literal columns hold beyond their shape: bad items are dropped with a warning.
void fill_literal_items(const ParsedLiterals& lit, RecordFields& f, MovieRow& row) {
  fill_collection(lit.collection, f, row);
  fill_named_items(lit.genres, row.genres, WarningKind::kBadGenreItem, "genres", f);
  fill_named_items(lit.companies, row.companies, WarningKind::kBadCompanyItem,
                   "production_companies", f);
  fill_coded_items(lit.countries, row.countries, "iso_3166_1", WarningKind::kBadCountryItem,
                   "production_countries", f);
  fill_coded_items(lit.languages, row.languages, "iso_639_1", WarningKind::kBadLanguageItem,
                   "spoken_languages", f);
}

RowError rejected(const format::CsvRecord& record, Rejection rejection) {
  RowError e{rejection.reason, record.line, std::move(rejection.detail), {}};
  format::append_utf8_replacing(record.raw, e.raw);
  return e;
}

}  // namespace

std::variant<MovieRow, RowError> MovieRecordRules::apply(const format::CsvRecord& record,
                                                         WarningTally& warnings) const {
  if (record.fields.size() != field_count_) {
    return rejected(record, {RejectReason::kFieldCount,
                             fmt::format("expected {} fields as in the header, found {}",
                                         field_count_, record.fields.size())});
  }
  RecordFields fields;
  gather_fields(record, column_, fields);
  MovieRow row;
  row.line = record.line;
  ParsedLiterals literals;
  if (auto rejection = apply_reject_rules(fields, row, literals)) {
    return rejected(record, std::move(*rejection));
  }
  // The record is accepted from here on: what is left can only NULL values or drop items.
  fill_accepted_values(fields, row);
  fill_literal_items(literals, fields, row);
  for (auto& w : fields.pending) warnings.add(w.kind, w.line, std::move(w.detail));
  return row;
}

}  // namespace marquee::dataset
