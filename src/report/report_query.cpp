#include "report/report_query.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "common/error.hpp"
#include "report/exact_sum.hpp"

namespace marquee::report {
namespace {

/// How a report's rows are ranked by popularity within each year.
enum class Ranking {
  kNone,
  kRankWithinYear,  ///< fill popularity_rank, the rows of a year in rank order
  kFirstOfYear,     ///< keep each year's rank 1 only
};

Ranking ranking_of(std::string_view report) {
  if (report == "genre_yearly") return Ranking::kRankWithinYear;
  if (report == "most_popular_genre_by_year") return Ranking::kFirstOfYear;
  return Ranking::kNone;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// One column of the report and where its value comes from in the SQL's row.
struct OutputColumn {
  enum class Kind { kCopy, kSum, kMean, kHalvesMean, kRank };
  std::string name;
  Kind kind = Kind::kCopy;
  std::size_t at = 0;  ///< the SQL column (kCopy) or the first of the split sum's columns
};

/// Turns rows of the report SQL into rows of the report (see report_query.hpp).
class Finisher {
 public:
  Finisher(std::string_view report, const store::RowVisitor& visit)
      : report_(report), ranking_(ranking_of(report)), visit_(visit) {}

  /// The report's columns for the SQL's columns; the first call fixes them.
  const std::vector<std::string>& columns(const std::vector<std::string>& sql_columns) {
    if (!planned_) plan(sql_columns);
    return names_;
  }

  void add(const std::vector<std::string>& sql_columns, const std::vector<store::Cell>& row) {
    columns(sql_columns);
    if (ranking_ == Ranking::kNone) {
      // Row by row through one buffer, whose cells keep their capacity from row to row.
      streamed_.cells.resize(plan_.size());
      for (std::size_t i = 0; i < plan_.size(); ++i) {
        store::Cell& cell = streamed_.cells[i];
        if (plan_[i].kind == OutputColumn::Kind::kCopy) {
          const store::Cell& from = row[plan_[i].at];
          if (from) {
            store::assign_cell(cell, *from);
          } else {
            cell.reset();
          }
        } else {
          cell = value_of(plan_[i], row, streamed_);
        }
      }
      visit_(names_, streamed_.cells);
      return;
    }
    Pending pending;
    pending.cells.reserve(plan_.size());
    for (const auto& column : plan_) pending.cells.push_back(value_of(column, row, pending));
    pending.year = integer_of(pending.cells[year_], "year");
    pending.movies = integer_of(pending.cells[movies_], "movies");
    pending.genre_id = integer_of(pending.cells[genre_id_], "genre_id");
    if (!year_rows_.empty() && year_rows_.front().year != pending.year) flush_year();
    year_rows_.push_back(std::move(pending));
  }

  void finish() { flush_year(); }

 private:
  struct Pending {
    std::vector<store::Cell> cells;
    std::optional<Wide> mean;
    Wide year = 0, movies = 0, genre_id = 0;
  };

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(ExitCode::kDatabase,
                fmt::format("report {}: {}; the report SQL and src/report/report_query.hpp "
                            "disagree, rebuild marquee from one revision",
                            report_, what));
  }

  void plan(const std::vector<std::string>& sql) {
    planned_ = true;
    for (std::size_t i = 0; i < sql.size(); ++i) {
      OutputColumn column{sql[i], OutputColumn::Kind::kCopy, i};
      if (ends_with(sql[i], "__e9")) {
        column.name = sql[i].substr(0, sql[i].size() - 4);
        if (i + 1 >= sql.size() || sql[i + 1] != column.name + "__e0") {
          fail(fmt::format("column {} is not followed by {}__e0", sql[i], column.name));
        }
        column.kind = OutputColumn::Kind::kSum;
        ++i;
        if (i + 1 < sql.size() && sql[i + 1] == column.name + "__n") {
          column.kind = OutputColumn::Kind::kMean;
          ++i;
        }
      } else if (ends_with(sql[i], "__halves")) {
        column.name = sql[i].substr(0, sql[i].size() - 8);
        if (i + 1 >= sql.size() || sql[i + 1] != column.name + "__n") {
          fail(fmt::format("column {} is not followed by {}__n", sql[i], column.name));
        }
        column.kind = OutputColumn::Kind::kHalvesMean;
        ++i;
      } else if (ends_with(sql[i], "__e0") || ends_with(sql[i], "__n")) {
        fail(fmt::format("column {} has no __e9 part before it", sql[i]));
      } else if (sql[i] == "popularity_rank") {
        column.kind = OutputColumn::Kind::kRank;
      }
      plan_.push_back(column);
      names_.push_back(column.name);
    }
    if (ranking_ == Ranking::kNone) return;
    year_ = index_of("year");
    movies_ = index_of("movies");
    genre_id_ = index_of("genre_id");
    mean_ = index_of("avg_popularity");
    if (plan_[mean_].kind != OutputColumn::Kind::kMean) fail("avg_popularity is not a split mean");
    auto rank = std::find(names_.begin(), names_.end(), "popularity_rank");
    bool has_rank = rank != names_.end();
    if (has_rank != (ranking_ == Ranking::kRankWithinYear)) {
      fail(has_rank ? "a popularity_rank column it does not write" : "no popularity_rank column");
    }
    rank_ = static_cast<std::size_t>(rank - names_.begin());
  }

  std::size_t index_of(std::string_view name) {
    auto it = std::find(names_.begin(), names_.end(), name);
    if (it == names_.end()) fail(fmt::format("no {} column, which ranking needs", name));
    return static_cast<std::size_t>(it - names_.begin());
  }

  Wide integer_of(const store::Cell& cell, std::string_view column) const {
    std::optional<Wide> v = cell ? parse_wide(*cell) : std::nullopt;
    if (!v) fail(fmt::format("{} is '{}', not an integer", column, cell.value_or("NULL")));
    return *v;
  }

  store::Cell value_of(const OutputColumn& column, const std::vector<store::Cell>& row,
                       Pending& pending) const {
    switch (column.kind) {
      case OutputColumn::Kind::kCopy:
        return row[column.at];
      case OutputColumn::Kind::kRank:
        return std::nullopt;  // filled when the year is complete
      case OutputColumn::Kind::kHalvesMean:
        return halves_mean(column, row);
      case OutputColumn::Kind::kSum:
      case OutputColumn::Kind::kMean:
        break;
    }
    const store::Cell& billions = row[column.at];
    const store::Cell& units = row[column.at + 1];
    if (!billions && !units) return std::nullopt;  // a sum over no values
    Wide sum = combine_split_sum(integer_of(billions, column.name + "__e9"),
                                 integer_of(units, column.name + "__e0"));
    if (column.kind == OutputColumn::Kind::kSum) return to_decimal(sum);
    Wide count = integer_of(row[column.at + 2], column.name + "__n");
    if (count == 0) return std::nullopt;
    Wide mean = rounded_mean(sum, count);
    pending.mean = mean;
    return micros_to_decimal(mean);
  }

  /// A mean of ratings kept in half stars: sum / (2 count), rounded half to even to four
  /// decimals (SPEC 5's avg_rating), i.e. sum * 5000 / count in ten-thousandths.
  store::Cell halves_mean(const OutputColumn& column, const std::vector<store::Cell>& row) const {
    if (!row[column.at] || !row[column.at + 1]) return std::nullopt;
    Wide count = integer_of(row[column.at + 1], column.name + "__n");
    if (count == 0) return std::nullopt;
    Wide halves = integer_of(row[column.at], column.name + "__halves");
    return fixed_point_to_decimal(rounded_mean(halves * 5000, count), 4);
  }

  /// Ranks the rows of one year (SPEC 5) and hands them on in rank order.
  void flush_year() {
    std::sort(year_rows_.begin(), year_rows_.end(), [](const Pending& a, const Pending& b) {
      if (a.mean.has_value() != b.mean.has_value()) return a.mean.has_value();  // empty last
      if (a.mean && *a.mean != *b.mean) return *a.mean > *b.mean;
      if (a.movies != b.movies) return a.movies > b.movies;
      return a.genre_id < b.genre_id;
    });
    std::size_t rank = 0;
    for (auto& row : year_rows_) {
      ++rank;
      if (ranking_ == Ranking::kFirstOfYear) {
        visit_(names_, row.cells);
        break;
      }
      row.cells[rank_] = std::to_string(rank);
      visit_(names_, row.cells);
    }
    year_rows_.clear();
  }

  std::string report_;
  Ranking ranking_;
  const store::RowVisitor& visit_;
  bool planned_ = false;
  std::vector<OutputColumn> plan_;
  std::vector<std::string> names_;
  std::size_t year_ = 0, movies_ = 0, genre_id_ = 0, mean_ = 0, rank_ = 0;
  std::vector<Pending> year_rows_;  ///< one year's groups: a few dozen genres, never the table
  Pending streamed_;                ///< the row being handed on, for a report without ranking
};

}  // namespace

std::vector<std::string> read_report(store::Store& store, std::string_view name,
                                     const store::RowVisitor& visit) {
  return read_report(store, name, store::report_sql(name), {}, visit);
}

std::vector<std::string> read_report(store::Store& store, std::string_view name,
                                     std::string_view sql, std::span<const store::Param> params,
                                     const store::RowVisitor& visit) {
  Finisher finisher(name, visit);
  auto sql_columns =
      store.query(sql, params,
                  [&](const std::vector<std::string>& columns,
                      const std::vector<store::Cell>& row) { finisher.add(columns, row); });
  finisher.finish();
  return finisher.columns(sql_columns);
}

}  // namespace marquee::report
