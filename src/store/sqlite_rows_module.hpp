#pragma once

#include <cstddef>
#include <new>

#include <sqlite3.h>

namespace marquee::store {

/// The SQLite module of an eponymous table-valued function over rows held by the caller, as
/// SQLite's carray: `name(?)` binds a `const Source*` (sqlite3_bind_pointer with type
/// Source::kPointerType) to the hidden column `source`, and the function reads `source->size()`
/// rows, column `i` of row `r` set by `source->result(r, i, context)`. Without the argument, or
/// with a pointer of another type bound, it has no rows. `Source::kDeclaration` declares the
/// columns, the hidden `source` last (its index is Source::kColumns).
template <typename Source>
class RowsModule {
 public:
  static const sqlite3_module* get() {
    static const sqlite3_module module = make();
    return &module;
  }

 private:
  struct Cursor {
    sqlite3_vtab_cursor base;  // first: SQLite casts between the two
    const Source* source = nullptr;
    std::size_t at = 0;
  };

  static int connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) {
    int rc = sqlite3_declare_vtab(db, Source::kDeclaration);
    if (rc != SQLITE_OK) return rc;
    auto* table = static_cast<sqlite3_vtab*>(sqlite3_malloc(sizeof(sqlite3_vtab)));
    if (table == nullptr) return SQLITE_NOMEM;
    *table = {};
    *out = table;
    return SQLITE_OK;
  }

  static int disconnect(sqlite3_vtab* table) {
    sqlite3_free(table);
    return SQLITE_OK;
  }

  /// The plan: the `source = ?` constraint goes to xFilter as its one argument.
  static int best_index(sqlite3_vtab*, sqlite3_index_info* info) {
    info->idxNum = 0;
    for (int i = 0; i < info->nConstraint; ++i) {
      const auto& c = info->aConstraint[i];
      if (c.iColumn != Source::kColumns || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
      if (!c.usable) return SQLITE_CONSTRAINT;  // try a plan where the argument is known
      info->aConstraintUsage[i].argvIndex = 1;
      info->aConstraintUsage[i].omit = 1;
      info->idxNum = 1;
    }
    info->estimatedCost = info->idxNum == 1 ? 1.0 : 1e9;
    return SQLITE_OK;
  }

  static int open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
    auto* cursor = new (std::nothrow) Cursor{};
    if (cursor == nullptr) return SQLITE_NOMEM;
    *out = &cursor->base;
    return SQLITE_OK;
  }

  static int close(sqlite3_vtab_cursor* base) {
    delete reinterpret_cast<Cursor*>(base);
    return SQLITE_OK;
  }

  static int filter(sqlite3_vtab_cursor* base, int idx, const char*, int argc,
                    sqlite3_value** argv) {
    auto* cursor = reinterpret_cast<Cursor*>(base);
    cursor->at = 0;
    cursor->source =
        idx == 1 && argc == 1
            ? static_cast<const Source*>(sqlite3_value_pointer(argv[0], Source::kPointerType))
            : nullptr;
    return SQLITE_OK;
  }

  static int next(sqlite3_vtab_cursor* base) {
    ++reinterpret_cast<Cursor*>(base)->at;
    return SQLITE_OK;
  }

  static int eof(sqlite3_vtab_cursor* base) {
    const auto* cursor = reinterpret_cast<Cursor*>(base);
    return cursor->source == nullptr || cursor->at >= cursor->source->size();
  }

  static int column(sqlite3_vtab_cursor* base, sqlite3_context* context, int i) {
    const auto* cursor = reinterpret_cast<Cursor*>(base);
    if (i < Source::kColumns) {
      cursor->source->result(cursor->at, i, context);
    } else {
      sqlite3_result_null(context);
    }
    return SQLITE_OK;
  }

  static int rowid(sqlite3_vtab_cursor* base, sqlite3_int64* out) {
    *out = static_cast<sqlite3_int64>(reinterpret_cast<Cursor*>(base)->at);
    return SQLITE_OK;
  }

  static sqlite3_module make() {
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
};

/// Registers `name` on the connection; SQLite's result code.
template <typename Source>
int register_rows_module(sqlite3* db, const char* name) {
  return sqlite3_create_module_v2(db, name, RowsModule<Source>::get(), nullptr, nullptr);
}

}  // namespace marquee::store
