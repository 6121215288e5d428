#include "gen/csv_producer.hpp"

namespace marquee::gen {

void CsvProducer::restart() {
  header_written_ = false;
  done_ = false;
  rows_ = 0;
  bytes_ = 0;
  reset();
}

bool CsvProducer::produce(std::string& out) {
  std::size_t before = out.size();
  if (!header_written_) {
    out += header();
    header_written_ = true;
  }
  while (!done_ && out.size() - before < kChunk) {
    done_ = !append_rows(out);
  }
  bytes_ += out.size() - before;
  return out.size() > before;
}

}  // namespace marquee::gen
