#include "report/report_patch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/file_descriptor.hpp"
#include "common/sha256.hpp"
#include "format/csv_field.hpp"
#include "report/company_index.hpp"
#include "report/report_diff.hpp"
#include "report/report_line.hpp"
#include "report/report_query.hpp"

namespace marquee::report {
namespace {

namespace fs = std::filesystem;
using Key = std::array<std::int64_t, 3>;

/// A patched report: its aggregate table and the key columns of its rows.
struct Patched {
  std::string_view report;
  std::string_view table;
  bool by_genre;  ///< keyed by genre too (company_genre_yearly)
};
constexpr Patched kPatched[] = {
    {"company_yearly", "report_company_year", false},
    {"company_genre_yearly", "report_company_genre_year", true},
};

const Patched* patched(std::string_view report) {
  for (const auto& p : kPatched)
    if (p.report == report) return &p;
  return nullptr;
}

/// More changed keys than this since the reports were written: writing them whole costs less.
constexpr std::int64_t kMaxChangedKeys = 500000;

/// What a report file was when its state was recorded.
nlohmann::json stamp_of(const fs::path& file) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return nullptr;
  auto mtime = fs::last_write_time(file, ec);
  if (ec) return nullptr;
  auto since_epoch = std::chrono::file_clock::to_sys(mtime).time_since_epoch();
  return {{"size", size},
          {"mtime_ns", std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count()}};
}

/// Changes whenever the patched reports' SQL or marquee's version does: a folder written by
/// another version is written whole.
std::string format_fingerprint() {
  std::string text = MARQUEE_VERSION;
  for (const auto& p : kPatched) {
    std::size_t parameters = 0;
    text += store::report_sql(p.report);
    text += patch_sql(p.report, parameters);
  }
  return sha256_hex(text);
}

std::int64_t integer_of(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    throw PatchMismatch(fmt::format("'{}' is not an integer key", text));
  }
  return value;
}

/// The previous file of a patched report, a row at a time in key order. Its rows are copied as
/// they are, so only the key fields are read: a record ends at the first line end after an even
/// number of quotes (RFC 4180, as the report writer quotes), and only the fields up to the last
/// key column are split. Anything unexpected is a PatchMismatch.
class OldFile {
 public:
  OldFile(const fs::path& path, std::span<const std::string_view> key_columns)
      : path_(path), columns_(key_columns.size()) {
    file_ = FileDescriptor(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file_.valid())
      throw PatchMismatch(fmt::format("cannot open it: {}", std::strerror(errno)));
    struct stat st {};
    if (::fstat(file_.get(), &st) != 0)
      throw PatchMismatch(fmt::format("cannot stat it: {}", std::strerror(errno)));
    size_ = static_cast<std::uint64_t>(st.st_size);
    buffer_.resize(kChunk);
    if (!next_record()) throw PatchMismatch("it is empty");
    header_.assign(record_);
    std::vector<std::string_view> names;
    for (std::size_t at = 0; at <= record_.size();) {
      std::size_t end = record_.find(',', at);
      if (end == std::string_view::npos) end = record_.size();
      names.push_back(record_.substr(at, end - at));
      at = end + 1;
    }
    for (std::string_view column : key_columns) {
      auto at = std::find(names.begin(), names.end(), column);
      if (at == names.end()) throw PatchMismatch(fmt::format("no column {}", column));
      key_at_.push_back(static_cast<std::size_t>(at - names.begin()));
    }
    last_field_ = *std::max_element(key_at_.begin(), key_at_.end());
    if (auto at = std::find(names.begin(), names.end(), "company_name"); at != names.end()) {
      name_at_ = static_cast<std::size_t>(at - names.begin());
      last_field_ = std::max(last_field_, *name_at_);
    }
    fields_.resize(last_field_ + 1);
    advance();
  }
  OldFile(const OldFile&) = delete;
  OldFile& operator=(const OldFile&) = delete;

  const std::string& header() const { return header_; }
  bool pending() const { return pending_; }
  /// The row's first key column (company_id): read for every row.
  std::int64_t lead() const { return lead_; }
  /// The row's whole key, read when first asked for.
  const Key& key() {
    if (!whole_) read_key();
    return key_;
  }
  /// The row's bytes without its line end; valid until advance().
  std::string_view raw() const { return record_; }
  /// The row with its company_name field replaced by `name` (CSV as the report writer quotes),
  /// and its line end, into `line`.
  void renamed(std::string_view name, std::string& line) {
    key();
    if (!name_at_) throw PatchMismatch("it has no company_name column");
    std::string_view field = fields_[*name_at_];
    const auto from = static_cast<std::size_t>(field.data() - record_.data());
    line.assign(record_.substr(0, from));
    format::append_csv_field(line, name);
    line.append(record_.substr(from + field.size()));
    line.push_back('\n');
  }
  /// Where the row starts in the file, and its length with its line end.
  std::uint64_t offset() const {
    return base_ + static_cast<std::uint64_t>(record_.data() - buffer_.data());
  }
  std::uint64_t length() const { return record_.size() + 1; }
  /// The row's number among the data rows, from 0.
  std::uint64_t row() const { return line_ - 1; }
  /// The data rows up to the current one, or all of them at the end.
  std::uint64_t rows_passed() const { return line_; }
  int fd() const { return file_.get(); }
  std::uint64_t size() const { return size_; }

  /// Goes on from the data row `row` at `offset` (where the company index says a company
  /// starts), or to the end when `offset` is the file's size. The row must start a line and be
  /// of `company`: an index that does not fit the file is a PatchMismatch.
  void seek(std::uint64_t offset, std::uint64_t row, std::int64_t company) {
    if (offset < base_ + begin_)
      throw PatchMismatch(fmt::format("its company index goes back to byte {}", offset));
    if (offset == size_) {
      pending_ = false;
      begin_ = end_ = 0;
      base_ = offset;
      eof_ = true;
      line_ = row;
      return;
    }
    char before = 0;
    if (::pread(file_.get(), &before, 1, static_cast<off_t>(offset - 1)) != 1 || before != '\n')
      throw PatchMismatch(fmt::format("its company index points into a row at byte {}", offset));
    if (::lseek(file_.get(), static_cast<off_t>(offset), SEEK_SET) < 0)
      throw PatchMismatch(fmt::format("cannot seek in it: {}", std::strerror(errno)));
    base_ = offset;
    begin_ = end_ = 0;
    eof_ = false;
    line_ = row;
    advance();
    if (!pending_ || lead_ != company) {
      throw PatchMismatch(fmt::format(
          "its company index says company {} starts at byte {}, the row there is not of it",
          company, offset));
    }
  }
  std::vector<std::string> key_text() {
    key();
    std::vector<std::string> text;
    for (std::size_t at : key_at_) text.emplace_back(fields_[at]);
    return text;
  }

  /// The next row: its first key column read and checked for order. A row whose whole key is
  /// read is checked against the last row read whole (a subsequence of the rows: in order too).
  void advance() {
    pending_ = next_record();
    if (!pending_) return;
    ++line_;
    whole_ = false;
    split_key_fields(key_at_[0]);
    std::int64_t lead = integer_of(fields_[key_at_[0]]);
    if (line_ > 1 && lead < lead_)
      throw PatchMismatch(fmt::format("row {} is out of key order", line_));
    lead_ = lead;
  }

 private:
  static constexpr std::size_t kChunk = std::size_t{1} << 20;
  /// What one read asks for: after a jump by the company index only the few rows of the next
  /// changed company are read, not a whole chunk.
  static constexpr std::size_t kRead = std::size_t{1} << 16;

  /// The next record into record_; false at the end of the file.
  bool next_record() {
    for (;;) {
      std::size_t scan = begin_;
      std::size_t quotes = 0;
      while (scan < end_) {
        const char* from = buffer_.data() + scan;
        const char* line_end = static_cast<const char*>(std::memchr(from, '\n', end_ - scan));
        if (line_end == nullptr) break;
        if (std::memchr(from, '"', static_cast<std::size_t>(line_end - from)) != nullptr)
          quotes += static_cast<std::size_t>(std::count(from, line_end, '"'));
        scan = static_cast<std::size_t>(line_end - buffer_.data()) + 1;
        if (quotes % 2 == 0) {
          record_ = std::string_view(buffer_.data() + begin_, scan - 1 - begin_);
          begin_ = scan;
          return true;
        }
      }
      if (eof_) {
        if (begin_ == end_) return false;
        throw PatchMismatch("its last row has no line end");
      }
      fill();
    }
  }

  /// Keeps the unread bytes, makes room (a record longer than the buffer doubles it) and reads.
  void fill() {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    base_ += begin_;
    end_ -= begin_;
    begin_ = 0;
    if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
    ssize_t n = ::read(file_.get(), buffer_.data() + end_, std::min(buffer_.size() - end_, kRead));
    if (n < 0) throw PatchMismatch(fmt::format("cannot read it: {}", std::strerror(errno)));
    if (n == 0) eof_ = true;
    end_ += static_cast<std::size_t>(n);
  }

  void read_key() {
    split_key_fields(last_field_);
    key_ = {0, 0, -1};
    for (std::size_t i = 0; i < columns_; ++i) key_[i] = integer_of(fields_[key_at_[i]]);
    if (read_whole_ && !(last_whole_ < key_))
      throw PatchMismatch(fmt::format("row {} is out of key order", line_));
    last_whole_ = key_;
    read_whole_ = true;
    whole_ = true;
  }

  /// fields_[0..last] of record_, as written (a quoted field keeps its quotes).
  void split_key_fields(std::size_t last) {
    std::size_t at = 0;
    for (std::size_t field = 0; field <= last; ++field) {
      if (at > record_.size()) throw PatchMismatch(fmt::format("row {} is short", line_));
      std::size_t end = at;
      if (end < record_.size() && record_[end] == '"') {
        ++end;
        for (;;) {
          end = record_.find('"', end);
          if (end == std::string_view::npos)
            throw PatchMismatch(fmt::format("row {} has an open quote", line_));
          if (end + 1 < record_.size() && record_[end + 1] == '"') {
            end += 2;
            continue;
          }
          ++end;
          break;
        }
        if (end < record_.size() && record_[end] != ',')
          throw PatchMismatch(fmt::format("row {} has text after a quote", line_));
      } else {
        end = record_.find(',', end);
        if (end == std::string_view::npos) end = record_.size();
      }
      fields_[field] = record_.substr(at, end - at);
      at = end + 1;
    }
  }

  fs::path path_;
  FileDescriptor file_;
  std::uint64_t size_ = 0;
  std::string buffer_;
  std::size_t begin_ = 0, end_ = 0;
  std::uint64_t base_ = 0;  ///< where buffer_ starts in the file
  bool eof_ = false;
  std::size_t columns_;
  std::vector<std::size_t> key_at_;
  std::optional<std::size_t> name_at_;  ///< company_name's field
  std::size_t last_field_ = 0;
  std::vector<std::string_view> fields_;
  std::string header_;
  std::string_view record_;
  std::uint64_t line_ = 0;
  bool pending_ = false;
  std::int64_t lead_ = 0;
  bool whole_ = false;  ///< key_ is this row's
  Key key_{0, 0, -1};
  bool read_whole_ = false;  ///< last_whole_ is set
  Key last_whole_{0, 0, -1};
};

}  // namespace

bool is_patched_report(std::string_view report) {
  return patched(report) != nullptr;
}

std::string patch_sql(std::string_view report, std::size_t& parameters) {
  const Patched* p = patched(report);
  if (p == nullptr) throw std::logic_error("not a patched report");
  const std::string groups =
      p->by_genre ? "SELECT DISTINCT company_id, year, genre_id FROM report_change_log WHERE "
                    "batch_id > ? AND year IS NOT NULL AND genre_id IS NOT NULL"
                  : "SELECT DISTINCT company_id, year FROM report_change_log WHERE batch_id > ? "
                    "AND year IS NOT NULL AND genre_id IS NULL";
  const std::string on = p->by_genre
                             ? "a.company_id = k.company_id AND a.year = k.year AND a.genre_id = "
                               "k.genre_id"
                             : "a.company_id = k.company_id AND a.year = k.year";
  // CROSS JOIN: driven by the few logged keys, each found by the table's key. The other rows
  // of a renamed company are the old file's with the new name (ReportPatcher::patch).
  std::string rows =
      fmt::format("SELECT a.* FROM ({0}) AS k CROSS JOIN {1} a WHERE {2}", groups, p->table, on);
  parameters = 1;
  if (p->by_genre) {
    rows += fmt::format(
        " UNION SELECT a.* FROM (SELECT DISTINCT genre_id FROM report_change_log WHERE batch_id "
        "> ? AND company_id IS NULL) AS k CROSS JOIN {} a WHERE a.genre_id = k.genre_id",
        p->table);
    parameters = 2;
  }
  std::string sql = store::report_sql(report);
  // The report reads its table as `a` (sql/reports/<report>.sql says so): the patch reads the
  // changed rows of it instead.
  const std::string from = fmt::format("FROM {} a\n", p->table);
  std::size_t at = sql.find(from);
  if (at == std::string::npos || sql.find(from, at + 1) != std::string::npos) {
    throw Error(ExitCode::kDatabase,
                fmt::format("sql/reports/{}.sql does not read its table as '{}' once; the report "
                            "SQL and src/report/report_patch.cpp disagree, rebuild marquee from "
                            "one revision",
                            report, from.substr(0, from.size() - 1)));
  }
  sql.replace(at, from.size() - 1, fmt::format("FROM ({}) AS a", rows));
  return sql;
}

std::int64_t ChangedKeys::next_changed_company(bool by_genre, std::int64_t company) const {
  if (by_genre && !genres_.empty()) return company;  // a renamed genre: any company's rows
  auto at =
      std::lower_bound(companies_with_changes_.begin(), companies_with_changes_.end(), company);
  return at == companies_with_changes_.end() ? std::numeric_limits<std::int64_t>::max() : *at;
}

const std::string* ChangedKeys::new_name(std::int64_t company) const {
  if (!companies_.contains(company)) return nullptr;
  auto at = names_.find(company);
  if (at == names_.end())
    throw PatchMismatch(fmt::format("renamed company {} has no name in the database", company));
  return &at->second;
}

bool ChangedKeys::contains(bool by_genre, const Key& key) const {
  if (by_genre && genres_.contains(key[2])) return true;
  return std::binary_search(groups_.begin(), groups_.end(), key);
}

ReportPatcher::ReportPatcher(store::Store& store, fs::path results_dir)
    : store_(store), results_dir_(std::move(results_dir)) {
  plan();
}

void ReportPatcher::plan() {
  store_.query(
      "SELECT s.batch_id, s.epoch, (SELECT COALESCE(MAX(id), 0) FROM ingest_batch WHERE status = "
      "'loaded') FROM report_change_log_since s",
      {}, [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
        position_ = LogPosition{row[1].value_or(""), std::stoll(row[0].value_or("0")),
                                std::stoll(row[2].value_or("0"))};
      });
  if (!position_) return;
  nlohmann::json state;
  try {
    std::ifstream in(results_dir_ / kStateFile);
    if (!in) return;
    state = nlohmann::json::parse(in);
    const auto batch = state.at("batch").get<std::int64_t>();
    auto why_not = [&]() -> std::string {
      if (state.at("epoch").get<std::string>() != position_->epoch)
        return "they were written from another load of the database";
      if (batch < position_->since) return "the change log no longer reaches back to them";
      if (batch > position_->last_loaded) return "they are newer than the database";
      if (state.at("format").get<std::string>() != format_fingerprint())
        return "another marquee version wrote them";
      for (const auto& p : kPatched) {
        std::string file = fmt::format("{}.csv", p.report);
        if (state.at("files").at(file) != stamp_of(results_dir_ / file))
          return fmt::format("{} changed since", file);
      }
      return {};
    };
    if (std::string reason = why_not(); !reason.empty()) {
      spdlog::info("report: writing every report whole: {}", reason);
      return;
    }
    written_for_ = batch;
    if (state.contains("indexes")) {
      for (const auto& p : kPatched) {
        fs::path index = company_index_path(results_dir_, p.report);
        auto recorded = state.at("indexes").find(index.filename().string());
        if (recorded != state.at("indexes").end() && *recorded == stamp_of(index))
          indexed_.insert(std::string(p.report));
      }
    }
  } catch (const std::exception& e) {
    spdlog::info("report: writing every report whole: {} is unreadable ({})",
                 (results_dir_ / kStateFile).string(), e.what());
    return;
  }
  store::Param since = written_for_;
  std::int64_t logged = 0;
  store_.query("SELECT COUNT(*) FROM report_change_log WHERE batch_id > ?", {&since, 1},
               [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
                 logged = std::stoll(row[0].value_or("0"));
               });
  if (logged > kMaxChangedKeys) {
    spdlog::info("report: writing every report whole: {} changes since batch {}", logged,
                 written_for_);
    return;
  }
  ChangedKeys keys;
  store_.query("SELECT company_id, year, genre_id FROM report_change_log WHERE batch_id > ?",
               {&since, 1},
               [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
                 auto number = [](const store::Cell& c) { return c ? std::stoll(*c) : -1; };
                 if (!row[1]) {
                   // A renamed company (company_id) or genre (genre_id).
                   if (row[0]) keys.companies_.insert(number(row[0]));
                   if (row[2]) keys.genres_.insert(number(row[2]));
                   return;
                 }
                 keys.groups_.push_back({number(row[0]), number(row[1]), number(row[2])});
               });
  if (!keys.companies_.empty()) {
    store_.query(
        "SELECT DISTINCT c.id, c.name FROM report_change_log l JOIN production_company c ON c.id "
        "= l.company_id WHERE l.batch_id > ? AND l.company_id IS NOT NULL AND l.year IS NULL",
        {&since, 1}, [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
          if (row[0] && row[1]) keys.names_[std::stoll(*row[0])] = *row[1];
        });
  }
  std::sort(keys.groups_.begin(), keys.groups_.end());
  keys.groups_.erase(std::unique(keys.groups_.begin(), keys.groups_.end()), keys.groups_.end());
  auto& leads = keys.companies_with_changes_;
  for (const auto& group : keys.groups_) leads.push_back(group[0]);
  leads.insert(leads.end(), keys.companies_.begin(), keys.companies_.end());
  std::sort(leads.begin(), leads.end());
  leads.erase(std::unique(leads.begin(), leads.end()), leads.end());
  changed_ = std::move(keys);
}

bool ReportPatcher::can_patch(std::string_view report) const {
  return changed_.has_value() && patched(report) != nullptr;
}

std::uint64_t ReportPatcher::patch(std::string_view report, AtomicFile& out,
                                   CompanyIndexWriter& index_out, ProgressMeter& progress,
                                   store::ReportChange& change) {
  const Patched& p = *patched(report);
  std::span<const std::string_view> key_columns = report_key_columns(report);
  std::size_t parameters = 0;
  const std::string sql = patch_sql(report, parameters);
  std::vector<store::Param> params(parameters, store::Param{written_for_});
  // Every failure of reading the old file is a PatchMismatch (write the report whole).
  const fs::path old_path = results_dir_ / fmt::format("{}.csv", report);
  OldFile old(old_path, key_columns);
  // Without its index (none, or changed since the state), the old file is read whole.
  std::optional<CompanyIndexReader> index;
  if (indexed_.contains(std::string(report))) {
    try {
      index.emplace(company_index_path(results_dir_, report), old.size());
    } catch (const CompanyIndexUnusable& e) {
      spdlog::info("report: {}: reading the whole previous file: its company index is unusable: {}",
                   report, e.what());
    }
  }
  std::optional<CompanyStart> next_start;  // the index's first entry not passed yet
  bool index_ended = false;
  auto next_of_index = [&] {
    try {
      next_start = index->next();
    } catch (const CompanyIndexUnusable& e) {
      throw PatchMismatch(fmt::format("its company index is unusable: {}", e.what()));
    }
    if (!next_start) index_ended = true;
    return next_start.has_value();
  };
  ChangeTally tally(report, key_columns);
  std::uint64_t rows = 0;
  std::string line;
  bool header_written = false;
  auto write_header = [&](const std::vector<std::string>& columns) {
    line.clear();
    append_report_line(line, columns,
                       [](const std::string& c) { return std::optional<std::string_view>(c); });
    if (std::string_view(line).substr(0, line.size() - 1) != old.header())
      throw PatchMismatch("its header is not the report's");
    out.write(line);
    progress.add(0, line.size());
    header_written = true;
  };
  // Unchanged rows are copied from the old file a run of adjacent rows at a time, file to file
  // in the kernel (AtomicFile::copy_from), before anything else is written.
  std::uint64_t run_start = 0, run_end = 0;
  auto copy_run = [&] {
    if (run_end > run_start) out.copy_from(old.fd(), run_start, run_end - run_start);
    run_start = run_end = 0;
  };
  auto extend_run = [&](std::uint64_t from, std::uint64_t to) {
    if (run_end != from || run_end == 0) {
      copy_run();
      run_start = from;
    }
    run_end = to;
  };
  // Where the next byte written goes in the new file, a pending run included.
  auto written = [&] { return out.size() + (run_end - run_start); };
  // The old rows before `bound` (all when null): kept unless their key changed. Most rows are
  // decided by their company alone: one with no changed group and before the bound's company
  // is copied without reading the rest of its key. With the index, the rows of the companies
  // before the next changed one are not read at all: their bytes are copied as a run.
  std::uint64_t copied_rows = 0, copied_bytes = 0, read_rows = 0;
  std::string renamed_line;
  auto copy_old_before = [&](const Key* bound) {
    std::int64_t copy_below = std::numeric_limits<std::int64_t>::min();
    while (old.pending()) {
      if (old.lead() >= copy_below) {
        copy_below = changed_->next_changed_company(p.by_genre, old.lead());
        if (bound != nullptr) copy_below = std::min(copy_below, (*bound)[0]);
      }
      if (index && old.lead() < copy_below) {
        // The first company start at or after copy_below; the starts passed on the way are
        // the new file's too, moved by what was written before.
        const std::uint64_t from = old.offset(), from_row = old.row();
        const std::uint64_t at = written();
        index_out.note(old.lead(), at, rows);
        while (!index_ended && (!next_start || next_start->company < copy_below)) {
          if (next_start && next_start->offset > from) {
            index_out.note(next_start->company, at + (next_start->offset - from),
                           rows + (next_start->row - from_row));
          }
          next_of_index();
        }
        const std::uint64_t to = index_ended ? old.size() : next_start->offset;
        const std::uint64_t to_row = index_ended ? index->rows() : next_start->row;
        if (to <= from || to_row <= from_row)
          throw PatchMismatch(fmt::format("its company index goes back at byte {}", from));
        extend_run(from, to);
        copied_rows += to_row - from_row;
        copied_bytes += to - from;
        rows += to_row - from_row;
        old.seek(to, to_row, index_ended ? 0 : next_start->company);
        continue;
      }
      ++read_rows;
      if (old.lead() >= copy_below) {
        const Key& key = old.key();
        if (bound != nullptr && !(key < *bound)) break;
        if (changed_->contains(p.by_genre, key)) {
          tally.removed(old.key_text());
          old.advance();
          continue;
        }
        if (const std::string* name = changed_->new_name(old.lead())) {
          // A renamed company's group that did not change: its row with the new name.
          copy_run();
          old.renamed(*name, renamed_line);
          if (std::string_view(renamed_line).substr(0, renamed_line.size() - 1) != old.raw())
            tally.changed(old.key_text());
          index_out.note(old.lead(), out.size(), rows);
          out.write(renamed_line);
          progress.add(1, renamed_line.size());
          ++rows;
          old.advance();
          continue;
        }
      }
      index_out.note(old.lead(), written(), rows);
      extend_run(old.offset(), old.offset() + old.length());
      ++copied_rows;
      copied_bytes += old.length();
      ++rows;
      old.advance();
    }
    if (copied_rows >= 65536) {
      progress.add(copied_rows, copied_bytes);
      copied_rows = copied_bytes = 0;
    }
  };
  std::vector<std::size_t> key_at;
  auto columns = read_report(
      store_, report, sql, params,
      [&](const std::vector<std::string>& names, const std::vector<store::Cell>& cells) {
        if (!header_written) {
          write_header(names);
          for (std::string_view column : key_columns) {
            key_at.push_back(static_cast<std::size_t>(
                std::find(names.begin(), names.end(), column) - names.begin()));
          }
        }
        Key key{0, 0, -1};
        for (std::size_t i = 0; i < key_at.size(); ++i)
          key[i] = integer_of(cells.at(key_at[i]).value_or(""));
        copy_old_before(&key);
        line.clear();
        append_report_line(line, cells, [](const store::Cell& c) {
          return c ? std::optional<std::string_view>(*c) : std::nullopt;
        });
        auto key_text = [&] {
          std::vector<std::string> text;
          for (std::size_t at : key_at) text.push_back(cells[at].value_or(""));
          return text;
        };
        copy_run();
        if (old.pending() && old.key() == key) {
          ++read_rows;
          if (old.raw() != std::string_view(line).substr(0, line.size() - 1))
            tally.changed(key_text());
          old.advance();
        } else {
          tally.added(key_text());
        }
        index_out.note(key[0], out.size(), rows);
        out.write(line);
        progress.add(1, line.size());
        ++rows;
      });
  if (!header_written) write_header(columns);
  copy_old_before(nullptr);
  copy_run();
  progress.add(copied_rows, copied_bytes);
  if (index) {
    // The rest of the index, for its checksum: an index that does not check out may have
    // copied the wrong rows.
    while (!index_ended && next_of_index()) {
    }
    if (index->rows() != old.rows_passed())
      throw PatchMismatch("its company index counts other rows than the file has");
  }
  index_out.finish(rows, out.size());
  change = tally.take();
  spdlog::debug(
      "report: {}: patched from {} ({} keys changed since batch {}; {} of its rows read, {})",
      p.report, old_path.string(), changed_->size(), written_for_, read_rows,
      index ? "the others copied by their company index" : "no company index");
  return rows;
}

void ReportPatcher::forget() const {
  std::error_code ec;
  fs::remove(results_dir_ / kStateFile, ec);
}

void ReportPatcher::record() const {
  if (!position_) return;  // a database without the change log
  nlohmann::json files = nlohmann::json::object();
  for (const auto& p : kPatched) {
    std::string file = fmt::format("{}.csv", p.report);
    files[file] = stamp_of(results_dir_ / file);
  }
  nlohmann::json indexes = nlohmann::json::object();
  for (const auto& p : kPatched) {
    fs::path index = company_index_path(results_dir_, p.report);
    if (auto stamp = stamp_of(index); !stamp.is_null()) indexes[index.filename().string()] = stamp;
  }
  nlohmann::json state = {{"epoch", position_->epoch},
                          {"batch", position_->last_loaded},
                          {"format", format_fingerprint()},
                          {"files", files},
                          {"indexes", indexes}};
  write_file_atomically(results_dir_ / kStateFile, state.dump(2) + "\n");
}

}  // namespace marquee::report
