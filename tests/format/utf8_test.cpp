#include "format/utf8.hpp"

#include <cstdint>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace marquee::format {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

struct Replaced {
  std::string text;
  std::size_t count;
};

Replaced replace(std::string_view bytes) {
  Replaced result{"", 0};
  result.count = append_utf8_replacing(bytes, result.text);
  return result;
}

// Decodes by the bit patterns alone, then rules out what the standard forbids: a slow reading of
// "well-formed" to hold the fast one against.
bool reference_valid(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    int length;
    std::uint32_t code;
    if (lead < 0x80) {
      length = 1;
      code = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) {
      return false;
    }
    for (int k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) {
        return false;
      }
      code = (code << 6) | (c & 0x3F);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

TEST(Utf8, AsciiIsValid) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("Toy Story, a 1995 film about toys that come to life"));
}

TEST(Utf8, MultiByteTextIsValid) {
  EXPECT_TRUE(is_valid_utf8("Amélie — 天使 Ёж \xF0\x9F\x98\x80 \xC2\xAD\xE2\x80\x8C"));
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
}

TEST(Utf8, OverlongIsInvalid) {
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));
  EXPECT_FALSE(is_valid_utf8("\xE0\x9F\xBF"));
  EXPECT_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));
}

TEST(Utf8, SurrogateIsInvalid) {
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xED\xBF\xBF"));
}

TEST(Utf8, PastLastCodePointIsInvalid) {
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(Utf8, TruncatedSequenceIsInvalid) {
  EXPECT_FALSE(is_valid_utf8("abc\xE2\x82"));
  EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x98"));
  EXPECT_FALSE(is_valid_utf8("\xC2"));
}

TEST(Utf8, StrayContinuationByteAfterLongAsciiRunIsInvalid) {
  EXPECT_FALSE(is_valid_utf8(std::string(37, 'a') + "\x80" + std::string(20, 'b')));
}

TEST(Utf8, AgreesWithReferenceOnEveryTwoByteString) {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const std::string text{static_cast<char>(a), static_cast<char>(b)};
      ASSERT_EQ(is_valid_utf8(text), reference_valid(text)) << testing::PrintToString(text);
    }
  }
}

TEST(Utf8, AgreesWithReferenceOnEveryThreeAndFourByteSequenceStart) {
  for (int a = 0xC0; a < 256; ++a) {
    for (int b = 0x70; b < 0xD0; ++b) {
      for (int c = 0x70; c < 0xD0; ++c) {
        for (const char d : {'\x41', '\x80', '\xBF', '\xC0'}) {
          const std::string text{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                                 d};
          ASSERT_EQ(is_valid_utf8(text), reference_valid(text)) << testing::PrintToString(text);
        }
      }
    }
  }
}

TEST(Utf8, ValidTextIsCopiedWithoutReplacements) {
  const std::string text = "Amélie — 天使 \xF0\x9F\x98\x80 and an existing \xEF\xBF\xBD";
  std::string out = "prefix:";
  EXPECT_EQ(append_utf8_replacing(text, out), 0u);
  EXPECT_EQ(out, "prefix:" + text);
}

// Each expectation below is Python's bytes.decode("utf-8", errors="replace"), re-encoded.
TEST(Utf8, TruncatedSequenceIsOneReplacement) {
  EXPECT_EQ(replace("\xE2\x82").text, kFffd);
  EXPECT_EQ(replace("\xE2\x82").count, 1u);
  EXPECT_EQ(replace("\xE2\x82"
                    "A")
                .text,
            kFffd + "A");
  EXPECT_EQ(replace("\xF0\x9F\x98").text, kFffd);
  EXPECT_EQ(replace("\xC2").text, kFffd);
  EXPECT_EQ(replace("\xF1\x80\x80\xC0").text, kFffd + kFffd);
}

TEST(Utf8, EachByteOfSurrogateIsReplaced) {
  const Replaced r = replace("\xED\xA0\x80");
  EXPECT_EQ(r.text, kFffd + kFffd + kFffd);
  EXPECT_EQ(r.count, 3u);
}

TEST(Utf8, EachByteOfOverlongIsReplaced) {
  EXPECT_EQ(replace("\xC0\xAF").text, kFffd + kFffd);
  EXPECT_EQ(replace("\xE0\x9F\x80").text, kFffd + kFffd + kFffd);
  EXPECT_EQ(replace("\xF0\x80\x80").text, kFffd + kFffd + kFffd);
}

TEST(Utf8, EachByteOfOutOfRangeSequenceIsReplaced) {
  EXPECT_EQ(replace("\xF4\x90\x80\x80").count, 4u);
  EXPECT_EQ(replace("\xF5\x80").count, 2u);
  EXPECT_EQ(replace("\xF8\x88\x80\x80\x80").count, 5u);
  EXPECT_EQ(replace("\xFF").text, kFffd);
}

TEST(Utf8, StrayContinuationBytesAreReplacedOneEach) {
  const Replaced r = replace(
      "a\x80\x80"
      "b");
  EXPECT_EQ(r.text, "a" + kFffd + kFffd + "b");
  EXPECT_EQ(r.count, 2u);
}

TEST(Utf8, ByteAfterBrokenSequenceStartsAfresh) {
  const Replaced r = replace("\xE2(\xA1");
  EXPECT_EQ(r.text, kFffd + "(" + kFffd);
  EXPECT_EQ(r.count, 2u);
}

TEST(Utf8, ReplacedTextIsAlwaysValid) {
  std::mt19937 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(random() % 24, '\0');
    for (char& c : bytes) {
      c = static_cast<char>(random() % 3 == 0 ? 'a' : 0x80 + random() % 128);
    }
    const Replaced r = replace(bytes);
    EXPECT_TRUE(is_valid_utf8(r.text)) << testing::PrintToString(bytes);
    EXPECT_EQ(r.count == 0, is_valid_utf8(bytes)) << testing::PrintToString(bytes);
  }
}

}  // namespace
}  // namespace marquee::format
