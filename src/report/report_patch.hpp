#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/progress.hpp"
#include "report/company_index.hpp"
#include "store/store.hpp"

namespace marquee::report {

/// Patching the two large reports (company_yearly.csv, company_genre_yearly.csv) instead of
/// writing them whole: the hourly run's cost follows the change, not the database (issue #12).
///
/// Every batch logs the company groups it changed and the companies and genres it renamed
/// (report_change_log, schema version 6). The reports folder keeps, in kStateFile, the last
/// batch its files answer for and each file's size and modification time. A patch copies the
/// rows of the old file whose key no batch since changed, and reads from the database only the
/// rows of the changed keys (a changed group, or a group of a renamed company or genre), merging
/// both streams in key order. The result is byte for byte the file a whole write gives
/// (ReportPatch tests hold it to that on both engines), with the same row changes diff_report
/// would count. Anything that does not fit (no state, files touched since, another database, a
/// log pruned past the state, another marquee version) writes the report whole.

/// The file in a reports folder that says what its reports answer for.
inline constexpr std::string_view kStateFile = ".report_state.json";
/// The lock a process holds on a reports folder while it writes the reports (flock(2)).
inline constexpr std::string_view kLockFile = ".report_state.lock";

/// Where the database's change log stands (read inside the reports' snapshot).
struct LogPosition {
  std::string epoch;             ///< report_change_log_since.epoch
  std::int64_t since = 0;        ///< the log holds every change of the batches after this one
  std::int64_t last_loaded = 0;  ///< the newest loaded batch the snapshot sees
};

/// The keys a patch rewrites: every row of a logged group, company or genre.
class ChangedKeys {
 public:
  /// Whether the row with key (company_id, year, genre_id or -1) is read again from the
  /// database: its group changed, or (`by_genre`: a row of company_genre_yearly) its genre was
  /// renamed.
  bool contains(bool by_genre, const std::array<std::int64_t, 3>& key) const;
  /// The new name of a renamed company, whose other rows are kept with it; null if not renamed.
  /// Throws PatchMismatch when the database has no name for it.
  const std::string* new_name(std::int64_t company) const;
  std::size_t size() const { return groups_.size() + companies_.size() + genres_.size(); }
  /// The first company id at or after `company` with a row that is rewritten (the largest
  /// integer if none): the rows of the companies before it are all kept.
  std::int64_t next_changed_company(bool by_genre, std::int64_t company) const;

 private:
  friend class ReportPatcher;
  /// (company_id, year, genre_id); genre_id -1 for a report_company_year group.
  std::vector<std::array<std::int64_t, 3>> groups_;
  std::unordered_set<std::int64_t> companies_, genres_;
  /// The renamed companies' names in the reports' snapshot.
  std::unordered_map<std::int64_t, std::string> names_;
  /// The companies of groups_ and companies_, sorted.
  std::vector<std::int64_t> companies_with_changes_;
};

/// Decides, inside the reports' read snapshot, whether the reports of `results_dir` can be
/// patched, and patches one report at a time.
class ReportPatcher {
 public:
  ReportPatcher(store::Store& store, std::filesystem::path results_dir);

  /// Whether `report` is one of the patched reports and its file can be patched now.
  bool can_patch(std::string_view report) const;
  /// Writes into `out` the new version of `report` from its previous file and the changed rows;
  /// returns the rows written and sets `change` (rows added, changed, removed, as diff_report).
  /// Throws PatchMismatch when the old file is not what the state says (then write it whole).
  /// `index_out` gets the new file's company index (company_index.hpp); the old file's, when
  /// the state recorded it, spares reading the rows of the companies without changes.
  std::uint64_t patch(std::string_view report, AtomicFile& out, CompanyIndexWriter& index_out,
                      ProgressMeter& progress, store::ReportChange& change);
  /// Removes the state before the files are replaced: a crash between replacing them and
  /// record() then leaves no state, and the next reports are written whole.
  void forget() const;
  /// Records, once the reports are in place, what they answer for.
  void record() const;
  /// The changes since the reports were written, when they can be patched (for the log).
  const std::optional<ChangedKeys>& changed() const { return changed_; }
  /// The batch the reports were written for, when they can be patched.
  std::int64_t written_for() const { return written_for_; }

 private:
  void plan();

  store::Store& store_;
  std::filesystem::path results_dir_;
  std::optional<LogPosition> position_;
  std::optional<ChangedKeys> changed_;
  std::int64_t written_for_ = 0;
  /// The reports whose company index is the one the state recorded.
  std::unordered_set<std::string> indexed_;
};

/// The old file of a patched report was not what its state said (its header, its order, its
/// CSV): the report is written whole instead.
struct PatchMismatch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Whether `report` is one of the patched reports, whose files have a company index.
bool is_patched_report(std::string_view report);

/// The report's SQL reading only the rows a patch rewrites (those of the groups logged after
/// batch `?`, and every row of a company or genre renamed after it); its parameters, in order,
/// all bind that batch id.
std::string patch_sql(std::string_view report, std::size_t& parameters);

}  // namespace marquee::report
