#include "gen/movie_record.hpp"

#include <algorithm>

#include "format/csv_field.hpp"
#include "gen/movie_literals.hpp"
#include "gen/movie_values.hpp"
#include "gen/names.hpp"
#include "gen/random.hpp"
#include "gen/text.hpp"
#include "gen/vocabulary.hpp"

namespace marquee::gen {
namespace {

/// Everything about a movie that is decided before its columns are written, drawn in a fixed
/// order from the movie's stream; the literal columns draw from the same stream afterwards.
struct MovieDraw {
  bool adult = false;
  bool video = false;
  bool in_collection = false;
  std::uint64_t collection = 0;
  std::uint64_t budget = 0;
  std::uint64_t revenue = 0;
  const Language* language = nullptr;
  std::string title;
  std::string original_title;
  std::uint64_t popularity = 0;
  bool has_poster = false;
  bool empty_date = false;
  bool runtime_empty = false;
  bool runtime_zero = false;
  std::int64_t runtime = 0;
  std::uint64_t vote_count = 0;
  std::int64_t vote_tenths = 0;
  std::uint64_t status_roll = 0;
  bool has_homepage = false;
  bool has_tagline = false;
};

void draw_budget_and_revenue(MovieDraw& draw, Rng& rng) {
  bool has_budget = rng.chance(0.196);
  draw.budget = has_budget ? money(rng) : 0;
  if (has_budget && draw.budget >= 100000 && rng.chance(0.8)) {
    draw.budget -= draw.budget % 100000;
  }
  bool has_revenue = rng.chance(has_budget ? 0.6 : 0.056);
  if (has_revenue) {
    draw.revenue = has_budget && draw.budget > 1000
                       ? draw.budget / 100 * static_cast<std::uint64_t>(rng.between(5, 600))
                       : money(rng);
    if (draw.budget >= 100000000 && rng.chance(0.05)) {
      draw.revenue = static_cast<std::uint64_t>(rng.between(1000000000, 2787965087));
    }
    draw.revenue = std::max<std::uint64_t>(draw.revenue, 1);
  }
}

void draw_titles(MovieDraw& draw, Rng& rng) {
  const Language& language =
      rng.chance(0.71) ? kLanguages[kEnglish] : pick_weighted(rng, kLanguages);
  draw.language = &language;
  draw.title = english_title(rng);
  draw.original_title =
      (&language == &kLanguages[kEnglish] || language.nouns[0].empty() || rng.chance(0.15))
          ? draw.title
          : native_title(rng, language);
}

void draw_runtime_and_votes(MovieDraw& draw, Rng& rng) {
  draw.runtime_empty = rng.chance(0.0057);
  draw.runtime_zero = rng.chance(0.034);
  draw.runtime = rng.chance(0.05) ? rng.between(1, 45)
                 : rng.chance(0.02)
                     ? rng.between(150, 338)
                     : 50 + rng.between(0, 30) + rng.between(0, 30) + rng.between(0, 30);
  if (!rng.chance(0.06)) {
    int bucket = static_cast<int>(std::min(rng.below(14), rng.below(14)));
    draw.vote_count = (std::uint64_t{1} << bucket) + rng.below(std::uint64_t{1} << bucket);
  }
  draw.vote_tenths = draw.vote_count == 0 ? 0
                     : draw.vote_count < 5
                         ? rng.between(10, 100)
                         : 30 + rng.between(0, 20) + rng.between(0, 20) + rng.between(0, 20);
}

MovieDraw draw_movie(Rng& rng, const Dataset& data, std::uint64_t movie) {
  MovieDraw draw;
  draw.adult = rng.chance(0.0002);
  draw.video = rng.chance(0.002);
  draw.in_collection = rng.chance(0.099);
  draw.collection = rng.below(data.plan().collections);
  draw_budget_and_revenue(draw, rng);
  draw_titles(draw, rng);
  draw.popularity = popularity_micros(rng);
  draw.has_poster = rng.chance(0.991);
  draw.empty_date = rng.chance(0.00185) || data.is_forced_undated(movie);
  draw_runtime_and_votes(draw, rng);
  draw.status_roll = rng.below(100000);
  draw.has_homepage = rng.chance(0.17);
  draw.has_tagline = rng.chance(0.45);
  return draw;
}

/// What a conflicting copy changes, from a stream of its own so the rest stays the same.
void apply_variant(MovieDraw& draw, Rng& changes, std::uint64_t variant) {
  draw.popularity = popularity_micros(changes);
  draw.vote_count += changes.below(50);
  draw.vote_tenths = draw.vote_count == 0 ? 0 : changes.between(10, 100);
  if (variant % 3 == 1) {
    draw.budget = changes.chance(0.5) ? 0 : money(changes);
  }
  if (variant % 4 == 2) {
    draw.empty_date = !draw.empty_date;
  }
}

/// http(s)://www.<title in lower-case letters and digits>.com/ or .net
void append_homepage(std::string& out, Rng& rng, const std::string& title) {
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
  format::append_csv_field(out, cat({scheme, slug, domain}));
}

/// The overview; returns whether it was written unquoted holding a bare CR, as pandas wrote three
/// real records: no comma, quote or LF may appear in such a one, or the field would have been
/// quoted.
bool append_overview_column(std::string& out, Rng& rng, const Dataset& data, std::uint64_t movie) {
  std::string text;
  if (data.is_bare_cr(movie)) {
    append_sentence(text, rng, true);
    text += '\r';
    append_sentence(text, rng, true);
    out += text;
    return true;
  }
  if (data.is_blank(movie)) {
    text = "  ";
  } else {
    append_overview(text, rng);
  }
  format::append_csv_field(out, text);
  return false;
}

void append_status(std::string& out, std::uint64_t roll) {
  if (roll < 190) {
    return;  // empty
  }
  out += roll < 690   ? "Rumored"
         : roll < 910 ? "Post Production"
         : roll < 950 ? "In Production"
         : roll < 980 ? "Planned"
         : roll < 985 ? "Canceled"
                      : "Released";
}

void append_tagline(std::string& out, Rng& rng) {
  std::string tagline(rng.pick(kTaglines));
  tagline += rng.chance(0.7) ? "." : "!";
  format::append_csv_field(out, tagline);
}

/// vote_average with one decimal ("6.5", "0.0"), then vote_count.
void append_votes(std::string& out, const MovieDraw& draw) {
  append_uint(out, static_cast<std::uint64_t>(draw.vote_tenths / 10));
  out += '.';
  out += static_cast<char>('0' + draw.vote_tenths % 10);
  out += ',';
  append_uint(out, draw.vote_count);
}

}  // namespace

MovieFacts append_movie(std::string& out, const Dataset& data, std::uint64_t movie,
                        std::uint64_t variant) {
  const std::uint64_t seed = data.seed();
  Rng rng(mix(stream_key(seed, Stream::kMovie), movie));
  MovieDraw draw = draw_movie(rng, data, movie);
  if (variant > 0) {
    Rng changes(mix(stream_key(seed, Stream::kMovieVariant), movie, variant));
    apply_variant(draw, changes, variant);
  }
  MovieFacts facts;
  facts.empty_date = draw.empty_date;

  out += draw.adult ? "True," : "False,";
  if (draw.in_collection) {
    append_collection(out, data, draw.collection);
  }
  out += ',';
  append_uint(out, draw.budget);
  out += ',';
  append_genres(out, rng);
  out += ',';
  if (draw.has_homepage) {
    append_homepage(out, rng, draw.title);
  }
  out += ',';
  append_uint(out, data.tmdb_id(movie));
  out += ",tt";
  append_padded(out, data.imdb_number(movie), 7);
  out += ',';
  out += draw.language->code;
  out += ',';
  format::append_csv_field(out, draw.original_title);
  out += ',';
  facts.bare_cr = append_overview_column(out, rng, data, movie);
  out += ',';
  append_py_micros(out, draw.popularity);
  out += ',';
  if (draw.has_poster) {
    append_image_path(out, mix(seed, 0x504f53544552ULL, movie));
  }
  out += ',';
  append_companies(out, rng, data);
  out += ',';
  append_countries(out, rng);
  out += ',';
  if (!draw.empty_date) {
    append_date(out, rng);
  }
  out += ',';
  append_uint(out, draw.revenue);
  out += ',';
  if (!draw.runtime_empty) {
    append_uint(out, draw.runtime_zero ? 0 : static_cast<std::uint64_t>(draw.runtime));
    out += ".0";
  }
  out += ',';
  append_spoken_languages(out, rng, *draw.language);
  out += ',';
  append_status(out, draw.status_roll);
  out += ',';
  if (draw.has_tagline) {
    append_tagline(out, rng);
  }
  out += ',';
  format::append_csv_field(out, draw.title);
  out += draw.video ? ",True," : ",False,";
  append_votes(out, draw);
  out += '\n';
  return facts;
}

}  // namespace marquee::gen
