#include "gen/csv_producer.hpp"

#include "gen/random.hpp"
#include "gen/text.hpp"

namespace marquee::gen {
namespace {

/// links.csv and links_small.csv (every fifth row of links.csv): the MovieLens id, the IMDb
/// number zero-padded to 7 digits, and the TMDB id, empty for some rows and repeated for the
/// duplicated movies.
class LinksProducer final : public CsvProducer {
 public:
  LinksProducer(const Dataset& data, bool small)
      : data_(data),
        small_(small),
        duplicates_(data.duplicates()),
        empty_(data.empty_links()),
        orphans_(data.orphan_links()) {}
  std::string_view entry_name() const override { return small_ ? "links_small.csv" : "links.csv"; }
  void report(EntryManifest& entry, Manifest&) const override {
    entry.details["empty_tmdb_ids"] = empty_tmdb_;
    entry.details["repeated_tmdb_rows"] = repeated_;
    entry.details["tmdb_ids_not_in_movies"] = orphan_;
  }

 protected:
  std::string_view header() const override { return "movieId,imdbId,tmdbId\r\n"; }
  void reset() override {
    movie_ = 0;
    row_ = 0;
    copies_ = 0;
    duplicates_.reset();
    empty_.reset();
    orphans_.reset();
    empty_tmdb_ = repeated_ = orphan_ = 0;
  }
  bool append_rows(std::string& out) override {
    const Plan& plan = data_.plan();
    if (movie_ >= plan.movies) {
      return false;
    }
    write(out, data_.imdb_number(movie_), data_.tmdb_id(movie_));
    auto [first, last] = duplicates_.events(movie_);
    for (std::uint64_t j = first; j < last; ++j) {
      for (std::uint64_t copy = 0; copy < data_.duplicate_copies(j); ++copy) {
        repeated_ += write(out, data_.imdb_number(plan.movies + copies_++),
                           data_.tmdb_id(data_.duplicate_source(j)));
      }
    }
    auto [empty_first, empty_last] = empty_.events(movie_);
    for (std::uint64_t k = empty_first; k < empty_last; ++k) {
      empty_tmdb_ += write(out, data_.imdb_number(plan.movies + plan.extra_copies() + k), 0);
    }
    auto [orphan_first, orphan_last] = orphans_.events(movie_);
    for (std::uint64_t k = orphan_first; k < orphan_last; ++k) {
      orphan_ += write(
          out, data_.imdb_number(plan.movies + plan.extra_copies() + plan.empty_tmdb_links + k),
          data_.orphan_tmdb_id(k));
    }
    ++movie_;
    return true;
  }

 private:
  /// Writes link row row_ (when this file keeps it); tmdb 0 writes an empty tmdbId.
  std::uint64_t write(std::string& out, std::uint64_t imdb, std::uint64_t tmdb) {
    std::uint64_t row = row_++;
    if (small_ && row % 5 != 0) {
      return 0;
    }
    append_uint(out, data_.movielens_id(row));
    out += ',';
    append_padded(out, imdb, 7);
    out += ',';
    if (tmdb != 0) {
      append_uint(out, tmdb);
    }
    out += "\r\n";
    count_row();
    return 1;
  }

  const Dataset& data_;
  bool small_;
  SpreadCursor duplicates_;
  SpreadCursor empty_;
  SpreadCursor orphans_;
  std::uint64_t movie_ = 0;
  std::uint64_t row_ = 0;
  std::uint64_t copies_ = 0;
  std::uint64_t empty_tmdb_ = 0;
  std::uint64_t repeated_ = 0;
  std::uint64_t orphan_ = 0;
};

}  // namespace

std::unique_ptr<CsvProducer> make_links_producer(const Dataset& data, bool small) {
  return std::make_unique<LinksProducer>(data, small);
}

}  // namespace marquee::gen
