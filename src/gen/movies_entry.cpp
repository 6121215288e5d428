#include "gen/csv_producer.hpp"

#include "gen/movie_record.hpp"
#include "gen/random.hpp"

namespace marquee::gen {
namespace {

class MoviesProducer final : public CsvProducer {
 public:
  explicit MoviesProducer(const Dataset& data) : data_(data), duplicates_(data.duplicates()) {}
  std::string_view entry_name() const override { return "movies_metadata.csv"; }
  void report(EntryManifest& entry, Manifest& manifest) const override {
    manifest.movies = counts_;
    entry.details["distinct_ids"] = counts_.distinct_ids;
    entry.details["duplicate_extra_copies"] = counts_.duplicate_extra_copies;
    entry.details["bare_cr_records"] = counts_.bare_cr_records;
    entry.details["empty_release_dates"] = counts_.empty_release_dates;
  }

 protected:
  std::string_view header() const override { return kMoviesHeader; }
  void reset() override {
    movie_ = 0;
    duplicates_.reset();
    counts_ = MoviesManifest{};
  }
  bool append_rows(std::string& out) override {
    if (movie_ >= data_.plan().movies) {
      return false;
    }
    MovieFacts facts = append_movie(out, data_, movie_, 0);
    note(facts);
    counts_.distinct_ids += 1;
    counts_.empty_release_dates += facts.empty_date ? 1 : 0;

    auto [first, last] = duplicates_.events(movie_);
    for (std::uint64_t j = first; j < last; ++j) {
      std::uint64_t source = data_.duplicate_source(j);
      bool identical = data_.duplicate_identical(j);
      counts_.duplicated_ids += 1;
      bool previous_empty = facts_of(source, 0).empty_date;
      for (std::uint64_t copy = 0; copy < data_.duplicate_copies(j); ++copy) {
        std::uint64_t variant = identical ? 0 : data_.first_copy_index(j) + copy + 1;
        MovieFacts copied = append_movie(out, data_, source, variant);
        note(copied);
        counts_.duplicate_extra_copies += 1;
        (identical ? counts_.identical_copies : counts_.conflicting_copies) += 1;
        // The last record of an id is the one that loads: track its date.
        counts_.empty_release_dates -= previous_empty ? 1 : 0;
        counts_.empty_release_dates += copied.empty_date ? 1 : 0;
        previous_empty = copied.empty_date;
      }
    }
    ++movie_;
    return true;
  }

 private:
  void note(const MovieFacts& facts) {
    counts_.records += 1;
    counts_.bare_cr_records += facts.bare_cr ? 1 : 0;
    count_row();
  }
  MovieFacts facts_of(std::uint64_t movie, std::uint64_t variant) const {
    std::string discard;
    return append_movie(discard, data_, movie, variant);
  }

  const Dataset& data_;
  SpreadCursor duplicates_;
  std::uint64_t movie_ = 0;
  MoviesManifest counts_;
};

}  // namespace

std::unique_ptr<CsvProducer> make_movies_producer(const Dataset& data) {
  return std::make_unique<MoviesProducer>(data);
}

}  // namespace marquee::gen
