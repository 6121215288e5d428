#pragma once

// The entries of the archive, each a restartable producer of CSV bytes.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gen/generator.hpp"
#include "gen/layout.hpp"

namespace marquee::gen {

class CsvProducer {
 public:
  virtual ~CsvProducer() = default;
  /// Back to the first byte, counts reset (libzip may open a source more than once).
  void restart();
  /// Appends the next chunk of about 64 KiB to `out`; false once everything was produced.
  bool produce(std::string& out);
  std::uint64_t rows() const { return rows_; }
  std::uint64_t bytes() const { return bytes_; }
  virtual std::string_view entry_name() const = 0;
  virtual void report(EntryManifest& entry, Manifest& manifest) const = 0;

 protected:
  static constexpr std::size_t kChunk = 64 * 1024;
  virtual std::string_view header() const = 0;
  virtual void reset() = 0;
  /// Appends the next row or rows (counting them with count_row); false when there are none.
  virtual bool append_rows(std::string& out) = 0;
  void count_row(std::uint64_t n = 1) { rows_ += n; }

 private:
  bool header_written_ = false;
  bool done_ = false;
  std::uint64_t rows_ = 0;
  std::uint64_t bytes_ = 0;
};

/// movies_metadata.csv, with the duplicated ids and their identical or conflicting copies.
std::unique_ptr<CsvProducer> make_movies_producer(const Dataset& data);
/// links.csv, or links_small.csv (every fifth row) when `small`.
std::unique_ptr<CsvProducer> make_links_producer(const Dataset& data, bool small);
std::unique_ptr<CsvProducer> make_keywords_producer(const Dataset& data);
std::unique_ptr<CsvProducer> make_credits_producer(const Dataset& data);
/// ratings.csv, or ratings_small.csv (over the movies of links_small.csv) when `small`.
std::unique_ptr<CsvProducer> make_ratings_producer(const Dataset& data, bool small);

}  // namespace marquee::gen
