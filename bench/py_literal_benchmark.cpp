#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "format/py_literal.hpp"

namespace {

using marquee::format::parse_py_literal;
using marquee::format::PyValue;

// Shaped like the real columns (SPEC 3.3): genres are id-name dicts, production_companies
// name-id dicts, and a credits.csv cast list is the long one that dominates the parse time.
const std::string& genres_literal() {
  static const std::string text =
      "[{'id': 16, 'name': 'Animation'}, {'id': 35, 'name': 'Comedy'}, "
      "{'id': 10751, 'name': 'Family'}]";
  return text;
}

const std::string& companies_literal() {
  static const std::string text =
      "[{'name': 'Procirep', 'id': 311}, {'name': 'Constellation Productions', 'id': 590}, "
      "{'name': 'France 3 Cin\u00e9ma', 'id': 591}, {'name': \"Po' Boy Productions\", 'id': "
      "11787}, {'name': 'Televisi\u00f3n Espa\u00f1ola (TVE)', 'id': 6639}]";
  return text;
}

// 30 cast dicts of 8 keys each, like Toy Story's: ids, 24-hex credit ids, names with
// apostrophes (double-quoted), non-ASCII names and some None profile paths.
const std::string& cast_literal() {
  static const std::string text = [] {
    const std::vector<std::string> names = {
        "'Tom Hanks'",      "'Tim Allen'",          "\"Kelly O'Connell\"",     "'Don Rickles'",
        "'Jim Varney'",     "'Wallace Shawn'",      "'Ren\u00e9 Auberjonois'", "'Annie Potts'",
        "\"Dan O'Bannon\"", "'\u5f20\u827a\u8c0b'", "'John Morris'",           "'Erik von Detten'"};
    const std::vector<std::string> characters = {"'Woody (voice)'",
                                                 "'Buzz Lightyear (voice)'",
                                                 "\"Hooker's Mother\"",
                                                 "'Mr. Potato Head (voice)'",
                                                 "'\"Jack Jones\"'",
                                                 "'Sergeant (voice)'",
                                                 "''"};
    std::string out = "[";
    for (int i = 0; i < 30; ++i) {
      if (i > 0) out += ", ";
      const std::string hex_id = "52fe4284c3a36847f8024f" + std::to_string(10 + i);
      out += "{'cast_id': " + std::to_string(14 + i) +
             ", 'character': " + characters[i % characters.size()] + ", 'credit_id': '" + hex_id +
             "', 'gender': " + std::to_string(i % 3) + ", 'id': " + std::to_string(31 + i * 4177) +
             ", 'name': " + names[i % names.size()] + ", 'order': " + std::to_string(i) +
             ", 'profile_path': " +
             (i % 4 == 3 ? std::string("None") : "'/pQFoyx7rp09CJTAb932F2g8Nlho.jpg'") + "}";
    }
    out += "]";
    return out;
  }();
  return text;
}

void parse_repeatedly(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    PyValue value = parse_py_literal(text);
    benchmark::DoNotOptimize(value);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["bytes"] = static_cast<double>(text.size());
}

void BM_Genres(benchmark::State& state) {
  parse_repeatedly(state, genres_literal());
}
BENCHMARK(BM_Genres);

void BM_ProductionCompanies(benchmark::State& state) {
  parse_repeatedly(state, companies_literal());
}
BENCHMARK(BM_ProductionCompanies);

void BM_CreditsCast(benchmark::State& state) {
  parse_repeatedly(state, cast_literal());
}
BENCHMARK(BM_CreditsCast);

// Prints as usual and keeps each benchmark's throughput for the summary line.
class ThroughputReporter final : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const auto rate = run.counters.find("bytes_per_second");
      if (run.run_type == Run::RT_Iteration && !run.error_occurred && rate != run.counters.end()) {
        megabytes_per_second[run.run_name.function_name] = rate->second.value / 1e6;
      }
    }
  }
  std::map<std::string, double> megabytes_per_second;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  std::printf("literals: genres %zu B, production_companies %zu B, cast %zu B\n",
              genres_literal().size(), companies_literal().size(), cast_literal().size());
  ThroughputReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  std::string summary = "py_literal MB/s:";
  for (const auto& [name, rate] : reporter.megabytes_per_second) {
    char part[96];
    std::snprintf(part, sizeof part, " %s %.1f", name.c_str(), rate);
    summary += part;
  }
  std::printf("%s\n", summary.c_str());
  return 0;
}
