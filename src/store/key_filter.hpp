#pragma once

#include <cstdint>
#include <vector>

namespace marquee::store {

/// A Bloom filter of 64-bit keys: "certainly not added" or "perhaps added". A first load of 26
/// million ratings looks a key up in the database only when the filter says perhaps (a duplicate,
/// or about 1% false alarms), in memory fixed by the expected number of keys, not by the file.
class KeyFilter {
 public:
  KeyFilter() = default;
  /// About 10 bits a key (4 probes: 1% false alarms at the expected count), from 64 KiB to
  /// 32 MiB.
  explicit KeyFilter(std::uint64_t expected_keys) {
    std::uint64_t bits = std::uint64_t{1} << 19;
    while (bits < expected_keys * 10 && bits < (std::uint64_t{1} << 28)) bits <<= 1;
    words_.assign(bits / 64, 0);
    mask_ = bits - 1;
  }

  /// Adds the key; true when it was perhaps added before.
  bool add(std::uint64_t key) {
    std::uint64_t h = mix(key);
    const std::uint64_t step = (h >> 32) | 1;
    bool seen = true;
    for (int probe = 0; probe < 4; ++probe, h += step) {
      const std::uint64_t bit = h & mask_;
      std::uint64_t& word = words_[bit >> 6];
      const std::uint64_t m = std::uint64_t{1} << (bit & 63);
      seen = seen && (word & m) != 0;
      word |= m;
    }
    return seen;
  }

 private:
  /// splitmix64's finalizer: every bit of the key moves every bit of the hash.
  static std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  std::vector<std::uint64_t> words_;
  std::uint64_t mask_ = 0;
};

}  // namespace marquee::store
