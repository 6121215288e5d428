#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

#include "format/byte_source.hpp"
#include "format/csv_reader.hpp"

namespace {

using marquee::format::ByteSource;
using marquee::format::CsvReader;
using marquee::format::CsvRecord;

// Reads a string it does not own, so that every iteration reads the same bytes without copying
// the whole input first (string_source would).
class ViewSource final : public ByteSource {
 public:
  explicit ViewSource(std::string_view data) : data_(data) {}
  std::size_t read(std::span<char> buf) override {
    const std::size_t n = std::min(buf.size(), data_.size() - pos_);
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string_view data_;
  std::string name_ = "movies_metadata.csv (generated)";
  std::size_t pos_ = 0;
};

// About 30 MB shaped like movies_metadata.csv: 24 columns, Python-literal columns quoted and full
// of commas, long quoted overviews, some with doubled quotes or line breaks, short bare numbers.
std::string generate_movies_csv(std::size_t target_bytes) {
  std::mt19937_64 random(45466);
  const auto pick = [&](std::uint64_t n) { return random() % n; };
  const std::string words[] = {"the",    "a",      "young",  "woman",  "discovers", "secret",
                               "family", "town",   "war",    "love",   "journey",   "must",
                               "before", "finds",  "city",   "friend", "Woody",     "Andy's",
                               "toys",   "father", "mother", "Москва", "東京",      "détective"};
  const auto text = [&](std::size_t n_words, bool may_escape) {
    std::string out;
    for (std::size_t i = 0; i < n_words; ++i) {
      if (i > 0) {
        out += pick(9) == 0 ? ", " : " ";
      }
      out += words[pick(std::size(words))];
      if (may_escape && pick(400) == 0) {
        out += " \"\"quoted\"\"";
      }
      if (may_escape && pick(150) == 0) {
        out += "\n";
      }
    }
    return out;
  };
  std::string csv =
      "adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,"
      "original_title,overview,popularity,poster_path,production_companies,production_countries,"
      "release_date,revenue,runtime,spoken_languages,status,tagline,title,video,vote_average,"
      "vote_count\n";
  std::uint64_t id = 862;
  const auto add = [&csv](const auto&... parts) { (csv.append(std::string_view(parts)), ...); };
  const auto num = [](std::uint64_t n) { return std::to_string(n); };
  while (csv.size() < target_bytes) {
    id += 1 + pick(50);
    const std::string title = text(1 + pick(4), false);
    add("False,");
    if (pick(10) == 0) {
      add("\"{'id': ", num(pick(500000)), ", 'name': '", title,
          " Collection', 'poster_path': '/7G9915LfUQ2lVfwMEEhDsn3kT4B.jpg', 'backdrop_path': "
          "'/9FBwqcd9IRruEDUrTdcaafOMKUq.jpg'}\"");
    }
    add(",", num(pick(4) == 0 ? pick(100000000) : 0), ",\"[");
    for (std::uint64_t g = 0, n = pick(4); g < n; ++g) {
      add(g ? ", " : "", "{'id': ", num(pick(11000)), ", 'name': 'Comedy'}");
    }
    add("]\",");
    if (pick(5) == 0) {
      add("http://www.example.com/movies/", num(id));
    }
    add(",", num(id), ",tt0", num(100000 + pick(900000)), ",en,", title, ",\"",
        text(20 + pick(100), true), "\",", num(pick(100)), ".", num(pick(1000000)),
        ",/rhIRbceoE9lR4veEXuwCC2wARtG.jpg,\"[");
    for (std::uint64_t c = 0, n = pick(4); c < n; ++c) {
      if (pick(20) == 0) {
        add(c ? ", " : "", "{'name': \"\"Po' Boy Productions\"\", 'id': ", num(pick(90000)), "}");
      } else {
        add(c ? ", " : "", "{'name': '", text(2, false), "', 'id': ", num(pick(90000)), "}");
      }
    }
    add("]\",\"[{'iso_3166_1': 'US', 'name': 'United States of America'}]\",1995-10-30,",
        num(pick(3) == 0 ? pick(400000000) : 0), ",", num(60 + pick(120)),
        ".0,\"[{'iso_639_1': 'en', 'name': 'English'}]\",Released,");
    if (pick(3) == 0) {
      add("\"", text(5 + pick(8), true), "\"");
    }
    add(",", title, ",False,", num(pick(10)), ".", num(pick(10)), ",", num(pick(6000)), "\n");
  }
  return csv;
}

const std::string& movies_csv() {
  static const std::string csv = generate_movies_csv(std::size_t{32} << 20);
  return csv;
}

void BM_CsvReader(benchmark::State& state) {
  const std::string& csv = movies_csv();
  std::size_t records = 0;
  for (auto _ : state) {
    ViewSource source(csv);
    CsvReader reader(source);
    CsvRecord record;
    records = 0;
    std::size_t field_bytes = 0;
    while (reader.next(record)) {
      ++records;
      field_bytes += record.fields.back().size();
    }
    benchmark::DoNotOptimize(field_bytes);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * csv.size()));
  state.counters["records"] = static_cast<double>(records);
}
BENCHMARK(BM_CsvReader)->Unit(benchmark::kMillisecond)->Repetitions(3);

// The floor: finding every '\n' with memchr, the least any reader of the same bytes must do.
void BM_MemchrNewlines(benchmark::State& state) {
  const std::string& csv = movies_csv();
  for (auto _ : state) {
    std::size_t lines = 0;
    const char* p = csv.data();
    const char* const end = p + csv.size();
    while ((p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr) {
      ++lines;
      ++p;
    }
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * csv.size()));
}
BENCHMARK(BM_MemchrNewlines)->Unit(benchmark::kMillisecond)->Repetitions(3);

// Prints as usual and keeps each benchmark's best CPU time per iteration for the ratio at the
// end. CPU time, and the best of the repetitions, because the machines this runs on are shared:
// wall time there measures the neighbours as much as the code.
class RatioReporter final : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && !run.error_occurred) {
        const double per_iteration = run.cpu_accumulated_time / static_cast<double>(run.iterations);
        const auto [it, added] = seconds.emplace(run.run_name.function_name, per_iteration);
        if (!added) {
          it->second = std::min(it->second, per_iteration);
        }
      }
    }
  }
  std::map<std::string, double> seconds;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  std::printf("generated %.1f MB of movies_metadata-like CSV\n",
              static_cast<double>(movies_csv().size()) / 1e6);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  const auto reader = reporter.seconds.find("BM_CsvReader");
  const auto scan = reporter.seconds.find("BM_MemchrNewlines");
  if (reader != reporter.seconds.end() && scan != reporter.seconds.end()) {
    std::printf("csv_reader: %.2f ms, memchr: %.2f ms (best CPU time per pass)\n",
                reader->second * 1e3, scan->second * 1e3);
    std::printf("csv_reader/memchr ratio: %.2f\n", reader->second / scan->second);
  }
  return 0;
}
