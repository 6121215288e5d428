#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace marquee::report {

/// How the report file `after` differs from `before`, the file it replaces, row by row by the
/// report's key (SPEC 5: company_id and year for company_yearly, and so on): rows whose key is
/// new, rows of the same key with other values, rows whose key is gone. Reads both files as
/// streams, a group of rows at a time (the rows of one key prefix the files are ordered by), so
/// memory stays small whatever their size. nullopt when `before` does not exist or cannot be
/// read as a report (then there is nothing to compare with).
/// Counts a report's rows added, changed and removed by key, keeping the first keys as text
/// ("company_id=1 year=2000"): what diff_report and a patched report (report_patch.hpp) give.
class ChangeTally {
 public:
  /// `columns` names the key's columns (report_key_columns) and must outlive the tally.
  ChangeTally(std::string_view report, std::span<const std::string_view> columns);
  void added(const std::vector<std::string>& key) { note(change_.rows_added, key); }
  void changed(const std::vector<std::string>& key) { note(change_.rows_changed, key); }
  void removed(const std::vector<std::string>& key) { note(change_.rows_removed, key); }
  store::ReportChange take() { return std::move(change_); }

 private:
  void note(std::uint64_t& count, const std::vector<std::string>& key);
  std::span<const std::string_view> columns_;
  store::ReportChange change_;
};

/// The key columns of a report (SPEC 5), in the order its file is sorted by; empty for an
/// unknown name.
std::span<const std::string_view> report_key_columns(std::string_view report);

std::optional<store::ReportChange> diff_report(std::string_view name,
                                               const std::filesystem::path& before,
                                               const std::filesystem::path& after);

}  // namespace marquee::report
