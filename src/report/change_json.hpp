#pragma once

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace marquee::report {

/// {"new", "updated", "unchanged", "removed"}: the same shape in run_summary.json, status --json
/// and /api/batches.
inline nlohmann::ordered_json movie_changes_json(const store::MovieChanges& c) {
  return {
      {"new", c.added}, {"updated", c.updated}, {"unchanged", c.unchanged}, {"removed", c.removed}};
}

/// {"rows_added", "rows_changed", "rows_removed", "changed_keys"} of one report.
inline nlohmann::ordered_json report_change_json(const store::ReportChange& c) {
  return {{"rows_added", c.rows_added},
          {"rows_changed", c.rows_changed},
          {"rows_removed", c.rows_removed},
          {"changed_keys", c.changed_keys}};
}

}  // namespace marquee::report
