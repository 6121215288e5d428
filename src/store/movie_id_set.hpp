#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_set>
#include <vector>

namespace marquee::store {

/// The movie ids a batch has written: superseded detection without a query per record. Real
/// TMDB ids are small, so a bitmap holds them in a few hundred KiB (it grows with the largest
/// id, not with the number of movies); others go to a hash set.
class MovieIdSet {
 public:
  /// True when the id was not in the set.
  bool insert(std::int64_t id) {
    if (id >= 0 && id < kDenseLimit) {
      auto i = static_cast<std::size_t>(id);
      if (i / 64 >= bits_.size()) bits_.resize(std::max(i / 64 + 1, bits_.size() * 2), 0);
      std::uint64_t mask = std::uint64_t{1} << (i % 64);
      if ((bits_[i / 64] & mask) != 0) return false;
      bits_[i / 64] |= mask;
      return true;
    }
    return sparse_.insert(id).second;
  }

 private:
  static constexpr std::int64_t kDenseLimit = std::int64_t{1} << 28;  // 32 MiB of bits at most
  std::vector<std::uint64_t> bits_;
  std::unordered_set<std::int64_t> sparse_;
};

}  // namespace marquee::store
