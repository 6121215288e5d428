#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataset/detail_rows.hpp"

namespace marquee::store {

/// Whether a file's ratings have so far come in strictly ascending key order (user, then
/// movie), as ratings.csv keeps them: while they do, no rating can repeat an earlier one, so a
/// first load appends without looking anything up. Once broken, it stays broken.
class AscendingRatings {
 public:
  /// Takes the next rating; true while every rating so far came after the one before it.
  bool take(const dataset::RatingRow& row) {
    if (!ascending_) return false;
    const auto user = static_cast<std::uint64_t>(row.user_id);
    const auto movie = static_cast<std::uint64_t>(row.movielens_id);
    ascending_ = user > user_ || (user == user_ && movie > movie_);
    user_ = user;
    movie_ = movie;
    return ascending_;
  }

 private:
  bool ascending_ = true;
  std::uint64_t user_ = 0, movie_ = 0;
};

/// What a batch adds to (or takes from) rating_total, by MovieLens id, in one flat
/// open-addressing table: a few tens of thousands of movies, so a lookup per rating stays in the
/// cache where a node-based map missed it every time.
class RatingTotals {
 public:
  struct Delta {
    std::int64_t ratings = 0;
    std::int64_t halves = 0;  ///< the ratings' sum in half stars
  };

  void add(std::int64_t movielens_id, std::int64_t ratings, std::int64_t halves) {
    Delta& d = slot(movielens_id);
    d.ratings += ratings;
    d.halves += halves;
  }

  /// Calls visit(movielens_id, delta) for each movie whose total changes.
  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (const auto& s : slots_) {
      if (s.movielens_id != 0 && (s.delta.ratings != 0 || s.delta.halves != 0)) {
        visit(s.movielens_id, s.delta);
      }
    }
  }

  void clear() {
    slots_ = {};
    used_ = 0;
  }

 private:
  struct Slot {
    std::int64_t movielens_id = 0;  ///< 0: empty (ids are positive)
    Delta delta;
  };

  Delta& slot(std::int64_t movielens_id) {
    if (2 * (used_ + 1) > slots_.size()) grow();  // at most half full: short probes
    const std::size_t mask = slots_.size() - 1;
    std::size_t at = static_cast<std::size_t>(
                         (static_cast<std::uint64_t>(movielens_id) * 0x9E3779B97F4A7C15ULL) >> 20) &
                     mask;
    while (slots_[at].movielens_id != movielens_id) {
      if (slots_[at].movielens_id == 0) {
        slots_[at].movielens_id = movielens_id;
        ++used_;
        break;
      }
      at = (at + 1) & mask;
    }
    return slots_[at].delta;
  }

  void grow() {
    std::vector<Slot> old(slots_.empty() ? std::size_t{1} << 16 : slots_.size() * 2);
    old.swap(slots_);
    used_ = 0;
    for (const auto& s : old) {
      if (s.movielens_id != 0) slot(s.movielens_id) = s.delta;
    }
  }

  std::vector<Slot> slots_;
  std::size_t used_ = 0;
};

}  // namespace marquee::store
