#include <gtest/gtest.h>

#include <cstdlib>

#include "test_support.hpp"

namespace marquee {
namespace {

using testing::fixture;
using testing::make_zip;
using testing::read_file;
using testing::run_command;
using testing::shell_quote;
using testing::TempDir;

constexpr const char* kBucket = "com.marquee.cli-test";

/// `marquee run s3://…` against the s3rver that test.sh starts, through the real binary.
class S3Run : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* endpoint = std::getenv("MARQUEE_TEST_S3_ENDPOINT");
    if (endpoint == nullptr)
      GTEST_SKIP() << "MARQUEE_TEST_S3_ENDPOINT is not set (test.sh starts s3rver)";
    endpoint_ = endpoint;
    make_zip(dir_ / "the-movies-dataset.zip", {fixture("golden/movies_metadata.csv")});
    key_ = fmt::format("runs/{}/the-movies-dataset.zip", ::getpid());
    put("");  // the bucket (already there is fine)
    auto r = put(key_, (dir_ / "the-movies-dataset.zip").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  /// A SigV4-signed PUT with curl's own signer; s3rver's account is S3RVER/S3RVER.
  testing::CommandResult put(const std::string& key, const std::string& file = "") {
    std::string url = fmt::format("{}/{}{}", endpoint_, kBucket, key.empty() ? "" : "/" + key);
    std::string cmd =
        "curl -sS -f -X PUT --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER "
        "-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' " +
        shell_quote(url);
    if (!file.empty()) cmd += " --data-binary @" + shell_quote(file);
    return run_command(cmd);
  }

  testing::CommandResult marquee(const std::string& source,
                                 const std::string& access_key = "S3RVER") {
    std::string env = fmt::format(
        "env AWS_ENDPOINT_URL_S3={} AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY=S3RVER "
        "AWS_REGION=us-east-1 "
        "AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent ",
        shell_quote(endpoint_), shell_quote(access_key));
    return run_command(env + shell_quote(testing::marquee_binary()) + " run " +
                       shell_quote(source) + " --retries 1 --max-reject-ratio 0.05 --workdir " +
                       shell_quote((dir_ / "work").string()));
  }

  TempDir dir_;
  std::string endpoint_, key_;
};

TEST_F(S3Run, SignedRunGivesTheGoldenReports) {
  auto r = marquee(fmt::format("s3://{}/{}", kBucket, key_));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name :
       {"company_yearly", "genre_yearly", "most_popular_genre_by_year", "company_genre_yearly"}) {
    std::string file = std::string(name) + ".csv";
    EXPECT_EQ(read_file(dir_ / ("work/movie_results/" + file)),
              read_file(fixture("golden/expected/" + file)))
        << file;
  }
}

TEST_F(S3Run, UnchangedSourceIsNotDownloadedAgain) {
  std::string source = fmt::format("s3://{}/{}", kBucket, key_);
  ASSERT_EQ(marquee(source).exit_code, 0);
  auto again = marquee(source);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("unchanged"), std::string::npos) << again.output;
}

TEST_F(S3Run, WrongAccessKeyExits2NamingTheObject) {
  auto r = marquee(fmt::format("s3://{}/{}", kBucket, key_), "NOT-A-KEY");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(kBucket), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("S3RVER"), std::string::npos)
      << "the secret must not be printed: " << r.output;
}

TEST_F(S3Run, MissingKeyExits2) {
  auto r = marquee(fmt::format("s3://{}/no/such/key.zip", kBucket));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no/such/key.zip"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace marquee
