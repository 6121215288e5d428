#include "api/server.hpp"

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <libpq-fe.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "api/api_test_support.hpp"
#include "pipeline/job.hpp"

namespace marquee::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using CsvRecord = std::vector<std::string>;

/// A report CSV as SPEC 5 writes it: header, then records (RFC 4180 quoting, LF endings).
struct Csv {
  CsvRecord header;
  std::vector<CsvRecord> rows;
  std::size_t column(const std::string& name) const {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  }
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Csv parse_csv(const std::string& text) {
  std::vector<CsvRecord> records;
  CsvRecord record;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
    } else {
      field += c;
    }
  }
  Csv csv;
  csv.header = records.front();
  csv.rows.assign(records.begin() + 1, records.end());
  return csv;
}

Csv expected(const std::string& report) {
  return parse_csv(
      read_text(fs::path(MARQUEE_FIXTURES_DIR) / "golden/expected" / (report + ".csv")));
}

/// A JSON row back in CSV text: null is the empty field, integers in plain decimal, strings as is.
CsvRecord as_csv(const json& row, const CsvRecord& header) {
  CsvRecord out;
  for (const auto& col : header) {
    const json& v = row.at(col);
    if (v.is_null()) {
      out.emplace_back();
    } else if (v.is_number_integer()) {
      out.push_back(std::to_string(v.get<std::int64_t>()));
    } else if (v.is_string()) {
      out.push_back(v.get<std::string>());
    } else {
      out.push_back("<unexpected " + v.dump() + ">");
    }
  }
  return out;
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

using testing::fresh_dir;
using testing::load_batches;
using testing::RunningServer;

struct Reply {
  int status = 0;
  json body;
  std::string text;
  std::string content_type;
};

Reply get(int port, const std::string& target) {
  httplib::Client client("127.0.0.1", port);
  client.set_url_encode(false);
  client.set_read_timeout(30, 0);
  auto res = client.Get(target.c_str());
  Reply r;
  if (!res) {
    r.status = -1;
    return r;
  }
  r.status = res->status;
  r.text = res->body;
  r.content_type = res->get_header_value("Content-Type");
  if (r.content_type.starts_with("application/json"))
    r.body = json::parse(res->body, nullptr, false);
  return r;
}

/// The server's log lines (one per request), kept in memory instead of flooding the test output.
std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt>& log_sink() {
  static auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(5000);
  return sink;
}

class QuietLogs : public ::testing::Environment {
 public:
  void SetUp() override {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("api-test", log_sink()));
  }
};
[[maybe_unused]] const auto* const kQuietLogs = ::testing::AddGlobalTestEnvironment(new QuietLogs);

/// The golden fixture loaded once, served for the whole suite.
class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fresh_dir("golden");
    db_ = load_batches(root_, {fs::path(MARQUEE_FIXTURES_DIR) / "golden/movies_metadata.csv"});
    server_ = new RunningServer(db_);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    std::error_code ec;
    if (std::getenv("MARQUEE_KEEP_TEST_DIRS") == nullptr) fs::remove_all(root_, ec);
  }
  static int port() { return server_->port(); }
  static Reply get(const std::string& target) { return marquee::api::get(port(), target); }

  /// Checks the response is 400 naming `parameter`, with `message` in its error text.
  static void expect_bad(const std::string& target, const std::string& parameter,
                         const std::string& message) {
    Reply r = get(target);
    EXPECT_EQ(r.status, 400) << target << ": " << r.text;
    ASSERT_TRUE(r.body.is_object()) << target << ": " << r.text;
    EXPECT_EQ(r.body.value("parameter", ""), parameter) << target << ": " << r.text;
    EXPECT_NE(r.body.value("error", "").find(message), std::string::npos)
        << target << ": error '" << r.body.value("error", "") << "' lacks '" << message << "'";
  }

  static inline fs::path root_, db_;
  static inline RunningServer* server_ = nullptr;
};

/// The expected rows of a report for one company id, in report order.
std::vector<CsvRecord> rows_of_company(const Csv& csv, const std::string& id) {
  std::vector<CsvRecord> out;
  for (const auto& row : csv.rows) {
    if (row[csv.column("company_id")] == id) out.push_back(row);
  }
  return out;
}

std::vector<CsvRecord> json_rows(const json& body, const CsvRecord& header) {
  std::vector<CsvRecord> out;
  for (const auto& row : body.at("rows")) out.push_back(as_csv(row, header));
  return out;
}

std::set<std::string> company_ids(const Csv& csv) {
  std::set<std::string> ids;
  for (const auto& row : csv.rows) ids.insert(row[csv.column("company_id")]);
  return ids;
}

TEST_F(ApiTest, CompanyYearlyMatchesTheReportForEveryCompany) {
  Csv csv = expected("company_yearly");
  auto ids = company_ids(csv);
  ASSERT_GT(ids.size(), 10u);
  for (const auto& id : ids) {
    Reply r = get("/api/companies/" + id + "/yearly");
    ASSERT_EQ(r.status, 200) << id << ": " << r.text;
    EXPECT_EQ(r.body.at("columns").get<CsvRecord>(), csv.header);
    auto want = rows_of_company(csv, id);
    EXPECT_EQ(json_rows(r.body, csv.header), want) << "company " << id;
    EXPECT_EQ(r.body.at("count").get<std::size_t>(), want.size());
    EXPECT_EQ(r.body.at("company_name").get<std::string>(),
              want.front()[csv.column("company_name")]);
  }
}

TEST_F(ApiTest, AvgPopularityKeepsItsSixDecimalsAsAString) {
  Reply r = get("/api/genres/yearly?year=1888");
  ASSERT_EQ(r.status, 200) << r.text;
  ASSERT_FALSE(r.body.at("rows").empty());
  const json& first = r.body.at("rows").at(0);
  EXPECT_EQ(first.at("avg_popularity"), "3.000000");
  EXPECT_TRUE(first.at("movies").is_number_integer());
  EXPECT_NE(r.text.find("\"avg_popularity\":\"3.000000\""), std::string::npos);
}

TEST_F(ApiTest, CompanyYearlyFiltersByYearRange) {
  Csv csv = expected("company_yearly");
  // The company with the most years, and a window inside them.
  std::map<std::string, std::vector<CsvRecord>> by_company;
  for (const auto& row : csv.rows) by_company[row[0]].push_back(row);
  auto best = std::max_element(
      by_company.begin(), by_company.end(),
      [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
  ASSERT_GE(best->second.size(), 3u);
  std::string from = best->second[1][csv.column("year")];
  std::string to = best->second[best->second.size() - 2][csv.column("year")];
  std::vector<CsvRecord> want(best->second.begin() + 1, best->second.end() - 1);
  Reply r = get(fmt::format("/api/companies/{}/yearly?from={}&to={}", best->first, from, to));
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(json_rows(r.body, csv.header), want);

  Reply one = get(fmt::format("/api/companies/{}/yearly?year={}", best->first, from));
  ASSERT_EQ(one.status, 200) << one.text;
  EXPECT_EQ(json_rows(one.body, csv.header), std::vector<CsvRecord>{best->second[1]});
}

TEST_F(ApiTest, CompanyGenresMatchTheReportForEveryCompany) {
  Csv csv = expected("company_genre_yearly");
  for (const auto& id : company_ids(csv)) {
    Reply r = get("/api/companies/" + id + "/genres");
    ASSERT_EQ(r.status, 200) << id << ": " << r.text;
    EXPECT_EQ(r.body.at("columns").get<CsvRecord>(), csv.header);
    EXPECT_EQ(json_rows(r.body, csv.header), rows_of_company(csv, id)) << "company " << id;
  }
}

TEST_F(ApiTest, CompanyGenresFilterByYearAndGenre) {
  Csv csv = expected("company_genre_yearly");
  const CsvRecord& pick = csv.rows.front();
  std::string id = pick[csv.column("company_id")], year = pick[csv.column("year")];
  std::string genre = pick[csv.column("genre_id")];
  std::vector<CsvRecord> want_year, want_both;
  for (const auto& row : rows_of_company(csv, id)) {
    if (row[csv.column("year")] != year) continue;
    want_year.push_back(row);
    if (row[csv.column("genre_id")] == genre) want_both.push_back(row);
  }
  Reply r = get(fmt::format("/api/companies/{}/genres?year={}", id, year));
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(json_rows(r.body, csv.header), want_year);
  Reply both = get(fmt::format("/api/companies/{}/genres?year={}&genre={}", id, year, genre));
  ASSERT_EQ(both.status, 200) << both.text;
  EXPECT_EQ(json_rows(both.body, csv.header), want_both);
}

TEST_F(ApiTest, GenreYearlyMatchesTheReport) {
  Csv csv = expected("genre_yearly");
  Reply r = get("/api/genres/yearly");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body.at("columns").get<CsvRecord>(), csv.header);
  EXPECT_EQ(json_rows(r.body, csv.header), csv.rows);
}

TEST_F(ApiTest, GenreYearlyFiltersByGenreAndYears) {
  Csv csv = expected("genre_yearly");
  std::string genre = csv.rows.front()[csv.column("genre_id")];
  std::vector<CsvRecord> want;
  for (const auto& row : csv.rows) {
    int year = std::stoi(row[csv.column("year")]);
    if (row[csv.column("genre_id")] == genre && year >= 1900 && year <= 2000) want.push_back(row);
  }
  Reply r = get(fmt::format("/api/genres/yearly?genre={}&from=1900&to=2000", genre));
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(json_rows(r.body, csv.header), want);
}

TEST_F(ApiTest, MostPopularGenreMatchesTheReport) {
  Csv csv = expected("most_popular_genre_by_year");
  Reply r = get("/api/genres/most-popular");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body.at("columns").get<CsvRecord>(), csv.header);
  EXPECT_EQ(json_rows(r.body, csv.header), csv.rows);

  std::vector<CsvRecord> want;
  for (const auto& row : csv.rows) {
    if (std::stoi(row[0]) >= 1990 && std::stoi(row[0]) <= 1999) want.push_back(row);
  }
  Reply decade = get("/api/genres/most-popular?from=1990&to=1999");
  ASSERT_EQ(decade.status, 200) << decade.text;
  EXPECT_EQ(json_rows(decade.body, csv.header), want);
}

TEST_F(ApiTest, GenresListEveryReportedGenreWithItsMovies) {
  Csv csv = expected("genre_yearly");
  std::map<std::int64_t, std::pair<std::string, std::int64_t>> want;  // id -> name, movies
  for (const auto& row : csv.rows) {
    auto& [name, movies] = want[std::stoll(row[csv.column("genre_id")])];
    name = row[csv.column("genre_name")];
    movies += std::stoll(row[csv.column("movies")]);
  }
  Reply r = get("/api/genres");
  ASSERT_EQ(r.status, 200) << r.text;
  std::map<std::int64_t, std::pair<std::string, std::int64_t>> got;
  for (const auto& g : r.body.at("items")) {
    if (g.at("movies").get<std::int64_t>() > 0) got[g.at("id")] = {g.at("name"), g.at("movies")};
  }
  EXPECT_EQ(got, want);
}

TEST_F(ApiTest, CompaniesListEveryReportedCompanyWithItsMovies) {
  Csv csv = expected("company_yearly");
  std::map<std::int64_t, std::pair<std::string, std::int64_t>> want;
  for (const auto& row : csv.rows) {
    auto& [name, movies] = want[std::stoll(row[csv.column("company_id")])];
    name = row[csv.column("company_name")];
    movies += std::stoll(row[csv.column("movies")]);
  }
  Reply r = get("/api/companies?limit=1000");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body.at("total").get<std::size_t>(), r.body.at("items").size());
  std::map<std::int64_t, std::pair<std::string, std::int64_t>> got;
  for (const auto& c : r.body.at("items")) {
    if (c.at("movies").get<std::int64_t>() > 0) got[c.at("id")] = {c.at("name"), c.at("movies")};
  }
  EXPECT_EQ(got, want);
}

TEST_F(ApiTest, CompaniesPageSearchAndSort) {
  Reply all = get("/api/companies?limit=1000");
  ASSERT_EQ(all.status, 200);
  auto total = all.body.at("total").get<std::int64_t>();
  ASSERT_GT(total, 5);

  Reply page = get("/api/companies?limit=2&offset=3");
  ASSERT_EQ(page.status, 200) << page.text;
  EXPECT_EQ(page.body.at("total"), total);
  ASSERT_EQ(page.body.at("items").size(), 2u);
  EXPECT_EQ(page.body.at("items")[0], all.body.at("items")[3]);
  EXPECT_EQ(page.body.at("items")[1], all.body.at("items")[4]);

  Reply search = get("/api/companies?search=" + url_encode("DISNEY"));
  ASSERT_EQ(search.status, 200) << search.text;
  ASSERT_FALSE(search.body.at("items").empty());
  for (const auto& c : search.body.at("items")) {
    EXPECT_NE(c.at("name").get<std::string>().find("Disney"), std::string::npos) << c.dump();
  }

  Reply by_movies = get("/api/companies?sort=movies&limit=1000");
  ASSERT_EQ(by_movies.status, 200);
  std::int64_t previous = std::numeric_limits<std::int64_t>::max();
  for (const auto& c : by_movies.body.at("items")) {
    EXPECT_LE(c.at("movies").get<std::int64_t>(), previous);
    previous = c.at("movies").get<std::int64_t>();
  }
}

TEST_F(ApiTest, SqlMetacharactersInSearchAreJustText) {
  Reply all = get("/api/companies?limit=1000");
  ASSERT_EQ(all.status, 200);
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (std::string needle :
       {"' OR '1'='1", "%", "_", "'; DROP TABLE movie; --", "\" OR 1=1 --", "\\", "*", "Disney' --",
        "a%' UNION SELECT id, name FROM genre --", "?"}) {
    std::vector<json> want;
    for (const auto& c : all.body.at("items")) {
      if (lower(c.at("name").get<std::string>()).find(lower(needle)) != std::string::npos)
        want.push_back(c);
    }
    Reply r = get("/api/companies?limit=1000&search=" + url_encode(needle));
    ASSERT_EQ(r.status, 200) << needle << ": " << r.text;
    EXPECT_EQ(r.body.at("items").get<std::vector<json>>(), want) << needle;
  }
  // Nothing was harmed.
  EXPECT_EQ(get("/api/companies?limit=1000").body, all.body);
  EXPECT_EQ(get("/health").status, 200);
}

TEST_F(ApiTest, EveryBadParameterIs400NamingIt) {
  expect_bad("/api/companies/abc/yearly", "id", "expected an integer of at least 1, got 'abc'");
  expect_bad("/api/companies/0/yearly", "id", "expected an integer of at least 1");
  expect_bad("/api/companies/-2/yearly", "id", "expected an integer of at least 1");
  expect_bad("/api/companies/99999999999999999999/yearly", "id", "expected an integer");
  expect_bad("/api/companies/987654321/yearly", "id", "no production company has id 987654321");
  expect_bad("/api/companies/987654321/genres", "id", "no production company has id 987654321");
  expect_bad("/api/companies/2/yearly?year=abc", "year",
             "expected a year from 1 to 9999, got 'abc'");
  expect_bad("/api/companies/2/yearly?year=19x5", "year", "expected a year from 1 to 9999");
  expect_bad("/api/companies/2/yearly?year=0", "year", "expected a year from 1 to 9999");
  expect_bad("/api/companies/2/yearly?year=10000", "year", "expected a year from 1 to 9999");
  expect_bad("/api/companies/2/yearly?year=1995.0", "year", "expected a year");
  expect_bad("/api/companies/2/yearly?from=-1990", "from", "expected a year");
  expect_bad("/api/companies/2/yearly?to=%201990", "to", "expected a year");
  expect_bad("/api/companies/2/yearly?from=2000&to=1990", "from", "from: 2000 is after to (1990)");
  expect_bad("/api/companies/2/genres?year=x", "year", "expected a year");
  expect_bad("/api/companies/2/genres?genre=424242", "genre", "no genre has id 424242");
  expect_bad("/api/companies?limit=-1", "limit", "expected an integer from 1 to 1000, got '-1'");
  expect_bad("/api/companies?limit=0", "limit", "expected an integer from 1 to 1000");
  expect_bad("/api/companies?limit=1001", "limit", "expected an integer from 1 to 1000");
  expect_bad("/api/companies?limit=ten", "limit", "expected an integer from 1 to 1000");
  expect_bad("/api/companies?offset=-5", "offset", "expected an integer of at least 0, got '-5'");
  expect_bad("/api/companies?sort=budget", "sort",
             "expected one of id, name, movies, got 'budget'");
  expect_bad("/api/companies?search=" + std::string(201, 'a'), "search", "longer than 200 bytes");
  expect_bad("/api/companies?serach=disney", "serach", "unknown parameter");
  expect_bad("/api/companies?limit=1&limit=2", "limit", "given more than once");
  expect_bad("/api/genres?year=1995", "year", "unknown parameter; /api/genres takes no parameters");
  expect_bad("/api/genres/yearly?genre=424242", "genre", "no genre has id 424242");
  expect_bad("/api/genres/yearly?genre=drama", "genre", "expected an integer of at least 1");
  expect_bad("/api/genres/yearly?year=1e3", "year", "expected a year");
  expect_bad("/api/genres/most-popular?to=soon", "to", "expected a year");
  expect_bad("/api/genres/most-popular?from=2001&to=2000", "from", "is after to");
  expect_bad("/api/batches?limit=-1", "limit", "expected an integer from 1 to 1000");
  expect_bad("/api/batches?offset=x", "offset", "expected an integer of at least 0");
  expect_bad("/health?verbose=1", "verbose", "unknown parameter");
}

/// For every row of `report`, the movies route's count against the row's `count_column`.
void expect_movies_of_every_row(int port, const std::string& report,
                                const std::string& count_column) {
  Csv csv = expected(report);
  ASSERT_FALSE(csv.rows.empty());
  bool has_company = csv.column("company_id") < csv.header.size();
  bool has_genre = csv.column("genre_id") < csv.header.size();
  for (const auto& row : csv.rows) {
    std::string year = row[csv.column("year")];
    std::string target =
        has_company
            ? fmt::format("/api/companies/{}/movies?year={}{}", row[csv.column("company_id")], year,
                          has_genre ? "&genre=" + row[csv.column("genre_id")] : "")
            : fmt::format("/api/genres/{}/movies?year={}", row[csv.column("genre_id")], year);
    Reply r = get(port, target);
    ASSERT_EQ(r.status, 200) << target << ": " << r.text;
    EXPECT_EQ(std::to_string(r.body.at("count").get<std::int64_t>()), row[csv.column(count_column)])
        << target;
    EXPECT_EQ(std::to_string(r.body.at("rows").size()), row[csv.column(count_column)]) << target;
  }
}

TEST_F(ApiTest, CompanyMoviesAreAsManyAsEveryCompanyYearlyRowCounts) {
  expect_movies_of_every_row(port(), "company_yearly", "movies");
}

TEST_F(ApiTest, CompanyGenreMoviesAreAsManyAsEveryCompanyGenreYearlyRowCounts) {
  expect_movies_of_every_row(port(), "company_genre_yearly", "releases");
}

TEST_F(ApiTest, GenreMoviesAreAsManyAsEveryGenreYearlyRowCounts) {
  expect_movies_of_every_row(port(), "genre_yearly", "movies");
}

TEST_F(ApiTest, CompanyMoviesNameTheRowAndListTheMoviesMostPopularFirst) {
  Reply r = get("/api/companies/2/movies?year=1995");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body.at("company_id"), 2);
  EXPECT_EQ(r.body.at("company_name"), "Walt Disney Pictures");
  EXPECT_TRUE(r.body.at("genre_id").is_null());
  EXPECT_TRUE(r.body.at("genre_name").is_null());
  EXPECT_EQ(r.body.at("year"), 1995);
  EXPECT_EQ(r.body.at("columns"),
            json::parse(R"(["id","title","release_date","budget","revenue","popularity"])"));
  std::vector<std::string> titles;
  for (const auto& m : r.body.at("rows")) titles.push_back(m.at("title"));
  EXPECT_EQ(titles, (std::vector<std::string>{"Pocahontas", "A Goofy Movie", "Heavyweights",
                                              "The Big Green", "Tom and Huck"}));
  EXPECT_EQ(r.body.at("rows")[1],
            json::parse(R"({"id":15789,"title":"A Goofy Movie","release_date":"1995-04-07",
                            "budget":null,"revenue":35348597,"popularity":"10.177977"})"));
}

TEST_F(ApiTest, GenreMoviesNameTheGenre) {
  Reply r = get("/api/genres/18/movies?year=1995");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body.at("genre_id"), 18);
  EXPECT_EQ(r.body.at("genre_name"), "Drama");
  EXPECT_FALSE(r.body.contains("company_id"));
  EXPECT_GT(r.body.at("count").get<int>(), 0);
}

TEST_F(ApiTest, AKnownCompanyWithoutMoviesThatYearListsNone) {
  Reply r = get("/api/companies/2/movies?year=1900");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body.at("count"), 0);
  EXPECT_TRUE(r.body.at("rows").empty());
}

TEST_F(ApiTest, MovieListsRefuseBadParametersNamingThem) {
  expect_bad("/api/companies/2/movies", "year", "year: missing");
  expect_bad("/api/companies/2/movies?year=", "year", "year: missing");
  expect_bad("/api/companies/2/movies?year=abc", "year", "expected a year from 1 to 9999");
  expect_bad("/api/companies/2/movies?year=0", "year", "expected a year from 1 to 9999");
  expect_bad("/api/companies/987654321/movies?year=1995", "id",
             "no production company has id 987654321");
  expect_bad("/api/companies/x/movies?year=1995", "id", "expected an integer of at least 1");
  expect_bad("/api/companies/2/movies?year=1995&genre=424242", "genre", "no genre has id 424242");
  expect_bad("/api/companies/2/movies?year=1995&from=1990", "from", "unknown parameter");
  expect_bad("/api/genres/424242/movies?year=1995", "id", "no genre has id 424242");
  expect_bad("/api/genres/18/movies", "year", "year: missing");
  expect_bad("/api/genres/18/movies?year=1995&genre=18", "genre", "unknown parameter");
}

TEST_F(ApiTest, RatingRoutesAnswerNoRowsWhenNoRatingsAreLoaded) {
  // The golden fixture is movies_metadata.csv alone: no links, no ratings.
  Reply all = get("/api/genres/ratings");
  ASSERT_EQ(all.status, 200) << all.text;
  EXPECT_EQ(
      all.body.at("columns"),
      json::parse(R"(["year","genre_id","genre_name","rated_movies","ratings","avg_rating"])"));
  EXPECT_EQ(all.body.at("count"), 0);
  EXPECT_TRUE(all.body.at("rows").empty());

  Reply drama = get("/api/genres/18/ratings");
  ASSERT_EQ(drama.status, 200) << drama.text;
  EXPECT_EQ(drama.body.at("genre_id"), 18);
  EXPECT_EQ(drama.body.at("genre_name"), "Drama");
  EXPECT_EQ(drama.body.at("columns"), all.body.at("columns"));
  EXPECT_EQ(drama.body.at("count"), 0);

  Reply disney = get("/api/companies/2/ratings");
  ASSERT_EQ(disney.status, 200) << disney.text;
  EXPECT_EQ(disney.body.at("company_id"), 2);
  EXPECT_EQ(disney.body.at("company_name"), "Walt Disney Pictures");
  EXPECT_EQ(disney.body.at("columns"), json::parse(R"(["company_id","company_name","year",
                                                      "rated_movies","ratings","avg_rating"])"));
  EXPECT_EQ(disney.body.at("count"), 0);

  for (const auto& g : get("/api/genres").body.at("items")) {
    EXPECT_EQ(g.at("rated_movies"), 0) << g.dump();
    EXPECT_EQ(g.at("ratings"), 0) << g.dump();
  }
  for (const auto& c : get("/api/companies?limit=1000").body.at("items")) {
    EXPECT_EQ(c.at("rated_movies"), 0) << c.dump();
    EXPECT_EQ(c.at("ratings"), 0) << c.dump();
  }
}

TEST_F(ApiTest, RatingRoutesRefuseBadParametersNamingThem) {
  expect_bad("/api/companies/987654321/ratings", "id", "no production company has id 987654321");
  expect_bad("/api/companies/abc/ratings", "id", "expected an integer of at least 1, got 'abc'");
  expect_bad("/api/companies/2/ratings?year=abc", "year", "expected a year from 1 to 9999");
  expect_bad("/api/companies/2/ratings?from=2000&to=1990", "from", "from: 2000 is after to (1990)");
  expect_bad("/api/companies/2/ratings?genre=18", "genre", "unknown parameter");
  expect_bad("/api/genres/424242/ratings", "id",
             "id: no genre has id 424242; find ids at /api/genres");
  expect_bad("/api/genres/0/ratings", "id", "expected an integer of at least 1");
  expect_bad("/api/genres/18/ratings?to=soon", "to", "expected a year");
  expect_bad("/api/genres/18/ratings?genre=18", "genre",
             "unknown parameter; /api/genres/{id}/ratings takes year, from, to");
  expect_bad("/api/genres/ratings?genre=424242", "genre", "no genre has id 424242");
  expect_bad("/api/genres/ratings?genre=drama", "genre", "expected an integer of at least 1");
  expect_bad("/api/genres/ratings?year=0", "year", "expected a year from 1 to 9999");
  expect_bad("/api/genres/ratings?from=2001&to=2000", "from", "is after to");
  expect_bad("/api/genres/ratings?year=1995&year=1996", "year", "given more than once");
}

TEST_F(ApiTest, AnEmptyValueCountsAsAbsent) {
  Reply r = get("/api/companies?search=&limit=&offset=");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body.at("limit"), 50);
  EXPECT_EQ(r.body.at("offset"), 0);
}

TEST_F(ApiTest, UnknownRoutesAre404WithAJsonError) {
  for (std::string target :
       {"/api/nothing", "/api/companies/2", "/api/companies/2/yearly/extra", "/nope.html"}) {
    Reply r = get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_TRUE(r.body.is_object() && r.body.contains("error")) << target << ": " << r.text;
  }
}

TEST_F(ApiTest, BatchesSayWhatWasLoaded) {
  auto accounting =
      json::parse(read_text(fs::path(MARQUEE_FIXTURES_DIR) / "golden/expected/accounting.json"));
  Reply r = get("/api/batches");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body.at("total"), 1);
  ASSERT_EQ(r.body.at("items").size(), 1u);
  const json& b = r.body.at("items")[0];
  EXPECT_EQ(b.at("status"), "loaded");
  EXPECT_EQ(b.at("rows_read"), accounting.at("rows_read"));
  EXPECT_EQ(b.at("rows_loaded"), accounting.at("rows_loaded"));
  EXPECT_EQ(b.at("rows_rejected"), accounting.at("rows_rejected"));
  EXPECT_EQ(b.at("duplicate_superseded"), accounting.at("duplicate_superseded"));
  EXPECT_TRUE(b.at("finished_at").is_string());
  EXPECT_EQ(b.at("sha256").get<std::string>().size(), 64u);
}

TEST_F(ApiTest, ABatchSaysWhatItChanged) {
  auto accounting =
      json::parse(read_text(fs::path(MARQUEE_FIXTURES_DIR) / "golden/expected/accounting.json"));
  {
    // What a run that wrote the reports after batch 1 records (the server only reads).
    auto store = store::open_store("sqlite:" + db_.string());
    store->record_report_changes(1, {{"genre_yearly", 2, 1, 0, {"year=1995 genre_id=18"}}});
  }
  Reply r = get("/api/batches/1");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body.at("id"), 1);
  EXPECT_EQ(r.body.at("rows_loaded"), accounting.at("rows_loaded"));
  // A first load: every distinct movie is new.
  EXPECT_EQ(r.body.at("movies"), json({{"new", accounting.at("rows_loaded")},
                                       {"updated", 0},
                                       {"unchanged", 0},
                                       {"removed", 0}}));
  EXPECT_TRUE(r.body.at("message").is_null());
  EXPECT_EQ(r.body.at("reports"), json({{"genre_yearly",
                                         {{"rows_added", 2},
                                          {"rows_changed", 1},
                                          {"rows_removed", 0},
                                          {"changed_keys", {"year=1995 genre_id=18"}}}}}));
  EXPECT_EQ(get("/api/batches").body.at("items")[0].at("movies"), r.body.at("movies"));
  expect_bad("/api/batches/99", "id", "no batch has id 99");
  expect_bad("/api/batches/x", "id", "expected an integer");
}

TEST_F(ApiTest, HealthSaysTheStoreAnswersAndWhenTheLastBatchFinished) {
  Reply r = get("/health");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body.at("status"), "ok");
  EXPECT_EQ(r.body.at("engine"), "sqlite");
  EXPECT_EQ(r.body.at("loaded_batches"), 1);
  Reply batches = get("/api/batches");
  EXPECT_EQ(r.body.at("last_batch_finished_at"), batches.body.at("items")[0].at("finished_at"));
}

TEST_F(ApiTest, TwoHundredConcurrentRequestsFromEightThreadsAreAllRight) {
  Csv csv = expected("company_yearly");
  auto id_set = company_ids(csv);
  std::vector<std::string> ids(id_set.begin(), id_set.end());
  std::map<std::string, std::vector<CsvRecord>> want;
  for (const auto& id : ids) want[id] = rows_of_company(csv, id);
  Csv popular = expected("most_popular_genre_by_year");

  constexpr int kThreads = 8, kPerThread = 25;
  std::atomic<int> correct{0};
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", port());
      client.set_url_encode(false);
      for (int i = 0; i < kPerThread; ++i) {
        int n = t * kPerThread + i;
        bool ok = false;
        if (n % 5 == 4) {
          auto res = client.Get("/api/genres/most-popular");
          ok = res && res->status == 200 &&
               json_rows(json::parse(res->body), popular.header) == popular.rows;
        } else {
          const std::string& id = ids[static_cast<std::size_t>(n) % ids.size()];
          auto res = client.Get(("/api/companies/" + id + "/yearly").c_str());
          ok = res && res->status == 200 &&
               json_rows(json::parse(res->body), csv.header) == want[id];
        }
        if (ok) {
          ++correct;
        } else {
          failures[t] += fmt::format("request {} failed; ", n);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(correct.load(), kThreads * kPerThread);
  for (const auto& f : failures) EXPECT_EQ(f, "");
}

json resolve(const json& doc, const json& schema) {
  if (!schema.contains("$ref")) return schema;
  std::string name =
      schema.at("$ref").get<std::string>().substr(std::string("#/components/schemas/").size());
  return doc.at("components").at("schemas").at(name);
}

std::set<std::string> property_names(const json& schema) {
  std::set<std::string> out;
  for (auto& [k, v] : schema.at("properties").items()) out.insert(k);
  return out;
}

std::set<std::string> keys(const json& object) {
  std::set<std::string> out;
  for (auto& [k, v] : object.items()) out.insert(k);
  return out;
}

TEST_F(ApiTest, OpenApiDescribesExactlyTheRouterRoutes) {
  Reply r = get("/api/openapi.json");
  ASSERT_EQ(r.status, 200) << r.text;
  const json& doc = r.body;
  EXPECT_EQ(doc.at("openapi").get<std::string>().substr(0, 2), "3.");

  auto routes = api_routes();
  std::set<std::string> route_paths, doc_paths;
  for (const auto& route : routes) route_paths.insert(route.path);
  for (auto& [path, item] : doc.at("paths").items()) {
    doc_paths.insert(path);
    EXPECT_EQ(keys(item), std::set<std::string>{"get"}) << path;
  }
  EXPECT_EQ(doc_paths, route_paths);
  EXPECT_EQ(route_paths.size(), routes.size()) << "a route is registered twice";
  for (const char* path :
       {"/api/companies", "/api/companies/{id}/yearly", "/api/companies/{id}/genres",
        "/api/companies/{id}/movies", "/api/companies/{id}/ratings", "/api/genres",
        "/api/genres/yearly", "/api/genres/most-popular", "/api/genres/ratings",
        "/api/genres/{id}/movies", "/api/genres/{id}/ratings", "/api/batches", "/health",
        "/api/openapi.json"}) {
    EXPECT_TRUE(route_paths.contains(path)) << path;
  }

  std::int64_t some_genre = get("/api/genres").body.at("items")[0].at("id");
  for (const auto& route : routes) {
    const json& op = doc.at("paths").at(route.path).at("get");
    std::vector<std::string> doc_path_params, doc_query_params;
    std::string query;
    for (const auto& p : op.at("parameters")) {
      std::string name = p.at("name");
      (p.at("in") == "path" ? doc_path_params : doc_query_params).push_back(name);
      // A valid example of every documented query parameter, all at once.
      const json& schema = p.at("schema");
      std::string example = schema.contains("enum") ? schema.at("enum")[0].get<std::string>()
                            : schema.at("type") == "string"    ? "a"
                            : name == "genre"                  ? std::to_string(some_genre)
                            : name == "year" || name == "from" ? "1990"
                            : name == "to"                     ? "2000"
                                           : std::to_string(schema.value("default", 1));
      if (p.at("in") == "query") query += (query.empty() ? "?" : "&") + name + "=" + example;
    }
    EXPECT_EQ(doc_path_params, route.path_params) << route.path;
    EXPECT_EQ(doc_query_params, route.query_params) << route.path;

    std::string path = route.path;
    if (auto at = path.find("{id}"); at != std::string::npos) {
      path.replace(at, 4,
                   path.starts_with("/api/genres/")    ? std::to_string(some_genre)
                   : path.starts_with("/api/batches/") ? "1"
                                                       : "2");
    }
    Reply live = get(path + query);
    EXPECT_EQ(live.status, 200) << path + query << ": " << live.text;
    json schema = resolve(
        doc, op.at("responses").at("200").at("content").at("application/json").at("schema"));
    if (schema.contains("properties")) {
      EXPECT_EQ(keys(live.body), property_names(schema)) << route.path;
      for (const char* list : {"rows", "items"}) {
        if (!schema.at("properties").contains(list) || live.body.at(list).empty()) continue;
        json item = resolve(doc, schema.at("properties").at(list).at("items"));
        EXPECT_EQ(keys(live.body.at(list)[0]), property_names(item)) << route.path << " " << list;
      }
    }
    // Anything undocumented is refused, so the documented parameters are exactly the accepted ones.
    Reply extra = get(path + (query.empty() ? "?" : query + "&") + "undocumented=1");
    EXPECT_EQ(extra.status, 400) << route.path;
  }
}

TEST_F(ApiTest, ServesTheDashboard) {
  Reply index = get("/");
  ASSERT_EQ(index.status, 200);
  EXPECT_TRUE(index.content_type.starts_with("text/html")) << index.content_type;
  EXPECT_NE(index.text.find("app.js"), std::string::npos);
  Reply app = get("/app.js");
  EXPECT_EQ(app.status, 200);
  EXPECT_TRUE(app.content_type.starts_with("text/javascript")) << app.content_type;
  EXPECT_EQ(get("/style.css").status, 200);
}

TEST_F(ApiTest, LogsOneLinePerRequestWithMethodPathStatusAndTime) {
  get("/api/genres?log-probe=1");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int lines = 0;
  for (const auto& line : log_sink()->last_formatted()) {
    if (line.find("GET /api/genres?log-probe=1 400 ") != std::string::npos &&
        line.find(" ms") != std::string::npos) {
      ++lines;
    }
  }
  EXPECT_EQ(lines, 1);
}

/// A record as SPEC 5 writes it: a field quoted only when it holds a comma, quote, CR or LF
/// (quotes doubled), LF at the end.
std::string csv_line(const CsvRecord& record) {
  std::string out;
  for (std::size_t i = 0; i < record.size(); ++i) {
    if (i > 0) out += ',';
    const std::string& f = record[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out += f;
      continue;
    }
    out += '"';
    for (char c : f) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  return out + '\n';
}

std::string csv_text(const CsvRecord& header, const std::vector<CsvRecord>& rows) {
  std::string out = csv_line(header);
  for (const auto& row : rows) out += csv_line(row);
  return out;
}

/// A report file of a run, parsed; fails the test unless writing it back gives the same bytes, so
/// that comparing records is comparing the file's bytes.
Csv report_file(const fs::path& results, const std::string& report) {
  std::string text = read_text(results / (report + ".csv"));
  Csv csv = parse_csv(text);
  EXPECT_EQ(csv_text(csv.header, csv.rows), text) << report << ": the test's CSV reader";
  return csv;
}

std::int64_t column_sum(const Csv& csv, const std::vector<CsvRecord>& rows,
                        const std::string& column) {
  std::int64_t sum = 0;
  for (const auto& row : rows) sum += std::stoll(row[csv.column(column)]);
  return sum;
}

/// The three rating routes against the two rating reports a run wrote into `results`: the rows,
/// written back as CSV, are the files' bytes; and the genre and company lists' rated_movies and
/// ratings are the sums of their rows.
void expect_rating_routes_match_files(int port, const fs::path& results) {
  Csv genre_csv = report_file(results, "genre_rating_yearly");
  ASSERT_GT(genre_csv.rows.size(), 50u) << "the generated archive should rate many genre-years";
  Reply all = get(port, "/api/genres/ratings");
  ASSERT_EQ(all.status, 200) << all.text;
  EXPECT_EQ(all.body.at("columns").get<CsvRecord>(), genre_csv.header);
  EXPECT_EQ(all.body.at("count").get<std::size_t>(), genre_csv.rows.size());
  EXPECT_EQ(csv_text(genre_csv.header, json_rows(all.body, genre_csv.header)),
            read_text(results / "genre_rating_yearly.csv"));

  Reply genres = get(port, "/api/genres");
  ASSERT_EQ(genres.status, 200) << genres.text;
  std::size_t rated_genres = 0;
  for (const auto& g : genres.body.at("items")) {
    std::string id = std::to_string(g.at("id").get<std::int64_t>());
    std::vector<CsvRecord> want;
    for (const auto& row : genre_csv.rows) {
      if (row[genre_csv.column("genre_id")] == id) want.push_back(row);
    }
    Reply r = get(port, "/api/genres/" + id + "/ratings");
    ASSERT_EQ(r.status, 200) << id << ": " << r.text;
    EXPECT_EQ(r.body.at("genre_id"), g.at("id"));
    EXPECT_EQ(r.body.at("genre_name"), g.at("name"));
    EXPECT_EQ(r.body.at("columns").get<CsvRecord>(), genre_csv.header);
    EXPECT_EQ(json_rows(r.body, genre_csv.header), want) << "genre " << id;
    EXPECT_EQ(r.body.at("count").get<std::size_t>(), want.size());
    EXPECT_EQ(g.at("rated_movies"), column_sum(genre_csv, want, "rated_movies")) << g.dump();
    EXPECT_EQ(g.at("ratings"), column_sum(genre_csv, want, "ratings")) << g.dump();
    if (!want.empty()) ++rated_genres;
  }
  EXPECT_GT(rated_genres, 5u);

  // The company routes in company id order are the whole file, row for row.
  Csv company_csv = report_file(results, "company_rating_yearly");
  ASSERT_GT(company_csv.rows.size(), 50u);
  std::vector<std::string> ids;
  std::map<std::string, std::vector<CsvRecord>> by_company;
  for (const auto& row : company_csv.rows) {
    const std::string& id = row[company_csv.column("company_id")];
    if (by_company[id].empty()) ids.push_back(id);
    by_company[id].push_back(row);
  }
  std::vector<CsvRecord> served;
  for (const auto& id : ids) {
    Reply r = get(port, "/api/companies/" + id + "/ratings");
    ASSERT_EQ(r.status, 200) << id << ": " << r.text;
    EXPECT_EQ(r.body.at("columns").get<CsvRecord>(), company_csv.header);
    EXPECT_EQ(r.body.at("company_name").get<std::string>(),
              by_company[id].front()[company_csv.column("company_name")]);
    EXPECT_EQ(r.body.at("count").get<std::size_t>(), by_company[id].size()) << "company " << id;
    for (auto& row : json_rows(r.body, company_csv.header)) served.push_back(std::move(row));
  }
  EXPECT_EQ(csv_text(company_csv.header, served), read_text(results / "company_rating_yearly.csv"));

  // Every company in the list, rated or not, with its sums; one without ratings answers no rows.
  std::optional<std::string> unrated;
  std::int64_t total = 1;
  for (std::int64_t offset = 0; offset < total; offset += 1000) {
    Reply page = get(port, fmt::format("/api/companies?sort=id&limit=1000&offset={}", offset));
    ASSERT_EQ(page.status, 200) << page.text;
    total = page.body.at("total");
    for (const auto& c : page.body.at("items")) {
      std::string id = std::to_string(c.at("id").get<std::int64_t>());
      const auto& rows = by_company[id];
      EXPECT_EQ(c.at("rated_movies"), column_sum(company_csv, rows, "rated_movies")) << c.dump();
      EXPECT_EQ(c.at("ratings"), column_sum(company_csv, rows, "ratings")) << c.dump();
      if (rows.empty() && !unrated) unrated = id;
    }
  }
  ASSERT_TRUE(unrated.has_value()) << "every generated company has ratings";
  Reply none = get(port, "/api/companies/" + *unrated + "/ratings");
  ASSERT_EQ(none.status, 200) << none.text;
  EXPECT_EQ(none.body.at("count"), 0);
  EXPECT_TRUE(none.body.at("rows").empty());
}

/// A generated archive with ratings, loaded and reported by the real pipeline as `marquee run`
/// does, served for the suite: the routes must give back the report files it wrote.
class RatingApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fresh_dir("ratings");
    pipeline::JobOptions options;
    options.workdir = root_ / "work";
    pipeline::Job(options).run(testing::generated_archive(root_).string());
    results_ = options.effective_results_dir();
    server_ = new RunningServer(options.workdir / "marquee.db");
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    std::error_code ec;
    if (std::getenv("MARQUEE_KEEP_TEST_DIRS") == nullptr) fs::remove_all(root_, ec);
  }
  static int port() { return server_->port(); }
  static Reply get(const std::string& target) { return marquee::api::get(port(), target); }
  static Csv report(const std::string& name) { return report_file(results_, name); }

  static inline fs::path root_, results_;
  static inline RunningServer* server_ = nullptr;
};

TEST_F(RatingApiTest, RoutesServeTheRatingReportFilesRowForRow) {
  expect_rating_routes_match_files(port(), results_);
}

TEST_F(RatingApiTest, AvgRatingKeepsItsFourDecimalsAsAString) {
  Reply r = get("/api/genres/ratings");
  ASSERT_EQ(r.status, 200) << r.text;
  ASSERT_FALSE(r.body.at("rows").empty());
  std::regex four_decimals(R"([0-9]\.[0-9]{4})");
  for (const auto& row : r.body.at("rows")) {
    ASSERT_TRUE(row.at("avg_rating").is_string()) << row.dump();
    std::string v = row.at("avg_rating");
    EXPECT_TRUE(std::regex_match(v, four_decimals)) << v;
    EXPECT_GE(std::stod(v), 0.5);
    EXPECT_LE(std::stod(v), 5.0);
    EXPECT_TRUE(row.at("ratings").is_number_integer());
    EXPECT_GE(row.at("ratings").get<std::int64_t>(), row.at("rated_movies").get<std::int64_t>());
  }
}

TEST_F(RatingApiTest, GenreRatingsFilterByGenreAndYears) {
  Csv csv = report("genre_rating_yearly");
  std::map<std::string, std::vector<CsvRecord>> by_genre;
  for (const auto& row : csv.rows) by_genre[row[csv.column("genre_id")]].push_back(row);
  auto best = std::max_element(by_genre.begin(), by_genre.end(), [](const auto& a, const auto& b) {
    return a.second.size() < b.second.size();
  });
  ASSERT_GE(best->second.size(), 3u);
  const auto& rows = best->second;
  std::string from = rows[1][csv.column("year")];
  std::string to = rows[rows.size() - 2][csv.column("year")];
  std::vector<CsvRecord> want(rows.begin() + 1, rows.end() - 1);

  Reply one = get(fmt::format("/api/genres/{}/ratings?from={}&to={}", best->first, from, to));
  ASSERT_EQ(one.status, 200) << one.text;
  EXPECT_EQ(json_rows(one.body, csv.header), want);
  Reply listed =
      get(fmt::format("/api/genres/ratings?genre={}&from={}&to={}", best->first, from, to));
  ASSERT_EQ(listed.status, 200) << listed.text;
  EXPECT_EQ(json_rows(listed.body, csv.header), want);

  std::vector<CsvRecord> of_year;
  for (const auto& row : csv.rows) {
    if (row[csv.column("year")] == from) of_year.push_back(row);
  }
  Reply year = get("/api/genres/ratings?year=" + from);
  ASSERT_EQ(year.status, 200) << year.text;
  EXPECT_EQ(json_rows(year.body, csv.header), of_year);
  Reply cell = get(fmt::format("/api/genres/{}/ratings?year={}", best->first, from));
  ASSERT_EQ(cell.status, 200) << cell.text;
  EXPECT_EQ(json_rows(cell.body, csv.header), std::vector<CsvRecord>{rows[1]});
}

TEST_F(RatingApiTest, CompanyRatingsFilterByYears) {
  Csv csv = report("company_rating_yearly");
  std::map<std::string, std::vector<CsvRecord>> by_company;
  for (const auto& row : csv.rows) by_company[row[csv.column("company_id")]].push_back(row);
  auto best = std::max_element(
      by_company.begin(), by_company.end(),
      [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
  ASSERT_GE(best->second.size(), 3u);
  const auto& rows = best->second;
  std::string from = rows[1][csv.column("year")];
  std::string to = rows[rows.size() - 2][csv.column("year")];
  Reply r = get(fmt::format("/api/companies/{}/ratings?from={}&to={}", best->first, from, to));
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(json_rows(r.body, csv.header),
            std::vector<CsvRecord>(rows.begin() + 1, rows.end() - 1));
  Reply one = get(fmt::format("/api/companies/{}/ratings?year={}", best->first, to));
  ASSERT_EQ(one.status, 200) << one.text;
  EXPECT_EQ(json_rows(one.body, csv.header), std::vector<CsvRecord>{rows[rows.size() - 2]});
}

TEST_F(RatingApiTest, RatingRowsHaveTheDocumentedKeys) {
  json doc = get("/api/openapi.json").body;
  std::string company = report("company_rating_yearly").rows.front().front();
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"/api/genres/ratings", "GenreRatingRow"},
      {"/api/genres/" + report("genre_rating_yearly").rows.front()[1] + "/ratings",
       "GenreRatingRow"},
      {"/api/companies/" + company + "/ratings", "CompanyRatingRow"}};
  for (const auto& [target, schema] : routes) {
    Reply r = get(target);
    ASSERT_EQ(r.status, 200) << target << ": " << r.text;
    ASSERT_FALSE(r.body.at("rows").empty()) << target;
    const json& row = r.body.at("rows")[0];
    EXPECT_EQ(keys(row), property_names(doc.at("components").at("schemas").at(schema))) << target;
    // json sorts an object's keys; ordered_json keeps them as served.
    auto served = nlohmann::ordered_json::parse(r.text);
    std::vector<std::string> order;
    for (auto& [k, v] : served.at("rows")[0].items()) order.push_back(k);
    EXPECT_EQ(order, r.body.at("columns").get<std::vector<std::string>>()) << "in CSV order";
  }
}

TEST(ApiServer, AnswersFromTheLatestBatchAfterALoad) {
  auto root = fresh_dir("reload");
  auto golden = fs::path(MARQUEE_FIXTURES_DIR) / "golden/movies_metadata.csv";
  auto db = load_batches(root, {golden});
  RunningServer server(db, 2);
  Reply before = get(server.port(), "/api/companies/2/yearly?year=2031");
  ASSERT_EQ(before.status, 200) << before.text;
  EXPECT_EQ(before.body.at("count"), 0);

  // A second batch: one new Walt Disney Pictures movie of 2031.
  std::string header = read_text(golden).substr(0, read_text(golden).find('\n'));
  std::map<std::string, std::string> values = {
      {"id", "990001"},
      {"title", "Later"},
      {"release_date", "2031-05-01"},
      {"budget", "1000"},
      {"revenue", "4000"},
      {"popularity", "1.5"},
      {"genres", "\"[{'id': 18, 'name': 'Drama'}]\""},
      {"production_companies", "\"[{'name': 'Walt Disney Pictures', 'id': 2}]\""}};
  std::vector<std::string> fields;
  std::stringstream columns(header);
  for (std::string column; std::getline(columns, column, ',');) fields.push_back(values[column]);
  std::string record = fmt::format("{}", fmt::join(fields, ","));
  auto extra = root / "extra.csv";
  std::ofstream(extra) << header << '\n' << record << '\n';
  pipeline::JobOptions options;
  options.workdir = root / "work";
  fs::create_directories(root / "data-extra");
  fs::copy_file(extra, root / "data-extra/movies_metadata.csv");
  pipeline::Job(options).run((root / "data-extra").string());

  Reply after = get(server.port(), "/api/companies/2/yearly?year=2031");
  ASSERT_EQ(after.status, 200) << after.text;
  ASSERT_EQ(after.body.at("count"), 1) << after.text;
  const json& row = after.body.at("rows")[0];
  EXPECT_EQ(row.at("total_budget"), 1000);
  EXPECT_EQ(row.at("total_profit"), 3000);
  EXPECT_EQ(row.at("avg_popularity"), "1.500000");
  EXPECT_EQ(get(server.port(), "/api/batches").body.at("total"), 2);
  std::error_code ec;
  fs::remove_all(root, ec);
}

TEST(ApiServer, TotalsPast64BitsAreServedExactly) {
  auto root = fresh_dir("huge");
  auto golden = fs::path(MARQUEE_FIXTURES_DIR) / "golden/movies_metadata.csv";
  std::string header = read_text(golden).substr(0, read_text(golden).find('\n'));
  std::string csv = header + '\n';
  for (const char* id : {"990001", "990002"}) {
    std::map<std::string, std::string> values = {
        {"id", id},
        {"title", "Huge"},
        {"release_date", "2032-05-01"},
        {"budget", "5000000000000000000"},
        {"revenue", "7"},
        {"popularity", "1"},
        {"genres", "\"[{'id': 18, 'name': 'Drama'}]\""},
        {"production_companies", "\"[{'name': 'Walt Disney Pictures', 'id': 2}]\""}};
    std::vector<std::string> fields;
    std::stringstream columns(header);
    for (std::string column; std::getline(columns, column, ',');) fields.push_back(values[column]);
    csv += fmt::format("{}\n", fmt::join(fields, ","));
  }
  auto file = root / "huge.csv";
  std::ofstream(file) << csv;
  auto db = load_batches(root, {golden, file});
  RunningServer server(db, 2);
  Reply reply = get(server.port(), "/api/companies/2/yearly?year=2032");
  ASSERT_EQ(reply.status, 200) << reply.text;
  ASSERT_EQ(reply.body.at("count"), 1) << reply.text;
  const json& row = reply.body.at("rows")[0];
  EXPECT_EQ(row.at("total_budget"), "10000000000000000000");  // past int64: its digits
  EXPECT_EQ(row.at("total_revenue"), 14);                     // within int64: a number
  EXPECT_EQ(row.at("total_profit"), "-9999999999999999986");
  std::error_code ec;
  fs::remove_all(root, ec);
}

/// The URL with its database name replaced.
std::string with_database(const std::string& url, const std::string& db) {
  auto authority = url.find("://");
  auto slash = url.find('/', authority == std::string::npos ? 0 : authority + 3);
  auto query = url.find('?');
  std::string head = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return head + "/" + db + tail;
}

bool admin_exec(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PGresult* r = PQexec(conn, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) ADD_FAILURE() << sql << ": " << PQerrorMessage(conn);
    PQclear(r);
  } else {
    ADD_FAILURE() << "cannot connect to " << url << ": " << PQerrorMessage(conn);
  }
  PQfinish(conn);
  return ok;
}

TEST(ApiServer, PostgresAnswersWithTheReportsDigits) {
  const char* base = std::getenv("MARQUEE_TEST_PG");
  if (base == nullptr || *base == '\0')
    GTEST_SKIP() << "MARQUEE_TEST_PG is not set; ./test.sh starts a server and sets it";
  std::random_device rd;
  std::string name = fmt::format("marquee_api_{:08x}", rd());
  ASSERT_TRUE(admin_exec(base, "CREATE DATABASE " + name));
  std::string url = with_database(base, name);
  auto root = fresh_dir("postgres");
  {
    pipeline::JobOptions options;
    options.workdir = root / "work";
    options.db_url = url;
    options.max_reject_ratio = 0.05;
    fs::create_directories(root / "data");
    fs::copy_file(fs::path(MARQUEE_FIXTURES_DIR) / "golden/movies_metadata.csv",
                  root / "data/movies_metadata.csv");
    pipeline::Job(options).run((root / "data").string());

    ServeOptions serve_options;
    serve_options.db_url = url;
    serve_options.port = 0;
    serve_options.threads = 2;
    Server server(serve_options);
    server.bind();
    std::thread listener([&] { server.listen(); });
    for (int i = 0; i < 500 && !server.running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));

    Csv yearly = expected("company_yearly");
    for (const auto& id : company_ids(yearly)) {
      Reply r = get(server.port(), "/api/companies/" + id + "/yearly");
      ASSERT_EQ(r.status, 200) << r.text;
      EXPECT_EQ(json_rows(r.body, yearly.header), rows_of_company(yearly, id)) << "company " << id;
    }
    Csv genres = expected("company_genre_yearly");
    for (const auto& id : company_ids(genres)) {
      Reply r = get(server.port(), "/api/companies/" + id + "/genres");
      ASSERT_EQ(r.status, 200) << r.text;
      EXPECT_EQ(json_rows(r.body, genres.header), rows_of_company(genres, id)) << "company " << id;
    }
    Csv genre_yearly = expected("genre_yearly");
    EXPECT_EQ(json_rows(get(server.port(), "/api/genres/yearly").body, genre_yearly.header),
              genre_yearly.rows);
    Csv popular = expected("most_popular_genre_by_year");
    EXPECT_EQ(json_rows(get(server.port(), "/api/genres/most-popular").body, popular.header),
              popular.rows);
    expect_movies_of_every_row(server.port(), "company_yearly", "movies");
    expect_movies_of_every_row(server.port(), "company_genre_yearly", "releases");
    expect_movies_of_every_row(server.port(), "genre_yearly", "movies");
    Reply disney = get(server.port(), "/api/companies/2/movies?year=1995");
    EXPECT_EQ(disney.body.at("rows")[0].at("release_date"), "1995-06-14") << disney.text;
    EXPECT_EQ(disney.body.at("rows")[0].at("popularity"), "13.280069") << disney.text;
    Reply health = get(server.port(), "/health");
    EXPECT_EQ(health.body.value("engine", ""), "postgresql") << health.text;
    server.stop();
    listener.join();
  }
  admin_exec(base, "DROP DATABASE " + name + " WITH (FORCE)");
  std::error_code ec;
  fs::remove_all(root, ec);
}

TEST(ApiServer, PostgresRatingRoutesMatchTheReportFiles) {
  const char* base = std::getenv("MARQUEE_TEST_PG");
  if (base == nullptr || *base == '\0')
    GTEST_SKIP() << "MARQUEE_TEST_PG is not set; ./test.sh starts a server and sets it";
  std::random_device rd;
  std::string name = fmt::format("marquee_api_ratings_{:08x}", rd());
  ASSERT_TRUE(admin_exec(base, "CREATE DATABASE " + name));
  std::string url = with_database(base, name);
  auto root = fresh_dir("postgres-ratings");
  {
    pipeline::JobOptions options;
    options.workdir = root / "work";
    options.db_url = url;
    pipeline::Job(options).run(testing::generated_archive(root).string());

    ServeOptions serve_options;
    serve_options.db_url = url;
    serve_options.port = 0;
    serve_options.threads = 2;
    RunningServer server(serve_options);
    expect_rating_routes_match_files(server.port(), options.effective_results_dir());
    Reply health = get(server.port(), "/health");
    EXPECT_EQ(health.body.value("engine", ""), "postgresql") << health.text;
  }
  admin_exec(base, "DROP DATABASE " + name + " WITH (FORCE)");
  std::error_code ec;
  fs::remove_all(root, ec);
}

TEST(ApiServer, RefusesAMissingDatabase) {
  auto root = fresh_dir("missing");
  ServeOptions options;
  options.db_url = "sqlite:" + (root / "nothing-here.db").string();
  EXPECT_THROW(
      {
        try {
          Server server(options);
        } catch (const std::exception& e) {
          EXPECT_NE(std::string(e.what()).find("no database there"), std::string::npos) << e.what();
          throw;
        }
      },
      std::exception);
  EXPECT_FALSE(fs::exists(root / "nothing-here.db"))
      << "serve created the database it was pointed at";
  std::error_code ec;
  fs::remove_all(root, ec);
}

/// Unsets an environment variable for a scope, and puts it back.
class UnsetEnv {
 public:
  explicit UnsetEnv(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) saved_ = v;
    ::unsetenv(name);
  }
  ~UnsetEnv() {
    if (saved_) ::setenv(name_, saved_->c_str(), 1);
  }
  UnsetEnv(const UnsetEnv&) = delete;
  UnsetEnv& operator=(const UnsetEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

/// An installed marquee has no node_modules: the install vendors chart.js into the dashboard's
/// folder (share/marquee/web/vendor/), and serve takes it from there before any build's npm tree.
TEST(ApiServer, ServesTheChartJsVendoredBesideTheDashboard) {
  auto root = fresh_dir("vendored");
  auto db = load_batches(root, {fs::path(MARQUEE_FIXTURES_DIR) / "golden/movies_metadata.csv"});
  auto web = root / "share/marquee/web";
  fs::create_directories(web / "vendor");
  fs::copy_file(fs::path(MARQUEE_SOURCE_DIR) / "web/index.html", web / "index.html");
  const std::string vendored = "/* the vendored chart.js */\n";
  std::ofstream(web / "vendor/chart.umd.js") << vendored;
  {
    UnsetEnv no_node_modules("MARQUEE_NODE_MODULES");  // ./test.sh exports it, and it comes first
    ServeOptions options;
    options.db_url = "sqlite:" + db.string();
    options.port = 0;
    options.threads = 2;
    options.web_dir = web;
    Server server(options);
    server.bind();
    std::thread listener([&server] { server.listen(); });
    for (int i = 0; i < 500 && !server.running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    Reply chart = get(server.port(), "/vendor/chart.umd.js");
    Reply index = get(server.port(), "/");
    server.stop();
    listener.join();
    EXPECT_EQ(chart.status, 200);
    EXPECT_EQ(chart.text, vendored);
    EXPECT_TRUE(chart.content_type.starts_with("text/javascript")) << chart.content_type;
    EXPECT_EQ(index.status, 200);
  }
  std::error_code ec;
  fs::remove_all(root, ec);
}

TEST(ApiServer, StopsPromptlyWithAKeepAliveClientConnected) {
  auto root = fresh_dir("stop");
  auto db = load_batches(root, {fs::path(MARQUEE_FIXTURES_DIR) / "golden/movies_metadata.csv"});
  auto server = std::make_unique<RunningServer>(db, 2);
  httplib::Client client("127.0.0.1", server->port());
  client.set_keep_alive(true);
  auto res = client.Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto start = std::chrono::steady_clock::now();
  server.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  std::error_code ec;
  fs::remove_all(root, ec);
}

}  // namespace
}  // namespace marquee::api
