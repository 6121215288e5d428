#include "gen/csv_producer.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <utility>

#include "format/csv_field.hpp"
#include "gen/names.hpp"
#include "gen/random.hpp"
#include "gen/text.hpp"

namespace marquee::gen {
namespace {

/// keywords.csv: id, keywords ([{'id': 931, 'name': 'jealousy'}, ...] sorted by id), with exact
/// duplicate rows as in the real file.
class KeywordsProducer final : public CsvProducer {
 public:
  explicit KeywordsProducer(const Dataset& data) : data_(data), copies_(data.keyword_copies()) {}
  std::string_view entry_name() const override { return "keywords.csv"; }
  void report(EntryManifest& entry, Manifest&) const override {
    entry.details["identical_copies"] = identical_;
  }

 protected:
  std::string_view header() const override { return "id,keywords\n"; }
  void reset() override {
    movie_ = 0;
    identical_ = 0;
    copies_.reset();
  }
  bool append_rows(std::string& out) override {
    if (movie_ >= data_.plan().movies) {
      return false;
    }
    std::size_t start = out.size();
    append_row(out);
    count_row();
    auto [first, last] = copies_.events(movie_);
    if (first < last) {
      scratch_.assign(out, start, out.size() - start);
    }
    for (std::uint64_t k = first; k < last; ++k) {
      out += scratch_;
      count_row();
      ++identical_;
    }
    ++movie_;
    return true;
  }

 private:
  void append_row(std::string& out) {
    Rng rng(mix(stream_key(data_.seed(), Stream::kKeywordRow), movie_));
    append_uint(out, data_.tmdb_id(movie_));
    out += ',';
    scratch_.assign(1, '[');
    if (!rng.chance(0.32)) {
      std::uint64_t count = 1 + std::min(rng.below(12), rng.below(12));
      std::array<std::pair<std::uint64_t, std::uint64_t>, 12> chosen{};  // (id, rank)
      std::uint64_t n = 0;
      for (std::uint64_t k = 0; k < count; ++k) {
        std::uint64_t rank = rng.skewed_rank(data_.plan().keywords, 1);
        std::uint64_t id = data_.keyword_id(rank);
        auto end = chosen.begin() + static_cast<std::ptrdiff_t>(n);
        if (std::find_if(chosen.begin(), end, [&](const auto& c) { return c.first == id; }) ==
            end) {
          chosen[n++] = {id, rank};
        }
      }
      sort_small(chosen.data(), chosen.data() + n, std::less<>{});
      for (std::uint64_t k = 0; k < n; ++k) {
        if (k > 0) {
          scratch_ += ", ";
        }
        scratch_ += "{'id': ";
        append_uint(scratch_, chosen[k].first);
        scratch_ += ", 'name': ";
        append_py_str(scratch_, keyword_name(data_, chosen[k].second, chosen[k].first));
        scratch_ += '}';
      }
    }
    scratch_ += ']';
    format::append_csv_field(out, scratch_);
    out += '\n';
  }

  const Dataset& data_;
  SpreadCursor copies_;
  std::uint64_t movie_ = 0;
  std::uint64_t identical_ = 0;
  std::string scratch_;
};

}  // namespace

std::unique_ptr<CsvProducer> make_keywords_producer(const Dataset& data) {
  return std::make_unique<KeywordsProducer>(data);
}

}  // namespace marquee::gen
