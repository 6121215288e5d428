#include "gen/generator.hpp"

#include <nlohmann/json.hpp>

namespace marquee::gen {

const EntryManifest* Manifest::entry(const std::string& name) const {
  for (const auto& e : entries) {
    if (e.name == name) {
      return &e;
    }
  }
  return nullptr;
}

nlohmann::json Manifest::to_json() const {
  // What loading each of the other files must report (SPEC 3.5 accounting): the generator
  // writes no invalid row and no row of an unknown movie there, and each file's repeated keys
  // are its copies (identical or not: the last one wins).
  nlohmann::json expected = nlohmann::json::object();
  for (const auto& e : entries) {
    if (e.name != "links.csv" && e.name != "keywords.csv" && e.name != "credits.csv" &&
        e.name != "ratings.csv") {
      continue;
    }
    std::uint64_t superseded = 0;
    for (const char* copies : {"identical_copies", "duplicate_copies"}) {
      if (auto it = e.details.find(copies); it != e.details.end()) superseded += it->second;
    }
    expected[e.name] = {{"rows_read", e.rows},
                        {"rows_loaded", e.rows - superseded},
                        {"rows_rejected", 0},
                        {"duplicate_superseded", superseded}};
  }
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
      {"expected_load_by_file", expected},
  };
}

}  // namespace marquee::gen
