#include "report/report_diff.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "format/csv_reader.hpp"

namespace marquee::report {
namespace {

/// A report's key columns, and how many of them (from the first) the file is ordered by:
/// genre_yearly is ordered by year and then rank, so only its years come in key order.
struct ReportKey {
  std::string_view report;
  std::vector<std::string_view> columns;
  std::size_t ordered = 0;
};

const ReportKey kKeys[] = {
    {"company_yearly", {"company_id", "year"}, 2},
    {"company_genre_yearly", {"company_id", "year", "genre_id"}, 3},
    {"genre_yearly", {"year", "genre_id"}, 1},
    {"most_popular_genre_by_year", {"year"}, 1},
    {"genre_rating_yearly", {"year", "genre_id"}, 2},
    {"company_rating_yearly", {"company_id", "year"}, 2},
};

/// Keys compare as integers where both are, else as text.
int compare_cell(std::string_view a, std::string_view b) {
  std::int64_t x = 0, y = 0;
  auto [pa, ea] = std::from_chars(a.data(), a.data() + a.size(), x);
  auto [pb, eb] = std::from_chars(b.data(), b.data() + b.size(), y);
  if (ea == std::errc{} && eb == std::errc{} && pa == a.data() + a.size() &&
      pb == b.data() + b.size()) {
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  return a.compare(b) < 0 ? -1 : (a.compare(b) > 0 ? 1 : 0);
}

using Key = std::vector<std::string>;

struct KeyLess {
  bool operator()(const Key& a, const Key& b) const {
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (int c = compare_cell(a[i], b[i]); c != 0) return c < 0;
    }
    return a.size() < b.size();
  }
};

/// One report file read a group at a time: the rows that share the ordered key prefix.
class GroupReader {
 public:
  GroupReader(const std::filesystem::path& path, const ReportKey& key)
      : source_(format::open_file_source(path)), reader_(*source_), key_(key) {
    format::CsvRecord header;
    if (!reader_.next(header)) return;
    for (std::string_view column : key_.columns) {
      std::size_t at = 0;
      while (at < header.fields.size() && header.fields[at] != column) ++at;
      if (at == header.fields.size()) {
        throw Error(ExitCode::kBadData,
                    fmt::format("{} has no column {}", path.string(), std::string(column)));
      }
      key_at_.push_back(at);
    }
    advance();
  }

  bool done() const { return !pending_; }
  const Key& prefix() const { return prefix_; }

  /// The rows of the next group as (full key, the row as written), in key order. A report
  /// ordered by its whole key has groups of one row: no sorting then.
  void take_group(std::vector<std::pair<Key, std::string>>& group) {
    group.clear();
    Key prefix = prefix_;
    while (pending_ && prefix_ == prefix) {
      group.emplace_back(std::move(key_of_pending_), std::move(raw_));
      advance();
    }
    if (group.size() > 1) {
      std::sort(group.begin(), group.end(),
                [](const auto& a, const auto& b) { return KeyLess{}(a.first, b.first); });
    }
  }

 private:
  void advance() {
    pending_ = reader_.next(record_);
    if (!pending_) return;
    // The report writer writes a row's values the same way every time: equal bytes, equal row.
    raw_.assign(record_.raw);
    key_of_pending_.clear();
    for (std::size_t at : key_at_) {
      key_of_pending_.emplace_back(at < record_.fields.size() ? record_.fields[at]
                                                              : std::string_view{});
    }
    prefix_.assign(key_of_pending_.begin(),
                   key_of_pending_.begin() + static_cast<std::ptrdiff_t>(key_.ordered));
  }

  std::unique_ptr<format::ByteSource> source_;
  format::CsvReader reader_;
  const ReportKey& key_;
  std::vector<std::size_t> key_at_;
  bool pending_ = false;
  format::CsvRecord record_;
  std::string raw_;
  Key key_of_pending_, prefix_;
};

}  // namespace

ChangeTally::ChangeTally(std::string_view report, std::span<const std::string_view> columns)
    : columns_(columns) {
  change_.report = std::string(report);
}

void ChangeTally::note(std::uint64_t& count, const std::vector<std::string>& key) {
  ++count;
  if (change_.changed_keys.size() >= store::ReportChange::kChangedKeysKept) return;
  std::string text;
  for (std::size_t i = 0; i < key.size(); ++i)
    text += fmt::format("{}{}={}", i == 0 ? "" : " ", columns_[i], key[i]);
  change_.changed_keys.push_back(std::move(text));
}

std::span<const std::string_view> report_key_columns(std::string_view report) {
  for (const auto& k : kKeys)
    if (k.report == report) return k.columns;
  return {};
}

namespace {

/// The common hourly case, a report that did not change, costs a byte comparison.
bool same_bytes(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec1, ec2;
  auto size_a = std::filesystem::file_size(a, ec1);
  auto size_b = std::filesystem::file_size(b, ec2);
  if (ec1 || ec2 || size_a != size_b) return false;
  std::ifstream in_a(a, std::ios::binary), in_b(b, std::ios::binary);
  std::vector<char> buf_a(std::size_t{1} << 16), buf_b(buf_a.size());
  while (in_a && in_b) {
    in_a.read(buf_a.data(), static_cast<std::streamsize>(buf_a.size()));
    in_b.read(buf_b.data(), static_cast<std::streamsize>(buf_b.size()));
    if (in_a.gcount() != in_b.gcount()) return false;
    if (!std::equal(buf_a.begin(), buf_a.begin() + in_a.gcount(), buf_b.begin())) return false;
  }
  return in_a.eof() && in_b.eof();
}

}  // namespace

std::optional<store::ReportChange> diff_report(std::string_view name,
                                               const std::filesystem::path& before,
                                               const std::filesystem::path& after) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(before, ec)) return std::nullopt;
  const ReportKey* key = nullptr;
  for (const auto& k : kKeys)
    if (k.report == name) key = &k;
  if (key == nullptr) return std::nullopt;
  try {
    if (same_bytes(before, after)) {
      store::ReportChange none;
      none.report = std::string(name);
      return none;
    }
    GroupReader old_rows(before, *key), new_rows(after, *key);
    ChangeTally tally(name, key->columns);
    KeyLess less;
    std::vector<std::pair<Key, std::string>> was, now;
    while (!old_rows.done() || !new_rows.done()) {
      if (new_rows.done() || (!old_rows.done() && less(old_rows.prefix(), new_rows.prefix()))) {
        old_rows.take_group(was);
        for (const auto& [k, row] : was) tally.removed(k);
      } else if (old_rows.done() || less(new_rows.prefix(), old_rows.prefix())) {
        new_rows.take_group(now);
        for (const auto& [k, row] : now) tally.added(k);
      } else {
        old_rows.take_group(was);
        new_rows.take_group(now);
        // Both groups in key order: one merge pass.
        auto o = was.begin();
        auto n = now.begin();
        while (o != was.end() || n != now.end()) {
          if (n == now.end() || (o != was.end() && less(o->first, n->first))) {
            tally.removed((o++)->first);
          } else if (o == was.end() || less(n->first, o->first)) {
            tally.added((n++)->first);
          } else {
            if (o->second != n->second) tally.changed(n->first);
            ++o;
            ++n;
          }
        }
      }
    }
    return tally.take();
  } catch (const std::exception& e) {
    spdlog::warn("report: cannot compare {} with the file it replaces: {}", name, e.what());
    return std::nullopt;
  }
}

}  // namespace marquee::report
