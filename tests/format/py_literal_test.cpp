#include "format/py_literal.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace marquee::format {
namespace {

using Kind = PyValue::Kind;

// The error a parse raises; fails the test when the text parses.
PyLiteralError parse_error(std::string_view text) {
  try {
    parse_py_literal(text);
  } catch (const PyLiteralError& error) {
    return error;
  }
  ADD_FAILURE() << "expected a PyLiteralError for: " << text;
  return PyLiteralError(0, "");
}

std::string parse_text(std::string_view text) {
  const PyValue value = parse_py_literal(text);
  EXPECT_EQ(value.kind, Kind::kString);
  return value.text;
}

std::int64_t parse_int(std::string_view text) {
  const PyValue value = parse_py_literal(text);
  EXPECT_EQ(value.kind, Kind::kInt);
  return value.integer;
}

double parse_float(std::string_view text) {
  const PyValue value = parse_py_literal(text);
  EXPECT_EQ(value.kind, Kind::kFloat);
  return value.real;
}

// Real fields of The Movies Dataset, as they read after CSV unquoting.

TEST(PyLiteral, GenresAreAListOfIdNameDicts) {
  const PyValue genres = parse_py_literal(
      "[{'id': 16, 'name': 'Animation'}, {'id': 35, 'name': 'Comedy'}, {'id': 10751, 'name': "
      "'Family'}]");
  ASSERT_EQ(genres.kind, Kind::kList);
  ASSERT_EQ(genres.items.size(), 3u);
  const PyValue& first = genres.items[0];
  ASSERT_EQ(first.kind, Kind::kDict);
  ASSERT_EQ(first.entries.size(), 2u);
  EXPECT_EQ(first.entries[0].first.text, "id");
  EXPECT_EQ(first.find("id")->integer, 16);
  EXPECT_EQ(first.find("name")->text, "Animation");
  EXPECT_EQ(genres.items[2].find("id")->integer, 10751);
  EXPECT_EQ(genres.items[2].find("name")->text, "Family");
}

TEST(PyLiteral, ProductionCompaniesKeepNameIdKeyOrder) {
  const PyValue companies = parse_py_literal(
      "[{'name': 'Paris Films Productions', 'id': 386}, {'name': 'Five Films', 'id': 387}, "
      "{'name': 'Robert et Raymond Hakim', 'id': 11290}]");
  ASSERT_EQ(companies.items.size(), 3u);
  const PyValue& last = companies.items[2];
  EXPECT_EQ(last.entries[0].first.text, "name");
  EXPECT_EQ(last.entries[0].second.text, "Robert et Raymond Hakim");
  EXPECT_EQ(last.entries[1].first.text, "id");
  EXPECT_EQ(last.entries[1].second.integer, 11290);
}

TEST(PyLiteral, DoubleQuotedNameHoldsAnApostrophe) {
  const PyValue companies = parse_py_literal(R"([{'name': "Po' Boy Productions", 'id': 11787}])");
  EXPECT_EQ(companies.items[0].find("name")->text, "Po' Boy Productions");
  EXPECT_EQ(companies.items[0].find("id")->integer, 11787);
}

TEST(PyLiteral, SingleQuotedCharacterHoldsDoubleQuotes) {
  const PyValue cast = parse_py_literal(
      R"({'cast_id': 26, 'character': '"Jack Jones"', 'credit_id': '52fe43c59251416c7501d751', )"
      R"('gender': 2, 'id': 6840, 'name': 'Larry Hagman', 'order': 16, )"
      R"('profile_path': '/40PVsGp5Wp5kbUhAefLHqjqbarc.jpg'})");
  EXPECT_EQ(cast.find("character")->text, "\"Jack Jones\"");
  EXPECT_EQ(cast.entries.size(), 8u);
}

TEST(PyLiteral, NonAsciiNamesPassThroughAsUtf8) {
  const PyValue languages = parse_py_literal(
      "[{'iso_639_1': 'cn', 'name': '\u5e7f\u5dde\u8bdd / \u5ee3\u5dde\u8a71'}, "
      "{'iso_639_1': 'fr', 'name': 'Fran\u00e7ais'}]");
  EXPECT_EQ(languages.items[0].find("name")->text, "\u5e7f\u5dde\u8bdd / \u5ee3\u5dde\u8a71");
  EXPECT_EQ(languages.items[1].find("name")->text, "Fran\u00e7ais");
}

TEST(PyLiteral, CollectionDictWithNonePath) {
  const PyValue collection = parse_py_literal(
      "{'id': 122017, 'name': 'Screamers Collection', 'poster_path': "
      "'/vtCuIaQvK3IyLENmuc73RFm4TU7.jpg', 'backdrop_path': None}");
  ASSERT_EQ(collection.kind, Kind::kDict);
  EXPECT_EQ(collection.find("poster_path")->text, "/vtCuIaQvK3IyLENmuc73RFm4TU7.jpg");
  ASSERT_NE(collection.find("backdrop_path"), nullptr);
  EXPECT_TRUE(collection.find("backdrop_path")->is_none());
}

TEST(PyLiteral, SpokenLanguageWithEmptyName) {
  const PyValue languages = parse_py_literal(
      "[{'iso_639_1': 'fr', 'name': 'Fran\u00e7ais'}, {'iso_639_1': 'mn', 'name': ''}, "
      "{'iso_639_1': 'es', 'name': 'Espa\u00f1ol'}]");
  const PyValue* name = languages.items[1].find("name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->kind, Kind::kString);
  EXPECT_EQ(name->text, "");
}

TEST(PyLiteral, KeywordWithApostropheAfterCsvUnescaping) {
  const PyValue keywords = parse_py_literal(
      R"([{'id': 10090, 'name': 'board game'}, {'id': 15101, 'name': "based on children's book"}])");
  EXPECT_EQ(keywords.items[1].find("name")->text, "based on children's book");
}

TEST(PyLiteral, CastEntryWithNoneProfilePath) {
  const PyValue cast = parse_py_literal(
      "[{'cast_id': 25, 'character': 'Hannah (voice)', 'credit_id': '52fe4284c3a36847f8024fbd', "
      "'gender': 1, 'id': 12903, 'name': 'Sarah Freeman', 'order': 11, 'profile_path': None}]");
  const PyValue& hannah = cast.items[0];
  EXPECT_EQ(hannah.find("credit_id")->text, "52fe4284c3a36847f8024fbd");
  EXPECT_EQ(hannah.find("order")->integer, 11);
  EXPECT_TRUE(hannah.find("profile_path")->is_none());
}

// Strings and escapes. Expected bytes were checked against Python's ast.literal_eval.

TEST(PyLiteral, EmptyStringsInBothQuotes) {
  EXPECT_EQ(parse_text("''"), "");
  EXPECT_EQ(parse_text("\"\""), "");
}

TEST(PyLiteral, EscapedQuotes) {
  EXPECT_EQ(parse_text(R"('it\'s')"), "it's");
  EXPECT_EQ(parse_text(R"("say \"hi\"")"), "say \"hi\"");
  EXPECT_EQ(parse_text(R"('\"')"), "\"");
}

TEST(PyLiteral, EscapedBackslash) {
  EXPECT_EQ(parse_text(R"('a\\b\\')"), "a\\b\\");
}

TEST(PyLiteral, LineBreakAndTabEscapes) {
  EXPECT_EQ(parse_text(R"('a\nb\rc\td')"), "a\nb\rc\td");
}

TEST(PyLiteral, BellBackspaceFormFeedVerticalTabAndNulEscapes) {
  EXPECT_EQ(parse_text(R"('\a\b\f\v\0')"), std::string("\a\b\f\v\0", 5));
}

TEST(PyLiteral, OctalEscapesTakeUpToThreeDigits) {
  // \101 is 'A'; \1012 is 'A' then '2'; \777 is U+01FF.
  EXPECT_EQ(parse_text(R"('\101\1012\7777')"), "AA2\u01ff7");
}

TEST(PyLiteral, HexEscapeIsACodePointEncodedAsUtf8) {
  EXPECT_EQ(parse_text(R"('\x41\xe9\xFF')"), "A\u00e9\u00ff");
}

TEST(PyLiteral, FourDigitUnicodeEscape) {
  EXPECT_EQ(parse_text(R"('\u00e9\u4e2d\u20AC')"), "\u00e9\u4e2d\u20ac");
}

TEST(PyLiteral, EightDigitUnicodeEscape) {
  EXPECT_EQ(parse_text(R"('\U0001F600\U00000041')"), "\U0001F600A");
}

TEST(PyLiteral, LoneSurrogateBecomesReplacementCharacter) {
  EXPECT_EQ(parse_text(R"('\ud800x\uDFFF\U0000d83d')"), "\ufffdx\ufffd\ufffd");
}

TEST(PyLiteral, SurrogatePairEscapesAreNotCombined) {
  // Python keeps them as two lone surrogates too; neither is encodable in UTF-8.
  EXPECT_EQ(parse_text(R"('\ud83d\ude00')"), "\ufffd\ufffd");
}

TEST(PyLiteral, BackslashNewlineContinuesTheString) {
  EXPECT_EQ(parse_text("'ab\\\ncd'"), "abcd");
  EXPECT_EQ(parse_text("'ab\\\r\ncd'"), "abcd");
}

TEST(PyLiteral, UnknownEscapeKeepsItsBackslash) {
  EXPECT_EQ(parse_text(R"('\q\d\ ')"), "\\q\\d\\ ");
}

TEST(PyLiteral, RawUtf8BytesPassThrough) {
  EXPECT_EQ(parse_text("'Televisi\u00f3n \u00ad\u200c \U0001F600'"),
            "Televisi\u00f3n \u00ad\u200c \U0001F600");
}

TEST(PyLiteral, InvalidUtf8BytesPassThroughUnchanged) {
  EXPECT_EQ(parse_text("'a\xff\xfe'"), "a\xff\xfe");
}

TEST(PyLiteral, EscapesMixWithPlainRuns) {
  EXPECT_EQ(parse_text(R"("Kelly O'Connell\t(\x41rt)\\")"), "Kelly O'Connell\t(Art)\\");
}

// Numbers and keywords.

TEST(PyLiteral, Ints) {
  EXPECT_EQ(parse_int("0"), 0);
  EXPECT_EQ(parse_int("12903"), 12903);
  EXPECT_EQ(parse_int("000"), 0);
}

TEST(PyLiteral, SignedInts) {
  EXPECT_EQ(parse_int("-42"), -42);
  EXPECT_EQ(parse_int("+42"), 42);
  EXPECT_EQ(parse_int("- 7"), -7);
  EXPECT_EQ(parse_int("-0"), 0);
}

TEST(PyLiteral, IntsAtTheLimitsOf64Bits) {
  EXPECT_EQ(parse_int("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_int("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
}

TEST(PyLiteral, IntBeyond64BitsIsAnError) {
  const PyLiteralError error = parse_error("[1, 9223372036854775808]");
  EXPECT_EQ(error.offset(), 4u);
  EXPECT_STREQ(error.what(), "int outside the 64-bit range at offset 4");
  EXPECT_EQ(parse_error("-9223372036854775809").offset(), 0u);
  EXPECT_EQ(parse_error("123456789012345678901234567890").offset(), 0u);
}

TEST(PyLiteral, IntWithLeadingZeroIsAnError) {
  const PyLiteralError error = parse_error("[012]");
  EXPECT_EQ(error.offset(), 1u);
  EXPECT_STREQ(error.what(), "int with leading zeros at offset 1");
}

TEST(PyLiteral, Floats) {
  EXPECT_DOUBLE_EQ(parse_float("7.7"), 7.7);
  EXPECT_DOUBLE_EQ(parse_float("-0.5"), -0.5);
  EXPECT_DOUBLE_EQ(parse_float(".5"), 0.5);
  EXPECT_DOUBLE_EQ(parse_float("5."), 5.0);
  EXPECT_DOUBLE_EQ(parse_float("012.5"), 12.5);
}

TEST(PyLiteral, FloatsWithExponents) {
  EXPECT_DOUBLE_EQ(parse_float("1.7e-05"), 1.7e-05);
  EXPECT_DOUBLE_EQ(parse_float("2E+3"), 2000.0);
  EXPECT_DOUBLE_EQ(parse_float("1e16"), 1e16);
  EXPECT_DOUBLE_EQ(parse_float("-1.5e-3"), -1.5e-3);
  EXPECT_DOUBLE_EQ(parse_float("1.e2"), 100.0);
}

TEST(PyLiteral, NegativeZeroFloatKeepsItsSign) {
  const double zero = parse_float("-0.0");
  EXPECT_EQ(zero, 0.0);
  EXPECT_TRUE(std::signbit(zero));
}

TEST(PyLiteral, FloatsBeyondDoubleRangeSaturateAsInPython) {
  EXPECT_EQ(parse_float("1e400"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_float("-1e400"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_float("1e-400"), 0.0);
  EXPECT_EQ(parse_float("0.0001e-330"), 0.0);
}

TEST(PyLiteral, ExponentWithoutDigitsIsAnError) {
  const PyLiteralError error = parse_error("1e");
  EXPECT_EQ(error.offset(), 2u);
  EXPECT_STREQ(error.what(), "expected a digit in the exponent at offset 2, found end of input");
}

TEST(PyLiteral, InfAndNanAreNotLiterals) {
  EXPECT_EQ(parse_error("inf").offset(), 0u);
  EXPECT_EQ(parse_error("[nan]").offset(), 1u);
  const PyLiteralError error = parse_error("-inf");
  EXPECT_EQ(error.offset(), 1u);
  EXPECT_STREQ(error.what(), "expected a number after the sign at offset 1, found 'i'");
}

TEST(PyLiteral, HexUnderscoresAndComplexAreNotSupported) {
  EXPECT_EQ(parse_error("0x10").offset(), 1u);
  EXPECT_EQ(parse_error("1_000").offset(), 1u);
  EXPECT_EQ(parse_error("2j").offset(), 1u);
}

TEST(PyLiteral, NoneTrueFalse) {
  const PyValue value = parse_py_literal("[None, True, False]");
  ASSERT_EQ(value.items.size(), 3u);
  EXPECT_TRUE(value.items[0].is_none());
  EXPECT_EQ(value.items[1].kind, Kind::kBool);
  EXPECT_TRUE(value.items[1].boolean);
  EXPECT_EQ(value.items[2].kind, Kind::kBool);
  EXPECT_FALSE(value.items[2].boolean);
}

TEST(PyLiteral, KeywordsAreWholeWordsAndCaseSensitive) {
  EXPECT_EQ(parse_error("Nonesuch").offset(), 0u);
  EXPECT_EQ(parse_error("[true]").offset(), 1u);
  EXPECT_EQ(parse_error("null").offset(), 0u);
}

// Containers.

TEST(PyLiteral, EmptyContainers) {
  EXPECT_EQ(parse_py_literal("[]").kind, Kind::kList);
  EXPECT_TRUE(parse_py_literal("[]").items.empty());
  EXPECT_EQ(parse_py_literal("{}").kind, Kind::kDict);
  EXPECT_TRUE(parse_py_literal("{}").entries.empty());
  EXPECT_EQ(parse_py_literal("()").kind, Kind::kTuple);
  EXPECT_TRUE(parse_py_literal("( )").items.empty());
}

TEST(PyLiteral, TupleOfOneNeedsItsComma) {
  const PyValue tuple = parse_py_literal("(1,)");
  EXPECT_EQ(tuple.kind, Kind::kTuple);
  ASSERT_EQ(tuple.items.size(), 1u);
  EXPECT_EQ(tuple.items[0].integer, 1);
}

TEST(PyLiteral, ParenthesesWithoutCommaOnlyGroup) {
  EXPECT_EQ(parse_int("(1)"), 1);
  EXPECT_EQ(parse_text("(('x'))"), "x");
  EXPECT_EQ(parse_py_literal("([1, 2])").kind, Kind::kList);
}

TEST(PyLiteral, Tuples) {
  const PyValue tuple = parse_py_literal("(1, 'a', None)");
  ASSERT_EQ(tuple.kind, Kind::kTuple);
  ASSERT_EQ(tuple.items.size(), 3u);
  EXPECT_EQ(tuple.items[1].text, "a");
}

TEST(PyLiteral, NestedListsAndDicts) {
  const PyValue value = parse_py_literal("{'a': [1, [2, {'b': ()}], {}], 'c': {'d': [[]]}}");
  const PyValue* a = value.find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items.size(), 3u);
  EXPECT_EQ(a->items[1].items[0].integer, 2);
  EXPECT_EQ(a->items[1].items[1].find("b")->kind, Kind::kTuple);
  EXPECT_EQ(a->items[2].kind, Kind::kDict);
  const PyValue& d = *value.find("c")->find("d");
  ASSERT_EQ(d.items.size(), 1u);
  EXPECT_EQ(d.items[0].kind, Kind::kList);
  EXPECT_TRUE(d.items[0].items.empty());
}

TEST(PyLiteral, TrailingCommasAreAllowed) {
  EXPECT_EQ(parse_py_literal("[1, 2,]").items.size(), 2u);
  EXPECT_EQ(parse_py_literal("{'a': 1,}").entries.size(), 1u);
  EXPECT_EQ(parse_py_literal("(1, 2, )").items.size(), 2u);
}

TEST(PyLiteral, WhitespaceBetweenAnyTokens) {
  const PyValue value = parse_py_literal(" \t[ {\n'id' :\r\n16 ,'name':'A' } ,\f( 1 , ) ]\n ");
  ASSERT_EQ(value.items.size(), 2u);
  EXPECT_EQ(value.items[0].find("id")->integer, 16);
  EXPECT_EQ(value.items[1].kind, Kind::kTuple);
}

TEST(PyLiteral, DictKeysMayBeAnyHashableLiteral) {
  const PyValue value = parse_py_literal("{1: 'int', (2, 'x'): 'tuple', None: 0, 1.5: 'f'}");
  ASSERT_EQ(value.entries.size(), 4u);
  EXPECT_EQ(value.entries[0].first.integer, 1);
  EXPECT_EQ(value.entries[1].first.kind, Kind::kTuple);
  EXPECT_TRUE(value.entries[2].first.is_none());
}

TEST(PyLiteral, UnhashableDictKeyIsAnError) {
  const PyLiteralError error = parse_error("{'a': 1, [2]: 3}");
  EXPECT_EQ(error.offset(), 9u);
  EXPECT_STREQ(error.what(), "unhashable dict key (a list or dict) at offset 9");
  EXPECT_EQ(parse_error("{(1, {}): 3}").offset(), 1u);
}

TEST(PyLiteral, FindReturnsTheLastDuplicateKey) {
  const PyValue value = parse_py_literal("{'id': 1, 'name': 'x', 'id': 2}");
  EXPECT_EQ(value.entries.size(), 3u);
  EXPECT_EQ(value.find("id")->integer, 2);
}

TEST(PyLiteral, FindMatchesOnlyStringKeys) {
  const PyValue value = parse_py_literal("{1: 'one', '1': 'text'}");
  EXPECT_EQ(value.find("1")->text, "text");
  EXPECT_EQ(value.find("2"), nullptr);
}

TEST(PyLiteral, FindOnANonDictIsNull) {
  EXPECT_EQ(parse_py_literal("[('id', 1)]").find("id"), nullptr);
  EXPECT_EQ(parse_py_literal("'id'").find("id"), nullptr);
}

TEST(PyLiteral, NestingUpToTheDepthLimitParses) {
  const std::string text = std::string(256, '[') + std::string(256, ']');
  const PyValue value = parse_py_literal(text);
  EXPECT_EQ(value.kind, Kind::kList);
}

TEST(PyLiteral, NestingBeyondTheDepthLimitIsAnError) {
  const std::string text = std::string(300, '[') + std::string(300, ']');
  const PyLiteralError error = parse_error(text);
  EXPECT_EQ(error.offset(), 256u);
  EXPECT_STREQ(error.what(), "nesting deeper than 256 levels at offset 256");
  EXPECT_EQ(parse_error(std::string(100000, '{')).offset(), 256u);
}

// Errors: what was expected, where, and what was there.

TEST(PyLiteral, MissingCommaInList) {
  const PyLiteralError error = parse_error("[{'id': 16}, {'id': 35} {'id': 1}]");
  EXPECT_EQ(error.offset(), 24u);
  EXPECT_STREQ(error.what(), "expected ',' or ']' at offset 24, found '{'");
}

TEST(PyLiteral, MissingColonInDict) {
  const PyLiteralError error = parse_error("{'id': 16, 'name' 'Animation'}");
  EXPECT_EQ(error.offset(), 18u);
  EXPECT_STREQ(error.what(), "expected ':' at offset 18, found '''");
}

TEST(PyLiteral, MismatchedCloserInDict) {
  const PyLiteralError error = parse_error("[{'id': 16]");
  EXPECT_EQ(error.offset(), 10u);
  EXPECT_STREQ(error.what(), "expected ',' or '}' at offset 10, found ']'");
}

TEST(PyLiteral, UnterminatedStringReportsWhereItOpened) {
  const PyLiteralError error = parse_error("[{'name': 'Toy Story}]");
  EXPECT_EQ(error.offset(), 22u);
  EXPECT_STREQ(error.what(),
               "expected ' at offset 22, found end of input "
               "(to close the string opened at offset 10)");
}

TEST(PyLiteral, BackslashAtTheEndIsAnUnterminatedString) {
  EXPECT_EQ(parse_error("'abc\\").offset(), 5u);
}

TEST(PyLiteral, RawLineBreakInAStringIsAnError) {
  // repr() escapes line breaks; Python rejects a raw one as an unterminated string.
  const PyLiteralError error = parse_error("['a\nb']");
  EXPECT_EQ(error.offset(), 3u);
  EXPECT_STREQ(error.what(),
               "expected ' at offset 3, found byte 0x0a (to close the string opened at offset 1)");
  EXPECT_EQ(parse_error("'a\rb'").offset(), 2u);
}

TEST(PyLiteral, TruncatedHexEscape) {
  const PyLiteralError error = parse_error(R"(['ab\x4'])");
  EXPECT_EQ(error.offset(), 7u);
  EXPECT_STREQ(error.what(),
               "expected a hex digit at offset 7, found ''' "
               "(\\xXX escape at offset 4 needs 2 hex digits)");
}

TEST(PyLiteral, TruncatedUnicodeEscapes) {
  EXPECT_EQ(parse_error(R"('\u12g4')").offset(), 5u);
  EXPECT_EQ(parse_error(R"('\U0001F60')").offset(), 10u);
}

TEST(PyLiteral, UnicodeEscapeBeyondTheLastCodePointIsAnError) {
  const PyLiteralError error = parse_error(R"('ok\U00110000')");
  EXPECT_EQ(error.offset(), 3u);
  EXPECT_STREQ(error.what(), "\\U escape beyond U+10FFFF at offset 3");
}

TEST(PyLiteral, NamedUnicodeEscapeIsNotSupported) {
  EXPECT_EQ(parse_error(R"('\N{EM DASH}')").offset(), 1u);
}

TEST(PyLiteral, TrailingGarbage) {
  const PyLiteralError error = parse_error("[{'id': 16}] x");
  EXPECT_EQ(error.offset(), 13u);
  EXPECT_STREQ(error.what(), "expected end of input at offset 13, found 'x'");
}

TEST(PyLiteral, AdjacentStringsAreNotConcatenated) {
  EXPECT_EQ(parse_error("'a' 'b'").offset(), 4u);
}

TEST(PyLiteral, EmptyInputIsAnError) {
  // Callers treat an empty field as "no items" before parsing (SPEC 3.3).
  const PyLiteralError error = parse_error("  ");
  EXPECT_EQ(error.offset(), 2u);
  EXPECT_STREQ(error.what(),
               "expected a value (string, number, None, True, False, list, tuple or dict) at "
               "offset 2, found end of input");
}

TEST(PyLiteral, DoubleCommaIsAnError) {
  EXPECT_EQ(parse_error("[1,,2]").offset(), 3u);
  EXPECT_EQ(parse_error("[,]").offset(), 1u);
  EXPECT_EQ(parse_error("(,)").offset(), 1u);
}

TEST(PyLiteral, UnclosedContainers) {
  EXPECT_STREQ(parse_error("[1, 2").what(), "expected ',' or ']' at offset 5, found end of input");
  EXPECT_EQ(parse_error("{'a': ").offset(), 6u);
  EXPECT_EQ(parse_error("(1, 2").offset(), 5u);
  EXPECT_EQ(parse_error("(1").offset(), 2u);
}

TEST(PyLiteral, SetsAreNotSupported) {
  EXPECT_STREQ(parse_error("{1, 2}").what(), "expected ':' at offset 2, found ','");
}

TEST(PyLiteral, NonPrintableBytesAreShownInHex) {
  EXPECT_STREQ(parse_error("[1]\x01").what(), "expected end of input at offset 3, found byte 0x01");
}

TEST(PyLiteral, ParsesAgainAfterAFailedParse) {
  EXPECT_EQ(parse_error("[[[{'a': [1, 2").offset(), 14u);
  const PyValue value = parse_py_literal("[{'a': [1, 2]}]");
  EXPECT_EQ(value.items[0].find("a")->items[1].integer, 2);
}

}  // namespace
}  // namespace marquee::format
