#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "store/store.hpp"

namespace marquee::report {

/// How the report file `after` differs from `before`, the file it replaces, row by row by the
/// report's key (SPEC 5: company_id and year for company_yearly, and so on): rows whose key is
/// new, rows of the same key with other values, rows whose key is gone. Reads both files as
/// streams, a group of rows at a time (the rows of one key prefix the files are ordered by), so
/// memory stays small whatever their size. nullopt when `before` does not exist or cannot be
/// read as a report (then there is nothing to compare with).
std::optional<store::ReportChange> diff_report(std::string_view name,
                                               const std::filesystem::path& before,
                                               const std::filesystem::path& after);

}  // namespace marquee::report
