#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/batch_ledger.hpp"
#include "store/postgres_session.hpp"
#include "store/rating_totals.hpp"
#include "store/store.hpp"

namespace marquee::store {

/// The other files of a batch (SPEC 3.5) on PostgreSQL: rows go by COPY into temporary staging
/// tables (in buffers of bounded size), and each file is merged into the model once, set-based,
/// at its end: the last row of each key wins (DISTINCT ON its key, by file order), keys a batch
/// of a newer data time wrote stay, and rating_total takes the difference.
class PostgresDetailWriter {
 public:
  /// `newer_batches`: loaded batches of a newer data time; `behind_snapshot`: a snapshot of a
  /// newer data time is loaded, so nothing is applied.
  PostgresDetailWriter(Session& session, BatchLedger& ledger, std::int64_t batch_id,
                       std::string data_time, std::vector<std::int64_t> newer_batches,
                       bool behind_snapshot);

  void begin_file(dataset::DetailFile file);
  void write_link(const dataset::LinkRow& row);
  void write_keywords(const dataset::KeywordsRow& row);
  void write_credits(const dataset::CreditsRow& row);
  void write_rating(const dataset::RatingRow& row);
  DetailOutcome end_file(dataset::DetailFile file, bool snapshot);

 private:
  /// Sends the buffers once they hold this much: memory stays bounded whatever the file.
  static constexpr std::size_t kFlushBytes = std::size_t{8} << 20;
  void flush_if_full();
  void flush();
  /// The one number a SELECT count(*) returns.
  std::uint64_t select_count(const std::string& sql, std::string_view what);
  DetailOutcome merge_links();
  DetailOutcome merge_keywords();
  DetailOutcome merge_credits();
  DetailOutcome merge_ratings();
  /// Creates `latest`: the last row (by seq) of each `key` of `stage`, with `columns`. Drops
  /// from it the keys a newer batch wrote (`owned_by_newer(alias)`, a condition on the row
  /// named alias) and returns the rows superseded and older than loaded.
  DetailOutcome settle_latest(const std::string& stage, const std::string& latest,
                              std::string_view key, std::string_view columns,
                              const std::function<std::string(char)>& owned_by_newer);

  Session& session_;
  BatchLedger& ledger_;
  std::int64_t batch_id_;
  std::string data_time_;
  std::string newer_;  ///< the newer batches as a PostgreSQL array literal: {3,4}
  bool any_newer_;
  bool behind_snapshot_;
  std::int64_t seq_ = 0;
  /// COPY text per staging table of the current file, with the table's name.
  struct Buffer {
    std::string table;
    std::string rows;
  };
  std::vector<Buffer> buffers_;

  /// A first load of ratings (the table was empty) copies them straight into `rating` while the
  /// file's keys only grow (ratings.csv is ordered by user and movie, as the key): no row can
  /// repeat an earlier one then. From the first row out of order on, rows go to stage_rating and
  /// are merged at the end like a later load's.
  bool ratings_direct_ = false;
  /// The rating key was dropped for a first load and is built again in merge_ratings.
  bool key_dropped_ = false;
  AscendingRatings ratings_order_;
  std::string direct_rows_;
  RatingTotals direct_totals_;
  void flush_direct();
};

}  // namespace marquee::store
