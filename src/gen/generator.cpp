#include "gen/generator.hpp"

#include <zip.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <ctime>
#include <exception>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"

// A synthetic "The Movies Dataset" (rounakbanik, Kaggle) in the exact shape of the real files:
// same entries, columns, quoting (pandas to_csv: a field is quoted only when it holds a comma, a
// quote, CR or LF), line ends, Python-literal columns, and the real quirks at their real rates
// (shared/data/README.md). Every row is a pure function of (seed, row index), so any row can be
// produced again (for a duplicate copy) without keeping earlier rows in memory, and the counts
// that depend on the layout (duplicates, bare CRs, link rows) are spread over the file by
// closed-form schedules rather than by tables that grow with the scale.

namespace marquee::gen {
namespace {

// ---------------------------------------------------------------------------------------------
// Deterministic randomness: splitmix64 only, so the bytes depend on the seed and nothing else.

constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

constexpr std::uint64_t fmix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  return fmix(fmix(a) ^ (b + kGolden));
}

constexpr std::uint64_t mix(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return mix(mix(a, b), c);
}

/// Independent random streams of one dataset, one per kind of thing generated.
enum class Stream : std::uint64_t {
  kMovie = 1,
  kMovieVariant,
  kMovieIds,
  kImdbIds,
  kLinkIds,
  kCompany,
  kCompanyIds,
  kCollection,
  kCollectionIds,
  kKeywordRow,
  kKeyword,
  kKeywordIds,
  kCreditRow,
  kPerson,
  kPersonIds,
  kRatings,
  kDuplicates,
};

std::uint64_t stream_key(std::uint64_t seed, Stream stream) {
  return mix(seed, static_cast<std::uint64_t>(stream));
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() { return fmix(state_ += kGolden); }
  /// Uniform in [0, n); n > 0.
  std::uint64_t below(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  /// Uniform in [lo, hi].
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  /// True with probability p (IEEE double comparison: the same on every platform).
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
  template <typename T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }
  /// A heavy-tailed rank in [0, n): a power-of-two bucket from first_bucket up is chosen
  /// uniformly, then a rank inside it, so P(rank) falls roughly as 1/rank (Zipf-like).
  std::uint64_t skewed_rank(std::uint64_t n, int first_bucket = 0) {
    int buckets = static_cast<int>(std::bit_width(n));
    if (first_bucket >= buckets) {
      first_bucket = 0;
    }
    int k =
        first_bucket + static_cast<int>(below(static_cast<std::uint64_t>(buckets - first_bucket)));
    std::uint64_t lo = (std::uint64_t{1} << k) - 1;
    std::uint64_t hi = std::min(n, (std::uint64_t{2} << k) - 1);
    return lo + below(hi - lo);
  }

 private:
  std::uint64_t state_;
};

/// A keyed bijection of [0, domain) (a 4-round Feistel network with cycle walking): distinct
/// indexes give distinct ids that look random, with no table.
class Permutation {
 public:
  Permutation(std::uint64_t domain, std::uint64_t key)
      : domain_(std::max<std::uint64_t>(domain, 1)), key_(key) {
    int bits = std::max(2, static_cast<int>(std::bit_width(domain_ - 1)));
    bits += bits % 2;
    half_ = bits / 2;
    mask_ = (std::uint64_t{1} << half_) - 1;
  }
  std::uint64_t operator()(std::uint64_t x) const {
    do {
      x = encrypt(x);
    } while (x >= domain_);
    return x;
  }
  std::uint64_t domain() const { return domain_; }

 private:
  std::uint64_t encrypt(std::uint64_t x) const {
    std::uint64_t left = x >> half_;
    std::uint64_t right = x & mask_;
    for (std::uint64_t round = 0; round < 4; ++round) {
      std::uint64_t next = left ^ (mix(key_, round, right) & mask_);
      left = right;
      right = next;
    }
    return (left << half_) | right;
  }

  std::uint64_t domain_;
  std::uint64_t key_;
  int half_ = 1;
  std::uint64_t mask_ = 1;
};

/// `count` events spread evenly over `slots` positions: event j sits at
/// floor((j + phase/8) * slots / count). Positions never decrease with j.
class Spread {
 public:
  Spread(std::uint64_t count, std::uint64_t slots, std::uint64_t phase_eighths)
      : count_(slots == 0 ? 0 : count), slots_(slots), phase_(phase_eighths) {}
  std::uint64_t count() const { return count_; }
  std::uint64_t at(std::uint64_t j) const {
    auto num = (static_cast<unsigned __int128>(8 * j + phase_)) * slots_;
    return static_cast<std::uint64_t>(num / (static_cast<unsigned __int128>(8) * count_));
  }
  bool contains(std::uint64_t position) const {
    std::uint64_t lo = 0;
    std::uint64_t hi = count_;
    while (lo < hi) {
      std::uint64_t mid = lo + (hi - lo) / 2;
      if (at(mid) < position) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo < count_ && at(lo) == position;
  }

 private:
  std::uint64_t count_;
  std::uint64_t slots_;
  std::uint64_t phase_;
};

/// Walks a Spread in position order: events(position) returns the events at that position.
class SpreadCursor {
 public:
  explicit SpreadCursor(const Spread& spread) : spread_(&spread) {}
  /// [first, last) of the events at `position`; positions must be visited in increasing order.
  std::pair<std::uint64_t, std::uint64_t> events(std::uint64_t position) {
    std::uint64_t first = next_;
    while (next_ < spread_->count() && spread_->at(next_) == position) {
      ++next_;
    }
    return {first, next_};
  }
  void reset() { next_ = 0; }

 private:
  const Spread* spread_;
  std::uint64_t next_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Text: CSV fields as pandas writes them, and Python repr() for the literal columns.

void append_uint(std::string& out, std::uint64_t value) {
  char buf[24];
  auto result = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, result.ptr);
}

void append_padded(std::string& out, std::uint64_t value, int width) {
  char buf[24];
  auto result = std::to_chars(buf, buf + sizeof buf, value);
  for (auto digits = result.ptr - buf; digits < width; ++digits) {
    out += '0';
  }
  out.append(buf, result.ptr);
}

/// pandas to_csv (QUOTE_MINIMAL): quoted only when it holds a comma, a quote, CR or LF.
void append_csv_field(std::string& out, std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += value;
    return;
  }
  out += '"';
  for (std::size_t at = 0;;) {
    std::size_t quote = value.find('"', at);
    if (quote == std::string_view::npos) {
      out += value.substr(at);
      break;
    }
    out += value.substr(at, quote + 1 - at);
    out += '"';
    at = quote + 1;
  }
  out += '"';
}

/// Python's repr() of a str: single quotes, or double quotes when the text holds a single quote
/// and no double quote; characters Python does not print (controls, U+00AD, U+200B..U+200D)
/// escaped. The generator only emits these non-printable code points, so the list is complete
/// for its own text.
void append_py_str(std::string& out, std::string_view text) {
  bool single = text.find('\'') != std::string_view::npos;
  bool dbl = text.find('"') != std::string_view::npos;
  char quote = single && !dbl ? '"' : '\'';
  out += quote;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0xad) {
      out += "\\xad";
      ++i;
    } else if (c == 0xe2 && i + 2 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0x80 &&
               static_cast<unsigned char>(text[i + 2]) >= 0x8b &&
               static_cast<unsigned char>(text[i + 2]) <= 0x8d) {
      out += fmt::format("\\u{:04x}", 0x2000 + (static_cast<unsigned char>(text[i + 2]) - 0x80));
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
}

/// Python's repr() of a float that has at most six decimals, from its value in millionths:
/// "21.946943", "81.0", "0.000308", and scientific below 1e-4 ("1.7e-05", "5e-06").
void append_py_micros(std::string& out, std::uint64_t micros) {
  if (micros > 0 && micros < 100) {
    out += static_cast<char>('0' + (micros >= 10 ? micros / 10 : micros));
    if (micros >= 10 && micros % 10 != 0) {
      out += '.';
      out += static_cast<char>('0' + micros % 10);
    }
    out += micros >= 10 ? "e-05" : "e-06";
    return;
  }
  append_uint(out, micros / 1000000);
  out += '.';
  std::uint64_t fraction = micros % 1000000;
  if (fraction == 0) {
    out += '0';
    return;
  }
  char digits[6];
  for (int k = 5; k >= 0; --k) {
    digits[k] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int len = 6;
  while (digits[len - 1] == '0') {
    --len;
  }
  out.append(digits, static_cast<std::size_t>(len));
}

/// A TMDB image path: '/' + 27 base-62 characters + ".jpg".
void append_image_path(std::string& out, std::uint64_t key) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  Rng rng(key);
  out += '/';
  for (int k = 0; k < 27; ++k) {
    out += kAlphabet[rng.below(kAlphabet.size())];
  }
  out += ".jpg";
}

void append_py_image_path(std::string& out, std::uint64_t key, bool none) {
  if (none) {
    out += "None";
    return;
  }
  out += '\'';
  append_image_path(out, key);
  out += '\'';
}

/// Concatenates in order. Braced lists are evaluated left to right, unlike the operands of a
/// chain of operator+, so calls to an Rng inside them happen in a fixed order.
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) {
    out += part;
  }
  return out;
}

void capitalize_ascii(std::string& text, std::size_t at) {
  if (at < text.size() && text[at] >= 'a' && text[at] <= 'z') {
    text[at] = static_cast<char>(text[at] - 'a' + 'A');
  }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary.

constexpr std::string_view kTitleAdjectives[] = {
    "Silent",   "Crimson",  "Last",   "Broken",  "Golden", "Hidden",  "Dark",      "Wild",
    "Lost",     "Secret",   "Final",  "Burning", "Frozen", "Little",  "Big",       "Iron",
    "Electric", "Midnight", "Savage", "Sweet",   "Lonely", "Eternal", "Forgotten", "Distant",
    "Bitter",   "Endless",  "Fallen", "Hollow",  "Red",    "Blue",    "Perfect",   "Dangerous",
    "Strange",  "Quiet",    "Brave",  "Young",   "Deadly", "Sacred",  "Restless",  "Invisible"};
constexpr std::string_view kTitleNouns[] = {
    "River",   "Night",  "Heart",    "City",    "Road",    "Dream",   "Garden",    "War",
    "Sky",     "House",  "Storm",    "Shadow",  "Game",    "Kingdom", "Summer",    "Winter",
    "Island",  "Mirror", "Letter",   "Journey", "Ghost",   "Promise", "Machine",   "Empire",
    "Wolf",    "Angel",  "Stranger", "Sea",     "Fire",    "Moon",    "Train",     "Hotel",
    "Witness", "Planet", "Frontier", "Harvest", "Lullaby", "Circus",  "Detective", "Symphony"};
constexpr std::string_view kFirstNames[] = {
    "John",  "Mary",  "James",  "Anna",   "Robert",  "Laura",    "Michael", "Sarah",
    "David", "Emma",  "Thomas", "Julia",  "Peter",   "Claire",   "Paul",    "Helen",
    "Jack",  "Grace", "Frank",  "Alice",  "Amélie",  "François", "Jürgen",  "Søren",
    "José",  "Zoë",   "Björn",  "Łukasz", "Takeshi", "Yuki",     "Hiroshi", "Mei",
    "Ivan",  "Olga",  "Raj",    "Priya",  "Ahmed",   "Fatima",   "Chen",    "Kelly"};
constexpr std::string_view kLastNames[] = {
    "Smith",    "Johnson", "Brown",  "Miller",   "Davis",     "Wilson",   "Moore",    "Taylor",
    "Anderson", "Thomas",  "Martin", "Thompson", "Garcia",    "Clark",    "Lewis",    "Walker",
    "Hall",     "Young",   "King",   "Wright",   "O'Connell", "O'Brien",  "D'Angelo", "Müller",
    "Dubois",   "Rossi",   "Novak",  "Kowalski", "Tanaka",    "Suzuki",   "Petrov",   "Ivanova",
    "Kapoor",   "Khan",    "Nguyen", "Kim",      "Lindqvist", "Ødegaard", "Núñez",    "Schäfer"};
/// Names in scripts other than Latin (TMDB keeps some names as written).
constexpr std::string_view kNativeNames[] = {
    "成龍",          "三船敏郎",    "张艺谋", "김기덕", "Андрей Тарковский",
    "Сергей Бодров", "अमिताभ बच्चन", "黒澤明"};

constexpr std::string_view kOverviewWords[] = {
    "family",    "secret", "town",    "love",      "war",        "friend",    "journey",
    "life",      "world",  "young",   "old",       "mysterious", "dangerous", "brother",
    "sister",    "father", "mother",  "daughter",  "son",        "past",      "future",
    "city",      "night",  "truth",   "money",     "crime",      "police",    "detective",
    "killer",    "plan",   "dream",   "home",      "school",     "band",      "team",
    "island",    "ship",   "storm",   "village",   "kingdom",    "against",   "finds",
    "discovers", "must",   "decides", "tries",     "escape",     "save",      "struggle",
    "between",   "after",  "before",  "until",     "while",      "across",    "beyond",
    "strange",   "hidden", "quiet",   "ambitious", "reluctant",  "lonely",    "brilliant",
    "famous"};
constexpr std::string_view kOverviewOpeners[] = {
    "When",   "After",  "In", "Years after", "On the eve of", "Following",
    "During", "Set in", "As", "Before",      "Haunted by",    "Desperate for"};
constexpr std::string_view kForeignSentences[] = {
    "Молодой человек возвращается в родной город после войны.",
    "一个年轻人回到了他的家乡。",
    "ある夏の日、少年は不思議な少女に出会う。",
    "한 남자가 잃어버린 딸을 찾아 나선다.",
    "Une famille se retrouve dans la maison de son enfance.",
    "Ein junger Mann verliebt sich in eine Fremde."};

constexpr std::string_view kTaglines[] = {"Some secrets should stay buried",
                                          "The adventure of a lifetime",
                                          "Nobody is innocent",
                                          "Based on a true story",
                                          "Love is a battlefield",
                                          "Every family has a secret",
                                          "One night will change everything",
                                          "Run",
                                          "The truth will set you free",
                                          "Welcome to the jungle",
                                          "It's not the end",
                                          "Fear has a new name",
                                          "Trust no one",
                                          "Still yelling, still fighting",
                                          "Who's counting?"};

struct Language {
  std::string_view code;
  std::string_view name;  ///< as TMDB spells it in spoken_languages (may be empty)
  std::uint32_t weight;   ///< films per 10,000 with this original_language (0: spoken only)
  std::string_view adjectives[4];
  std::string_view nouns[4];
  bool noun_first;
};

constexpr Language kLanguages[] = {
    {"en", "English", 0, {}, {}, false},  // 71% of the films, drawn apart from the others
    {"fr",
     "Français",
     540,
     {"silencieuse", "dernière", "perdue", "étrange"},
     {"La nuit", "La rivière", "La mémoire", "La fenêtre"},
     true},
    {"it",
     "Italiano",
     340,
     {"ultima", "perduta", "dolce", "segreta"},
     {"La notte", "La strada", "La città", "La vita"},
     true},
    {"ja",
     "日本語",
     300,
     {"静かな", "最後の", "失われた", "赤い"},
     {"川", "夜", "約束", "夏"},
     false},
    {"de",
     "Deutsch",
     240,
     {"Die stille", "Die letzte", "Die dunkle", "Die große"},
     {"Nacht", "Straße", "Stadt", "Reise"},
     false},
    {"es",
     "Español",
     220,
     {"perdida", "última", "oscura", "secreta"},
     {"La noche", "La ciudad", "La casa", "La guerra"},
     true},
    {"ru",
     "Pусский",
     180,
     {"Тихая", "Последняя", "Тёмная", "Долгая"},
     {"река", "ночь", "дорога", "зима"},
     false},
    {"hi", "हिन्दी", 110, {"आख़िरी", "खामोश", "पहला", "अधूरा"}, {"रात", "सपना", "सफ़र", "वादा"}, false},
    {"ko",
     "한국어/조선말",
     100,
     {"조용한", "마지막", "잃어버린", "붉은"},
     {"강", "밤", "마음", "도시"},
     false},
    {"zh",
     "普通话",
     90,
     {"沉默的", "最后的", "遥远的", "红色"},
     {"河", "夜", "城市", "江湖"},
     false},
    {"cn",
     "广州话 / 廣州話",
     70,
     {"最後的", "無間", "英雄", "夜"},
     {"道", "本色", "之城", "行動"},
     false},
    {"sv",
     "svenska",
     85,
     {"Den sista", "Den tysta", "Den långa", "Den mörka"},
     {"natten", "sommaren", "vintern", "resan"},
     false},
    {"pt",
     "Português",
     70,
     {"perdida", "última", "escura", "secreta"},
     {"A noite", "A cidade", "A casa", "A estrada"},
     true},
    {"fi",
     "suomi",
     65,
     {"Viimeinen", "Hiljainen", "Pimeä", "Pitkä"},
     {"yö", "kesä", "matka", "talvi"},
     false},
    {"da",
     "Dansk",
     50,
     {"Den sidste", "Den stille", "Den lange", "Den mørke"},
     {"nat", "sommer", "rejse", "vinter"},
     false},
    {"tr",
     "Türkçe",
     35,
     {"Son", "Sessiz", "Karanlık", "Uzun"},
     {"gece", "yol", "yaz", "kış"},
     false},
    {"la", "Latin", 0, {}, {}, false},
    {"gd", "", 0, {}, {}, false},
    {"mn", "", 0, {}, {}, false},
    {"mk", "", 0, {}, {}, false},
};
constexpr std::size_t kEnglish = 0;

struct Country {
  std::string_view code;
  std::string_view name;
  std::uint32_t weight;
};
constexpr Country kCountries[] = {
    {"US", "United States of America", 4800},
    {"GB", "United Kingdom", 900},
    {"FR", "France", 900},
    {"DE", "Germany", 600},
    {"IT", "Italy", 500},
    {"CA", "Canada", 400},
    {"JP", "Japan", 400},
    {"ES", "Spain", 250},
    {"RU", "Russia", 250},
    {"IN", "India", 200},
    {"HK", "Hong Kong", 150},
    {"SE", "Sweden", 150},
    {"AU", "Australia", 150},
    {"KR", "South Korea", 120},
    {"BE", "Belgium", 100},
    {"CN", "China", 100},
    {"CI", "Cote D'Ivoire", 2},
    {"LA", "Lao People's Democratic Republic", 1},
};

struct Genre {
  int id;
  std::string_view name;
  std::uint32_t weight;  ///< movies with this genre in the real file
};
constexpr Genre kGenres[] = {
    {28, "Action", 6596},           {12, "Adventure", 3496},  {16, "Animation", 1935},
    {35, "Comedy", 13182},          {80, "Crime", 4307},      {99, "Documentary", 3932},
    {18, "Drama", 20265},           {10751, "Family", 2770},  {14, "Fantasy", 2313},
    {10769, "Foreign", 1622},       {36, "History", 1398},    {27, "Horror", 4673},
    {10402, "Music", 1598},         {9648, "Mystery", 2467},  {10749, "Romance", 6735},
    {878, "Science Fiction", 3049}, {10770, "TV Movie", 767}, {53, "Thriller", 7624},
    {10752, "War", 1323},           {37, "Western", 1042}};

struct Company {
  int id;
  std::string_view name;
  std::uint32_t weight;
};
/// The busiest real companies, with their real ids, take an eighth of all company slots; the rest
/// are synthetic with ids from 100,000 up so the two never collide.
constexpr Company kMajorCompanies[] = {{6194, "Warner Bros.", 1194},
                                       {8411, "Metro-Goldwyn-Mayer (MGM)", 850},
                                       {4, "Paramount Pictures", 1000},
                                       {306, "Twentieth Century Fox Film Corporation", 780},
                                       {33, "Universal Pictures", 757},
                                       {5, "Columbia Pictures", 430},
                                       {441, "Columbia Pictures Corporation", 450},
                                       {12, "New Line Cinema", 311},
                                       {2, "Walt Disney Pictures", 265},
                                       {9195, "Touchstone Pictures", 150},
                                       {559, "TriStar Pictures", 130},
                                       {5358, "Canal+", 240},
                                       {60, "United Artists", 250},
                                       {14, "Miramax Films", 220},
                                       {10163, "Working Title Films", 100},
                                       {694, "StudioCanal", 120},
                                       {1632, "Lionsgate", 110},
                                       {27, "DreamWorks SKG", 100},
                                       {41, "Orion Pictures", 130},
                                       {56, "Amblin Entertainment", 60},
                                       {3, "Pixar Animation Studios", 30},
                                       {5822, "Mosfilm", 120},
                                       {882, "Toho Company", 160},
                                       {288, "BBC Films", 110}};

constexpr std::string_view kCompanyFirst[] = {
    "Silver", "Northern", "Blue",    "Red",   "Golden", "Iron",   "Crescent", "Lighthouse",
    "Eagle",  "Harbor",   "Stone",   "Paper", "Wild",   "Bright", "Seven",    "First",
    "Little", "Urban",    "Coastal", "Royal", "Black",  "Green",  "Atlas",    "Phoenix"};
constexpr std::string_view kCompanySecond[] = {
    "Lake", "River", "Mountain", "Sun",    "Moon", "Star",  "Fox",  "Lion",  "Bear", "Horse",
    "Crow", "Oak",   "Pine",     "Bridge", "Gate", "Tower", "Road", "Field", "Bay",  "Wave"};
constexpr std::string_view kCompanySuffix[] = {
    "Pictures", "Films",  "Productions",    "Entertainment", "Studios",   "Media",
    "Film",     "Cinema", "Filmproduktion", "Film Partners", "Releasing", "Pictures Corporation"};
constexpr std::string_view kCompanyNative[] = {"東宝映画",
                                               "松竹株式会社",
                                               "上海电影制片厂",
                                               "Ленфильм",
                                               "Киностудия им. Горького",
                                               "Société Nouvelle de Cinématographie",
                                               "Filmové studio Barrandov",
                                               "Zespół Filmowy Tor"};

constexpr std::string_view kKeywordTop[] = {"woman director",
                                            "independent film",
                                            "murder",
                                            "based on novel",
                                            "musical",
                                            "sex",
                                            "violence",
                                            "nudity",
                                            "biography",
                                            "revenge",
                                            "suspense",
                                            "love",
                                            "female nudity",
                                            "sport",
                                            "police",
                                            "teenager",
                                            "duringcreditsstinger",
                                            "sequel",
                                            "friendship",
                                            "world war ii",
                                            "based on children's book",
                                            "new year's eve",
                                            "dystopia",
                                            "aftercreditsstinger",
                                            "remake"};
constexpr std::string_view kKeywordWords[] = {
    "journey",    "betrayal",  "island",  "robbery",    "detective",  "jealousy",    "toy",
    "boy",        "rivalry",   "chase",   "bank",       "obsession",  "baby",        "pregnancy",
    "prison",     "escape",    "vampire", "alien",      "zombie",     "wedding",     "divorce",
    "small town", "road trip", "heist",   "kidnapping", "conspiracy", "time travel", "amnesia"};
constexpr std::string_view kKeywordAdjectives[] = {"new",  "old",   "secret", "haunted", "lost",
                                                   "fake", "young", "evil",   "giant",   "single"};

constexpr std::string_view kCharacterRoles[] = {
    "Himself", "Herself", "Narrator (voice)", "Detective", "Dr.",   "Young",
    "Officer", "Nurse",   "Bartender",        "Mother",    "Father"};

struct Job {
  std::string_view department;
  std::string_view job;
};
constexpr Job kJobs[] = {{"Writing", "Screenplay"},
                         {"Writing", "Writer"},
                         {"Writing", "Novel"},
                         {"Production", "Producer"},
                         {"Production", "Executive Producer"},
                         {"Production", "Casting"},
                         {"Camera", "Director of Photography"},
                         {"Editing", "Editor"},
                         {"Sound", "Original Music Composer"},
                         {"Art", "Production Design"},
                         {"Costume & Make-Up", "Costume Design"},
                         {"Crew", "Stunts"},
                         {"Visual Effects", "Visual Effects Supervisor"},
                         {"Lighting", "Gaffer"}};

/// Insertion sort for the handful of items of one list (std::sort on a std::array of a few
/// items trips GCC 12's -Warray-bounds).
template <typename T, typename Less>
void sort_small(T* first, T* last, Less less) {
  for (T* i = first; i != last; ++i) {
    for (T* j = i; j != first && less(*j, *(j - 1)); --j) {
      std::swap(*j, *(j - 1));
    }
  }
}

template <typename T, std::size_t N>
const T& pick_weighted(Rng& rng, const T (&items)[N]) {
  std::uint64_t total = 0;
  for (const auto& item : items) {
    total += item.weight;
  }
  std::uint64_t roll = rng.below(total);
  for (const auto& item : items) {
    if (roll < item.weight) {
      return item;
    }
    roll -= item.weight;
  }
  return items[N - 1];
}

/// A sentence of lower-case words, capitalized, with no comma when `plain` (for the overviews
/// that must stay unquoted).
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

// ---------------------------------------------------------------------------------------------
// The layout of one dataset: how many of everything, and where the quirks go.

std::uint64_t scaled(double real_count, double scale) {
  return static_cast<std::uint64_t>(std::llround(real_count * scale));
}

struct Plan {
  std::uint64_t seed = 1;
  double scale = 1.0;
  std::uint64_t movies = 0;            ///< distinct ids in movies_metadata.csv
  std::uint64_t duplicated_ids = 0;    ///< ids with extra copies ...
  std::uint64_t identical_ids = 0;     ///< ... the first ones identical, the rest conflicting
  std::uint64_t doubled_ids = 0;       ///< ... the first ones with two extra copies, not one
  std::uint64_t bare_cr = 0;           ///< unquoted overviews holding a bare CR
  std::uint64_t blank_overviews = 0;   ///< overviews of spaces only, besides random ones
  std::uint64_t empty_tmdb_links = 0;  ///< links.csv rows with an empty tmdbId
  std::uint64_t orphan_links = 0;      ///< links.csv rows whose tmdbId is not a movie here
  std::uint64_t keyword_copies = 0;
  std::uint64_t credit_copies = 0;
  std::uint64_t credit_conflicts = 0;
  std::uint64_t ratings = 0;
  std::uint64_t ratings_small = 0;
  std::uint64_t companies = 0;  ///< synthetic company pool
  std::uint64_t collections = 0;
  std::uint64_t keywords = 0;
  std::uint64_t persons = 0;

  std::uint64_t extra_copies() const { return duplicated_ids + doubled_ids; }
  std::uint64_t link_rows() const {
    return movies + extra_copies() + empty_tmdb_links + orphan_links;
  }
};

Plan make_plan(const GenerateOptions& options) {
  Plan plan;
  plan.seed = options.seed;
  plan.scale = options.scale;
  const double s = options.scale;
  plan.movies = std::max<std::uint64_t>(1, scaled(45433, s));
  // The real file's quirks come in small numbers; keep at least one of each once the file is
  // big enough (100 movies) for them not to dominate it.
  const bool room = plan.movies >= 100;
  auto at_least_one = [&](double real) {
    return room ? std::max<std::uint64_t>(1, scaled(real, s)) : scaled(real, s);
  };
  plan.identical_ids = at_least_one(16);
  plan.duplicated_ids = plan.identical_ids + at_least_one(13);
  plan.doubled_ids = std::min(plan.duplicated_ids, scaled(1, s));
  plan.bare_cr = std::max<std::uint64_t>(1, scaled(3, s));
  plan.blank_overviews = std::max<std::uint64_t>(1, scaled(5, s));
  plan.empty_tmdb_links = at_least_one(219);
  plan.orphan_links = at_least_one(161);
  plan.keyword_copies = at_least_one(987);
  plan.credit_copies = at_least_one(44);
  plan.credit_conflicts = std::min(plan.credit_copies, at_least_one(7));
  plan.ratings = options.ratings_scale > 0 ? scaled(26024289, options.ratings_scale) : 1000;
  plan.ratings_small = std::clamp<std::uint64_t>(scaled(100004, s), 100, 100004);
  plan.companies = std::max<std::uint64_t>(64, scaled(40000, s));
  plan.collections = std::max<std::uint64_t>(8, scaled(1700, s));
  plan.keywords = std::max<std::uint64_t>(200, scaled(20000, s));
  plan.persons = std::max<std::uint64_t>(1000, scaled(400000, s));
  return plan;
}

/// Ids, names and schedules shared by every entry of one dataset.
class Dataset {
 public:
  explicit Dataset(const Plan& plan)
      : plan_(plan),
        movie_ids_(10 * (plan.movies + plan.orphan_links) + 10,
                   stream_key(plan.seed, Stream::kMovieIds)),
        imdb_ids_(std::max<std::uint64_t>(9000000, 8 * plan.link_rows()),
                  stream_key(plan.seed, Stream::kImdbIds)),
        link_popularity_(plan.link_rows(), stream_key(plan.seed, Stream::kLinkIds)),
        company_ids_(4 * plan.companies, stream_key(plan.seed, Stream::kCompanyIds)),
        collection_ids_(60 * plan.collections, stream_key(plan.seed, Stream::kCollectionIds)),
        keyword_ids_(12 * plan.keywords, stream_key(plan.seed, Stream::kKeywordIds)),
        person_ids_(5 * plan.persons, stream_key(plan.seed, Stream::kPersonIds)),
        bare_cr_(plan.bare_cr, plan.movies, 4),
        blank_(plan.blank_overviews, plan.movies, 3),
        duplicates_(plan.duplicated_ids, plan.movies, 5),
        empty_links_(plan.empty_tmdb_links, plan.movies, 2),
        orphan_links_(plan.orphan_links, plan.movies, 6),
        keyword_copies_(plan.keyword_copies, plan.movies, 4),
        credit_copies_(plan.credit_copies, plan.movies, 1) {}

  const Plan& plan() const { return plan_; }
  std::uint64_t seed() const { return plan_.seed; }

  std::uint64_t tmdb_id(std::uint64_t movie) const { return 2 + movie_ids_(movie); }
  std::uint64_t orphan_tmdb_id(std::uint64_t k) const { return 2 + movie_ids_(plan_.movies + k); }
  /// imdb numbers: movies first, then repeated links, empty-tmdbId links, orphan links.
  std::uint64_t imdb_number(std::uint64_t index) const { return 1 + imdb_ids_(index); }

  /// The MovieLens movieId of link row r: dense at first, then with gaps, as in the real file.
  std::uint64_t movielens_id(std::uint64_t row) const {
    std::uint64_t dense = plan_.link_rows() / 5;
    if (row < dense) {
      return row + 1;
    }
    return dense + 1 + (row - dense) * 4 + mix(plan_.seed, row) % 4;
  }
  /// A link row drawn with a heavy-tailed popularity (some movies get most ratings).
  std::uint64_t popular_link_row(Rng& rng, std::uint64_t rows) const {
    std::uint64_t rank = rng.skewed_rank(rows, 2);
    return link_popularity_(rank) % rows;
  }

  bool is_bare_cr(std::uint64_t movie) const { return bare_cr_.contains(movie); }
  bool is_blank(std::uint64_t movie) const { return blank_.contains(movie); }
  /// One movie gets an empty release_date whatever the dice say, so small datasets have one.
  bool is_forced_undated(std::uint64_t movie) const {
    return plan_.movies >= 3 && movie == plan_.movies * 2 / 3 && !is_bare_cr(movie);
  }

  const Spread& duplicates() const { return duplicates_; }
  const Spread& empty_links() const { return empty_links_; }
  const Spread& orphan_links() const { return orphan_links_; }
  const Spread& keyword_copies() const { return keyword_copies_; }
  const Spread& credit_copies() const { return credit_copies_; }

  /// The movie that duplicate j copies: shortly before the place where its copies are written.
  std::uint64_t duplicate_source(std::uint64_t j) const {
    std::uint64_t position = duplicates_.at(j);
    std::uint64_t spacing = plan_.movies / std::max<std::uint64_t>(1, plan_.duplicated_ids);
    std::uint64_t gap = mix(stream_key(plan_.seed, Stream::kDuplicates), j) %
                        (std::min<std::uint64_t>(spacing / 2, 1000) + 1);
    std::uint64_t source = position - std::min(gap, position);
    while (source > 0 && is_bare_cr(source)) {
      --source;
    }
    return source;
  }
  std::uint64_t duplicate_copies(std::uint64_t j) const { return j < plan_.doubled_ids ? 2 : 1; }
  bool duplicate_identical(std::uint64_t j) const { return j < plan_.identical_ids; }
  /// Index of the first extra copy of duplicate j among all extra copies.
  std::uint64_t first_copy_index(std::uint64_t j) const {
    return j + std::min(j, plan_.doubled_ids);
  }

  std::uint64_t company_id(std::uint64_t rank) const { return 100000 + company_ids_(rank); }
  std::uint64_t collection_id(std::uint64_t index) const { return 10 + collection_ids_(index); }
  std::uint64_t keyword_id(std::uint64_t rank) const { return 1 + keyword_ids_(rank); }
  std::uint64_t person_id(std::uint64_t rank) const { return 1 + person_ids_(rank); }

 private:
  Plan plan_;
  Permutation movie_ids_;
  Permutation imdb_ids_;
  Permutation link_popularity_;
  Permutation company_ids_;
  Permutation collection_ids_;
  Permutation keyword_ids_;
  Permutation person_ids_;
  Spread bare_cr_;
  Spread blank_;
  Spread duplicates_;
  Spread empty_links_;
  Spread orphan_links_;
  Spread keyword_copies_;
  Spread credit_copies_;
};

// ---------------------------------------------------------------------------------------------
// Names that must be the same wherever an id appears (company, collection, keyword, person).

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

struct Person {
  std::string name;
  int gender;
  bool has_profile;
};

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

// ---------------------------------------------------------------------------------------------
// movies_metadata.csv

constexpr std::string_view kMoviesHeader =
    "adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,"
    "original_title,overview,popularity,poster_path,production_companies,production_countries,"
    "release_date,revenue,runtime,spoken_languages,status,tagline,title,video,vote_average,"
    "vote_count\n";

struct MovieFacts {
  bool empty_date = false;
  bool bare_cr = false;
};

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

/// Writes one record of movie `movie`. `variant` 0 is the movie itself; a conflicting copy
/// (variant > 0) changes popularity and votes, and for some copies the budget or the date.
MovieFacts append_movie(std::string& out, const Dataset& data, std::uint64_t movie,
                        std::uint64_t variant) {
  const std::uint64_t seed = data.seed();
  Rng rng(mix(stream_key(seed, Stream::kMovie), movie));
  Rng changes(mix(stream_key(seed, Stream::kMovieVariant), movie, variant));
  MovieFacts facts;
  std::string scratch;

  // Decide everything up front, in a fixed order, then write the columns.
  bool adult = rng.chance(0.0002);
  bool video = rng.chance(0.002);
  bool in_collection = rng.chance(0.099);
  std::uint64_t collection = rng.below(data.plan().collections);
  bool has_budget = rng.chance(0.196);
  std::uint64_t budget = has_budget ? money(rng) : 0;
  if (has_budget && budget >= 100000 && rng.chance(0.8)) {
    budget -= budget % 100000;
  }
  bool has_revenue = rng.chance(has_budget ? 0.6 : 0.056);
  std::uint64_t revenue = 0;
  if (has_revenue) {
    revenue = has_budget && budget > 1000
                  ? budget / 100 * static_cast<std::uint64_t>(rng.between(5, 600))
                  : money(rng);
    if (budget >= 100000000 && rng.chance(0.05)) {
      revenue = static_cast<std::uint64_t>(rng.between(1000000000, 2787965087));
    }
    revenue = std::max<std::uint64_t>(revenue, 1);
  }
  const Language& language =
      rng.chance(0.71) ? kLanguages[kEnglish] : pick_weighted(rng, kLanguages);
  std::string title = english_title(rng);
  std::string original_title =
      (&language == &kLanguages[kEnglish] || language.nouns[0].empty() || rng.chance(0.15))
          ? title
          : native_title(rng, language);
  std::uint64_t popularity = popularity_micros(rng);
  bool has_poster = rng.chance(0.991);
  bool empty_date = rng.chance(0.00185) || data.is_forced_undated(movie);
  bool runtime_empty = rng.chance(0.0057);
  bool runtime_zero = rng.chance(0.034);
  std::int64_t runtime = rng.chance(0.05) ? rng.between(1, 45)
                         : rng.chance(0.02)
                             ? rng.between(150, 338)
                             : 50 + rng.between(0, 30) + rng.between(0, 30) + rng.between(0, 30);
  std::uint64_t vote_count = 0;
  if (!rng.chance(0.06)) {
    int bucket = static_cast<int>(std::min(rng.below(14), rng.below(14)));
    vote_count = (std::uint64_t{1} << bucket) + rng.below(std::uint64_t{1} << bucket);
  }
  std::int64_t vote_tenths =
      vote_count == 0  ? 0
      : vote_count < 5 ? rng.between(10, 100)
                       : 30 + rng.between(0, 20) + rng.between(0, 20) + rng.between(0, 20);
  std::uint64_t status_roll = rng.below(100000);
  bool has_homepage = rng.chance(0.17);
  bool has_tagline = rng.chance(0.45);

  if (variant > 0) {
    popularity = popularity_micros(changes);
    vote_count += changes.below(50);
    vote_tenths = vote_count == 0 ? 0 : changes.between(10, 100);
    if (variant % 3 == 1) {
      budget = changes.chance(0.5) ? 0 : money(changes);
    }
    if (variant % 4 == 2) {
      empty_date = !empty_date;
    }
  }

  // adult
  out += adult ? "True," : "False,";
  // belongs_to_collection: {'id': .., 'name': .., 'poster_path': .., 'backdrop_path': ..}
  if (in_collection) {
    std::uint64_t id = data.collection_id(collection);
    Rng named(mix(stream_key(seed, Stream::kCollection), id));
    scratch = "{'id': ";
    append_uint(scratch, id);
    scratch += ", 'name': ";
    append_py_str(scratch, english_title(named) + " Collection");
    std::uint64_t poster = named.next();
    bool no_poster = named.chance(0.05);
    std::uint64_t backdrop = named.next();
    bool no_backdrop = named.chance(0.2);
    scratch += ", 'poster_path': ";
    append_py_image_path(scratch, poster, no_poster);
    scratch += ", 'backdrop_path': ";
    append_py_image_path(scratch, backdrop, no_backdrop);
    scratch += '}';
    append_csv_field(out, scratch);
  }
  out += ',';
  // budget
  append_uint(out, budget);
  out += ',';
  // genres: [{'id': 16, 'name': 'Animation'}, ...]
  scratch = "[";
  if (!rng.chance(0.054)) {
    std::uint64_t roll = rng.below(100);
    std::uint64_t count = roll < 27 ? 1 : roll < 62 ? 2 : roll < 88 ? 3 : roll < 97 ? 4 : 5;
    std::array<int, 5> chosen{};
    std::uint64_t n = 0;
    for (std::uint64_t attempt = 0; attempt < 3 * count && n < count; ++attempt) {
      const Genre& genre = pick_weighted(rng, kGenres);
      auto end = chosen.begin() + static_cast<std::ptrdiff_t>(n);
      if (std::find(chosen.begin(), end, genre.id) != end) {
        continue;  // a genre once per movie
      }
      chosen[n++] = genre.id;
      if (n > 1) {
        scratch += ", ";
      }
      scratch += "{'id': ";
      append_uint(scratch, static_cast<std::uint64_t>(genre.id));
      scratch += ", 'name': ";
      append_py_str(scratch, genre.name);
      scratch += '}';
    }
  }
  scratch += ']';
  append_csv_field(out, scratch);
  out += ',';
  // homepage
  if (has_homepage) {
    std::string slug;
    for (char c : title) {
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        slug += c;
      } else if (c >= 'A' && c <= 'Z') {
        slug += static_cast<char>(c - 'A' + 'a');
      }
    }
    std::string_view scheme = rng.chance(0.5) ? "http://www." : "https://";
    std::string_view domain = rng.chance(0.7) ? ".com/" : ".net";
    append_csv_field(out, cat({scheme, slug, domain}));
  }
  out += ',';
  // id, imdb_id, original_language, original_title
  append_uint(out, data.tmdb_id(movie));
  out += ",tt";
  append_padded(out, data.imdb_number(movie), 7);
  out += ',';
  out += language.code;
  out += ',';
  append_csv_field(out, original_title);
  out += ',';
  // overview
  scratch.clear();
  if (data.is_bare_cr(movie)) {
    // Written unquoted holding a bare CR, as pandas wrote three real records: no comma, quote or
    // LF may appear in it, or the field would have been quoted.
    append_sentence(scratch, rng, true);
    scratch += '\r';
    append_sentence(scratch, rng, true);
    out += scratch;
    facts.bare_cr = true;
  } else {
    if (data.is_blank(movie)) {
      scratch = "  ";
    } else {
      append_overview(scratch, rng);
    }
    append_csv_field(out, scratch);
  }
  out += ',';
  // popularity, poster_path
  append_py_micros(out, popularity);
  out += ',';
  if (has_poster) {
    append_image_path(out, mix(seed, 0x504f53544552ULL, movie));
  }
  out += ',';
  // production_companies: [{'name': .., 'id': ..}, ...] sorted by id
  scratch = "[";
  if (!rng.chance(0.26)) {
    std::uint64_t roll = rng.below(100);
    std::uint64_t count = roll < 40   ? 1
                          : roll < 68 ? 2
                          : roll < 84 ? 3
                          : roll < 92 ? 4
                                      : 5 + rng.below(4);
    std::array<std::uint64_t, 8> ids{};
    std::array<std::string_view, 8> majors{};
    std::uint64_t n = 0;
    for (std::uint64_t k = 0; k < count; ++k) {
      std::uint64_t id;
      std::string_view major;
      if (rng.chance(0.12)) {
        const Company& company = pick_weighted(rng, kMajorCompanies);
        id = static_cast<std::uint64_t>(company.id);
        major = company.name;
      } else {
        id = data.company_id(rng.skewed_rank(data.plan().companies, 3));
      }
      if (std::find(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), id) ==
          ids.begin() + static_cast<std::ptrdiff_t>(n)) {
        ids[n] = id;
        majors[n] = major;
        ++n;
      }
    }
    std::array<std::uint64_t, 8> order{0, 1, 2, 3, 4, 5, 6, 7};
    sort_small(order.data(), order.data() + n,
               [&](std::uint64_t a, std::uint64_t b) { return ids[a] < ids[b]; });
    for (std::uint64_t k = 0; k < n; ++k) {
      std::uint64_t at = order[k];
      if (k > 0) {
        scratch += ", ";
      }
      scratch += "{'name': ";
      append_py_str(scratch,
                    majors[at].empty() ? company_name(data, ids[at]) : std::string(majors[at]));
      scratch += ", 'id': ";
      append_uint(scratch, ids[at]);
      scratch += '}';
    }
  }
  scratch += ']';
  append_csv_field(out, scratch);
  out += ',';
  // production_countries: [{'iso_3166_1': 'US', 'name': 'United States of America'}]
  scratch = "[";
  if (!rng.chance(0.13)) {
    std::uint64_t count = rng.chance(0.8) ? 1 : rng.between(2, 4);
    std::array<const Country*, 4> chosen{};
    std::uint64_t n = 0;
    for (std::uint64_t k = 0; k < count; ++k) {
      const Country& country = pick_weighted(rng, kCountries);
      if (std::find(chosen.begin(), chosen.begin() + static_cast<std::ptrdiff_t>(n), &country) !=
          chosen.begin() + static_cast<std::ptrdiff_t>(n)) {
        continue;
      }
      chosen[n++] = &country;
      if (n > 1) {
        scratch += ", ";
      }
      scratch += "{'iso_3166_1': '";
      scratch += country.code;
      scratch += "', 'name': ";
      append_py_str(scratch, country.name);
      scratch += '}';
    }
  }
  scratch += ']';
  append_csv_field(out, scratch);
  out += ',';
  // release_date
  if (empty_date) {
    facts.empty_date = true;
    Rng unused = rng;  // keep the stream position the same as when a date is written
    std::string discard;
    append_date(discard, unused);
  } else {
    append_date(out, rng);
  }
  out += ',';
  // revenue, runtime
  append_uint(out, revenue);
  out += ',';
  if (!runtime_empty) {
    append_uint(out, runtime_zero ? 0 : static_cast<std::uint64_t>(runtime));
    out += ".0";
  }
  out += ',';
  // spoken_languages: [{'iso_639_1': 'en', 'name': 'English'}], names sometimes empty
  scratch = "[";
  if (!rng.chance(0.085)) {
    std::uint64_t count = rng.chance(0.75) ? 1 : rng.between(2, 4);
    std::array<const Language*, 4> chosen{};
    std::uint64_t n = 0;
    for (std::uint64_t k = 0; k < count; ++k) {
      std::uint64_t which = rng.below(100);
      const Language& spoken = k == 0       ? language
                               : which < 35 ? kLanguages[kEnglish]
                               : which < 70 ? pick_weighted(rng, kLanguages)
                                            : kLanguages[rng.below(std::size(kLanguages))];
      if (std::find(chosen.begin(), chosen.begin() + static_cast<std::ptrdiff_t>(n), &spoken) !=
          chosen.begin() + static_cast<std::ptrdiff_t>(n)) {
        continue;
      }
      chosen[n++] = &spoken;
      if (n > 1) {
        scratch += ", ";
      }
      scratch += "{'iso_639_1': '";
      scratch += spoken.code;
      scratch += "', 'name': ";
      append_py_str(scratch, spoken.name);
      scratch += '}';
    }
  }
  scratch += ']';
  append_csv_field(out, scratch);
  out += ',';
  // status
  if (status_roll < 190) {
    // empty
  } else if (status_roll < 690) {
    out += "Rumored";
  } else if (status_roll < 910) {
    out += "Post Production";
  } else if (status_roll < 950) {
    out += "In Production";
  } else if (status_roll < 980) {
    out += "Planned";
  } else if (status_roll < 985) {
    out += "Canceled";
  } else {
    out += "Released";
  }
  out += ',';
  // tagline, title, video, vote_average, vote_count
  if (has_tagline) {
    scratch = rng.pick(kTaglines);
    scratch += rng.chance(0.7) ? "." : "!";
    append_csv_field(out, scratch);
  }
  out += ',';
  append_csv_field(out, title);
  out += video ? ",True," : ",False,";
  append_uint(out, static_cast<std::uint64_t>(vote_tenths / 10));
  out += '.';
  out += static_cast<char>('0' + vote_tenths % 10);
  out += ',';
  append_uint(out, vote_count);
  out += '\n';
  return facts;
}

// ---------------------------------------------------------------------------------------------
// The entries, each a restartable producer of CSV bytes.

class CsvProducer {
 public:
  virtual ~CsvProducer() = default;
  /// Back to the first byte, counts reset (libzip may open a source more than once).
  void restart() {
    header_written_ = false;
    done_ = false;
    rows_ = 0;
    bytes_ = 0;
    reset();
  }
  /// Appends the next chunk of about 64 KiB to `out`; false once everything was produced.
  bool produce(std::string& out) {
    std::size_t before = out.size();
    if (!header_written_) {
      out += header();
      header_written_ = true;
    }
    while (!done_ && out.size() - before < kChunk) {
      done_ = !append_rows(out);
    }
    bytes_ += out.size() - before;
    return out.size() > before;
  }
  std::uint64_t rows() const { return rows_; }
  std::uint64_t bytes() const { return bytes_; }
  virtual std::string_view entry_name() const = 0;
  virtual void report(EntryManifest& entry, Manifest& manifest) const = 0;

 protected:
  static constexpr std::size_t kChunk = 64 * 1024;
  virtual std::string_view header() const = 0;
  virtual void reset() = 0;
  /// Appends the next row or rows (counting them with count_row); false when there are none.
  virtual bool append_rows(std::string& out) = 0;
  void count_row(std::uint64_t n = 1) { rows_ += n; }

 private:
  bool header_written_ = false;
  bool done_ = false;
  std::uint64_t rows_ = 0;
  std::uint64_t bytes_ = 0;
};

class MoviesProducer final : public CsvProducer {
 public:
  explicit MoviesProducer(const Dataset& data) : data_(data), duplicates_(data.duplicates()) {}
  std::string_view entry_name() const override { return "movies_metadata.csv"; }
  void report(EntryManifest& entry, Manifest& manifest) const override {
    manifest.movies = counts_;
    entry.details["distinct_ids"] = counts_.distinct_ids;
    entry.details["duplicate_extra_copies"] = counts_.duplicate_extra_copies;
    entry.details["bare_cr_records"] = counts_.bare_cr_records;
    entry.details["empty_release_dates"] = counts_.empty_release_dates;
  }

 protected:
  std::string_view header() const override { return kMoviesHeader; }
  void reset() override {
    movie_ = 0;
    duplicates_.reset();
    counts_ = MoviesManifest{};
  }
  bool append_rows(std::string& out) override {
    if (movie_ >= data_.plan().movies) {
      return false;
    }
    MovieFacts facts = append_movie(out, data_, movie_, 0);
    note(facts);
    counts_.distinct_ids += 1;
    counts_.empty_release_dates += facts.empty_date ? 1 : 0;

    auto [first, last] = duplicates_.events(movie_);
    for (std::uint64_t j = first; j < last; ++j) {
      std::uint64_t source = data_.duplicate_source(j);
      bool identical = data_.duplicate_identical(j);
      counts_.duplicated_ids += 1;
      bool previous_empty = facts_of(source, 0).empty_date;
      for (std::uint64_t copy = 0; copy < data_.duplicate_copies(j); ++copy) {
        std::uint64_t variant = identical ? 0 : data_.first_copy_index(j) + copy + 1;
        MovieFacts copied = append_movie(out, data_, source, variant);
        note(copied);
        counts_.duplicate_extra_copies += 1;
        (identical ? counts_.identical_copies : counts_.conflicting_copies) += 1;
        // The last record of an id is the one that loads: track its date.
        counts_.empty_release_dates -= previous_empty ? 1 : 0;
        counts_.empty_release_dates += copied.empty_date ? 1 : 0;
        previous_empty = copied.empty_date;
      }
    }
    ++movie_;
    return true;
  }

 private:
  void note(const MovieFacts& facts) {
    counts_.records += 1;
    counts_.bare_cr_records += facts.bare_cr ? 1 : 0;
    count_row();
  }
  MovieFacts facts_of(std::uint64_t movie, std::uint64_t variant) const {
    std::string discard;
    return append_movie(discard, data_, movie, variant);
  }

  const Dataset& data_;
  SpreadCursor duplicates_;
  std::uint64_t movie_ = 0;
  MoviesManifest counts_;
};

/// links.csv and links_small.csv (every fifth row of links.csv): the MovieLens id, the IMDb
/// number zero-padded to 7 digits, and the TMDB id, empty for some rows and repeated for the
/// duplicated movies.
class LinksProducer final : public CsvProducer {
 public:
  LinksProducer(const Dataset& data, bool small)
      : data_(data),
        small_(small),
        duplicates_(data.duplicates()),
        empty_(data.empty_links()),
        orphans_(data.orphan_links()) {}
  std::string_view entry_name() const override { return small_ ? "links_small.csv" : "links.csv"; }
  void report(EntryManifest& entry, Manifest&) const override {
    entry.details["empty_tmdb_ids"] = empty_tmdb_;
    entry.details["repeated_tmdb_rows"] = repeated_;
    entry.details["tmdb_ids_not_in_movies"] = orphan_;
  }

 protected:
  std::string_view header() const override { return "movieId,imdbId,tmdbId\r\n"; }
  void reset() override {
    movie_ = 0;
    row_ = 0;
    copies_ = 0;
    duplicates_.reset();
    empty_.reset();
    orphans_.reset();
    empty_tmdb_ = repeated_ = orphan_ = 0;
  }
  bool append_rows(std::string& out) override {
    const Plan& plan = data_.plan();
    if (movie_ >= plan.movies) {
      return false;
    }
    write(out, data_.imdb_number(movie_), data_.tmdb_id(movie_));
    auto [first, last] = duplicates_.events(movie_);
    for (std::uint64_t j = first; j < last; ++j) {
      for (std::uint64_t copy = 0; copy < data_.duplicate_copies(j); ++copy) {
        repeated_ += write(out, data_.imdb_number(plan.movies + copies_++),
                           data_.tmdb_id(data_.duplicate_source(j)));
      }
    }
    auto [empty_first, empty_last] = empty_.events(movie_);
    for (std::uint64_t k = empty_first; k < empty_last; ++k) {
      empty_tmdb_ += write(out, data_.imdb_number(plan.movies + plan.extra_copies() + k), 0);
    }
    auto [orphan_first, orphan_last] = orphans_.events(movie_);
    for (std::uint64_t k = orphan_first; k < orphan_last; ++k) {
      orphan_ += write(
          out, data_.imdb_number(plan.movies + plan.extra_copies() + plan.empty_tmdb_links + k),
          data_.orphan_tmdb_id(k));
    }
    ++movie_;
    return true;
  }

 private:
  /// Writes link row row_ (when this file keeps it); tmdb 0 writes an empty tmdbId.
  std::uint64_t write(std::string& out, std::uint64_t imdb, std::uint64_t tmdb) {
    std::uint64_t row = row_++;
    if (small_ && row % 5 != 0) {
      return 0;
    }
    append_uint(out, data_.movielens_id(row));
    out += ',';
    append_padded(out, imdb, 7);
    out += ',';
    if (tmdb != 0) {
      append_uint(out, tmdb);
    }
    out += "\r\n";
    count_row();
    return 1;
  }

  const Dataset& data_;
  bool small_;
  SpreadCursor duplicates_;
  SpreadCursor empty_;
  SpreadCursor orphans_;
  std::uint64_t movie_ = 0;
  std::uint64_t row_ = 0;
  std::uint64_t copies_ = 0;
  std::uint64_t empty_tmdb_ = 0;
  std::uint64_t repeated_ = 0;
  std::uint64_t orphan_ = 0;
};

/// keywords.csv: id, keywords ([{'id': 931, 'name': 'jealousy'}, ...] sorted by id), with exact
/// duplicate rows as in the real file.
class KeywordsProducer final : public CsvProducer {
 public:
  explicit KeywordsProducer(const Dataset& data) : data_(data), copies_(data.keyword_copies()) {}
  std::string_view entry_name() const override { return "keywords.csv"; }
  void report(EntryManifest& entry, Manifest&) const override {
    entry.details["identical_copies"] = identical_;
  }

 protected:
  std::string_view header() const override { return "id,keywords\n"; }
  void reset() override {
    movie_ = 0;
    identical_ = 0;
    copies_.reset();
  }
  bool append_rows(std::string& out) override {
    if (movie_ >= data_.plan().movies) {
      return false;
    }
    std::size_t start = out.size();
    append_row(out);
    count_row();
    auto [first, last] = copies_.events(movie_);
    if (first < last) {
      scratch_.assign(out, start, out.size() - start);
    }
    for (std::uint64_t k = first; k < last; ++k) {
      out += scratch_;
      count_row();
      ++identical_;
    }
    ++movie_;
    return true;
  }

 private:
  void append_row(std::string& out) {
    Rng rng(mix(stream_key(data_.seed(), Stream::kKeywordRow), movie_));
    append_uint(out, data_.tmdb_id(movie_));
    out += ',';
    scratch_ = "[";
    if (!rng.chance(0.32)) {
      std::uint64_t count = 1 + std::min(rng.below(12), rng.below(12));
      std::array<std::pair<std::uint64_t, std::uint64_t>, 12> chosen{};  // (id, rank)
      std::uint64_t n = 0;
      for (std::uint64_t k = 0; k < count; ++k) {
        std::uint64_t rank = rng.skewed_rank(data_.plan().keywords, 1);
        std::uint64_t id = data_.keyword_id(rank);
        auto end = chosen.begin() + static_cast<std::ptrdiff_t>(n);
        if (std::find_if(chosen.begin(), end, [&](const auto& c) { return c.first == id; }) ==
            end) {
          chosen[n++] = {id, rank};
        }
      }
      sort_small(chosen.data(), chosen.data() + n, std::less<>{});
      for (std::uint64_t k = 0; k < n; ++k) {
        if (k > 0) {
          scratch_ += ", ";
        }
        scratch_ += "{'id': ";
        append_uint(scratch_, chosen[k].first);
        scratch_ += ", 'name': ";
        append_py_str(scratch_, keyword_name(data_, chosen[k].second, chosen[k].first));
        scratch_ += '}';
      }
    }
    scratch_ += ']';
    append_csv_field(out, scratch_);
    out += '\n';
  }

  const Dataset& data_;
  SpreadCursor copies_;
  std::uint64_t movie_ = 0;
  std::uint64_t identical_ = 0;
  std::string scratch_;
};

/// credits.csv: cast, crew, id. The real file averages 17 cast and 22 crew entries a movie
/// (190 MB); here each movie has at most 8 of each, so that scale 1 is written in seconds while
/// every shape of the real entries (keys, None paths, quotes in names) is still there.
class CreditsProducer final : public CsvProducer {
 public:
  explicit CreditsProducer(const Dataset& data) : data_(data), copies_(data.credit_copies()) {}
  std::string_view entry_name() const override { return "credits.csv"; }
  void report(EntryManifest& entry, Manifest&) const override {
    entry.details["duplicate_copies"] = duplicates_;
    entry.details["conflicting_copies"] = conflicts_;
  }

 protected:
  std::string_view header() const override { return "cast,crew,id\n"; }
  void reset() override {
    movie_ = 0;
    duplicates_ = conflicts_ = 0;
    copies_.reset();
  }
  bool append_rows(std::string& out) override {
    if (movie_ >= data_.plan().movies) {
      return false;
    }
    append_row(out, false);
    count_row();
    auto [first, last] = copies_.events(movie_);
    const Plan& plan = data_.plan();
    for (std::uint64_t k = first; k < last; ++k) {
      // Exactly credit_conflicts of the copies differ, spread among them.
      bool conflicting = (k + 1) * plan.credit_conflicts / plan.credit_copies !=
                         k * plan.credit_conflicts / plan.credit_copies;
      append_row(out, conflicting);
      count_row();
      ++duplicates_;
      conflicts_ += conflicting ? 1 : 0;
    }
    ++movie_;
    return true;
  }

 private:
  void append_credit_id(std::string& out, std::uint64_t key) {
    static constexpr std::string_view kHex = "0123456789abcdef";
    out += "'52fe";
    std::uint64_t bits = mix(data_.seed(), key);
    for (int k = 0; k < 16; ++k) {
      out += kHex[(bits >> (4 * k)) & 15];
    }
    bits = fmix(bits);
    for (int k = 0; k < 4; ++k) {
      out += kHex[(bits >> (4 * k)) & 15];
    }
    out += '\'';
  }

  std::string character(Rng& rng) {
    std::uint64_t roll = rng.below(100);
    if (roll < 3) {
      return "";
    }
    if (roll < 5) {
      // Both quotes: Python keeps single quotes and escapes the apostrophe.
      return cat({rng.pick(kFirstNames), " \"The Kid\" O'Hara"});
    }
    if (roll < 30) {
      std::string_view role = rng.pick(kCharacterRoles);
      if (role == "Himself" || role == "Herself" || role == "Narrator (voice)") {
        return std::string(role);
      }
      return cat({role, " ", rng.pick(kLastNames)});
    }
    if (roll < 60) {
      return std::string(rng.pick(kFirstNames));
    }
    return cat({rng.pick(kFirstNames), " ", rng.pick(kLastNames)});
  }

  void append_row(std::string& out, bool conflicting) {
    Rng rng(mix(stream_key(data_.seed(), Stream::kCreditRow), movie_));
    const std::uint64_t key = mix(data_.seed(), 0x435245444954ULL, movie_);
    std::uint64_t cast = rng.chance(0.05) ? 0 : 1 + rng.below(8);
    std::uint64_t crew = rng.chance(0.02) ? 0 : 1 + rng.below(8);
    if (conflicting && cast > 0) {
      --cast;  // the conflicting copy lost its last cast member
    }
    std::uint64_t persons = data_.plan().persons;

    scratch_ = "[";
    std::uint64_t cast_id = 1 + rng.below(20);
    for (std::uint64_t k = 0; k < cast; ++k) {
      std::uint64_t id = data_.person_id(rng.skewed_rank(persons, 4));
      if (k > 0) {
        scratch_ += ", ";
      }
      scratch_ += "{'cast_id': ";
      append_uint(scratch_, cast_id);
      cast_id += 1 + rng.below(2);
      scratch_ += ", 'character': ";
      append_py_str(scratch_, character(rng));
      scratch_ += ", 'credit_id': ";
      append_credit_id(scratch_, mix(key, k));
      Person p = person(data_, id);
      scratch_ += ", 'gender': ";
      append_uint(scratch_, static_cast<std::uint64_t>(p.gender));
      scratch_ += ", 'id': ";
      append_uint(scratch_, id);
      scratch_ += ", 'name': ";
      append_py_str(scratch_, p.name);
      scratch_ += ", 'order': ";
      append_uint(scratch_, k);
      scratch_ += ", 'profile_path': ";
      append_py_image_path(scratch_, mix(data_.seed(), id), !p.has_profile);
      scratch_ += '}';
    }
    scratch_ += ']';
    append_csv_field(out, scratch_);
    out += ',';

    scratch_ = "[";
    for (std::uint64_t k = 0; k < crew; ++k) {
      std::uint64_t id = data_.person_id(rng.skewed_rank(persons, 4));
      const Job& job = k == 0 ? Job{"Directing", "Director"} : rng.pick(kJobs);
      if (k > 0) {
        scratch_ += ", ";
      }
      scratch_ += "{'credit_id': ";
      append_credit_id(scratch_, mix(key, 100 + k));
      scratch_ += ", 'department': ";
      append_py_str(scratch_, job.department);
      Person p = person(data_, id);
      scratch_ += ", 'gender': ";
      append_uint(scratch_, static_cast<std::uint64_t>(p.gender));
      scratch_ += ", 'id': ";
      append_uint(scratch_, id);
      scratch_ += ", 'job': ";
      append_py_str(scratch_, job.job);
      scratch_ += ", 'name': ";
      append_py_str(scratch_, p.name);
      scratch_ += ", 'profile_path': ";
      append_py_image_path(scratch_, mix(data_.seed(), id), !p.has_profile);
      scratch_ += '}';
    }
    scratch_ += ']';
    append_csv_field(out, scratch_);
    out += ',';
    append_uint(out, data_.tmdb_id(movie_));
    out += '\n';
  }

  const Dataset& data_;
  SpreadCursor copies_;
  std::uint64_t movie_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t conflicts_ = 0;
  std::string scratch_;
};

/// ratings.csv and ratings_small.csv: userId, movieId (a MovieLens id of links.csv, of
/// links_small.csv for the small file), rating 0.5..5.0 in halves, a Unix timestamp between
/// 1995-01-09 and 2017-08-04. Users come in order, each with a heavy-tailed number of ratings
/// sorted by movieId, as in the real files.
class RatingsProducer final : public CsvProducer {
 public:
  RatingsProducer(const Dataset& data, bool small)
      : data_(data),
        small_(small),
        total_(small ? data.plan().ratings_small : data.plan().ratings) {}
  std::string_view entry_name() const override {
    return small_ ? "ratings_small.csv" : "ratings.csv";
  }
  void report(EntryManifest& entry, Manifest&) const override { entry.details["users"] = user_; }

 protected:
  std::string_view header() const override { return "userId,movieId,rating,timestamp\r\n"; }
  void reset() override {
    user_ = 0;
    written_ = 0;
  }
  bool append_rows(std::string& out) override {
    if (written_ >= total_) {
      return false;
    }
    ++user_;
    Rng rng(mix(stream_key(data_.seed(), Stream::kRatings), small_ ? 1 : 0, user_));
    // Between 2 and 511 ratings, log-uniform: mean about 96, as in the real file.
    int bucket = static_cast<int>(rng.between(1, 8));
    std::uint64_t count = (std::uint64_t{1} << bucket) + rng.below(std::uint64_t{1} << bucket);
    count = std::min(count, total_ - written_);

    std::uint64_t rows = data_.plan().link_rows();
    std::uint64_t pool = small_ ? (rows + 4) / 5 : rows;
    rows_.clear();
    for (std::uint64_t k = 0; k < count; ++k) {
      std::uint64_t row = data_.popular_link_row(rng, pool);
      rows_.push_back(small_ ? row * 5 : row);
    }
    std::sort(rows_.begin(), rows_.end());
    rows_.erase(std::unique(rows_.begin(), rows_.end()), rows_.end());

    constexpr std::int64_t kFirst = 789652009;  // 1995-01-09
    constexpr std::int64_t kLast = 1501804799;  // 2017-08-03 23:59:59
    std::int64_t start = rng.between(kFirst, kLast);
    std::int64_t span = rng.chance(0.5) ? 86400 : rng.chance(0.6) ? 365 * 86400 : kLast - start;
    span = std::min(span, kLast - start);
    for (std::uint64_t row : rows_) {
      append_uint(out, user_);
      out += ',';
      append_uint(out, data_.movielens_id(row));
      out += ',';
      std::uint64_t roll = rng.below(1000);
      // Real shares: 4.0 29%, 3.0 20%, 5.0 15%, 3.5 11%, 4.5 8%, 2.0 7%, 2.5 4%, 1.0 3%...
      static constexpr std::pair<std::uint16_t, std::string_view> kRatings[] = {
          {287, "4.0"}, {488, "3.0"}, {639, "5.0"}, {744, "3.5"}, {821, "4.5"},
          {894, "2.0"}, {938, "2.5"}, {971, "1.0"}, {988, "1.5"}, {1000, "0.5"}};
      for (const auto& [limit, text] : kRatings) {
        if (roll < limit) {
          out += text;
          break;
        }
      }
      out += ',';
      append_uint(out, static_cast<std::uint64_t>(start + rng.between(0, span)));
      out += "\r\n";
    }
    count_row(rows_.size());
    written_ += rows_.size();
    return true;
  }

 private:
  const Dataset& data_;
  bool small_;
  std::uint64_t total_;
  std::uint64_t user_ = 0;
  std::uint64_t written_ = 0;
  std::vector<std::uint64_t> rows_;
};

// ---------------------------------------------------------------------------------------------
// libzip plumbing: each producer is a zip_source that libzip pulls from while deflating.

/// The entries' modification time: the real dataset's last version, 2017-11-10 00:00. ZIP keeps
/// local time and libzip converts with localtime(), so the instant is taken in local time too:
/// the archive is then byte-identical for a seed whatever the time zone.
std::time_t entry_time() {
  std::tm local{};
  local.tm_year = 2017 - 1900;
  local.tm_mon = 10;
  local.tm_mday = 10;
  local.tm_isdst = -1;
  return std::mktime(&local);
}

struct EntrySource {
  explicit EntrySource(std::unique_ptr<CsvProducer> p) : producer(std::move(p)) {
    zip_error_init(&error);
  }
  ~EntrySource() { zip_error_fini(&error); }
  EntrySource(const EntrySource&) = delete;
  EntrySource& operator=(const EntrySource&) = delete;

  std::unique_ptr<CsvProducer> producer;
  std::string buffer;
  std::size_t offset = 0;
  bool finished = false;
  zip_error_t error;
  std::exception_ptr failure;
};

zip_int64_t read_entry(EntrySource& source, char* data, zip_uint64_t len) {
  zip_uint64_t copied = 0;
  while (copied < len) {
    if (source.offset == source.buffer.size()) {
      if (source.finished) {
        break;
      }
      source.buffer.clear();
      source.offset = 0;
      if (!source.producer->produce(source.buffer)) {
        source.finished = true;
        break;
      }
    }
    std::size_t n = std::min<std::size_t>(len - copied, source.buffer.size() - source.offset);
    std::copy_n(source.buffer.data() + source.offset, n, data + copied);
    source.offset += n;
    copied += n;
  }
  return static_cast<zip_int64_t>(copied);
}

zip_int64_t entry_callback(void* state, void* data, zip_uint64_t len, zip_source_cmd_t cmd) {
  auto& source = *static_cast<EntrySource*>(state);
  try {
    switch (cmd) {
      case ZIP_SOURCE_OPEN:
        source.producer->restart();
        source.buffer.clear();
        source.offset = 0;
        source.finished = false;
        return 0;
      case ZIP_SOURCE_READ:
        return read_entry(source, static_cast<char*>(data), len);
      case ZIP_SOURCE_CLOSE:
        return 0;
      case ZIP_SOURCE_STAT: {
        auto* st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &source.error);
        if (st == nullptr) {
          return -1;
        }
        zip_stat_init(st);
        st->mtime = entry_time();
        st->valid |= ZIP_STAT_MTIME;  // no size: libzip writes ZIP64 sizes when it needs them
        return sizeof(zip_stat_t);
      }
      case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&source.error, data, len);
      case ZIP_SOURCE_FREE:
        return 0;
      case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                              ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
                                              -1);
      default:
        zip_error_set(&source.error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
  } catch (...) {
    source.failure = std::current_exception();
    zip_error_set(&source.error, ZIP_ER_INTERNAL, 0);
    return -1;
  }
}

std::filesystem::path with_suffix(const std::filesystem::path& path, std::string_view suffix) {
  return std::filesystem::path(path.string() + std::string(suffix));
}

void write_text_atomically(const std::filesystem::path& path, const std::string& text) {
  auto part = with_suffix(path, ".part");
  std::ofstream out(part, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  std::error_code ec;
  if (out) {
    std::filesystem::rename(part, path, ec);
  }
  if (!out || ec) {
    std::filesystem::remove(part, ec);
    throw Error(ExitCode::kUsage,
                fmt::format("cannot write {}; check the directory and free space", path.string()));
  }
}

}  // namespace

const EntryManifest* Manifest::entry(const std::string& name) const {
  for (const auto& e : entries) {
    if (e.name == name) {
      return &e;
    }
  }
  return nullptr;
}

nlohmann::json Manifest::to_json() const {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& e : entries) {
    nlohmann::json j = {{"rows", e.rows}, {"bytes", e.bytes}};
    for (const auto& [key, value] : e.details) {
      j[key] = value;
    }
    files[e.name] = j;
  }
  return {
      {"seed", seed},
      {"scale", scale},
      {"ratings_scale", ratings_scale},
      {"movies_only", movies_only},
      {"entries", files},
      {"movies",
       {{"records", movies.records},
        {"distinct_ids", movies.distinct_ids},
        {"duplicated_ids", movies.duplicated_ids},
        {"duplicate_extra_copies", movies.duplicate_extra_copies},
        {"identical_copies", movies.identical_copies},
        {"conflicting_copies", movies.conflicting_copies},
        {"bare_cr_records", movies.bare_cr_records},
        {"empty_release_dates", movies.empty_release_dates},
        {"invalid_rows", movies.invalid_rows}}},
      // What loading movies_metadata.csv must report (SPEC 3.4 accounting).
      {"expected_load",
       {{"rows_read", movies.records},
        {"rows_loaded", movies.distinct_ids},
        {"rows_rejected", movies.invalid_rows},
        {"duplicate_superseded", movies.records - movies.distinct_ids - movies.invalid_rows},
        {"movies_without_year", movies.empty_release_dates}}},
  };
}

Manifest generate(const GenerateOptions& options) {
  if (!(options.scale > 0) || !std::isfinite(options.scale) || options.scale > 1000) {
    throw Error(ExitCode::kUsage,
                fmt::format("--scale must be above 0 and at most 1000 (1.0 = the real dataset), "
                            "not {}",
                            options.scale));
  }
  if (!(options.ratings_scale >= 0) || !std::isfinite(options.ratings_scale)) {
    throw Error(ExitCode::kUsage,
                fmt::format("--ratings-scale must be 0 or more, not {}", options.ratings_scale));
  }
  if (options.out.empty()) {
    throw Error(ExitCode::kUsage, "no output archive given; pass the path of the .zip to write");
  }

  const Dataset data(make_plan(options));
  std::vector<std::unique_ptr<EntrySource>> sources;
  auto add = [&](std::unique_ptr<CsvProducer> producer) {
    sources.push_back(std::make_unique<EntrySource>(std::move(producer)));
  };
  // The order of the real archive: alphabetical.
  if (!options.movies_only) {
    add(std::make_unique<CreditsProducer>(data));
    add(std::make_unique<KeywordsProducer>(data));
    add(std::make_unique<LinksProducer>(data, false));
    add(std::make_unique<LinksProducer>(data, true));
  }
  add(std::make_unique<MoviesProducer>(data));
  if (!options.movies_only) {
    add(std::make_unique<RatingsProducer>(data, false));
    add(std::make_unique<RatingsProducer>(data, true));
  }

  const std::filesystem::path& out = options.out;
  if (out.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(out.parent_path(), ec);
    if (ec) {
      throw Error(ExitCode::kUsage,
                  fmt::format("cannot create {}: {}", out.parent_path().string(), ec.message()));
    }
  }
  const auto part = with_suffix(out, ".part");
  auto fail = [&](zip_t* archive, const std::string& what) -> Error {
    std::string detail = archive ? zip_strerror(archive) : "";
    if (archive) {
      zip_discard(archive);
    }
    std::error_code ignored;
    std::filesystem::remove(part, ignored);
    for (const auto& source : sources) {
      if (source->failure) {
        std::rethrow_exception(source->failure);
      }
    }
    return Error(ExitCode::kUsage, fmt::format("cannot write {}: {} ({}); check the directory and "
                                               "free space",
                                               part.string(), what, detail));
  };

  int code = 0;
  zip_t* archive = zip_open(part.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  if (archive == nullptr) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string detail = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw Error(ExitCode::kUsage, fmt::format("cannot create {}: {}", part.string(), detail));
  }
  for (auto& source : sources) {
    zip_source_t* zs = zip_source_function(archive, entry_callback, source.get());
    if (zs == nullptr) {
      throw fail(archive, "zip_source_function");
    }
    std::string name(source->producer->entry_name());
    zip_int64_t index = zip_file_add(archive, name.c_str(), zs, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(zs);
      throw fail(archive, "adding " + name);
    }
    // Level 1: scale 1 deflates in about a second and still shrinks the CSVs several times.
    if (zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 1) !=
            0 ||
        zip_file_set_mtime(archive, static_cast<zip_uint64_t>(index), entry_time(), 0) != 0) {
      throw fail(archive, "setting up " + name);
    }
  }
  if (zip_close(archive) != 0) {
    throw fail(archive, "writing the archive");
  }

  Manifest manifest;
  manifest.seed = options.seed;
  manifest.scale = options.scale;
  manifest.ratings_scale = options.ratings_scale;
  manifest.movies_only = options.movies_only;
  for (const auto& source : sources) {
    EntryManifest entry;
    entry.name = source->producer->entry_name();
    entry.rows = source->producer->rows();
    entry.bytes = source->producer->bytes();
    source->producer->report(entry, manifest);
    manifest.entries.push_back(std::move(entry));
  }

  // The manifest first, then the archive: whoever sees the archive finds its manifest.
  std::error_code ec;
  try {
    write_text_atomically(with_suffix(out, ".manifest.json"), manifest.to_json().dump(2) + "\n");
  } catch (...) {
    std::filesystem::remove(part, ec);
    throw;
  }
  std::filesystem::rename(part, out, ec);
  if (ec) {
    std::filesystem::remove(part, ec);
    throw Error(ExitCode::kUsage, fmt::format("cannot move {} to {}", part.string(), out.string()));
  }
  return manifest;
}

}  // namespace marquee::gen
