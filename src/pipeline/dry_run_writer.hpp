#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "store/store.hpp"

namespace marquee::pipeline {

/// The batch of a validation (`marquee validate`, `load --dry-run`): it takes every record the
/// rules accept and keeps only their ids, so that the counts are the ones a load would report
/// for the file (later duplicates supersede earlier ones), and nothing reaches a database.
/// What a load also finds in the database (versions of a newer data time) it cannot know.
class DryRunWriter final : public store::BatchWriter {
 public:
  bool upsert_movie(const dataset::MovieRow& row) override {
    auto [it, first] = has_year_.insert_or_assign(row.id, row.release_year.has_value());
    return !first;
  }
  store::BatchCounts finish_movies(const store::BatchCounts& counts, bool) override {
    return counts;
  }
  std::vector<std::int64_t> movie_ids() override {
    std::vector<std::int64_t> ids;
    ids.reserve(has_year_.size());
    for (const auto& [id, has_year] : has_year_) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  void begin_detail_file(dataset::DetailFile, std::uint64_t) override {
    keys_.clear();
    user_ = 0;
    user_movies_.clear();
    outcome_ = {};
  }
  void write_link(const dataset::LinkRow& row) override { note(row.movielens_id); }
  void write_keywords(const dataset::KeywordsRow& row) override { note(row.movie_id); }
  void write_credits(const dataset::CreditsRow& row) override { note(row.movie_id); }
  /// Duplicates are found within a run of one user's ratings (ratings.csv keeps a user's
  /// ratings together): holding every (user, movie) pair of 26 million would not stay small.
  void write_rating(const dataset::RatingRow& row) override {
    if (row.user_id != user_) {
      user_ = row.user_id;
      user_movies_.clear();
    }
    if (!user_movies_.insert(row.movielens_id).second) ++outcome_.superseded;
  }
  store::DetailOutcome end_detail_file(dataset::DetailFile, bool) override { return outcome_; }
  void commit_loaded(const std::vector<store::FileRecord>&) override {}
  void rollback(const std::string&) override {}
  /// Of the surviving records (the last of each id), those without a release year.
  std::uint64_t movies_without_year() const {
    std::uint64_t n = 0;
    for (const auto& [id, has_year] : has_year_) n += has_year ? 0 : 1;
    return n;
  }

 private:
  void note(std::int64_t key) {
    if (!keys_.insert(key).second) ++outcome_.superseded;
  }
  std::unordered_map<std::int64_t, bool> has_year_;
  std::unordered_set<std::int64_t> keys_;
  std::int64_t user_ = 0;
  std::unordered_set<std::int64_t> user_movies_;
  store::DetailOutcome outcome_;
};

}  // namespace marquee::pipeline
