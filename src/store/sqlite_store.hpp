#pragma once

#include <filesystem>
#include <memory>

#include "store/store.hpp"

namespace marquee::store {

/// The embedded default: one SQLite file in WAL mode, one transaction per batch.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path);

}  // namespace marquee::store
