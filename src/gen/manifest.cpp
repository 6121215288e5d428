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

}  // namespace marquee::gen
