#include "report/company_index.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace marquee::report {
namespace {

namespace fs = std::filesystem;

class CompanyIndex : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("marquee-company-index-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Writes an index of `rows` (company, offset, row), each noted as a report row would be.
  fs::path write(const std::vector<CompanyStart>& rows, std::uint64_t total_rows,
                 std::uint64_t bytes) {
    fs::path path = company_index_path(dir_, "company_yearly");
    AtomicFile out(path, ExitCode::kDatabase);
    CompanyIndexWriter index(out);
    for (const auto& r : rows) index.note(r.company, r.offset, r.row);
    index.finish(total_rows, bytes);
    out.commit();
    return path;
  }
  std::vector<CompanyStart> read_all(const fs::path& path, std::uint64_t bytes) {
    CompanyIndexReader reader(path, bytes);
    std::vector<CompanyStart> starts;
    while (auto s = reader.next()) starts.push_back(*s);
    EXPECT_GT(reader.rows(), 0u);
    return starts;
  }
  std::string bytes_of(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  void overwrite(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }
  fs::path dir_;
};

TEST_F(CompanyIndex, KeepsTheFirstRowOfEachCompanyAndReadsThemBackInOrder) {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  // Rows of a report: three of company -5, one of 2, two of the largest id; the extremes of
  // int64 must survive the differences modulo 2^64.
  std::vector<CompanyStart> rows = {{kMin, 10, 0}, {-5, 40, 1},    {-5, 70, 2},   {-5, 95, 3},
                                    {2, 130, 4},   {kMax, 200, 5}, {kMax, 260, 6}};
  auto path = write(rows, 7, 300);
  std::vector<CompanyStart> expected = {{kMin, 10, 0}, {-5, 40, 1}, {2, 130, 4}, {kMax, 200, 5}};
  auto starts = read_all(path, 300);
  ASSERT_EQ(starts.size(), expected.size());
  for (std::size_t i = 0; i < starts.size(); ++i) {
    EXPECT_EQ(starts[i].company, expected[i].company) << i;
    EXPECT_EQ(starts[i].offset, expected[i].offset) << i;
    EXPECT_EQ(starts[i].row, expected[i].row) << i;
  }
  CompanyIndexReader reader(path, 300);
  while (reader.next()) {
  }
  EXPECT_EQ(reader.rows(), 7u);
  EXPECT_EQ(reader.bytes(), 300u);
}

TEST_F(CompanyIndex, ACompanyGoingBackIsABugNotAnIndex) {
  AtomicFile out(dir_ / "x.index", ExitCode::kDatabase);
  CompanyIndexWriter index(out);
  index.note(5, 10, 0);
  EXPECT_THROW(index.note(4, 20, 1), std::logic_error);
}

TEST_F(CompanyIndex, AnIndexOfAnotherReportSizeIsUnusable) {
  auto path = write({{1, 10, 0}, {2, 20, 1}}, 2, 30);
  EXPECT_THROW(read_all(path, 31), CompanyIndexUnusable);  // the trailer's size
  EXPECT_THROW(read_all(path, 15), CompanyIndexUnusable);  // company 2 starts past the end
}

TEST_F(CompanyIndex, EveryDamagedByteOrCutIsUnusable) {
  auto path = write({{1, 10, 0}, {7, 25, 3}, {300, 4000, 90}}, 120, 5000);
  const std::string good = bytes_of(path);
  for (std::size_t at = 0; at < good.size(); ++at) {
    std::string damaged = good;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x21);
    overwrite(path, damaged);
    EXPECT_THROW(read_all(path, 5000), CompanyIndexUnusable) << "byte " << at;
    overwrite(path, good.substr(0, at));
    EXPECT_THROW(read_all(path, 5000), CompanyIndexUnusable) << "cut at " << at;
  }
  overwrite(path, good + "x");
  EXPECT_THROW(read_all(path, 5000), CompanyIndexUnusable);
  overwrite(path, good);
  EXPECT_EQ(read_all(path, 5000).size(), 3u);
}

TEST_F(CompanyIndex, AMissingFileIsUnusable) {
  EXPECT_THROW(CompanyIndexReader(dir_ / "none.index", 10), CompanyIndexUnusable);
}

}  // namespace
}  // namespace marquee::report
