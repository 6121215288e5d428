#include "source/redact.hpp"

#include <gtest/gtest.h>

#include "source/source.hpp"

namespace marquee::source {
namespace {

TEST(Redacted, MasksThePasswordAndKeepsTheUser) {
  EXPECT_EQ(redacted("https://user:pw@host/x.zip"), "https://user:***@host/x.zip");
  EXPECT_EQ(redacted("http://user:s3cret@127.0.0.1:8080/x.zip"),
            "http://user:***@127.0.0.1:8080/x.zip");
}

TEST(Redacted, MasksUserInfoWithoutAPasswordAsAToken) {
  EXPECT_EQ(redacted("https://ghp_token123@host/x.zip"), "https://***@host/x.zip");
}

TEST(Redacted, AnAtSignInThePasswordStaysMasked) {
  EXPECT_EQ(redacted("https://user:p@ss@host/x.zip"), "https://user:***@host/x.zip");
}

TEST(Redacted, APasswordWithAnUnencodedSlashOrHashStaysMasked) {
  EXPECT_EQ(redacted("https://user:pa/ss@host/x.zip"), "https://user:***@host/x.zip");
  EXPECT_EQ(redacted("https://user:pa#ss@host/x.zip"), "https://user:***@host/x.zip");
  EXPECT_EQ(redacted("https://user:pa?ss@host/x.zip"), "https://user:***@host/x.zip");
}

TEST(Redacted, AnAtSignInThePathIsNoUserInfo) {
  EXPECT_EQ(redacted("https://host:8443/@scope/x.zip"), "https://host:8443/@scope/x.zip");
  EXPECT_EQ(redacted("https://[::1]:8443/a@b.zip"), "https://[::1]:8443/a@b.zip");
}

TEST(Redacted, MasksTheSecretsOfAnAwsPresignedUrl) {
  EXPECT_EQ(redacted("https://bucket.s3.amazonaws.com/x.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                     "&X-Amz-Credential=AKIAEXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
                     "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600"
                     "&X-Amz-Security-Token=FQoGZXIvYXdz&X-Amz-SignedHeaders=host"
                     "&X-Amz-Signature=abcdef0123"),
            "https://bucket.s3.amazonaws.com/x.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=***&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600"
            "&X-Amz-Security-Token=***&X-Amz-SignedHeaders=host&X-Amz-Signature=***");
}

TEST(Redacted, MasksOtherSignedAndTokenParameters) {
  EXPECT_EQ(redacted("https://a.blob.core.windows.net/c/x.zip?sv=2022&se=2030&sp=r&sig=AbC%3D"),
            "https://a.blob.core.windows.net/c/x.zip?sv=2022&se=2030&sp=r&sig=***");
  EXPECT_EQ(redacted("https://d.cloudfront.net/x.zip?Expires=1&Signature=s&Key-Pair-Id=K"),
            "https://d.cloudfront.net/x.zip?Expires=1&Signature=***&Key-Pair-Id=K");
  EXPECT_EQ(redacted("https://h/x.zip?token=t&access_token=a&password=p&api_key=k&key=v"),
            "https://h/x.zip?token=***&access_token=***&password=***&api_key=***&key=***");
  EXPECT_EQ(redacted("https://storage.googleapis.com/b/x.zip?X-Goog-Signature=g"),
            "https://storage.googleapis.com/b/x.zip?X-Goog-Signature=***");
}

TEST(Redacted, ParameterNamesMatchInAnyCaseAndPercentEncoding) {
  EXPECT_EQ(redacted("https://h/x.zip?SIG=1&x%2Damz%2Dsignature=2"),
            "https://h/x.zip?SIG=***&x%2Damz%2Dsignature=***");
}

TEST(Redacted, KeepsHarmlessParametersAndFragmentsAsWritten) {
  EXPECT_EQ(redacted("https://h/x.zip?version=3&flag&empty=#part"),
            "https://h/x.zip?version=3&flag&empty=#part");
  EXPECT_EQ(redacted("https://h/x.zip#access_token=t"), "https://h/x.zip#access_token=***");
}

TEST(Redacted, LeavesPathsAndUrlsWithoutSecretsUnchanged) {
  EXPECT_EQ(redacted("/data/the movies@2024.zip"), "/data/the movies@2024.zip");
  EXPECT_EQ(redacted("relative/x.zip?sig=1"), "relative/x.zip?sig=1");
  EXPECT_EQ(redacted("s3://bucket/path/x.zip"), "s3://bucket/path/x.zip");
  EXPECT_EQ(redacted("https://example.com/x.zip"), "https://example.com/x.zip");
  EXPECT_EQ(redacted(""), "");
}

TEST(Redacted, TwiceIsOnce) {
  for (const char* url : {"https://user:pw@host/x.zip?X-Amz-Signature=s&a=b",
                          "https://tok@host/x.zip#sig=1", "postgresql://u:p@db:5432/m"}) {
    std::string once = redacted(url);
    EXPECT_EQ(redacted(once), once) << url;
  }
}

TEST(RedactedText, RedactsEveryUrlInAMessage) {
  EXPECT_EQ(redacted_text("http://u:s3cret@127.0.0.1:1/x.zip: Failed to connect (redirected to "
                          "https://h/y.zip?sig=abc), retry 1"),
            "http://u:***@127.0.0.1:1/x.zip: Failed to connect (redirected to "
            "https://h/y.zip?sig=***), retry 1");
  EXPECT_EQ(redacted_text("proxy \"http://p:w@proxy:3128\" refused"),
            "proxy \"http://p:***@proxy:3128\" refused");
}

TEST(RedactedText, LeavesTextWithoutUrlsAlone) {
  EXPECT_EQ(redacted_text("Failed to connect to 127.0.0.1 port 1: Connection refused"),
            "Failed to connect to 127.0.0.1 port 1: Connection refused");
  EXPECT_EQ(redacted_text("odd :// text and user:pw@host"), "odd :// text and user:pw@host");
  EXPECT_EQ(redacted_text(""), "");
}

TEST(RedactUrl, DropsUserInfoQueryAndFragment) {
  EXPECT_EQ(redact_url("https://user:pw@host/x.zip?X-Amz-Signature=s#f"), "https://host/x.zip");
  EXPECT_EQ(redact_url("https://user:pa/ss@host/x.zip"), "https://host/x.zip");
  EXPECT_EQ(redact_url("https://host/@scope/x.zip"), "https://host/@scope/x.zip");
}

}  // namespace
}  // namespace marquee::source
