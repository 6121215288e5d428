// Inflating one deflated ZIP entry through ZipArchive, in the reads the CSV reader makes (64 KiB),
// which is what the parse thread pays for ratings.csv before it parses a byte. The inflater is
// the build's: ISA-L, or zlib (libzip) in a build configured with -DMARQUEE_ISAL=OFF; run both
// builds to compare them. By default the entry is about 64 MB of generated ratings.csv rows;
// MARQUEE_BENCH_ZIP=ARCHIVE reads the entry MARQUEE_BENCH_ZIP_ENTRY (default ratings.csv) of a
// real archive instead, e.g. one from `marquee generate`.
#include <unistd.h>
#include <zip.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "format/zip_archive.hpp"

namespace {

using marquee::format::ZipArchive;
using marquee::format::ZipEntry;

// userId,movieId,rating,timestamp rows in the shape of ratings.csv: users in order, each with a
// run of ratings, so that it deflates about as well as the real file.
std::string generate_ratings_csv(std::size_t target_bytes) {
  std::mt19937_64 random(26024289);
  std::string csv = "userId,movieId,rating,timestamp\n";
  for (std::uint64_t user = 1; csv.size() < target_bytes; ++user) {
    const std::uint64_t count = 1 + random() % 200;
    for (std::uint64_t i = 0; i < count; ++i) {
      const std::uint64_t halves = 1 + random() % 10;
      csv += std::to_string(user) + ',' + std::to_string(1 + random() % 176275) + ',' +
             std::to_string(halves / 2) + (halves % 2 ? ".5," : ".0,") +
             std::to_string(789652009 + random() % 712000000) + '\n';
    }
  }
  return csv;
}

std::filesystem::path write_generated_archive() {
  const auto path = std::filesystem::temp_directory_path() /
                    ("marquee_zip_benchmark_" + std::to_string(::getpid()) + ".zip");
  const std::string csv = generate_ratings_csv(std::size_t{64} << 20);
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    throw std::runtime_error("cannot create " + path.string());
  }
  zip_source_t* source = zip_source_buffer(archive, csv.data(), csv.size(), 0);
  if (zip_file_add(archive, "ratings.csv", source, ZIP_FL_ENC_UTF_8) < 0 ||
      zip_set_file_compression(archive, 0, ZIP_CM_DEFLATE, 0) != 0 || zip_close(archive) != 0) {
    throw std::runtime_error("cannot write " + path.string());
  }
  return path;
}

struct Subject {
  std::filesystem::path path;
  std::string entry;
  bool generated = false;
};

const Subject& subject() {
  static const Subject s = [] {
    if (const char* zip = std::getenv("MARQUEE_BENCH_ZIP")) {
      const char* entry = std::getenv("MARQUEE_BENCH_ZIP_ENTRY");
      return Subject{zip, entry != nullptr ? entry : "ratings.csv", false};
    }
    return Subject{write_generated_archive(), "ratings.csv", true};
  }();
  return s;
}

void BM_InflateEntry(benchmark::State& state) {
  ZipArchive archive(subject().path);
  const ZipEntry* entry = nullptr;
  for (const auto& e : archive.entries()) {
    if (e.name == subject().entry) {
      entry = &e;
    }
  }
  if (entry == nullptr) {
    state.SkipWithError(("no entry " + subject().entry).c_str());
    return;
  }
  std::vector<char> buffer(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto source = archive.open(*entry);
    std::uint64_t total = 0;
    while (std::size_t n = source->read(buffer)) {
      total += n;
    }
    benchmark::DoNotOptimize(total);
  }
  const auto iterations = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * entry->size));
  state.counters["compressed_bytes_per_second"] = benchmark::Counter(
      iterations * static_cast<double>(entry->compressed_size), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_InflateEntry)->Arg(64 << 10)->Unit(benchmark::kMillisecond)->Repetitions(3);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
#ifdef MARQUEE_HAVE_ISAL
  const char* inflater = "ISA-L";
#else
  const char* inflater = "zlib (libzip)";
#endif
  std::printf("inflater: %s; entry %s of %s\n", inflater, subject().entry.c_str(),
              subject().path.c_str());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (subject().generated) {
    std::filesystem::remove(subject().path);
  }
  return 0;
}
