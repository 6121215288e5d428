#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace marquee::report {

/// Runs the report `name` (sql/reports/<name>.sql) and hands each row, as SPEC 5 defines it, to
/// `visit`; returns the report's columns (also when it has no rows). Report files and the API
/// both read reports here, so they cannot disagree.
///
/// The SQL does what SQL does exactly on both engines (joins, groups, counts) and leaves to this
/// function the arithmetic that 64-bit SQL cannot do exactly. Its columns follow a convention:
///   X__e9, X__e0             the sum of X split as SUM(x / 10^9), SUM(x % 10^9): written as X,
///                            the exact total of any size;
///   X__e9, X__e0, X__n       with a count: written as X, the mean of the sum in millionths over
///                            the count, rounded half to even, six decimals (empty when n = 0);
///   X__halves, X__n          a sum of ratings in half stars and their count: written as X, the
///                            mean rating rounded half to even, four decimals (empty when n = 0);
///   popularity_rank          filled here: within each year (the SQL orders by year), genres by
///                            avg_popularity as written descending (empty last), movies
///                            descending, genre_id ascending; the rows of a year in rank order.
/// most_popular_genre_by_year keeps each year's rank 1 and writes no rank column.
std::vector<std::string> read_report(store::Store& store, std::string_view name,
                                     const store::RowVisitor& visit);
/// The same over `sql`, a variant of the report's SQL with the same columns (a patch reads only
/// the rows that changed: report_patch.hpp), with `params` bound to its `?`.
std::vector<std::string> read_report(store::Store& store, std::string_view name,
                                     std::string_view sql, std::span<const store::Param> params,
                                     const store::RowVisitor& visit);

}  // namespace marquee::report
