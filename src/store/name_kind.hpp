#pragma once

#include <cstdint>
#include <string_view>

namespace marquee::store {

/// The two dictionaries whose names a batch settles from its last surviving mention (SPEC 4).
enum class NameKind { kGenre, kCompany };

/// Where a kind of name lives: its table, the link table to movie and the link's key column.
struct NameKindTables {
  NameKind kind;
  std::string_view table, link_table, link_column;
};

inline constexpr NameKindTables kNameKinds[] = {
    {NameKind::kGenre, "genre", "movie_genre", "genre_id"},
    {NameKind::kCompany, "production_company", "movie_company", "company_id"},
};

/// How the batch's temporary tables store the kind (their `kind` column).
constexpr std::int64_t kind_code(NameKind kind) {
  return kind == NameKind::kGenre ? 0 : 1;
}

}  // namespace marquee::store
