#include "store/sqlite_rating_feed.hpp"

#include <new>

// rating_rows is an eponymous virtual table (no CREATE VIRTUAL TABLE) with a hidden column,
// `source`, which its argument sets, as SQLite's carray does. Without the argument, or with a
// pointer of another type bound, it has no rows.

namespace marquee::store {
namespace {

enum Column { kUserId, kMovielensId, kRating, kRatedAt, kSource };

struct Cursor {
  sqlite3_vtab_cursor base;  // first: SQLite casts between the two
  const RatingRowsSource* source = nullptr;
  std::size_t at = 0;
};

int connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) {
  int rc = sqlite3_declare_vtab(db,
                                "CREATE TABLE x(user_id INTEGER, movielens_id INTEGER, rating "
                                "REAL, rated_at INTEGER, source HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  auto* table = static_cast<sqlite3_vtab*>(sqlite3_malloc(sizeof(sqlite3_vtab)));
  if (table == nullptr) return SQLITE_NOMEM;
  *table = {};
  *out = table;
  return SQLITE_OK;
}

int disconnect(sqlite3_vtab* table) {
  sqlite3_free(table);
  return SQLITE_OK;
}

/// The plan: the `source = ?` constraint goes to xFilter as its one argument.
int best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  info->idxNum = 0;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn != kSource || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!c.usable) return SQLITE_CONSTRAINT;  // try a plan where the argument is known
    info->aConstraintUsage[i].argvIndex = 1;
    info->aConstraintUsage[i].omit = 1;
    info->idxNum = 1;
  }
  info->estimatedCost = info->idxNum == 1 ? 1.0 : 1e9;
  return SQLITE_OK;
}

int open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* cursor = new (std::nothrow) Cursor{};
  if (cursor == nullptr) return SQLITE_NOMEM;
  *out = &cursor->base;
  return SQLITE_OK;
}

int close(sqlite3_vtab_cursor* base) {
  delete reinterpret_cast<Cursor*>(base);
  return SQLITE_OK;
}

int filter(sqlite3_vtab_cursor* base, int idx, const char*, int argc, sqlite3_value** argv) {
  auto* cursor = reinterpret_cast<Cursor*>(base);
  cursor->at = 0;
  cursor->source =
      idx == 1 && argc == 1
          ? static_cast<const RatingRowsSource*>(sqlite3_value_pointer(argv[0], kRatingRowsPointer))
          : nullptr;
  return SQLITE_OK;
}

int next(sqlite3_vtab_cursor* base) {
  ++reinterpret_cast<Cursor*>(base)->at;
  return SQLITE_OK;
}

int eof(sqlite3_vtab_cursor* base) {
  const auto* cursor = reinterpret_cast<Cursor*>(base);
  return cursor->source == nullptr || cursor->at >= cursor->source->rows.size();
}

int column(sqlite3_vtab_cursor* base, sqlite3_context* context, int i) {
  const auto* cursor = reinterpret_cast<Cursor*>(base);
  const dataset::RatingRow& row = cursor->source->rows[cursor->at];
  switch (i) {
    case kUserId:
      sqlite3_result_int64(context, row.user_id);
      break;
    case kMovielensId:
      sqlite3_result_int64(context, row.movielens_id);
      break;
    case kRating:
      sqlite3_result_double(context, row.rating_halves / 2.0);
      break;
    case kRatedAt:
      sqlite3_result_int64(context, row.rated_at);
      break;
    default:
      sqlite3_result_null(context);
  }
  return SQLITE_OK;
}

int rowid(sqlite3_vtab_cursor* base, sqlite3_int64* out) {
  *out = static_cast<sqlite3_int64>(reinterpret_cast<Cursor*>(base)->at);
  return SQLITE_OK;
}

sqlite3_module make_module() {
  sqlite3_module m{};
  m.xConnect = connect;  // no xCreate: eponymous only
  m.xBestIndex = best_index;
  m.xDisconnect = disconnect;
  m.xOpen = open;
  m.xClose = close;
  m.xFilter = filter;
  m.xNext = next;
  m.xEof = eof;
  m.xColumn = column;
  m.xRowid = rowid;
  return m;
}

const sqlite3_module kModule = make_module();

}  // namespace

int register_rating_rows(sqlite3* db) {
  return sqlite3_create_module_v2(db, "rating_rows", &kModule, nullptr, nullptr);
}

}  // namespace marquee::store
