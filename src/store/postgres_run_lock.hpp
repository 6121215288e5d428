#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/store.hpp"

namespace marquee::store {

/// The advisory-lock key of the run lock: one loader per database at a time.
inline constexpr std::int64_t kRunLockKey = 0x6d61727175656501;  // "marquee" + 1

/// The run lock of a PostgreSQL database: a session advisory lock (kRunLockKey) held on a
/// connection of its own for as long as the lease lives, so a batch connection that fails and
/// reconnects never drops it, and a crashed run's lock goes with its connection. Throws
/// Error kLocked naming the holder's pid and application when another run holds it, and
/// Error kDatabase when the server cannot be reached.
std::unique_ptr<RunLease> lock_postgres_run(const std::string& url, const RunLockOptions& options);

}  // namespace marquee::store
