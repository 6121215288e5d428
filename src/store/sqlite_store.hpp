#pragma once

#include <filesystem>
#include <memory>

#include "store/store.hpp"

namespace marquee::store {

/// The embedded default: one SQLite file in WAL mode, one transaction per batch. Creates or
/// migrates the schema; read_only then makes the connection refuse writes (PRAGMA query_only).
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path, bool read_only = false);

}  // namespace marquee::store
