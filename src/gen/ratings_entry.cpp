#include "gen/csv_producer.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "gen/random.hpp"
#include "gen/text.hpp"

namespace marquee::gen {
namespace {

/// ratings.csv and ratings_small.csv: userId, movieId (a MovieLens id of links.csv, of
/// links_small.csv for the small file), rating 0.5..5.0 in halves, a Unix timestamp between
/// 1995-01-09 and 2017-08-04. Users come in order, each with a heavy-tailed number of ratings
/// sorted by movieId, as in the real files.
class RatingsProducer final : public CsvProducer {
 public:
  RatingsProducer(const Dataset& data, bool small)
      : data_(data),
        small_(small),
        total_(small ? data.plan().ratings_small : data.plan().ratings) {}
  std::string_view entry_name() const override {
    return small_ ? "ratings_small.csv" : "ratings.csv";
  }
  void report(EntryManifest& entry, Manifest&) const override { entry.details["users"] = user_; }

 protected:
  std::string_view header() const override { return "userId,movieId,rating,timestamp\r\n"; }
  void reset() override {
    user_ = 0;
    written_ = 0;
  }
  bool append_rows(std::string& out) override {
    if (written_ >= total_) {
      return false;
    }
    ++user_;
    Rng rng(mix(stream_key(data_.seed(), Stream::kRatings), small_ ? 1 : 0, user_));
    // Between 2 and 511 ratings, log-uniform: mean about 96, as in the real file.
    int bucket = static_cast<int>(rng.between(1, 8));
    std::uint64_t count = (std::uint64_t{1} << bucket) + rng.below(std::uint64_t{1} << bucket);
    count = std::min(count, total_ - written_);

    std::uint64_t rows = data_.plan().link_rows();
    std::uint64_t pool = small_ ? (rows + 4) / 5 : rows;
    rows_.clear();
    for (std::uint64_t k = 0; k < count; ++k) {
      std::uint64_t row = data_.popular_link_row(rng, pool);
      rows_.push_back(small_ ? row * 5 : row);
    }
    std::sort(rows_.begin(), rows_.end());
    rows_.erase(std::unique(rows_.begin(), rows_.end()), rows_.end());

    constexpr std::int64_t kFirst = 789652009;  // 1995-01-09
    constexpr std::int64_t kLast = 1501804799;  // 2017-08-03 23:59:59
    std::int64_t start = rng.between(kFirst, kLast);
    std::int64_t span = rng.chance(0.5) ? 86400 : rng.chance(0.6) ? 365 * 86400 : kLast - start;
    span = std::min(span, kLast - start);
    for (std::uint64_t row : rows_) {
      append_uint(out, user_);
      out += ',';
      append_uint(out, data_.movielens_id(row));
      out += ',';
      std::uint64_t roll = rng.below(1000);
      // Real shares: 4.0 29%, 3.0 20%, 5.0 15%, 3.5 11%, 4.5 8%, 2.0 7%, 2.5 4%, 1.0 3%...
      static constexpr std::pair<std::uint16_t, std::string_view> kRatings[] = {
          {287, "4.0"}, {488, "3.0"}, {639, "5.0"}, {744, "3.5"}, {821, "4.5"},
          {894, "2.0"}, {938, "2.5"}, {971, "1.0"}, {988, "1.5"}, {1000, "0.5"}};
      for (const auto& [limit, text] : kRatings) {
        if (roll < limit) {
          out += text;
          break;
        }
      }
      out += ',';
      append_uint(out, static_cast<std::uint64_t>(start + rng.between(0, span)));
      out += "\r\n";
    }
    count_row(rows_.size());
    written_ += rows_.size();
    return true;
  }

 private:
  const Dataset& data_;
  bool small_;
  std::uint64_t total_;
  std::uint64_t user_ = 0;
  std::uint64_t written_ = 0;
  std::vector<std::uint64_t> rows_;
};

}  // namespace

std::unique_ptr<CsvProducer> make_ratings_producer(const Dataset& data, bool small) {
  return std::make_unique<RatingsProducer>(data, small);
}

}  // namespace marquee::gen
