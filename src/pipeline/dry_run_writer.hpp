#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

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
  store::BatchCounts commit(const store::BatchCounts& counts, bool) override { return counts; }
  void rollback(const std::string&) override {}
  /// Of the surviving records (the last of each id), those without a release year.
  std::uint64_t movies_without_year() const {
    std::uint64_t n = 0;
    for (const auto& [id, has_year] : has_year_) n += has_year ? 0 : 1;
    return n;
  }

 private:
  std::unordered_map<std::int64_t, bool> has_year_;
};

}  // namespace marquee::pipeline
