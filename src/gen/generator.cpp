#include "gen/generator.hpp"

#include <cmath>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "gen/csv_producer.hpp"
#include "gen/layout.hpp"
#include "gen/zip_writer.hpp"

// A synthetic "The Movies Dataset" (rounakbanik, Kaggle) in the exact shape of the real files:
// same entries, columns, quoting (pandas to_csv: a field is quoted only when it holds a comma, a
// quote, CR or LF), line ends, Python-literal columns, and the real quirks at their real rates
// (shared/data/README.md). Every row is a pure function of (seed, row index), so any row can be
// produced again (for a duplicate copy) without keeping earlier rows in memory, and the counts
// that depend on the layout (duplicates, bare CRs, link rows) are spread over the file by
// closed-form schedules rather than by tables that grow with the scale.

namespace marquee::gen {
namespace {

void check_options(const GenerateOptions& options) {
  if (!(options.scale > 0) || !std::isfinite(options.scale) || options.scale > 1000) {
    throw Error(ExitCode::kUsage,
                fmt::format("--scale must be above 0 and at most 1000 (1.0 = the real dataset), "
                            "not {}",
                            options.scale));
  }
  if (!(options.ratings_scale >= 0) || !std::isfinite(options.ratings_scale)) {
    throw Error(ExitCode::kUsage,
                fmt::format("--ratings-scale must be 0 or more, not {}", options.ratings_scale));
  }
  if (options.out.empty()) {
    throw Error(ExitCode::kUsage, "no output archive given; pass the path of the .zip to write");
  }
}

/// The entries in the order of the real archive: alphabetical.
std::vector<std::unique_ptr<CsvProducer>> archive_entries(const Dataset& data, bool movies_only) {
  std::vector<std::unique_ptr<CsvProducer>> producers;
  if (!movies_only) {
    producers.push_back(make_credits_producer(data));
    producers.push_back(make_keywords_producer(data));
    producers.push_back(make_links_producer(data, false));
    producers.push_back(make_links_producer(data, true));
  }
  producers.push_back(make_movies_producer(data));
  if (!movies_only) {
    producers.push_back(make_ratings_producer(data, false));
    producers.push_back(make_ratings_producer(data, true));
  }
  return producers;
}

void create_parent_folder(const std::filesystem::path& out) {
  if (out.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(out.parent_path(), ec);
    if (ec) {
      throw Error(ExitCode::kUsage,
                  fmt::format("cannot create {}: {}", out.parent_path().string(), ec.message()));
    }
  }
}

/// What the written entries hold, as their producers counted it.
Manifest describe(const GenerateOptions& options,
                  const std::vector<std::unique_ptr<CsvProducer>>& producers) {
  Manifest manifest;
  manifest.seed = options.seed;
  manifest.scale = options.scale;
  manifest.ratings_scale = options.ratings_scale;
  manifest.movies_only = options.movies_only;
  for (const auto& producer : producers) {
    EntryManifest entry;
    entry.name = producer->entry_name();
    entry.rows = producer->rows();
    entry.bytes = producer->bytes();
    producer->report(entry, manifest);
    manifest.entries.push_back(std::move(entry));
  }
  return manifest;
}

std::filesystem::path with_suffix(const std::filesystem::path& path, std::string_view suffix) {
  return std::filesystem::path(path.string() + std::string(suffix));
}

}  // namespace

Manifest generate(const GenerateOptions& options) {
  check_options(options);
  const Dataset data(make_plan(options));
  const auto producers = archive_entries(data, options.movies_only);
  const std::filesystem::path& out = options.out;
  create_parent_folder(out);

  AtomicFile archive(out, ExitCode::kUsage, {}, with_suffix(out, ".part"));
  write_zip(archive.temporary_path(), producers);
  Manifest manifest = describe(options, producers);
  // The manifest first, then the archive: whoever sees the archive finds its manifest.
  write_file_atomically(with_suffix(out, ".manifest.json"), manifest.to_json().dump(2) + "\n",
                        ExitCode::kUsage);
  archive.commit();
  return manifest;
}

}  // namespace marquee::gen
