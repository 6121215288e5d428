#include "dataset/content_hash.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "dataset/movie_columns.hpp"

namespace marquee::dataset {
namespace {

/// Each value goes in with a tag and, for text, its length, so that no two different rows
/// serialize alike ("ab" + "c" is not "a" + "bc"; NULL is not "").
class Digest {
 public:
  void null() { byte(0); }
  void text(std::string_view s) {
    byte(1);
    integer(static_cast<std::int64_t>(s.size()));
    bytes_.append(s);
  }
  void integer(std::int64_t v) {
    byte(2);
    char raw[sizeof v];
    std::memcpy(raw, &v, sizeof v);
    bytes_.append(raw, sizeof v);
  }
  void real(double v) {
    byte(3);
    char raw[sizeof v];
    std::memcpy(raw, &v, sizeof v);
    bytes_.append(raw, sizeof v);
  }
  template <typename T>
  void optional(const std::optional<T>& value) {
    if (!value) return null();
    if constexpr (std::is_same_v<T, std::string>) {
      text(*value);
    } else if constexpr (std::is_floating_point_v<T>) {
      real(*value);
    } else {
      integer(static_cast<std::int64_t>(*value));
    }
  }
  void byte(char b) { bytes_.push_back(b); }

  /// 8 bytes at a time, multiply and fold, then a final avalanche (the finalizer of
  /// SplitMix64): every input bit reaches every output bit.
  std::uint64_t finish() const {
    std::uint64_t h = 0x243F6A8885A308D3ULL ^ bytes_.size();
    std::size_t i = 0;
    for (; i + 8 <= bytes_.size(); i += 8) {
      std::uint64_t word;
      std::memcpy(&word, bytes_.data() + i, 8);
      h = (h ^ mix(word)) * 0x9E3779B97F4A7C15ULL;
      h ^= h >> 29;
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, bytes_.data() + i, bytes_.size() - i);
    h = (h ^ mix(tail ^ (bytes_.size() - i))) * 0x9E3779B97F4A7C15ULL;
    return mix(h);
  }

 private:
  static std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return x;
  }
  std::string bytes_;
};

template <typename Item, typename Key>
std::vector<const Item*> sorted_by(const std::vector<Item>& items, Key key) {
  std::vector<const Item*> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(&item);
  std::sort(out.begin(), out.end(), [&](const Item* a, const Item* b) {
    return key(*a) != key(*b) ? key(*a) < key(*b) : a->name < b->name;
  });
  return out;
}

}  // namespace

std::int64_t content_hash(const MovieRow& row) {
  Digest d;
  d.integer(row.id);
  for (const auto& column : kMovieColumns) {
    std::visit(
        [&](auto field) {
          if constexpr (std::is_member_object_pointer_v<decltype(field)>) {
            d.optional(row.*field);
          } else {
            d.optional(field(row));
          }
        },
        column.field);
  }
  if (row.collection) {
    d.byte('C');
    d.optional(row.collection->name);
    d.optional(row.collection->poster_path);
    d.optional(row.collection->backdrop_path);
  }
  auto named = [&](char tag, const std::vector<NamedItem>& items) {
    d.byte(tag);
    d.integer(static_cast<std::int64_t>(items.size()));
    for (const NamedItem* item : sorted_by(items, [](const NamedItem& i) { return i.id; })) {
      d.integer(item->id);
      d.text(item->name);
    }
  };
  auto coded = [&](char tag, const std::vector<CodedItem>& items) {
    d.byte(tag);
    d.integer(static_cast<std::int64_t>(items.size()));
    for (const CodedItem* item :
         sorted_by(items, [](const CodedItem& i) -> const std::string& { return i.code; })) {
      d.text(item->code);
      d.text(item->name);
    }
  };
  named('G', row.genres);
  named('P', row.companies);
  coded('N', row.countries);
  coded('L', row.languages);
  return static_cast<std::int64_t>(d.finish());
}

}  // namespace marquee::dataset
