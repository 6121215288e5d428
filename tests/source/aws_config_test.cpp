#include <gtest/gtest.h>

#include <fstream>

#include "source/aws_config.hpp"
#include "source/s3_test_support.hpp"

namespace marquee::source {
namespace {

using testing::ScopedEnv;
using testing::TempDir;

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(S3Uri, ParsesBucketAndKey) {
  auto location = parse_s3_uri("s3://com.guild.us-west-2.public-data/project-data/x.zip");
  ASSERT_TRUE(location);
  EXPECT_EQ(location->bucket, "com.guild.us-west-2.public-data");
  EXPECT_EQ(location->key, "project-data/x.zip");
  EXPECT_EQ(location->uri(), "s3://com.guild.us-west-2.public-data/project-data/x.zip");
  EXPECT_FALSE(parse_s3_uri("https://example.com/x.zip"));
  EXPECT_FALSE(parse_s3_uri("s3:///key"));
}

TEST(AwsCredentials, EnvironmentComesFirst) {
  ScopedEnv env;
  TempDir dir;
  write_file(dir.path() / "credentials",
             "[default]\naws_access_key_id = FILEKEY\n"
             "aws_secret_access_key = filesecret\n");
  env.set("AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "credentials").string());
  env.set("AWS_ACCESS_KEY_ID", "ENVKEY");
  env.set("AWS_SECRET_ACCESS_KEY", "envsecret");
  env.set("AWS_SESSION_TOKEN", "envtoken");
  auto credentials = find_aws_credentials();
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->access_key_id, "ENVKEY");
  EXPECT_EQ(credentials->secret_access_key, "envsecret");
  EXPECT_EQ(credentials->session_token, "envtoken");
  EXPECT_NE(credentials->origin.find("environment"), std::string::npos);
}

TEST(AwsCredentials, ProfileFromTheSharedCredentialsFile) {
  ScopedEnv env;
  TempDir dir;
  write_file(dir.path() / "credentials",
             "# comment\n[default]\naws_access_key_id=DEFAULTKEY\naws_secret_access_key=d\n\n"
             "[loader]\n; another comment\naws_access_key_id = LOADERKEY\n"
             "aws_secret_access_key = loadersecret\naws_session_token = loadertoken\n");
  env.set("AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "credentials").string());
  auto by_default = find_aws_credentials();
  ASSERT_TRUE(by_default);
  EXPECT_EQ(by_default->access_key_id, "DEFAULTKEY");

  env.set("AWS_PROFILE", "loader");
  auto credentials = find_aws_credentials();
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->access_key_id, "LOADERKEY");
  EXPECT_EQ(credentials->secret_access_key, "loadersecret");
  EXPECT_EQ(credentials->session_token, "loadertoken");
  EXPECT_NE(credentials->origin.find("profile 'loader'"), std::string::npos);
  EXPECT_EQ(credentials->origin.find("loadersecret"), std::string::npos);
}

TEST(AwsCredentials, NoneConfiguredMeansUnsigned) {
  ScopedEnv env;
  EXPECT_FALSE(find_aws_credentials());
  S3Settings settings = resolve_s3_settings("bucket", false);
  EXPECT_FALSE(settings.credentials);
}

TEST(AwsCredentials, NoSignRequestIgnoresCredentials) {
  ScopedEnv env;
  env.set("AWS_ACCESS_KEY_ID", "ENVKEY");
  env.set("AWS_SECRET_ACCESS_KEY", "envsecret");
  EXPECT_FALSE(resolve_s3_settings("bucket", true).credentials);
  EXPECT_TRUE(resolve_s3_settings("bucket", false).credentials);
}

TEST(S3Region, DefaultsToUsEast1) {
  ScopedEnv env;
  EXPECT_EQ(resolve_s3_settings("bucket", false).region, "us-east-1");
}

TEST(S3Region, EnvironmentBeforeConfigFile) {
  ScopedEnv env;
  TempDir dir;
  write_file(dir.path() / "config",
             "[default]\nregion = eu-west-1\n[profile loader]\nregion = ap-south-1\n");
  env.set("AWS_CONFIG_FILE", (dir.path() / "config").string());
  EXPECT_EQ(resolve_s3_settings("bucket", false).region, "eu-west-1");
  env.set("AWS_PROFILE", "loader");
  EXPECT_EQ(resolve_s3_settings("bucket", false).region, "ap-south-1");
  env.set("AWS_DEFAULT_REGION", "eu-central-1");
  EXPECT_EQ(resolve_s3_settings("bucket", false).region, "eu-central-1");
  env.set("AWS_REGION", "us-east-2");
  EXPECT_EQ(resolve_s3_settings("bucket", false).region, "us-east-2");
}

TEST(S3Region, CanonicalBucketIsInUsWest2) {
  ScopedEnv env;
  env.set("AWS_REGION", "eu-west-1");
  S3Settings settings = resolve_s3_settings("com.guild.us-west-2.public-data", true);
  EXPECT_EQ(settings.region, "us-west-2");
  EXPECT_TRUE(settings.path_style);
  EXPECT_EQ(s3_object_url(settings, {"com.guild.us-west-2.public-data",
                                     "project-data/the-movies-dataset.zip"}),
            "https://s3.us-west-2.amazonaws.com/com.guild.us-west-2.public-data/project-data/"
            "the-movies-dataset.zip");
}

TEST(S3Addressing, VirtualHostStyleForPlainBucketNames) {
  ScopedEnv env;
  env.set("AWS_REGION", "eu-west-1");
  S3Settings settings = resolve_s3_settings("plain-bucket", false);
  EXPECT_FALSE(settings.path_style);
  EXPECT_EQ(s3_object_url(settings, {"plain-bucket", "a b/c.zip"}),
            "https://plain-bucket.s3.eu-west-1.amazonaws.com/a%20b/c.zip");
}

TEST(S3Addressing, CustomEndpointMeansPathStyle) {
  ScopedEnv env;
  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/");
  S3Settings settings = resolve_s3_settings("plain-bucket", false);
  EXPECT_TRUE(settings.path_style);
  EXPECT_EQ(settings.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(s3_object_url(settings, {"plain-bucket", "k.zip"}),
            "http://127.0.0.1:9000/plain-bucket/k.zip");
  env.set("AWS_ENDPOINT_URL_S3", "http://s3.internal:8333");
  EXPECT_EQ(resolve_s3_settings("plain-bucket", false).endpoint, "http://s3.internal:8333");
}

TEST(S3Addressing, CustomEndpointKeepsTheConfiguredRegionForTheCanonicalBucket) {
  ScopedEnv env;
  env.set("AWS_ENDPOINT_URL", "http://127.0.0.1:9000");
  EXPECT_EQ(resolve_s3_settings("com.guild.us-west-2.public-data", false).region, "us-east-1");
}

}  // namespace
}  // namespace marquee::source
