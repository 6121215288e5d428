#include "common/sha256.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include <fmt/format.h>

namespace marquee {
namespace {

// FIPS 180-2 test vectors.
TEST(Sha256, EmptyMessage) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, Abc) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, PiecesGiveTheDigestOfTheWhole) {
  Sha256 sha;
  sha.update("abcdbcdecdefdefgefghfghighij");
  sha.update("hijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(sha.hex_digest(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha.hex_digest(), sha256_hex("")) << "a digest resets the object";
}

TEST(Sha256, FileDigestEqualsTheDigestOfItsBytes) {
  auto path = std::filesystem::temp_directory_path() / fmt::format("marquee-sha-{}", ::getpid());
  std::string bytes(3 << 20, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  std::ofstream(path, std::ios::binary) << bytes;
  EXPECT_EQ(sha256_file_hex(path), sha256_hex(bytes));
  std::filesystem::remove(path);
}

TEST(Sha256, AMissingFileThrows) {
  EXPECT_THROW(sha256_file_hex("/nonexistent/marquee-no-file"), std::system_error);
}

// RFC 4231 test case 2.
TEST(HmacSha256, Rfc4231Case2) {
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace marquee
