#include "gen/movie_values.hpp"

#include "gen/text.hpp"
#include "gen/vocabulary.hpp"

namespace marquee::gen {

std::uint64_t money(Rng& rng) {
  std::uint64_t roll = rng.below(1000);
  std::uint64_t value;
  if (roll < 10) {
    return static_cast<std::uint64_t>(rng.between(1, 100));  // the real file has budgets of 1, 5...
  } else if (roll < 40) {
    value = static_cast<std::uint64_t>(rng.between(1000, 99999));
  } else if (roll < 110) {
    value = static_cast<std::uint64_t>(rng.between(100000, 999999));
  } else if (roll < 450) {
    value = static_cast<std::uint64_t>(rng.between(1000000, 9999999));
  } else if (roll < 850) {
    value = static_cast<std::uint64_t>(rng.between(10000000, 49999999));
  } else if (roll < 950) {
    value = static_cast<std::uint64_t>(rng.between(50000000, 99999999));
  } else {
    value = static_cast<std::uint64_t>(rng.between(100000000, 380000000));
  }
  return value;
}

std::uint64_t popularity_micros(Rng& rng) {
  std::uint64_t roll = rng.below(10000);
  if (roll < 30) {
    return static_cast<std::uint64_t>(rng.between(1, 99));  // printed as 1.7e-05
  } else if (roll < 330) {
    return static_cast<std::uint64_t>(rng.between(100, 9999));
  } else if (roll < 1100) {
    return static_cast<std::uint64_t>(rng.between(10000, 99999));
  } else if (roll < 3600) {
    return static_cast<std::uint64_t>(rng.between(100000, 999999));
  } else if (roll < 8600) {
    return static_cast<std::uint64_t>(rng.between(1000000, 9999999));
  } else if (roll < 9930) {
    return static_cast<std::uint64_t>(rng.between(10000000, 99999999));
  }
  return static_cast<std::uint64_t>(rng.between(100000000, 547488298));
}

void append_date(std::string& out, Rng& rng) {
  std::uint64_t roll = rng.below(10000);
  std::int64_t year;
  if (roll < 5) {
    year = rng.between(1874, 1899);
  } else if (roll < 1200) {
    year = rng.between(1900, 1959);
  } else if (roll < 3200) {
    year = rng.between(1960, 1989);
  } else if (roll < 7000) {
    year = rng.between(1990, 2009);
  } else if (roll < 9950) {
    year = rng.between(2010, 2017);
  } else {
    year = rng.between(2018, 2020);
  }
  std::int64_t month = 1;
  std::int64_t day = 1;
  if (!rng.chance(0.04)) {  // many real dates are January 1st (only the year was known)
    month = rng.between(1, 12);
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int days = kDays[month - 1];
    if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) {
      days = 29;
    }
    day = rng.between(1, days);
  }
  append_padded(out, static_cast<std::uint64_t>(year), 4);
  out += '-';
  append_padded(out, static_cast<std::uint64_t>(month), 2);
  out += '-';
  append_padded(out, static_cast<std::uint64_t>(day), 2);
}

void append_sentence(std::string& out, Rng& rng, bool plain) {
  std::size_t start = out.size();
  if (rng.chance(0.4)) {
    out += rng.pick(kOverviewOpeners);
    out += " the ";
  } else {
    out += "the ";
  }
  int words = static_cast<int>(rng.between(8, 19));
  for (int w = 0; w < words; ++w) {
    if (w > 0) {
      out += (!plain && w == words / 2 && rng.chance(0.45)) ? ", " : " ";
    }
    if (rng.chance(0.08)) {
      out += rng.pick(kFirstNames);
    } else {
      out += rng.pick(kOverviewWords);
    }
  }
  out += rng.chance(0.9) ? "." : "!";
  capitalize_ascii(out, start);
}

void append_overview(std::string& text, Rng& rng) {
  std::uint64_t roll = rng.below(10000);
  if (roll < 210) {
    return;  // empty (NaN in pandas)
  }
  if (roll < 240) {
    text = "No overview found.";
    return;
  }
  if (roll < 243) {
    text = rng.chance(0.5) ? " " : "  ";
    return;
  }
  if (roll < 340) {
    text = rng.pick(kForeignSentences);
    return;
  }
  int sentences = static_cast<int>(rng.between(1, 5));
  bool line_breaks = rng.chance(0.003);
  for (int k = 0; k < sentences; ++k) {
    if (k > 0) {
      if (line_breaks && rng.chance(0.5)) {
        text += rng.chance(0.1) ? "\r\n" : (rng.chance(0.5) ? "\n" : "\n\n");
      } else {
        text += ' ';
      }
    }
    if (rng.chance(0.035)) {
      text += "In \"";
      text += rng.pick(kTitleAdjectives);
      text += ' ';
      text += rng.pick(kTitleNouns);
      text += "\" ";
      std::size_t start = text.size();
      append_sentence(text, rng, false);
      if (text[start] >= 'A' && text[start] <= 'Z') {
        text[start] = static_cast<char>(text[start] - 'A' + 'a');
      }
    } else {
      append_sentence(text, rng, false);
    }
  }
  if (rng.chance(0.002)) {
    // Invisible characters that the real overviews hold raw (U+00AD, U+200C).
    // Inserted before a space, so never inside a multi-byte character.
    std::size_t space = text.find(' ', text.size() / 2);
    text.insert(space == std::string::npos ? text.size() : space,
                rng.chance(0.5) ? "\u00ad" : "\u200c");
  }
}

}  // namespace marquee::gen
