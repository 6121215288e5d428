#include "gen/generator.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "format/csv_reader.hpp"
#include "format/py_literal.hpp"
#include "format/zip_archive.hpp"

namespace marquee::gen {
namespace {

using ::testing::ElementsAre;

constexpr double kScale = 0.02;

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string read_entry(const format::ZipArchive& archive, const std::string& name) {
  for (const auto& entry : archive.entries()) {
    if (entry.name == name) {
      auto source = archive.open(entry);
      std::string out;
      char buf[1 << 16];
      while (std::size_t n = source->read(buf)) {
        out.append(buf, n);
      }
      return out;
    }
  }
  ADD_FAILURE() << "no entry " << name;
  return {};
}

/// Every record of one entry, read the way the loader reads it (bare CR inside a field).
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> raw;
};

Table read_table(const format::ZipArchive& archive, const std::string& name) {
  for (const auto& entry : archive.entries()) {
    if (entry.name != name) {
      continue;
    }
    auto source = archive.open(entry);
    format::CsvReader reader(*source);
    format::CsvRecord record;
    Table table;
    bool first = true;
    while (reader.next(record)) {
      std::vector<std::string> fields(record.fields.begin(), record.fields.end());
      if (first) {
        table.header = std::move(fields);
        first = false;
      } else {
        table.rows.push_back(std::move(fields));
        table.raw.emplace_back(record.raw);
      }
    }
    return table;
  }
  ADD_FAILURE() << "no entry " << name;
  return {};
}

class GeneratorTest : public ::testing::Test {
 protected:
  /// One archive for the whole suite: the tests read it, only some write others beside it.
  static void SetUpTestSuite() {
    dir_ =
        std::filesystem::temp_directory_path() / ("marquee_gen_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    GenerateOptions options;
    options.scale = kScale;
    options.seed = 7;
    options.out = archive_path();
    manifest_ = std::make_unique<Manifest>(generate(options));
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(dir_);
    manifest_.reset();
  }
  static std::filesystem::path archive_path() { return dir_ / "a" / "the-movies-dataset.zip"; }

  static inline std::filesystem::path dir_;
  static inline std::unique_ptr<Manifest> manifest_;
};

TEST_F(GeneratorTest, SameSeedWritesIdenticalBytes) {
  GenerateOptions options;
  options.scale = kScale;
  options.seed = 7;
  options.out = dir_ / "b" / "again.zip";
  Manifest again = generate(options);
  EXPECT_EQ(slurp(options.out), slurp(archive_path()));
  EXPECT_EQ(again.to_json(), manifest_->to_json());
}

TEST_F(GeneratorTest, DifferentSeedWritesDifferentData) {
  GenerateOptions options;
  options.scale = kScale;
  options.seed = 8;
  options.out = dir_ / "c" / "other.zip";
  generate(options);
  format::ZipArchive mine(archive_path());
  format::ZipArchive other(options.out);
  EXPECT_NE(read_entry(mine, "movies_metadata.csv"), read_entry(other, "movies_metadata.csv"));
  EXPECT_NE(read_entry(mine, "ratings.csv"), read_entry(other, "ratings.csv"));
}

TEST_F(GeneratorTest, WritesTheSevenEntriesOfTheRealArchive) {
  format::ZipArchive archive(archive_path());
  std::vector<std::string> names;
  for (const auto& entry : archive.entries()) {
    names.push_back(entry.name);
  }
  EXPECT_THAT(names, ElementsAre("credits.csv", "keywords.csv", "links.csv", "links_small.csv",
                                 "movies_metadata.csv", "ratings.csv", "ratings_small.csv"));
}

TEST_F(GeneratorTest, LeavesArchiveAndManifestButNoPartFiles) {
  std::set<std::string> files;
  for (const auto& file : std::filesystem::directory_iterator(dir_ / "a")) {
    files.insert(file.path().filename().string());
  }
  EXPECT_EQ(files, (std::set<std::string>{"the-movies-dataset.zip",
                                          "the-movies-dataset.zip.manifest.json"}));
  auto json = nlohmann::json::parse(slurp(dir_ / "a" / "the-movies-dataset.zip.manifest.json"));
  EXPECT_EQ(json, manifest_->to_json());
}

TEST_F(GeneratorTest, HeadersAndLineEndsAreThoseOfTheRealFiles) {
  format::ZipArchive archive(archive_path());
  auto first_line = [&](const std::string& name) {
    std::string text = read_entry(archive, name);
    return text.substr(0, text.find('\n') + 1);
  };
  EXPECT_EQ(first_line("movies_metadata.csv"),
            "adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,"
            "original_title,overview,popularity,poster_path,production_companies,"
            "production_countries,release_date,revenue,runtime,spoken_languages,status,tagline,"
            "title,video,vote_average,vote_count\n");
  EXPECT_EQ(first_line("links.csv"), "movieId,imdbId,tmdbId\r\n");
  EXPECT_EQ(first_line("links_small.csv"), "movieId,imdbId,tmdbId\r\n");
  EXPECT_EQ(first_line("keywords.csv"), "id,keywords\n");
  EXPECT_EQ(first_line("credits.csv"), "cast,crew,id\n");
  EXPECT_EQ(first_line("ratings.csv"), "userId,movieId,rating,timestamp\r\n");
  EXPECT_EQ(first_line("ratings_small.csv"), "userId,movieId,rating,timestamp\r\n");
}

TEST_F(GeneratorTest, EntryRowsAndBytesMatchTheManifest) {
  format::ZipArchive archive(archive_path());
  ASSERT_EQ(manifest_->entries.size(), 7u);
  for (const auto& entry : manifest_->entries) {
    Table table = read_table(archive, entry.name);
    EXPECT_EQ(table.rows.size(), entry.rows) << entry.name;
    EXPECT_EQ(read_entry(archive, entry.name).size(), entry.bytes) << entry.name;
    for (const auto& row : table.rows) {
      ASSERT_EQ(row.size(), table.header.size()) << entry.name;
    }
  }
}

TEST_F(GeneratorTest, MoviesManifestMatchesARecount) {
  format::ZipArchive archive(archive_path());
  Table movies = read_table(archive, "movies_metadata.csv");
  const MoviesManifest& m = manifest_->movies;

  std::map<std::string, std::vector<std::size_t>> records_of;
  std::uint64_t bare_cr = 0;
  for (std::size_t r = 0; r < movies.rows.size(); ++r) {
    records_of[movies.rows[r][5]].push_back(r);
    const std::string& overview = movies.rows[r][9];
    if (overview.find('\r') != std::string::npos &&
        movies.raw[r].find("\"" + overview) == std::string::npos) {
      ++bare_cr;
    }
  }
  std::uint64_t duplicated = 0;
  std::uint64_t identical = 0;
  std::uint64_t conflicting = 0;
  std::uint64_t undated = 0;
  for (const auto& [id, rows] : records_of) {
    duplicated += rows.size() > 1 ? 1 : 0;
    for (std::size_t k = 1; k < rows.size(); ++k) {
      (movies.raw[rows[k]] == movies.raw[rows[k - 1]] ? identical : conflicting) += 1;
    }
    undated += movies.rows[rows.back()][14].empty() ? 1 : 0;  // the last record loads
  }

  EXPECT_EQ(m.records, movies.rows.size());
  EXPECT_EQ(m.distinct_ids, records_of.size());
  EXPECT_EQ(m.duplicate_extra_copies, m.records - m.distinct_ids);
  EXPECT_EQ(m.duplicated_ids, duplicated);
  EXPECT_EQ(m.identical_copies, identical);
  EXPECT_EQ(m.conflicting_copies, conflicting);
  EXPECT_EQ(m.bare_cr_records, bare_cr);
  EXPECT_EQ(m.empty_release_dates, undated);
  EXPECT_EQ(m.invalid_rows, 0u);

  // The quirks the loader must meet are all present even at this small scale.
  EXPECT_GE(m.bare_cr_records, 1u);
  EXPECT_GE(m.identical_copies, 1u);
  EXPECT_GE(m.conflicting_copies, 1u);
  EXPECT_GE(m.empty_release_dates, 1u);

  auto expected = manifest_->to_json()["expected_load"];
  EXPECT_EQ(expected["rows_read"], m.records);
  EXPECT_EQ(expected["rows_loaded"], m.distinct_ids);
  EXPECT_EQ(expected["duplicate_superseded"], m.records - m.distinct_ids);
  EXPECT_EQ(expected["movies_without_year"], m.empty_release_dates);
}

TEST_F(GeneratorTest, MovieValuesHaveTheRealShapes) {
  format::ZipArchive archive(archive_path());
  Table movies = read_table(archive, "movies_metadata.csv");
  std::map<std::int64_t, std::string> company_names;
  std::size_t budget_zero = 0;
  for (const auto& row : movies.rows) {
    EXPECT_TRUE(row[0] == "False" || row[0] == "True");
    EXPECT_GT(std::stoll(row[5]), 0);
    EXPECT_EQ(row[6].substr(0, 2), "tt");
    budget_zero += row[2] == "0" ? 1 : 0;
    if (!row[14].empty()) {
      EXPECT_EQ(row[14].size(), 10u);
    }
    if (!row[16].empty()) {
      EXPECT_EQ(row[16].substr(row[16].size() - 2), ".0") << row[16];
    }
    for (int column : {1, 3, 12, 13, 17}) {
      if (!row[column].empty()) {
        EXPECT_NO_THROW(format::parse_py_literal(row[column])) << row[column];
      }
    }
    format::PyValue companies = format::parse_py_literal(row[12]);
    for (const auto& item : companies.items) {
      ASSERT_EQ(item.entries.size(), 2u);
      EXPECT_EQ(item.entries[0].first.text, "name");  // key order name, id as in the real file
      const std::string& name = item.find("name")->text;
      auto [at, inserted] = company_names.emplace(item.find("id")->integer, name);
      EXPECT_EQ(at->second, name) << "company " << at->first << " has two names";
    }
  }
  double share = static_cast<double>(budget_zero) / static_cast<double>(movies.rows.size());
  EXPECT_NEAR(share, 0.804, 0.05);
}

TEST_F(GeneratorTest, RatingsUseMovieLensIdsOfLinks) {
  format::ZipArchive archive(archive_path());
  std::set<std::string> movie_ids;
  for (const auto& row : read_table(archive, "links.csv").rows) {
    movie_ids.insert(row[0]);
  }
  Table ratings = read_table(archive, "ratings.csv");
  EXPECT_EQ(ratings.rows.size(), 1000u);  // ratings_scale 0: a token 1,000 rows
  for (const auto& row : ratings.rows) {
    EXPECT_TRUE(movie_ids.count(row[1])) << row[1];
    double rating = std::stod(row[2]);
    EXPECT_GE(rating, 0.5);
    EXPECT_LE(rating, 5.0);
    std::int64_t timestamp = std::stoll(row[3]);
    EXPECT_GE(timestamp, 789652009);
    EXPECT_LT(timestamp, 1501891200);
  }
}

TEST_F(GeneratorTest, MoviesOnlyWritesOnlyMoviesMetadata) {
  GenerateOptions options;
  options.scale = kScale;
  options.seed = 7;
  options.movies_only = true;
  options.out = dir_ / "d" / "movies.zip";
  Manifest manifest = generate(options);
  format::ZipArchive archive(options.out);
  ASSERT_EQ(archive.entries().size(), 1u);
  EXPECT_EQ(archive.entries()[0].name, "movies_metadata.csv");
  ASSERT_EQ(manifest.entries.size(), 1u);
  // The movies are the same as in the full archive of the same seed.
  format::ZipArchive full(archive_path());
  EXPECT_EQ(read_entry(archive, "movies_metadata.csv"), read_entry(full, "movies_metadata.csv"));
  EXPECT_EQ(manifest.movies.records, manifest_->movies.records);
}

TEST_F(GeneratorTest, ReplacesAnExistingArchiveWhole) {
  GenerateOptions options;
  options.scale = kScale;
  options.seed = 8;
  options.out = dir_ / "d" / "replaced.zip";
  generate(options);
  options.seed = 7;
  Manifest replaced = generate(options);
  EXPECT_EQ(slurp(options.out), slurp(archive_path()));
  EXPECT_EQ(replaced.to_json(), manifest_->to_json());
}

TEST_F(GeneratorTest, WriteFailureNamesThePartFileAndLeavesNothing) {
  // A file size limit makes the archive's writes fail with EFBIG (SIGXFSZ ignored meanwhile).
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto* previous = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  GenerateOptions options;
  options.scale = kScale;
  options.out = dir_ / "e" / "too-big.zip";
  std::string message;
  ExitCode code = ExitCode::kOk;
  try {
    generate(options);
  } catch (const Error& e) {
    message = e.what();
    code = e.code();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous);
  EXPECT_EQ(code, ExitCode::kUsage);
  EXPECT_THAT(message, ::testing::HasSubstr("cannot write " + options.out.string() + ".part"));
  EXPECT_THAT(message, ::testing::HasSubstr("ulimit -f"));
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "e"));
}

TEST(GeneratorOptions, RejectsNonPositiveScaleAndMissingOutput) {
  GenerateOptions options;
  options.out = std::filesystem::temp_directory_path() / "marquee_gen_never_written.zip";
  options.scale = 0;
  try {
    generate(options);
    FAIL() << "scale 0 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
  }
  options.scale = 1;
  options.out.clear();
  try {
    generate(options);
    FAIL() << "empty output path accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
  }
}

}  // namespace
}  // namespace marquee::gen
