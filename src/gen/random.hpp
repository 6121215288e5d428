#pragma once

// Deterministic randomness: splitmix64 only, so the bytes depend on the seed and nothing else.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace marquee::gen {

inline constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

constexpr std::uint64_t fmix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  return fmix(fmix(a) ^ (b + kGolden));
}

constexpr std::uint64_t mix(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return mix(mix(a, b), c);
}

/// Independent random streams of one dataset, one per kind of thing generated.
enum class Stream : std::uint64_t {
  kMovie = 1,
  kMovieVariant,
  kMovieIds,
  kImdbIds,
  kLinkIds,
  kCompany,
  kCompanyIds,
  kCollection,
  kCollectionIds,
  kKeywordRow,
  kKeyword,
  kKeywordIds,
  kCreditRow,
  kPerson,
  kPersonIds,
  kRatings,
  kDuplicates,
};

inline std::uint64_t stream_key(std::uint64_t seed, Stream stream) {
  return mix(seed, static_cast<std::uint64_t>(stream));
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() { return fmix(state_ += kGolden); }
  /// Uniform in [0, n); n > 0.
  std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  /// Uniform in [lo, hi].
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  /// True with probability p (IEEE double comparison: the same on every platform).
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
  template <typename T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }
  /// A heavy-tailed rank in [0, n): a power-of-two bucket from first_bucket up is chosen
  /// uniformly, then a rank inside it, so P(rank) falls roughly as 1/rank (Zipf-like).
  std::uint64_t skewed_rank(std::uint64_t n, int first_bucket = 0) {
    int buckets = static_cast<int>(std::bit_width(n));
    if (first_bucket >= buckets) {
      first_bucket = 0;
    }
    int k =
        first_bucket + static_cast<int>(below(static_cast<std::uint64_t>(buckets - first_bucket)));
    std::uint64_t lo = (std::uint64_t{1} << k) - 1;
    std::uint64_t hi = std::min(n, (std::uint64_t{2} << k) - 1);
    return lo + below(hi - lo);
  }

 private:
  std::uint64_t state_;
};

/// A keyed bijection of [0, domain) (a 4-round Feistel network with cycle walking): distinct
/// indexes give distinct ids that look random, with no table.
class Permutation {
 public:
  Permutation(std::uint64_t domain, std::uint64_t key)
      : domain_(std::max<std::uint64_t>(domain, 1)), key_(key) {
    int bits = std::max(2, static_cast<int>(std::bit_width(domain_ - 1)));
    bits += bits % 2;
    half_ = bits / 2;
    mask_ = (std::uint64_t{1} << half_) - 1;
  }
  std::uint64_t operator()(std::uint64_t x) const {
    do {
      x = encrypt(x);
    } while (x >= domain_);
    return x;
  }
  std::uint64_t domain() const { return domain_; }

 private:
  std::uint64_t encrypt(std::uint64_t x) const {
    std::uint64_t left = x >> half_;
    std::uint64_t right = x & mask_;
    for (std::uint64_t round = 0; round < 4; ++round) {
      std::uint64_t next = left ^ (mix(key_, round, right) & mask_);
      left = right;
      right = next;
    }
    return (left << half_) | right;
  }

  std::uint64_t domain_;
  std::uint64_t key_;
  int half_ = 1;
  std::uint64_t mask_ = 1;
};

/// `count` events spread evenly over `slots` positions: event j sits at
/// floor((j + phase/8) * slots / count). Positions never decrease with j.
class Spread {
 public:
  Spread(std::uint64_t count, std::uint64_t slots, std::uint64_t phase_eighths)
      : count_(slots == 0 ? 0 : count), slots_(slots), phase_(phase_eighths) {}
  std::uint64_t count() const { return count_; }
  std::uint64_t at(std::uint64_t j) const {
    auto num = (static_cast<unsigned __int128>(8 * j + phase_)) * slots_;
    return static_cast<std::uint64_t>(num / (static_cast<unsigned __int128>(8) * count_));
  }
  bool contains(std::uint64_t position) const {
    std::uint64_t lo = 0;
    std::uint64_t hi = count_;
    while (lo < hi) {
      std::uint64_t mid = lo + (hi - lo) / 2;
      if (at(mid) < position) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo < count_ && at(lo) == position;
  }

 private:
  std::uint64_t count_;
  std::uint64_t slots_;
  std::uint64_t phase_;
};

/// Walks a Spread in position order: events(position) returns the events at that position.
class SpreadCursor {
 public:
  explicit SpreadCursor(const Spread& spread) : spread_(&spread) {}
  /// [first, last) of the events at `position`; positions must be visited in increasing order.
  std::pair<std::uint64_t, std::uint64_t> events(std::uint64_t position) {
    std::uint64_t first = next_;
    while (next_ < spread_->count() && spread_->at(next_) == position) {
      ++next_;
    }
    return {first, next_};
  }
  void reset() { next_ = 0; }

 private:
  const Spread* spread_;
  std::uint64_t next_ = 0;
};

/// An item of `items` drawn with probability proportional to its `weight`.
template <typename T, std::size_t N>
const T& pick_weighted(Rng& rng, const T (&items)[N]) {
  std::uint64_t total = 0;
  for (const auto& item : items) {
    total += item.weight;
  }
  std::uint64_t roll = rng.below(total);
  for (const auto& item : items) {
    if (roll < item.weight) {
      return item;
    }
    roll -= item.weight;
  }
  return items[N - 1];
}

}  // namespace marquee::gen
