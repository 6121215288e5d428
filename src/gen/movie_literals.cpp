#include "gen/movie_literals.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <string_view>

#include "format/csv_field.hpp"
#include "gen/names.hpp"
#include "gen/text.hpp"

namespace marquee::gen {
namespace {

/// Up to 8 distinct companies, in the order drawn; `majors` holds the names of the real ones.
struct CompanyChoice {
  std::array<std::uint64_t, 8> ids{};
  std::array<std::string_view, 8> majors{};
  std::uint64_t count = 0;
};

CompanyChoice choose_companies(Rng& rng, const Dataset& data) {
  CompanyChoice choice;
  std::uint64_t roll = rng.below(100);
  std::uint64_t count = roll < 40   ? 1
                        : roll < 68 ? 2
                        : roll < 84 ? 3
                        : roll < 92 ? 4
                                    : 5 + rng.below(4);
  auto& ids = choice.ids;
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
    auto end = ids.begin() + static_cast<std::ptrdiff_t>(choice.count);
    if (std::find(ids.begin(), end, id) == end) {
      ids[choice.count] = id;
      choice.majors[choice.count] = major;
      ++choice.count;
    }
  }
  return choice;
}

}  // namespace

void append_collection(std::string& out, const Dataset& data, std::uint64_t collection) {
  std::uint64_t id = data.collection_id(collection);
  Rng named(mix(stream_key(data.seed(), Stream::kCollection), id));
  std::string literal = "{'id': ";
  append_uint(literal, id);
  literal += ", 'name': ";
  append_py_str(literal, english_title(named) + " Collection");
  std::uint64_t poster = named.next();
  bool no_poster = named.chance(0.05);
  std::uint64_t backdrop = named.next();
  bool no_backdrop = named.chance(0.2);
  literal += ", 'poster_path': ";
  append_py_image_path(literal, poster, no_poster);
  literal += ", 'backdrop_path': ";
  append_py_image_path(literal, backdrop, no_backdrop);
  literal += '}';
  format::append_csv_field(out, literal);
}

void append_genres(std::string& out, Rng& rng) {
  std::string literal = "[";
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
        literal += ", ";
      }
      literal += "{'id': ";
      append_uint(literal, static_cast<std::uint64_t>(genre.id));
      literal += ", 'name': ";
      append_py_str(literal, genre.name);
      literal += '}';
    }
  }
  literal += ']';
  format::append_csv_field(out, literal);
}

void append_companies(std::string& out, Rng& rng, const Dataset& data) {
  std::string literal = "[";
  if (!rng.chance(0.26)) {
    CompanyChoice choice = choose_companies(rng, data);
    std::array<std::uint64_t, 8> order{0, 1, 2, 3, 4, 5, 6, 7};
    sort_small(order.data(), order.data() + choice.count,
               [&](std::uint64_t a, std::uint64_t b) { return choice.ids[a] < choice.ids[b]; });
    for (std::uint64_t k = 0; k < choice.count; ++k) {
      std::uint64_t at = order[k];
      if (k > 0) {
        literal += ", ";
      }
      literal += "{'name': ";
      append_py_str(literal, choice.majors[at].empty() ? company_name(data, choice.ids[at])
                                                       : std::string(choice.majors[at]));
      literal += ", 'id': ";
      append_uint(literal, choice.ids[at]);
      literal += '}';
    }
  }
  literal += ']';
  format::append_csv_field(out, literal);
}

void append_countries(std::string& out, Rng& rng) {
  std::string literal = "[";
  if (!rng.chance(0.13)) {
    std::uint64_t count = rng.chance(0.8) ? 1 : rng.between(2, 4);
    std::array<const Country*, 4> chosen{};
    std::uint64_t n = 0;
    for (std::uint64_t k = 0; k < count; ++k) {
      const Country& country = pick_weighted(rng, kCountries);
      auto end = chosen.begin() + static_cast<std::ptrdiff_t>(n);
      if (std::find(chosen.begin(), end, &country) != end) {
        continue;
      }
      chosen[n++] = &country;
      if (n > 1) {
        literal += ", ";
      }
      literal += "{'iso_3166_1': '";
      literal += country.code;
      literal += "', 'name': ";
      append_py_str(literal, country.name);
      literal += '}';
    }
  }
  literal += ']';
  format::append_csv_field(out, literal);
}

void append_spoken_languages(std::string& out, Rng& rng, const Language& original) {
  std::string literal = "[";
  if (!rng.chance(0.085)) {
    std::uint64_t count = rng.chance(0.75) ? 1 : rng.between(2, 4);
    std::array<const Language*, 4> chosen{};
    std::uint64_t n = 0;
    for (std::uint64_t k = 0; k < count; ++k) {
      std::uint64_t which = rng.below(100);
      const Language& spoken = k == 0       ? original
                               : which < 35 ? kLanguages[kEnglish]
                               : which < 70 ? pick_weighted(rng, kLanguages)
                                            : kLanguages[rng.below(std::size(kLanguages))];
      auto end = chosen.begin() + static_cast<std::ptrdiff_t>(n);
      if (std::find(chosen.begin(), end, &spoken) != end) {
        continue;
      }
      chosen[n++] = &spoken;
      if (n > 1) {
        literal += ", ";
      }
      literal += "{'iso_639_1': '";
      literal += spoken.code;
      literal += "', 'name': ";
      append_py_str(literal, spoken.name);
      literal += '}';
    }
  }
  literal += ']';
  format::append_csv_field(out, literal);
}

}  // namespace marquee::gen
