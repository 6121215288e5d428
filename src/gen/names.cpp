#include "gen/names.hpp"

#include <iterator>
#include <string_view>

#include "gen/text.hpp"

namespace marquee::gen {

std::string company_name(const Dataset& data, std::uint64_t id) {
  Rng rng(mix(stream_key(data.seed(), Stream::kCompany), id));
  std::string name;
  std::uint64_t roll = rng.below(1000);
  if (roll < 30) {
    name = rng.pick(kCompanyNative);
  } else if (roll < 45) {
    // Apostrophes make Python write the name in double quotes: "Po' Boy Productions".
    name = cat(
        {rng.pick(kFirstNames), "'s ", rng.pick(kCompanySecond), " ", rng.pick(kCompanySuffix)});
  } else if (roll < 50) {
    name = cat({rng.pick(kCompanyFirst), "' ", rng.pick(kCompanySecond), " Productions"});
  } else if (roll < 51) {
    // A soft hyphen, which Python's repr() escapes as \xad.
    name = cat({rng.pick(kCompanyFirst), "\u00ad", rng.pick(kCompanySecond), " Films"});
  } else if (roll < 300) {
    name = cat({rng.pick(kCompanyFirst), " ", rng.pick(kCompanySuffix)});
  } else {
    name = cat(
        {rng.pick(kCompanyFirst), " ", rng.pick(kCompanySecond), " ", rng.pick(kCompanySuffix)});
  }
  return name;
}

std::string keyword_name(const Dataset& data, std::uint64_t rank, std::uint64_t id) {
  if (rank < std::size(kKeywordTop)) {
    return std::string(kKeywordTop[rank]);
  }
  Rng rng(mix(stream_key(data.seed(), Stream::kKeyword), id));
  std::string name;
  if (rng.chance(0.4)) {
    name = std::string(rng.pick(kKeywordAdjectives)) + " ";
  }
  name += rng.pick(kKeywordWords);
  if (rng.chance(0.002)) {
    name += "\u200c";  // a zero-width non-joiner, escaped by repr() as \u200c
  }
  return name;
}

Person person(const Dataset& data, std::uint64_t id) {
  Rng rng(mix(stream_key(data.seed(), Stream::kPerson), id));
  Person p;
  if (rng.chance(0.01)) {
    p.name = rng.pick(kNativeNames);
  } else {
    p.name = cat({rng.pick(kFirstNames), " ", rng.pick(kLastNames)});
  }
  std::uint64_t g = rng.below(100);
  p.gender = g < 52 ? 2 : g < 78 ? 1 : 0;
  p.has_profile = rng.chance(0.8);
  return p;
}

std::string english_title(Rng& rng) {
  static constexpr std::string_view kSequels[] = {"2", "3", "4", "II", "Part 2"};
  std::uint64_t roll = rng.below(100);
  if (roll < 2) {
    // A comma in the title makes pandas quote the field (2% of the real titles).
    return cat(
        {rng.pick(kTitleNouns), ", ", rng.pick(kTitleNouns), " and ", rng.pick(kTitleNouns)});
  } else if (roll < 7) {
    return cat({rng.pick(kFirstNames), "'s ", rng.pick(kTitleNouns)});
  } else if (roll < 15) {
    return cat({"Return of the ", rng.pick(kTitleAdjectives), " ", rng.pick(kTitleNouns)});
  } else if (roll < 25) {
    return cat({rng.pick(kTitleNouns), " ", rng.pick(kSequels)});
  } else if (roll < 35) {
    return cat({rng.pick(kTitleAdjectives), " ", rng.pick(kTitleNouns), ": ",
                rng.pick(kTitleAdjectives), " ", rng.pick(kTitleNouns)});
  } else if (roll < 60) {
    return cat({"The ", rng.pick(kTitleNouns)});
  }
  return cat({"The ", rng.pick(kTitleAdjectives), " ", rng.pick(kTitleNouns)});
}

std::string native_title(Rng& rng, const Language& language) {
  std::string_view adjective = language.adjectives[rng.below(4)];
  std::string_view noun = language.nouns[rng.below(4)];
  std::string title;
  bool spaced = language.code != "ja" && language.code != "zh" && language.code != "cn";
  if (language.noun_first) {
    title = std::string(noun) + " " + std::string(adjective);
  } else {
    title = std::string(adjective) + (spaced ? " " : "") + std::string(noun);
  }
  capitalize_ascii(title, 0);
  return title;
}

}  // namespace marquee::gen
