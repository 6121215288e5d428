#include "dataset/record_rules.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "common/error.hpp"
#include "format/py_literal.hpp"
#include "format/utf8.hpp"

namespace marquee::dataset {
namespace {

using format::PyValue;

enum Column : int {
  kAdult,
  kCollection,
  kBudget,
  kGenres,
  kHomepage,
  kId,
  kImdbId,
  kOriginalLanguage,
  kOriginalTitle,
  kOverview,
  kPopularity,
  kPosterPath,
  kCompanies,
  kCountries,
  kReleaseDate,
  kRevenue,
  kRuntime,
  kLanguages,
  kStatus,
  kTagline,
  kTitle,
  kVideo,
  kVoteAverage,
  kVoteCount,
  kColumnCount
};

constexpr std::array<std::string_view, kColumnCount> kColumnNames = {"adult",
                                                                     "belongs_to_collection",
                                                                     "budget",
                                                                     "genres",
                                                                     "homepage",
                                                                     "id",
                                                                     "imdb_id",
                                                                     "original_language",
                                                                     "original_title",
                                                                     "overview",
                                                                     "popularity",
                                                                     "poster_path",
                                                                     "production_companies",
                                                                     "production_countries",
                                                                     "release_date",
                                                                     "revenue",
                                                                     "runtime",
                                                                     "spoken_languages",
                                                                     "status",
                                                                     "tagline",
                                                                     "title",
                                                                     "video",
                                                                     "vote_average",
                                                                     "vote_count"};

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

std::optional<std::int64_t> parse_money(std::string_view text) {
  std::size_t point = text.find('.');
  std::string_view digits = text.substr(0, point);
  if (!is_digits(digits)) return std::nullopt;
  if (point != std::string_view::npos) {
    std::string_view zeros = text.substr(point + 1);
    if (zeros.empty() || zeros.find_first_not_of('0') != std::string_view::npos)
      return std::nullopt;
  }
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

MovieRecordRules::MovieRecordRules(const std::vector<std::string_view>& header,
                                   std::string file_label)
    : file_label_(std::move(file_label)), field_count_(header.size()), column_(kColumnCount, -1) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    auto it = std::find(kColumnNames.begin(), kColumnNames.end(), header[i]);
    if (it == kColumnNames.end()) {
      unknown_columns_.emplace_back(header[i]);
    } else if (column_[it - kColumnNames.begin()] < 0) {
      column_[it - kColumnNames.begin()] = static_cast<int>(i);
    }
  }
  if (column_[kId] < 0) {
    throw Error(ExitCode::kBadData,
                fmt::format("{}: line 1: the header has no 'id' column (found {} columns: {}); the "
                            "file is not movies_metadata.csv or its header is damaged",
                            file_label_, header.size(), fmt::join(header, ",")));
  }
  for (int c = 0; c < kColumnCount; ++c) {
    if (column_[c] < 0) missing_columns_.emplace_back(kColumnNames[c]);
  }
}

std::variant<MovieRow, RowError> MovieRecordRules::apply(const format::CsvRecord& record,
                                                         WarningTally& warnings) const {
  std::vector<Warning> pending;
  auto reject = [&](RejectReason reason, std::string detail) {
    RowError e{reason, record.line, std::move(detail), {}};
    format::append_utf8_replacing(record.raw, e.raw);
    return e;
  };
  if (record.fields.size() != field_count_) {
    return reject(RejectReason::kFieldCount,
                  fmt::format("expected {} fields as in the header, found {}", field_count_,
                              record.fields.size()));
  }

  // Fields with invalid UTF-8 are replaced by sanitized copies; one warning per record.
  std::array<std::string_view, kColumnCount> f{};
  std::array<std::string, kColumnCount> repaired;
  bool utf8_replaced = false;
  for (int c = 0; c < kColumnCount; ++c) {
    if (column_[c] < 0) continue;
    std::string_view v = record.fields[static_cast<std::size_t>(column_[c])];
    if (!format::is_valid_utf8(v)) {
      format::append_utf8_replacing(v, repaired[c]);
      v = repaired[c];
      utf8_replaced = true;
    }
    f[c] = v;
  }
  if (utf8_replaced) {
    pending.push_back({WarningKind::kInvalidUtf8, record.line, "invalid UTF-8 replaced by U+FFFD"});
  }

  MovieRow row;
  row.line = record.line;
  std::string_view id = f[kId];
  auto [id_end, id_ec] = std::from_chars(id.data(), id.data() + id.size(), row.id);
  if (!is_digits(id) || id_ec != std::errc() || id_end != id.data() + id.size() || row.id <= 0) {
    return reject(RejectReason::kBadId, fmt::format("id '{}' is not a positive integer", id));
  }

  bool ok = true;
  row.adult = parse_bool(f[kAdult], ok);
  if (!ok)
    return reject(RejectReason::kBadBool,
                  fmt::format("adult '{}' is not True or False", f[kAdult]));
  row.video = parse_bool(f[kVideo], ok);
  if (!ok)
    return reject(RejectReason::kBadBool,
                  fmt::format("video '{}' is not True or False", f[kVideo]));

  for (int c : {kBudget, kRevenue}) {
    if (f[c].empty()) continue;
    auto money = parse_money(f[c]);
    if (!money) {
      return reject(RejectReason::kBadNumber,
                    fmt::format("{} '{}' is not a non-negative integer", kColumnNames[c], f[c]));
    }
    if (*money != 0) (c == kBudget ? row.budget : row.revenue) = *money;
  }
  for (int c : {kPopularity, kVoteAverage, kVoteCount, kRuntime}) {
    if (!f[c].empty() && !is_number(f[c])) {
      return reject(RejectReason::kBadNumber,
                    fmt::format("{} '{}' is not a number", kColumnNames[c], f[c]));
    }
  }
  if (!f[kPopularity].empty()) {
    bool rounded = false;
    row.popularity_micros = parse_micros(f[kPopularity], rounded);
    if (!row.popularity_micros) {
      return reject(RejectReason::kBadNumber,
                    fmt::format("popularity '{}' is out of range", f[kPopularity]));
    }
    if (rounded) {
      pending.push_back({WarningKind::kPopularityRounded, record.line,
                         fmt::format("popularity '{}' rounded to six decimals", f[kPopularity])});
    }
  }
  auto to_double = [&](int c) -> std::optional<double> {
    if (f[c].empty()) return std::nullopt;
    double d = 0;
    std::string_view s = f[c];
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    std::from_chars(s.data(), s.data() + s.size(), d);
    return d;
  };
  row.runtime = to_double(kRuntime);
  row.vote_average = to_double(kVoteAverage);
  row.vote_count = to_double(kVoteCount);

  ParsedLiterals lit;
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
    if (f[c].empty()) continue;
    try {
      *out = format::parse_py_literal(f[c]);
    } catch (const format::PyLiteralError& e) {
      return reject(RejectReason::kBadLiteral,
                    fmt::format("{}: {} (at byte {})", kColumnNames[c], e.what(), e.offset()));
    }
    if (list && !is_sequence(**out)) {
      return reject(RejectReason::kBadLiteral, fmt::format("{}: expected a list", kColumnNames[c]));
    }
    if (!list && (*out)->kind != PyValue::Kind::kDict && !(*out)->is_none()) {
      return reject(RejectReason::kBadLiteral,
                    fmt::format("{}: expected a dict or None", kColumnNames[c]));
    }
  }

  // The record is accepted from here on: what is left can only NULL values or drop items.
  row.imdb_id = text_or_null(f[kImdbId]);
  row.title = text_or_null(f[kTitle]);
  row.original_title = text_or_null(f[kOriginalTitle]);
  row.original_language = text_or_null(f[kOriginalLanguage]);
  row.overview = text_or_null(f[kOverview]);
  row.tagline = text_or_null(f[kTagline]);
  row.homepage = text_or_null(f[kHomepage]);
  row.poster_path = text_or_null(f[kPosterPath]);
  row.status = text_or_null(f[kStatus]);

  if (!f[kReleaseDate].empty()) {
    if (auto year = parse_date_year(f[kReleaseDate])) {
      row.release_date = std::string(f[kReleaseDate]);
      row.release_year = *year;
    } else {
      pending.push_back({WarningKind::kBadReleaseDate, record.line,
                         fmt::format("release_date '{}' is not a YYYY-MM-DD date; stored as NULL",
                                     f[kReleaseDate])});
    }
  }

  if (lit.collection && lit.collection->kind == PyValue::Kind::kDict) {
    const PyValue* cid = lit.collection->find("id");
    if (cid != nullptr && cid->kind == PyValue::Kind::kInt) {
      row.collection = Collection{cid->integer, optional_string(lit.collection->find("name")),
                                  optional_string(lit.collection->find("poster_path")),
                                  optional_string(lit.collection->find("backdrop_path"))};
    } else {
      pending.push_back({WarningKind::kBadCollection, record.line,
                         "belongs_to_collection has no integer 'id'; stored as NULL"});
    }
  }

  auto named_items = [&](const std::optional<PyValue>& list, std::vector<NamedItem>& out,
                         WarningKind kind, std::string_view column) {
    if (!list) return;
    for (const PyValue& item : list->items) {
      const PyValue* iid = item.kind == PyValue::Kind::kDict ? item.find("id") : nullptr;
      const std::string* name =
          item.kind == PyValue::Kind::kDict ? string_of(item.find("name")) : nullptr;
      if (iid == nullptr || iid->kind != PyValue::Kind::kInt || name == nullptr) {
        pending.push_back({kind, record.line,
                           fmt::format("{}: an item without an integer 'id' and a string 'name' "
                                       "was dropped",
                                       column)});
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
  };
  named_items(lit.genres, row.genres, WarningKind::kBadGenreItem, "genres");
  named_items(lit.companies, row.companies, WarningKind::kBadCompanyItem, "production_companies");

  auto coded_items = [&](const std::optional<PyValue>& list, std::vector<CodedItem>& out,
                         std::string_view key, WarningKind kind, std::string_view column) {
    if (!list) return;
    for (const PyValue& item : list->items) {
      const std::string* code =
          item.kind == PyValue::Kind::kDict ? string_of(item.find(key)) : nullptr;
      const std::string* name =
          item.kind == PyValue::Kind::kDict ? string_of(item.find("name")) : nullptr;
      if (code == nullptr || code->empty()) {
        pending.push_back(
            {kind, record.line,
             fmt::format("{}: an item without a string '{}' was dropped", column, key)});
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
  };
  coded_items(lit.countries, row.countries, "iso_3166_1", WarningKind::kBadCountryItem,
              "production_countries");
  coded_items(lit.languages, row.languages, "iso_639_1", WarningKind::kBadLanguageItem,
              "spoken_languages");

  for (auto& w : pending) warnings.add(w.kind, w.line, std::move(w.detail));
  return row;
}

}  // namespace marquee::dataset
