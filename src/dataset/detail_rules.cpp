#include "dataset/detail_rules.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include <fmt/format.h>

#include "common/error.hpp"
#include "format/py_literal.hpp"
#include "format/utf8.hpp"

namespace marquee::dataset {
namespace {

using format::PyValue;

/// The columns each file's rules read, in the order of its row of the table of SPEC 3.5.
std::vector<std::string_view> columns_read(DetailFile file) {
  switch (file) {
    case DetailFile::kLinks:
      return {"movieId", "imdbId", "tmdbId"};
    case DetailFile::kRatings:
      return {"userId", "movieId", "rating", "timestamp"};
    case DetailFile::kKeywords:
      return {"id", "keywords"};
    case DetailFile::kCredits:
      return {"id", "cast", "crew"};
  }
  return {};
}

RowError rejected(const format::CsvRecord& record, RejectReason reason, std::string detail) {
  RowError e{reason, record.line, std::move(detail), {}};
  format::append_utf8_replacing(record.raw, e.raw);
  return e;
}

std::optional<std::string> text_or_null(std::string_view s) {
  if (s.empty()) return std::nullopt;
  return std::string(s);
}

const std::string* string_item(const PyValue& dict, std::string_view key) {
  const PyValue* v = dict.find(key);
  return v != nullptr && v->kind == PyValue::Kind::kString ? &v->text : nullptr;
}

std::optional<std::int64_t> int_item(const PyValue& dict, std::string_view key) {
  const PyValue* v = dict.find(key);
  if (v == nullptr || v->kind != PyValue::Kind::kInt) return std::nullopt;
  return v->integer;
}

std::optional<std::string> optional_text(const PyValue& dict, std::string_view key) {
  const std::string* s = string_item(dict, key);
  if (s == nullptr) return std::nullopt;
  return *s;
}

/// A list literal (SPEC 3.3: an empty field is no items), or why not.
std::optional<std::string> parse_list(std::string_view text, std::string_view column,
                                      PyValue& out) {
  if (text.empty()) {
    out = PyValue{};
    out.kind = PyValue::Kind::kList;
    return std::nullopt;
  }
  try {
    out = format::parse_py_literal(text);
  } catch (const format::PyLiteralError& e) {
    return fmt::format("{} is not a Python literal at byte {}: {}", column, e.offset(), e.what());
  }
  if (out.kind != PyValue::Kind::kList && out.kind != PyValue::Kind::kTuple) {
    return fmt::format("{} is not a list", column);
  }
  return std::nullopt;
}

PersonItem person_of(const PyValue& item, std::int64_t id) {
  return PersonItem{id, optional_text(item, "name"), int_item(item, "gender"),
                    optional_text(item, "profile_path")};
}

void warn_dropped(WarningTally& warnings, std::uint64_t line, std::string_view column,
                  std::size_t index, std::string_view needs) {
  warnings.add(WarningKind::kDroppedItem, line,
               fmt::format("{} item {} has no {}; dropped", column, index + 1, needs));
}

}  // namespace

std::string_view entry_name(DetailFile file) {
  switch (file) {
    case DetailFile::kLinks:
      return "links.csv";
    case DetailFile::kKeywords:
      return "keywords.csv";
    case DetailFile::kCredits:
      return "credits.csv";
    case DetailFile::kRatings:
      return "ratings.csv";
  }
  return "";
}

std::optional<std::int64_t> parse_whole_number(std::string_view text, bool zero_ok) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value == 0 && !zero_ok) return std::nullopt;
  return value;
}

std::optional<int> parse_rating_halves(std::string_view text) {
  // One digit, then nothing, ".0" or ".5": 0.5 .. 5.0 in half stars.
  if (text.empty() || text[0] < '0' || text[0] > '5') return std::nullopt;
  int halves = (text[0] - '0') * 2;
  if (text.size() == 3 && text[1] == '.' && (text[2] == '0' || text[2] == '5')) {
    halves += text[2] == '5' ? 1 : 0;
  } else if (text.size() != 1) {
    return std::nullopt;
  }
  if (halves < 1 || halves > 10) return std::nullopt;
  return halves;
}

DetailRules::DetailRules(DetailFile file, const std::vector<std::string_view>& header,
                         std::string file_label)
    : file_(file), file_label_(std::move(file_label)), field_count_(header.size()) {
  auto wanted = columns_read(file);
  at_.assign(wanted.size(), header.size());
  for (std::size_t i = 0; i < header.size(); ++i) {
    auto it = std::find(wanted.begin(), wanted.end(), header[i]);
    if (it == wanted.end()) {
      unknown_columns_.emplace_back(header[i]);
      continue;
    }
    auto& slot = at_[static_cast<std::size_t>(it - wanted.begin())];
    if (slot != header.size()) {
      throw Error(ExitCode::kBadData,
                  fmt::format("{}: line 1: column '{}' appears twice (columns {} and {}); marquee "
                              "cannot tell which one holds the data — fix the header",
                              file_label_, header[i], slot + 1, i + 1));
    }
    slot = i;
  }
  std::vector<std::string_view> missing;
  for (std::size_t c = 0; c < wanted.size(); ++c) {
    if (at_[c] == header.size()) missing.push_back(wanted[c]);
  }
  if (!missing.empty()) {
    throw Error(ExitCode::kBadData,
                fmt::format("{}: line 1: the header lacks the column(s) {} (it has {}); this is "
                            "not the dataset's {} — stage a complete archive",
                            file_label_, fmt::join(missing, ", "), fmt::join(header, ", "),
                            entry_name(file)));
  }
}

std::optional<RowError> DetailRules::check_fields(const format::CsvRecord& record) const {
  if (record.fields.size() == field_count_) return std::nullopt;
  return rejected(record, RejectReason::kFieldCount,
                  fmt::format("expected {} fields as in the header, found {}", field_count_,
                              record.fields.size()));
}

std::optional<RowError> DetailRules::check_movie_id(const format::CsvRecord& record,
                                                    std::int64_t& id) const {
  if (auto e = check_fields(record)) return e;
  auto parsed = parse_whole_number(record.fields[at_[0]], false);
  if (!parsed) {
    return rejected(
        record, RejectReason::kBadId,
        fmt::format("id {} is not a positive integer", quote_value(record.fields[at_[0]])));
  }
  id = *parsed;
  return std::nullopt;
}

std::optional<RowError> DetailRules::apply(const format::CsvRecord& record, LinkRow& out,
                                           WarningTally& warnings) const {
  if (auto e = check_fields(record)) return e;
  const auto& f = record.fields;
  auto movie = parse_whole_number(f[at_[0]], false);
  if (!movie) {
    return rejected(record, RejectReason::kBadId,
                    fmt::format("movieId {} is not a positive integer", quote_value(f[at_[0]])));
  }
  std::optional<std::int64_t> tmdb;
  if (!f[at_[2]].empty()) {
    tmdb = parse_whole_number(f[at_[2]], false);
    if (!tmdb) {
      return rejected(
          record, RejectReason::kBadId,
          fmt::format("tmdbId {} is neither empty nor a positive integer", quote_value(f[at_[2]])));
    }
  }
  if (!format::is_valid_utf8(f[at_[1]])) {
    warnings.add(WarningKind::kInvalidUtf8, record.line, "invalid UTF-8 replaced by U+FFFD");
  }
  out = LinkRow{*movie, text_or_null(f[at_[1]]), tmdb};
  return std::nullopt;
}

std::optional<RowError> DetailRules::apply(const format::CsvRecord& record, RatingRow& out) const {
  if (auto e = check_fields(record)) return e;
  const auto& f = record.fields;
  auto user = parse_whole_number(f[at_[0]], false);
  if (!user) {
    return rejected(record, RejectReason::kBadId,
                    fmt::format("userId {} is not a positive integer", quote_value(f[at_[0]])));
  }
  auto movie = parse_whole_number(f[at_[1]], false);
  if (!movie) {
    return rejected(record, RejectReason::kBadId,
                    fmt::format("movieId {} is not a positive integer", quote_value(f[at_[1]])));
  }
  auto halves = parse_rating_halves(f[at_[2]]);
  if (!halves) {
    return rejected(record, RejectReason::kBadNumber,
                    fmt::format("rating {} is not one of 0.5, 1.0, … 5.0", quote_value(f[at_[2]])));
  }
  auto at = parse_whole_number(f[at_[3]], true);
  if (!at) {
    return rejected(
        record, RejectReason::kBadNumber,
        fmt::format("timestamp {} is not a non-negative integer", quote_value(f[at_[3]])));
  }
  out = RatingRow{*user, *movie, *halves, *at};
  return std::nullopt;
}

std::optional<RowError> DetailRules::apply(const format::CsvRecord& record, KeywordsRow& out,
                                           WarningTally& warnings) const {
  std::int64_t id = 0;
  if (auto e = check_movie_id(record, id)) return e;
  const auto& f = record.fields;
  PyValue list;
  if (auto why = parse_list(f[at_[1]], "keywords", list)) {
    return rejected(record, RejectReason::kBadLiteral, *why);
  }
  if (!format::is_valid_utf8(record.raw)) {
    warnings.add(WarningKind::kInvalidUtf8, record.line, "invalid UTF-8 replaced by U+FFFD");
  }
  out.movie_id = id;
  out.keywords.clear();
  std::unordered_set<std::int64_t> seen;
  for (std::size_t i = 0; i < list.items.size(); ++i) {
    const PyValue& item = list.items[i];
    auto item_id = item.kind == PyValue::Kind::kDict ? int_item(item, "id") : std::nullopt;
    const std::string* name = item_id ? string_item(item, "name") : nullptr;
    if (!item_id || name == nullptr) {
      warn_dropped(warnings, record.line, "keywords", i, "integer id and string name");
      continue;
    }
    if (seen.insert(*item_id).second) out.keywords.push_back(NamedItem{*item_id, *name});
  }
  return std::nullopt;
}

std::optional<RowError> DetailRules::apply(const format::CsvRecord& record, CreditsRow& out,
                                           WarningTally& warnings) const {
  std::int64_t id = 0;
  if (auto e = check_movie_id(record, id)) return e;
  const auto& f = record.fields;
  PyValue cast, crew;
  if (auto why = parse_list(f[at_[1]], "cast", cast)) {
    return rejected(record, RejectReason::kBadLiteral, *why);
  }
  if (auto why = parse_list(f[at_[2]], "crew", crew)) {
    return rejected(record, RejectReason::kBadLiteral, *why);
  }
  if (!format::is_valid_utf8(record.raw)) {
    warnings.add(WarningKind::kInvalidUtf8, record.line, "invalid UTF-8 replaced by U+FFFD");
  }
  out.movie_id = id;
  out.cast.clear();
  out.crew.clear();
  // A credit id is the credit's key: listed twice, it counts once (its first listing).
  std::unordered_set<std::string> seen;
  auto each_credit = [&](const PyValue& list, std::string_view column, auto&& keep) {
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      const PyValue& item = list.items[i];
      auto person = item.kind == PyValue::Kind::kDict ? int_item(item, "id") : std::nullopt;
      const std::string* credit = person ? string_item(item, "credit_id") : nullptr;
      if (!person || credit == nullptr || credit->empty()) {
        warn_dropped(warnings, record.line, column, i, "integer id and credit_id");
        continue;
      }
      if (seen.insert(*credit).second) keep(item, *credit, person_of(item, *person));
    }
  };
  each_credit(cast, "cast", [&](const PyValue& item, const std::string& credit, PersonItem p) {
    out.cast.push_back(
        CastItem{credit, std::move(p), optional_text(item, "character"), int_item(item, "order")});
  });
  each_credit(crew, "crew", [&](const PyValue& item, const std::string& credit, PersonItem p) {
    out.crew.push_back(CrewItem{credit, std::move(p), optional_text(item, "department"),
                                optional_text(item, "job")});
  });
  return std::nullopt;
}

}  // namespace marquee::dataset
