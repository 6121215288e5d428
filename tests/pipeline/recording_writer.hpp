#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace marquee::pipeline::testing_support {

/// A BatchWriter that keeps what it is given: every movie upsert in order and the movie each id
/// holds now, and every row of the other files, with the last row of a key winning as in the
/// stores.
class RecordingWriter : public store::BatchWriter {
 public:
  RecordingWriter() { batch_id_ = 7; }
  bool upsert_movie(const dataset::MovieRow& row) override {
    upserts.push_back(row);
    return !movies.insert_or_assign(row.id, row).second;
  }
  store::BatchCounts finish_movies(const store::BatchCounts& counts, bool) override {
    return counts;
  }
  std::vector<std::int64_t> movie_ids() override {
    std::vector<std::int64_t> ids;
    for (const auto& [id, movie] : movies) ids.push_back(id);
    return ids;
  }
  void begin_detail_file(dataset::DetailFile, std::uint64_t) override { outcome = {}; }
  void write_link(const dataset::LinkRow& row) override {
    note(!links.insert_or_assign(row.movielens_id, row).second);
  }
  void write_keywords(const dataset::KeywordsRow& row) override {
    note(!keywords.insert_or_assign(row.movie_id, row).second);
  }
  void write_credits(const dataset::CreditsRow& row) override {
    note(!credits.insert_or_assign(row.movie_id, row).second);
  }
  void write_rating(const dataset::RatingRow& row) override {
    note(!ratings.insert_or_assign({row.user_id, row.movielens_id}, row).second);
  }
  store::DetailOutcome end_detail_file(dataset::DetailFile, bool) override { return outcome; }
  void commit_loaded(const std::vector<store::FileRecord>&) override {}
  void rollback(const std::string&) override {}

  std::vector<dataset::MovieRow> upserts;
  std::map<std::int64_t, dataset::MovieRow> movies;
  std::map<std::int64_t, dataset::LinkRow> links;
  std::map<std::int64_t, dataset::KeywordsRow> keywords;
  std::map<std::int64_t, dataset::CreditsRow> credits;
  std::map<std::pair<std::int64_t, std::int64_t>, dataset::RatingRow> ratings;
  store::DetailOutcome outcome;

 private:
  void note(bool superseded) {
    if (superseded) ++outcome.superseded;
  }
};

}  // namespace marquee::pipeline::testing_support
