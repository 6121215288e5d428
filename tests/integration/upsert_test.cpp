#include <gtest/gtest.h>

#include <map>
#include <set>

#include "store/store.hpp"
#include "test_support.hpp"

namespace marquee {
namespace {

using testing::fixture;
using testing::make_zip;
using testing::run_marquee;
using testing::TempDir;
using testing::write_file;

constexpr const char* kHeader =
    "adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,original_"
    "title,"
    "overview,popularity,poster_path,production_companies,production_countries,release_date,"
    "revenue,"
    "runtime,spoken_languages,status,tagline,title,video,vote_average,vote_count\n";

/// Ten movies of the golden fixture (real TMDB ids), re-released with new values.
const std::vector<std::int64_t> kChanged = {862, 8844,  15602, 31357, 11862,
                                            949, 11860, 45325, 9091,  710};

std::string changed_archive_csv() {
  std::string csv = kHeader;
  for (auto id : kChanged) {
    csv += fmt::format(
        "False,,{},\"[{{'id': 99, 'name': 'Documentary'}}]\",,{},tt1,en,Changed,Changed,5.0,,"
        "\"[{{'name': 'Upsert Pictures', 'id': "
        "424242}}]\",[],2005-05-05,0,90.0,[],Released,,Changed,False,5.0,10\n",
        1000 + id, id);
  }
  return csv;
}

/// Every movie with its values and link rows, one line per movie.
std::map<std::int64_t, std::string> dump(const std::filesystem::path& db) {
  auto store = store::open_store("sqlite:" + db.string());
  std::map<std::int64_t, std::string> out;
  store->query(
      "SELECT m.id, coalesce(m.title, ''), coalesce(m.budget, ''), coalesce(m.release_year, ''), "
      "(SELECT group_concat(genre_id) FROM (SELECT genre_id FROM movie_genre WHERE movie_id = m.id "
      "ORDER BY 1)), "
      "(SELECT group_concat(company_id) FROM (SELECT company_id FROM movie_company WHERE movie_id "
      "= m.id ORDER BY 1)) "
      "FROM movie m",
      {}, [&](const auto&, const std::vector<store::Cell>& row) {
        std::string line;
        for (const auto& c : row) line += (c ? *c : std::string("NULL")) + "|";
        out[std::stoll(*row[0])] = line;
      });
  return out;
}

class Upsert : public ::testing::Test {
 protected:
  void SetUp() override {
    make_zip(dir_ / "first.zip", {fixture("golden/movies_metadata.csv")});
    auto r = run_marquee({"run", (dir_ / "first.zip").string(), "--workdir",
                          (dir_ / "work").string(), "--max-reject-ratio", "0.05"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    write_file(dir_ / "second/movies_metadata.csv", changed_archive_csv());
    make_zip(dir_ / "second.zip", {dir_ / "second/movies_metadata.csv"});
  }
  TempDir dir_;
};

TEST_F(Upsert, SecondArchiveChangesExactlyItsMovies) {
  auto before = dump(dir_ / "work/marquee.db");
  for (auto id : kChanged) ASSERT_TRUE(before.count(id)) << id;
  auto r =
      run_marquee({"run", (dir_ / "second.zip").string(), "--workdir", (dir_ / "work").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto after = dump(dir_ / "work/marquee.db");
  ASSERT_EQ(after.size(), before.size());
  std::set<std::int64_t> changed(kChanged.begin(), kChanged.end());
  int differing = 0;
  for (const auto& [id, line] : after) {
    if (changed.count(id)) {
      EXPECT_EQ(line, fmt::format("{}|Changed|{}|2005|99|424242|", id, 1000 + id));
      ++differing;
    } else {
      EXPECT_EQ(line, before.at(id)) << "movie " << id << " was not in the second archive";
    }
  }
  EXPECT_EQ(differing, 10);
}

TEST_F(Upsert, SnapshotRemovesMoviesAbsentFromIt) {
  auto r = run_marquee(
      {"run", (dir_ / "second.zip").string(), "--workdir", (dir_ / "work").string(), "--snapshot"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto after = dump(dir_ / "work/marquee.db");
  EXPECT_EQ(after.size(), kChanged.size());
}

}  // namespace
}  // namespace marquee
