#pragma once

// The words, names and weighted tables that the rows are drawn from; the weights follow the real
// files (shared/data/README.md).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace marquee::gen {

inline constexpr std::string_view kTitleAdjectives[] = {
    "Silent",   "Crimson",  "Last",   "Broken",  "Golden", "Hidden",  "Dark",      "Wild",
    "Lost",     "Secret",   "Final",  "Burning", "Frozen", "Little",  "Big",       "Iron",
    "Electric", "Midnight", "Savage", "Sweet",   "Lonely", "Eternal", "Forgotten", "Distant",
    "Bitter",   "Endless",  "Fallen", "Hollow",  "Red",    "Blue",    "Perfect",   "Dangerous",
    "Strange",  "Quiet",    "Brave",  "Young",   "Deadly", "Sacred",  "Restless",  "Invisible"};
inline constexpr std::string_view kTitleNouns[] = {
    "River",   "Night",  "Heart",    "City",    "Road",    "Dream",   "Garden",    "War",
    "Sky",     "House",  "Storm",    "Shadow",  "Game",    "Kingdom", "Summer",    "Winter",
    "Island",  "Mirror", "Letter",   "Journey", "Ghost",   "Promise", "Machine",   "Empire",
    "Wolf",    "Angel",  "Stranger", "Sea",     "Fire",    "Moon",    "Train",     "Hotel",
    "Witness", "Planet", "Frontier", "Harvest", "Lullaby", "Circus",  "Detective", "Symphony"};
inline constexpr std::string_view kFirstNames[] = {
    "John",  "Mary",  "James",  "Anna",   "Robert",  "Laura",    "Michael", "Sarah",
    "David", "Emma",  "Thomas", "Julia",  "Peter",   "Claire",   "Paul",    "Helen",
    "Jack",  "Grace", "Frank",  "Alice",  "Amélie",  "François", "Jürgen",  "Søren",
    "José",  "Zoë",   "Björn",  "Łukasz", "Takeshi", "Yuki",     "Hiroshi", "Mei",
    "Ivan",  "Olga",  "Raj",    "Priya",  "Ahmed",   "Fatima",   "Chen",    "Kelly"};
inline constexpr std::string_view kLastNames[] = {
    "Smith",    "Johnson", "Brown",  "Miller",   "Davis",     "Wilson",   "Moore",    "Taylor",
    "Anderson", "Thomas",  "Martin", "Thompson", "Garcia",    "Clark",    "Lewis",    "Walker",
    "Hall",     "Young",   "King",   "Wright",   "O'Connell", "O'Brien",  "D'Angelo", "Müller",
    "Dubois",   "Rossi",   "Novak",  "Kowalski", "Tanaka",    "Suzuki",   "Petrov",   "Ivanova",
    "Kapoor",   "Khan",    "Nguyen", "Kim",      "Lindqvist", "Ødegaard", "Núñez",    "Schäfer"};
/// Names in scripts other than Latin (TMDB keeps some names as written).
inline constexpr std::string_view kNativeNames[] = {
    "成龍",          "三船敏郎",    "张艺谋", "김기덕", "Андрей Тарковский",
    "Сергей Бодров", "अमिताभ बच्चन", "黒澤明"};

inline constexpr std::string_view kOverviewWords[] = {
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
inline constexpr std::string_view kOverviewOpeners[] = {
    "When",   "After",  "In", "Years after", "On the eve of", "Following",
    "During", "Set in", "As", "Before",      "Haunted by",    "Desperate for"};
inline constexpr std::string_view kForeignSentences[] = {
    "Молодой человек возвращается в родной город после войны.",
    "一个年轻人回到了他的家乡。",
    "ある夏の日、少年は不思議な少女に出会う。",
    "한 남자가 잃어버린 딸을 찾아 나선다.",
    "Une famille se retrouve dans la maison de son enfance.",
    "Ein junger Mann verliebt sich in eine Fremde."};

inline constexpr std::string_view kTaglines[] = {"Some secrets should stay buried",
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

inline constexpr Language kLanguages[] = {
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
inline constexpr std::size_t kEnglish = 0;

struct Country {
  std::string_view code;
  std::string_view name;
  std::uint32_t weight;
};
inline constexpr Country kCountries[] = {
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
inline constexpr Genre kGenres[] = {
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
inline constexpr Company kMajorCompanies[] = {{6194, "Warner Bros.", 1194},
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

inline constexpr std::string_view kCompanyFirst[] = {
    "Silver", "Northern", "Blue",    "Red",   "Golden", "Iron",   "Crescent", "Lighthouse",
    "Eagle",  "Harbor",   "Stone",   "Paper", "Wild",   "Bright", "Seven",    "First",
    "Little", "Urban",    "Coastal", "Royal", "Black",  "Green",  "Atlas",    "Phoenix"};
inline constexpr std::string_view kCompanySecond[] = {
    "Lake", "River", "Mountain", "Sun",    "Moon", "Star",  "Fox",  "Lion",  "Bear", "Horse",
    "Crow", "Oak",   "Pine",     "Bridge", "Gate", "Tower", "Road", "Field", "Bay",  "Wave"};
inline constexpr std::string_view kCompanySuffix[] = {
    "Pictures", "Films",  "Productions",    "Entertainment", "Studios",   "Media",
    "Film",     "Cinema", "Filmproduktion", "Film Partners", "Releasing", "Pictures Corporation"};
inline constexpr std::string_view kCompanyNative[] = {"東宝映画",
                                                      "松竹株式会社",
                                                      "上海电影制片厂",
                                                      "Ленфильм",
                                                      "Киностудия им. Горького",
                                                      "Société Nouvelle de Cinématographie",
                                                      "Filmové studio Barrandov",
                                                      "Zespół Filmowy Tor"};

inline constexpr std::string_view kKeywordTop[] = {"woman director",
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
inline constexpr std::string_view kKeywordWords[] = {
    "journey",    "betrayal",  "island",  "robbery",    "detective",  "jealousy",    "toy",
    "boy",        "rivalry",   "chase",   "bank",       "obsession",  "baby",        "pregnancy",
    "prison",     "escape",    "vampire", "alien",      "zombie",     "wedding",     "divorce",
    "small town", "road trip", "heist",   "kidnapping", "conspiracy", "time travel", "amnesia"};
inline constexpr std::string_view kKeywordAdjectives[] = {
    "new", "old", "secret", "haunted", "lost", "fake", "young", "evil", "giant", "single"};

inline constexpr std::string_view kCharacterRoles[] = {
    "Himself", "Herself", "Narrator (voice)", "Detective", "Dr.",   "Young",
    "Officer", "Nurse",   "Bartender",        "Mother",    "Father"};

struct Job {
  std::string_view department;
  std::string_view job;
};
inline constexpr Job kJobs[] = {{"Writing", "Screenplay"},
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

}  // namespace marquee::gen
